import type { EventStore, StoredEvent } from '../eventStore/types.ts';

export interface FollowerOptions {
  /** Events read per batch (default 500). */
  readonly batchSize?: number;
  /** Poll interval for commits made by other processes, in ms (default 250). Local commits wake it at once. */
  readonly pollMs?: number;
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

  constructor(
    store: EventStore,
    from: number,
    process: (events: StoredEvent[]) => Promise<number | undefined>,
    options: FollowerOptions = {},
  ) {
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
      while (!this.#paused) {
        const events = await this.#store.readAll({ after: this.#position, limit: this.#batchSize });
        if (events.length === 0) break;
        const reached = await this.#process(events);
        if (reached === undefined) {
          this.#paused = true;
          break;
        }
        this.#position = reached;
      }
    } while (this.#again && !this.#paused);
  }

  /** Stops following; waits for the batch in progress. */
  async stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    if (this.#timer) clearInterval(this.#timer);
    this.#paused = true;
    await this.#running?.catch(() => undefined);
  }
}
