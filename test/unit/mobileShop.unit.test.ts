import { describe, expect, it } from 'vitest';
import { cancelTimer, schedule, world } from '../../src/index.ts';
import { givenFor } from '../../src/testing/index.ts';

const given = givenFor(world.worldAggregates);
const created = { type: 'MobileCreated', data: { name: 'a rat', roomId: 'cellar', stats: { hp: 4, attack: 1 }, route: ['cellar', 'pantry'], wanderEveryMs: 5000 } };
const wandering = { type: 'MobileStartedWandering', data: {} };
const wanderIn5s = schedule({ type: 'Wander', id: 'rat' }, { after: 5000 });

describe('mobile decide', () => {
  it('a new mobile starts wandering and schedules its first wander', () => {
    given()
      .when({ type: 'CreateMobile', id: 'rat', name: 'a rat', roomId: 'cellar', stats: { hp: 4, attack: 1 }, route: ['cellar', 'pantry'], wanderEveryMs: 5000 })
      .then(created, wandering, wanderIn5s);
  });
  it('each wander moves one room along the route and schedules the next', () => {
    const { state } = given(created, wandering).when({ type: 'Wander', id: 'rat' }).then({ type: 'MobileWandered', data: { from: 'cellar', to: 'pantry', step: 1 } }, wanderIn5s);
    expect(state).toMatchObject({ roomId: 'pantry', mode: 'wandering' });
    given(created, wandering, { type: 'MobileWandered', data: { from: 'cellar', to: 'pantry', step: 1 } })
      .when({ type: 'Wander', id: 'rat' })
      .then({ type: 'MobileWandered', data: { from: 'pantry', to: 'cellar', step: 0 } }, wanderIn5s);
  });
  it('stopping cancels the timer; a stopped mobile refuses to wander', () => {
    given(created, wandering).when({ type: 'StopWandering', id: 'rat' }).then({ type: 'MobileStoppedWandering', data: {} }, cancelTimer('Wander'));
    given(created).when({ type: 'Wander', id: 'rat' }).thenRejects('NOT_WANDERING');
  });
  it('an attack starts a fight and cancels the wandering; enough damage kills; the dead refuse everything', () => {
    const { state } = given(created, wandering)
      .when({ type: 'Attack', id: 'rat', attackerId: 'hero', damage: 1 })
      .then({ type: 'MobileAttacked', data: { attackerId: 'hero', damage: 1 } }, cancelTimer('Wander'));
    expect(state).toMatchObject({ hp: 3, mode: 'fighting', foe: 'hero' });
    const fighting = [created, wandering, { type: 'MobileAttacked', data: { attackerId: 'hero', damage: 1 } }];
    given(...fighting)
      .when({ type: 'Attack', id: 'rat', attackerId: 'hero', damage: 3 })
      .then({ type: 'MobileAttacked', data: { attackerId: 'hero', damage: 3 } }, { type: 'MobileDied', data: { killerId: 'hero' } });
    given(...fighting).when({ type: 'Calm', id: 'rat' }).then({ type: 'MobileCalmed', data: {} }, wanderIn5s);
    given(...fighting, { type: 'MobileDied', data: { killerId: 'hero' } }).when({ type: 'StartWandering', id: 'rat' }).thenRejects('DEAD');
  });
});

const opened = { type: 'ShopOpened', data: { name: 'the forge', roomId: 'square', currency: 'gold', prices: { sword: { buy: 10, sell: 4 } }, stock: { sword: 1 }, till: 5 } };
describe('shop decide', () => {
  it('sells what it stocks at its price', () => {
    const { state } = given(opened)
      .when({ type: 'SellToCustomer', id: 'forge', item: 'sword', buyerId: 'ann', itemId: 'sword-1', price: 10 })
      .then({ type: 'ShopSold', data: { item: 'sword', buyerId: 'ann', itemId: 'sword-1', price: 10 } });
    expect(state).toMatchObject({ stock: { sword: 0 }, till: 15 });
  });
  it('refuses what it lacks, does not deal in, or at a price that changed', () => {
    const sold = { type: 'ShopSold', data: { item: 'sword', buyerId: 'ann', itemId: 'sword-1', price: 10 } };
    given(opened, sold).when({ type: 'SellToCustomer', id: 'forge', item: 'sword', buyerId: 'bob', itemId: 'sword-2', price: 10 }).thenRejects('OUT_OF_STOCK');
    given(opened).when({ type: 'SellToCustomer', id: 'forge', item: 'bread', buyerId: 'bob', itemId: 'b', price: 1 }).thenRejects('NOT_SOLD_HERE');
    given(opened).when({ type: 'SellToCustomer', id: 'forge', item: 'sword', buyerId: 'bob', itemId: 's', price: 9 }).thenRejects('PRICE_CHANGED');
  });
  it('buys only what its till can pay for', () => {
    given(opened).when({ type: 'BuyFromCustomer', id: 'forge', item: 'sword', sellerId: 'ann', itemId: 's', price: 4 }).then({ type: 'ShopBought', data: { item: 'sword', sellerId: 'ann', itemId: 's', price: 4 } });
    const poor = { ...opened, data: { ...opened.data, till: 3 } };
    given(poor).when({ type: 'BuyFromCustomer', id: 'forge', item: 'sword', sellerId: 'ann', itemId: 's', price: 4 }).thenRejects('SHOP_CANNOT_PAY');
  });
  it('a purse pays from and receives into a currency attribute, never below zero', () => {
    const ann = [
      { type: 'GameObjectCreated', data: { name: 'Ann', generic: 'player', containerId: null, attributes: {} } },
      { type: 'PlayerCreated', data: { passwordHash: 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=', admin: false } },
      { type: 'GameObjectAttributeUpdated', data: { key: 'gold', value: 7 } },
    ];
    given(...ann).when({ type: 'PayCurrency', id: 'ann', currency: 'gold', amount: 7 }).then({ type: 'GameObjectAttributeUpdated', data: { key: 'gold', value: 0 } });
    given(...ann).when({ type: 'PayCurrency', id: 'ann', currency: 'gold', amount: 8 }).thenRejects('INSUFFICIENT_FUNDS');
    given(...ann).when({ type: 'ReceiveCurrency', id: 'ann', currency: 'gold', amount: 3 }).then({ type: 'GameObjectAttributeUpdated', data: { key: 'gold', value: 10 } });
  });
});
