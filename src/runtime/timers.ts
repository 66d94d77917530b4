import type { AnyCommand, AnyEvent } from '../definition/registry.ts';
import { resolveWhen, TIMER_STREAM_PREFIX, timerKind, timerStreamId, type TimerRequest } from '../definition/timers.ts';
import type { AppendPart, AppendResult, EventStore, NewEvent, StoredEvent } from '../eventStore/types.ts';
import { wakeAt, type Clock } from './clock.ts';
import type { Logger } from './logger.ts';

/** A pending timer as the index holds it: due time, the command, and the version of its TimerScheduled. */
export interface PendingTimer {
  readonly streamId: string;
  readonly version: number;
  readonly at: number;
  readonly command: AnyCommand;
}

/** A timer stream's share of an append: its events and the version they expect (`any` for a schedule). */
export interface TimerPart {
  readonly streamId: string;
  readonly events: readonly AnyEvent[];
  readonly expectedVersion: number | 'any';
}

/** Turns the schedules and cancellations one aggregate's decide returned into timer-stream parts. */
export function timerParts(ownerId: string, requests: readonly TimerRequest[], now: number): TimerPart[] {
  return requests.map((request) => ({
    streamId: timerStreamId(ownerId, request.key),
    expectedVersion: 'any',
    events: [
      'command' in request
        ? { type: 'TimerScheduled', data: { ownerId, key: request.key, at: resolveWhen(request, now), command: request.command } }
        : { type: 'TimerCancelled', data: {} },
    ],
  }));
}

/** A timer part as the store takes it, its events enveloped; the timer kind is kept with a new stream's head. */
export const timerAppendPart = (part: TimerPart, events: readonly NewEvent[]): AppendPart => ({
  streamId: part.streamId,
  events,
  options: { expectedVersion: part.expectedVersion },
  kind: timerKind.kind,
});

/**
 * One part per stream, in first-seen order: a timer fired and rescheduled in the same write (a mobile's
 * next wander) is one part, [TimerFired, TimerScheduled], under the firing's exact expected version.
 */
export function mergeParts<P extends { streamId: string; events: readonly unknown[]; options?: AppendPart['options'] }>(parts: readonly P[]): P[] {
  const byStream = new Map<string, P>();
  for (const part of parts) {
    const seen = byStream.get(part.streamId);
    if (!seen) {
      byStream.set(part.streamId, part);
      continue;
    }
    const a = seen.options?.expectedVersion;
    const expectedVersion = typeof a === 'number' ? a : part.options?.expectedVersion;
    byStream.set(part.streamId, { ...seen, events: [...seen.events, ...part.events], options: { expectedVersion } });
  }
  return [...byStream.values()];
}

/** How long a timer whose firing failed (store unavailable) waits before the next try. */
const RETRY_MS = 1000;

/** How the runtime runs a due timer (the command plus the TimerFired, in one atomic append): false if another runtime fired it first. */
export type FireTimer = (timer: PendingTimer) => Promise<boolean>;

/**
 * The runtime's index of pending timers. Built at start from the timer streams alone (listed by their
 * id prefix, one event read each: never a scan of the store), kept current from this runtime's own
 * appends, and woken through the clock at the earliest due time. Firing is serialized: one pass at a
 * time, each taking every timer due by then.
 */
export class TimerService {
  readonly #pending = new Map<string, PendingTimer>();
  readonly #store: EventStore;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #fire: FireTimer;
  #cancelWake: (() => void) | undefined;
  #wakeAt = Number.POSITIVE_INFINITY;
  #pass: Promise<number> = Promise.resolve(0);
  #stopped = false;

  constructor(store: EventStore, clock: Clock, logger: Logger, fire: FireTimer) {
    this.#store = store;
    this.#clock = clock;
    this.#logger = logger;
    this.#fire = fire;
  }

  /** Timers waiting to fire (a copy). */
  get pending(): readonly PendingTimer[] {
    return [...this.#pending.values()];
  }

  /**
   * Reads every timer stream's last event; timers already due (the server was down) fire right after.
   * Passes asked for meanwhile (fireDue) wait for it.
   */
  start(): Promise<void> {
    const started = this.#load();
    this.#pass = started.then(
      () => 0,
      () => 0,
    );
    return started;
  }

  async #load(): Promise<void> {
    for (let after = TIMER_STREAM_PREFIX; ; ) {
      const page = await this.#store.listStreams({ after, limit: 500 });
      const timers = page.filter((s) => s.streamId.startsWith(TIMER_STREAM_PREFIX));
      for (const { streamId, version } of timers) this.#apply(await this.#store.readStream(streamId, { fromVersion: version }));
      if (timers.length < page.length || page.length < 500) break;
      after = (page.at(-1) as { streamId: string }).streamId;
    }
    this.#arm();
  }

  /** Updates the index from a committed append (called by the runtime for each of its writes). */
  noteAppended(results: readonly AppendResult[]): void {
    let touched = false;
    for (const result of results) {
      if (!result.streamId.startsWith(TIMER_STREAM_PREFIX) || result.events.length === 0) continue;
      this.#apply(result.events);
      touched = true;
    }
    if (touched) this.#arm();
  }

  /** Re-reads one timer after a lost race (another runtime fired, cancelled or rescheduled it). */
  async refresh(streamId: string): Promise<void> {
    const version = await this.#store.streamVersion(streamId);
    this.#apply(version === 0 ? [] : await this.#store.readStream(streamId, { fromVersion: version }), streamId);
    this.#arm();
  }

  /** Fires every timer due now; resolves, with how many fired, after a pass that began after this call. */
  fireDue(): Promise<number> {
    const pass = this.#pass.then(() => this.#run());
    this.#pass = pass.catch(() => 0);
    return pass;
  }

  stop(): void {
    this.#stopped = true;
    this.#cancelWake?.();
    this.#cancelWake = undefined;
  }

  /** Waits for the pass in progress (on close). */
  async settled(): Promise<void> {
    await this.#pass;
  }

  async #run(): Promise<number> {
    if (this.#stopped) return 0;
    const now = this.#clock.now();
    const due = [...this.#pending.values()].filter((t) => t.at <= now).sort((a, b) => a.at - b.at);
    let fired = 0;
    for (const timer of due) {
      if (this.#stopped) break;
      // Skip one that changed meanwhile (rescheduled or cancelled by a command in this pass).
      if (this.#pending.get(timer.streamId) !== timer) continue;
      try {
        if (await this.#fire(timer)) fired++;
      } catch (error) {
        // Left pending and tried again a little later (not in a hot loop): the store may be back by then.
        this.#logger.error('timer failed to fire; retrying', { timer: timer.streamId, error: String(error) });
        if (this.#pending.get(timer.streamId) === timer) this.#pending.set(timer.streamId, { ...timer, at: now + RETRY_MS });
      }
    }
    this.#arm();
    return fired;
  }

  /** The last event of a timer stream decides whether it is pending. */
  #apply(events: readonly StoredEvent[], streamId = events[0]?.streamId): void {
    const last = events.at(-1) as { type: string; data: unknown; version: number } | undefined;
    if (!streamId) return;
    if (last?.type === 'TimerScheduled') {
      const data = last.data as { at: number; command: AnyCommand };
      this.#pending.set(streamId, { streamId, version: last.version, at: data.at, command: data.command });
    } else {
      this.#pending.delete(streamId);
    }
  }

  /** One wake-up, at the earliest due time (now, if one is already due). */
  #arm(): void {
    if (this.#stopped) return;
    let earliest = Number.POSITIVE_INFINITY;
    for (const timer of this.#pending.values()) if (timer.at < earliest) earliest = timer.at;
    if (earliest === this.#wakeAt && this.#cancelWake) return;
    this.#cancelWake?.();
    this.#cancelWake = undefined;
    this.#wakeAt = earliest;
    if (earliest === Number.POSITIVE_INFINITY) return;
    const wake = () => {
      this.#cancelWake = undefined;
      this.#wakeAt = Number.POSITIVE_INFINITY;
      this.fireDue().catch((error: unknown) => this.#logger.error('timer pass failed', { error: String(error) }));
    };
    if (earliest <= this.#clock.now()) {
      this.#cancelWake = () => undefined;
      queueMicrotask(wake);
      return;
    }
    this.#cancelWake = wakeAt(this.#clock, earliest, wake);
  }
}
