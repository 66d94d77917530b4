import type { Database } from 'better-sqlite3';
import { describe } from '../errors.ts';
import type { EventStore, StoredEvent } from '../eventStore/types.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { EventFollower, type FollowerOptions } from './eventFollower.ts';
import { readCheckpoint, writeCheckpoint } from './projectionDb.ts';

export interface ProjectorStatus {
  readonly name: string;
  readonly state: 'running' | 'failed' | 'stopped';
  /** Last global position applied. */
  readonly position: number;
  /** The event it stopped at, when failed. */
  readonly failure?: { readonly position: number; readonly streamId: string; readonly type: string; readonly error: string };
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

  constructor(store: EventStore, db: Database, apply: (event: StoredEvent) => void, options: ProjectorOptions) {
    this.#db = db;
    this.#store = store;
    this.#apply = apply;
    this.#name = options.name;
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics ?? createMetrics();
    this.#follower = new EventFollower(store, readCheckpoint(db, this.#name), (events) => this.#processBatch(events), options);
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
    } catch {
      // Find the failing event: apply one at a time, each with its checkpoint, and stop right before it.
      for (const event of events) {
        try {
          batch.immediate([event]);
        } catch (error) {
          this.#state = 'failed';
          this.#failure = { position: event.position, streamId: event.streamId, type: event.type, error: describe(error) };
          this.#metrics.projectionFailures.inc({ name: this.#name });
          this.#logger.error('projector stopped at an event it could not apply', { projector: this.#name, ...this.#failure });
          this.#applied(readCheckpoint(this.#db, this.#name), 0);
          return undefined;
        }
      }
      return this.#applied(readCheckpoint(this.#db, this.#name), events.length);
    }
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
