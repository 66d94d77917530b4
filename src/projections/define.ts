import type { Database } from 'better-sqlite3';
import type { StoredEvent } from '../eventStore/types.ts';

/**
 * A read model a definition (or a module of definitions, like the built-in world) brings: its tables,
 * the numbered migrations that create and change them, and how each committed event changes them.
 * The projection database runs each projection with its own checkpoint (named after it) and its own
 * migration history; a rebuild replays the store into fresh copies of its tables and swaps them in.
 */
export interface ProjectionDefinition {
  /** Unique and stable (lower_snake_case): it names the checkpoint and the migration history. */
  readonly name: string;
  /** The tables it owns (a rebuild replaces exactly these, with their indexes). */
  readonly tables: readonly string[];
  /** Numbered SQL steps, applied in order once each, recorded per projection. Append; never edit an applied one. */
  readonly migrations: readonly string[];
  /**
   * The event handler over a database, with `suffix` appended to every table name it writes (a rebuild
   * fills `<table>__next`). Deterministic: it reads only the event and its tables; runs inside the
   * caller's transaction, together with the checkpoint. Events it does not know it passes over.
   */
  handler(db: Database, suffix: string): (event: StoredEvent) => void;
  /**
   * A table (`version`, `applied_at`) where an older release recorded this projection's applied
   * migrations: adopted once into its own history, so an existing read model is not migrated twice.
   */
  readonly legacyMigrations?: string;
}

/** Defines a projection (see ProjectionDefinition); checked when the projection database opens. */
export function defineProjection<const P extends ProjectionDefinition>(projection: P): P {
  return projection;
}

/** The projections a set of definitions brings, each once, in order (a module's kinds share one). */
export function projectionsOf(definitions: readonly { readonly projection?: ProjectionDefinition | undefined }[]): ProjectionDefinition[] {
  const seen = new Map<string, ProjectionDefinition>();
  for (const { projection } of definitions) {
    if (!projection) continue;
    const other = seen.get(projection.name);
    if (other && other !== projection) throw new Error(`two different projections are named ${projection.name}`);
    seen.set(projection.name, projection);
  }
  return [...seen.values()];
}
