import { performance } from 'node:perf_hooks';
import { jetstream, JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { errors as natsErrors, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { ConfigError, NotOwnerError, describe, isConfigError } from '../errors.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { resolveClusterOptions, type ClusterOptions, type ClusterOptionsInput } from './clusterOptions.ts';
import { every } from './every.ts';
import { KvView } from './KvView.ts';
import { ShardMap, type ShardId } from './shardMap.ts';
import { clusterBucket, pingSubject } from './subjects.ts';

/** A shard this node holds, with its fencing epoch: the KV revision at which the lease was acquired. */
export interface ShardLease {
  readonly shard: ShardId;
  readonly epoch: number;
}

/** Why a lease ended here: handed off on purpose, taken by another node, expired locally, fenced by the store, or left. */
export type LeaseEndReason = 'handoff' | 'taken' | 'expired' | 'fenced' | 'left';

export interface ClusterMemberHooks {
  /** This node now owns the shard (hydrate lazily: the new owner reads snapshot + tail on first use). */
  readonly onAcquired?: (lease: ShardLease) => void;
  /**
   * A graceful hand-off is starting: new work is already refused (NOT_OWNER); finish the shard's mailboxes,
   * snapshot and passivate, then resolve. The lease is renewed meanwhile and released after this resolves.
   */
  readonly drain?: (lease: ShardLease) => Promise<void>;
  /** The shard is no longer this node's. For anything but a hand-off this is immediate: stop at once. */
  readonly onReleased?: (lease: ShardLease, reason: LeaseEndReason) => void;
}

export interface JoinOptions extends ClusterOptionsInput {
  readonly logger?: Logger;
  readonly hooks?: ClusterMemberHooks;
  /** Monotonic milliseconds (default performance.now): lease deadlines must not follow wall-clock jumps. */
  readonly monotonicNow?: () => number;
}

export interface MemberStats {
  acquired: number;
  handedOff: number;
  taken: number;
  expired: number;
  fenced: number;
  /** Members found dead by a ping answered with "no responders" (the fast path). */
  deadByPing: number;
  watchRestarts: number;
}

interface Held {
  readonly shard: ShardId;
  readonly epoch: number;
  revision: number;
  deadline: number;
  draining: boolean;
  /** False from a disconnect until the next successful renew: others may have taken it meanwhile (fast path). */
  confirmed: boolean;
}

type Liveness = 'alive' | 'gone' | 'unknown';

const MEMBER_PREFIX = 'members.';
const SHARD_PREFIX = 'shards.';
const memberKey = (node: string): string => `${MEMBER_PREFIX}${node}`;
const shardKey = (shard: ShardId): string => `${SHARD_PREFIX}${shard}`;
const encoder = new TextEncoder();
const json = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

/**
 * One node's membership of a world's cluster and the shard leases it holds, all in one JetStream KV bucket.
 *
 * - Members put `members.<node>` every renew period; the bucket's TTL removes a member that stops.
 * - A shard's lease is `shards.<n>` = `{ node }`, taken with create (only if absent), renewed and released
 *   with compare-and-swap on the revision; the revision at acquisition is the fencing epoch, so a later
 *   owner always has a higher epoch than any earlier one (the stream sequence only grows).
 * - Placement is rendezvous hashing over live members: the desired owner takes free shards; a holder that
 *   is no longer the desired owner drains and releases (at most `maxConcurrentHandoffs` at once).
 * - A node serves a shard only until a local deadline, renew-sent-time + TTL - margin on a monotonic
 *   clock, which falls before the server can expire the lease; every use checks it (`lease(shard)`), and a
 *   node serves nothing from a disconnect until a renew succeeds again. So a paused or cut-off node stops
 *   before another can take over.
 * - Fast death detection: other members are pinged; "no responders" means the member's connection is gone,
 *   and its shards are released at once (CAS on the revision seen). Because such a node might still be
 *   running for a moment, the store must also refuse appends with an older epoch (see docs/cluster.md).
 */
export class ClusterMember {
  readonly node: string;
  readonly options: ClusterOptions;
  readonly map: ShardMap;
  readonly stats: MemberStats = { acquired: 0, handedOff: 0, taken: 0, expired: 0, fenced: 0, deadByPing: 0, watchRestarts: 0 };
  readonly #nc: NatsConnection;
  readonly #kv: KV;
  readonly #view: KvView;
  readonly #logger: Logger;
  readonly #hooks: ClusterMemberHooks;
  readonly #now: () => number;
  readonly #held = new Map<ShardId, Held>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #ping: Subscription | undefined;
  #handoffs = 0;
  #connected = true;
  #suspended = false;
  #leaving = false;
  #closed = false;
  #reconciling: Promise<void> | undefined;
  #reconcileAgain = false;

  private constructor(nc: NatsConnection, kv: KV, options: ClusterOptions, join: JoinOptions) {
    this.#nc = nc;
    this.#kv = kv;
    this.options = options;
    this.node = options.node;
    this.map = new ShardMap(options.shards);
    const logger = join.logger ?? silentLogger;
    const tagged = (level: keyof Logger) => (message: string, fields?: Record<string, unknown>) => logger[level](message, { node: options.node, ...fields });
    this.#logger = { info: tagged('info'), warn: tagged('warn'), error: tagged('error') };
    this.#hooks = join.hooks ?? {};
    this.#now = join.monotonicNow ?? (() => performance.now());
    this.#view = new KvView(kv, { watchdogMs: options.watchdogMs, relistMs: options.relistMs, logger: this.#logger, onChange: () => this.#requestReconcile() });
  }

  /** Opens (or creates) the world's cluster bucket, announces this node and starts taking its shards. */
  static async join(nc: NatsConnection, input: JoinOptions): Promise<ClusterMember> {
    const { logger: _logger, hooks: _hooks, monotonicNow: _now, ...clusterInput } = input;
    const options = resolveClusterOptions(clusterInput);
    const kv = await openBucket(nc, options);
    const member = new ClusterMember(nc, kv, options, input);
    await member.#start();
    return member;
  }

  async #start(): Promise<void> {
    // Two live processes with one node name would take each other's leases in turn: refuse the second.
    if ((await this.#liveness(this.node)) === 'alive') {
      throw new ConfigError(`cluster.node ${this.node} is already a live member of world ${this.options.world}; node names must be unique`);
    }
    // Answer pings before announcing, so nobody sees this member without a responder and declares it dead.
    this.#ping = this.#nc.subscribe(pingSubject(this.options.world, this.node), {
      callback: (_error, msg) => {
        msg.respond();
      },
    });
    await this.#nc.flush();
    // A bucket just created, or a stream electing a leader, answers "no responders" or times out for a while.
    const deadline = performance.now() + this.options.joinTimeoutMs;
    await retrying(deadline, () => this.#view.start());
    await retrying(deadline, () => this.#heartbeat());
    this.#followConnection();
    this.#every(this.options.renewEveryMs, () => this.#renewAll());
    this.#every(this.options.pingEveryMs, () => this.#pingMembers());
    this.#requestReconcile();
  }

  /** Live members as this node sees them (itself included while it runs). */
  members(): string[] {
    const names = new Set(this.#view.list(MEMBER_PREFIX).map((e) => e.key.slice(MEMBER_PREFIX.length)));
    if (!this.#leaving) names.add(this.node);
    return [...names].sort();
  }

  /** The node holding a shard's lease as far as this node knows (for routing); undefined while it is free. */
  holderOf(shard: ShardId): string | undefined {
    if (this.#held.has(shard)) return this.node;
    return holder(this.#view.get(shardKey(shard))?.value);
  }

  /** Shards whose lease this node holds (including ones being drained). */
  ownedShards(): ShardId[] {
    return [...this.#held.keys()].sort((a, b) => a - b);
  }

  /** Whether new work for the shard may start here: held, not draining, connected, and inside the local deadline. */
  accepting(shard: ShardId): boolean {
    const held = this.#valid(shard);
    return held !== undefined && !held.draining;
  }

  /**
   * The lease to stamp on an append (its epoch); throws NotOwnerError when this node does not hold the shard
   * or must no longer use it (deadline passed, disconnected). Call it before every use, not once.
   */
  lease(shard: ShardId): ShardLease {
    const held = this.#valid(shard);
    if (!held) throw new NotOwnerError(shard, this.node);
    return { shard, epoch: held.epoch };
  }

  /** The store refused an append with this shard's epoch (a newer owner wrote): drop the shard at once. */
  fence(shard: ShardId): void {
    this.#drop(shard, 'fenced');
  }

  /** A request to `node` got "no responders": check it now instead of waiting for the next ping round. */
  suspect(node: string): Promise<void> {
    return this.#checkMember(node);
  }

  /**
   * Stops renewing, heartbeats, pings and placement, as if the process were paused (fault-injection tests;
   * the ping responder keeps answering, so only the slow path, lease expiry, can move its shards).
   */
  suspend(): void {
    this.#suspended = true;
  }

  /** Leaves the cluster: stops taking work, drains and releases every shard, removes the member entry. */
  async leave(): Promise<void> {
    if (this.#leaving) return;
    this.#leaving = true; // no more placement, pings or heartbeats; renewals go on while shards drain
    await this.#reconciling;
    await this.#kv.delete(memberKey(this.node)).catch((error: unknown) => this.#logger.warn('cluster: could not remove member entry', { error: describe(error) }));
    // Drain under the same cap as hand-offs: leaving must not snapshot every shard at once.
    const queue = [...this.#held.values()];
    const worker = async (): Promise<void> => {
      for (let held = queue.shift(); held; held = queue.shift()) await this.#handOff(held, 'left');
    };
    await Promise.all(Array.from({ length: Math.min(this.options.maxConcurrentHandoffs, queue.length) }, worker));
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#ping?.unsubscribe();
    this.#view.close();
  }

  #valid(shard: ShardId): Held | undefined {
    const held = this.#held.get(shard);
    if (!held || (this.#leaving && !held.draining)) return undefined;
    if (this.#now() >= held.deadline) {
      this.#drop(shard, 'expired');
      return undefined;
    }
    return this.#connected && held.confirmed ? held : undefined;
  }

  #drop(shard: ShardId, reason: LeaseEndReason): void {
    const held = this.#held.get(shard);
    if (!held) return;
    this.#held.delete(shard);
    if (reason === 'taken' || reason === 'expired' || reason === 'fenced') this.stats[reason] += 1;
    this.#logger.info('cluster: shard released', { shard, epoch: held.epoch, reason });
    this.#hooks.onReleased?.({ shard, epoch: held.epoch }, reason);
    this.#requestReconcile();
  }

  #followConnection(): void {
    const follow = async (): Promise<void> => {
      for await (const status of this.#nc.status()) {
        if (status.type === 'disconnect') {
          this.#connected = false;
          for (const held of this.#held.values()) held.confirmed = false;
        }
        if (status.type === 'reconnect') {
          this.#connected = true;
          // A watch whose server died can stall silently; after our own reconnect, do not wait for the watchdog.
          await this.#view.resync().catch((error: unknown) => this.#logger.warn('cluster: resync after reconnect failed', { error: describe(error) }));
          await this.#renewAll();
        }
      }
    };
    follow().catch((error: unknown) => this.#logger.warn('cluster: connection status stream ended', { error: describe(error) }));
  }

  async #heartbeat(): Promise<void> {
    const revision = await this.#kv.put(memberKey(this.node), json({ node: this.node }));
    this.#view.observe(memberKey(this.node), { node: this.node }, revision);
  }

  /** Renews every held lease by CAS (a failed CAS means another node took it) and checks local deadlines. */
  async #renewAll(): Promise<void> {
    if (this.#suspended || this.#closed) return;
    if (!this.#leaving) await this.#heartbeat().catch((error: unknown) => this.#logger.warn('cluster: heartbeat failed', { error: describe(error) }));
    await Promise.all([...this.#held.values()].map((held) => this.#renew(held)));
    this.stats.watchRestarts = this.#view.restarts;
    this.#requestReconcile(); // a backstop for placement changes a missed watch update would hide
  }

  async #renew(held: Held): Promise<void> {
    const sentAt = this.#now();
    try {
      const revision = await this.#kv.update(shardKey(held.shard), json({ node: this.node }), held.revision, this.options.kvTimeoutMs);
      if (this.#held.get(held.shard) !== held) return; // dropped meanwhile
      held.revision = revision;
      held.deadline = sentAt + this.options.leaseTtlMs - this.options.safetyMarginMs;
      held.confirmed = true;
      this.#view.observe(shardKey(held.shard), { node: this.node }, revision);
    } catch (error) {
      if (isWrongRevision(error)) this.#drop(held.shard, 'taken');
      else this.#valid(held.shard); // a failed renew: keep trying, but drop it if the deadline has passed
    }
  }

  #requestReconcile(): void {
    if (this.#reconciling) {
      this.#reconcileAgain = true;
      return;
    }
    this.#reconciling = this.#reconcile()
      .catch((error: unknown) => this.#logger.warn('cluster: placement pass failed', { error: describe(error) }))
      .finally(() => {
        this.#reconciling = undefined;
        if (this.#reconcileAgain) {
          this.#reconcileAgain = false;
          this.#requestReconcile();
        }
      });
  }

  /** One placement pass: take free shards placed here, hand off held ones placed elsewhere (capped). */
  async #reconcile(): Promise<void> {
    if (this.#suspended || this.#leaving || !this.#connected) return;
    const members = this.members();
    const acquisitions: Promise<void>[] = [];
    for (let shard = 0; shard < this.map.shardCount; shard += 1) {
      const desired = this.map.ownerOf(shard, members);
      const held = this.#held.get(shard);
      if (held) {
        if (!held.draining && desired !== this.node && this.#handoffs < this.options.maxConcurrentHandoffs) {
          this.#handoffs += 1;
          this.#handOff(held, 'handoff')
            .finally(() => {
              this.#handoffs -= 1;
              this.#requestReconcile();
            })
            .catch((error: unknown) => this.#logger.warn('cluster: hand-off failed', { shard, error: describe(error) }));
        }
        continue;
      }
      if (desired !== this.node) continue;
      const entry = this.#view.get(shardKey(shard));
      if (!entry) acquisitions.push(this.#acquire(shard, undefined));
      else if (holder(entry.value) === this.node) acquisitions.push(this.#acquire(shard, entry.revision));
      // else: held by another node; it hands off when it sees the placement, or it is found dead or expires.
    }
    await Promise.all(acquisitions);
  }

  /** create when free; CAS from `revision` when the entry is this node's own (a previous incarnation, or a renew whose reply was lost). */
  async #acquire(shard: ShardId, revision: number | undefined): Promise<void> {
    const sentAt = this.#now();
    const value = json({ node: this.node });
    let epoch: number;
    try {
      epoch = revision === undefined ? await this.#kv.create(shardKey(shard), value) : await this.#kv.update(shardKey(shard), value, revision, this.options.kvTimeoutMs);
    } catch (error) {
      if (!isWrongRevision(error)) this.#logger.warn('cluster: acquire failed', { shard, error: describe(error) });
      return; // someone else was faster, or the KV is unavailable: the next pass looks again
    }
    if (this.#leaving) {
      // Taken while leave() started: give it straight back rather than let it linger until the TTL.
      await this.#kv.delete(shardKey(shard), { previousSeq: epoch }).catch(() => undefined); // else it expires by TTL
      return;
    }
    if (this.#held.has(shard)) return;
    this.#held.set(shard, { shard, epoch, revision: epoch, deadline: sentAt + this.options.leaseTtlMs - this.options.safetyMarginMs, draining: false, confirmed: true });
    this.#view.observe(shardKey(shard), { node: this.node }, epoch);
    this.stats.acquired += 1;
    this.#logger.info('cluster: shard acquired', { shard, epoch });
    this.#hooks.onAcquired?.({ shard, epoch });
  }

  async #handOff(held: Held, reason: 'handoff' | 'left'): Promise<void> {
    held.draining = true;
    try {
      await this.#hooks.drain?.({ shard: held.shard, epoch: held.epoch });
    } catch (error) {
      this.#logger.warn('cluster: drain failed; releasing anyway (the next owner replays from the store)', { shard: held.shard, error: describe(error) });
    }
    if (this.#held.get(held.shard) !== held) return; // lost while draining
    this.#held.delete(held.shard);
    try {
      await this.#kv.delete(shardKey(held.shard), { previousSeq: held.revision });
      this.#view.forget(shardKey(held.shard), held.revision);
    } catch (error) {
      // Already taken or expired; the entry is no longer ours either way.
      if (!isWrongRevision(error)) this.#logger.warn('cluster: lease release failed; it expires by TTL', { shard: held.shard, error: describe(error) });
    }
    if (reason === 'handoff') this.stats.handedOff += 1;
    this.#hooks.onReleased?.({ shard: held.shard, epoch: held.epoch }, reason);
  }

  async #pingMembers(): Promise<void> {
    if (this.#suspended || this.#leaving || !this.#connected) return;
    await Promise.all(this.members().filter((m) => m !== this.node).map((m) => this.#checkMember(m)));
  }

  /** Pings a member; if nobody answers on its subject, removes it and releases its leases (CAS on what was seen). */
  async #checkMember(node: string): Promise<void> {
    if (node === this.node || (await this.#liveness(node)) !== 'gone') return;
    this.stats.deadByPing += 1;
    this.#logger.warn('cluster: member has no responders; releasing its shards', { member: node });
    const entries = [this.#view.get(memberKey(node)), ...this.#view.list(SHARD_PREFIX).filter((e) => holder(e.value) === node)];
    await Promise.all(entries.map((entry) => (entry ? this.#deleteDeadEntry(entry.key, entry.revision, node) : undefined)));
    this.#requestReconcile();
  }

  /**
   * Deletes an entry of a member found dead, by CAS. If the revision this node saw is stale (its view lags),
   * reads the entry afresh and, if it is still the dead member's, deletes that revision: the member is proven
   * gone, so the fast path must not wait for the view to catch up.
   */
  async #deleteDeadEntry(key: string, revision: number, node: string): Promise<void> {
    try {
      await this.#kv.delete(key, { previousSeq: revision });
      this.#view.forget(key, revision);
    } catch (error) {
      if (!isWrongRevision(error)) throw error;
      const fresh = await this.#kv.get(key);
      this.#view.observeRead(key, fresh, revision); // our view lagged: correct it, so placement acts now
      if (!fresh || fresh.operation !== 'PUT' || holder(fresh.json()) !== node) return; // taken or released meanwhile
      await this.#kv.delete(key, { previousSeq: fresh.revision }).catch((again: unknown) => {
        if (!isWrongRevision(again)) throw again;
      });
      this.#view.forget(key, fresh.revision);
    }
  }

  async #liveness(node: string): Promise<Liveness> {
    try {
      await this.#nc.request(pingSubject(this.options.world, node), undefined, { timeout: this.options.pingTimeoutMs });
      return 'alive';
    } catch (error) {
      if (error instanceof natsErrors.RequestError && error.isNoResponders()) return 'gone';
      return 'unknown'; // a timeout: paused or slow, not proof of death; the lease TTL decides
    }
  }

  #every(ms: number, task: () => Promise<void>): void {
    every(this.#timers, ms, task, () => this.#closed, (error) => this.#logger.warn('cluster: periodic task failed', { error: describe(error) }));
  }
}

/**
 * Opens (or creates) the world's bucket, retrying for up to `joinTimeoutMs`: a node that starts while
 * JetStream elects a leader (seconds) should wait, not fail. A TTL mismatch fails at once.
 */
async function openBucket(nc: NatsConnection, options: ClusterOptions): Promise<KV> {
  const js = jetstream(nc, { timeout: options.kvTimeoutMs });
  return retrying(performance.now() + options.joinTimeoutMs, async () => {
    const kv = await new Kvm(js).create(clusterBucket(options.world), {
      replicas: options.replicas,
      history: 1,
      ttl: options.leaseTtlMs,
      markerTTL: options.leaseTtlMs,
    });
    const status = await kv.status();
    if (status.ttl !== options.leaseTtlMs) {
      throw new ConfigError(`cluster.leaseTtlMs is ${options.leaseTtlMs} but world ${options.world}'s bucket was created with ${status.ttl}; every node of a world must use the same TTL`);
    }
    return kv;
  });
}

/** Runs `attempt` until it succeeds or the deadline passes (then its last error is thrown); config errors are final. */
async function retrying<T>(deadline: number, attempt: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (isConfigError(error) || performance.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function holder(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const node = (value as { node?: unknown }).node;
  return typeof node === 'string' ? node : undefined;
}

function isWrongRevision(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
