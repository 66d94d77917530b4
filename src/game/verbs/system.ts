import { color } from './output.ts';
import type { Verb } from './types.ts';

export const systemVerbs: readonly Verb[] = [
  {
    name: 'quit',
    aliases: ['exit'],
    who: 'player',
    usage: 'quit',
    help: 'Leaves the world. Everything you did is saved.',
    async run(ctx) {
      if (ctx.session.roomId) ctx.world.toRoom(ctx.session.roomId, `${ctx.session.playerName} leaves the world.`, ctx.me);
      ctx.world.signOff(ctx.session, 'Goodbye. The world will remember you.');
    },
  },
  {
    name: 'color',
    aliases: ['colour'],
    who: 'player',
    usage: 'color on | color off',
    help: 'Turns colours on or off (kept with your character).',
    async run(ctx) {
      const choice = ctx.rest.toLowerCase();
      if (choice !== 'on' && choice !== 'off') return ctx.reply('color on, or color off?');
      await ctx.m.setAttribute(ctx.me, 'color', choice === 'on');
      ctx.world.setColors(ctx.session, choice === 'on');
      ctx.reply(choice === 'on' ? `Colours are ${color.room('on')}.` : 'Colours are off.');
    },
  },
];
