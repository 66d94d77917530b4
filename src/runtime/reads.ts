import type { AggregateRegistry, AnyCommand, Current, Outcome } from '../definition/registry.ts';
import { MAX_READS, MissingRead, readSetOver, type ReadAggregate } from '../definition/reads.ts';
import type { AppendPart, EventStore } from '../eventStore/types.ts';
import { usableSnapshot } from '../pool/replayAggregate.ts';

/** Loads another aggregate for a read set: `fresh` skips in-process copies (after a lost race). */
export type ReadAggregateFn = (id: string, fresh: boolean) => Promise<ReadAggregate | undefined>;

/** An aggregate being decided in the same write: its running state (undefined: not created yet) and base version. */
export interface LocalAggregate {
  readonly current: Current | undefined;
  readonly version: number;
}

/** An aggregate read straight from the store: latest usable snapshot plus the events after it. */
export async function loadAggregate(registry: AggregateRegistry, store: EventStore, id: string): Promise<ReadAggregate | undefined> {
  const usable = usableSnapshot(registry, (await store.loadSnapshot(id)) ?? undefined);
  const fromVersion = (usable?.version ?? 0) + 1;
  const tail = store.readStreamForReplay ? await store.readStreamForReplay(id, fromVersion) : await store.readStream(id, { fromVersion });
  const first = tail[0];
  const kind = usable?.kind ?? (first && registry.kindOfStream(first, (await store.streamHead(id))?.kind));
  if (!kind) return undefined;
  const state = kind.fold(usable?.state ?? kind.initial(id), tail);
  return { id, kind: kind.name, version: tail.at(-1)?.version ?? usable?.version ?? 0, state: state.context };
}

/**
 * The reads of one write attempt (a mailbox batch or a transaction): decides commands, loading what
 * their decide reads (decide is run again after each load; it is pure), and turns what accepted
 * decisions read into conditions for the append. Aggregates written in the same attempt are read at
 * their running state and need no condition (their own expected version covers them).
 */
export class ReadCache {
  readonly #registry: AggregateRegistry;
  readonly #load: (id: string) => Promise<ReadAggregate | undefined>;
  readonly #local: (id: string) => LocalAggregate | undefined;
  readonly #loaded = new Map<string, ReadAggregate | undefined>();
  /** id → the version an accepted decision read it at. */
  readonly #used = new Map<string, number>();

  constructor(registry: AggregateRegistry, load: (id: string) => Promise<ReadAggregate | undefined>, local: (id: string) => LocalAggregate | undefined) {
    this.#registry = registry;
    this.#load = load;
    this.#local = local;
  }

  /**
   * Decides one command; its reads count as conditions only if it is accepted. Synchronous when decide
   * reads nothing it has not loaded yet (the common case: no await on the command path); otherwise a
   * promise, resolved once what it reads is loaded.
   */
  decide(id: string, current: Current | undefined, command: AnyCommand): Outcome | Promise<Outcome> {
    const attempt = this.#attempt(id, current, command);
    return attempt instanceof MissingRead ? this.#decideLoading(id, current, command, attempt) : attempt;
  }

  async #decideLoading(id: string, current: Current | undefined, command: AnyCommand, missing: MissingRead): Promise<Outcome> {
    for (let next: Outcome | MissingRead = missing, loads = 0; ; loads++) {
      if (!(next instanceof MissingRead)) return next;
      // Per decide (a batch may read many aggregates in all): a decide that keeps asking for more is a bug.
      if (loads >= MAX_READS) throw new Error(`${command.type} ${id}: decide read more than ${MAX_READS} other aggregates`);
      this.#loaded.set(next.id, await this.#load(next.id));
      next = this.#attempt(id, current, command);
    }
  }

  #attempt(id: string, current: Current | undefined, command: AnyCommand): Outcome | MissingRead {
    const read = new Set<string>();
    const locals = new Map<string, LocalAggregate>();
    const loaded = this.#loaded;
    const reads = readSetOver(
      {
        has: (key: string) => this.#local(key) !== undefined || loaded.has(key),
        get: (key: string) => {
          const local = this.#local(key);
          if (!local) return loaded.get(key);
          locals.set(key, local);
          return local.current && { id: key, kind: local.current.kind.name, version: local.version, state: local.current.state.context };
        },
      } as ReadonlyMap<string, ReadAggregate | undefined>,
      read,
    );
    try {
      const outcome = this.#registry.decide(id, current, command, reads);
      if (outcome.ok) {
        for (const key of read) if (key !== id) this.#used.set(key, locals.get(key)?.version ?? loaded.get(key)?.version ?? 0);
      }
      return outcome;
    } catch (error) {
      if (error instanceof MissingRead) return error;
      throw error;
    }
  }

  /** Zero-event parts expecting each read aggregate's version, for every one not written in the append. */
  conditions(written: ReadonlySet<string>): AppendPart[] {
    return [...this.#used].filter(([id]) => !written.has(id)).map(([streamId, version]) => ({ streamId, events: [], options: { expectedVersion: version } }));
  }
}
