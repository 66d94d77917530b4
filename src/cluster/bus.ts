import { z } from 'zod';

/** A player in the world, connected to this node or to another one. */
export interface OnlinePlayer {
  readonly id: string;
  readonly name: string;
  readonly roomId: string | null;
  /** The node the player is connected to. */
  readonly node: string;
}

const id = z.string().min(1).max(200);
const text = z.string().max(64 * 1024);

/** What one player may say to others: to a room, to one player, to everyone; `except` are player ids. */
export const gameMessageSchema = z.discriminatedUnion('to', [
  z.strictObject({ to: z.literal('room'), roomId: id, text, except: z.array(id).max(16) }),
  z.strictObject({ to: z.literal('player'), playerId: id, text }),
  z.strictObject({ to: z.literal('all'), text, except: z.array(id).max(16) }),
  /** The player logged in on `node`: every other node closes that player's older session with `text`. */
  z.strictObject({ to: z.literal('takeover'), playerId: id, node: id, text }),
]);

export type GameMessage = z.infer<typeof gameMessageSchema>;

/** Where a node delivers messages to its own connected players. */
export type Deliver = (message: GameMessage) => void;

/**
 * How the game's players hear each other, whichever node they are connected to: presence (who is
 * online, in which room) and messages. In one process it is a map and a function call
 * (`InProcessBus`); on a cluster, NATS subjects (`NatsBus`). Presence and `online()` are synchronous:
 * each node keeps a copy of the world's presence, so `who` and name lookups cost no round trip.
 */
export interface GameBus {
  /** This node's name (`local` in one process). */
  readonly node: string;
  /** Sets where messages for this node's players go; messages sent before it are dropped. */
  attach(deliver: Deliver): void;
  /** Everyone online in the world, this node's players first. */
  online(): readonly OnlinePlayer[];
  /** A player of this node entered the world, moved to another room, or left. */
  entered(player: Omit<OnlinePlayer, 'node'>): void;
  moved(playerId: string, roomId: string | null): void;
  left(playerId: string): void;
  /** Delivers to the addressees on this node at once, and to the other nodes' players. */
  send(message: GameMessage): void;
  /** What `@stats` shows about the bus: nodes heard from and their player counts. */
  nodes(): readonly { readonly node: string; readonly players: number }[];
  close(): Promise<void>;
}

/** The players connected to this node: kept by every bus the same way. */
export class LocalPresence {
  readonly #players = new Map<string, OnlinePlayer>();
  constructor(readonly node: string) {}

  get players(): readonly OnlinePlayer[] {
    return [...this.#players.values()];
  }

  entered(player: Omit<OnlinePlayer, 'node'>): OnlinePlayer {
    const online = { id: player.id, name: player.name, roomId: player.roomId, node: this.node };
    this.#players.set(player.id, online);
    return online;
  }

  /** The updated entry, or undefined when the player is not on this node. */
  moved(playerId: string, roomId: string | null): OnlinePlayer | undefined {
    const player = this.#players.get(playerId);
    if (!player) return undefined;
    const moved = { ...player, roomId };
    this.#players.set(playerId, moved);
    return moved;
  }

  left(playerId: string): boolean {
    return this.#players.delete(playerId);
  }
}

/** The single-process bus: presence is this process's players, messages are delivered at once. */
export class InProcessBus implements GameBus {
  readonly node = 'local';
  readonly #local = new LocalPresence('local');
  #deliver: Deliver = () => undefined;

  attach(deliver: Deliver): void {
    this.#deliver = deliver;
  }

  online(): readonly OnlinePlayer[] {
    return this.#local.players;
  }

  entered(player: Omit<OnlinePlayer, 'node'>): void {
    this.#local.entered(player);
  }

  moved(playerId: string, roomId: string | null): void {
    this.#local.moved(playerId, roomId);
  }

  left(playerId: string): void {
    this.#local.left(playerId);
  }

  send(message: GameMessage): void {
    // One process has no older session elsewhere: the server closes it itself.
    if (message.to !== 'takeover') this.#deliver(message);
  }

  nodes(): readonly { readonly node: string; readonly players: number }[] {
    return [{ node: this.node, players: this.#local.players.length }];
  }

  async close(): Promise<void> {}
}
