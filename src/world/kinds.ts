import { z } from 'zod';
import { gameObjectMachine } from '../../machines/gameObject.machine.ts';
import { playerMachine } from '../../machines/player.machine.ts';
import { roomMachine } from '../../machines/room.machine.ts';
import { defineAggregate, reject, type AnyAggregateDefinition, type Rejection } from '../definition/define.ts';
import { commandSchemas } from './commands.ts';
import { attributesSchema, idSchema, keySchema, nameSchema, passwordHashSchema, textSchema } from './schemas.ts';
import { kindOfGeneric, type AggregateKind, type GameObjectState, type PlayerState, type RoomState } from './state.ts';
import { mobile } from './mobile.ts';
import { worldReadModel } from './projection.ts';
import type { CommandsOfAggregates, StateOf } from '../createRuntime.ts';
import type { AnyCommand } from '../definition/registry.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { purseTrait, shop } from './shop.ts';
import { worldEvents, worldTraits } from './traits.ts';

const baseState = {
  id: idSchema,
  // Empty until the create event: the machine's context before it.
  name: z.union([nameSchema, z.literal('')]),
  generic: z.union([keySchema, z.literal('')]),
  containerId: idSchema.nullable(),
  attributes: attributesSchema,
  deleted: z.boolean(),
  inventory: z.array(idSchema),
  equipment: z.record(keySchema, idSchema),
};
const gameObjectState = z.strictObject({ ...baseState, kind: z.literal('game_object') });
const playerState = z.strictObject({ ...baseState, kind: z.literal('player'), passwordHash: z.union([passwordHashSchema, z.literal('')]), admin: z.boolean() });
const roomState = z.strictObject({ ...baseState, kind: z.literal('room'), description: textSchema, exits: z.record(keySchema, idSchema) });

/** A deleted object refuses every command (its machine ignores events too). */
const alive = (state: { readonly deleted: boolean }): Rejection | undefined => (state.deleted ? reject('DELETED', 'the object was deleted') : undefined);

/** The world's kinds all start with GameObjectCreated; its `generic` says which. */
const startsStreamOf = (kind: AggregateKind) => (event: { readonly type: string; readonly data: unknown }) =>
  event.type === 'GameObjectCreated' && kindOfGeneric((event.data as { generic: string }).generic) === kind;

const RESERVED_GENERICS: ReadonlySet<string> = new Set(['player', 'room']);

export const gameObject = defineAggregate({
  kind: 'game_object',
  commands: { CreateGameObject: commandSchemas.CreateGameObject },
  creates: ['CreateGameObject'],
  events: {},
  traits: worldTraits,
  machine: gameObjectMachine,
  state: gameObjectState as z.ZodType<GameObjectState>,
  startsStream: startsStreamOf('game_object'),
  projection: worldReadModel,
  precondition: alive,
  decide(_state, command) {
    if (RESERVED_GENERICS.has(command.generic)) {
      return reject('RESERVED_GENERIC', `generic "${command.generic}" is reserved: use Create${command.generic === 'room' ? 'Room' : 'Player'}`);
    }
    if (command.containerId === command.id) return reject('SELF_CONTAINMENT', 'an object cannot contain itself');
    return [{ type: 'GameObjectCreated', data: { name: command.name, generic: command.generic, containerId: command.containerId ?? null, attributes: {} } }];
  },
});

export const player = defineAggregate({
  kind: 'player',
  commands: {
    CreatePlayer: commandSchemas.CreatePlayer,
    UpdatePlayerPassword: commandSchemas.UpdatePlayerPassword,
    UpdatePlayerAdminStatus: commandSchemas.UpdatePlayerAdminStatus,
  },
  creates: ['CreatePlayer'],
  events: {
    PlayerCreated: worldEvents.PlayerCreated,
    PlayerPasswordUpdated: worldEvents.PlayerPasswordUpdated,
    PlayerAdminStatusUpdated: worldEvents.PlayerAdminStatusUpdated,
  },
  // Players carry a purse (a currency in an attribute) for the shop.
  traits: [...worldTraits, purseTrait],
  machine: playerMachine,
  state: playerState as z.ZodType<PlayerState>,
  startsStream: startsStreamOf('player'),
  projection: worldReadModel,
  precondition: alive,
  decide(_state, command) {
    switch (command.type) {
      case 'CreatePlayer':
        return [
          { type: 'GameObjectCreated', data: { name: command.name, generic: 'player', containerId: null, attributes: {} } },
          { type: 'PlayerCreated', data: { passwordHash: command.passwordHash, admin: false } },
        ];
      case 'UpdatePlayerPassword':
        return [{ type: 'PlayerPasswordUpdated', data: { passwordHash: command.passwordHash } }];
      case 'UpdatePlayerAdminStatus':
        return [{ type: 'PlayerAdminStatusUpdated', data: { admin: command.admin } }];
    }
  },
});

export const room = defineAggregate({
  kind: 'room',
  commands: {
    CreateRoom: commandSchemas.CreateRoom,
    UpdateRoomDescription: commandSchemas.UpdateRoomDescription,
    AddRoomExit: commandSchemas.AddRoomExit,
    RemoveRoomExit: commandSchemas.RemoveRoomExit,
  },
  creates: ['CreateRoom'],
  events: {
    RoomCreated: worldEvents.RoomCreated,
    RoomDescriptionUpdated: worldEvents.RoomDescriptionUpdated,
    RoomExitAdded: worldEvents.RoomExitAdded,
    RoomExitRemoved: worldEvents.RoomExitRemoved,
  },
  traits: worldTraits,
  machine: roomMachine,
  state: roomState as z.ZodType<RoomState>,
  startsStream: startsStreamOf('room'),
  projection: worldReadModel,
  precondition: alive,
  decide(state, command, reads) {
    switch (command.type) {
      case 'CreateRoom':
        return [
          { type: 'GameObjectCreated', data: { name: command.name, generic: 'room', containerId: null, attributes: {} } },
          { type: 'RoomCreated', data: { description: command.description, exits: {} } },
        ];
      case 'UpdateRoomDescription':
        return [{ type: 'RoomDescriptionUpdated', data: { description: command.description } }];
      case 'AddRoomExit':
        // Own properties only: an exit named `constructor` or `__proto__` is just another direction.
        if (state && Object.hasOwn(state.exits, command.direction)) {
          return reject('EXIT_EXISTS', `an exit ${command.direction} already leads to ${state.exits[command.direction]}`);
        }
        // The target must be a room that exists when the exit is stored (a read: a condition of the append).
        if (command.targetRoomId !== command.id) {
          const target = reads.of<RoomState>('room', command.targetRoomId);
          if (!target || target.deleted) return reject('NO_SUCH_ROOM', `there is no room ${command.targetRoomId}`);
        }
        return [{ type: 'RoomExitAdded', data: { direction: command.direction, targetRoomId: command.targetRoomId } }];
      case 'RemoveRoomExit':
        if (!state || !Object.hasOwn(state.exits, command.direction)) return reject('EXIT_NOT_FOUND', `no exit ${command.direction}`);
        return [{ type: 'RoomExitRemoved', data: { direction: command.direction } }];
    }
  },
});

/** The built-in Aethyr world: what a runtime hosts when it is given no `aggregates`. */
export const worldAggregates = [gameObject, player, room, mobile, shop] as const satisfies readonly AnyAggregateDefinition[];

/** Every command of the built-in world, mobiles' and shops' included: derived from its definitions. */
export type WorldCommand = CommandsOfAggregates<typeof worldAggregates>;
/** The state of any aggregate of the built-in world. */
export type WorldState = StateOf<(typeof worldAggregates)[number]>;
/** A runtime hosting the built-in world, typed with all its commands (no casts for mobiles or shops). */
export type WorldRuntime = Runtime<WorldState, WorldCommand & AnyCommand>;
