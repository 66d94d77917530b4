import type { Database } from 'better-sqlite3';
import { describe } from '../errors.ts';
import type { EventStore } from '../eventStore/types.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { worldAggregates } from '../world/kinds.ts';
import { projectionsOf, type ProjectionDefinition } from './define.ts';
import type { FollowerOptions } from './eventFollower.ts';
import { checkReadModelIdentity } from './identity.ts';
import { openProjectionDb } from './projectionDb.ts';
import { Projector, type ProjectorStatus } from './Projector.ts';
import { ReactorRunner, type Reactor } from './reactor.ts';
import { ReadModel } from '../world/readModel.ts';
import { rebuildProjection, type RebuildReport } from './rebuild.ts';

export interface ProjectionsOptions extends FollowerOptions {
  /** First wait before a failed reactor event is retried (default 1,000 ms, doubling). */
  readonly retryDelayMs?: number;
  /** The projection database file (its own file, not the event store's). */
  readonly path: string;
  readonly logger?: Logger;
  readonly metrics?: Metrics;
  readonly reactors?: readonly Reactor[];
  /**
   * The projections to run (default: those the built-in world's kinds bring). A game passes
   * `projectionsOf(itsDefinitions)`, or lists its own next to the world's.
   */
  readonly projections?: readonly ProjectionDefinition[];
}

/** The projections, their projectors and any reactors, over one projection database. */
export interface Projections {
  readonly db: Database;
  /** The built-in world's queries (its projection must be among those run). */
  readonly readModel: ReadModel;
  /** Checks the read model belongs to the store, then catches up from the checkpoints and follows new events. */
  start(): void;
  /**
   * Resolves when everything committed so far is projected (and reacted to). Rejects with a
   * ReadModelMismatchError when the read model belongs to another store.
   */
  catchUp(): Promise<void>;
  /** The first projection's status (the world's, by default); statuses() has all. */
  status(): ProjectorStatus;
  statuses(): ProjectorStatus[];
  /** For /health: ok is false (answer 503) while a projector or reactor has stopped at a failing event, or the read model belongs to another store. */
  health(): ProjectionsHealth;
  /** Replays the whole store into fresh tables of every projection and swaps them in; reads keep working meanwhile. */
  rebuild(onProgress?: (events: number) => void): Promise<RebuildReport>;
  close(): Promise<void>;
}

/** What /health reports about the read side. */
export interface ProjectionsHealth {
  readonly ok: boolean;
  readonly projector: ProjectorStatus;
  readonly projectors: readonly ProjectorStatus[];
  readonly failedReactors: readonly { readonly name: string; readonly error: string }[];
  /** Set when the read model was refused for this store (code CONFIG, reason READ_MODEL_MISMATCH). */
  readonly identity?: { readonly reason: 'READ_MODEL_MISMATCH'; readonly error: string };
}

export function createProjections(store: EventStore, options: ProjectionsOptions): Projections {
  const definitions = options.projections ?? projectionsOf(worldAggregates);
  if (definitions.length === 0) throw new Error('createProjections needs at least one projection');
  const db = openProjectionDb(options.path, definitions);
  const shared = { ...options, logger: options.logger ?? silentLogger, metrics: options.metrics ?? createMetrics() };
  const projectors = definitions.map((p) => new Projector(store, db, p.handler(db, ''), { ...shared, name: p.name }));
  const reactors = (options.reactors ?? []).map((reactor) => new ReactorRunner(store, db, reactor, shared));
  const names = definitions.map((p) => p.name);
  let mismatch: string | undefined;
  let bound = false;
  let unbind: (() => void) | undefined;
  /** Nothing is projected into a read model that belongs to another store. */
  const verify = async (): Promise<void> => {
    try {
      bound = await checkReadModelIdentity(db, store, names);
      mismatch = undefined;
    } catch (error) {
      mismatch = describe(error);
      throw error;
    }
  };
  let started = false;
  const follow = () => {
    if (started) return;
    started = true;
    for (const projector of projectors) projector.start();
    for (const reactor of reactors) reactor.start();
  };
  // One ReadModel per table generation: a rebuild replaces the tables, so statements are re-prepared.
  let readModel: ReadModel | undefined;
  return {
    db,
    get readModel() {
      return (readModel ??= new ReadModel(db));
    },
    start() {
      verify().then(
        () => {
          follow();
          // Started on an empty store: bound to it at its first commit here (other processes' at the next check).
          if (!bound) {
            unbind = store.onAppend(() => {
              if (bound) return unbind?.();
              verify().catch((error: unknown) => shared.logger.error('read model refused', { error: describe(error) }));
            });
          }
        },
        (error: unknown) => shared.logger.error('read model refused', { error: describe(error) }),
      );
    },
    async catchUp() {
      await verify();
      for (const projector of projectors) await projector.catchUp();
      for (const reactor of reactors) await reactor.catchUp();
    },
    status: () => (projectors[0] as Projector).status(),
    statuses: () => projectors.map((p) => p.status()),
    health() {
      const statuses = projectors.map((p) => p.status());
      const failedReactors = reactors.flatMap((r) => (r.failure === undefined ? [] : [{ name: r.name, error: r.failure }]));
      return {
        ok: mismatch === undefined && statuses.every((s) => s.state !== 'failed') && failedReactors.length === 0,
        projector: statuses[0] as ProjectorStatus,
        projectors: statuses,
        failedReactors,
        ...(mismatch !== undefined && { identity: { reason: 'READ_MODEL_MISMATCH' as const, error: mismatch } }),
      };
    },
    async rebuild(onProgress) {
      await verify();
      let events = 0;
      let position = 0;
      const began = Date.now();
      for (const definition of definitions) {
        const report = await rebuildProjection(store, db, definition, { ...(onProgress && { onProgress }) });
        events = report.events;
        position = Math.max(position, report.position);
      }
      readModel = undefined;
      for (const projector of projectors) {
        projector.reload();
        await projector.catchUp();
      }
      return { events, position, durationMs: Date.now() - began };
    },
    async close() {
      unbind?.();
      for (const projector of projectors) await projector.stop();
      for (const reactor of reactors) await reactor.stop();
      db.close();
    },
  };
}
