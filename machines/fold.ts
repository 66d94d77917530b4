import type { AnyStateMachine } from 'xstate';
import type { DomainEvent } from '../src/domain/events.ts';
import type { AggregateState } from '../src/domain/state.ts';

type Assigner = (args: { context: AggregateState; event: DomainEvent }) => AggregateState;
interface CompiledTransition {
  readonly target: string | undefined;
  readonly assigners: readonly Assigner[];
}

/** A machine state reduced to what replay needs: its state value and context. */
export interface FoldState {
  readonly value: string;
  readonly context: AggregateState;
}

const compiled = new WeakMap<AnyStateMachine, Map<string, Map<string, CompiledTransition>>>();

/**
 * Compiles a machine's own definition (its `on` transitions and its named assign actions) into a
 * lookup table, so replay can apply thousands of events without XState's per-event interpreter
 * (microsteps, action resolution, snapshot objects: tens of microseconds each). Only what our
 * machines use is supported: flat states, event transitions with an optional sibling target, named
 * assign actions. Anything else throws at compile time; a property test checks this fold against
 * XState's own `transition` on random histories.
 */
function compile(machine: AnyStateMachine): Map<string, Map<string, CompiledTransition>> {
  const cached = compiled.get(machine);
  if (cached) return cached;
  const actions = (machine as unknown as { implementations: { actions: Record<string, { assignment?: Assigner }> } }).implementations.actions;
  const table = new Map<string, Map<string, CompiledTransition>>();
  const states = (machine.config.states ?? {}) as Record<string, { on?: Record<string, unknown>; states?: unknown }>;
  for (const [name, state] of Object.entries(states)) {
    if (state.states) throw new Error(`fold: nested states in ${machine.id}.${name} are not supported`);
    const transitions = new Map<string, CompiledTransition>();
    for (const [eventType, config] of Object.entries(state.on ?? {})) {
      const { target, actions: named } = (typeof config === 'string' ? { target: config } : config) as { target?: unknown; actions?: unknown };
      if (target !== undefined && (typeof target !== 'string' || !(target in states))) {
        throw new Error(`fold: ${machine.id}.${name} on ${eventType}: only sibling targets are supported`);
      }
      const list = named === undefined ? [] : Array.isArray(named) ? named : [named];
      const assigners = list.map((action) => {
        const assignment = typeof action === 'string' ? actions[action]?.assignment : undefined;
        if (typeof assignment !== 'function') throw new Error(`fold: ${machine.id}.${name} on ${eventType}: only named assign actions are supported`);
        return assignment;
      });
      transitions.set(eventType, { target: target as string | undefined, assigners });
    }
    table.set(name, transitions);
  }
  compiled.set(machine, table);
  return table;
}

/** Applies events the way the machine would, through its compiled transition table. Pure. */
export function foldEvents(machine: AnyStateMachine, start: FoldState, events: Iterable<DomainEvent>): FoldState {
  const table = compile(machine);
  let { value, context } = start;
  for (const event of events) {
    const transition = table.get(value)?.get(event.type);
    if (!transition) continue; // the machine ignores events its state does not handle
    for (const assign of transition.assigners) context = assign({ context, event });
    if (transition.target) value = transition.target;
  }
  return { value, context };
}
