import { setup } from 'xstate';
import type { DomainEvent } from '../src/world/events.ts';
import type { PlayerState } from '../src/world/state.ts';
import { absentState, emptyBase, handle, sharedActions, sharedActiveTransitions } from './handle.ts';
import { adminStatusUpdated, passwordUpdated, playerCreated } from './reducers.ts';

/** A player character: a game object with credentials and an admin flag. */
export const playerMachine = setup({
  types: {
    context: {} as PlayerState,
    events: {} as DomainEvent,
    input: {} as { id: string },
  },
  actions: {
    ...sharedActions<PlayerState>(),
    playerCreated: handle('PlayerCreated', playerCreated),
    passwordUpdated: handle('PlayerPasswordUpdated', passwordUpdated),
    adminStatusUpdated: handle('PlayerAdminStatusUpdated', adminStatusUpdated),
  },
}).createMachine({
  id: 'player',
  initial: 'absent',
  context: ({ input }) => ({ ...emptyBase(input.id), kind: 'player', passwordHash: '', admin: false }),
  states: {
    absent: absentState,
    active: {
      on: {
        ...sharedActiveTransitions,
        PlayerCreated: { actions: 'playerCreated' },
        PlayerPasswordUpdated: { actions: 'passwordUpdated' },
        PlayerAdminStatusUpdated: { actions: 'adminStatusUpdated' },
      },
    },
    deleted: {},
  },
});
