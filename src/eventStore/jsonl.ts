import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { ChainVerifier, type VerifyReport } from './integrity.ts';
import type { EventRow } from './serialization.ts';
import type { EventCodec, EventStore, Snapshot } from './types.ts';

/*
 * Backup format: JSON Lines. A header line, one line per event row (raw, as stored, with hashes), one
 * per snapshot, and a trailer with counts and the store-wide chain head. Import checks the whole file
 * (every line's shape, both hash chains and the trailer) before it writes anything.
 */
const FORMAT = 'aethyr-event-store';

const eventLine = z.strictObject({
  kind: z.literal('event'),
  position: z.number().int().positive(),
  event_id: z.string().min(1),
  stream_id: z.string().min(1),
  version: z.number().int().positive(),
  type: z.string().min(1),
  schema_version: z.number().int().positive(),
  data: z.string(),
  metadata: z.string(),
  occurred_at: z.string(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  chain_hash: z.string().regex(/^[0-9a-f]{64}$/),
});
const snapshotLine = z.strictObject({
  kind: z.literal('snapshot'),
  streamId: z.string().min(1),
  version: z.number().int().positive(),
  // Any kind a runtime hosts (the registry checks kind names); the file format names none of them.
  kind_: z.string().min(1).max(200),
  machineVersion: z.number().int().positive(),
  state: z.unknown(),
  createdAt: z.string(),
});
const headerLine = z.strictObject({ kind: z.literal('header'), format: z.literal(FORMAT), version: z.literal(1), exportedAt: z.string() });
const trailerLine = z.strictObject({ kind: z.literal('end'), events: z.number().int().nonnegative(), snapshots: z.number().int().nonnegative(), chainHash: z.string() });

export interface ExportReport {
  readonly events: number;
  readonly snapshots: number;
  readonly chainHash: string;
}

/** Writes a whole store to a JSONL file. */
export async function exportStore(store: EventStore, path: string, onProgress?: (events: number) => void): Promise<ExportReport> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  const write = async (value: unknown) => {
    if (!out.write(`${JSON.stringify(value)}\n`)) await once(out, 'drain');
  };
  await write({ kind: 'header', format: FORMAT, version: 1, exportedAt: new Date().toISOString() });
  let events = 0;
  let chainHash = '';
  for (let after = 0; ; ) {
    const rows = await store.readAllRows({ after, limit: 1000 });
    for (const row of rows) await write({ kind: 'event', ...row });
    events += rows.length;
    onProgress?.(events);
    const last = rows.at(-1);
    if (!last) break;
    chainHash = last.chain_hash;
    after = last.position;
  }
  const snapshots = await store.readSnapshots();
  for (const { kind, ...snapshot } of snapshots) await write({ kind: 'snapshot', kind_: kind, ...snapshot });
  await write({ kind: 'end', events, snapshots: snapshots.length, chainHash });
  out.end();
  await once(out, 'finish');
  return { events, snapshots: snapshots.length, chainHash };
}

export interface ExportFileReport extends VerifyReport {
  /** Problems with the file itself (shape, header, trailer), by line number. */
  readonly fileProblem?: string;
}

/** Reads and checks an export file; returns its rows and snapshots only when `collect` is set. */
async function readExport(path: string, collect: boolean) {
  const verifier = new ChainVerifier();
  const rows: EventRow[] = [];
  const snapshots: Snapshot[] = [];
  let fileProblem: string | undefined;
  let header = false;
  let trailer: z.infer<typeof trailerLine> | undefined;
  let lineNo = 0;
  let snapshotCount = 0;
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    lineNo++;
    if (fileProblem || line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      fileProblem = `line ${lineNo}: not JSON`;
      continue;
    }
    const kind = (value as { kind?: unknown }).kind;
    if (!header) {
      if (headerLine.safeParse(value).success) header = true;
      else fileProblem = `line ${lineNo}: not an ${FORMAT} export (bad header)`;
    } else if (trailer) {
      fileProblem = `line ${lineNo}: content after the end line`;
    } else if (kind === 'event') {
      const parsed = eventLine.safeParse(value);
      if (!parsed.success) fileProblem = `line ${lineNo}: invalid event: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`;
      else {
        const { kind: _k, ...row } = parsed.data;
        verifier.check(row);
        if (collect) rows.push(row);
      }
    } else if (kind === 'snapshot') {
      const parsed = snapshotLine.safeParse(value);
      if (!parsed.success) fileProblem = `line ${lineNo}: invalid snapshot`;
      else {
        snapshotCount++;
        const { kind: _k, kind_, ...snapshot } = parsed.data;
        if (collect) snapshots.push({ ...snapshot, kind: kind_ as Snapshot['kind'] });
      }
    } else if (kind === 'end') {
      const parsed = trailerLine.safeParse(value);
      if (!parsed.success) fileProblem = `line ${lineNo}: invalid end line`;
      else trailer = parsed.data;
    } else {
      fileProblem = `line ${lineNo}: unknown line kind ${String(kind)}`;
    }
  }
  const report = verifier.report();
  if (!fileProblem && !trailer) fileProblem = 'the end line is missing: the file is truncated';
  if (!fileProblem && trailer) {
    if (trailer.events !== report.eventsChecked && report.ok) fileProblem = `the end line counts ${trailer.events} events, the file holds ${report.eventsChecked}`;
    else if (trailer.snapshots !== snapshotCount) fileProblem = `the end line counts ${trailer.snapshots} snapshots, the file holds ${snapshotCount}`;
    else if (report.ok && trailer.chainHash !== report.head.chainHash && report.eventsChecked > 0) fileProblem = 'the chain head in the end line does not match the events';
  }
  const fileReport: ExportFileReport = { ...report, ok: report.ok && !fileProblem, ...(fileProblem && { fileProblem }) };
  return { report: fileReport, rows, snapshots };
}

/** Checks an export file without importing it: shape, both hash chains, and the end line. */
export async function verifyExportFile(path: string): Promise<ExportFileReport> {
  return (await readExport(path, false)).report;
}

/**
 * Imports an export file into a store. The whole file is checked first; a file that fails is refused
 * with a ValidationError and nothing is written. Idempotent: events already in the store are skipped.
 */
export async function importStore(
  store: EventStore,
  path: string,
  onProgress?: (events: number) => void,
  codec?: EventCodec,
): Promise<{ written: number; snapshotsSkipped: number }> {
  const { report, rows, snapshots } = await readExport(path, true);
  if (!report.ok) {
    const where = report.firstProblem ? `${report.firstProblem.problem} event at position ${report.firstProblem.position} (${report.firstProblem.streamId} v${report.firstProblem.version})` : report.fileProblem;
    throw new ValidationError(`refusing to import ${path}: ${where}`);
  }
  // A correctly chained event proves only that nobody edited it after it was chained, not that this world
  // can load it: every event must also be one the hosted kinds declare, with data that fits its schema.
  if (codec) for (const row of rows) validateRow(codec, row, path);
  let written = 0;
  for (let i = 0; i < rows.length; i += 1000) {
    written += await store.importRows(rows.slice(i, i + 1000));
    onProgress?.(Math.min(i + 1000, rows.length));
  }
  // Snapshots in a file carry nothing that proves them (a forged one could grant admin=true), and they are
  // only a cache of the events just verified: they are not imported; spawns replay and snapshot afresh.
  return { written, snapshotsSkipped: snapshots.length };
}

function validateRow(codec: EventCodec, row: EventRow, path: string): void {
  try {
    codec.validate({ type: row.type, schemaVersion: row.schema_version, data: JSON.parse(row.data) as unknown });
  } catch (error) {
    throw new ValidationError(`refusing to import ${path}: event at position ${row.position} (${row.stream_id} v${row.version}) cannot be loaded by this world: ${(error as Error).message}`);
  }
}
