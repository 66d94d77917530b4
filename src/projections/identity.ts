import type { Database } from 'better-sqlite3';
import { ConfigError } from '../errors.ts';
import type { EventStore } from '../eventStore/types.ts';

/**
 * A read model belongs to one store: the one whose history it projected. Pointed at another store
 * (a config naming a different event store file, or a store restored from elsewhere), its rows and
 * checkpoints would describe a world that is not there, and it would report positions the store never
 * had. Refused instead: a CONFIG error with reason READ_MODEL_MISMATCH, and health says so.
 */
export class ReadModelMismatchError extends ConfigError {
  readonly reason = 'READ_MODEL_MISMATCH';
  constructor(message: string) {
    super(`the read model does not belong to this store: ${message} (point projections.path at this store's read model, or delete it to rebuild)`);
    this.name = 'ReadModelMismatchError';
  }
}

export const isReadModelMismatchError = (e: unknown): e is ReadModelMismatchError =>
  typeof e === 'object' && e !== null && (e as { reason?: unknown }).reason === 'READ_MODEL_MISMATCH';

/** What identifies a store's history: its first event (id and hash). A copy of the store is the same history. */
interface StoreIdentity {
  readonly firstEvent: string;
  readonly firstHash: string;
}

interface IdentityRow {
  readonly store_first_event: string;
  readonly store_first_hash: string;
  readonly projections: string;
}

/**
 * Checks that the read model in `db` belongs to `store`, binding it on first use (the first time the
 * store has an event); resolves true once bound, false while the store is still empty. Throws ReadModelMismatchError when it belongs to another store, or when a read
 * model made before identities were recorded is ahead of the store.
 */
export async function checkReadModelIdentity(db: Database, store: EventStore, projections: readonly string[]): Promise<boolean> {
  const first = (await store.readAll({ after: 0, limit: 1 }))[0];
  const identity: StoreIdentity | undefined = first && { firstEvent: first.eventId, firstHash: first.hash };
  const row = db.prepare('SELECT store_first_event, store_first_hash, projections FROM read_model_identity WHERE id = 1').get() as IdentityRow | undefined;
  const furthest = (db.prepare('SELECT max(position) AS p FROM checkpoints').get() as { p: number | null }).p ?? 0;
  if (row) {
    if (!identity) throw new ReadModelMismatchError(`it was built from a store whose first event is ${row.store_first_event}, and this store is empty`);
    if (row.store_first_event !== identity.firstEvent || row.store_first_hash !== identity.firstHash) {
      throw new ReadModelMismatchError(`it was built from a store whose first event is ${row.store_first_event}, and this store's first event is ${identity.firstEvent}`);
    }
    const names = [...projections].sort().join(',');
    if (row.projections !== names) db.prepare('UPDATE read_model_identity SET projections = ? WHERE id = 1').run(names);
    return true;
  }
  const head = identity ? await store.headPosition() : 0;
  if (furthest > head) throw new ReadModelMismatchError(`it has projected up to position ${furthest}, and this store ends at ${head}`);
  if (!identity) return false; // an empty store: bound once it has its first event
  db.prepare('INSERT OR IGNORE INTO read_model_identity (id, store_first_event, store_first_hash, projections, bound_at) VALUES (1, ?, ?, ?, ?)').run(
    identity.firstEvent,
    identity.firstHash,
    [...projections].sort().join(','),
    new Date().toISOString(),
  );
  return true;
}
