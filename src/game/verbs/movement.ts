import { color } from './output.ts';
import { describeRoom, view } from './helpers.ts';
import type { Verb, VerbContext } from './types.ts';
import { COMPASS, direction, opposite, own } from './words.ts';

/** Walks through an exit of the player's room. */
export async function walk(ctx: VerbContext, way: string): Promise<void> {
  const { world, session } = ctx;
  if (!way) return ctx.reply('Go where? (go <exit>, or just n, s, e, w, u, d...)');
  const target = own((await ctx.m.room(ctx.here)).exits, way);
  if (!target) return ctx.notFound('You cannot go that way.');
  await ctx.m.moveTo(ctx.me, target);
  world.toRoom(ctx.here, `${color.person(session.playerName)} leaves ${way}.`, ctx.me);
  world.moved(session, target);
  const from = opposite(way);
  world.toRoom(target, `${color.person(session.playerName)} arrives${from ? ` from the ${from}` : ''}.`, ctx.me);
  ctx.reply(await describeRoom(world, session));
}

export const movementVerbs: readonly Verb[] = [
  {
    name: 'go',
    who: 'player',
    usage: 'go <exit>',
    help: "Walks through an exit of this room. A direction alone (n, s, e, w, u, d, ne...) or an exit's name does the same.",
    run: (ctx) => walk(ctx, direction(ctx.rest)),
  },
  ...COMPASS.map(
    ([name, short]): Verb => ({
      name,
      aliases: [short],
      who: 'player',
      usage: `${name} (${short})`,
      help: `Walks ${name}, when this room has an exit that way.`,
      run: (ctx) => walk(ctx, name),
    }),
  ),
  {
    name: 'exits',
    who: 'player',
    usage: 'exits',
    help: 'Lists the ways out of this room and where they lead.',
    async run(ctx) {
      const read = await view(ctx.world);
      const exits = Object.entries(read.exitsOf(ctx.here));
      if (exits.length === 0) return ctx.reply('There is no way out of here.');
      ctx.reply(['Obvious exits:', ...exits.map(([way, to]) => `  ${color.exit(way.padEnd(10))} ${read.object(to)?.name ?? 'somewhere'}`)].join('\n'));
    },
  },
];
