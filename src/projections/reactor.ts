import type { Database } from 'better-sqlite3';
import type { DomainEventType } from '../world/events.ts';
import { describe } from '../errors.ts';
import type { EventStore, StoredEvent } from '../eventStore/types.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { EventFollower, type FollowerOptions } from './eventFollower.ts';
import { readCheckpoint, writeCheckpoint } from './projectionDb.ts';

/** A side effect driven by events: notify a room's occupants, send a mail, award an achievement. */
export interface Reactor {
  /** Unique and stable: it names the reactor's checkpoint. */
  readonly name: string;
  /** Event types it reacts to; others pass by. */
  readonly eventTypes: readonly DomainEventType[];
  handle(event: StoredEvent): void | Promise<void>;
}

export interface ReactorOptions extends FollowerOptions {
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  /** First wait before retrying a failed event, doubled up to 30 s (default 1,000 ms). */
  readonly retryDelayMs?: number;
}

/**
 * Runs a reactor at least once per event: its checkpoint (in the projection database) advances after
 * each handled event, so a crash redelivers at most the event in hand. A failing handler is logged,
 * counted and retried later with backoff; it never stops projections, other reactors or commands.
 */
export class ReactorRunner {
  readonly #reactor: Reactor;
  readonly #db: Database;
  readonly #follower: EventFollower;
  readonly #types: ReadonlySet<string>;
  readonly #logger: Logger;
  readonly #metrics: Metrics;
  readonly #baseDelay: number;
  #delay: number;
  #retryTimer: NodeJS.Timeout | undefined;
  #stopped = false;
  #failure: string | undefined;

  constructor(store: EventStore, db: Database, reactor: Reactor, options: ReactorOptions = {}) {
    this.#reactor = reactor;
    this.#db = db;
    this.#types = new Set(reactor.eventTypes);
    this.#logger = options.logger ?? silentLogger;
    this.#metrics = options.metrics ?? createMetrics();
    this.#baseDelay = this.#delay = options.retryDelayMs ?? 1000;
    // Reads that fail transiently are retried by the follower with backoff; a corrupt event stops the reactor, loudly.
    this.#follower = new EventFollower(store, readCheckpoint(db, this.#checkpointName), (events) => this.#process(events), { retryDelayMs: this.#baseDelay, ...options }, {
      onTransient: (error, delayMs) => this.#logger.warn('reactor will retry after a transient failure', { reactor: reactor.name, error: describe(error), delayMs }),
      onFailure: (error, position) => {
        this.#failure = describe(error);
        this.#metrics.reactorFailures.inc({ name: reactor.name });
        this.#logger.error('reactor stopped at an event it could not read', { reactor: reactor.name, afterPosition: position, error: this.#failure });
      },
      onRecovered: () => this.#logger.info('reactor recovered', { reactor: reactor.name }),
    });
  }

  get #checkpointName(): string {
    return `reactor:${this.#reactor.name}`;
  }

  get position(): number {
    return this.#follower.position;
  }

  /** Why the reactor stopped (an event it could not read), or undefined while it runs. */
  get failure(): string | undefined {
    return this.#failure;
  }

  get name(): string {
    return this.#reactor.name;
  }

  start(): void {
    this.#stopped = false;
    this.#follower.start();
  }

  catchUp(): Promise<void> {
    return this.#follower.catchUp();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#retryTimer) clearTimeout(this.#retryTimer);
    await this.#follower.stop();
  }

  async #process(events: StoredEvent[]): Promise<number | undefined> {
    let position = this.#follower.position;
    for (const event of events) {
      if (this.#types.has(event.type)) {
        try {
          await this.#reactor.handle(event);
        } catch (error) {
          this.#metrics.reactorFailures.inc({ name: this.#reactor.name });
          this.#logger.warn('reactor failed; will retry', { reactor: this.#reactor.name, position: event.position, error: describe(error) });
          this.#scheduleRetry();
          return undefined; // pause here; the event is handled again on retry
        }
      }
      position = event.position;
      writeCheckpoint(this.#db, this.#checkpointName, position);
      this.#metrics.projectionPosition.set({ name: this.#checkpointName }, position);
    }
    this.#delay = this.#baseDelay;
    this.#metrics.projectionEvents.inc({ name: this.#checkpointName }, events.length);
    return position;
  }

  #scheduleRetry(): void {
    if (this.#stopped) return;
    this.#retryTimer = setTimeout(() => void this.#follower.resume(), this.#delay);
    this.#retryTimer.unref();
    this.#delay = Math.min(this.#delay * 2, 30_000);
  }
}
