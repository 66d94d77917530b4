/**
 * The worker protocol: every message between the main thread and the pool's workers, typed once and
 * imported by both sides. Tasks are batches (hundreds of aggregates), never one per event: a round
 * trip to a worker costs tens of microseconds and cloning input costs more than the work per event.
 */

/** Replay whole aggregates from a SQLite event store file the worker opens read-only itself. */
export interface ReplayTask {
  readonly kind: 'replay';
  readonly storePath: string;
  readonly streamIds: readonly string[];
  /** Start from each aggregate's snapshot (when its machine version matches) instead of version 1. */
  readonly useSnapshots: boolean;
  /** A module (URL) exporting `aggregates`, the definitions to replay; default: the built-in world. */
  readonly aggregatesModule?: string;
}

export interface ReplayedAggregate {
  readonly streamId: string;
  readonly kind: string;
  /** The fingerprint (or manual version) a snapshot of this replay is stamped with. */
  readonly machineVersion: number;
  readonly version: number;
  /** The replayed machine snapshot, persisted form, as JSON text. */
  readonly snapshot: string;
  /** The state (context) replayed, as canonical JSON text: compared without re-serializing. */
  readonly state: string;
  /** When a usable snapshot exists and was not the starting point: the state snapshot + tail gives. */
  readonly fromSnapshot?: string;
}

export interface ReplayResult {
  readonly kind: 'replay';
  readonly aggregates: readonly ReplayedAggregate[];
  readonly events: number;
}

export type PoolTask = ReplayTask;
export type PoolResult = ReplayResult;
