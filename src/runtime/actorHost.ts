import { randomUUID } from 'node:crypto';
import type { AggregateRegistry, AnyCommand, AnyEvent, Current, HostedKind } from '../definition/registry.ts';
import { ActorFailedError, isConcurrencyError, isRuntimeError } from '../errors.ts';
import type { AppendPart, AppendResult, EventMetadata, EventStore, NewEvent, Snapshot, StoredEvent } from '../eventStore/types.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Clock } from './clock.ts';
import { persisted } from './persisted.ts';
import { usableSnapshot } from '../pool/replayAggregate.ts';
import { sealSnapshot } from '../eventStore/integrity.ts';
import { eventLimitError, type Limits } from './limits.ts';
import type { Logger } from './logger.ts';
import type { TimerRequest } from '../definition/timers.ts';
import { mergeParts, timerAppendPart, timerParts } from './timers.ts';
import { ReadCache, type ReadAggregateFn } from './reads.ts';
import type { ReadAggregate } from '../definition/reads.ts';

/** An aggregate's state as the runtime hands it out: its machine's context. */
export type AggregateState = unknown;

/** What a command resolves to once its events are durable. */
export interface CommandResult {
  readonly aggregateId: string;
  /** The aggregate's version after the command. */
  readonly version: number;
  readonly events: readonly StoredEvent[];
}

/** Exclusive use of one actor during a multi-aggregate transaction (see Runtime.transaction). */
export interface Lease {
  readonly id: string;
  /** The aggregate's version when the lease began. */
  readonly version: number;
  state(): AggregateState | undefined;
  /** The aggregate's kind once it exists (after decide, also the kind a create command gives it). */
  kind(): string | undefined;
  /** The running state: as the lease began, changed by each command decided so far. */
  running(): Current | undefined;
  /** Decides one command against the running state (reads through `reads`); throws its rejection. Stores nothing. */
  decide(command: AnyCommand, reads: ReadCache): Promise<void>;
  /** The events and timers decided so far. */
  decided(): { events: AnyEvent[]; timers: TimerRequest[] };
  /** Takes the state decide computed, once its events are stored. */
  commit(result: AppendResult): void;
  /** Forgets the hydrated state (after a lost race); the next use reloads it from the store. */
  invalidate(): void;
  release(): void;
}

/** Wraps events in the envelope the runtime writes: ids, schema versions, time, metadata. */
export function envelope(registry: AggregateRegistry, events: readonly AnyEvent[], metadata: EventMetadata, clock: Clock, now = clock.now()): NewEvent[] {
  const occurredAt = new Date(now).toISOString();
  return events.map(
    (event) => ({ type: event.type, data: event.data, eventId: randomUUID(), schemaVersion: registry.schemaVersion(event.type), occurredAt, metadata }) as NewEvent,
  );
}

/** What every host shares, supplied by the supervisor. */
export interface HostEnvironment {
  readonly registry: AggregateRegistry;
  readonly store: EventStore;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly snapshotThreshold: number;
  readonly conflictRetries: number;
  /** Checked on each command's events before they are stored (see limits.ts). */
  readonly limits?: Limits;
  /** Told of every committed append (the timer index follows the timer streams through it). */
  readonly noteAppended: (results: readonly AppendResult[]) => void;
  /** Loads another aggregate that a decide reads (see ReadCache). */
  readonly readAggregate: ReadAggregateFn;
}

/** A command waiting in a mailbox. */
interface PendingCommand {
  readonly command: AnyCommand;
  readonly metadata: EventMetadata;
  readonly resolve: (result: CommandResult) => void;
  readonly reject: (error: unknown) => void;
}
/** Anything else waiting in a mailbox (a state read, a lease). */
interface MailboxJob {
  readonly run: () => Promise<void>;
}

/** At most this many waiting commands are decided together and stored in one append. */
const MAX_COMMANDS_PER_APPEND = 256;

/**
 * One aggregate's live XState actor and its mailbox. Messages run one at a time in arrival order.
 * Commands that are waiting together are decided one after another, each against the state the
 * previous ones left, and their events stored in one append (one fsync), each promise resolving once
 * that append is durable. The actor is hydrated lazily from the latest snapshot plus the events after
 * it; if a handler throws, the actor is dropped and the next message hydrates it again from the store.
 */
export class ActorHost {
  readonly id: string;
  lastActive: number;
  readonly #env: HostEnvironment;
  #queue: (PendingCommand | MailboxJob)[] | undefined;
  #running = false;
  #loaded = false;
  /** The aggregate's kind and state: the one copy, changed only when its events are stored. */
  #current: Current | undefined;
  #version = 0;
  #snapshotVersion = 0;

  readonly #onIdle: (host: ActorHost) => void;

  constructor(id: string, env: HostEnvironment, onIdle: (host: ActorHost) => void = () => {}) {
    this.id = id;
    this.#env = env;
    this.#onIdle = onIdle;
    this.lastActive = env.clock.now();
  }

  /** True while a message is running or waiting: such an actor is never passivated. */
  get busy(): boolean {
    return this.#running || (this.#queue?.length ?? 0) > 0;
  }

  /** False when the aggregate was found not to exist: such a host need not stay live. */
  get exists(): boolean {
    return !this.#loaded || this.#current !== undefined;
  }

  execute(command: AnyCommand, metadata: EventMetadata): Promise<CommandResult> {
    this.lastActive = this.#env.clock.now();
    return new Promise<CommandResult>((resolve, reject) => {
      this.#env.metrics.mailboxDepth.inc();
      (this.#queue ??= []).push({ command, metadata, resolve, reject });
      this.#wake();
    });
  }

  /** The aggregate's current state (a copy), or undefined if it was never created. */
  state(): Promise<AggregateState | undefined> {
    return this.#enqueue(async () => {
      await this.#ensureLoaded();
      const context = this.#current?.state.context;
      return context === undefined ? undefined : structuredClone(context);
    });
  }

  /**
   * Takes this actor's mailbox for a transaction: resolves once every earlier message has run, and
   * holds the mailbox until the lease is released. Leases are always taken in id order, so two
   * transactions never wait for each other in a cycle.
   */
  lease(): Promise<Lease> {
    return new Promise<Lease>((granted, refused) => {
      this.#enqueue(async () => {
        await this.#ensureLoaded();
        await new Promise<void>((release) => granted(this.#lease(release)));
      }).catch(refused);
    });
  }

  #lease(release: () => void): Lease {
    let decided = this.#current;
    const events: AnyEvent[] = [];
    const timers: TimerRequest[] = [];
    return {
      id: this.id,
      version: this.#version,
      state: () => this.#current?.state.context,
      kind: () => decided?.kind.name,
      running: () => decided,
      decide: async (command, reads) => {
        const outcome = await reads.decide(this.id, decided, command);
        if (!outcome.ok) throw outcome.error;
        decided = { kind: outcome.kind, state: outcome.next };
        events.push(...outcome.events);
        timers.push(...outcome.timers);
      },
      decided: () => ({ events, timers }),
      commit: (result) => {
        this.#current = decided;
        this.#version = result.nextExpectedVersion;
      },
      invalidate: () => this.#unload(),
      release,
    };
  }

  /** The live state, if the aggregate is loaded; never loads it. */
  peek(): AggregateState | undefined {
    return this.#loaded ? this.#current?.state.context : undefined;
  }

  /**
   * The committed state with its version, for another aggregate's read set, if loaded (null when not):
   * never waits for the mailbox, so two aggregates reading each other cannot deadlock.
   */
  peekRead(): ReadAggregate | undefined | null {
    if (!this.#loaded) return null;
    const current = this.#current;
    return current && { id: this.id, kind: current.kind.name, version: this.#version, state: current.state.context };
  }

  /** The loaded aggregate's kind name, if any (for rebuild reports). */
  get kind(): string | undefined {
    return this.#current?.kind.name;
  }

  /** Stops the live actor; the host must be idle. The next message would hydrate it again. */
  stop(): void {
    this.#unload();
  }

  #enqueue<T>(job: () => Promise<T>): Promise<T> {
    this.lastActive = this.#env.clock.now();
    return new Promise<T>((resolve, reject) => {
      this.#env.metrics.mailboxDepth.inc();
      (this.#queue ??= []).push({
        run: async () => {
          try {
            resolve(await job());
          } catch (error) {
            reject(this.#failure(error));
          }
        },
      });
      this.#wake();
    });
  }

  /** Starts the mailbox after the current turn, so what is sent together is decided together. */
  #wake(): void {
    if (this.#running) return;
    this.#running = true;
    queueMicrotask(() => void this.#drain());
  }

  async #drain(): Promise<void> {
    for (let next = this.#queue?.[0]; next; next = this.#queue?.[0]) {
      if ('run' in next) {
        this.#queue?.shift();
        this.#env.metrics.mailboxDepth.dec();
        await next.run();
        continue;
      }
      const batch: PendingCommand[] = [];
      while (batch.length < MAX_COMMANDS_PER_APPEND && this.#queue?.[0] && !('run' in this.#queue[0])) batch.push(this.#queue.shift() as PendingCommand);
      this.#env.metrics.mailboxDepth.dec(batch.length);
      await this.#executeBatch(batch);
      await this.#maybeSnapshot();
    }
    this.#queue = undefined; // an idle actor keeps no mailbox array
    this.#running = false;
    this.lastActive = this.#env.clock.now();
    this.#onIdle(this);
  }

  /** Typed errors pass through; anything else is a handler bug: stop the actor and say so. */
  #failure(error: unknown, unload = true): unknown {
    if (isRuntimeError(error)) return error;
    this.#env.metrics.actorFailures.inc();
    this.#env.logger.error('actor failed; it will respawn from the store', { aggregateId: this.id, error: String(error) });
    if (unload) this.#unload();
    return new ActorFailedError(this.id, error);
  }

  /** Decides waiting commands in order and stores all their events in one append; settles each. */
  async #executeBatch(all: readonly PendingCommand[]): Promise<void> {
    let batch = all;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.#ensureLoaded();
      } catch (error) {
        const failure = this.#failure(error);
        for (const p of batch) p.reject(failure);
        return;
      }
      let current = this.#current;
      // Reads of this aggregate see the batch's running state; others are loaded (fresh from the store after a lost race).
      const fresh = attempt > 0;
      const reads = new ReadCache(this.#env.registry, (id) => this.#env.readAggregate(id, fresh), (id) => (id === this.id ? { current, version: this.#version } : undefined));
      const accepted: { pending: PendingCommand; events: readonly AnyEvent[]; timers: readonly TimerRequest[] }[] = [];
      const refused: { pending: PendingCommand; error: unknown }[] = [];
      const limit = this.#env.store.maxEventsPerAppend ?? Number.POSITIVE_INFINITY;
      let count = 0;
      for (const [index, pending] of batch.entries()) {
        try {
          // Decide, validate and apply once: a handler that throws refuses its command before anything is stored.
          const decided = reads.decide(this.id, current, pending.command);
          const outcome = decided instanceof Promise ? await decided : decided;
          if (!outcome.ok) {
            refused.push({ pending, error: outcome.error });
            continue;
          }
          const tooBig = this.#env.limits && eventLimitError(outcome.events, this.#env.limits);
          if (tooBig) {
            refused.push({ pending, error: tooBig });
            continue;
          }
          if (count > 0 && count + outcome.events.length > limit) {
            // The store takes no more in one append: the rest wait for the next round, in order.
            this.#requeue(batch.slice(index));
            batch = batch.slice(0, index);
            break;
          }
          count += outcome.events.length;
          current = { kind: outcome.kind, state: outcome.next };
          accepted.push({ pending, events: outcome.events, timers: outcome.timers });
        } catch (error) {
          refused.push({ pending, error: this.#failure(error, false) });
        }
      }
      const now = this.#env.clock.now();
      const events = accepted.flatMap((a) => envelope(this.#env.registry, a.events, a.pending.metadata, this.#env.clock, now));
      const timers = accepted.flatMap((a) =>
        timerParts(this.id, a.timers, now).map((t) => timerAppendPart(t, envelope(this.#env.registry, t.events, a.pending.metadata, this.#env.clock, now))),
      );
      // What decide read of other aggregates: conditions checked in the same store transaction.
      const conditions = events.length > 0 || timers.length > 0 ? reads.conditions(new Set([this.id])) : [];
      let result: AppendResult | undefined;
      if ((events.length > 0 || timers.length > 0) && current) {
        try {
          if (timers.length === 0 && conditions.length === 0) {
            result = await this.#env.store.appendToStream(this.id, events, { expectedVersion: this.#version, ...kindOption(this.#current, current.kind) });
            this.#env.noteAppended([result]);
          } else {
            // Timers are stored with the events that schedule them, atomically: a schedule is never half-made.
            const own: AppendPart = { streamId: this.id, events, options: { expectedVersion: this.#version }, ...(events.length > 0 ? kindOption(this.#current, current.kind) : {}) };
            const results = await this.#env.store.appendMany(mergeParts([own, ...timers, ...conditions]));
            result = results[0] as AppendResult;
            this.#env.noteAppended(results);
          }
        } catch (error) {
          // Another writer got there first: catch up from the store and decide everything again.
          if (isConcurrencyError(error) && attempt < this.#env.conflictRetries) {
            this.#unload();
            this.#unqueue(all.length - batch.length); // they are decided again with the batch
            batch = all;
            continue;
          }
          for (const a of accepted) a.pending.reject(error);
          for (const r of refused) r.pending.reject(r.error);
          return;
        }
        // The state decide computed is the state: nothing is applied a second time after the append.
        this.#current = current;
        this.#version = result.nextExpectedVersion;
      }
      // Settle in arrival order: each command gets its own slice of the stored events.
      let offset = 0;
      const refusals = new Map(refused.map((r) => [r.pending, r.error]));
      const counts = new Map(accepted.map((x) => [x.pending, x.events.length]));
      for (const pending of batch) {
        const count = counts.get(pending);
        if (count === undefined) {
          pending.reject(refusals.get(pending));
          continue;
        }
        const stored = result ? result.events.slice(offset, offset + count) : [];
        offset += count;
        pending.resolve({ aggregateId: this.id, version: stored.at(-1)?.version ?? this.#version, events: stored });
      }
      return;
    }
  }

  /** Puts commands back at the head of the mailbox, in their order. */
  #requeue(pending: readonly PendingCommand[]): void {
    (this.#queue ??= []).unshift(...pending);
    this.#env.metrics.mailboxDepth.inc(pending.length);
  }

  /** Takes back the last #requeue of `count` commands (when the whole batch is decided again). */
  #unqueue(count: number): void {
    if (count === 0) return;
    this.#queue?.splice(0, count);
    this.#env.metrics.mailboxDepth.dec(count);
  }

  async #ensureLoaded(): Promise<void> {
    if (this.#loaded) return;
    const { store, registry } = this.#env;
    const saved = await store.loadSnapshot(this.id);
    const usable = saved ? this.#usableSnapshot(saved) : undefined;
    const fromVersion = (usable?.version ?? 0) + 1;
    const tail = store.readStreamForReplay ? await store.readStreamForReplay(this.id, fromVersion) : await store.readStream(this.id, { fromVersion });
    const first = tail[0];
    const kind = usable?.kind ?? (first && registry.kindOfStream(first, (await store.streamHead(this.id))?.kind));
    this.#current = kind && { kind, state: kind.fold(usable?.state ?? kind.initial(this.id), tail) };
    this.#version = tail.at(-1)?.version ?? usable?.version ?? 0;
    this.#snapshotVersion = usable?.version ?? 0;
    this.#loaded = true;
    this.#env.metrics.actorSpawns.inc();
  }

  /**
   * A snapshot is used only if its kind is hosted, it was made by the same machine (fingerprint or
   * manual version), and its state parses as one of the kind's states. A forged or malformed one is
   * refused, logged and counted, and the aggregate replayed from its events instead.
   */
  #usableSnapshot(saved: Snapshot): ReturnType<typeof usableSnapshot> {
    const usable = usableSnapshot(this.#env.registry, saved);
    const kind = this.#env.registry.kinds.get(saved.kind);
    if (!usable && kind && saved.machineVersion === kind.snapshotVersion) {
      // Same machine, yet the state does not parse: forged or damaged. Count it and replay instead.
      this.#env.metrics.snapshotsRefused.inc();
      this.#env.logger.warn('snapshot refused; replaying from events', { aggregateId: this.id, version: saved.version });
    }
    return usable;
  }

  async #maybeSnapshot(): Promise<void> {
    const current = this.#current;
    if (!current || this.#version - this.#snapshotVersion < this.#env.snapshotThreshold) return;
    const version = this.#version;
    try {
      await this.#env.store.saveSnapshot(
        sealSnapshot({
          streamId: this.id,
          version,
          kind: current.kind.name as Snapshot['kind'],
          machineVersion: current.kind.snapshotVersion,
          state: persisted(current.state),
          createdAt: new Date(this.#env.clock.now()).toISOString(),
        }),
      );
      this.#snapshotVersion = version;
    } catch (error) {
      // A missed snapshot costs replay time, never data: log it and carry on.
      this.#env.logger.warn('snapshot failed', { aggregateId: this.id, version, error: String(error) });
    }
  }

  #unload(): void {
    this.#current = undefined;
    this.#loaded = false;
    this.#version = 0;
    this.#snapshotVersion = 0;
  }
}

/** The kind a creating append carries (AppendPart.kind in CONTRACT.md): set only when the stream is new. */
function kindOption(before: Current | undefined, kind: HostedKind): { kind?: string } {
  return before ? {} : { kind: kind.name };
}
