import { initialTransition, transition, type AnyStateMachine, type Snapshot } from 'xstate';
import type { DomainEvent } from '../src/world/events.ts';
import { kindOfGeneric, type AggregateKind, type AggregateState } from '../src/world/state.ts';
import { gameObjectMachine } from './gameObject.machine.ts';
import { playerMachine } from './player.machine.ts';
import { machineFingerprint } from '../src/definition/fingerprint.ts';
import { folderFor, type FoldState } from '../src/definition/fold.ts';

export type { FoldState } from '../src/definition/fold.ts';
import { roomMachine } from './room.machine.ts';

export { gameObjectMachine } from './gameObject.machine.ts';
export { playerMachine } from './player.machine.ts';
export { roomMachine } from './room.machine.ts';

interface MachineEntry {
  readonly machine: AnyStateMachine;
  /** What its snapshots are stamped with: the machine's fingerprint (see src/definition/fingerprint.ts). */
  readonly version: number;
}

const entry = (machine: AnyStateMachine): MachineEntry => ({ machine, version: machineFingerprint(machine) });

/** One machine per kind. */
export const aggregateMachines: Readonly<Record<AggregateKind, MachineEntry>> = {
  game_object: entry(gameObjectMachine),
  player: entry(playerMachine),
  room: entry(roomMachine),
};

/** An XState machine snapshot of an aggregate (its context is the AggregateState). */
export type AggregateSnapshot = Snapshot<unknown> & { readonly value: unknown; readonly context: AggregateState };

/** The kind a stream belongs to, read from its first event (always GameObjectCreated). */
export function kindOfFirstEvent(event: DomainEvent): AggregateKind {
  if (event.type !== 'GameObjectCreated') throw new Error(`a stream must start with GameObjectCreated, not ${event.type}`);
  return kindOfGeneric(event.data.generic);
}

/** The machine snapshot before any event: the aggregate is absent. */
export function initialSnapshot(kind: AggregateKind, id: string): AggregateSnapshot {
  const [snapshot] = initialTransition(aggregateMachines[kind].machine, { id });
  return snapshot as AggregateSnapshot;
}

/** The state before any event (absent). */
export function initialState(kind: AggregateKind, id: string): FoldState {
  return folderFor(aggregateMachines[kind].machine).initial(id);
}

/** Folds events the way the runtime does (src/definition/fold.ts): a compiled table, or XState where it must. */
export function replay(kind: AggregateKind, from: FoldState, events: Iterable<DomainEvent>): FoldState {
  return folderFor(aggregateMachines[kind].machine).fold(from, events);
}

export { persisted as toPersisted } from '../src/runtime/persisted.ts';

/** XState-resolved fold, for comparisons with the reference: replay() plus a real machine snapshot. */
export function replayEvents(kind: AggregateKind, snapshot: AggregateSnapshot, events: Iterable<DomainEvent>): AggregateSnapshot {
  const folded = replay(kind, { value: snapshot.value as string, context: snapshot.context }, events);
  return aggregateMachines[kind].machine.resolveState(folded as never) as AggregateSnapshot;
}

/** Reference fold: applies events through XState's own `transition`, one interpreted step each. */
export function applyEvents(kind: AggregateKind, snapshot: AggregateSnapshot, events: Iterable<DomainEvent>): AggregateSnapshot {
  const { machine } = aggregateMachines[kind];
  let current = snapshot;
  for (const event of events) {
    const [next] = transition(machine, current as never, event);
    if (next.status === 'error') throw (next as { error?: unknown }).error ?? new Error(`${event.type} failed`);
    current = next as AggregateSnapshot;
  }
  return current;
}

/** Restores a machine snapshot persisted with getPersistedSnapshot() (or built by applyEvents). */
export function restoreSnapshot(kind: AggregateKind, persisted: unknown): AggregateSnapshot {
  const { machine } = aggregateMachines[kind];
  return machine.resolveState(persisted as never) as AggregateSnapshot;
}
