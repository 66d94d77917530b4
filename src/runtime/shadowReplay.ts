import { Counter, type Registry } from 'prom-client';
import type { AggregateRegistry } from '../definition/registry.ts';
import { describe } from '../errors.ts';
import { canonicalJson } from '../eventStore/integrity.ts';
import type { EventStore } from '../eventStore/types.ts';
import type { Clock } from './clock.ts';
import type { Logger } from './logger.ts';

export const SHADOW_DIVERGENCE_METRIC = 'aethyr_shadow_divergence_total';

/** The live actors the sampler looks at (the runtime's supervisor). Never spawns anything. */
export interface LiveAggregates {
  /** Ids of the actors live in memory now. */
  liveIds(): Iterable<string>;
  /** The live state, if the actor is hydrated. */
  peek(id: string): unknown;
}

/** Starts a callback after a delay; returns how to cancel it. Injected so tests drive time themselves. */
export type Schedule = (run: () => void, delayMs: number) => () => void;

export interface ShadowReplayOptions {
  /** Aggregates re-folded per round (default 4). */
  readonly batch?: number;
  /** Wait between rounds, in ms (default 10,000): 4 aggregates every 10 s by default. */
  readonly intervalMs?: number;
}

export interface ShadowDivergence {
  readonly aggregateId: string;
  /** The state refolded from the store and the live one, as canonical JSON. */
  readonly replayed: string;
  readonly live: string;
  /** Clock time it was found. */
  readonly at: number;
}

export interface ShadowReplayStatus {
  readonly checked: number;
  readonly divergences: number;
  /** The most recent divergences (at most 20), for /health. */
  readonly recent: readonly ShadowDivergence[];
  /** Errors reading the store during sampling (not divergences; the next round tries again). */
  readonly errors: number;
}

export interface ShadowReplayEnvironment {
  readonly store: EventStore;
  readonly live: LiveAggregates;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The metrics registry the divergence counter is registered on. */
  readonly registry: Registry;
  /** The hosted kinds: how a stream is re-folded. */
  readonly aggregates: AggregateRegistry;
  /** Default: a timer that keeps no process alive. */
  readonly schedule?: Schedule;
}

const defaultSchedule: Schedule = (run, delayMs) => {
  const timer = setTimeout(run, delayMs);
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * Shadow replay in production: a background sampler that, a few aggregates at a time, re-folds live
 * aggregates from their events in the store and compares the result with the state the live actor
 * holds. "Replay equals live" stops being a test-time property only: any difference (a
 * non-deterministic handler, a fold changed without a machine version bump, memory corrupted,
 * events edited under a running world) is logged with the aggregate id, counted in
 * aethyr_shadow_divergence_total and listed in status() for /health. It reads the store and the live
 * state only: it never writes, never passivates, never spawns an actor. Off the hot path: one round
 * at a time, each re-fold yields to the event loop, and rounds are spaced by the injected schedule.
 */
export class ShadowReplay {
  readonly #env: ShadowReplayEnvironment;
  readonly #batch: number;
  readonly #intervalMs: number;
  readonly #counter: Counter;
  /** When each aggregate was last checked (clock time): the least recently checked go first. */
  readonly #checkedAt = new Map<string, number>();
  #checked = 0;
  #divergences = 0;
  #errors = 0;
  readonly #recent: ShadowDivergence[] = [];
  #cancel: (() => void) | undefined;
  #round: Promise<void> | undefined;
  #stopped = true;

  constructor(env: ShadowReplayEnvironment, options: ShadowReplayOptions = {}) {
    this.#env = env;
    this.#batch = options.batch ?? 4;
    this.#intervalMs = options.intervalMs ?? 10_000;
    const existing = env.registry.getSingleMetric(SHADOW_DIVERGENCE_METRIC);
    this.#counter =
      existing instanceof Counter
        ? existing
        : new Counter({ name: SHADOW_DIVERGENCE_METRIC, help: 'Live aggregates whose state differed from a re-fold of their events (shadow replay)', registers: [env.registry] });
  }

  status(): ShadowReplayStatus {
    return { checked: this.#checked, divergences: this.#divergences, recent: [...this.#recent], errors: this.#errors };
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#next();
  }

  /** Stops sampling; waits for a round in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#cancel?.();
    this.#cancel = undefined;
    await this.#round;
  }

  /** Runs one round now: checks up to `batch` live aggregates, least recently checked first. */
  runOnce(): Promise<void> {
    this.#round ??= this.#sample().finally(() => {
      this.#round = undefined;
    });
    return this.#round;
  }

  #next(): void {
    if (this.#stopped) return;
    this.#cancel = (this.#env.schedule ?? defaultSchedule)(() => {
      this.#cancel = undefined;
      void this.runOnce().then(() => this.#next()); // #sample never rejects
    }, this.#intervalMs);
  }

  async #sample(): Promise<void> {
    const live = [...this.#env.live.liveIds()];
    const liveSet = new Set(live);
    for (const id of this.#checkedAt.keys()) if (!liveSet.has(id)) this.#checkedAt.delete(id);
    const due = live
      .map((id) => [id, this.#checkedAt.get(id) ?? Number.NEGATIVE_INFINITY] as const)
      .sort((a, b) => a[1] - b[1])
      .slice(0, this.#batch);
    for (const [id] of due) {
      await new Promise<void>((resolve) => setImmediate(resolve)); // let commands run between checks
      try {
        await this.#check(id);
      } catch (error) {
        this.#errors++;
        this.#env.logger.warn('shadow replay could not check an aggregate', { aggregateId: id, error: describe(error) });
      }
      this.#checkedAt.set(id, this.#env.clock.now());
    }
  }

  async #check(id: string): Promise<void> {
    const before = this.#liveJson(id);
    if (before === undefined) return;
    const replayed = await this.#refold(id);
    // A command may have committed while we read: only a difference that holds still counts.
    if (replayed === before && this.#liveJson(id) === before) return this.#ok();
    const again = this.#liveJson(id);
    if (again === undefined) return;
    const second = await this.#refold(id);
    if (second === again || this.#liveJson(id) !== again) return this.#ok();
    this.#checked++;
    this.#divergences++;
    this.#counter.inc();
    const divergence = { aggregateId: id, replayed: second ?? 'no events', live: again, at: this.#env.clock.now() };
    this.#recent.push(divergence);
    if (this.#recent.length > 20) this.#recent.shift();
    this.#env.logger.error('SHADOW REPLAY DIVERGENCE: the live state differs from a re-fold of its events', { ...divergence });
  }

  #ok(): void {
    this.#checked++;
  }

  #liveJson(id: string): string | undefined {
    const state = this.#env.live.peek(id);
    return state === undefined ? undefined : canonicalJson(state);
  }

  async #refold(id: string): Promise<string | undefined> {
    const events = await this.#env.store.readStream(id);
    const first = events[0];
    if (!first) return undefined;
    const kind = this.#env.aggregates.kindOfStream(first);
    return canonicalJson(kind.fold(kind.initial(id), events).context);
  }
}
