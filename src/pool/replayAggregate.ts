import type { AggregateRegistry, HostedKind } from '../definition/registry.ts';
import type { FoldState } from '../definition/fold.ts';
import { canonicalJson, unsealSnapshot } from '../eventStore/integrity.ts';
import type { ReplayEvent, Snapshot } from '../eventStore/types.ts';
import { persisted } from '../runtime/persisted.ts';
import type { ReplayedAggregate } from './protocol.ts';

/** A snapshot's kind and state if it is usable: a hosted kind, the same machine, a state that parses. */
export function usableSnapshot(registry: AggregateRegistry, snapshot: Snapshot | undefined): { kind: HostedKind; version: number; state: FoldState } | undefined {
  const opened = snapshot && unsealSnapshot(snapshot);
  return opened?.ok ? parsedSnapshot(registry, snapshot, opened.state) : undefined;
}

/** A snapshot's kind and parsed state, seal aside: a hosted kind, the same machine, a state that parses. */
function parsedSnapshot(registry: AggregateRegistry, snapshot: Snapshot | undefined, state: unknown): { kind: HostedKind; version: number; state: FoldState } | undefined {
  const kind = snapshot && registry.kinds.get(snapshot.kind);
  if (!snapshot || !kind || snapshot.machineVersion !== kind.snapshotVersion) return undefined;
  try {
    return { kind, version: snapshot.version, state: kind.parseSnapshot(state) };
  } catch {
    return undefined;
  }
}

/**
 * Replays one aggregate: from version 1, or from its snapshot when asked (and the snapshot is usable).
 * When replaying from version 1 and a usable snapshot exists, also reports the state that snapshot
 * plus the tail gives, so a corrupted snapshot shows up. Pure; runs on the main thread or in a pool
 * worker alike.
 */
export function replayAggregate(
  registry: AggregateRegistry,
  streamId: string,
  events: readonly ReplayEvent[],
  snapshot: Snapshot | undefined,
  useSnapshots: boolean,
): ReplayedAggregate | undefined {
  const usable = usableSnapshot(registry, snapshot);
  const first = events[0];
  const kind = usable?.kind ?? (first && registry.kindOfStream(first));
  if (!kind) return undefined;
  const fromSnapshot = (s: NonNullable<typeof usable>) => kind.fold(s.state, events.filter((e) => e.version > s.version));
  const replayed = useSnapshots && usable ? fromSnapshot(usable) : kind.fold(kind.initial(streamId), events);
  const version = events.at(-1)?.version ?? usable?.version ?? 0;
  let alternative: string | undefined;
  const opened = snapshot && unsealSnapshot(snapshot);
  const edited = opened && !opened.ok && opened.problem === 'edited' ? parsedSnapshot(registry, snapshot, opened.state) : undefined;
  if (edited) alternative = `the snapshot does not match its seal: ${canonicalJson(edited.state.context)}`;
  if (!useSnapshots && usable) {
    try {
      alternative = canonicalJson(fromSnapshot(usable).context);
    } catch (error) {
      alternative = `snapshot does not replay: ${(error as Error).message}`;
    }
  }
  return {
    streamId,
    kind: kind.name,
    machineVersion: kind.snapshotVersion,
    version,
    snapshot: JSON.stringify(persisted(replayed)),
    state: canonicalJson(replayed.context),
    ...(alternative !== undefined && { fromSnapshot: alternative }),
  };
}
