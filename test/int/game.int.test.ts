import Database from 'better-sqlite3';
import { readFileSync, rmSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { IAC } from '../../src/game/telnet/protocol.ts';
import { gameHarness } from '../support/gameHarness.ts';

const h = gameHarness();
const { worldConfig, start, client } = h;

describe('the MUD over a real TCP socket', () => {
  it('two players build, move, get, wear and give; a restart brings every bit of it back', async () => {
    const config = worldConfig();
    const game = await start(config);
    expect(game.game.address).toBe('127.0.0.1');
    const ann = await client(game);
    expect(await ann.login('Ann', 'anns-password', true)).toContain('you can build');
    expect(await ann.ask('help', '@dig')).toContain('@dig');
    const bob = await client(game);
    await bob.login('Bob', 'bobs-password', true);
    expect(await bob.ask('help', 'quit')).not.toContain('@dig'); // only the first character builds

    // Ann digs a vault south of the square and makes a crown in it.
    await ann.ask('@dig e Vault', 'There is already an exit that way.');
    await ann.ask('@dig s Vault', 'You dig south to Vault');
    await ann.ask('s', 'Exits: north');
    await ann.ask('@describe Gold glints everywhere.', 'described anew');
    await ann.ask('@create golden crown slot=head', 'You create golden crown');
    await ann.ask('drop crown', 'You drop golden crown');
    // Bob walks over, sees Ann and the crown, takes it, wears it, and gives his sword to Ann.
    await bob.ask('s', /Here: Ann/);
    expect(await ann.expect('Bob arrives from the north.')).toBeTruthy();
    await bob.ask('get crown', 'You pick up golden crown');
    await ann.expect('Bob picks up golden crown.');
    await bob.ask('wear crown', 'You wear golden crown on your head');
    await bob.ask('n', 'Town Square');
    await bob.ask('e', 'Smithy');
    await bob.ask('get sword', 'You pick up a short sword');
    await bob.ask('w', 'Town Square');
    await bob.ask('s', 'Vault');
    await bob.ask('give sword ann', 'You give a short sword to Ann');
    await ann.expect('Bob gives you a short sword.');
    expect(await ann.ask('i', 'short sword')).toContain('You carry:');
    await bob.ask('say the crown fits', 'You say, "the crown fits"');
    await ann.expect('Bob says, "the crown fits"');
    const bobInventory = await bob.ask('i', /You carry[\s\S]*?\r\n> /);
    expect(bobInventory).toContain('golden crown (worn on head)');

    await h.stop(game);
    const again = await start(config);
    expect(again.seeded).toBe(false);
    const bob2 = await client(again);
    expect(await bob2.login('Bob', 'bobs-password', false)).toContain('Gold glints everywhere.'); // back where he stood
    expect(await bob2.ask('i', /You carry[\s\S]*?\r\n> /)).toContain('golden crown (worn on head)');
    const ann2 = await client(again);
    await ann2.login('Ann', 'anns-password', false);
    expect(await ann2.ask('i', /You carry[\s\S]*?\r\n> /)).toContain('a short sword');
    expect(await ann2.ask('n', 'Exits:')).toContain('Town Square');
    expect(await ann2.ask('s', 'Exits:')).toContain('Vault');
    const history = await ann2.ask('@history Bob', /History of player:bob:[\s\S]*?\r\n> /);
    expect(history).toMatch(/ItemEquipped by player:bob [^\r]*\r\n +\{"itemId":"obj:[^"]+","slot":"head"\}/);
    expect(history).toContain('"passwordHash":"<redacted>"');
    expect(await ann2.ask('@at Bob 2', /"admin": false[\s\S]*?> /)).toContain('"containerId": null');
  }, 60_000);

  it('never echoes, stores or logs a password', async () => {
    const config = worldConfig();
    const game = await start(config);
    const c = await client(game);
    await c.expect('By what name');
    c.send('Cyd');
    await c.expect('Choose a password');
    expect(c.raw.includes(Buffer.from([IAC, 251, 1]))).toBe(true); // IAC WILL ECHO: the client stops echoing
    await c.ask('hunter2-secret', 'Repeat it');
    await c.ask('hunter2-secret', 'Welcome, Cyd.');
    expect(c.raw.includes(Buffer.from([IAC, 252, 1]))).toBe(true); // and echoes again afterwards
    expect(c.raw.toString('latin1')).not.toContain('hunter2');
    await h.stop(game);
    for (const file of [config.sqlite.path, `${config.sqlite.path}-wal`, config.projections.path]) {
      let bytes = '';
      try {
        bytes = readFileSync(file).toString('latin1');
      } catch {
        continue;
      }
      expect(bytes).not.toContain('hunter2');
    }
  });

  it('wrong passwords are refused and rate-limited', async () => {
    const game = await start(h.withServer({ loginSlowdownBaseMs: 50 })); // the per-name slowdown, short
    const c = await client(game);
    await c.login('Dee', 'right-password', true);
    c.close();
    const intruder = await client(game);
    await intruder.expect('By what name');
    for (let i = 0; i < 5; i++) {
      intruder.send('Dee');
      await intruder.expect('Password:');
      await intruder.ask(`guess-${i}`, 'Wrong password.');
    }
    intruder.send('Dee');
    await intruder.expect('Too many failed logins');
    await expect.poll(() => intruder.closed).toBe(true);
  });
});

describe('hostile input', () => {
  it('survives overlong lines, binary garbage, telnet negotiation, floods and mid-command disconnects', async () => {
    const game = await start(worldConfig());
    const eve = await client(game);
    await eve.login('Eve', 'eves-password', true);

    eve.send('x'.repeat(5000));
    await eve.expect('too long');
    eve.send(Buffer.from([0xff, 0xfd, 0x18, 0xff, 0xfb, 0x1f, 0xff, 0xfa, 0x18, 0x00, 0x41, 0x42, 0xff, 0xf0]));
    eve.send(Buffer.from([0x00, 0x01, 0x1b, 0x5b, 0x41, 0xc3, 0x28, 0xfe, 0xfe, 0x0d, 0x0a]));
    await eve.expect('Huh?');
    eve.send(Buffer.concat([Buffer.from([0xff, 0xfd, 0x01]), Buffer.from('look\r\n')])); // negotiation before a command
    expect(await eve.expect('Town Square')).toBeTruthy();

    // A flood: far more commands at once than the limit; the rest are refused, the session survives.
    eve.send(Array.from({ length: 200 }, () => 'who').join('\r\n'));
    await eve.expect('Slow down');
    await new Promise((r) => setTimeout(r, 300));
    expect(await eve.ask('say still here', 'You say, "still here"')).toBeTruthy();

    // Many connections at once: each gets the prompt, and a player is still served.
    const crowd = await Promise.all(Array.from({ length: 300 }, () => client(game)));
    await Promise.all(crowd.map((c) => c.expect('By what name')));
    for (const [i, c] of crowd.entries()) c.send(i % 2 ? Buffer.from([0xff, 0xff, 0x00, 0x7f]) : '!!');
    expect(await eve.ask('who', /1 online: Eve/)).toBeTruthy();
    for (const c of crowd) c.close();

    // A client that sends a command and vanishes: the command still completes and is durable.
    const ghost = await client(game);
    await ghost.login('Ghost', 'ghost-password', true);
    ghost.send('e');
    ghost.send('get helm');
    ghost.socket.destroy();
    const back = await client(game);
    await back.login('Ghost', 'ghost-password', false);
    expect(await back.ask('i', /You carry[\s\S]*?\r\n> /)).toContain('an iron helm');
  }, 60_000);
});

describe('metrics and health', () => {
  it('serves valid Prometheus exposition that reflects the session, and /health', async () => {
    const game = await start(worldConfig());
    const c = await client(game);
    await c.login('Fay', 'fays-password', true);
    await c.ask('e', 'Smithy');
    await c.ask('get helm', 'You pick up');
    const base = `http://127.0.0.1:${game.metrics.port}`;
    const response = await fetch(`${base}/metrics`);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const sample = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/;
    for (const line of text.split('\n').filter(Boolean)) {
      if (line.startsWith('#')) expect(line).toMatch(/^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$/);
      else expect(line).toMatch(sample);
    }
    expect(text).toMatch(/aethyr_game_commands_total\{verb="get",outcome="ok"\} 1/);
    expect(text).toMatch(/aethyr_game_commands_total\{verb="east",outcome="ok"\} 1/);
    // Transfers are named by the verb that made them, in the runtime's own counter too (issue 11).
    expect(text).toMatch(/aethyr_commands_total\{type="get",outcome="ok"\} 1/);
    expect(text).toMatch(/aethyr_commands_total\{type="create_character",outcome="ok"\} 1/);
    expect(text).not.toMatch(/aethyr_commands_total\{type="transaction"/);
    expect(text).toMatch(/aethyr_game_sessions 1/);
    expect(text).toMatch(/aethyr_live_actors \d+/);
    expect(text).toMatch(/aethyr_projection_lag_events\{name="world"\} \d+/);
    expect(text).toMatch(/process_cpu_user_seconds_total/);
    const health = (await (await fetch(`${base}/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({ ok: true, store: 'sqlite', sessions: 1, projection: { state: 'running' } });
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

describe('builder commands', () => {
  it('@stats, @verify, @rebuild, @create, @destroy, @at, and refusals for non-builders', async () => {
    const config = worldConfig();
    const game = await start(h.withServer({ commandBurst: 100 }, config));
    const ann = await client(game);
    await ann.login('Ann', 'anns-password', true);
    expect(await ann.ask('@stats', /events \d+, aggregates \d+, snapshots \d+, live actors \d+, sessions 1/)).toBeTruthy();
    expect(await ann.ask('@verify', /Verified \d+ events in \d+ streams: intact\./)).toBeTruthy();
    expect(await ann.ask('@rebuild', /Replayed \d+ aggregates: 0 divergent\. Read model rebuilt from \d+ events\./)).toBeTruthy();
    await ann.ask('@create', 'Usage: @create');
    await ann.ask('@create lucky stone weight=2', 'You create lucky stone');
    expect(await ann.ask('look stone', /weight: 2/)).toBeTruthy();
    await ann.ask('@destroy stone', 'lucky stone is no more.');
    await ann.ask('@destroy stone', 'No stone here');
    await ann.ask('@at me 1', '"name": "Ann"');
    await ann.ask('@frobnicate', 'Unknown builder command');
    await ann.ask('north', 'The Crooked Tavern');
    await ann.ask('go nowhere', 'You cannot go that way.');
    await ann.ask('go constructor', 'You cannot go that way.'); // player text never reaches Object.prototype
    await ann.ask('__proto__', 'Huh? "__proto__" is not a command here.');
    await ann.ask('give bread', 'Give what to whom?');
    await ann.ask('drop kazoo', 'You carry no kazoo.');
    await ann.ask('remove kazoo', 'You are not wearing or wielding any kazoo.');
    await ann.ask('get bread', 'You pick up a loaf of bread');
    await ann.ask('wear bread', 'You cannot wear a loaf of bread.');
    await ann.ask('say', 'Say what?');
    const bob = await client(game);
    await bob.login('Bob', 'bobs-password', true);
    await bob.ask('@dig n Nowhere', 'Huh?');
    await bob.ask('quit', 'Goodbye.');
    await expect.poll(() => bob.closed).toBe(true);
  });
});

describe('a damaged event under a running server (issue 12)', () => {
  it('answers /health with 503 naming the store failure once the WAL was deleted under it, and acknowledges nothing more', async () => {
    const config = worldConfig();
    const game = await start(config);
    const base = `http://127.0.0.1:${game.metrics.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const ann = await client(game);
    await ann.login('Ann', 'anns-password', true);
    rmSync(`${config.sqlite.path}-wal`);
    ann.send('e'); // a move is a command: refused, not acknowledged
    await vi.waitFor(async () => expect((await fetch(`${base}/health`)).status).toBe(503), { timeout: 10_000, interval: 20 });
    const health = (await (await fetch(`${base}/health`)).json()) as { ok: boolean; storeFailure?: string };
    expect(health).toMatchObject({ ok: false, storeFailure: expect.stringMatching(/write-ahead log\) was removed/) });
  });

  it('stops the read model at a typed CORRUPT_EVENT, answers /health with 503, and keeps serving players', async () => {
    const config = worldConfig();
    await h.stop(await start(config)); // seed the world, then damage one seeded item's event on disk
    const db = new Database(config.sqlite.path);
    const row = db.prepare(`SELECT position, stream_id FROM events WHERE type = 'GameObjectCreated' ORDER BY position DESC LIMIT 1`).get() as { position: number; stream_id: string };
    db.prepare('UPDATE events SET data = ? WHERE position = ?').run('{"not json', row.position);
    db.close();
    rmSync(config.projections.path, { force: true }); // the read model must replay, and meet the damaged row

    const game = await start(config);
    const base = `http://127.0.0.1:${game.metrics.port}`;
    let response = await fetch(`${base}/health`);
    for (const deadline = Date.now() + 20_000; response.status !== 503 && Date.now() < deadline; ) {
      await new Promise((resolve) => setImmediate(resolve));
      response = await fetch(`${base}/health`);
    }
    expect(response.status).toBe(503);
    const health = (await response.json()) as { ok: boolean; projection: { state: string; failure?: { code: string; position: number } } };
    expect(health).toMatchObject({ ok: false, projection: { state: 'failed', failure: { code: 'CORRUPT_EVENT', position: row.position } } });
    // Everyone else is still served: a new player signs up and walks around.
    const ann = await client(game);
    await ann.login('Ann', 'anns-password', true);
    await ann.ask('e', 'Smithy');
  });
});
