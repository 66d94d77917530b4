import { color } from './output.ts';
import { onlinePlayer } from './helpers.ts';
import type { Verb, VerbContext } from './types.ts';

/** "<name> <message>" → the online player and the message. */
function addressee(ctx: VerbContext, roomId?: string): { to: ReturnType<typeof onlinePlayer>; name: string; message: string } {
  const [name = '', ...words] = ctx.rest.split(/\s+/);
  return { to: onlinePlayer(ctx.world, name, roomId), name, message: words.join(' ') };
}

export const talkVerbs: readonly Verb[] = [
  {
    name: 'say',
    aliases: ["'"],
    who: 'player',
    usage: "say <message>  (or '<message>)",
    help: 'Says something to everyone in the room.',
    async run(ctx) {
      if (!ctx.rest) return ctx.reply('Say what?');
      ctx.reply(`You say, "${color.speech(ctx.rest)}"`);
      ctx.world.toRoom(ctx.here, `${color.person(ctx.session.playerName)} says, "${color.speech(ctx.rest)}"`, ctx.me);
    },
  },
  {
    name: 'emote',
    aliases: [':', 'me'],
    who: 'player',
    usage: 'emote <action>  (or :<action>)',
    help: 'Acts something out: "emote smiles" shows everyone here "Ann smiles."',
    async run(ctx) {
      if (!ctx.rest) return ctx.reply('Emote what?');
      const text = `${color.person(ctx.session.playerName)} ${ctx.rest}${/[.!?]$/.test(ctx.rest) ? '' : '.'}`;
      ctx.reply(text);
      ctx.world.toRoom(ctx.here, text, ctx.me);
    },
  },
  {
    name: 'tell',
    who: 'player',
    usage: 'tell <player> <message>',
    help: 'Says something to one player, wherever they are.',
    async run(ctx) {
      const { to, name, message } = addressee(ctx);
      if (!name || !message) return ctx.reply('Tell whom what? (tell <player> <message>)');
      if (!to || to.id === ctx.me) return ctx.notFound(`${name} is not in the world right now.`);
      ctx.reply(`You tell ${color.person(to.name)}, "${color.speech(message)}"`);
      ctx.world.tell(to.id, `${color.person(ctx.session.playerName)} tells you, "${color.speech(message)}"`);
    },
  },
  {
    name: 'whisper',
    who: 'player',
    usage: 'whisper <player> <message>',
    help: 'Says something to one player in the same room; the others only see that you whisper.',
    async run(ctx) {
      const { to, name, message } = addressee(ctx, ctx.here);
      if (!name || !message) return ctx.reply('Whisper what to whom? (whisper <player> <message>)');
      if (!to || to.id === ctx.me) return ctx.notFound(`${name} is not here.`);
      ctx.reply(`You whisper to ${color.person(to.name)}, "${color.speech(message)}"`);
      ctx.world.tell(to.id, `${color.person(ctx.session.playerName)} whispers to you, "${color.speech(message)}"`);
      ctx.world.toRoom(ctx.here, `${color.person(ctx.session.playerName)} whispers something to ${color.person(to.name)}.`, ctx.me, to.id);
    },
  },
  {
    name: 'shout',
    aliases: ['yell'],
    who: 'player',
    usage: 'shout <message>',
    help: 'Says something everyone in the world hears.',
    async run(ctx) {
      if (!ctx.rest) return ctx.reply('Shout what?');
      ctx.reply(`You shout, "${color.speech(ctx.rest)}"`);
      ctx.world.shout(`${color.person(ctx.session.playerName)} shouts, "${color.speech(ctx.rest)}"`, ctx.me);
    },
  },
  {
    name: 'who',
    who: 'player',
    usage: 'who',
    help: 'Lists the players in the world right now.',
    async run(ctx) {
      const names = ctx.world.online().map((p) => p.name).sort();
      ctx.reply(`${names.length} online: ${names.map(color.person).join(', ')}`);
    },
  },
];
