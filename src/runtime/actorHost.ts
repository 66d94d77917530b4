import { randomUUID } from 'node:crypto';
import {
  actorError,
  aggregateMachines,
  fromPersisted,
  initialState,
  kindOfFirstEvent,
  replay,
  startActor,
  type AggregateActor,
  type FoldState,
} from '../../machines/index.ts';
import type { Command } from '../domain/commands.ts';
import { decide } from '../domain/decide.ts';
import { currentSchemaVersions, type DomainEvent } from '../domain/events.ts';
import type { AggregateKind, AggregateState } from '../domain/state.ts';
import { ActorFailedError, isConcurrencyError, isRuntimeError } from '../errors.ts';
import type { AppendResult, EventMetadata, EventStore, NewEvent, StoredEvent } from '../eventStore/types.ts';
import type { Metrics } from '../metrics/metrics.ts';
import type { Clock } from './clock.ts';
import { eventLimitError, type Limits } from './limits.ts';
import type { Logger } from './logger.ts';

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
  /** Decides commands in order against the current state; throws the first rejection. Stores nothing. */
  decide(commands: readonly Command[]): DomainEvent[];
  /** Applies events that were just stored for this aggregate. */
  commit(result: AppendResult, events: readonly DomainEvent[]): void;
  /** Forgets the hydrated state (after a lost race); the next use reloads it from the store. */
  invalidate(): void;
  release(): void;
}

/** Wraps domain events in the envelope the runtime writes: ids, schema versions, time, metadata. */
export function envelope(events: readonly DomainEvent[], metadata: EventMetadata, clock: Clock): NewEvent[] {
  const occurredAt = new Date(clock.now()).toISOString();
  return events.map(
    (event) => ({ type: event.type, data: event.data, eventId: randomUUID(), schemaVersion: currentSchemaVersions[event.type], occurredAt, metadata }) as NewEvent,
  );
}

/** What every host shares, supplied by the supervisor. */
export interface HostEnvironment {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly snapshotThreshold: number;
  readonly conflictRetries: number;
  /** Checked on each command's events before they are stored (see limits.ts). */
  readonly limits?: Limits;
}

/** A command waiting in a mailbox. */
interface PendingCommand {
  readonly command: Command;
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
  #kind: AggregateKind | undefined;
  #actor: AggregateActor | undefined;
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
    return !this.#loaded || this.#actor !== undefined;
  }

  execute(command: Command, metadata: EventMetadata): Promise<CommandResult> {
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
      const context = this.#actor?.getSnapshot().context as AggregateState | undefined;
      return context && structuredClone(context);
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
    return {
      id: this.id,
      version: this.#version,
      state: () => this.#current()?.context,
      decide: (commands) => {
        const events: DomainEvent[] = [];
        let kind = this.#kind;
        let state = this.#current();
        for (const command of commands) {
          const decision = decide(state?.context, command);
          if (!decision.ok) throw decision.error;
          const first = decision.events[0];
          if (!first) continue;
          kind ??= kindOfFirstEvent(first);
          state = replay(kind, state ?? initialState(kind, this.id), decision.events);
          events.push(...decision.events);
        }
        return events;
      },
      commit: (result, events) => {
        const first = events[0];
        if (!first) return;
        this.#kind ??= kindOfFirstEvent(first);
        this.#actor ??= this.#start(this.#kind, initialState(this.#kind, this.id));
        for (const event of events) this.#actor.send(event);
        this.#version = result.nextExpectedVersion;
      },
      invalidate: () => this.#unload(),
      release,
    };
  }

  /** The live state, if the actor is hydrated; never spawns. */
  peek(): AggregateState | undefined {
    return this.#loaded ? (this.#actor?.getSnapshot().context as AggregateState | undefined) : undefined;
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
      let kind = this.#kind;
      let state = this.#current();
      const accepted: { pending: PendingCommand; events: readonly DomainEvent[] }[] = [];
      const refused: { pending: PendingCommand; error: unknown }[] = [];
      const limit = this.#env.store.maxEventsPerAppend ?? Number.POSITIVE_INFINITY;
      let count = 0;
      let broken = false;
      for (const [index, pending] of batch.entries()) {
        try {
          const decision = decide(state?.context, pending.command);
          if (!decision.ok) {
            refused.push({ pending, error: decision.error });
            continue;
          }
          const tooBig = this.#env.limits && eventLimitError(decision.events, this.#env.limits);
          if (tooBig) {
            refused.push({ pending, error: tooBig });
            continue;
          }
          if (count > 0 && count + decision.events.length > limit) {
            // The store takes no more in one append: the rest wait for the next round, in order.
            this.#requeue(batch.slice(index));
            batch = batch.slice(0, index);
            break;
          }
          count += decision.events.length;
          const first = decision.events[0];
          if (first) {
            const k = kind ?? kindOfFirstEvent(first);
            // Dry-run the handlers: a handler that throws refuses its command before anything is stored.
            state = replay(k, state ?? initialState(k, this.id), decision.events);
            kind = k;
          }
          accepted.push({ pending, events: decision.events });
        } catch (error) {
          broken = true;
          refused.push({ pending, error: this.#failure(error, false) });
        }
      }
      const events = accepted.flatMap((a) => envelope(a.events, a.pending.metadata, this.#env.clock));
      let result: AppendResult | undefined;
      if (events.length > 0 && kind) {
        try {
          result = await this.#env.store.appendToStream(this.id, events, { expectedVersion: this.#version });
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
        this.#kind = kind;
        this.#actor ??= this.#start(kind, initialState(kind, this.id));
        for (const a of accepted) for (const event of a.events) this.#actor.send(event);
        this.#version = result.nextExpectedVersion;
      }
      // Settle in arrival order: each command gets its own slice of the stored events.
      let offset = 0;
      const failed = this.#actor && actorError(this.#actor);
      const failure = failed === undefined ? undefined : this.#failure(failed);
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
        if (failure !== undefined) pending.reject(failure);
        else pending.resolve({ aggregateId: this.id, version: stored.at(-1)?.version ?? this.#version, events: stored });
      }
      if (broken) this.#unload(); // a handler bug: rehydrate from the store on the next message
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
    const { store } = this.#env;
    const saved = await store.loadSnapshot(this.id);
    const usable = saved && saved.machineVersion === aggregateMachines[saved.kind].version ? saved : undefined;
    let kind = usable?.kind;
    const from = usable && fromPersisted(usable.kind, usable.state);
    const fromVersion = (usable?.version ?? 0) + 1;
    const tail = store.readStreamForReplay ? await store.readStreamForReplay(this.id, fromVersion) : await store.readStream(this.id, { fromVersion });
    const first = tail[0];
    if (!kind && first) kind = kindOfFirstEvent(first);
    if (kind) this.#actor = this.#start(kind, replay(kind, from ?? initialState(kind, this.id), tail));
    this.#kind = kind;
    this.#version = tail.at(-1)?.version ?? usable?.version ?? 0;
    this.#snapshotVersion = usable?.version ?? 0;
    this.#loaded = true;
    this.#env.metrics.actorSpawns.inc();
  }

  /** The live actor's state, as a fold starting point. */
  #current(): FoldState | undefined {
    const snapshot = this.#actor?.getSnapshot();
    return snapshot && { value: snapshot.value as string, context: snapshot.context as AggregateState };
  }

  #start(kind: AggregateKind, state: FoldState): AggregateActor {
    return startActor(kind, this.id, state);
  }

  async #maybeSnapshot(): Promise<void> {
    const actor = this.#actor;
    if (!actor || !this.#kind || this.#version - this.#snapshotVersion < this.#env.snapshotThreshold) return;
    const version = this.#version;
    try {
      await this.#env.store.saveSnapshot({
        streamId: this.id,
        version,
        kind: this.#kind,
        machineVersion: aggregateMachines[this.#kind].version,
        state: actor.getPersistedSnapshot(),
        createdAt: new Date(this.#env.clock.now()).toISOString(),
      });
      this.#snapshotVersion = version;
    } catch (error) {
      // A missed snapshot costs replay time, never data: log it and carry on.
      this.#env.logger.warn('snapshot failed', { aggregateId: this.id, version, error: String(error) });
    }
  }

  #unload(): void {
    this.#actor?.stop();
    this.#actor = undefined;
    this.#kind = undefined;
    this.#loaded = false;
    this.#version = 0;
    this.#snapshotVersion = 0;
  }
}
