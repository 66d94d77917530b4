import type { AnyAggregateDefinition, CommandSchemas, CommandsOf } from './definition/define.ts';
import type { AnyCommand } from './definition/registry.ts';
import type { AggregateState } from './world/state.ts';
import { createRuntime as createCore, type Runtime as CoreRuntime, type RuntimeOptions as CoreOptions } from './runtime/runtime.ts';
import { worldAggregates, type WorldCommand } from './world/kinds.ts';

/** A runtime; by default typed for the built-in world's states and all its commands (mobiles' and shops' too). */
export type Runtime<S = AggregateState, C extends AnyCommand = WorldCommand & AnyCommand> = CoreRuntime<S, C>;

/** `aggregates` is optional here: without it a runtime hosts the built-in Aethyr world. */
export interface WorldOptions {
  readonly aggregates?: readonly AnyAggregateDefinition[];
}
export type RuntimeOptions = Omit<CoreOptions, 'aggregates'> & WorldOptions;

/** The state type of a list of definitions' aggregates. */
export type StateOf<D> = D extends { readonly state?: unknown; decide(state: infer S | undefined, command: never): unknown } ? S : never;
type OwnCommandsOf<D> = D extends { readonly commands: infer C extends CommandSchemas } ? CommandsOf<C> : never;
type TraitCommandsOf<D> = D extends { readonly traits?: readonly (infer T)[] } ? (T extends { readonly commands: infer C extends CommandSchemas } ? CommandsOf<C> : never) : never;
/** The commands a list of definitions declares (their own and their traits'). */
export type CommandsOfAggregates<D extends readonly unknown[]> = OwnCommandsOf<D[number]> | TraitCommandsOf<D[number]>;

/**
 * Starts a runtime over the configured store. With `aggregates`, it hosts exactly those kinds (typed
 * from their schemas); without, the built-in world (GameObject, Player, Room).
 */
export function createRuntime<const D extends readonly AnyAggregateDefinition[]>(
  options: Omit<CoreOptions, 'aggregates'> & { readonly aggregates: D },
): Runtime<StateOf<D[number]>, CommandsOfAggregates<D> & AnyCommand>;
export function createRuntime(options: RuntimeOptions): Runtime;
export function createRuntime(options: RuntimeOptions): CoreRuntime {
  return createCore({ ...options, aggregates: options.aggregates ?? worldAggregates });
}
