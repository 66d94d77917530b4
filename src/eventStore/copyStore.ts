import { verifyStore, type VerifyReport } from './integrity.ts';
import type { EventStore } from './types.ts';

export interface CopyProgress {
  readonly read: number;
  readonly written: number;
}

export interface CopyReport {
  readonly eventsRead: number;
  /** Events written now; the rest were already in the target (an earlier, interrupted copy). */
  readonly eventsWritten: number;
  readonly snapshotsCopied: number;
  readonly source: VerifyReport;
  readonly target: VerifyReport;
  /** True when both sides verify and end on the same store-wide chain hash with the same event count. */
  readonly identical: boolean;
}

/**
 * Copies every event (raw rows: ids, versions, order, metadata, schema versions and hashes intact)
 * and every snapshot from one store to another, then verifies both. Resumable and idempotent:
 * events already in the target are skipped, so running it again after an interruption finishes the job.
 */
export async function copyStore(
  from: EventStore,
  to: EventStore,
  options: { pageSize?: number; onProgress?: (progress: CopyProgress) => void } = {},
): Promise<CopyReport> {
  const limit = options.pageSize ?? 1000;
  let read = 0;
  let written = 0;
  for (let after = 0; ; ) {
    const rows = await from.readAllRows({ after, limit });
    if (rows.length === 0) break;
    written += await to.importRows(rows);
    read += rows.length;
    options.onProgress?.({ read, written });
    after = (rows.at(-1) as { position: number }).position;
    if (rows.length < limit) break;
  }
  const snapshots = await from.readSnapshots();
  for (const snapshot of snapshots) await to.saveSnapshot(snapshot);
  const [source, target] = [await verifyStore(from), await verifyStore(to)];
  return {
    eventsRead: read,
    eventsWritten: written,
    snapshotsCopied: snapshots.length,
    source,
    target,
    identical: source.ok && target.ok && source.eventsChecked === target.eventsChecked && source.head.chainHash === target.head.chainHash,
  };
}
