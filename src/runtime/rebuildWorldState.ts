import { sealSnapshot } from '../eventStore/integrity.ts';
import type { AggregateRegistry } from '../definition/registry.ts';
import { canonicalJson } from '../eventStore/integrity.ts';
import type { EventStore, Snapshot } from '../eventStore/types.ts';
import type { ReplayedAggregate } from '../pool/protocol.ts';
import { replayAggregate } from '../pool/replayAggregate.ts';
import type { WorkerPool } from '../pool/WorkerPool.ts';

export interface WorldRebuildOptions {
  /** Start each aggregate from its snapshot instead of version 1 (faster; trusts the snapshots). */
  readonly useSnapshots?: boolean;
  /** Write a fresh snapshot of every replayed aggregate (default true). */
  readonly writeSnapshots?: boolean;
  /** Replay in these worker threads (SQLite file stores only; others replay on this thread). */
  readonly pool?: WorkerPool;
  readonly onProgress?: (aggregates: number) => void;
}

/** An aggregate whose state from one source differs from its replay. */
export interface Divergence {
  readonly streamId: string;
  readonly kind: string;
  /** 'snapshot': its stored snapshot plus the later events; 'live': the actor in memory. */
  readonly source: 'snapshot' | 'live';
  /** The state replayed from the events (canonical JSON). */
  readonly replayed: string;
  /** What the source held (canonical JSON, or why it could not be computed). */
  readonly found: string;
}

export interface WorldRebuildReport {
  readonly aggregates: number;
  readonly events: number | undefined;
  readonly snapshotsWritten: number;
  readonly divergent: readonly Divergence[];
  readonly parallel: boolean;
  readonly durationMs: number;
}

/** What rebuildWorldState needs from the runtime: its live actors. */
export interface LiveActors {
  peek(id: string): unknown;
  passivate(id: string): boolean;
}

/**
 * Really replays the world: every aggregate's state is rebuilt from the store, compared with its
 * stored snapshot (when not started from it) and its live actor, and freshly snapshotted. Divergent
 * live actors are passivated, so their next message hydrates them from the fresh snapshot.
 */
export async function rebuildWorldState(registry: AggregateRegistry, store: EventStore, live: LiveActors, options: WorldRebuildOptions = {}): Promise<WorldRebuildReport> {
  const started = Date.now();
  const useSnapshots = options.useSnapshots ?? false;
  const path = store.replaySource?.path;
  const pool = path ? options.pool : undefined;
  let aggregates = 0;
  let events: number | undefined = 0;
  let snapshotsWritten = 0;
  const divergent: Divergence[] = [];

  for (let after = ''; ; ) {
    const streams = await store.listStreams({ after, limit: 2000 });
    const last = streams.at(-1);
    if (!last) break;
    const ids = streams.map((s) => s.streamId);
    let replayed: ReplayedAggregate[];
    if (pool && path) {
      const results = await pool.replay(path, ids, useSnapshots);
      replayed = results.flatMap((r) => r.aggregates);
      events = events === undefined ? undefined : events + results.reduce((n, r) => n + r.events, 0);
    } else {
      replayed = [];
      for (const id of ids) {
        const stream = await store.readStream(id);
        events = events === undefined ? undefined : events + stream.length;
        const one = replayAggregate(registry, id, stream, await store.loadSnapshot(id), useSnapshots);
        if (one) replayed.push(one);
      }
    }

    const fresh: Snapshot[] = [];
    const createdAt = new Date().toISOString();
    for (const r of replayed) {
      aggregates++;
      if (r.fromSnapshot !== undefined && r.fromSnapshot !== r.state) {
        divergent.push({ streamId: r.streamId, kind: r.kind, source: 'snapshot', replayed: r.state, found: r.fromSnapshot });
      }
      const inMemory = live.peek(r.streamId);
      if (inMemory && canonicalJson(inMemory) !== r.state) {
        divergent.push({ streamId: r.streamId, kind: r.kind, source: 'live', replayed: r.state, found: canonicalJson(inMemory) });
        live.passivate(r.streamId);
      }
      fresh.push(
        sealSnapshot({
          streamId: r.streamId,
          version: r.version,
          kind: r.kind as Snapshot['kind'],
          machineVersion: r.machineVersion,
          state: JSON.parse(r.snapshot) as unknown,
          createdAt,
        }),
      );
    }
    if (options.writeSnapshots ?? true) {
      await store.saveSnapshots(fresh);
      snapshotsWritten += fresh.length;
    }
    options.onProgress?.(aggregates);
    after = last.streamId;
  }
  return { aggregates, events, snapshotsWritten, divergent, parallel: pool !== undefined, durationMs: Date.now() - started };
}
