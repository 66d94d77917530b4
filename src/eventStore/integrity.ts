import { createHash } from 'node:crypto';
import type { EventRow, UnlinkedRow } from './serialization.ts';
import type { Snapshot } from './types.ts';

/** The hash that starts every chain. */
export const GENESIS = '0'.repeat(64);

/** JSON with object keys sorted at every level: the same value always serializes to the same bytes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The event's link in its stream's chain: sha256 over the previous event's hash and the row as
 * stored (data and metadata as their JSON text, before any upcasting), without its global position,
 * which a migration may renumber.
 */
export function eventHash(previous: string, row: UnlinkedRow): string {
  // A fixed field order of primitives (data and metadata are already JSON text): deterministic as it is.
  const fields = [row.event_id, row.stream_id, row.version, row.type, row.schema_version, row.data, row.metadata, row.occurred_at];
  return sha256(`${previous}\n${JSON.stringify(fields)}`);
}

/** Links unlinked rows of one stream into both chains, starting from the given heads. */
export function linkRows(
  rows: readonly UnlinkedRow[],
  heads: { streamHash: string; chainHash: string },
): { rows: Omit<EventRow, 'position'>[]; streamHash: string; chainHash: string } {
  let { streamHash, chainHash: chain } = heads;
  const linked = rows.map((row) => {
    streamHash = eventHash(streamHash, row);
    chain = chainHash(chain, streamHash);
    return { ...row, hash: streamHash, chain_hash: chain };
  });
  return { rows: linked, streamHash, chainHash: chain };
}

/** The event's link in the store-wide chain, in global order: sha256 over the previous link and its hash. */
export function chainHash(previous: string, hash: string): string {
  return sha256(`${previous}\n${hash}`);
}

/**
 * - modified: the content no longer matches its hash, while its store-wide link still holds.
 * - inserted: neither the content nor the store-wide link match: a row that does not belong here.
 * - missing: a stream skips versions (removed, unless they appear later: then reordered).
 * - reordered: a stream's versions appear out of order.
 * - chain_broken: the event itself is intact but the store-wide chain breaks before it: an event
 *   was removed from between the two (or this one was re-hashed after a change).
 */
export type IntegrityProblem = 'modified' | 'inserted' | 'missing' | 'reordered' | 'chain_broken' | 'head_mismatch' | 'snapshot_modified';

export interface VerifyFinding {
  readonly problem: IntegrityProblem;
  readonly position: number;
  readonly streamId: string;
  readonly version: number;
  readonly detail: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  /** The first problem found, in global order. */
  readonly firstProblem?: VerifyFinding;
  /**
   * Every problem found, in global order (at most MAX_FINDINGS; `moreProblems` counts the rest): verification
   * goes on past a problem, so a real edit after a false alarm, or a second edit, is still reported.
   */
  readonly problems: readonly VerifyFinding[];
  readonly moreProblems: number;
  /** The last event checked and the chain hash there: record it, and a later verify can detect truncation. */
  readonly head: { readonly position: number; readonly chainHash: string };
}

/** The most findings a report lists; a store damaged everywhere is summed up past it, not held in memory. */
export const MAX_FINDINGS = 1000;

/**
 * Walks events in global order and checks both chains. It finds any event whose content changed
 * (its hash no longer matches), a version gap (missing), a version out of order (reordered), and a
 * break in the store-wide chain (an event inserted or removed between two others). It cannot see
 * events removed from the very end of the store: compare `head` with one recorded earlier for that.
 * After a problem it takes the row's own stored links as the new baseline and goes on, so each later
 * problem is reported on its own (a damaged row does not make every row after it look damaged).
 */
export class ChainVerifier {
  readonly #streams = new Map<string, { version: number; hash: string }>();
  readonly #problems: VerifyFinding[] = [];
  readonly #headsSeen = new Set<string>();
  #more = 0;
  #chain = GENESIS;
  #count = 0;
  #position = 0;

  /** Checks the next event; returns false when it has a problem. */
  check(event: EventRow): boolean {
    const at = { position: event.position, streamId: event.stream_id, version: event.version };
    const stream = this.#streams.get(event.stream_id) ?? { version: 0, hash: GENESIS };
    const finding = this.#findingFor(event, at, stream);
    if (finding) this.#record(finding);
    // The next row is checked against this one's stored links, whatever this one's verdict (when it has
    // none, its stored chain link is the one just computed).
    this.#streams.set(event.stream_id, { version: Math.max(event.version, stream.version), hash: event.hash });
    this.#chain = event.chain_hash;
    this.#position = Math.max(this.#position, event.position);
    this.#count++;
    return !finding;
  }

  #findingFor(event: EventRow, at: Omit<VerifyFinding, 'problem' | 'detail'>, stream: { version: number; hash: string }): VerifyFinding | undefined {
    if (event.position <= this.#position) return { ...at, problem: 'reordered', detail: `position ${event.position} after ${this.#position}` };
    if (event.version <= stream.version) {
      // A version skipped earlier that turns up here was moved, not lost: one finding, at the gap, says so.
      const gap = this.#problems.find((p) => p.problem === 'missing' && p.streamId === event.stream_id && p.version > event.version);
      if (gap) {
        this.#problems[this.#problems.indexOf(gap)] = { ...gap, problem: 'reordered', detail: `version ${event.version} appears later, at position ${event.position}` };
        return undefined;
      }
      return { ...at, problem: 'reordered', detail: `version ${event.version} after version ${stream.version}` };
    }
    if (event.version !== stream.version + 1) return { ...at, problem: 'missing', detail: `versions ${stream.version + 1}..${event.version - 1} are missing` };
    const contentOk = eventHash(stream.hash, event) === event.hash;
    const linkOk = chainHash(this.#chain, event.hash) === event.chain_hash;
    if (!contentOk) {
      return linkOk
        ? { ...at, problem: 'modified', detail: 'content does not match its hash' }
        : { ...at, problem: 'inserted', detail: 'neither content nor store-wide link match: the row does not belong here' };
    }
    if (!linkOk) return { ...at, problem: 'chain_broken', detail: 'store-wide chain breaks before this event: one was removed, or this one re-hashed' };
    return undefined;
  }

  #record(finding: VerifyFinding): void {
    if (this.#problems.length < MAX_FINDINGS) this.#problems.push(finding);
    else this.#more++;
  }

  get problem(): VerifyFinding | undefined {
    return this.#problems[0];
  }

  /**
   * Checks the stream heads the store keeps (the version an append's expected-version check reads) against
   * the events walked: a head edited or lost lets the next append skip or overwrite versions. Call after
   * every event was checked, with every head, then `headsDone()`. Findings have position 0.
   */
  checkHead(streamId: string, version: number): void {
    const seen = this.#streams.get(streamId);
    this.#headsSeen.add(streamId);
    if (!seen) this.#record({ problem: 'head_mismatch', position: 0, streamId, version, detail: `a stream head at version ${version} for a stream with no events` });
    else if (seen.version !== version) {
      this.#record({ problem: 'head_mismatch', position: 0, streamId, version, detail: `the stream head says version ${version}, its events end at version ${seen.version}` });
    }
  }

  /**
   * Checks a stored snapshot's seal and that it is not ahead of its stream. A snapshot from before seals
   * is not a problem (it is never loaded: the aggregate replays); an edited one is.
   */
  checkSnapshot(snapshot: Snapshot): void {
    const opened = unsealSnapshot(snapshot);
    const at = { position: 0, streamId: snapshot.streamId, version: snapshot.version };
    if (!opened.ok && opened.problem === 'edited') {
      this.#record({ ...at, problem: 'snapshot_modified', detail: 'the snapshot does not match its seal' });
    } else if (snapshot.version > (this.#streams.get(snapshot.streamId)?.version ?? 0)) {
      this.#record({ ...at, problem: 'snapshot_modified', detail: 'the snapshot is ahead of its stream\'s events' });
    }
  }

  /** Reports streams that have events but no head. */
  headsDone(): void {
    for (const [streamId, seen] of this.#streams) {
      if (!this.#headsSeen.has(streamId)) this.#record({ problem: 'head_mismatch', position: 0, streamId, version: seen.version, detail: 'the stream has events but no head' });
    }
  }

  report(): VerifyReport {
    const first = this.#problems[0];
    return {
      ok: !first,
      eventsChecked: this.#count,
      streamsChecked: this.#streams.size,
      ...(first && { firstProblem: first }),
      problems: [...this.#problems],
      moreProblems: this.#more,
      head: { position: this.#position, chainHash: this.#chain },
    };
  }
}

/** Verifies a whole store, page by page, in global order. */
export async function verifyStore(
  store: {
    readAllRows(options: { after: number; limit: number }): Promise<EventRow[]>;
    listStreams?(options: { after?: string; limit?: number }): Promise<{ streamId: string; version: number }[]>;
    readSnapshots?(): Promise<Snapshot[]>;
  },
  options: { pageSize?: number; onProgress?: (checked: number) => void } = {},
): Promise<VerifyReport> {
  const verifier = new ChainVerifier();
  const limit = options.pageSize ?? 5000;
  for (let after = 0; ; ) {
    const rows = await store.readAllRows({ after, limit });
    for (const row of rows) verifier.check(row);
    options.onProgress?.(verifier.report().eventsChecked);
    const last = rows.at(-1);
    if (!last || rows.length < limit) break;
    after = last.position;
  }
  if (store.listStreams) {
    for (let after = ''; ; ) {
      const heads = await store.listStreams({ after, limit });
      for (const head of heads) verifier.checkHead(head.streamId, head.version);
      const last = heads.at(-1);
      if (!last || heads.length < limit) break;
      after = last.streamId;
    }
    verifier.headsDone();
  }
  if (store.readSnapshots) for (const snapshot of await store.readSnapshots()) verifier.checkSnapshot(snapshot);
  return verifier.report();
}

/**
 * A snapshot's state as stored: the machine state and a seal, sha256 over everything the snapshot claims
 * (stream, version, kind, machine version and the canonical state). A snapshot edited in place no longer
 * matches its seal and is refused on load (the aggregate is replayed from its events) and by verify. Like
 * the event chains it is unkeyed: it proves an edit by anyone who does not recompute it, not more.
 */
export interface SealedState {
  readonly sealed: string;
  readonly state: unknown;
}

const sealOf = (s: Pick<Snapshot, 'streamId' | 'version' | 'kind' | 'machineVersion'>, state: unknown): string =>
  sha256(canonicalJson({ streamId: s.streamId, version: s.version, kind: s.kind, machineVersion: s.machineVersion, state }));

/** The snapshot to store for a machine state: its state wrapped with the seal. */
export function sealSnapshot(snapshot: Snapshot): Snapshot {
  return { ...snapshot, state: { sealed: sealOf(snapshot, snapshot.state), state: snapshot.state } satisfies SealedState };
}

/** The machine state a stored snapshot holds, if its seal matches; why not otherwise. */
export function unsealSnapshot(snapshot: Snapshot): { ok: true; state: unknown } | { ok: false; problem: 'unsealed' | 'edited'; state: unknown } {
  const stored = snapshot.state as Partial<SealedState> | null;
  if (typeof stored !== 'object' || stored === null || typeof stored.sealed !== 'string' || !('state' in stored)) {
    return { ok: false, problem: 'unsealed', state: snapshot.state }; // written before snapshots were sealed
  }
  if (sealOf(snapshot, stored.state) !== stored.sealed) return { ok: false, problem: 'edited', state: stored.state };
  return { ok: true, state: stored.state };
}
