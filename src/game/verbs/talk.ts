import type { Verb } from './types.ts';

export const talkVerbs: readonly Verb[] = [
  {
    name: 'say',
    aliases: ["'"],
    who: 'player',
    usage: 'say <message>',
    help: 'Says something to everyone in the room.',
    async run(ctx) {
      if (!ctx.rest) return ctx.reply('Say what?');
      ctx.reply(`You say, "${ctx.rest}"`);
      ctx.world.toRoom(ctx.here, `${ctx.session.playerName} says, "${ctx.rest}"`, ctx.session);
    },
  },
  {
    name: 'who',
    who: 'player',
    usage: 'who',
    help: 'Lists the players in the world right now.',
    async run(ctx) {
      const names = ctx.world.online().map((s) => s.playerName).sort();
      ctx.reply(`${names.length} online: ${names.join(', ')}`);
    },
  },
];
