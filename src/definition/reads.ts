/**
 * Read-set conditions: a decide may read other aggregates (`reads.get(id)`), and the runtime turns
 * everything it read into conditions checked in the same store transaction as the append: each read
 * aggregate must still be at the version decide saw (an empty part with that expected version). If
 * one moved, the command is decided again against fresh reads (a bounded number of times), so a rule
 * such as "the exit's target room exists" or "the item is held by nobody else" holds when stored.
 */

/** Another aggregate as decide sees it: its kind, state and version (the condition the append carries). */
export interface ReadAggregate<S = unknown> {
  readonly id: string;
  readonly kind: string;
  readonly version: number;
  readonly state: S;
}

/** What decide may read. Pure from decide's point of view: the same reads give the same answers. */
export interface ReadSet {
  /**
   * The aggregate's current state, or undefined if it does not exist. Whatever is read is a condition
   * of the append: the command is stored only if the aggregate is still at this version then.
   */
  get<S = unknown>(id: string): ReadAggregate<S> | undefined;
  /**
   * Its state when it exists and is of this kind, undefined otherwise (also a condition). Given a
   * definition (`reads.of(lantern, id)`), the state is typed from the definition's state schema.
   */
  of<S = unknown>(kind: string | KindOf<S>, id: string): S | undefined;
}

/** A definition as `reads.of` takes it: its kind, and its state schema for the type. */
export interface KindOf<S> {
  readonly kind: string;
  readonly state?: { readonly '~standard'?: { readonly types?: { readonly output: S } | undefined } } | undefined;
}

/** At most this many aggregates in one decide's read set. */
export const MAX_READS = 32;

/** Thrown by ReadSet.get for an aggregate not loaded yet: the runtime loads it and decides again. */
export class MissingRead {
  readonly id: string;
  constructor(id: string) {
    this.id = id;
  }
}

/** A read set over aggregates already loaded (undefined: known not to exist); unknown ids throw MissingRead. */
export function readSetOver(loaded: ReadonlyMap<string, ReadAggregate | undefined>, read: Set<string> = new Set()): ReadSet & { readonly read: Set<string> } {
  const get = <S>(id: string): ReadAggregate<S> | undefined => {
    if (typeof id !== 'string' || id.length === 0) return undefined;
    if (!loaded.has(id)) throw new MissingRead(id);
    read.add(id);
    return loaded.get(id) as ReadAggregate<S> | undefined;
  };
  return {
    read,
    get,
    of: <S>(kind: string | KindOf<S>, id: string): S | undefined => {
      const seen = get<S>(id);
      return seen?.kind === (typeof kind === 'string' ? kind : kind.kind) ? seen.state : undefined;
    },
  };
}

/** A read set for a decide that reads nothing it is not given (tests, and kinds without reads). */
export const readSetOf = (aggregates: readonly ReadAggregate[] = []): ReadSet => {
  const loaded = new Map<string, ReadAggregate | undefined>(aggregates.map((a) => [a.id, a]));
  const set = readSetOver(loaded);
  return {
    get: (id) => {
      if (!loaded.has(id)) loaded.set(id, undefined);
      return set.get(id);
    },
    of: (kind, id) => {
      if (!loaded.has(id)) loaded.set(id, undefined);
      return set.of(kind, id);
    },
  };
};
