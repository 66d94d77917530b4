import type pg from 'pg';
import { GENESIS } from '../integrity.ts';
import { appendResults, eventIdsOf, planAppend, streamIdsOf, type AppendPlan, type StoredId, type StreamHead } from '../pipeline/planAppend.ts';
import { deserializeEvent, type EventRow } from '../serialization.ts';
import { FencedError } from '../../errors.ts';
import type { AppendPart, AppendResult, PendingAppend } from '../types.ts';
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
    const heads = await client.query<{ stream_id: string; version: string; hash: string; last_epoch: string | null }>(
      `SELECT stream_id, version, hash, last_epoch FROM ${s}.streams WHERE stream_id = ANY($1)`,
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

    const fences = await readFences(client, s, batch, heads.rows);

    // Plan every append in arrival order, each against the heads (and fences) the earlier ones leave.
    const plans: (AppendPlan | Error)[] = batch.map((pending) => {
      try {
        checkFences(pending, fences);
        const plan = planAppend(pending.parts, context);
        if (plan.kind === 'write') raiseFences(pending, fences);
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
    await writeFences(client, s, fences);

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
  const heads = new Map<string, { version: number; hash: string; kind: string | null; epoch: number | null }>();
  plans.forEach((plan, i) => {
    if (plan instanceof Error || plan.kind !== 'write') return;
    plan.parts.forEach((part, p) => {
      if (part.rows.length === 0) return;
      const kind = heads.get(part.streamId)?.kind ?? (part.created ? (batch[i]?.parts[p]?.kind ?? null) : null);
      const epoch = fenceOf(batch[i]?.parts[p])?.epoch ?? null;
      heads.set(part.streamId, { version: part.version, hash: part.streamHash, kind, epoch });
    });
  });
  if (heads.size === 0) return;
  const list = [...heads];
  // last_epoch keeps the highest epoch seen (an unfenced single-node write leaves it as it was).
  await client.query(
    `INSERT INTO ${s}.streams (stream_id, version, hash, kind, last_epoch)
     SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::bigint[])
     ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version, hash = excluded.hash,
       last_epoch = GREATEST(${s}.streams.last_epoch, excluded.last_epoch)`,
    [list.map(([id]) => id), list.map(([, h]) => h.version), list.map(([, h]) => h.hash), list.map(([, h]) => h.kind), list.map(([, h]) => h.epoch)],
  );
}

// --- the epoch fence (issue 13; docs/cluster.md) ---

/** The highest epoch per fence key and per stream, as this transaction sees it while planning the batch. */
interface Fences {
  readonly keys: Map<string, number>;
  readonly streams: Map<string, number>;
  readonly touched: Set<string>;
}

const fenceOf = (part: AppendPart | undefined) => part?.options?.fence;

/**
 * Reads the fence rows of every key in the batch. The schema's advisory lock (held to the commit) already
 * serializes writers, so a fence raised by a new owner is seen by every later append and no append under
 * the old epoch can commit after it.
 */
async function readFences(client: pg.PoolClient, s: string, batch: readonly PendingAppend[], heads: readonly { stream_id: string; last_epoch: string | null }[]): Promise<Fences> {
  const fences: Fences = { keys: new Map(), streams: new Map(), touched: new Set() };
  const keys = [...new Set(batch.flatMap((p) => p.parts.flatMap((part) => fenceOf(part)?.key ?? [])))];
  if (keys.length === 0) return fences;
  const rows = await client.query<{ fence_key: string; epoch: string }>(`SELECT fence_key, epoch FROM ${s}.shard_fence WHERE fence_key = ANY($1)`, [keys]);
  for (const row of rows.rows) fences.keys.set(row.fence_key, Number(row.epoch));
  for (const head of heads) if (head.last_epoch !== null) fences.streams.set(head.stream_id, Number(head.last_epoch));
  return fences;
}

/** Refuses the whole append (nothing of it is written) if any part's epoch is older than its fence or its stream's last. */
function checkFences(pending: PendingAppend, fences: Fences): void {
  for (const part of pending.parts) {
    const fence = fenceOf(part);
    if (!fence) continue;
    const byKey = fences.keys.get(fence.key) ?? 0;
    const byStream = fences.streams.get(part.streamId) ?? 0;
    if (fence.epoch < byKey) throw new FencedError(fence.key, fence.epoch, byKey);
    if (fence.epoch < byStream) throw new FencedError(fence.key, fence.epoch, byStream);
  }
}

/** After a planned write: later appends in the batch (and every later transaction) see the raised fence. */
function raiseFences(pending: PendingAppend, fences: Fences): void {
  for (const part of pending.parts) {
    const fence = fenceOf(part);
    if (!fence) continue;
    if (fence.epoch > (fences.keys.get(fence.key) ?? 0)) {
      fences.keys.set(fence.key, fence.epoch);
      fences.touched.add(fence.key);
    }
    if (part.events.length > 0 && fence.epoch > (fences.streams.get(part.streamId) ?? 0)) fences.streams.set(part.streamId, fence.epoch);
  }
}

async function writeFences(client: pg.PoolClient, s: string, fences: Fences): Promise<void> {
  if (fences.touched.size === 0) return;
  const keys = [...fences.touched];
  await client.query(
    `INSERT INTO ${s}.shard_fence (fence_key, epoch) SELECT * FROM unnest($1::text[], $2::bigint[])
     ON CONFLICT (fence_key) DO UPDATE SET epoch = GREATEST(${s}.shard_fence.epoch, excluded.epoch)`,
    [keys, keys.map((k) => fences.keys.get(k) as number)],
  );
}
