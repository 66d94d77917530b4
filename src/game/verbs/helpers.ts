import type { AggregateState } from '../../domain/state.ts';
import { START_ROOM } from '../seed.ts';
import { matches } from '../server/words.ts';
import type { GameWorld, VerbContext } from './types.ts';
import type { Session } from '../server/Session.ts';

/** What a holder (a player, a room) carries: item ids. */
export async function inventoryOf(world: GameWorld, holder: string): Promise<readonly string[]> {
  return (await world.manager.state(holder))?.inventory ?? [];
}

/** The first live object among `ids` whose name answers to `query`. */
export async function findIn(world: GameWorld, ids: readonly string[], query: string): Promise<AggregateState | undefined> {
  if (!query) return undefined;
  for (const id of ids) {
    const state = await world.manager.state(id);
    if (state && !state.deleted && matches(state.name, query)) return state;
  }
  return undefined;
}

/** here, me, an online player's name, an item here or held, or a raw id. */
export async function resolveThing(ctx: VerbContext, what: string): Promise<string | undefined> {
  const { world, session } = ctx;
  const q = what.trim().toLowerCase();
  if (q === 'here') return session.roomId ?? undefined;
  if (q === 'me') return session.playerId;
  const player = world.online().find((s) => s.playerName.toLowerCase() === q);
  if (player?.playerId) return player.playerId;
  const room = session.roomId ? await world.manager.state(session.roomId) : undefined;
  const item = (await findIn(world, room?.inventory ?? [], q)) ?? (await findIn(world, await inventoryOf(world, ctx.me), q));
  if (item) return item.id;
  return (await world.manager.state(what.trim())) ? what.trim() : undefined;
}

/** The room description a player sees on arrival and on `look`. */
export async function describeRoom(world: GameWorld, session: Session): Promise<string> {
  const room = await world.manager.room(session.roomId ?? START_ROOM);
  const items = (await Promise.all(room.inventory.map((id) => world.manager.state(id)))).filter((i) => i && !i.deleted).map((i) => i?.name);
  const people = world.online().filter((s) => s !== session && s.roomId === room.id).map((s) => s.playerName);
  const exits = Object.keys(room.exits);
  return [
    room.name,
    room.description,
    `Exits: ${exits.length ? exits.join(', ') : 'none'}.`,
    ...(items.length ? [`You see: ${items.join(', ')}.`] : []),
    ...(people.length ? [`Here: ${people.join(', ')}.`] : []),
  ].join('\n');
}
