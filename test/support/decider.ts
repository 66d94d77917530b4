import { expect } from 'vitest';
import { applyEvents, initialSnapshot, kindOfFirstEvent } from '../../machines/index.ts';
import { parseCommand, type Command } from '../../src/domain/commands.ts';
import { decide } from '../../src/domain/decide.ts';
import type { DomainEvent } from '../../src/domain/events.ts';
import type { AggregateState } from '../../src/domain/state.ts';
import type { RejectionReason } from '../../src/errors.ts';

/** The state an aggregate reaches through its machine after `events` (undefined if none). */
export function fold(id: string, events: readonly DomainEvent[]): AggregateState | undefined {
  const first = events[0];
  if (!first) return undefined;
  const kind = kindOfFirstEvent(first);
  return applyEvents(kind, initialSnapshot(kind, id), events).context;
}

/**
 * Given/when/then for the decide step: `given(events).when(command).then(events)`,
 * `.thenRejects(reason)` or `.thenNotFound()`. Commands pass through the real parser.
 */
export function given(...history: DomainEvent[]) {
  return {
    when(input: Command) {
      const command = parseCommand(input);
      const state = fold(command.id, history);
      const decision = decide(state, command);
      return {
        then(...expected: DomainEvent[]) {
          if (!decision.ok) throw new Error(`expected events, got ${decision.error.message}`);
          expect(decision.events).toEqual(expected);
          return { state: fold(command.id, [...history, ...decision.events]) };
        },
        thenRejects(reason: RejectionReason) {
          expect(decision.ok).toBe(false);
          if (decision.ok) return;
          expect(decision.error).toMatchObject({ code: 'REJECTED', reason, aggregateId: command.id, commandType: command.type });
        },
        thenNotFound() {
          expect(decision.ok).toBe(false);
          if (!decision.ok) expect(decision.error).toMatchObject({ code: 'NOT_FOUND', aggregateId: command.id });
        },
      };
    },
  };
}
