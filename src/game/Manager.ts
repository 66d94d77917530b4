import { randomUUID } from 'node:crypto';
import type { Command } from '../world/commands.ts';
import { hashPassword, verifyPassword } from '../domain/password.ts';
import type { AggregateState, PlayerState, RoomState } from '../world/state.ts';
import type { Attributes } from '../world/schemas.ts';
import { CommandRejectedError, NotFoundError } from '../errors.ts';
import { nameSkeleton } from './login/names.ts';
import type { EventMetadata } from '../eventStore/types.ts';
import type { CommandResult } from '../runtime/actorHost.ts';
import type { Runtime } from '../createRuntime.ts';

/**
 * The id a player's character gets: one per name skeleton (case and look-alike letters folded), so
 * the store itself keeps names unique, "Ann" and Cyrillic "Аnn" included. ASCII names: player:<lower case>.
 */
/** The gold a new player starts with, to spend in the shops. */
export const STARTING_GOLD = 20;

export const playerId = (name: string): string => `player:${nameSkeleton(name)}`;

/** The world's marker aggregate: it exists once the first builder has been chosen, and names them. */
export const FIRST_BUILDER = 'world:first-builder';

const firstBuilderMarker = (builderId: string): Command => ({
  type: 'CreateGameObject',
  id: FIRST_BUILDER,
  name: `first builder: ${builderId}`,
  generic: 'marker',
  containerId: null,
});

/**
 * The API game code uses: game intentions, never hand-built commands. Every call sends commands to
 * actors, resolves once the events are durable, and throws the runtime's typed errors. Anything that
 * touches several aggregates (an item changing hands, a two-way exit) is one atomic transaction.
 */
export class Manager {
  readonly #runtime: Runtime;
  readonly #meta: Partial<EventMetadata>;

  constructor(runtime: Runtime, metadata: Partial<EventMetadata> = {}) {
    this.#runtime = runtime;
    this.#meta = metadata;
  }

  /** The same manager acting for someone: their id goes into every event's metadata. */
  as(actorId: string, correlationId?: string): Manager {
    return new Manager(this.#runtime, { ...this.#meta, actorId, ...(correlationId && { correlationId }) });
  }

  get runtime(): Runtime {
    return this.#runtime;
  }

  /** The metadata this manager puts on every event (who acts), for calls it does not wrap (world.buy, world.sell). */
  get metadata(): Partial<EventMetadata> {
    return this.#meta;
  }

  state(id: string): Promise<AggregateState | undefined> {
    return this.#runtime.state(id);
  }

  async createRoom(room: { id?: string; name: string; description: string }): Promise<string> {
    const id = room.id ?? `room:${randomUUID()}`;
    await this.#do({ type: 'CreateRoom', id, name: room.name, description: room.description });
    return id;
  }

  async describeRoom(roomId: string, description: string): Promise<void> {
    await this.#do({ type: 'UpdateRoomDescription', id: roomId, description });
  }

  /** An exit from one room to another, and the way back when `back` is given: both or neither. */
  async digExit(from: string, direction: string, to: string, back?: string): Promise<void> {
    const commands: Command[] = [{ type: 'AddRoomExit', id: from, direction, targetRoomId: to }];
    if (back) commands.push({ type: 'AddRoomExit', id: to, direction: back, targetRoomId: from });
    await this.#runtime.transaction(commands, this.#meta, { name: 'dig' });
  }

  /** Creates an object; with `heldBy`, it starts in that holder's inventory (atomically). */
  async createObject(object: { id?: string; name: string; generic: string; heldBy?: string; attributes?: Attributes }): Promise<string> {
    const id = object.id ?? `obj:${randomUUID()}`;
    const commands: Command[] = [{ type: 'CreateGameObject', id, name: object.name, generic: object.generic, containerId: object.heldBy ?? null }];
    if (object.attributes && Object.keys(object.attributes).length > 0) commands.push({ type: 'UpdateGameObjectAttributes', id, attributes: object.attributes });
    if (object.heldBy) commands.push({ type: 'AddItemToInventory', id: object.heldBy, itemId: id });
    await this.#runtime.transaction(commands, this.#meta, { name: 'create' });
    return id;
  }

  /** Deletes an object, taking it out of its holder's inventory in the same transaction. */
  async deleteObject(id: string): Promise<void> {
    const object = await this.#require(id);
    const commands: Command[] = [];
    const holder = object.containerId ? await this.#runtime.state(object.containerId) : undefined;
    if (holder?.inventory.includes(id)) {
      const slot = Object.entries(holder.equipment).find(([, item]) => item === id)?.[0];
      if (slot) commands.push({ type: 'UnequipItem', id: holder.id, itemId: id, slot });
      commands.push({ type: 'RemoveItemFromInventory', id: holder.id, itemId: id });
    }
    commands.push({ type: 'DeleteGameObject', id });
    await this.#runtime.transaction(commands, this.#meta, { name: 'destroy' });
  }

  /** Moves an object (a player walking, a chest pushed) to another container. */
  async moveTo(id: string, containerId: string | null): Promise<void> {
    await this.#do({ type: 'UpdateGameObjectContainer', id, containerId });
  }

  async setAttribute(id: string, key: string, value: Attributes[string]): Promise<void> {
    await this.#do({ type: 'UpdateGameObjectAttribute', id, key, value });
  }

  /** Creates a player character; the password is hashed with scrypt here and never stored or logged. */
  async createPlayer(player: { name: string; password: string; roomId?: string; admin?: boolean }): Promise<string> {
    const id = playerId(player.name);
    const passwordHash = await hashPassword(player.password);
    await this.#runtime.transaction(this.#playerCommands(id, player.name, passwordHash, player.roomId, player.admin ?? false), this.#meta, { name: 'create_character' });
    return id;
  }

  /**
   * Creates a character that becomes the world's builder if, and only if, it is the first. Decided in
   * the write model: the character and the FIRST_BUILDER marker are created in one transaction, and the
   * store lets exactly one creation of the marker succeed (every other one is refused ALREADY_EXISTS and
   * the character is then created as an ordinary player). No read model is consulted.
   */
  async createCharacter(player: { name: string; password: string; roomId?: string }): Promise<{ id: string; builder: boolean }> {
    const id = playerId(player.name);
    const passwordHash = await hashPassword(player.password);
    try {
      await this.#runtime.transaction([firstBuilderMarker(id), ...this.#playerCommands(id, player.name, passwordHash, player.roomId, true)], this.#meta, { name: 'create_character' });
      return { id, builder: true };
    } catch (error) {
      if (!(error instanceof CommandRejectedError && error.reason === 'ALREADY_EXISTS' && error.aggregateId === FIRST_BUILDER)) throw error;
    }
    await this.#runtime.transaction(this.#playerCommands(id, player.name, passwordHash, player.roomId, false), this.#meta, { name: 'create_character' });
    return { id, builder: false };
  }

  /**
   * For worlds made before the FIRST_BUILDER marker existed: when the world already has a builder
   * (`builderId`, found by the caller), records it as the first so no later character is promoted.
   * A no-op when the marker exists.
   */
  async recordFirstBuilder(builderId: string): Promise<void> {
    if (await this.#runtime.state(FIRST_BUILDER)) return;
    try {
      await this.#runtime.transaction([firstBuilderMarker(builderId)], this.#meta, { name: 'first_builder' });
    } catch (error) {
      if (!(error instanceof CommandRejectedError && error.reason === 'ALREADY_EXISTS')) throw error;
    }
  }

  #playerCommands(id: string, name: string, passwordHash: string, roomId: string | undefined, admin: boolean): Command[] {
    const commands: Command[] = [{ type: 'CreatePlayer', id, name: name.trim(), passwordHash }];
    if (roomId) commands.push({ type: 'UpdateGameObjectContainer', id, containerId: roomId });
    if (admin) commands.push({ type: 'UpdatePlayerAdminStatus', id, admin: true });
    commands.push({ type: 'UpdateGameObjectAttribute', id, key: 'gold', value: STARTING_GOLD });
    return commands;
  }

  /** The player if name and password match; undefined otherwise (never says which was wrong). */
  async login(name: string, password: string): Promise<PlayerState | undefined> {
    const player = await this.#runtime.state(playerId(name));
    if (!player || player.kind !== 'player' || player.deleted) {
      await hashPassword(password); // same cost either way: no timing hint about which names exist
      return undefined;
    }
    return (await verifyPassword(password, player.passwordHash)) ? player : undefined;
  }

  async setPassword(id: string, password: string): Promise<void> {
    await this.#do({ type: 'UpdatePlayerPassword', id, passwordHash: await hashPassword(password) });
  }

  async setAdmin(id: string, admin: boolean): Promise<void> {
    await this.#do({ type: 'UpdatePlayerAdminStatus', id, admin });
  }

  /**
   * Moves an item from one holder to another (room floor → player, player → player...): the item
   * leaves the first inventory, enters the second, and its container changes, in one atomic append.
   */
  async transfer(itemId: string, from: string, to: string, verb = 'transfer'): Promise<CommandResult[]> {
    return this.#runtime.transaction(
      [
        // In this order: an item leaves one inventory, says where it goes, then the new holder lists it.
        { type: 'RemoveItemFromInventory', id: from, itemId },
        { type: 'UpdateGameObjectContainer', id: itemId, containerId: to },
        { type: 'AddItemToInventory', id: to, itemId },
      ],
      this.#meta,
      { name: verb }, // counted in aethyr_commands_total under the verb that moved it (get, drop, give, put)
    );
  }

  async equip(holder: string, itemId: string, slot: string): Promise<void> {
    await this.#do({ type: 'EquipItem', id: holder, itemId, slot });
  }

  async unequip(holder: string, itemId: string, slot: string): Promise<void> {
    await this.#do({ type: 'UnequipItem', id: holder, itemId, slot });
  }

  async room(id: string): Promise<RoomState> {
    const room = await this.#require(id);
    if (room.kind !== 'room') throw new CommandRejectedError('WRONG_KIND', id, 'look', `${id} is not a room`);
    return room;
  }

  #do(command: Command): Promise<CommandResult> {
    return this.#runtime.execute(command, this.#meta);
  }

  async #require(id: string): Promise<AggregateState> {
    const state = await this.#runtime.state(id);
    if (!state || state.deleted) throw new NotFoundError(id);
    return state;
  }
}
