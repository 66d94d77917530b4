import { OPPOSITE } from '../server/words.ts';
import { describeRoom } from './helpers.ts';
import type { Verb, VerbContext } from './types.ts';

/** Walks through an exit of the player's room; `guessed` when the word was not a known verb. */
export async function walk(ctx: VerbContext, direction: string, guessed = false): Promise<void> {
  const { world, session } = ctx;
  const room = await world.manager.room(ctx.here);
  const target = room.exits[direction];
  if (!target) return ctx.reply(guessed ? 'Huh? (type help)' : `You cannot go ${direction || 'nowhere'} from here.`);
  await ctx.m.moveTo(ctx.me, target);
  world.toRoom(room.id, `${session.playerName} leaves ${direction}.`, session);
  session.roomId = target;
  world.toRoom(target, `${session.playerName} arrives from the ${OPPOSITE[direction] ?? 'somewhere'}.`, session);
  ctx.reply(await describeRoom(world, session));
}

const compass: [string, string][] = [
  ['north', 'n'],
  ['south', 's'],
  ['east', 'e'],
  ['west', 'w'],
  ['up', 'u'],
  ['down', 'd'],
  ['northeast', 'ne'],
  ['northwest', 'nw'],
  ['southeast', 'se'],
  ['southwest', 'sw'],
];

export const movementVerbs: readonly Verb[] = [
  {
    name: 'go',
    who: 'player',
    usage: 'go <exit>',
    help: "Walks through an exit of this room. A direction alone (n, s, e, w, u, d, ne...) or an exit's name does the same.",
    run: (ctx) => walk(ctx, ctx.rest.toLowerCase()),
  },
  ...compass.map(
    ([name, short]): Verb => ({
      name,
      aliases: [short],
      who: 'player',
      usage: `${name} (${short})`,
      help: `Walks ${name}, when this room has an exit that way.`,
      run: (ctx) => walk(ctx, name, true),
    }),
  ),
];
