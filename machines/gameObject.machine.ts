import { setup } from 'xstate';
import type { DomainEvent } from '../src/world/events.ts';
import type { GameObjectState } from '../src/world/state.ts';
import { absentState, emptyBase, sharedActions, sharedActiveTransitions } from './handle.ts';

/** A plain game object: an item, a chest, a sword. */
export const gameObjectMachine = setup({
  types: {
    context: {} as GameObjectState,
    events: {} as DomainEvent,
    input: {} as { id: string },
  },
  actions: sharedActions<GameObjectState>(),
}).createMachine({
  id: 'game_object',
  initial: 'absent',
  context: ({ input }) => ({ ...emptyBase(input.id), kind: 'game_object' }),
  states: {
    absent: absentState,
    active: { on: sharedActiveTransitions },
    deleted: {},
  },
});
