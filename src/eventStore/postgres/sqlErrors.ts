import { ConcurrencyError, DuplicateEventError, StoreUnavailableError } from '../../errors.ts';

/** A PostgreSQL error as `pg` reports it: the SQLSTATE in `code`, the constraint by name. */
interface PgError {
  readonly code?: string;
  readonly constraint?: string;
  readonly message: string;
}

/**
 * Classifies a server error by its SQLSTATE, never by message text: a unique violation on the event id
 * is a duplicate event, on (stream, version) a lost race; connection and resource classes are the store
 * being unavailable. Anything else is returned unchanged.
 */
export function classifyPgError(error: unknown, context: { streamId: string; eventId?: string | undefined }): unknown {
  const e = error as PgError;
  if (typeof e?.code !== 'string') return error;
  if (e.code === '23505' && e.constraint === 'events_event_id_key') return new DuplicateEventError(context.eventId ?? '?', context.streamId, '?');
  if (e.code === '23505' && e.constraint === 'events_stream_version_key') return new ConcurrencyError(context.streamId, 'the version it read', -1);
  // 08: connection exception; 53: insufficient resources; 57P: operator intervention (shutdown); 40: rollback (serialization, deadlock).
  if (/^(08|53|57P|40)/.test(e.code)) return new StoreUnavailableError(`PostgreSQL: ${e.message} (SQLSTATE ${e.code})`, error);
  return error;
}
