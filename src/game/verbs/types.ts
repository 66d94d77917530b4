import type { OnlinePlayer } from '../../cluster/bus.ts';
import type { Manager } from '../Manager.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import type { Projections } from '../../projections/projections.ts';
import type { Session } from '../server/Session.ts';

/** Who may use a verb: every player, or builders only. */
export type Audience = 'player' | 'builder';

/** One entry of the verb table: adding a verb is adding one of these to a group file. */
export interface Verb {
  readonly name: string;
  readonly aliases?: readonly string[];
  readonly who: Audience;
  /** How to type it, e.g. `get <item> [from <container>]`. */
  readonly usage: string;
  /** What `help <verb>` says. */
  readonly help: string;
  run(ctx: VerbContext): Promise<void>;
}

/** What a verb handler may reach in the server: the world through the Manager, and who is online. */
export interface GameWorld {
  readonly manager: Manager;
  readonly metrics: Metrics;
  readonly projections: Projections;
  /** Players in the world right now, on this node and on the others (through the game bus). */
  online(): readonly OnlinePlayer[];
  /** Open connections to this node (logged in or not). */
  readonly connections: number;
  /** Tells everyone in a room, on any node, but the players `except` (ids) something, as `tell` does. */
  toRoom(roomId: string, text: string, ...except: readonly string[]): void;
  /** Tells one player something wherever they are connected, formatted for them (a fresh line, the prompt drawn again). */
  tell(playerId: string, text: string): void;
  /** Tells everyone in the world but `except` something. */
  shout(text: string, ...except: readonly string[]): void;
  /** The session's player now stands in `roomId` (after the move is durable): others see it there. */
  moved(session: Session, roomId: string): void;
  /** The cluster as this node sees it, for `@stats`; undefined in single-process mode. */
  cluster(): Promise<readonly string[]> | undefined;
  /** Turns ANSI colour on or off for one session. */
  setColors(session: Session, on: boolean): void;
  /** Takes a player out of the world and closes their connection. */
  signOff(session: Session, farewell: string): void;
}

/** One command being run: who typed it, what they typed, and how to answer. */
export interface VerbContext {
  readonly world: GameWorld;
  readonly session: Session;
  /** The player's id. */
  readonly me: string;
  /** The Manager acting as this player (their id goes into every event's metadata). */
  readonly m: Manager;
  /** The word typed, lower-cased (an alias stays an alias here). */
  readonly typed: string;
  /** The verb's name (an alias resolved: take → get). */
  readonly verb: string;
  readonly words: readonly string[];
  /** Everything after the verb, trimmed. */
  readonly rest: string;
  /** The room the player stands in. */
  readonly here: string;
  reply(text: string): void;
  /** Replies, and counts the command's outcome as `not_found` (the thing named is not there). */
  notFound(text: string): void;
}
