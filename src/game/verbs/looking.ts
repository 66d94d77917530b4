import { describeRoom, findIn, inventoryOf } from './helpers.ts';
import type { Verb } from './types.ts';

export const lookingVerbs: readonly Verb[] = [
  {
    name: 'look',
    aliases: ['l'],
    who: 'player',
    usage: 'look [thing]',
    help: 'Shows the room you are in, or a closer look at something here or in your hands.',
    async run(ctx) {
      if (!ctx.rest) return ctx.reply(await describeRoom(ctx.world, ctx.session));
      const room = await ctx.world.manager.room(ctx.here);
      const item = (await findIn(ctx.world, room.inventory, ctx.rest)) ?? (await findIn(ctx.world, await inventoryOf(ctx.world, ctx.me), ctx.rest));
      if (!item) return ctx.reply(`You see no ${ctx.rest} here.`);
      const details = Object.entries(item.attributes).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);
      ctx.reply(`${item.name} (${item.generic})${details.length ? `\n  ${details.join(', ')}` : ''}`);
    },
  },
];
