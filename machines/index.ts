import { createActor, initialTransition, transition, type Actor, type AnyStateMachine, type Snapshot } from 'xstate';
import type { DomainEvent } from '../src/domain/events.ts';
import { kindOfGeneric, type AggregateKind, type AggregateState } from '../src/domain/state.ts';
import { GAME_OBJECT_MACHINE_VERSION, gameObjectMachine } from './gameObject.machine.ts';
import { PLAYER_MACHINE_VERSION, playerMachine } from './player.machine.ts';
import { foldEvents, type FoldState } from './fold.ts';

export type { FoldState } from './fold.ts';
import { ROOM_MACHINE_VERSION, roomMachine } from './room.machine.ts';

export { gameObjectMachine, GAME_OBJECT_MACHINE_VERSION } from './gameObject.machine.ts';
export { playerMachine, PLAYER_MACHINE_VERSION } from './player.machine.ts';
export { roomMachine, ROOM_MACHINE_VERSION } from './room.machine.ts';

interface MachineEntry {
  readonly machine: AnyStateMachine;
  readonly version: number;
}

/** One machine per kind, with the version its snapshots are stamped with. */
export const aggregateMachines: Readonly<Record<AggregateKind, MachineEntry>> = {
  game_object: { machine: gameObjectMachine, version: GAME_OBJECT_MACHINE_VERSION },
  player: { machine: playerMachine, version: PLAYER_MACHINE_VERSION },
  room: { machine: roomMachine, version: ROOM_MACHINE_VERSION },
};

/** An XState machine snapshot of an aggregate (its context is the AggregateState). */
export type AggregateSnapshot = Snapshot<unknown> & { readonly value: unknown; readonly context: AggregateState };
export type AggregateActor = Actor<AnyStateMachine>;

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

/** The persisted form of a machine snapshot, as getPersistedSnapshot() gives it for our flat machines. */
export interface PersistedAggregate {
  readonly status: 'active';
  readonly value: string;
  readonly historyValue: Record<string, never>;
  readonly context: AggregateState;
  readonly children: Record<string, never>;
}

const templates = new Map<AggregateKind, FoldState>();

/** The state before any event (absent), without running XState: its initial state is computed once per kind. */
export function initialState(kind: AggregateKind, id: string): FoldState {
  let template = templates.get(kind);
  if (!template) {
    const snapshot = initialSnapshot(kind, '');
    template = { value: snapshot.value as string, context: snapshot.context };
    templates.set(kind, template);
  }
  return { value: template.value, context: { ...template.context, id } };
}

/** Folds events through the machine's compiled transition table (see fold.ts): what replay and hydration use. */
export function replay(kind: AggregateKind, from: FoldState, events: Iterable<DomainEvent>): FoldState {
  return foldEvents(aggregateMachines[kind].machine, from, events);
}

export function toPersisted(state: FoldState): PersistedAggregate {
  return { status: 'active', value: state.value, historyValue: {}, context: state.context, children: {} };
}

/** Reads a persisted snapshot back (as stored in a Snapshot row); throws if it is not one of this machine's states. */
export function fromPersisted(kind: AggregateKind, persisted: unknown): FoldState {
  const { value, context } = (persisted ?? {}) as { value?: unknown; context?: unknown };
  const states = aggregateMachines[kind].machine.config.states ?? {};
  if (typeof value !== 'string' || !(value in states) || typeof context !== 'object' || context === null) {
    throw new Error(`not a persisted ${kind} snapshot`);
  }
  return { value, context: context as AggregateState };
}

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

// One observer for every actor: its only job is to mark errors as handled, so XState never rethrows
// them globally. Whoever sends an event reads the failure from the actor's snapshot (actorError).
const handled = { error: () => {} };

/** Starts a live actor in the given state. A handler's error is never thrown globally: see actorError. */
export function startActor(kind: AggregateKind, id: string, state: FoldState): AggregateActor {
  const actor = createActor(aggregateMachines[kind].machine, { input: { id }, snapshot: toPersisted(state) as never });
  actor.subscribe(handled);
  return actor.start();
}

/** The error an actor stopped with, if a handler threw. */
export function actorError(actor: AggregateActor): unknown {
  const snapshot = actor.getSnapshot() as { status: string; error?: unknown };
  return snapshot.status === 'error' ? (snapshot.error ?? new Error('actor failed')) : undefined;
}
