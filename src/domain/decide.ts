import { CommandRejectedError, NotFoundError, type RejectionReason } from '../errors.ts';
import type { Command, CommandOf, CommandType } from './commands.ts';
import type { DomainEvent } from './events.ts';
import type { AggregateKind, AggregateState, PlayerState, RoomState } from './state.ts';

export type Decision =
  | { readonly ok: true; readonly events: readonly DomainEvent[] }
  | { readonly ok: false; readonly error: CommandRejectedError | NotFoundError };

const CREATES = new Set<CommandType>(['CreateGameObject', 'CreatePlayer', 'CreateRoom']);
const RESERVED_GENERICS = new Set(['player', 'room']);

/**
 * The pure decide step: given the aggregate's current state (undefined when it was never created)
 * and a valid command, returns the events to append or the typed reason it is refused.
 * No I/O, no clock, no randomness: the runtime adds ids and timestamps when it stores the events.
 */
export function decide(state: AggregateState | undefined, command: Command): Decision {
  const reject = (reason: RejectionReason, message: string): Decision => ({
    ok: false,
    error: new CommandRejectedError(reason, command.id, command.type, `${command.type} ${command.id}: ${message}`),
  });
  const accept = (...events: DomainEvent[]): Decision => ({ ok: true, events });

  if (CREATES.has(command.type)) {
    if (state) return reject('ALREADY_EXISTS', state.deleted ? 'the id belonged to a deleted object' : 'already exists');
    return decideCreate(command as CommandOf<'CreateGameObject' | 'CreatePlayer' | 'CreateRoom'>, reject, accept);
  }
  if (!state) return { ok: false, error: new NotFoundError(command.id, `${command.type} ${command.id}: no such object`) };
  if (state.deleted) return reject('DELETED', 'the object was deleted');

  switch (command.type) {
    case 'CreateGameObject':
    case 'CreatePlayer':
    case 'CreateRoom':
      throw new Error('unreachable: creates are handled above');
    case 'UpdateGameObjectAttribute':
      return accept({ type: 'GameObjectAttributeUpdated', data: { key: command.key, value: command.value } });
    case 'UpdateGameObjectAttributes':
      return accept({ type: 'GameObjectAttributesUpdated', data: { attributes: command.attributes } });
    case 'UpdateGameObjectContainer':
      if (command.containerId === command.id) return reject('SELF_CONTAINMENT', 'an object cannot contain itself');
      return accept({ type: 'GameObjectContainerUpdated', data: { containerId: command.containerId } });
    case 'DeleteGameObject':
      return accept({ type: 'GameObjectDeleted', data: {} });
    case 'UpdatePlayerPassword':
      return ifKind(state, 'player', command, reject, () =>
        accept({ type: 'PlayerPasswordUpdated', data: { passwordHash: command.passwordHash } }),
      );
    case 'UpdatePlayerAdminStatus':
      return ifKind(state, 'player', command, reject, () =>
        accept({ type: 'PlayerAdminStatusUpdated', data: { admin: command.admin } }),
      );
    case 'UpdateRoomDescription':
      return ifKind(state, 'room', command, reject, () =>
        accept({ type: 'RoomDescriptionUpdated', data: { description: command.description } }),
      );
    case 'AddRoomExit':
      return ifKind(state, 'room', command, reject, (room: RoomState) =>
        Object.hasOwn(room.exits, command.direction)
          ? reject('EXIT_EXISTS', `an exit ${command.direction} already leads to ${room.exits[command.direction]}`)
          : accept({ type: 'RoomExitAdded', data: { direction: command.direction, targetRoomId: command.targetRoomId } }),
      );
    case 'RemoveRoomExit':
      return ifKind(state, 'room', command, reject, (room: RoomState) =>
        Object.hasOwn(room.exits, command.direction)
          ? accept({ type: 'RoomExitRemoved', data: { direction: command.direction } })
          : reject('EXIT_NOT_FOUND', `no exit ${command.direction}`),
      );
    case 'AddItemToInventory': {
      if (command.itemId === command.id) return reject('SELF_REFERENCE', 'an object cannot hold itself');
      if (state.inventory.includes(command.itemId)) return reject('ITEM_ALREADY_HELD', `${command.itemId} is already held`);
      const data =
        command.position === undefined
          ? { itemId: command.itemId }
          : { itemId: command.itemId, position: Math.min(command.position, state.inventory.length) };
      return accept({ type: 'ItemAddedToInventory', data });
    }
    case 'RemoveItemFromInventory':
      if (!state.inventory.includes(command.itemId)) return reject('ITEM_NOT_HELD', `${command.itemId} is not held`);
      if (slotOf(state, command.itemId) !== undefined) {
        return reject('ITEM_EQUIPPED', `${command.itemId} is equipped; unequip it first`);
      }
      return accept({ type: 'ItemRemovedFromInventory', data: { itemId: command.itemId } });
    case 'EquipItem': {
      if (!state.inventory.includes(command.itemId)) return reject('ITEM_NOT_HELD', `${command.itemId} is not held`);
      const occupant = state.equipment[command.slot];
      if (occupant !== undefined) return reject('SLOT_OCCUPIED', `slot ${command.slot} holds ${occupant}`);
      const current = slotOf(state, command.itemId);
      if (current !== undefined) return reject('ITEM_ALREADY_EQUIPPED', `${command.itemId} is equipped on ${current}`);
      return accept({ type: 'ItemEquipped', data: { itemId: command.itemId, slot: command.slot } });
    }
    case 'UnequipItem':
      if (state.equipment[command.slot] !== command.itemId) {
        return reject('NOT_EQUIPPED', `${command.itemId} is not equipped on ${command.slot}`);
      }
      return accept({ type: 'ItemUnequipped', data: { itemId: command.itemId, slot: command.slot } });
    default: {
      const _exhaustive: never = command;
      throw new Error(`unhandled command ${String(_exhaustive)}`);
    }
  }
}

type Reject = (reason: RejectionReason, message: string) => Decision;
type Accept = (...events: DomainEvent[]) => Decision;

function decideCreate(
  command: CommandOf<'CreateGameObject' | 'CreatePlayer' | 'CreateRoom'>,
  reject: Reject,
  accept: Accept,
): Decision {
  switch (command.type) {
    case 'CreateGameObject':
      if (RESERVED_GENERICS.has(command.generic)) {
        return reject('RESERVED_GENERIC', `generic "${command.generic}" is reserved: use Create${command.generic === 'room' ? 'Room' : 'Player'}`);
      }
      if (command.containerId === command.id) return reject('SELF_CONTAINMENT', 'an object cannot contain itself');
      return accept({
        type: 'GameObjectCreated',
        data: { name: command.name, generic: command.generic, containerId: command.containerId ?? null, attributes: {} },
      });
    case 'CreatePlayer':
      return accept(
        { type: 'GameObjectCreated', data: { name: command.name, generic: 'player', containerId: null, attributes: {} } },
        { type: 'PlayerCreated', data: { passwordHash: command.passwordHash, admin: false } },
      );
    case 'CreateRoom':
      return accept(
        { type: 'GameObjectCreated', data: { name: command.name, generic: 'room', containerId: null, attributes: {} } },
        { type: 'RoomCreated', data: { description: command.description, exits: {} } },
      );
    default: {
      const _exhaustive: never = command;
      throw new Error(`unhandled create ${String(_exhaustive)}`);
    }
  }
}

function ifKind<K extends 'player' | 'room'>(
  state: AggregateState,
  kind: K,
  command: Command,
  reject: Reject,
  then: (state: K extends 'player' ? PlayerState : RoomState) => Decision,
): Decision {
  if (state.kind !== kind) {
    return reject('WRONG_KIND', `${command.type} applies to a ${kind}, and ${command.id} is a ${describeKind(state.kind)}`);
  }
  return then(state as K extends 'player' ? PlayerState : RoomState);
}

const describeKind = (kind: AggregateKind): string => kind.replace('_', ' ');

function slotOf(state: AggregateState, itemId: string): string | undefined {
  for (const [slot, held] of Object.entries(state.equipment)) if (held === itemId) return slot;
  return undefined;
}
