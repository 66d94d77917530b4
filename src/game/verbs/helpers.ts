import type { ObjectRow, ReadModel } from '../../projections/ReadModel.ts';
import { playerId } from '../Manager.ts';
import { START_ROOM } from '../seed.ts';
import type { Session } from '../server/Session.ts';
import type { OnlinePlayer } from '../../cluster/bus.ts';
import { color } from './output.ts';
import { mobileLine } from './trade.ts';
import { matches } from './words.ts';
import type { GameWorld, VerbContext } from './types.ts';

/**
 * The read model, caught up with everything committed so far (this player's last command included):
 * what `look`, `inventory` and name lookups read, one query each, instead of one actor per item.
 * The write model still decides every change (a stale row makes a command fail, never corrupt).
 */
export async function view(world: GameWorld): Promise<ReadModel> {
  await world.projections.catchUp().catch(() => undefined); // a failed projector is in /health; read what it has
  return world.projections.readModel;
}

/** Things (not players, not rooms) inside a holder: a room's floor, a player's hands, a chest. */
export const thingsIn = (read: ReadModel, holder: string): ObjectRow[] => read.contentsOf(holder).filter((o) => o.kind === 'game_object');

/** The first of `rows` whose name answers to `query`. */
export const pick = <T extends { readonly name: string }>(rows: readonly T[], query: string): T | undefined => rows.find((r) => matches(r.name, query));

/** Players standing in a room, whichever node they are connected to (but the player `except`). */
export const peopleIn = (world: GameWorld, roomId: string, except?: string): OnlinePlayer[] =>
  world.online().filter((p) => p.id !== except && p.roomId === roomId);

/** An online player by name, anywhere (or only in `roomId`). */
export const onlinePlayer = (world: GameWorld, name: string, roomId?: string): OnlinePlayer | undefined =>
  world.online().find((p) => p.name.toLowerCase() === name.trim().toLowerCase() && (roomId === undefined || p.roomId === roomId));

/** A list as people say it: "a, b and c". */
export const listing = (names: readonly string[]): string =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;

/** Whether a thing can be wielded: a weapon, or anything marked `wieldable`. */
export const wieldable = (o: { readonly generic: string; readonly attributes: Readonly<Record<string, unknown>> }): boolean =>
  o.generic === 'weapon' || (o.attributes['wieldable'] !== undefined && o.attributes['wieldable'] !== false && o.attributes['wieldable'] !== 0);

/** Whether things can be put into it. */
export const isContainer = (o: { readonly attributes: Readonly<Record<string, unknown>> }): boolean =>
  o.attributes['container'] !== undefined && o.attributes['container'] !== false && o.attributes['container'] !== 0;

/** here, me, a player (online or not) by name, an item here or held, or a raw id: one read-model query each. */
export async function resolveThing(ctx: VerbContext, what: string): Promise<string | undefined> {
  const q = what.trim().toLowerCase();
  if (!q) return undefined;
  if (q === 'here') return ctx.here;
  if (q === 'me') return ctx.me;
  const read = await view(ctx.world);
  const player = read.object(playerId(what));
  if (player?.kind === 'player') return player.id;
  const item = pick(thingsIn(read, ctx.here), q) ?? pick(thingsIn(read, ctx.me), q);
  if (item) return item.id;
  const other = pick([...read.mobilesIn(ctx.here), ...read.shopsIn(ctx.here)], q);
  if (other) return other.id;
  if (read.mobile(what.trim()) || (await ctx.m.runtime.state(what.trim()))) return what.trim();
  return read.object(what.trim()) ? what.trim() : undefined;
}

/** The room as a player sees it on arrival and on `look`. */
export async function describeRoom(world: GameWorld, session: Session): Promise<string> {
  const read = await view(world);
  const roomId = session.roomId ?? START_ROOM;
  const room = read.object(roomId);
  const items = thingsIn(read, roomId).map((i) => color.item(i.name));
  const people = peopleIn(world, roomId, session.playerId).map((p) => color.person(p.name));
  const exits = Object.keys(read.exitsOf(roomId));
  const shop = read.shopsIn(roomId)[0];
  return [
    color.room(room?.name ?? 'Nowhere'),
    read.roomDescription(roomId) ?? '',
    `Exits: ${exits.length ? exits.map(color.exit).join(', ') : 'none'}.`,
    ...(items.length ? [`You see: ${items.join(', ')}.`] : []),
    ...(people.length ? [`Here: ${people.join(', ')}.`] : []),
    ...read.mobilesIn(roomId).map(mobileLine),
    ...(shop ? [`${shop.name} is open here (type list).`] : []),
  ].join('\n');
}
