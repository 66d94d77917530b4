import type { AggregateState } from '../../domain/state.ts';
import { findIn, inventoryOf } from './helpers.ts';
import type { Verb, VerbContext } from './types.ts';

async function wearOrWield(ctx: VerbContext, wield: boolean): Promise<void> {
  const { rest } = ctx;
  const item = await findIn(ctx.world, await inventoryOf(ctx.world, ctx.me), rest);
  if (!item) return ctx.reply(`You carry no ${rest || 'such thing'}.`);
  const slot = wield ? 'wield' : item.attributes['slot'];
  if (typeof slot !== 'string') return ctx.reply(`You cannot wear ${item.name}.`);
  await ctx.m.equip(ctx.me, item.id, slot);
  ctx.reply(wield ? `You wield ${item.name}.` : `You wear ${item.name} on your ${slot}.`);
  ctx.world.toRoom(ctx.here, `${ctx.session.playerName} ${wield ? 'wields' : 'puts on'} ${item.name}.`, ctx.session);
}

export const itemVerbs: readonly Verb[] = [
  {
    name: 'get',
    aliases: ['take'],
    who: 'player',
    usage: 'get <item>',
    help: 'Picks something up from the floor.',
    async run(ctx) {
      const room = await ctx.world.manager.room(ctx.here);
      const item = await findIn(ctx.world, room.inventory, ctx.rest);
      if (!item) return ctx.reply(`You see no ${ctx.rest || 'such thing'} here.`);
      await ctx.m.transfer(item.id, room.id, ctx.me);
      ctx.reply(`You pick up ${item.name}.`);
      ctx.world.toRoom(room.id, `${ctx.session.playerName} picks up ${item.name}.`, ctx.session);
    },
  },
  {
    name: 'drop',
    who: 'player',
    usage: 'drop <item>',
    help: 'Puts something you carry on the floor.',
    async run(ctx) {
      const item = await findIn(ctx.world, await inventoryOf(ctx.world, ctx.me), ctx.rest);
      if (!item) return ctx.reply(`You carry no ${ctx.rest || 'such thing'}.`);
      await ctx.m.transfer(item.id, ctx.me, ctx.here);
      ctx.reply(`You drop ${item.name}.`);
      ctx.world.toRoom(ctx.here, `${ctx.session.playerName} drops ${item.name}.`, ctx.session);
    },
  },
  {
    name: 'give',
    who: 'player',
    usage: 'give <item> <player>',
    help: 'Hands something you carry to a player in the same room.',
    async run(ctx) {
      const { session, words } = ctx;
      const target = words.at(-1) ?? '';
      const what = words.slice(0, -1).join(' ');
      const other = ctx.world.online().find((s) => s !== session && s.roomId === session.roomId && s.playerName.toLowerCase() === target.toLowerCase());
      if (!what || !other?.playerId) return ctx.reply('Give what to whom? (give <item> <player>, who must be here)');
      const item = await findIn(ctx.world, await inventoryOf(ctx.world, ctx.me), what);
      if (!item) return ctx.reply(`You carry no ${what}.`);
      await ctx.m.transfer(item.id, ctx.me, other.playerId);
      ctx.reply(`You give ${item.name} to ${other.playerName}.`);
      ctx.world.notify(other, `${session.playerName} gives you ${item.name}.`);
    },
  },
  {
    name: 'inventory',
    aliases: ['inv', 'i'],
    who: 'player',
    usage: 'inventory (i)',
    help: 'Lists what you carry, and what you wear or wield.',
    async run(ctx) {
      const player = await ctx.m.state(ctx.me);
      const worn = new Map(Object.entries(player?.equipment ?? {}).map(([slot, id]) => [id, slot]));
      const items = await Promise.all((player?.inventory ?? []).map((id) => ctx.m.state(id)));
      const lines = items
        .filter((i): i is AggregateState => !!i)
        .map((i) => `  ${i.name}${worn.has(i.id) ? ` (${worn.get(i.id) === 'wield' ? 'wielded' : `worn on ${worn.get(i.id)}`})` : ''}`);
      ctx.reply(lines.length ? `You carry:\n${lines.join('\n')}` : 'You carry nothing.');
    },
  },
  { name: 'wear', who: 'player', usage: 'wear <item>', help: 'Puts on something you carry that has a slot (head, body...).', run: (ctx) => wearOrWield(ctx, false) },
  { name: 'wield', who: 'player', usage: 'wield <item>', help: 'Takes a weapon you carry in hand.', run: (ctx) => wearOrWield(ctx, true) },
  {
    name: 'remove',
    who: 'player',
    usage: 'remove <item>',
    help: 'Takes off something you wear, or stops wielding a weapon.',
    async run(ctx) {
      const player = await ctx.m.state(ctx.me);
      const item = await findIn(ctx.world, Object.values(player?.equipment ?? {}), ctx.rest);
      const slot = item && Object.entries(player?.equipment ?? {}).find(([, id]) => id === item.id)?.[0];
      if (!item || !slot) return ctx.reply(`You are not using any ${ctx.rest || 'such thing'}.`);
      await ctx.m.unequip(ctx.me, item.id, slot);
      ctx.reply(`You stop using ${item.name}.`);
    },
  },
];
