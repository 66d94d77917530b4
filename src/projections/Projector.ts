import type { Database } from 'better-sqlite3';
import { CorruptEventError, describe, isCorruptEventError } from '../errors.ts';
import type { EventStore, StoredEvent } from '../eventStore/types.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { EventFollower, type FollowerOptions } from './eventFollower.ts';
import { isTransientFailure } from './faults.ts';
import { readCheckpoint, writeCheckpoint } from './projectionDb.ts';

export interface ProjectorStatus {
  readonly name: string;
  /** retrying: a transient failure (disk full, busy, I/O) is being retried with backoff. */
  readonly state: 'running' | 'retrying' | 'failed' | 'stopped';
  /** Last global position applied. */
  readonly position: number;
  /**
   * The event it stopped at, when failed (code CORRUPT_EVENT). Stream, version and type are absent
   * when the stored row could not even be decoded; position is then the first one after the last good.
   */
  readonly failure?: {
    readonly code: 'CORRUPT_EVENT';
    readonly position: number;
    readonly streamId?: string;
    readonly version?: number;
    readonly type?: string;
    readonly error: string;
  };
  /** The transient failure being retried, when retrying. */
  readonly retrying?: { readonly error: string; readonly nextAttemptMs: number };
}

export interface ProjectorOptions extends FollowerOptions {
  readonly name: string;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
}

/**
 * Keeps a read model in step with the store. Each batch is one transaction with the projector's
 * checkpoint, so a crash never applies an event twice or skips one; events at or below the checkpoint
 * (read inside the transaction) are skipped, which also makes a swap by rebuild safe. An event that
 * fails stops the projector right before it: logged, counted, visible in status(), never skipped.
 */
export class Projector {
  readonly #db: Database;
  readonly #store: EventStore;
  readonly #apply: (event: StoredEvent) => void;
  readonly #name: string;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #follower: EventFollower;
  #state: ProjectorStatus['state'] = 'stopped';
  #failure: ProjectorStatus['failure'];
  #retrying: ProjectorStatus['retrying'];

  constructor(store: EventStore, db: Database, apply: (event: StoredEvent) => void, options: ProjectorOptions) {
    this.#db = db;
    this.#store = store;
    this.#apply = apply;
    this.#name = options.name;
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics ?? createMetrics();
    this.#follower = new EventFollower(store, readCheckpoint(db, this.#name), (events) => this.#processBatch(events), options, {
      onTransient: (error, delayMs) => {
        if (this.#state !== 'stopped') this.#state = 'retrying';
        this.#retrying = { error: describe(error), nextAttemptMs: delayMs };
        this.#logger.warn('projector will retry after a transient failure', { projector: this.#name, error: describe(error), delayMs });
      },
      onRecovered: () => {
        if (this.#state === 'retrying') this.#state = 'running';
        this.#retrying = undefined;
        this.#logger.info('projector recovered', { projector: this.#name });
      },
      onFailure: (error, position) => this.#fail(error, position),
    });
  }

  get name(): string {
    return this.#name;
  }

  status(): ProjectorStatus {
    return {
      name: this.#name,
      state: this.#state,
      position: this.#follower.position,
      ...(this.#failure && { failure: this.#failure }),
      ...(this.#retrying && { retrying: this.#retrying }),
    };
  }

  /** Catches up from the checkpoint, then follows new events. */
  start(): void {
    this.#state = 'running';
    this.#follower.start();
  }

  /** Applies everything committed so far (also usable without start()). */
  catchUp(): Promise<void> {
    return this.#follower.catchUp();
  }

  /** After fixing the cause of a failure: try the failed event again. */
  retry(): Promise<void> {
    this.#failure = undefined;
    this.#state = 'running';
    return this.#follower.resume();
  }

  /** Re-reads the checkpoint (after a rebuild swapped the tables). */
  reload(): void {
    this.#follower.position = readCheckpoint(this.#db, this.#name);
  }

  async stop(): Promise<void> {
    await this.#follower.stop();
    if (this.#state === 'running') this.#state = 'stopped';
  }

  #applyAll = (events: readonly StoredEvent[]): number => {
    const done = readCheckpoint(this.#db, this.#name);
    let position = done;
    for (const event of events) {
      if (event.position <= done) continue;
      this.#apply(event);
      position = event.position;
    }
    if (position > done) writeCheckpoint(this.#db, this.#name, position);
    return position;
  };

  async #processBatch(events: StoredEvent[]): Promise<number | undefined> {
    const batch = this.#db.transaction(this.#applyAll);
    try {
      return this.#applied(batch.immediate(events), events.length);
    } catch (error) {
      if (isTransientFailure(error)) throw error; // the follower retries the batch with backoff
      // Find the failing event: apply one at a time, each with its checkpoint, and stop right before it.
      for (const event of events) {
        try {
          batch.immediate([event]);
        } catch (error) {
          if (isTransientFailure(error)) throw error;
          this.#fail(new CorruptEventError({ streamId: event.streamId, version: event.version, position: event.position }, error), event.position - 1, event.type);
          return undefined;
        }
      }
      return this.#applied(readCheckpoint(this.#db, this.#name), events.length);
    }
  }

  /** Stops at a failing event: logged, counted, visible in status() (health 503), never skipped. */
  #fail(error: unknown, position: number, type?: string): void {
    const corrupt = isCorruptEventError(error) ? error : new CorruptEventError({ afterPosition: position }, error);
    const cause = (corrupt as { cause?: unknown }).cause;
    this.#state = 'failed';
    this.#retrying = undefined;
    this.#failure = {
      code: 'CORRUPT_EVENT',
      position: corrupt.position ?? (corrupt.afterPosition ?? position) + 1,
      ...(corrupt.streamId !== undefined && { streamId: corrupt.streamId }),
      ...(corrupt.version !== undefined && { version: corrupt.version }),
      ...(type !== undefined && { type }),
      error: describe(cause ?? corrupt),
    };
    this.#metrics.projectionFailures.inc({ name: this.#name });
    this.#logger.error('projector stopped at an event it could not read or apply', { projector: this.#name, ...this.#failure });
    this.#applied(readCheckpoint(this.#db, this.#name), 0);
  }

  #applied(position: number, count: number): number {
    this.#metrics.projectionPosition.set({ name: this.#name }, position);
    this.#metrics.projectionEvents.inc({ name: this.#name }, count);
    void this.#store.headPosition().then(
      (head) => this.#metrics.projectionLag.set({ name: this.#name }, Math.max(0, head - position)),
      () => undefined,
    );
    return position;
  }
}
