import type { AppendResult, StoredEvent } from '../eventStore/types.ts';
import type { Logger } from './logger.ts';

/** Which committed events a subscriber wants: any of these types, and/or one stream (both optional). */
export interface EventFilter<T extends string = string> {
  readonly types?: readonly T[];
  readonly streamId?: string;
}

/** A committed event as subscribers get it: the stored envelope, its type narrowed to the filter's. */
export type CommittedEvent<T extends string = string> = Omit<StoredEvent, 'type' | 'data'> & { readonly type: T; readonly data: unknown };
/** Called once per matching event, after it is durable; a throw or rejection is logged, never propagated. */
export type CommittedHandler<T extends string = string> = (event: CommittedEvent<T>) => void | Promise<void>;

/** Game code following what this runtime commits (see Runtime.events). */
export interface RuntimeEvents {
  /**
   * Calls `handler` for every event this runtime commits from now on that matches `filter`, in commit
   * order, once the append is durable (never for a command that was refused or rolled back). In
   * process: events written by other runtimes sharing the store are not seen here (a projection or a
   * reactor follows the whole store). Returns the unsubscribe function.
   */
  subscribe<T extends string>(filter: EventFilter<T>, handler: CommittedHandler<T>): () => void;
}

interface Subscription {
  readonly types: ReadonlySet<string> | undefined;
  readonly streamId: string | undefined;
  readonly handler: CommittedHandler;
}

/** The runtime's subscribers, told of each commit after the command's promise is settled. */
export class CommittedEvents implements RuntimeEvents {
  readonly #subscriptions = new Set<Subscription>();
  readonly #logger: Logger;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  subscribe<T extends string>(filter: EventFilter<T>, handler: CommittedHandler<T>): () => void {
    if (typeof handler !== 'function') throw new TypeError('events.subscribe needs a handler function');
    const subscription: Subscription = { types: filter.types && new Set(filter.types), streamId: filter.streamId, handler: handler as CommittedHandler };
    this.#subscriptions.add(subscription);
    return () => this.#subscriptions.delete(subscription);
  }

  /** Called with every committed append; delivery waits for the current turn (the writer's promise) to finish. */
  publish(results: readonly AppendResult[]): void {
    if (this.#subscriptions.size === 0) return;
    const events = results.flatMap((r) => r.events);
    if (events.length > 0) queueMicrotask(() => this.#deliver(events));
  }

  /** Drops every subscription (on close). */
  clear(): void {
    this.#subscriptions.clear();
  }

  #deliver(events: readonly StoredEvent[]): void {
    for (const event of events) {
      for (const s of this.#subscriptions) {
        if ((s.types && !s.types.has(event.type)) || (s.streamId !== undefined && s.streamId !== event.streamId)) continue;
        try {
          const done = s.handler(event as CommittedEvent);
          if (done && typeof (done as Promise<void>).then === 'function') (done as Promise<void>).catch((error: unknown) => this.#failed(event, error));
        } catch (error) {
          this.#failed(event, error);
        }
      }
    }
  }

  #failed(event: StoredEvent, error: unknown): void {
    this.#logger.error('an events.subscribe handler failed', { streamId: event.streamId, version: event.version, type: event.type, error: String(error) });
  }
}
