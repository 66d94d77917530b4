import { describe, expect, it } from 'vitest';
import { gameHarness } from '../support/gameHarness.ts';
import { check } from '../support/mudClient.ts';

const h = gameHarness();


describe('the verbs players reach for first, over a real socket', () => {
  it('help, looking, talking, containers, equipment messages, colours and wrapping', async () => {
    const config = h.worldConfig();
    const game = await h.start(h.withServer({ commandBurst: 200, commandsPerSecond: 200 }, config));
    const ann = await h.client(game);
    await ann.login('Ann', 'anns-password', true);
    const bob = await h.client(game);
    await bob.login('Bob', 'bobs-password', true);
    await ann.expect('Bob appears.');

    // help from the table; per-topic help; builders see building verbs, others do not.
    const help = await check(bob, 'help', 'Commands (help <command> for more):');
    expect(help).toMatch(/Looking: look, examine, inventory, score/);
    expect(help).not.toContain('@dig');
    await check(bob, 'help get', 'get <item> | get all | get <item> from <container>');
    await check(bob, 'help take', 'Picks something up'); // an alias finds its verb
    await check(bob, 'help @dig', 'No help on "@dig"');
    await check(ann, 'help dig', 'Makes a new room');
    await check(bob, 'help constructor', 'No help on "constructor"');

    // Looking: the room, a direction, the exits, a thing, a person, yourself.
    await check(bob, 'look north', 'Looking north, you see The Crooked Tavern.');
    const exits = await check(bob, 'exits', 'Obvious exits:');
    expect(exits).toMatch(/east\s+The Smithy/);
    expect(exits).toMatch(/north\s+The Crooked Tavern/);
    await check(bob, 'look at ann', 'Ann is here.');
    await check(bob, 'score', /Bob, adventurer\.\r\nYou are in Town Square\.\r\nYou carry 0 things/);
    await check(bob, 'look at unicorn', 'You see no unicorn here.');
    await check(bob, 'go up', 'You cannot go that way.');
    await check(bob, 'dance', 'Huh? "dance" is not a command here.');

    // Talking: say and ', emote and :, tell anywhere, whisper in the room, shout to all.
    await check(bob, "'hello there", 'You say, "hello there"');
    await ann.expect('Bob says, "hello there"');
    await check(bob, ':waves', 'Bob waves.');
    await ann.expect('Bob waves.');
    await check(bob, 'emote grins!', 'Bob grins!');
    await ann.expect('Bob grins!');
    await check(ann, 'east', 'The Smithy');
    await bob.expect('Ann leaves east.');
    await check(ann, 'tell bob the forge is hot', 'You tell Bob, "the forge is hot"');
    await bob.expect('Ann tells you, "the forge is hot"');
    await check(ann, 'whisper bob psst', 'bob is not here.');
    await check(ann, 'shout anyone there?', 'You shout');
    await bob.expect('Ann shouts, "anyone there?"');

    // Things: get all, equipment messages that name what they mean, taking off announced.
    await check(ann, 'get all', /You pick up (an iron helm and a short sword|a short sword and an iron helm)\./);
    await check(ann, 'wield helm', 'You cannot wield an iron helm: it is not a weapon.');
    await check(ann, 'wield sword', 'You wield a short sword.');
    await check(ann, 'wield sword', 'You are already wielding a short sword.');
    await check(ann, 'wear helm', 'You wear an iron helm on your head.');
    await check(ann, 'wear helm', 'You are already wearing an iron helm.');
    await check(ann, 'drop sword', 'You are wielding a short sword; remove it first.');
    await check(ann, 'examine sword', 'A plain blade, notched near the hilt.');
    await check(bob, 'east', 'The Smithy');
    await check(bob, 'look ann', /an iron helm \(on head\)\r\n  wielding a short sword/);
    await check(ann, 'remove helm', 'You take off an iron helm.');
    await bob.expect('Ann takes off an iron helm.');
    await check(ann, 'remove sword', 'You stop wielding a short sword.');
    await bob.expect('Ann stops wielding a short sword.');
    await check(ann, 'whisper bob over here', 'You whisper to Bob, "over here"');
    await bob.expect('Ann whispers to you, "over here"');
    await check(ann, 'give sword to bob', 'You give a short sword to Bob.');
    await check(ann, 'give bread to bob', 'You carry no bread.');
    await bob.expect('Ann gives you a short sword.');
    await check(ann, 'drop all', 'You drop an iron helm.');
    await check(ann, 'drop all', 'You carry nothing you could drop');

    // Containers: the chest in the cellar holds a lantern.
    await check(ann, 'west', 'Town Square');
    await check(ann, 'north', 'The Crooked Tavern');
    await check(ann, 'down', 'an old chest');
    await check(ann, 'look in chest', 'It holds a brass lantern.');
    await check(ann, 'get lantern from chest', 'You take a brass lantern from an old chest.');
    await check(ann, 'look chest', 'It is empty.');
    await check(ann, 'put lantern in chest', 'You put a brass lantern in an old chest.');
    await check(ann, 'put bread in chest', 'You carry no bread.');

    // Colours on by default, off on request (kept with the character); long lines wrap to 80 columns.
    expect(ann.raw.includes('\x1b[')).toBe(true);
    await check(ann, 'color off', 'Colours are off.');
    const before = ann.raw.length;
    const long = await check(ann, `say ${'many words make a long line '.repeat(8).trim()}`, 'You say');
    expect(ann.raw.subarray(before).includes('\x1b[')).toBe(false);
    const lines = long.split('\r\n').filter((l) => l !== '> ');
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);

    // Metrics: aliases counted under their verb, unknown verbs and not-found outcomes as such.
    const metrics = await (await fetch(`http://127.0.0.1:${game.metrics.port}/metrics`)).text();
    expect(metrics).toMatch(/aethyr_game_commands_total\{verb="say",outcome="ok"\} [2-9]/);
    expect(metrics).toMatch(/aethyr_game_commands_total\{verb="emote",outcome="ok"\} 2/);
    expect(metrics).toMatch(/aethyr_game_commands_total\{verb="unknown",outcome="unknown_verb"\} 1/);
    expect(metrics).toMatch(/aethyr_game_commands_total\{verb="look",outcome="not_found"\} 1/);
    expect(metrics).toMatch(/aethyr_game_commands_total\{verb="go",outcome="not_found"\} 1/);
    expect(metrics).toMatch(/aethyr_game_commands_total\{verb="get",outcome="ok"\} 2/);
    // Transfers by the verb that made them: get all took two things, give one, drop all one, put one.
    expect(metrics).toMatch(/aethyr_game_transfers_total\{verb="get"\} 3/);
    expect(metrics).toMatch(/aethyr_game_transfers_total\{verb="give"\} 1/);
    expect(metrics).toMatch(/aethyr_game_transfers_total\{verb="drop"\} 1/);
    expect(metrics).toMatch(/aethyr_game_transfers_total\{verb="put"\} 1/);

    // color off survives a new login.
    ann.close();
    const again = await h.client(game);
    await again.login('Ann', 'anns-password', false);
    expect(again.raw.includes('\x1b[')).toBe(false);
  }, 60_000);
});
