import { aggregateMachines, fromPersisted, initialState, kindOfFirstEvent, replay, toPersisted } from '../../machines/index.ts';
import type { ReplayEvent, Snapshot } from '../eventStore/types.ts';
import { canonicalJson } from '../eventStore/integrity.ts';
import type { ReplayedAggregate } from './protocol.ts';

/**
 * Replays one aggregate: from version 1, or from its snapshot when asked (and the snapshot's
 * machine version is current). When replaying from version 1 and a usable snapshot exists, also
 * reports the state that snapshot plus the tail gives, so a corrupted snapshot shows up. Pure; runs
 * on the main thread or in a pool worker alike.
 */
export function replayAggregate(
  streamId: string,
  events: readonly ReplayEvent[],
  snapshot: Snapshot | undefined,
  useSnapshots: boolean,
): ReplayedAggregate | undefined {
  const usable = snapshot && snapshot.machineVersion === aggregateMachines[snapshot.kind].version ? snapshot : undefined;
  const first = events[0];
  const kind = usable?.kind ?? (first && kindOfFirstEvent(first));
  if (!kind) return undefined;
  const fromSnapshot = (s: Snapshot) =>
    replay(kind, fromPersisted(kind, s.state), events.filter((e) => e.version > s.version));
  const replayed = useSnapshots && usable ? fromSnapshot(usable) : replay(kind, initialState(kind, streamId), events);
  const version = events.at(-1)?.version ?? usable?.version ?? 0;
  let alternative: string | undefined;
  if (!useSnapshots && usable) {
    try {
      alternative = canonicalJson(fromSnapshot(usable).context);
    } catch (error) {
      alternative = `snapshot does not replay: ${(error as Error).message}`;
    }
  }
  return {
    streamId,
    kind,
    version,
    snapshot: JSON.stringify(toPersisted(replayed)),
    state: canonicalJson(replayed.context),
    ...(alternative !== undefined && { fromSnapshot: alternative }),
  };
}
