import { setup } from 'xstate';
import type { DomainEvent } from '../src/world/events.ts';
import type { RoomState } from '../src/world/state.ts';
import { absentState, emptyBase, handle, sharedActions, sharedActiveTransitions } from './handle.ts';
import { descriptionUpdated, exitAdded, exitRemoved, roomCreated } from './reducers.ts';

/** A room: a game object with a description and exits to other rooms. */
export const roomMachine = setup({
  types: {
    context: {} as RoomState,
    events: {} as DomainEvent,
    input: {} as { id: string },
  },
  actions: {
    ...sharedActions<RoomState>(),
    roomCreated: handle('RoomCreated', roomCreated),
    descriptionUpdated: handle('RoomDescriptionUpdated', descriptionUpdated),
    exitAdded: handle('RoomExitAdded', exitAdded),
    exitRemoved: handle('RoomExitRemoved', exitRemoved),
  },
}).createMachine({
  id: 'room',
  initial: 'absent',
  context: ({ input }) => ({ ...emptyBase(input.id), kind: 'room', description: '', exits: {} }),
  states: {
    absent: absentState,
    active: {
      on: {
        ...sharedActiveTransitions,
        RoomCreated: { actions: 'roomCreated' },
        RoomDescriptionUpdated: { actions: 'descriptionUpdated' },
        RoomExitAdded: { actions: 'exitAdded' },
        RoomExitRemoved: { actions: 'exitRemoved' },
      },
    },
    deleted: {},
  },
});
