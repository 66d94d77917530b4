import type pg from 'pg';
import { GENESIS } from '../integrity.ts';
import { appendResults, eventIdsOf, planAppend, streamIdsOf, type AppendPlan, type StoredId, type StreamHead } from '../pipeline/planAppend.ts';
import { deserializeEvent, type EventRow } from '../serialization.ts';
import type { AppendResult, PendingAppend } from '../types.ts';
import type { UpcasterRegistry } from '../upcasters.ts';
import { insertEvents } from './insertEvents.ts';
import { readStreamRows } from './readEvents.ts';
import { ident, LOCK_SQL } from './schema.ts';
import { classifyPgError } from './sqlErrors.ts';

type WritePlan = Extract<AppendPlan, { kind: 'write' }>;

/**
 * Writes a group-commit batch in one transaction and a fixed number of round trips. The schema's
 * advisory lock is held to the commit, so the heads and ids read here are the truth while the batch is
 * planned (a refused append fails alone, before anything is written), the store-wide hash chain is
 * extended by one writer at a time, and positions become visible in order: a follower reading by
 * position never skips an event that commits late. `channel` is notified inside the transaction.
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
    const heads = await client.query<{ stream_id: string; version: string; hash: string }>(
      `SELECT stream_id, version, hash FROM ${s}.streams WHERE stream_id = ANY($1)`,
      [[...new Set(batch.flatMap((p) => streamIdsOf(p.parts)))]],
    );
    const stored = await client.query<{ event_id: string; stream_id: string; version: string }>(
      `SELECT event_id, stream_id, version FROM ${s}.events WHERE event_id = ANY($1)`,
      [batch.flatMap((p) => eventIdsOf(p.parts))],
    );
    const context = {
      heads: new Map(heads.rows.map((r): [string, StreamHead] => [r.stream_id, { version: Number(r.version), hash: r.hash }])),
      existing: new Map(stored.rows.map((r): [string, StoredId] => [r.event_id, { streamId: r.stream_id, version: Number(r.version) }])),
      chainHash: chain.rows[0]?.chain_hash ?? GENESIS,
    };

    // Plan every append in arrival order, each against the heads the earlier ones leave.
    const plans: (AppendPlan | Error)[] = batch.map((pending) => {
      try {
        const plan = planAppend(pending.parts, context);
        if (plan.kind === 'write') advance(context, plan);
        return plan;
      } catch (error) {
        return error instanceof Error ? error : new Error(String(error));
      }
    });

    const written = plans.filter((p): p is WritePlan => !(p instanceof Error) && p.kind === 'write');
    const rows = written.flatMap((plan) => plan.parts.flatMap((part) => part.rows));
    const positions = await insertEvents(client, schema, rows);
    await upsertHeads(client, s, batch, plans);

    let next = 0;
    const outcomes: (AppendResult[] | Error)[] = [];
    for (const plan of plans) {
      if (plan instanceof Error) outcomes.push(plan);
      else if (plan.kind === 'write') outcomes.push(appendResults(plan, plan.parts.map((part) => positions.slice(next, (next += part.rows.length)))));
      else {
        // A re-send: answered from the store (rows written earlier in this batch are visible here too).
        const results: AppendResult[] = [];
        for (const range of plan.ranges) {
          const found = await readStreamRows(client, schema, range.streamId, range.fromVersion, range.toVersion);
          results.push({ streamId: range.streamId, nextExpectedVersion: range.toVersion, events: found.map((row: EventRow) => deserializeEvent(row, upcasters)) });
        }
        outcomes.push(results);
      }
    }
    if (rows.length > 0) await client.query('SELECT pg_notify($1, $2)', [notify.channel, notify.payload]);
    await client.query('COMMIT');
    return outcomes;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw classifyPgError(error, { streamId: batch[0]?.parts[0]?.streamId ?? '?' });
  }
}

/** Moves the planning context past a planned append: new heads, its ids as stored, the chain head. */
function advance(context: { heads: Map<string, StreamHead>; existing: Map<string, StoredId>; chainHash: string }, plan: WritePlan): void {
  for (const part of plan.parts) {
    if (part.rows.length === 0) continue;
    context.heads.set(part.streamId, { version: part.version, hash: part.streamHash });
    for (const row of part.rows) context.existing.set(row.event_id, { streamId: row.stream_id, version: row.version });
  }
  context.chainHash = plan.chainHash;
}

/** One upsert of every touched stream's final head; a stream's kind is set only by the append creating it. */
async function upsertHeads(client: pg.PoolClient, s: string, batch: readonly PendingAppend[], plans: readonly (AppendPlan | Error)[]): Promise<void> {
  const heads = new Map<string, { version: number; hash: string; kind: string | null }>();
  plans.forEach((plan, i) => {
    if (plan instanceof Error || plan.kind !== 'write') return;
    plan.parts.forEach((part, p) => {
      if (part.rows.length === 0) return;
      const kind = heads.get(part.streamId)?.kind ?? (part.created ? (batch[i]?.parts[p]?.kind ?? null) : null);
      heads.set(part.streamId, { version: part.version, hash: part.streamHash, kind });
    });
  });
  if (heads.size === 0) return;
  const list = [...heads];
  await client.query(
    `INSERT INTO ${s}.streams (stream_id, version, hash, kind)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[])
     ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, hash = excluded.hash`,
    [list.map(([id]) => id), list.map(([, h]) => h.version), list.map(([, h]) => h.hash), list.map(([, h]) => h.kind)],
  );
}
