import type { ObjectRow, ReadModel } from '../../projections/ReadModel.ts';
import { balance } from '../../world/shop.ts';
import { color } from './output.ts';
import { describeRoom, isContainer, listing, onlinePlayer, pick, thingsIn, view, wieldable } from './helpers.ts';
import type { Verb, VerbContext } from './types.ts';
import { direction, own } from './words.ts';
import { considerMobile } from './trade.ts';

/** What someone wears and wields, as others read it. */
function gear(read: ReadModel, holder: string): string[] {
  return Object.entries(read.equipmentOf(holder)).map(([slot, id]) => {
    const name = color.item(read.object(id)?.name ?? 'something');
    return slot === 'wield' ? `  wielding ${name}` : `  ${name} (on ${slot})`;
  });
}

function describeThing(read: ReadModel, thing: ObjectRow, builder: boolean): string {
  const description = thing.attributes['description'];
  const lines = [color.item(thing.name), typeof description === 'string' ? description : `You see nothing special about ${thing.name}.`];
  const slot = thing.attributes['slot'];
  if (typeof slot === 'string') lines.push(`It can be worn on the ${slot}.`);
  if (wieldable(thing)) lines.push('It can be wielded.');
  if (isContainer(thing)) {
    const inside = thingsIn(read, thing.id).map((i) => color.item(i.name));
    lines.push(inside.length ? `It holds ${listing(inside)}.` : 'It is empty.');
  }
  if (builder) lines.push(`[${thing.id}, ${thing.generic}] ${Object.entries(thing.attributes).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')}`);
  return lines.join('\n');
}

/** `look at <thing>`: a player here, something on the floor, something carried, or a direction. */
async function lookAt(ctx: VerbContext, what: string): Promise<void> {
  const read = await view(ctx.world);
  const exits = read.exitsOf(ctx.here);
  const way = direction(what);
  const target = own(exits, way);
  if (target) return ctx.reply(`Looking ${way}, you see ${color.room(read.object(target)?.name ?? 'somewhere')}.`);
  if (['me', 'self', 'myself'].includes(what.toLowerCase())) return ctx.reply(selfDescription(read, ctx));
  const person = onlinePlayer(ctx.world, what, ctx.here);
  if (person) {
    const worn = gear(read, person.id);
    return ctx.reply([`${color.person(person.name)} is here.`, ...(worn.length ? [`${person.name} has:`, ...worn] : [])].join('\n'));
  }
  const thing = pick(thingsIn(read, ctx.here), what) ?? pick(thingsIn(read, ctx.me), what);
  if (thing) return ctx.reply(describeThing(read, thing, ctx.session.admin));
  const mobile = pick(read.mobilesIn(ctx.here), what);
  if (mobile) return ctx.reply(considerMobile(mobile));
  ctx.notFound(`You see no ${what} here.`);
}

function selfDescription(read: ReadModel, ctx: VerbContext): string {
  const worn = gear(read, ctx.me);
  return [`You are ${color.person(ctx.session.playerName)}.`, ...(worn.length ? ['You have:', ...worn] : ['You wear nothing special.'])].join('\n');
}

const withoutAt = (rest: string): string => rest.replace(/^(at|in|into)\s+/i, '');

export const lookingVerbs: readonly Verb[] = [
  {
    name: 'look',
    aliases: ['l'],
    who: 'player',
    usage: 'look [at] [thing | person | direction]',
    help: 'Shows the room you are in; look <thing> (or look at <thing>) looks closer at something here or in your hands; look <direction> shows where an exit leads.',
    async run(ctx) {
      const what = withoutAt(ctx.rest);
      return what ? lookAt(ctx, what) : ctx.reply(await describeRoom(ctx.world, ctx.session));
    },
  },
  {
    name: 'examine',
    aliases: ['exa', 'x'],
    who: 'player',
    usage: 'examine <thing>',
    help: 'A closer look at something here or in your hands (the same as look at <thing>).',
    async run(ctx) {
      const what = withoutAt(ctx.rest);
      return what ? lookAt(ctx, what) : ctx.reply('Examine what?');
    },
  },
  {
    name: 'inventory',
    aliases: ['inv', 'i'],
    who: 'player',
    usage: 'inventory (i)',
    help: 'Lists what you carry, and what you wear or wield.',
    async run(ctx) {
      const read = await view(ctx.world);
      const worn = new Map(Object.entries(read.equipmentOf(ctx.me)).map(([slot, id]) => [id, slot]));
      const lines = thingsIn(read, ctx.me).map((i) => {
        const slot = worn.get(i.id);
        return `  ${color.item(i.name)}${slot === undefined ? '' : slot === 'wield' ? ' (wielded)' : ` (worn on ${slot})`}`;
      });
      ctx.reply(lines.length ? `You carry:\n${lines.join('\n')}` : 'You carry nothing.');
    },
  },
  {
    name: 'score',
    aliases: ['sc'],
    who: 'player',
    usage: 'score',
    help: 'Who you are: your name, your standing, where you are and what you carry.',
    async run(ctx) {
      const read = await view(ctx.world);
      const carried = thingsIn(read, ctx.me).length;
      const worn = Object.keys(read.equipmentOf(ctx.me)).length;
      const gold = balance(read.object(ctx.me)?.attributes ?? {}, 'gold');
      ctx.reply(
        [
          `${color.person(ctx.session.playerName)}${ctx.session.admin ? ', builder of this world' : ', adventurer'}.`,
          `You are in ${color.room(read.object(ctx.here)?.name ?? 'nowhere')}.`,
          `You carry ${carried} ${carried === 1 ? 'thing' : 'things'}, ${worn} of them worn or wielded.`,
          `You have ${gold} gold.`,
        ].join('\n'),
      );
    },
  },
];
