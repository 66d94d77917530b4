import { worldAggregates } from '../../src/world/kinds.ts';
import { givenFor } from '../../src/testing/given.ts';
import type { AggregateState } from '../../src/world/state.ts';
import type { DomainEvent } from '../../src/world/events.ts';

/** Given/when/then for the built-in world (the public helper, see src/testing/given.ts). */
export const given = givenFor<AggregateState>(worldAggregates);

/** The state an aggregate reaches through its machine after `events` (undefined if none). */
export const fold = (id: string, events: readonly DomainEvent[]): AggregateState | undefined => given.fold(id, events);
