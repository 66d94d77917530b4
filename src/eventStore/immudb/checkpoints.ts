import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ImmudbEventStore } from './ImmudbEventStore.ts';

/**
 * A record, kept outside the server, of ImmuDB's state and our chain head at one moment. What a later
 * check proves: the events up to `position` still end on `chainHash` (nothing in that prefix was
 * changed, removed, reordered or re-hashed), and the server's transaction id has not gone backwards.
 * What it does not prove: ImmuDB's own Merkle consistency between `txHash` and the server's current
 * state. immudb-node 1.1.1's verified calls use the transaction-header hash of servers before 1.2, so
 * that proof is not available through this client; events written after the last checkpoint are
 * covered only by the hash chains themselves.
 */
export interface ServerCheckpoint {
  readonly recordedAt: string;
  readonly database: string;
  readonly txId: number;
  readonly txHash: string;
  readonly position: number;
  readonly chainHash: string;
}

export async function recordCheckpoint(store: ImmudbEventStore, file: string): Promise<ServerCheckpoint> {
  const [last] = await store.client.query('SELECT position, chain_hash FROM events ORDER BY position DESC LIMIT 1');
  const state = await store.client.currentState();
  const checkpoint: ServerCheckpoint = {
    recordedAt: new Date().toISOString(),
    database: store.client.database,
    txId: state.txId,
    txHash: state.txHash,
    position: (last?.[0] as number | undefined) ?? 0,
    chainHash: (last?.[1] as string | undefined) ?? '',
  };
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(checkpoint)}\n`);
  return checkpoint;
}

export function readCheckpoints(file: string, database: string): ServerCheckpoint[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as ServerCheckpoint)
    .filter((c) => c.database === database);
}

export interface CheckpointReport {
  readonly checked: number;
  readonly problems: readonly string[];
}

/** Checks the store against every checkpoint recorded for its database. */
export async function verifyCheckpoints(store: ImmudbEventStore, file: string): Promise<CheckpointReport> {
  const checkpoints = readCheckpoints(file, store.client.database);
  const problems: string[] = [];
  const { txId } = await store.client.currentState();
  for (const cp of checkpoints) {
    if (txId < cp.txId) problems.push(`server transaction id went back from ${cp.txId} (at ${cp.recordedAt}) to ${txId}: the server's history was replaced`);
    if (cp.position === 0) continue;
    const [row] = await store.client.query('SELECT chain_hash FROM events WHERE position = @p', { p: cp.position });
    if (!row) problems.push(`event at position ${cp.position} (checkpoint of ${cp.recordedAt}) is gone: history was truncated`);
    else if (row[0] !== cp.chainHash) problems.push(`chain hash at position ${cp.position} differs from the checkpoint of ${cp.recordedAt}: history up to there was rewritten`);
  }
  return { checked: checkpoints.length, problems };
}
