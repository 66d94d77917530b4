import { deepStrictEqual, fail } from 'node:assert/strict';
import type { AnyAggregateDefinition } from '../definition/define.ts';
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
  const given = (...history: AnyEvent[]) => ({
    when(input: AnyCommand): Then<S> {
      const command = registry.parseCommand(input);
      const outcome = registry.decide(command.id, fold(command.id, history), command);
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
  return Object.assign(given, { fold: (id: string, history: readonly AnyEvent[]) => fold(id, history)?.state.context as S | undefined, registry });
}
