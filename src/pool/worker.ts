/** The pool's worker: runs tasks of the worker protocol (see protocol.ts). */
import Database from 'better-sqlite3';
import { defaultUpcasters } from '../eventStore/upcasters.ts';
import { deserializeEvent, type EventRow } from '../eventStore/serialization.ts';
import type { Snapshot, StoredEvent } from '../eventStore/types.ts';
import type { AggregateKind } from '../domain/state.ts';
import type { PoolResult, PoolTask, ReplayedAggregate } from './protocol.ts';
import { replayAggregate } from './replayAggregate.ts';

const upcasters = defaultUpcasters();
const connections = new Map<string, Database.Database>();

function open(path: string): Database.Database {
  let db = connections.get(path);
  if (!db) {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    connections.set(path, db);
  }
  return db;
}

export default function run(task: PoolTask): PoolResult {
  try {
    return runTask(task);
  } catch (error) {
    // Library errors (SqliteError) lose their message when cloned to the main thread: keep it.
    const { message, code } = error as { message?: string; code?: string };
    throw new Error(code ? `${code}: ${message}` : String(message ?? error));
  }
}

function runTask(task: PoolTask): PoolResult {
  switch (task.kind) {
    case 'replay': {
      const db = open(task.storePath);
      const marks = task.streamIds.map(() => '?').join(', ');
      const rows = db
        .prepare(`SELECT * FROM events WHERE stream_id IN (${marks}) ORDER BY stream_id, version`)
        .all(...task.streamIds) as EventRow[];
      const snapshots = new Map(
        (db.prepare(`SELECT * FROM snapshots WHERE stream_id IN (${marks})`).all(...task.streamIds) as Record<string, string | number>[]).map((r) => [
          r['stream_id'] as string,
          {
            streamId: r['stream_id'] as string,
            version: r['version'] as number,
            kind: r['kind'] as AggregateKind,
            machineVersion: r['machine_version'] as number,
            state: JSON.parse(r['state'] as string) as unknown,
            createdAt: r['created_at'] as string,
          } satisfies Snapshot,
        ]),
      );
      const byStream = new Map<string, StoredEvent[]>();
      for (const row of rows) {
        const list = byStream.get(row.stream_id) ?? [];
        list.push(deserializeEvent(row, upcasters));
        byStream.set(row.stream_id, list);
      }
      const aggregates: ReplayedAggregate[] = [];
      for (const id of task.streamIds) {
        const replayed = replayAggregate(id, byStream.get(id) ?? [], snapshots.get(id), task.useSnapshots);
        if (replayed) aggregates.push(replayed);
      }
      return { kind: 'replay', aggregates, events: rows.length };
    }
    default: {
      const _exhaustive: never = task.kind;
      throw new Error(`unknown task ${String(_exhaustive)}`);
    }
  }
}
