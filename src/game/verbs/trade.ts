import { randomUUID } from 'node:crypto';
import type { MobileRow, ShopRow, WareRow } from '../../projections/ReadModel.ts';
import { CommandRejectedError } from '../../errors.ts';
import { balance, buy, sell } from '../../world/shop.ts';
import { color } from './output.ts';
import { pick, thingsIn, view } from './helpers.ts';
import type { Verb, VerbContext } from './types.ts';

/** How a mobile looks from across the room. */
export function mobileLine(mobile: MobileRow): string {
  const name = color.person(mobile.name.charAt(0).toUpperCase() + mobile.name.slice(1));
  if (mobile.mode === 'dead') return `The corpse of ${mobile.name} lies here.`;
  if (mobile.mode === 'fighting') return `${name} is here, fighting!`;
  return `${name} is here.`;
}

/** `consider <mobile>`: how hurt and how busy it is. */
export function considerMobile(mobile: MobileRow): string {
  const health = mobile.hp >= mobile.maxHp ? 'unhurt' : mobile.hp <= 0 ? 'dead' : `wounded (${mobile.hp} of ${mobile.maxHp})`;
  const doing = { idle: 'standing still', wandering: 'wandering about', fighting: 'fighting', dead: 'not moving at all' }[mobile.mode];
  return `${mobile.name} is ${health}, ${doing}.`;
}

async function shopHere(ctx: VerbContext): Promise<{ shop: ShopRow; wares: WareRow[] } | undefined> {
  const read = await view(ctx.world);
  const shop = read.shopsIn(ctx.here)[0];
  if (!shop) {
    ctx.notFound('There is no shop here.');
    return undefined;
  }
  return { shop, wares: read.waresOf(shop.id) };
}

async function gold(ctx: VerbContext, currency: string): Promise<number> {
  const me = (await ctx.m.runtime.state(ctx.me)) as { attributes?: Record<string, unknown> } | undefined;
  return balance(me?.attributes ?? {}, currency);
}

/** A refused trade in words; anything else is not ours to explain and goes on up. */
async function refusal(ctx: VerbContext, error: unknown, what: string, shop: ShopRow, ware: WareRow | undefined): Promise<string> {
  if (!(error instanceof CommandRejectedError)) throw error;
  switch (error.reason) {
    case 'INSUFFICIENT_FUNDS':
      return `You cannot afford ${what} (${ware?.buy ?? '?'} ${shop.currency}; you have ${await gold(ctx, shop.currency)}).`;
    case 'OUT_OF_STOCK':
      return `${shop.name} has no ${what} left.`;
    case 'NOT_SOLD_HERE':
      return `${shop.name} does not deal in ${what}.`;
    case 'SHOP_CANNOT_PAY':
      return `${shop.name} cannot pay for ${what} just now.`;
    case 'PRICE_CHANGED':
      return `The price of ${what} has just changed; look at the list again.`;
    default:
      return `You cannot trade ${what}: ${error.message}`;
  }
}

export const tradeVerbs: readonly Verb[] = [
  {
    name: 'consider',
    aliases: ['con'],
    who: 'player',
    usage: 'consider <creature>',
    help: 'Sizes up a creature in the room: how hurt it is and what it is doing.',
    async run(ctx) {
      const mobile = pick((await view(ctx.world)).mobilesIn(ctx.here), ctx.rest);
      return mobile ? ctx.reply(considerMobile(mobile)) : ctx.notFound(`You see no ${ctx.rest || 'creature'} here.`);
    },
  },
  {
    name: 'list',
    who: 'player',
    usage: 'list',
    help: 'In a shop: what it sells, for how much, how many it has, and what it pays for each.',
    async run(ctx) {
      const here = await shopHere(ctx);
      if (!here) return;
      const { shop, wares } = here;
      const lines = wares.map((w) => `  ${color.item(w.item.padEnd(12))} ${String(w.buy).padStart(5)} ${shop.currency}  (${w.stock} in stock; buys for ${w.sell})`);
      ctx.reply([`${shop.name} offers:`, ...(lines.length ? lines : ['  nothing at all.'])].join('\n'));
    },
  },
  {
    name: 'buy',
    who: 'player',
    usage: 'buy <item>',
    help: 'Buys one of an item the shop here sells (see list), paid from your gold.',
    async run(ctx) {
      const here = await shopHere(ctx);
      if (!here) return;
      const what = ctx.rest.trim().toLowerCase();
      if (!what) return ctx.reply('Buy what?');
      const ware = here.wares.find((w) => w.item.toLowerCase() === what);
      try {
        await buy(ctx.m.runtime, { shopId: here.shop.id, buyerId: ctx.me, item: ware?.item ?? what, itemId: `obj:${randomUUID()}` }, ctx.m.metadata);
      } catch (error) {
        return ctx.reply(await refusal(ctx, error, ware?.item ?? what, here.shop, ware));
      }
      ctx.reply(`You buy ${color.item(ware?.item ?? what)} for ${ware?.buy ?? '?'} ${here.shop.currency}.`);
    },
  },
  {
    name: 'sell',
    who: 'player',
    usage: 'sell <item>',
    help: 'Sells something you carry to the shop here, if it deals in that kind of thing.',
    async run(ctx) {
      const here = await shopHere(ctx);
      if (!here) return;
      const thing = pick(thingsIn(await view(ctx.world), ctx.me), ctx.rest);
      if (!thing) return ctx.notFound(`You carry no ${ctx.rest || 'such thing'}.`);
      const ware = here.wares.find((w) => w.item === thing.generic);
      try {
        await sell(ctx.m.runtime, { shopId: here.shop.id, sellerId: ctx.me, itemId: thing.id }, ctx.m.metadata);
      } catch (error) {
        return ctx.reply(await refusal(ctx, error, thing.name, here.shop, ware));
      }
      ctx.reply(`You sell ${color.item(thing.name)} for ${ware?.sell ?? '?'} ${here.shop.currency}.`);
    },
  },
];
