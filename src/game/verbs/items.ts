import type { ObjectRow, ReadModel } from '../../projections/ReadModel.ts';
import { color } from './output.ts';
import { isContainer, listing, onlinePlayer, pick, thingsIn, view, wieldable } from './helpers.ts';
import type { Verb, VerbContext } from './types.ts';

/** "the sword from the chest" → ["sword", "chest"] for a connecting word (from, in, into, to). */
function split(rest: string, words: readonly string[]): [string, string | undefined] {
  const m = new RegExp(`^(.*?)\\s+(?:${words.join('|')})\\s+(.*)$`, 'i').exec(rest);
  return m ? [strip(m[1] ?? ''), strip(m[2] ?? '')] : [strip(rest), undefined];
}
const strip = (s: string): string => s.trim().replace(/^(the|a|an)\s+/i, '');

/** How a holder uses an item (worn on a slot, or wielded), if at all. */
const slotOf = (read: ReadModel, holder: string, itemId: string): string | undefined =>
  Object.entries(read.equipmentOf(holder)).find(([, id]) => id === itemId)?.[0];

const using = (slot: string): string => (slot === 'wield' ? 'wielding' : 'wearing');

/** A container here or in the player's hands. */
function container(ctx: VerbContext, read: ReadModel, name: string): ObjectRow | undefined {
  return pick([...thingsIn(read, ctx.here), ...thingsIn(read, ctx.me)], name);
}

/** One item changing hands, counted under the verb that moved it (get, drop, put, give). */
async function transfer(ctx: VerbContext, itemId: string, from: string, to: string): Promise<void> {
  await ctx.m.transfer(itemId, from, to, ctx.verb);
  ctx.world.metrics.gameTransfers.inc({ verb: ctx.verb });
}

/** Moves each of `items` from one holder to another, one atomic transfer each; names what moved. */
async function moveAll(ctx: VerbContext, items: readonly ObjectRow[], from: string, to: string): Promise<string[]> {
  const moved: string[] = [];
  for (const item of items) {
    await transfer(ctx, item.id, from, to);
    moved.push(color.item(item.name));
  }
  return moved;
}

/**
 * What a player means to part with: `all` (everything carried and not worn) or one thing, refused with
 * a message that names it when it is worn or wielded. A string is the reply when nothing fits.
 */
function chooseHeld(ctx: VerbContext, read: ReadModel, what: string, held: readonly ObjectRow[], none: string): ObjectRow[] | string {
  if (what.toLowerCase() === 'all') {
    const loose = held.filter((i) => slotOf(read, ctx.me, i.id) === undefined);
    return loose.length ? loose : none;
  }
  const item = pick(held, what);
  if (!item) return `You carry no ${what}.`;
  const slot = slotOf(read, ctx.me, item.id);
  return slot ? `You are ${using(slot)} ${item.name}; remove it first.` : [item];
}

async function get(ctx: VerbContext): Promise<void> {
  const [what, from] = split(ctx.rest, ['from', 'out of']);
  if (!what) return ctx.reply('Get what?');
  const read = await view(ctx.world);
  let source = ctx.here;
  let where = '';
  if (from) {
    const box = container(ctx, read, from);
    if (!box) return ctx.notFound(`You see no ${from} here.`);
    if (!isContainer(box)) return ctx.reply(`${box.name} holds nothing.`);
    source = box.id;
    where = ` from ${color.item(box.name)}`;
  }
  const available = thingsIn(read, source).filter((i) => i.attributes['fixed'] === undefined);
  const items = what.toLowerCase() === 'all' ? available : [pick(available, what)].filter((i): i is ObjectRow => !!i);
  if (items.length === 0) return ctx.notFound(what.toLowerCase() === 'all' ? `There is nothing to take${where || ' here'}.` : `You see no ${what}${from ? ` in ${from}` : ' here'}.`);
  const moved = await moveAll(ctx, items, source, ctx.me);
  ctx.reply(from ? `You take ${listing(moved)}${where}.` : `You pick up ${listing(moved)}.`);
  ctx.world.toRoom(ctx.here, `${color.person(ctx.session.playerName)} ${from ? 'takes' : 'picks up'} ${listing(moved)}${where}.`, ctx.me);
}

async function drop(ctx: VerbContext): Promise<void> {
  const what = strip(ctx.rest);
  if (!what) return ctx.reply('Drop what?');
  const read = await view(ctx.world);
  const chosen = chooseHeld(ctx, read, what, thingsIn(read, ctx.me), 'You carry nothing you could drop (take off what you wear first).');
  if (typeof chosen === 'string') return ctx.notFound(chosen);
  const moved = await moveAll(ctx, chosen, ctx.me, ctx.here);
  ctx.reply(`You drop ${listing(moved)}.`);
  ctx.world.toRoom(ctx.here, `${color.person(ctx.session.playerName)} drops ${listing(moved)}.`, ctx.me);
}

async function put(ctx: VerbContext): Promise<void> {
  const [what, into] = split(ctx.rest, ['in', 'into', 'inside']);
  if (!what || !into) return ctx.reply('Put what in what? (put <item> in <container>)');
  const read = await view(ctx.world);
  const box = container(ctx, read, into);
  if (!box) return ctx.notFound(`You see no ${into} here.`);
  if (!isContainer(box)) return ctx.reply(`You cannot put things in ${box.name}.`);
  const chosen = chooseHeld(ctx, read, what, thingsIn(read, ctx.me).filter((i) => i.id !== box.id), 'You carry nothing to put there.');
  if (typeof chosen === 'string') return ctx.notFound(chosen);
  const moved = await moveAll(ctx, chosen, ctx.me, box.id);
  ctx.reply(`You put ${listing(moved)} in ${color.item(box.name)}.`);
  ctx.world.toRoom(ctx.here, `${color.person(ctx.session.playerName)} puts ${listing(moved)} in ${color.item(box.name)}.`, ctx.me);
}

async function give(ctx: VerbContext): Promise<void> {
  let [what, to] = split(ctx.rest, ['to']);
  if (to === undefined) {
    // give <item> <player>
    const words = ctx.rest.trim().split(/\s+/);
    to = words.length > 1 ? words.at(-1) : undefined;
    what = strip(words.slice(0, -1).join(' '));
  }
  if (!what || !to) return ctx.reply('Give what to whom? (give <item> to <player>)');
  const other = onlinePlayer(ctx.world, to, ctx.here);
  if (!other || other.id === ctx.me) return ctx.notFound(`${to} is not here.`);
  const read = await view(ctx.world);
  const chosen = chooseHeld(ctx, read, what, thingsIn(read, ctx.me), 'You carry nothing you could give (take off what you wear first).');
  if (typeof chosen === 'string') return ctx.notFound(chosen);
  const moved = await moveAll(ctx, chosen, ctx.me, other.id);
  ctx.reply(`You give ${listing(moved)} to ${color.person(other.name)}.`);
  ctx.world.tell(other.id, `${color.person(ctx.session.playerName)} gives you ${listing(moved)}.`);
  ctx.world.toRoom(ctx.here, `${color.person(ctx.session.playerName)} gives ${listing(moved)} to ${color.person(other.name)}.`, ctx.me, other.id);
}

async function wearOrWield(ctx: VerbContext, wield: boolean): Promise<void> {
  const what = strip(ctx.rest);
  if (!what) return ctx.reply(wield ? 'Wield what?' : 'Wear what?');
  const read = await view(ctx.world);
  const item = pick(thingsIn(read, ctx.me), what);
  if (!item) return ctx.notFound(`You carry no ${what}.`);
  const equipment = read.equipmentOf(ctx.me);
  const current = slotOf(read, ctx.me, item.id);
  if (current) return ctx.reply(`You are already ${using(current)} ${item.name}.`);
  const wornOn = item.attributes['slot'];
  if (wield && !wieldable(item)) return ctx.reply(`You cannot wield ${item.name}: it is not a weapon.`);
  if (!wield && typeof wornOn !== 'string') return ctx.reply(`You cannot wear ${item.name}.`);
  const slot = wield ? 'wield' : (wornOn as string);
  const occupant = Object.hasOwn(equipment, slot) ? read.object(equipment[slot] as string) : undefined;
  if (occupant) return ctx.reply(`You are already ${using(slot)} ${occupant.name}${wield ? '' : ` on your ${slot}`}. Remove it first.`);
  await ctx.m.equip(ctx.me, item.id, slot);
  ctx.reply(wield ? `You wield ${color.item(item.name)}.` : `You wear ${color.item(item.name)} on your ${slot}.`);
  ctx.world.toRoom(ctx.here, `${color.person(ctx.session.playerName)} ${wield ? 'wields' : 'puts on'} ${color.item(item.name)}.`, ctx.me);
}

export const itemVerbs: readonly Verb[] = [
  {
    name: 'get',
    aliases: ['take'],
    who: 'player',
    usage: 'get <item> | get all | get <item> from <container>',
    help: 'Picks something up from the floor, everything with get all, or takes it out of a container.',
    run: get,
  },
  { name: 'drop', who: 'player', usage: 'drop <item> | drop all', help: 'Puts something you carry (or everything you are not wearing) on the floor.', run: drop },
  { name: 'put', who: 'player', usage: 'put <item> in <container>', help: 'Puts something you carry into a container here or in your hands.', run: put },
  { name: 'give', who: 'player', usage: 'give <item> to <player>', help: 'Hands something you carry to a player in the same room.', run: give },
  { name: 'wear', who: 'player', usage: 'wear <item>', help: 'Puts on something you carry that is made to be worn (a helm, a cloak...).', run: (ctx) => wearOrWield(ctx, false) },
  { name: 'wield', who: 'player', usage: 'wield <weapon>', help: 'Takes a weapon you carry in hand. Only weapons can be wielded.', run: (ctx) => wearOrWield(ctx, true) },
  {
    name: 'remove',
    aliases: ['unwield', 'takeoff'],
    who: 'player',
    usage: 'remove <item>',
    help: 'Takes off something you wear, or stops wielding a weapon.',
    async run(ctx) {
      const what = strip(ctx.rest);
      if (!what) return ctx.reply('Remove what?');
      const read = await view(ctx.world);
      const worn = Object.entries(read.equipmentOf(ctx.me)).map(([slot, id]) => ({ slot, row: read.object(id) }));
      const found = worn.find((w) => w.row && pick([w.row], what));
      if (!found?.row) return ctx.notFound(`You are not wearing or wielding any ${what}.`);
      await ctx.m.unequip(ctx.me, found.row.id, found.slot);
      const wielded = found.slot === 'wield';
      ctx.reply(wielded ? `You stop wielding ${color.item(found.row.name)}.` : `You take off ${color.item(found.row.name)}.`);
      ctx.world.toRoom(ctx.here, `${color.person(ctx.session.playerName)} ${wielded ? 'stops wielding' : 'takes off'} ${color.item(found.row.name)}.`, ctx.me);
    },
  },
];
