import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { z } from 'zod';
import type { AnyAggregateDefinition } from '../definition/define.ts';
import { AggregateRegistry, type AnyCommand } from '../definition/registry.ts';
import { ClosedError, ConfigError, isConcurrencyError, NotFoundError, ValidationError } from '../errors.ts';
import { createStore, type StoreOptions } from '../config/stores.ts';
import type { AppendPart, AppendResult, EventMetadata, EventStore, StoredEvent, StoreStats } from '../eventStore/types.ts';
import { createMetrics, declareCommandLabels, type Metrics } from '../metrics/metrics.ts';
import { envelope, type CommandResult, type Lease } from './actorHost.ts';
import { storeCodecsOf } from '../definition/upcasters.ts';
import { checkCommand, checkCommands, checkId, checkMetadata, checkPointInTime, commandTypeLabel } from './arguments.ts';
import { systemClock, type Clock } from './clock.ts';
import { eventLimitError, resolveLimits, type Limits } from './limits.ts';
import { stderrLogger, type Logger } from './logger.ts';
import { ShadowReplay, type Schedule, type ShadowReplayOptions, type ShadowReplayStatus } from './shadowReplay.ts';
import { rebuildWorldState, type WorldRebuildOptions, type WorldRebuildReport } from './rebuildWorldState.ts';
import { Supervisor } from './supervisor.ts';
import { mergeParts, TimerService, timerAppendPart, timerParts, type PendingTimer, type TimerPart } from './timers.ts';
import { worldAt, type WorldCut, type WorldEntry } from './worldAt.ts';
import { loadAggregate, ReadCache } from './reads.ts';
import { CommittedEvents, type RuntimeEvents } from './committedEvents.ts';
import type { ReadAggregate } from '../definition/reads.ts';

export type { SqliteStoreOptions, PostgresStoreOptions } from '../config/stores.ts';

export interface RuntimeOptions {
  /** The kinds this runtime hosts (see defineAggregate); checked here, a DefinitionError names what is wrong. */
  readonly aggregates: readonly AnyAggregateDefinition[];
  /** Store settings, or an open EventStore (closed by the runtime only if `closeStore` is true). */
  readonly store: StoreOptions | EventStore;
  readonly closeStore?: boolean;
  /** Snapshot an aggregate every this many events (default 100). */
  readonly snapshotThreshold?: number;
  /** Passivate actors idle this long, in ms (default 5 minutes). */
  readonly idleTimeoutMs?: number;
  /** Cap on live actors; least recently used idle ones are passivated beyond it (default 100,000). */
  readonly maxLiveActors?: number;
  /** How often a command is re-decided after losing a race to another writer (default 3). */
  readonly conflictRetries?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** The prom-client registry to register metrics on (default: a fresh one, see Runtime.metrics). */
  readonly registry?: Registry;
  /** Metrics already created (shared with a store opened beforehand); overrides `registry`. */
  readonly metrics?: Metrics;
  /** JSON depth and size limits on commands and events (see limits.ts; defaults: 64 levels, 1 MiB an event, 4 MiB a command). */
  readonly limits?: Partial<Limits>;
  /** Background re-fold of live aggregates compared with their live state (see shadowReplay.ts); false turns it off. */
  readonly shadowReplay?: (ShadowReplayOptions & { readonly schedule?: Schedule }) | false;
}

/** A handle to one aggregate's actor. */
export interface ActorRef<C extends AnyCommand = AnyCommand> {
  readonly id: string;
  send(command: C, metadata?: Partial<EventMetadata>): Promise<CommandResult>;
}

export interface RuntimeStats extends StoreStats {
  readonly liveActors: number;
}

/** A running game world: `S` is the state of its aggregates, `C` its commands. */
// biome-ignore lint: `any` by default so callers that know their world's state type need no casts
export interface Runtime<S = any, C extends AnyCommand = AnyCommand> {
  /** Validates and runs a command on its target aggregate; resolves once its events are durable. */
  execute(command: C, metadata?: Partial<EventMetadata>): Promise<CommandResult>;
  ref(id: string): ActorRef<C>;
  /**
   * Runs commands on several aggregates as one: all are decided against current state and their
   * events stored in one atomic append, or nothing is (a rejection, or a lost race retried and lost
   * again). For changes that must never be half-done, like an item changing hands. `options.name`
   * labels it in metrics (`aethyr_commands_total{type="give"}`; default `transaction`): a short
   * lower_snake_case word from the game's code, never player text.
   */
  transaction(commands: readonly C[], metadata?: Partial<EventMetadata>, options?: TransactionOptions): Promise<CommandResult[]>;
  /** Current state, or undefined if the aggregate was never created. */
  state(id: string): Promise<S | undefined>;
  history(id: string): Promise<StoredEvent[]>;
  /** State as it was after a version, or at a time; undefined before the aggregate was created. */
  stateAt(id: string, at: { readonly version: number } | { readonly time: string | Date }): Promise<S | undefined>;
  /**
   * Every aggregate's state at one global position (or time): a consistent cut that never splits a
   * transaction, streamed one aggregate at a time.
   */
  worldAt(at: WorldCut): AsyncIterable<WorldEntry>;
  stats(): Promise<RuntimeStats>;
  /** Passivates actors idle longer than the idle timeout now (it also runs on a timer). */
  passivateIdle(): number;
  /**
   * Replays every aggregate from the store, reports any whose snapshot or live actor differs from its
   * replay, and writes fresh snapshots. Pass a WorkerPool to replay a SQLite store in parallel.
   */
  rebuildWorldState(options?: WorldRebuildOptions): Promise<WorldRebuildReport>;
  readonly store: EventStore;
  /** The kinds this runtime hosts, with command parsing, routing and the codec for its store. */
  readonly aggregates: AggregateRegistry;
  readonly metrics: Registry;
  /** Shadow replay's counts and recent divergences (for /health); undefined when turned off. */
  shadowReplay(): ShadowReplayStatus | undefined;
  /**
   * Durable timers (`schedule()` in decide). The runtime fires them through its clock; `fireDue()`
   * runs a pass now and resolves once every timer due by then has fired (tests await it after
   * advancing a SimulatedClock). `ready` resolves once the pending timers are loaded at start.
   */
  readonly timers: { pending(): readonly PendingTimer[]; fireDue(): Promise<number>; readonly ready: Promise<void> };
  /**
   * Game code following committed events of any aggregate (`runtime.events.subscribe({ types:
   * ['MobileWandered'] }, handler)`): in process, in commit order, after durability. See RuntimeEvents.
   */
  readonly events: RuntimeEvents;
  /** Finishes in-flight commands, stops the actors and closes the store it opened. */
  close(): Promise<void>;
}

const metadataSchema = z.strictObject({
  correlationId: z.string().min(1).max(200).optional(),
  causationId: z.string().min(1).max(200).nullable().optional(),
  actorId: z.string().min(1).max(200).nullable().optional(),
});

const isEventStore = (store: RuntimeOptions['store']): store is EventStore => 'appendToStream' in store;

/** Starts a runtime over the configured store. */
export function createRuntime(options: RuntimeOptions): Runtime {
  const registry = new AggregateRegistry(options.aggregates);
  const metrics = options.metrics ?? createMetrics(options.registry);
  declareCommandLabels(metrics, registry.commandTypes);
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? stderrLogger;
  const ownsStore = options.closeStore ?? !isEventStore(options.store);
  const store = isEventStore(options.store) ? options.store : createStore(options.store, metrics, storeCodecsOf(registry));
  const idleTimeoutMs = options.idleTimeoutMs ?? 300_000;
  const limits = resolveLimits(options.limits);
  const supervisor = new Supervisor(
    {
      registry,
      store,
      clock,
      metrics,
      logger,
      snapshotThreshold: positive('snapshotThreshold', options.snapshotThreshold ?? 100),
      conflictRetries: options.conflictRetries ?? 3,
      limits,
      noteAppended: (results) => committed(results),
      readAggregate: (id, fresh) => readAggregate(id, fresh),
    },
    { idleTimeoutMs: positive('idleTimeoutMs', idleTimeoutMs), maxLiveActors: positive('maxLiveActors', options.maxLiveActors ?? 100_000) },
  );
  const shadowOptions = options.shadowReplay;
  const shadow = shadowOptions === false ? undefined : new ShadowReplay({ store, live: supervisor, clock, logger, registry: metrics.registry, aggregates: registry, ...(shadowOptions?.schedule && { schedule: shadowOptions.schedule }) }, shadowOptions);
  shadow?.start();
  const timers = new TimerService(store, clock, logger, fireTimer);
  const events = new CommittedEvents(logger);
  /** Every append this runtime commits: the timer index follows it, then subscribers hear of it. */
  const committed = (results: readonly AppendResult[]): void => {
    timers.noteAppended(results);
    events.publish(results);
  };
  const timersReady = timers.start();
  timersReady.catch((error: unknown) => logger.error('durable timers could not be loaded', { error: String(error) }));
  const sweep = setInterval(() => supervisor.passivateIdle(), Math.min(Math.max(idleTimeoutMs / 2, 10), 30_000));
  sweep.unref();
  let closed = false;

  const assertOpen = () => {
    if (closed) throw new ClosedError('runtime');
  };

  /**
   * Decides commands on their aggregates and stores their events, their timers and `extra` (a firing
   * timer's TimerFired) in one atomic append. A lost race is decided again, unless an `extra` stream
   * moved: then the caller's premise is gone and the ConcurrencyError is its answer.
   */
  async function runTransaction(commands: AnyCommand[], metadata: EventMetadata, extra: readonly TimerPart[] = []): Promise<CommandResult[]> {
    const ids = [...new Set(commands.map((c) => c.id))].sort();
    for (let attempt = 0; ; attempt++) {
      const leases: Lease[] = [];
      try {
        for (const id of ids) leases.push(await supervisor.host(id).lease());
        // Commands are decided in the order given, each seeing the transaction's earlier ones (also through reads).
        const byId = new Map(leases.map((lease) => [lease.id, lease]));
        const fresh = attempt > 0;
        const reads = new ReadCache(registry, (id) => readAggregate(id, fresh), (id) => {
          const lease = byId.get(id);
          return lease && { current: lease.running(), version: lease.version };
        });
        for (const command of commands) await (byId.get(command.id) as Lease).decide(command, reads);
        const planned = leases.map((lease) => ({ lease, ...lease.decided() }));
        const parts = planned.filter((p) => p.events.length > 0);
        const tooBig = eventLimitError(parts.flatMap((p) => p.events), limits);
        if (tooBig) throw tooBig;
        // One time for the whole write: with the shared correlation id it marks the write's extent (worldAt).
        const now = clock.now();
        const timerAppends = [...extra, ...planned.flatMap((p) => timerParts(p.lease.id, p.timers, now))].map((t) => timerAppend(t, metadata, now));
        const stored = await store.appendMany(
          mergeParts([
            ...parts.map((p) => ({
              streamId: p.lease.id,
              events: envelope(registry, p.events, metadata, clock, now),
              options: { expectedVersion: p.lease.version as number | 'any' },
              ...(p.lease.version === 0 && { kind: p.lease.kind() }),
            })),
            ...timerAppends,
            // What decide read of aggregates this write does not change: they must still be as read.
            ...reads.conditions(new Set(parts.map((p) => p.lease.id))),
          ]),
        );
        parts.forEach((p, i) => p.lease.commit(stored[i] as AppendResult));
        committed(stored);
        return stored.slice(0, parts.length).map((r) => ({ aggregateId: r.streamId, version: r.nextExpectedVersion, events: r.events }));
      } catch (error) {
        if (isConcurrencyError(error) && attempt < (options.conflictRetries ?? 3) && !(await extraMoved(extra))) {
          for (const lease of leases) lease.invalidate();
          continue;
        }
        throw error;
      } finally {
        for (const lease of leases) lease.release();
      }
    }
  }

  /** Another aggregate for a read set: the live actor's committed state when loaded (unless `fresh`), else the store's. */
  async function readAggregate(id: string, fresh: boolean): Promise<ReadAggregate | undefined> {
    if (!fresh) {
      const live = supervisor.peekRead(id);
      if (live !== null) return live;
    }
    return loadAggregate(registry, store, id);
  }

  const timerAppend = (t: TimerPart, metadata: EventMetadata, now: number): AppendPart => timerAppendPart(t, envelope(registry, t.events, metadata, clock, now));

  async function extraMoved(extra: readonly TimerPart[]): Promise<boolean> {
    for (const part of extra) if (typeof part.expectedVersion === 'number' && (await store.streamVersion(part.streamId)) !== part.expectedVersion) return true;
    return false;
  }

  /**
   * Fires one due timer: its command and a TimerFired are stored in one append that expects the
   * TimerScheduled to be the timer stream's last event, so of several runtimes sharing the store only
   * one fires it; the others' append fails and they re-read the timer. The command's metadata carries
   * the schedule's id (`<timer stream>@<version>`) as correlation and causation. A refused command
   * (its target deleted, say) spends the schedule all the same, with the refusal as the outcome.
   */
  async function fireTimer(timer: PendingTimer): Promise<boolean> {
    const scheduleId = `${timer.streamId}@${timer.version}`;
    const metadata: EventMetadata = { correlationId: scheduleId, causationId: scheduleId, actorId: null };
    const fired = (outcome: string): TimerPart => ({
      streamId: timer.streamId,
      events: [{ type: 'TimerFired', data: { scheduled: timer.version, outcome } }],
      expectedVersion: timer.version,
    });
    try {
      try {
        await runTransaction([registry.parseCommand(timer.command)], metadata, [fired('ok')]);
        metrics.commands.inc({ type: timer.command.type, outcome: 'ok' });
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        if (code !== 'REJECTED' && code !== 'NOT_FOUND' && code !== 'VALIDATION') throw error;
        const reason = (error as { reason?: string }).reason ?? String(code);
        logger.warn('timer fired; its command was refused', { timer: timer.streamId, command: timer.command.type, reason });
        committed(await store.appendMany([timerAppend(fired(reason.slice(0, 64)), metadata, clock.now())]));
      }
      return true;
    } catch (error) {
      if (!isConcurrencyError(error)) throw error;
      await timers.refresh(timer.streamId); // another runtime fired, cancelled or rescheduled it first
      return false;
    }
  }

  async function send(input: AnyCommand, metadata: Partial<EventMetadata> | undefined, target?: { readonly id: unknown }): Promise<CommandResult> {
    const end = metrics.commandDuration.startTimer();
    // Label by type only for known types: arbitrary input must not create unbounded label values.
    const typeLabel = commandTypeLabel(input, (type) => registry.declares(type));
    try {
      assertOpen();
      const expectedId = target && checkId(target.id);
      const command = registry.parseCommand(checkCommand(input, limits));
      if (expectedId !== undefined && command.id !== expectedId) {
        throw new ValidationError(`command targets ${command.id} but was sent to ${expectedId}`, [
          { path: 'id', message: `must be ${expectedId}` },
        ]);
      }
      const meta = parseMetadata(checkMetadata(metadata));
      const result = await supervisor.host(command.id).execute(command, meta);
      metrics.commands.inc({ type: command.type, outcome: 'ok' });
      end({ type: command.type });
      return result;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      metrics.commands.inc({ type: typeLabel, outcome: typeof code === 'string' ? code.toLowerCase() : 'error' });
      throw error;
    }
  }

  return {
    store,
    aggregates: registry,
    metrics: metrics.registry,
    timers: { pending: () => timers.pending, fireDue: () => timers.fireDue(), ready: timersReady },
    events: { subscribe: (filter, handler) => events.subscribe(filter, handler) },
    execute: (command, metadata) => send(command, metadata),
    ref: (id) => ({ id, send: (command, metadata) => send(command, metadata, { id }) }),
    async transaction(input, metadata, transactionOptions) {
      assertOpen();
      const type = transactionName(transactionOptions);
      const end = metrics.commandDuration.startTimer({ type });
      try {
        const commands = checkCommands(input, limits).map((c) => registry.parseCommand(c));
        const results = await runTransaction(commands, parseMetadata(checkMetadata(metadata)));
        metrics.commands.inc({ type, outcome: 'ok' });
        return results;
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        metrics.commands.inc({ type, outcome: typeof code === 'string' ? code.toLowerCase() : 'error' });
        throw error;
      } finally {
        end();
      }
    },
    async state(id) {
      assertOpen();
      return supervisor.host(checkId(id)).state();
    },
    async history(id) {
      assertOpen();
      return store.readStream(checkId(id));
    },
    async stateAt(id, input) {
      assertOpen();
      checkId(id);
      const at = checkPointInTime(input);
      const events = 'version' in at ? await store.readStream(id, { toVersion: at.version }) : await store.readStream(id);
      const first = events[0];
      if (!first) {
        if ((await store.streamVersion(id)) === 0) throw new NotFoundError(id);
        return undefined;
      }
      const until = 'time' in at ? at.time.getTime() : Number.POSITIVE_INFINITY;
      const upTo = events.filter((e) => Date.parse(e.occurredAt) <= until);
      if (upTo.length === 0) return undefined;
      const kind = registry.kindOfStream(first, (await store.streamHead(id))?.kind);
      return kind.fold(kind.initial(id), upTo).context;
    },
    worldAt(at) {
      assertOpen();
      return worldAt(registry, store, at);
    },
    async stats() {
      assertOpen();
      return { ...(await store.stats()), liveActors: supervisor.liveActors };
    },
    passivateIdle: () => supervisor.passivateIdle(),
    shadowReplay: () => shadow?.status(),
    async rebuildWorldState(rebuildOptions) {
      assertOpen();
      return rebuildWorldState(registry, store, supervisor, rebuildOptions);
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(sweep);
      await shadow?.stop();
      timers.stop();
      await timers.settled();
      await supervisor.drain();
      supervisor.stopAll();
      events.clear();
      if (ownsStore) await store.close();
    },
  };
}


function parseMetadata(input: unknown): EventMetadata {
  const result = metadataSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = result.error.issues.map((i) => ({ path: `metadata.${i.path.join('.')}`, message: i.message }));
    throw new ValidationError(`invalid metadata: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`, issues);
  }
  return {
    correlationId: result.data.correlationId ?? randomUUID(),
    causationId: result.data.causationId ?? null,
    actorId: result.data.actorId ?? null,
  };
}

/** How a transaction is named in metrics. */
export interface TransactionOptions {
  /** A short lower_snake_case word (`give`, `dig`); default `transaction`. */
  readonly name?: string;
}

const TRANSACTION_NAME = /^[a-z][a-z0-9_]{0,39}$/;

/** The metrics label of a transaction: a bounded word from code, so labels cannot grow without bound. */
function transactionName(options: TransactionOptions | undefined): string {
  const name: unknown = options?.name;
  if (name === undefined) return 'transaction';
  if (typeof name !== 'string' || !TRANSACTION_NAME.test(name)) {
    throw new ValidationError('transaction name must be a lower_snake_case word of at most 40 characters', [{ path: 'options.name', message: 'invalid' }]);
  }
  return name;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value <= 0) throw new ConfigError(`${name} must be a positive integer, got ${value}`);
  return value;
}

