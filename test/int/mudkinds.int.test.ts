import { describe, expect, it } from 'vitest';
import { gameHarness } from '../support/gameHarness.ts';
import { check } from '../support/mudClient.ts';

const h = gameHarness();


describe('mobiles and the shop, over a real socket', () => {
  it('a player sees the store and a creature, buys and sells, is refused without gold, and a restart keeps it all', async () => {
    const config = h.withServer({ commandBurst: 200, commandsPerSecond: 200 });
    let game = await h.start(config);
    const ann = await h.client(game);
    await ann.login('Ann', 'anns-password', true);
    await check(ann, 'look', 'the general store is open here (type list).');
    await check(ann, 'score', 'You have 20 gold.');
    const list = await check(ann, 'list', 'the general store offers:');
    expect(list).toMatch(/lantern\s+12 gold\s+\(3 in stock; buys for 5\)/);

    await check(ann, 'buy lantern', 'You buy lantern for 12 gold.');
    await check(ann, 'score', 'You have 8 gold.');
    await check(ann, 'inventory', /You carry:\r\n.*lantern/);
    await check(ann, 'list', /lantern\s+12 gold\s+\(2 in stock/);
    await check(ann, 'buy lantern', 'You cannot afford lantern (12 gold; you have 8).');
    await check(ann, 'score', 'You have 8 gold.'); // nothing stored by the refusal
    await check(ann, 'buy unicorn', 'the general store does not deal in unicorn.');
    await check(ann, 'sell lantern', 'You sell lantern for 5 gold.');
    await check(ann, 'score', 'You have 13 gold.');
    await check(ann, 'buy bread', 'You buy bread for 2 gold.');
    const history = await check(ann, '@history the general store', 'History of shop:general:');
    expect(history.match(/Shop\w+/g)).toEqual(['ShopOpened', 'ShopSold', 'ShopBought', 'ShopSold']);

    // The seeded rat lives in the cellar or the tavern (it wanders between them).
    await check(ann, 'north', 'The Crooked Tavern');
    await check(ann, 'down', 'Tavern Cellar');
    await check(ann, 'look', 'A rat is here.');
    await check(ann, 'look rat', 'a rat is unhurt, wandering about.');
    await h.stop(game);

    game = await h.start(config);
    const again = await h.client(game);
    await again.login('Ann', 'anns-password', false);
    await check(again, 'score', 'You have 11 gold.');
    await check(again, 'inventory', /bread/);
    const cellar = await check(again, 'look', 'Tavern Cellar');
    expect(cellar).toContain('A rat is here.');
  });

  it('a builder conjures a mobile that wanders into the next room on its durable timer', async () => {
    const game = await h.start(h.withServer({ commandBurst: 200, commandsPerSecond: 200 }));
    const ann = await h.client(game);
    await ann.login('Ann', 'anns-password', true);
    await check(ann, 'east', 'The Smithy');
    await check(ann, '@mobile a beetle every=1', 'You conjure a beetle');
    await check(ann, 'look', 'A beetle is here.');
    await check(ann, 'consider beetle', 'a beetle is unhurt, wandering about.');
    // It steps west to the square after a second, on its durable timer: the room hears it go (a notice
    // from the mobile's committed event), and `look` no longer shows it.
    await ann.expect('A beetle leaves west.');
    expect(await check(ann, 'look', 'The Smithy')).not.toContain('A beetle is here.');
    // Its route brings it back a second later: the room hears it arrive from where it went.
    await ann.expect('A beetle arrives from the west.');
    await check(ann, 'look', 'A beetle is here.');
  });
});
