import type pg from 'pg';
import { GENESIS } from '../integrity.ts';
import { appendResults, eventIdsOf, planAppend, streamIdsOf, type StoredId, type StreamHead } from '../pipeline/planAppend.ts';
import type { AppendResult, PendingAppend } from '../types.ts';
import { readStreamRows } from './readEvents.ts';
import { insertEvents } from './insertEvents.ts';
import { ident, LOCK_SQL } from './schema.ts';
import { classifyPgError } from './sqlErrors.ts';
import { deserializeEvent } from '../serialization.ts';
import type { UpcasterRegistry } from '../upcasters.ts';

/**
 * Writes a group-commit batch in one transaction. The schema's advisory lock is held to the commit, so
 * the store-wide hash chain is extended by one writer at a time and positions become visible in order:
 * a follower reading by position never skips an event that commits late. Each append runs in its own
 * savepoint and fails alone. `channel` is notified inside the transaction (delivered at commit).
 */
export async function appendBatch(
  client: pg.PoolClient,
  schema: string,
  batch: readonly PendingAppend[],
  notify: { channel: string; payload: string },
  upcasters: UpcasterRegistry,
): Promise<(AppendResult[] | Error)[]> {
  const s = ident(schema);
  await client.query('BEGIN');
  try {
    await client.query(LOCK_SQL, [`aethyr:${schema}`]);
    const chain = await client.query<{ chain_hash: string }>(`SELECT chain_hash FROM ${s}.events ORDER BY position DESC LIMIT 1`);
    let chainHash = chain.rows[0]?.chain_hash ?? GENESIS;
    const outcomes: (AppendResult[] | Error)[] = [];
    let wrote = false;
    for (const pending of batch) {
      await client.query('SAVEPOINT append');
      try {
        const heads = await client.query<{ stream_id: string; version: string; hash: string }>(
          `SELECT stream_id, version, hash FROM ${s}.streams WHERE stream_id = ANY($1)`,
          [streamIdsOf(pending.parts)],
        );
        const existing = await client.query<{ event_id: string; stream_id: string; version: string }>(
          `SELECT event_id, stream_id, version FROM ${s}.events WHERE event_id = ANY($1)`,
          [eventIdsOf(pending.parts)],
        );
        const plan = planAppend(pending.parts, {
          heads: new Map(heads.rows.map((r): [string, StreamHead] => [r.stream_id, { version: Number(r.version), hash: r.hash }])),
          existing: new Map(existing.rows.map((r): [string, StoredId] => [r.event_id, { streamId: r.stream_id, version: Number(r.version) }])),
          chainHash,
        });
        if (plan.kind === 'resent') {
          const results: AppendResult[] = [];
          for (const range of plan.ranges) {
            const rows = await readStreamRows(client, schema, range.streamId, range.fromVersion, range.toVersion);
            results.push({ streamId: range.streamId, nextExpectedVersion: range.toVersion, events: rows.map((row) => deserializeEvent(row, upcasters)) });
          }
          await client.query('RELEASE SAVEPOINT append');
          outcomes.push(results);
          continue;
        }
        const positions: number[][] = [];
        for (const [p, part] of plan.parts.entries()) {
          if (part.rows.length === 0) {
            positions.push([]);
            continue;
          }
          positions.push(await insertEvents(client, schema, part.rows));
          await client.query(
            `INSERT INTO ${s}.streams (stream_id, version, hash, kind) VALUES ($1, $2, $3, $4)
             ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, hash = excluded.hash`,
            [part.streamId, part.version, part.streamHash, pending.parts[p]?.kind ?? null],
          );
        }
        await client.query('RELEASE SAVEPOINT append');
        chainHash = plan.chainHash;
        wrote ||= positions.some((p) => p.length > 0);
        outcomes.push(appendResults(plan, positions));
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT append');
        const first = pending.parts[0];
        outcomes.push(asError(classifyPgError(error, { streamId: first?.streamId ?? '?', eventId: first?.events[0]?.eventId })));
      }
    }
    if (wrote) await client.query('SELECT pg_notify($1, $2)', [notify.channel, notify.payload]);
    await client.query('COMMIT');
    return outcomes;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw classifyPgError(error, { streamId: batch[0]?.parts[0]?.streamId ?? '?' });
  }
}

const asError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
