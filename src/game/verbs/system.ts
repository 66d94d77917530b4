import type { Verb } from './types.ts';

export const systemVerbs: readonly Verb[] = [
  {
    name: 'quit',
    aliases: ['exit'],
    who: 'player',
    usage: 'quit',
    help: 'Leaves the world. Everything you did is saved.',
    async run(ctx) {
      if (ctx.session.roomId) ctx.world.toRoom(ctx.session.roomId, `${ctx.session.playerName} leaves the world.`, ctx.session);
      ctx.world.signOff(ctx.session, 'Goodbye. The world will remember you.');
    },
  },
];
