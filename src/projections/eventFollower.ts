import type { EventStore, StoredEvent } from '../eventStore/types.ts';
import { Backoff, isTransientFailure } from './faults.ts';

export interface FollowerOptions {
  /** Events read per batch (default 500). */
  readonly batchSize?: number;
  /** Poll interval for commits made by other processes, in ms (default 250). Local commits wake it at once. */
  readonly pollMs?: number;
  /** First wait after a transient failure (disk full, busy, I/O), doubled up to maxRetryDelayMs (default 1,000). */
  readonly retryDelayMs?: number;
  /** Longest wait between retries of a transient failure, in ms (default 30,000). */
  readonly maxRetryDelayMs?: number;
}

/** What a follower tells its owner about failures it met (it never rejects: nobody would hear it). */
export interface FollowerHooks {
  /** A transient failure; the follower tries again after `delayMs`. */
  onTransient?(error: unknown, delayMs: number): void;
  /** Anything else (a corrupt event, a bug): the follower pauses at `position` until resumed. */
  onFailure?(error: unknown, position: number): void;
  /** A read or batch succeeded after transient failures. */
  onRecovered?(): void;
}

/**
 * Follows the store's global order from a position: wakes on local commits and on a poll timer,
 * reads batches and hands them to `process`, one batch at a time (never two at once). `process`
 * returns the position it got to, or undefined to pause until resumed.
 */
export class EventFollower {
  readonly #store: EventStore;
  readonly #process: (events: StoredEvent[]) => Promise<number | undefined>;
  readonly #batchSize: number;
  readonly #pollMs: number;
  #position: number;
  #paused = false;
  #running: Promise<void> | undefined;
  #again = false;
  #unsubscribe: (() => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #hooks: FollowerHooks;
  readonly #backoff: Backoff;
  #retryTimer: NodeJS.Timeout | undefined;
  #failing = false;
  /** After a read that failed for good: read one event at a time, to stop right before the bad one. */
  #narrowing = false;

  constructor(
    store: EventStore,
    from: number,
    process: (events: StoredEvent[]) => Promise<number | undefined>,
    options: FollowerOptions = {},
    hooks: FollowerHooks = {},
  ) {
    this.#hooks = hooks;
    this.#backoff = new Backoff(options.retryDelayMs ?? 1000, options.maxRetryDelayMs ?? 30_000);
    this.#store = store;
    this.#position = from;
    this.#process = process;
    this.#batchSize = options.batchSize ?? 500;
    this.#pollMs = options.pollMs ?? 250;
  }

  get position(): number {
    return this.#position;
  }

  set position(position: number) {
    this.#position = position;
  }

  get paused(): boolean {
    return this.#paused;
  }

  start(): void {
    if (this.#unsubscribe) return;
    this.#unsubscribe = this.#store.onAppend(() => void this.catchUp());
    this.#timer = setInterval(() => void this.catchUp(), this.#pollMs);
    this.#timer.unref();
    void this.catchUp();
  }

  resume(): Promise<void> {
    this.#paused = false;
    this.#narrowing = false;
    this.#cancelRetry();
    return this.catchUp();
  }

  /** Processes everything committed so far; resolves when caught up (or paused). */
  catchUp(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #loop(): Promise<void> {
    do {
      this.#again = false;
      while (!this.#paused && !this.#retryTimer) {
        try {
          const events = await this.#readBatch();
          if (events === undefined) continue; // narrowing down to the failing event
          if (events.length > 0) {
            const reached = await this.#process(events);
            if (reached === undefined) this.#paused = true;
            else this.#position = reached;
          }
          this.#recovered();
          if (events.length === 0 || this.#paused) break;
        } catch (error) {
          this.#failed(error);
          return;
        }
      }
    } while (this.#again && !this.#paused && !this.#retryTimer);
  }

  /** Reads the next batch; after a read that failed for good, narrows down to the single failing event. */
  async #readBatch(): Promise<StoredEvent[] | undefined> {
    try {
      return await this.#store.readAll({ after: this.#position, limit: this.#narrowing ? 1 : this.#batchSize });
    } catch (error) {
      if (isTransientFailure(error) || this.#narrowing || this.#batchSize === 1) throw error;
      this.#narrowing = true;
      return undefined;
    }
  }

  /** Transient failures wait and try again (new commits and polls do not hammer meanwhile); others pause. */
  #failed(error: unknown): void {
    if (!isTransientFailure(error)) {
      this.#paused = true;
      this.#hooks.onFailure?.(error, this.#position);
      return;
    }
    this.#failing = true;
    const delay = this.#backoff.next();
    this.#hooks.onTransient?.(error, delay);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      void this.catchUp(); // #loop never rejects
    }, delay);
    this.#retryTimer.unref();
  }

  #recovered(): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#backoff.reset();
    this.#hooks.onRecovered?.();
  }

  #cancelRetry(): void {
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** Stops following; waits for the batch in progress. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearInterval(this.#timer);
    this.#cancelRetry();
    this.#paused = true;
    await this.#running?.catch(() => undefined);
  }
}
