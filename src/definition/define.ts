import type { AnyStateMachine, EventFromLogic } from 'xstate';
import type { z } from 'zod';
import type { ProjectionDefinition } from '../projections/define.ts';
import type { ReadSet } from './reads.ts';
import type { TimerRequest } from './timers.ts';

/** A command's schema: an object with at least the target aggregate's `id` (its `type` is the key it is declared under). */
export type CommandSchema = z.ZodType<{ readonly id: string }>;
export type CommandSchemas = Readonly<Record<string, CommandSchema>>;

/** An event type: the schema of its data, the schema version the code writes, and upcasters from older versions. */
export interface EventSpec<D = unknown> {
  readonly schema: z.ZodType<D>;
  /** The schema version written today (default 1). */
  readonly version?: number;
  /** `upcasters[n]` turns data stored at version n into the shape of version n + 1. Pure. */
  readonly upcasters?: Readonly<Record<number, (data: unknown) => unknown>>;
}
export type EventSpecs = Readonly<Record<string, EventSpec>>;

/** The commands a set of schemas declares: `{ type, id, ...fields }`, discriminated by `type`. */
export type CommandsOf<C extends CommandSchemas> = { [K in keyof C & string]: { readonly type: K } & Omit<z.infer<C[K]>, 'type'> }[keyof C & string];
/** The events a set of specs declares: `{ type, data }`, discriminated by `type`. */
export type EventsOf<E extends EventSpecs> = { [K in keyof E & string]: { readonly type: K; readonly data: z.infer<E[K]['schema']> } }[keyof E & string];

/** A typed refusal: the command is valid but the aggregate's state does not allow it. Nothing is stored. */
export interface Rejection {
  readonly rejected: true;
  readonly reason: string;
  readonly message: string;
}

/** Refuses a command from `decide`: `return reject('SLOT_OCCUPIED', 'the head slot holds a helmet')`. */
export const reject = (reason: string, message: string): Rejection => ({ rejected: true, reason, message });

export const isRejection = (value: unknown): value is Rejection =>
  typeof value === 'object' && value !== null && (value as { rejected?: unknown }).rejected === true;

/**
 * What decide returns: the events to append (possibly none), with any durable timers to schedule or
 * cancel among them (`schedule(...)`, `cancelTimer(...)`), or a rejection.
 */
export type Decided<Ev> = readonly (Ev | TimerRequest)[] | Rejection;

/**
 * A reusable slice of behaviour (inventory, equipment): commands, events and their decide. A kind that
 * includes a trait declares its commands and events, and its machine must handle the trait's events
 * (spread the trait's actions and transitions into `setup()` and the states that accept them).
 */
export interface TraitDefinition<C extends CommandSchemas = CommandSchemas, E extends EventSpecs = EventSpecs, S = never> {
  readonly name: string;
  readonly commands: C;
  readonly events: E;
  /** May read other aggregates through `reads` (see AggregateDefinition.decide). */
  decide(state: S, command: CommandsOf<C>, reads: ReadSet): Decided<EventsOf<E>>;
}
// biome-ignore lint: any is what lets a trait of any shape be included
export type AnyTrait = TraitDefinition<any, any, any>;

type TraitCommands<T extends readonly AnyTrait[]> = T[number] extends TraitDefinition<infer C, EventSpecs, unknown> ? C : never;
type TraitEvents<T extends readonly AnyTrait[]> = { [I in keyof T]: T[I] extends TraitDefinition<CommandSchemas, infer E, never> ? EventsOf<E> : never }[number];

export interface AggregateDefinition<
  K extends string = string,
  C extends CommandSchemas = CommandSchemas,
  E extends EventSpecs = EventSpecs,
  S = unknown,
  T extends readonly AnyTrait[] = readonly AnyTrait[],
> {
  /** Unique in a runtime; stored with each stream and snapshot. */
  readonly kind: K;
  /** The kind's own commands (traits bring theirs). */
  readonly commands: C;
  /** The command types that create an aggregate of this kind (a create command decides the kind). */
  readonly creates: readonly (keyof C & string)[];
  readonly events: E;
  readonly traits?: T;
  /**
   * The event handlers: an XState v5 machine from `setup().createMachine()`, input `{ id }`, whose
   * context is the aggregate's state.
   */
  readonly machine: AnyStateMachine;
  /** The state's schema: snapshots are parsed against it when loaded, and a malformed one is refused. */
  readonly state?: z.ZodType<S>;
  /**
   * Decides one of the kind's own commands. `state` is undefined only for a create command on an id
   * that has no stream yet. Pure: no I/O, no clock, no randomness.
   *
   * `reads` gives other aggregates' current states (`reads.get(id)`, `reads.of('room', id)`): each one
   * read is a condition of the append, checked in the same store transaction (it must still be at the
   * version read), and the command is decided again when one moved meanwhile. Read only what the rule
   * needs: every read is a store read (or a live actor's state) and a possible conflict.
   */
  decide(state: S | undefined, command: CommandsOf<C>, reads: ReadSet): Decided<EventsOf<E> | TraitEvents<T>>;
  /** Runs before any decide (own or trait) on an existing aggregate: a rejection here refuses the command. */
  readonly precondition?: (state: S, command: CommandsOf<C> | CommandsOf<TraitCommands<T>>) => Rejection | undefined;
  /**
   * Whether a stream whose first event is `event` is of this kind. Needed only when several kinds start
   * their streams with the same event type; by default a kind owns the streams that start with an
   * event type only it declares.
   */
  readonly startsStream?: (event: { readonly type: string; readonly data: unknown }) => boolean;
  /** Overrides the machine fingerprint that snapshots are stamped with (raise it by hand to drop snapshots). */
  readonly version?: number;
  /**
   * The read model this kind brings (defineProjection): its tables, migrations and event handler. The
   * kinds of one module share one (the built-in world's kinds all bring the world's); the projection
   * database runs each once (see projectionsOf).
   */
  readonly projection?: ProjectionDefinition;
}

// biome-ignore lint: any lets definitions of every shape share one list
export type AnyAggregateDefinition = AggregateDefinition<string, any, any, any, any>;

/**
 * Defines a kind of aggregate. Types flow from the schemas: `decide` receives exactly the declared
 * commands and must return declared events; what TypeScript cannot see (the machine handles every
 * event, command types are unique) is checked when a runtime is created.
 */
export function defineAggregate<
  const K extends string,
  const C extends CommandSchemas,
  const E extends EventSpecs,
  S,
  M extends AnyStateMachine,
  const T extends readonly AnyTrait[] = readonly [],
>(definition: AggregateDefinition<K, C, E, S, T> & { readonly machine: M & MachineAccepts<M, EventsOf<E> | TraitEvents<T>> }): AggregateDefinition<K, C, E, S, T> {
  return definition;
}

/**
 * A machine whose event type (`setup({ types: { events } })`) does not include every event the kind
 * declares is a compile error: it could not handle them. (Whether each state handles them is checked
 * at createRuntime.)
 */
type MachineAccepts<M extends AnyStateMachine, Ev> = [Ev] extends [EventFromLogic<M>]
  ? unknown
  : { readonly 'the machine’s events type must include every declared event': Exclude<Ev, EventFromLogic<M>> };

/** Defines a reusable trait (see TraitDefinition). */
export function defineTrait<const C extends CommandSchemas, const E extends EventSpecs, S>(trait: TraitDefinition<C, E, S>): TraitDefinition<C, E, S> {
  return trait;
}
