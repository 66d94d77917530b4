import { deepStrictEqual, fail } from 'node:assert/strict';
import type { AnyAggregateDefinition } from '../definition/define.ts';
import { readSetOf } from '../definition/reads.ts';
import { isTimerRequest, type TimerRequest } from '../definition/timers.ts';
import { AggregateRegistry, type AnyCommand, type AnyEvent, type Current } from '../definition/registry.ts';

/** What `when` gives: assertions on the decision, each throwing an AssertionError when it does not hold. */
export interface Then<S = unknown> {
  /**
   * The command is accepted with exactly these events and timers (`schedule(...)`, `cancelTimer(...)`,
   * in the order decide returned them); returns the state they lead to.
   */
  then(...expected: (AnyEvent | TimerRequest)[]): { readonly state: S };
  /** The command is refused with this reason (a REJECTED error: reject() in decide, or WRONG_KIND, ALREADY_EXISTS). */
  thenRejects(reason: string): void;
  /** The command targets an aggregate that does not exist. */
  thenNotFound(): void;
}

/**
 * Given/when/then for a kind's decide, with no store and no runtime: `given(events).when(command)
 * .then(events)`. The history is folded through the kind's machine, the command parsed and routed
 * by the same registry a runtime uses. Works with any test framework (node:assert).
 *
 * ```ts
 * const given = givenFor([counter]);
 * given({ type: 'CounterCreated', data: {} }).when({ type: 'Add', id: 'c', by: 2 }).then({ type: 'Added', data: { by: 2 } });
 * ```
 */
export function givenFor<S = unknown>(definitions: readonly AnyAggregateDefinition[]) {
  const registry = new AggregateRegistry(definitions);
  /** The kind and state an aggregate reaches through its machine after `history` (undefined if none). */
  const fold = (id: string, history: readonly AnyEvent[]): Current | undefined => {
    const first = history[0];
    if (!first) return undefined;
    const kind = registry.kindOfStream(first);
    return { kind, state: kind.fold(kind.initial(id), history) };
  };
  const build = (history: readonly AnyEvent[], others: ReadonlyMap<string, readonly AnyEvent[]>) => ({
    /**
     * Another aggregate that decide may read (`reads.get(id)`), given by its history; any id not
     * given reads as not existing.
     */
    with(id: string, ...events: AnyEvent[]) {
      return build(history, new Map(others).set(id, events));
    },
    when(input: AnyCommand): Then<S> {
      const command = registry.parseCommand(input);
      const reads = readSetOf(
        [...others].flatMap(([id, events]) => {
          const current = fold(id, events);
          return current ? [{ id, kind: current.kind.name, version: events.length, state: current.state.context }] : [];
        }),
      );
      const outcome = registry.decide(command.id, fold(command.id, history), command, reads);
      const refusal = () => (outcome.ok ? fail(`expected a refusal, got events ${JSON.stringify(outcome.events)}`) : outcome.error);
      return {
        then(...expected) {
          if (!outcome.ok) fail(`expected events, got ${outcome.error.message}`);
          deepStrictEqual(outcome.events, expected.filter((e) => !isTimerRequest(e)));
          deepStrictEqual(outcome.timers, expected.filter(isTimerRequest));
          return { state: outcome.next.context as S };
        },
        thenRejects(reason) {
          const error = refusal();
          deepStrictEqual({ code: error.code, reason: (error as { reason?: string }).reason, aggregateId: (error as { aggregateId?: string }).aggregateId }, { code: 'REJECTED', reason, aggregateId: command.id });
        },
        thenNotFound() {
          const error = refusal();
          deepStrictEqual({ code: error.code, aggregateId: error.aggregateId }, { code: 'NOT_FOUND', aggregateId: command.id });
        },
      };
    },
  });
  const given = (...history: AnyEvent[]) => build(history, new Map());
  return Object.assign(given, { fold: (id: string, history: readonly AnyEvent[]) => fold(id, history)?.state.context as S | undefined, registry });
}
