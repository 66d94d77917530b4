import type { Database } from 'better-sqlite3';
import type { EventStore } from '../eventStore/types.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import type { FollowerOptions } from './eventFollower.ts';
import { openProjectionDb } from './projectionDb.ts';
import { Projector, type ProjectorStatus } from './Projector.ts';
import { ReactorRunner, type Reactor } from './reactor.ts';
import { ReadModel } from './ReadModel.ts';
import { rebuildProjections, type RebuildReport } from './rebuild.ts';
import { worldProjection } from './worldProjection.ts';

export interface ProjectionsOptions extends FollowerOptions {
  /** First wait before a failed reactor event is retried (default 1,000 ms, doubling). */
  readonly retryDelayMs?: number;
  /** The projection database file (its own file, not the event store's). */
  readonly path: string;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly reactors?: readonly Reactor[];
}

/** The world read model, its projector and any reactors, over one projection database. */
export interface Projections {
  readonly db: Database;
  readonly readModel: ReadModel;
  /** Catch up from the checkpoints, then follow new events. */
  start(): void;
  /** Resolves when everything committed so far is projected (and reacted to). */
  catchUp(): Promise<void>;
  status(): ProjectorStatus;
  /** For /health: ok is false (answer 503) while the projector or a reactor has stopped at a failing event. */
  health(): ProjectionsHealth;
  /** Replays the whole store into fresh tables and swaps them in; reads keep working meanwhile. */
  rebuild(onProgress?: (events: number) => void): Promise<RebuildReport>;
  close(): Promise<void>;
}

/** What /health reports about the read side. */
export interface ProjectionsHealth {
  readonly ok: boolean;
  readonly projector: ProjectorStatus;
  readonly failedReactors: readonly { readonly name: string; readonly error: string }[];
}

export function createProjections(store: EventStore, options: ProjectionsOptions): Projections {
  const db = openProjectionDb(options.path);
  const shared = { ...options, logger: options.logger ?? silentLogger, metrics: options.metrics ?? createMetrics() };
  const projector = new Projector(store, db, worldProjection(db), { ...shared, name: 'world' });
  const reactors = (options.reactors ?? []).map((reactor) => new ReactorRunner(store, db, reactor, shared));
  // One ReadModel per table generation: a rebuild replaces the tables, so statements are re-prepared.
  let readModel = new ReadModel(db);
  return {
    db,
    get readModel() {
      return readModel;
    },
    start() {
      projector.start();
      for (const reactor of reactors) reactor.start();
    },
    async catchUp() {
      await projector.catchUp();
      for (const reactor of reactors) await reactor.catchUp();
    },
    status: () => projector.status(),
    health() {
      const status = projector.status();
      const failedReactors = reactors.flatMap((r) => (r.failure === undefined ? [] : [{ name: r.name, error: r.failure }]));
      return { ok: status.state !== 'failed' && failedReactors.length === 0, projector: status, failedReactors };
    },
    async rebuild(onProgress) {
      const report = await rebuildProjections(store, db, { name: 'world', ...(onProgress && { onProgress }) });
      readModel = new ReadModel(db);
      projector.reload();
      await projector.catchUp();
      return report;
    },
    async close() {
      await projector.stop();
      for (const reactor of reactors) await reactor.stop();
      db.close();
    },
  };
}
