import { createHash, randomUUID } from 'node:crypto';
import type { NatsConnection } from '@nats-io/transport-node';
import { Counter, Histogram, Registry, Gauge } from 'prom-client';
import { z } from 'zod';
import { isDuplicateEventError, isFencedError, NotOwnerError } from '../errors.ts';
import type { AppendOptions, AppendPart, EventStore, NewEvent, StoredEvent } from '../eventStore/types.ts';
import type { CommandResult } from '../runtime/actorHost.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from '../runtime/runtime.ts';
import type { EventMetadata } from '../eventStore/types.ts';
import { ClusterMember, type JoinOptions } from './ClusterMember.ts';
import { defineMethod, Transport } from './transport.ts';

/**
 * A runtime over several nodes (issue 13). It wraps a local runtime (src/runtime is unchanged): commands,
 * state reads and transactions go to the node holding the target aggregate's shard lease, in-process when
 * that is this node, over NATS request/reply otherwise (zod schemas on both sides). Every append the local
 * runtime makes is stamped with the shard's lease epoch (the store's fence refuses a stale owner), and a
 * routed command's events get ids derived from its command id, so a retry after a timeout, "no responders"
 * or NOT_OWNER never appends twice. See docs/cluster.md.
 */
export interface ClusterRuntimeOptions {
  readonly nats: NatsConnection;
  /** An open store with fencing (PostgreSQL); shared by every node of the world. */
  readonly store: EventStore;
  readonly cluster: Omit<JoinOptions, 'hooks'>;
  /** Options of the local runtime (its store is the fencing wrapper of `store`). */
  readonly runtime: Omit<RuntimeOptions, 'store' | 'closeStore' | 'registry'>;
  /** Send local calls over NATS and through the codec too (tests). */
  readonly forceCodec?: boolean;
  readonly timeoutMs?: number;
  readonly registry?: Registry;
}

export interface ClusterRuntime {
  execute(command: unknown, metadata?: Partial<EventMetadata>): Promise<CommandResult>;
  ref(id: string): { readonly id: string; send(command: unknown, metadata?: Partial<EventMetadata>): Promise<CommandResult> };
  state(id: string): Promise<unknown>;
  transaction(commands: readonly unknown[], metadata?: Partial<EventMetadata>): Promise<CommandResult[]>;
  readonly member: ClusterMember;
  readonly local: Runtime;
  readonly metrics: Registry;
  close(): Promise<void>;
}

const storedEvent = z.object({
  type: z.string(), data: z.unknown(), eventId: z.string(), schemaVersion: z.number(), occurredAt: z.string(),
  metadata: z.record(z.string(), z.unknown()), streamId: z.string(), version: z.number(), position: z.number(),
  hash: z.string(), chainHash: z.string(),
}).loose();
const commandResult = z.object({ aggregateId: z.string(), version: z.number(), events: z.array(storedEvent) });
const metadata = z.object({ correlationId: z.string().optional(), causationId: z.string().nullable().optional(), actorId: z.string().nullable().optional() });
export const executeMethod = defineMethod('runtime.execute', { request: z.object({ command: z.unknown(), metadata }), response: commandResult });
const stateMethod = defineMethod('runtime.state', { request: z.object({ id: z.string() }), response: z.object({ state: z.unknown() }) });
const transactionMethod = defineMethod('runtime.transaction', { request: z.object({ commands: z.array(z.unknown()), metadata }), response: z.array(commandResult) });

/** Event ids of a routed command: the same on every retry of it, different for every event and stream. */
export function derivedEventId(commandId: string, streamId: string, index: number): string {
  const h = createHash('sha256').update(`${commandId}\u0000${streamId}\u0000${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export async function createClusterRuntime(options: ClusterRuntimeOptions): Promise<ClusterRuntime> {
  const registry = options.registry ?? new Registry();
  const labels = { node: options.cluster.node };
  const m = {
    owned: new Gauge({ name: 'aethyr_cluster_shards_owned', help: 'Shards this node holds a lease for', labelNames: ['node'], registers: [registry] }),
    handoffs: new Counter({ name: 'aethyr_cluster_handoffs_total', help: 'Shards released by this node, by reason', labelNames: ['node', 'reason'], registers: [registry] }),
    fenced: new Counter({ name: 'aethyr_cluster_fenced_appends_total', help: 'Appends the store refused for an old epoch', labelNames: ['node'], registers: [registry] }),
    commands: new Counter({ name: 'aethyr_cluster_commands_total', help: 'Routed calls, local or remote', labelNames: ['node', 'route'], registers: [registry] }),
    latency: new Histogram({ name: 'aethyr_cluster_routing_seconds', help: 'Latency of routed calls, local or remote', labelNames: ['node', 'route'], buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.05, 0.25, 1, 5], registers: [registry] }),
  };
  const commandIds = new Set<string>();
  let member!: ClusterMember;
  const world = options.cluster.world;
  const shardOf = (streamId: string) => member.map.shardOf(streamId);

  // The local runtime writes through this wrapper: every part carries its shard's epoch (NOT_OWNER before
  // any write if the lease is gone), routed commands get derived event ids, and FENCED drops the shard.
  const stamp = (part: AppendPart): AppendPart => {
    const shard = shardOf(part.streamId);
    const held = member.ownedShards().includes(shard) ? member.lease(shard) : undefined;
    const events = part.events.map((event: NewEvent, i) => {
      const commandId = event.metadata?.correlationId;
      return typeof commandId === 'string' && commandIds.has(commandId) ? { ...event, eventId: derivedEventId(commandId, part.streamId, i) } : event;
    });
    // A transaction's part on a shard held elsewhere carries no epoch: its expected version alone orders it.
    const fence = held && { key: `${world}/${shard}`, epoch: held.epoch };
    return { ...part, events, options: { ...part.options, ...(fence ? { fence } : {}) } };
  };
  const onFenced = (error: unknown): never => {
    if (isFencedError(error)) {
      m.fenced.inc(labels);
      const shard = Number(error.fence.slice(error.fence.lastIndexOf('/') + 1));
      member.fence(shard);
    }
    throw error;
  };
  const store = options.store;
  const appendToStream: EventStore['appendToStream'] = (streamId, events, appendOptions) => {
    const part = stamp({ streamId, events, options: appendOptions });
    return store.appendToStream(streamId, part.events, part.options).catch(onFenced);
  };
  const appendMany: EventStore['appendMany'] = (parts) => store.appendMany(parts.map(stamp)).catch(onFenced);
  // Every other method is the store's own, bound to it (adapters keep private fields).
  const fencing = new Proxy(store, {
    get(target, key) {
      if (key === 'appendToStream') return appendToStream;
      if (key === 'appendMany') return appendMany;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });

  const local = createRuntime({ ...options.runtime, store: fencing, closeStore: false });
  member = await ClusterMember.join(options.nats, {
    ...options.cluster,
    hooks: {
      onAcquired: () => m.owned.set(labels, member.ownedShards().length),
      // Drained by the wrapper: the next append of a dropped shard is NOT_OWNER, a stale actor re-reads on conflict.
      drain: async () => undefined,
      onReleased: (_lease, reason) => {
        m.handoffs.inc({ ...labels, reason });
        m.owned.set(labels, member.ownedShards().length);
      },
    },
  });
  const transport = new Transport(options.nats, { world, node: member.node, forceCodec: options.forceCodec ?? false, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });

  const serveShard = (id: string) => {
    const shard = shardOf(id);
    if (!member.accepting(shard)) throw new NotOwnerError(shard, member.node);
  };
  const runRouted = async <T>(commandId: string, aggregateId: string, run: () => Promise<T>, replay: () => Promise<T>): Promise<T> => {
    commandIds.add(commandId);
    try {
      return await run();
    } catch (error) {
      // A retry of a command already stored (by this node before, or by an owner that died after the commit).
      if (isDuplicateEventError(error) && error.streamId === aggregateId) return replay();
      throw error;
    } finally {
      commandIds.delete(commandId);
    }
  };
  const storedResult = async (commandId: string, aggregateId: string): Promise<CommandResult> => {
    const events = (await store.readStream(aggregateId)).filter((e: StoredEvent) => e.metadata?.correlationId === commandId);
    return { aggregateId, version: events.at(-1)?.version ?? 0, events };
  };
  transport.serve(executeMethod, async ({ command, metadata: meta }) => {
    const parsed = local.aggregates.parseCommand(command);
    serveShard(parsed.id);
    const commandId = meta.correlationId as string;
    return runRouted(commandId, parsed.id, () => local.execute(parsed, meta as Partial<EventMetadata>), () => storedResult(commandId, parsed.id)) as unknown as Promise<z.infer<typeof commandResult>>;
  });
  transport.serve(stateMethod, async ({ id }) => {
    serveShard(id);
    return { state: (await local.state(id)) ?? null };
  });
  transport.serve(transactionMethod, async ({ commands, metadata: meta }) => {
    const parsed = commands.map((c) => local.aggregates.parseCommand(c));
    const first = parsed[0];
    if (first) serveShard(first.id);
    const commandId = meta.correlationId as string;
    return runRouted(commandId, first?.id ?? '', () => local.transaction(parsed, meta as Partial<EventMetadata>), () => Promise.all(parsed.map((c) => storedResult(commandId, c.id)))) as unknown as Promise<z.infer<typeof commandResult>[]>;
  });

  const route = async <Req, Res>(id: string, method: Parameters<Transport['call']>[1] & { name: string }, body: Req, callId: string): Promise<Res> => {
    const shard = shardOf(id);
    const routeLabel = member.holderOf(shard) === member.node && !options.forceCodec ? 'local' : 'remote';
    const end = m.latency.startTimer({ ...labels, route: routeLabel });
    m.commands.inc({ ...labels, route: routeLabel });
    try {
      return (await transport.call(() => member.holderOf(shard), method as never, body as never, { id: callId, attempts: 12 })) as Res;
    } finally {
      end();
    }
  };
  const withCommandId = (meta: Partial<EventMetadata> | undefined) => ({ ...meta, correlationId: meta?.correlationId ?? randomUUID() });

  const execute = async (command: unknown, meta?: Partial<EventMetadata>): Promise<CommandResult> => {
    const parsed = local.aggregates.parseCommand(command);
    const md = withCommandId(meta);
    return route(parsed.id, executeMethod, { command, metadata: md }, md.correlationId);
  };
  return {
    execute,
    ref: (id) => ({ id, send: (command, meta) => execute({ ...(command as object), id }, meta) }),
    state: async (id) => (await route<{ id: string }, { state: unknown }>(id, stateMethod, { id }, randomUUID())).state ?? undefined,
    transaction: async (commands, meta) => {
      const parsed = commands.map((c) => local.aggregates.parseCommand(c));
      const md = withCommandId(meta);
      return route(parsed[0]?.id ?? '', transactionMethod, { commands, metadata: md }, md.correlationId);
    },
    member,
    local,
    metrics: registry,
    close: async () => {
      await transport.close();
      await member.leave();
      await local.close();
    },
  };
}
