/** The pool's worker: runs tasks of the worker protocol (see protocol.ts). */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { AggregateRegistry } from '../definition/registry.ts';
import { registryUpcasters } from '../definition/upcasters.ts';
import { toReplayEvent } from '../eventStore/serialization.ts';
import type { ReplayEvent, Snapshot } from '../eventStore/types.ts';
import { worldAggregates } from '../world/kinds.ts';
import type { PoolResult, PoolTask, ReplayedAggregate } from './protocol.ts';
import { replayAggregate, usableSnapshot } from './replayAggregate.ts';

interface Hosted {
  readonly registry: AggregateRegistry;
  readonly upcasters: ReturnType<typeof registryUpcasters>;
}
const hostedKinds = new Map<string, Promise<Hosted>>();

/**
 * Imports a definitions module. From TypeScript sources the worker runs under tsx's CommonJS hook,
 * which require() goes through and import() does not: .ts modules are required.
 */
async function load(module: string): Promise<{ aggregates?: unknown }> {
  if (!module.endsWith('.ts')) return (await import(module)) as { aggregates?: unknown };
  return createRequire(import.meta.url)(fileURLToPath(module)) as { aggregates?: unknown };
}

/**
 * The kinds a task replays: the built-in world, or those a module exports as `aggregates` (functions
 * cannot cross to a thread, so the worker imports the definitions itself, once per module).
 */
function hosted(module: string | undefined): Promise<Hosted> {
  const key = module ?? '';
  let found = hostedKinds.get(key);
  if (!found) {
    found = (module ? load(module).then((m: { aggregates?: unknown }) => m.aggregates) : Promise.resolve(worldAggregates)).then((aggregates) => {
      if (!Array.isArray(aggregates)) throw new Error(`${module} must export \`aggregates\`: the definitions to replay`);
      const registry = new AggregateRegistry(aggregates);
      return { registry, upcasters: registryUpcasters(registry) };
    });
    hostedKinds.set(key, found);
  }
  return found;
}
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

/** Where a replay from this snapshot starts: its version, or 0 when a machine change made it unusable. */
export default async function run(task: PoolTask): Promise<PoolResult> {
  try {
    return runTask(task, await hosted(task.aggregatesModule));
  } catch (error) {
    // Library errors (SqliteError) lose their message when cloned to the main thread: keep it.
    const { message, code } = error as { message?: string; code?: string };
    throw new Error(code ? `${code}: ${message}` : String(message ?? error));
  }
}

function runTask(task: PoolTask, { registry, upcasters }: Hosted): PoolResult {
  const usableVersion = (snapshot: Snapshot | undefined): number => usableSnapshot(registry, snapshot)?.version ?? 0;
  switch (task.kind) {
    case 'replay': {
      const db = open(task.storePath);
      const marks = task.streamIds.map(() => '?').join(', ');
      const snapshots = new Map(
        (db.prepare(`SELECT * FROM snapshots WHERE stream_id IN (${marks})`).all(...task.streamIds) as Record<string, string | number>[]).map((r) => [
          r['stream_id'] as string,
          {
            streamId: r['stream_id'] as string,
            version: r['version'] as number,
            kind: r['kind'] as Snapshot['kind'],
            machineVersion: r['machine_version'] as number,
            state: JSON.parse(r['state'] as string) as unknown,
            createdAt: r['created_at'] as string,
          } satisfies Snapshot,
        ]),
      );
      // Only the columns a fold needs, as arrays (better-sqlite3 raw mode): the envelope is not needed here.
      // Started from snapshots, only the tails are read.
      const all = db.prepare(`SELECT stream_id, version, type, schema_version, data FROM events WHERE stream_id IN (${marks}) ORDER BY stream_id, version`).raw(true);
      const tail = db.prepare('SELECT stream_id, version, type, schema_version, data FROM events WHERE stream_id = ? AND version > ? ORDER BY version').raw(true);
      const rows = (
        task.useSnapshots
          ? task.streamIds.flatMap((id) => tail.all(id, usableVersion(snapshots.get(id))))
          : all.all(...task.streamIds)
      ) as [string, number, string, number, string][];
      const byStream = new Map<string, ReplayEvent[]>();
      for (const [streamId, version, type, schemaVersion, data] of rows) {
        const list = byStream.get(streamId) ?? [];
        list.push(toReplayEvent(upcasters, streamId, version, type, schemaVersion, data));
        byStream.set(streamId, list);
      }
      const aggregates: ReplayedAggregate[] = [];
      for (const id of task.streamIds) {
        const replayed = replayAggregate(registry, id, byStream.get(id) ?? [], snapshots.get(id), task.useSnapshots);
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
