import { assign, setup } from 'xstate';
import { z } from 'zod';
// Only what the root entry (src/index.ts) exports, imported from where it is defined (see mobile.ts).
import { defineAggregate, defineTrait, reject } from '../definition/define.ts';
import type { EventMetadata } from '../eventStore/types.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { worldReadModel } from './projection.ts';
import { idSchema, keySchema, nameSchema } from './schemas.ts';
import { worldEvents } from './traits.ts';

/**
 * A shop: prices and stock per item type, paid in a currency that players hold as an attribute
 * (`attributes.gold`, say). Buying and selling are one runtime.transaction each: the buyer's purse,
 * the shop's stock and the item itself change together or not at all.
 */

const countSchema = z.number().int().min(0).max(1_000_000);
const priceSchema = z.strictObject({ buy: countSchema, sell: countSchema });

/**
 * A purse: pays and receives an amount of a currency kept in an attribute, refusing to go below zero.
 * Decided against the holder's current state inside the transaction, so two purchases racing for the
 * same coins cannot both spend them. The player kind includes it.
 */
export const purseTrait = defineTrait({
  name: 'purse',
  commands: {
    PayCurrency: z.strictObject({ id: idSchema, currency: keySchema, amount: countSchema }),
    ReceiveCurrency: z.strictObject({ id: idSchema, currency: keySchema, amount: countSchema }),
  },
  events: { GameObjectAttributeUpdated: worldEvents.GameObjectAttributeUpdated },
  decide(state: { readonly attributes: Readonly<Record<string, unknown>> }, command) {
    const held = balance(state.attributes, command.currency);
    if (command.type === 'PayCurrency' && held < command.amount) {
      return reject('INSUFFICIENT_FUNDS', `${command.amount} ${command.currency} needed, ${held} held`);
    }
    const value = command.type === 'PayCurrency' ? held - command.amount : held + command.amount;
    return [{ type: 'GameObjectAttributeUpdated', data: { key: command.currency, value } }];
  },
});

/** How much of a currency an attribute set holds (0 when absent or not a number). */
export function balance(attributes: Readonly<Record<string, unknown>>, currency: string): number {
  const value = Object.hasOwn(attributes, currency) ? attributes[currency] : 0;
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

export interface ShopState {
  readonly id: string;
  readonly name: string;
  readonly roomId: string;
  readonly currency: string;
  /** item type (an object's `generic`) → what the shop sells it for (`buy`) and pays for it (`sell`). */
  readonly prices: Readonly<Record<string, { readonly buy: number; readonly sell: number }>>;
  readonly stock: Readonly<Record<string, number>>;
  readonly till: number;
}

const events = {
  ShopOpened: { schema: z.strictObject({ name: nameSchema, roomId: idSchema, currency: keySchema, prices: z.record(keySchema, priceSchema), stock: z.record(keySchema, countSchema), till: countSchema }) },
  ShopSold: { schema: z.strictObject({ item: keySchema, buyerId: idSchema, itemId: idSchema, price: countSchema }) },
  ShopBought: { schema: z.strictObject({ item: keySchema, sellerId: idSchema, itemId: idSchema, price: countSchema }) },
  ShopRestocked: { schema: z.strictObject({ item: keySchema, count: countSchema }) },
};
type Data<K extends keyof typeof events> = z.infer<(typeof events)[K]['schema']>;
type ShopEvent = { [K in keyof typeof events]: { type: K; data: Data<K> } }[keyof typeof events];
const data = <K extends keyof typeof events>(event: ShopEvent, _type: K) => event.data as Data<K>;
const countOf = (stock: Readonly<Record<string, number>>, item: string) => (Object.hasOwn(stock, item) ? (stock[item] as number) : 0);

export const shopMachine = setup({
  types: { context: {} as ShopState, events: {} as ShopEvent, input: {} as { id: string } },
  actions: {
    opened: assign(({ event }) => {
      const { name, roomId, currency, prices, stock, till } = data(event, 'ShopOpened');
      return { name, roomId, currency, prices, stock, till };
    }),
    sold: assign(({ context, event }) => {
      const d = data(event, 'ShopSold');
      return { stock: { ...context.stock, [d.item]: countOf(context.stock, d.item) - 1 }, till: context.till + d.price };
    }),
    bought: assign(({ context, event }) => {
      const d = data(event, 'ShopBought');
      return { stock: { ...context.stock, [d.item]: countOf(context.stock, d.item) + 1 }, till: context.till - d.price };
    }),
    restocked: assign(({ context, event }) => {
      const d = data(event, 'ShopRestocked');
      return { stock: { ...context.stock, [d.item]: countOf(context.stock, d.item) + d.count } };
    }),
  },
}).createMachine({
  id: 'shop',
  initial: 'absent',
  context: ({ input }) => ({ id: input.id, name: '', roomId: '', currency: '', prices: {}, stock: {}, till: 0 }),
  states: {
    absent: { on: { ShopOpened: { target: 'open', actions: 'opened' } } },
    open: {
      on: {
        ShopSold: { actions: 'sold' },
        ShopBought: { actions: 'bought' },
        ShopRestocked: { actions: 'restocked' },
      },
    },
  },
});

export const shop = defineAggregate({
  kind: 'shop',
  commands: {
    /** Opens a shop in a room; `till` is the currency it starts with to buy from players (default 0). */
    OpenShop: z.strictObject({ id: idSchema, name: nameSchema, roomId: idSchema, currency: keySchema, prices: z.record(keySchema, priceSchema), stock: z.record(keySchema, countSchema), till: countSchema.optional() }),
    /** The shop sells one `item` to a buyer at `price` (the price the buyer saw: a changed price refuses). */
    SellToCustomer: z.strictObject({ id: idSchema, item: keySchema, buyerId: idSchema, itemId: idSchema, price: countSchema }),
    /** The shop buys one `item` (the object itemId) from a seller at `price`. */
    BuyFromCustomer: z.strictObject({ id: idSchema, item: keySchema, sellerId: idSchema, itemId: idSchema, price: countSchema }),
    Restock: z.strictObject({ id: idSchema, item: keySchema, count: z.number().int().min(1).max(1_000_000) }),
  },
  creates: ['OpenShop'],
  events,
  machine: shopMachine,
  // The world's read model shows it (mobiles and shops tables).
  projection: worldReadModel,
  state: z.strictObject({
    id: z.string(),
    name: z.string(),
    roomId: z.string(),
    currency: z.string(),
    prices: z.record(z.string(), priceSchema),
    stock: z.record(z.string(), z.number().int()),
    till: z.number().int(),
  }) as z.ZodType<ShopState>,
  decide(state, command) {
    if (command.type === 'OpenShop') {
      const { name, roomId, currency, prices, stock, till = 0 } = command;
      return [{ type: 'ShopOpened', data: { name, roomId, currency, prices, stock, till } }];
    }
    if (!state) return reject('NOT_OPEN', 'no such shop');
    const price = Object.hasOwn(state.prices, command.item) ? state.prices[command.item] : undefined;
    switch (command.type) {
      case 'SellToCustomer':
        if (!price) return reject('NOT_SOLD_HERE', `${state.name} does not deal in ${command.item}`);
        if (countOf(state.stock, command.item) < 1) return reject('OUT_OF_STOCK', `${state.name} has no ${command.item} left`);
        if (price.buy !== command.price) return reject('PRICE_CHANGED', `${command.item} costs ${price.buy} now`);
        return [{ type: 'ShopSold', data: { item: command.item, buyerId: command.buyerId, itemId: command.itemId, price: price.buy } }];
      case 'BuyFromCustomer':
        if (!price) return reject('NOT_SOLD_HERE', `${state.name} does not deal in ${command.item}`);
        if (price.sell !== command.price) return reject('PRICE_CHANGED', `${command.item} fetches ${price.sell} now`);
        if (state.till < price.sell) return reject('SHOP_CANNOT_PAY', `${state.name} has only ${state.till} ${state.currency}`);
        return [{ type: 'ShopBought', data: { item: command.item, sellerId: command.sellerId, itemId: command.itemId, price: price.sell } }];
      case 'Restock':
        if (!price) return reject('NOT_SOLD_HERE', `${state.name} does not deal in ${command.item}`);
        return [{ type: 'ShopRestocked', data: { item: command.item, count: command.count } }];
    }
  },
});

/**
 * Buys one `item` from a shop for a player, as one transaction: the player pays the shop's price,
 * the shop's stock goes down, and a new object (`itemId`, generic `item`) appears in the player's
 * inventory. `metadata` (who acts, the correlation) goes on every event, as with any command; the
 * transaction counts as `buy` in metrics. Refused as a whole (nothing stored) when the player cannot pay (INSUFFICIENT_FUNDS), the
 * shop has none (OUT_OF_STOCK) or does not deal in it (NOT_SOLD_HERE).
 */
export async function buy(
  runtime: Runtime,
  order: { readonly shopId: string; readonly buyerId: string; readonly item: string; readonly itemId: string; readonly name?: string },
  metadata?: Partial<EventMetadata>,
) {
  const shopState = (await runtime.state(order.shopId)) as ShopState | undefined;
  const price = shopState && Object.hasOwn(shopState.prices, order.item) ? (shopState.prices[order.item]?.buy ?? 0) : 0;
  return runtime.transaction([
    { type: 'SellToCustomer', id: order.shopId, item: order.item, buyerId: order.buyerId, itemId: order.itemId, price },
    { type: 'PayCurrency', id: order.buyerId, currency: shopState?.currency ?? 'gold', amount: price },
    { type: 'CreateGameObject', id: order.itemId, name: order.name ?? order.item, generic: order.item, containerId: order.buyerId },
    { type: 'AddItemToInventory', id: order.buyerId, itemId: order.itemId },
  ], metadata, { name: 'buy' });
}

/**
 * Sells an object a player holds to a shop, as one transaction: it leaves the player's inventory and
 * is deleted (the shop's stock counts it), and the player is paid. Refused as a whole when the player
 * does not hold it, it is equipped, the shop does not deal in its type or cannot pay.
 */
export async function sell(runtime: Runtime, order: { readonly shopId: string; readonly sellerId: string; readonly itemId: string }, metadata?: Partial<EventMetadata>) {
  const shopState = (await runtime.state(order.shopId)) as ShopState | undefined;
  // An object's generic never changes after creation, so reading it first is safe.
  const item = ((await runtime.state(order.itemId)) as { generic?: string } | undefined)?.generic ?? '';
  const price = shopState && Object.hasOwn(shopState.prices, item) ? (shopState.prices[item]?.sell ?? 0) : 0;
  return runtime.transaction([
    { type: 'BuyFromCustomer', id: order.shopId, item: item || 'unknown', sellerId: order.sellerId, itemId: order.itemId, price },
    { type: 'RemoveItemFromInventory', id: order.sellerId, itemId: order.itemId },
    { type: 'DeleteGameObject', id: order.itemId },
    { type: 'ReceiveCurrency', id: order.sellerId, currency: shopState?.currency ?? 'gold', amount: price },
  ], metadata, { name: 'sell' });
}
