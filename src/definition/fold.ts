import { initialTransition, transition, type AnyMachineSnapshot, type AnyStateMachine, type StateValue } from 'xstate';

/** A machine state reduced to what replay needs and snapshots keep: its state value and context. */
export interface FoldState {
  readonly value: StateValue;
  readonly context: unknown;
}

type Event = { readonly type: string };

/** The machine uses something replay cannot reproduce from its events alone: refused when the runtime starts. */
export class UnsupportedMachineError extends Error {}

type AssignArgs = { context: unknown; event: Event };
type Assignment = ((args: AssignArgs, params: undefined) => unknown) | Readonly<Record<string, unknown>>;
interface FastTransition {
  readonly target: string | undefined;
  readonly assignments: readonly Assignment[];
}
type FastTable = Map<string, Map<string, FastTransition>>;

/**
 * How a machine's events are applied in replay: `fast` through a compiled table (flat states, one
 * unguarded transition per event, named assign actions: what most aggregates need), otherwise through
 * XState's own `transition()`, one interpreted step per event. Never a third answer: anything the
 * table cannot express exactly goes to XState, and what XState itself cannot replay from events alone
 * (delayed transitions, invoked or spawned actors, history states) is refused.
 */
export interface Folder {
  readonly fast: boolean;
  readonly initial: (id: string) => FoldState;
  /** Applies events in order; throws what a handler throws. Pure. */
  readonly fold: (from: FoldState, events: Iterable<Event>) => FoldState;
}

const folders = new WeakMap<AnyStateMachine, Folder>();

export function folderFor(machine: AnyStateMachine): Folder {
  let folder = folders.get(machine);
  if (!folder) {
    refuseUnreplayable(machine);
    const table = compileFast(machine);
    const initial = initialFor(machine);
    folder = table
      ? { fast: true, initial, fold: (from, events) => fastFold(table, from, events) }
      : { fast: false, initial, fold: (from, events) => xstateFold(machine, from, events) };
    folders.set(machine, folder);
  }
  return folder;
}

/**
 * The state before any event. XState computes it once; when the initial context only copies the input
 * id into `context.id` (checked with two probes), later ids reuse that template instead of running
 * XState again for every aggregate spawned.
 */
function initialFor(machine: AnyStateMachine): (id: string) => FoldState {
  const compute = (id: string): FoldState => {
    const [snapshot] = initialTransition(machine, { id });
    return { value: snapshot.value, context: snapshot.context };
  };
  const a = compute('\u0000probe-a');
  const b = compute('\u0000probe-b');
  const context = a.context as Record<string, unknown> | undefined;
  const copiesId =
    typeof context === 'object' && context !== null && context['id'] === '\u0000probe-a' &&
    JSON.stringify({ ...context, id: '' }) === JSON.stringify({ ...(b.context as object), id: '' }) &&
    JSON.stringify(a.value) === JSON.stringify(b.value);
  return copiesId ? (id) => ({ value: a.value, context: { ...context, id } }) : compute;
}

/** The reference: XState's `transition()` from a resolved snapshot, one step per event. */
export function xstateFold(machine: AnyStateMachine, from: FoldState, events: Iterable<Event>): FoldState {
  let snapshot = machine.resolveState(from as never) as AnyMachineSnapshot;
  for (const event of events) {
    const [next] = transition(machine, snapshot as never, event as never);
    if (next.status === 'error') throw (next as { error?: unknown }).error ?? new Error(`${event.type} failed in ${machine.id}`);
    snapshot = next as AnyMachineSnapshot;
  }
  return { value: snapshot.value, context: snapshot.context };
}

function fastFold(table: FastTable, from: FoldState, events: Iterable<Event>): FoldState {
  let value = from.value as string;
  let context = from.context;
  for (const event of events) {
    const step = table.get(value)?.get(event.type);
    if (!step) continue; // the state does not handle the event: XState ignores it too
    for (const assignment of step.assignments) context = assign(assignment, context, event);
    if (step.target !== undefined) value = step.target;
  }
  return { value, context };
}

/** XState v5's assign semantics: a function's partial result, or an object of property assigners, merged into a copy. */
function assign(assignment: Assignment, context: unknown, event: Event): unknown {
  const args = { context, event };
  if (typeof assignment === 'function') {
    const partial = assignment(args, undefined) as Record<string, unknown>;
    // A reducer that returns a whole new context (the usual `{ ...context, x }`): merging it into a copy
    // of the old one would give an equal object, so skip the copy (half the cost of a replay step).
    return partial !== context && covers(partial, context as Record<string, unknown>) ? partial : Object.assign({}, context, partial);
  }
  const partial: Record<string, unknown> = {};
  for (const key of Object.keys(assignment)) {
    const property = assignment[key];
    partial[key] = typeof property === 'function' ? (property as (a: AssignArgs, p: undefined) => unknown)(args, undefined) : property;
  }
  return Object.assign({}, context, partial);
}

/** True if `partial` has an own property for every own property of `context`. */
function covers(partial: Record<string, unknown>, context: Record<string, unknown>): boolean {
  if (typeof partial !== 'object' || partial === null) return false;
  for (const key in context) if (!Object.hasOwn(partial, key) && Object.hasOwn(context, key)) return false;
  return true;
}

type Config = Record<string, unknown>;
const FAST_STATE_KEYS = new Set(['on', 'description', 'meta', 'tags']);
const FAST_TRANSITION_KEYS = new Set(['target', 'actions', 'description', 'meta']);

/**
 * Compiles a machine into a lookup table if, and only if, the table gives exactly XState's answer:
 * flat atomic states, no root transitions, no guards, one candidate per event, no entry/exit/always,
 * sibling targets, named actions that are assigns without params. Undefined otherwise.
 */
function compileFast(machine: AnyStateMachine): FastTable | undefined {
  const root = machine.config as Config;
  for (const key of Object.keys(root)) if (!['id', 'initial', 'context', 'states', 'types', 'schemas', 'description', 'meta', 'version'].includes(key)) return undefined;
  const states = (root['states'] ?? {}) as Record<string, Config>;
  if (typeof root['initial'] !== 'string') return undefined;
  const implementations = (machine.implementations?.actions ?? {}) as Record<string, { assignment?: Assignment; type?: string }>;
  const table: FastTable = new Map();
  for (const [name, state] of Object.entries(states)) {
    for (const key of Object.keys(state)) if (!FAST_STATE_KEYS.has(key)) return undefined;
    const transitions = new Map<string, FastTransition>();
    for (const [eventType, raw] of Object.entries((state['on'] ?? {}) as Record<string, unknown>)) {
      if (eventType.includes('*') || eventType.includes('.')) return undefined; // wildcards and partial descriptors
      if (raw === undefined) continue;
      const config = (typeof raw === 'string' ? { target: raw } : raw) as Config;
      if (Array.isArray(raw) || typeof config !== 'object' || config === null) return undefined;
      for (const key of Object.keys(config)) if (!FAST_TRANSITION_KEYS.has(key)) return undefined;
      const target = config['target'];
      if (target !== undefined && (typeof target !== 'string' || !Object.hasOwn(states, target))) return undefined;
      const named = config['actions'];
      const list = named === undefined ? [] : Array.isArray(named) ? named : [named];
      const assignments: Assignment[] = [];
      for (const action of list) {
        if (typeof action !== 'string' || !Object.hasOwn(implementations, action)) return undefined;
        const implementation = implementations[action];
        const assignment = implementation?.assignment;
        if (implementation?.type !== 'xstate.assign' || assignment === undefined) return undefined;
        assignments.push(assignment);
      }
      transitions.set(eventType, { target: target as string | undefined, assignments });
    }
    table.set(name, transitions);
  }
  return table;
}

/** Refuses what no fold can reproduce from events alone: delayed transitions, actors, history states. */
function refuseUnreplayable(machine: AnyStateMachine): void {
  const visit = (config: Config, path: string) => {
    if (config['after'] !== undefined) throw new UnsupportedMachineError(`${path}: delayed transitions (after) depend on time, not on events; schedule a command instead`);
    if (config['invoke'] !== undefined) throw new UnsupportedMachineError(`${path}: invoked actors cannot be replayed from events`);
    if (config['type'] === 'history') throw new UnsupportedMachineError(`${path}: history states are not kept in snapshots`);
    for (const [name, child] of Object.entries((config['states'] ?? {}) as Record<string, Config>)) visit(child, `${path}.${name}`);
  };
  visit(machine.config as Config, machine.id);
  for (const [name, action] of Object.entries((machine.implementations?.actions ?? {}) as Record<string, { type?: string }>)) {
    if (action?.type === 'xstate.spawnChild') throw new UnsupportedMachineError(`${machine.id}: action ${name} spawns an actor, which cannot be replayed from events`);
  }
}
