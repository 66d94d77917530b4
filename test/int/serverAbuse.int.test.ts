import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GameServer, type GameServerOptions } from '../../src/game/server/GameServer.ts';
import { Manager } from '../../src/game/Manager.ts';
import { seedWorld } from '../../src/game/seed.ts';
import type { RunningGame } from '../../src/game/startGame.ts';
import { createMetrics, type Metrics } from '../../src/metrics/metrics.ts';
import { createProjections } from '../../src/projections/projections.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { openRuntime } from '../../src/openRuntime.ts';
import type { MudClient } from '../support/mudClient.ts';
import { gameHarness } from '../support/gameHarness.ts';

/** Issue 12, "the telnet server under abuse": each test here failed on the server before it. */
const games = gameHarness();
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A GameServer of our own (not through startGame), to look at what it buffers. */
async function gameServer(limits: Partial<GameServerOptions>): Promise<{ server: GameServer; port: number; metrics: Metrics }> {
  const config = games.worldConfig();
  const metrics = createMetrics();
  const runtime = await openRuntime(config, { metrics, logger: silentLogger });
  const manager = new Manager(runtime, { actorId: 'server' });
  await seedWorld(manager.as('seed'));
  const projections = createProjections(runtime.store, { path: config.projections.path, metrics, logger: silentLogger });
  const server = new GameServer({ manager, metrics, projections, logger: silentLogger, ...config.server, port: 0, ...limits });
  const { port } = await server.start();
  stops.push(async () => {
    await server.stop();
    await projections.close();
    await runtime.close();
  });
  return { server, port, metrics };
}

/** What a running game's /metrics says. */
async function metricsOf(game: RunningGame): Promise<string> {
  return (await fetch(`http://127.0.0.1:${game.metrics.port}/metrics`)).text();
}

const loggedIn = async (c: MudClient, name: string) => c.login(name, `${name.toLowerCase()}-password`, true);

describe('the telnet server under abuse (issue 12)', () => {
  it('a client that never reads costs at most max_output_bytes, and is told what it missed', async () => {
    const maxOutputBytes = 16_384;
    const { server, port, metrics } = await gameServer({ maxOutputBytes, maxLineBytes: 4096, commandBurst: 1000, commandsPerSecond: 100_000 });
    const sleeper = await games.client(port);
    await loggedIn(sleeper, 'Sam');
    sleeper.socket.pause(); // reads nothing from now on
    const talker = await games.client(port);
    await loggedIn(talker, 'Tia');
    const words = 'blah '.repeat(800);
    let most = 0;
    for (let batch = 0; batch < 40; batch++) {
      talker.send(Array.from({ length: 99 }, () => `say ${words}`).join('\r\n'));
      await talker.ask(`say batch ${batch}`, `You say, "batch ${batch}"`);
      most = Math.max(most, server.queuedOutputBytes);
    }
    // ~16 MB was said to Sam; the kernel holds a few MB, this process at most the limit (plus one message).
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(maxOutputBytes + 1024);
    sleeper.socket.resume();
    talker.send('say are you there?');
    await sleeper.expect(/\[\d+ bytes of output were dropped: your connection did not keep up\.\]/, 20_000);
    expect(await talker.ask('who', /2 online/)).toBeTruthy();
    const dropped = (await metrics.gameOutputDropped.get()).values[0]?.value ?? 0;
    expect(dropped).toBeGreaterThan(1_000_000); // counted in aethyr_game_output_dropped_bytes_total
  }, 60_000);

  it('slowloris: connections trickling a byte a second never keep new players from a name prompt', async () => {
    const game = await games.start(games.withServer({ maxConnections: 100, loginSlots: 50, maxConnectionsPerAddress: 20, loginTimeoutMs: 4000 }));
    const attackers: Socket[] = [];
    for (let i = 0; i < 150; i++) {
      const socket = connect({ port: game.game.port, host: '127.0.0.1', localAddress: `127.0.0.${10 + (i % 10)}` });
      socket.on('error', () => undefined);
      attackers.push(socket);
    }
    const trickle = setInterval(() => {
      for (const s of attackers) if (!s.destroyed) s.write('x');
    }, 1000);
    stops.push(async () => {
      clearInterval(trickle);
      for (const s of attackers) s.destroy();
    });
    await Promise.all(attackers.map((s) => new Promise((resolve) => (s.connecting ? s.once('connect', resolve) : resolve(undefined)))));
    const players = await Promise.all(Array.from({ length: 10 }, () => games.client(game)));
    await Promise.all(players.map((p, i) => loggedIn(p, `Newcomer${String.fromCharCode(97 + i)}`)));
    expect(await players[0]?.ask('who', /10 online/)).toBeTruthy();
    // One address over its cap (20) makes room from its own oldest logins, not from anyone else's.
    const crowd = [];
    for (let i = 0; i < 21; i++) crowd.push(await games.client(game, '127.0.0.99'));
    await crowd[0]?.expect('yours waited longest');
    expect(await players[1]?.ask('who', /10 online/)).toBeTruthy();
    // And a connection that only trickles is shown the door at the login deadline.
    const slow = await games.client(game);
    slow.send(Buffer.from('N'));
    await slow.expect('You took too long to log in.', 10_000);
    const counted = await metricsOf(game);
    expect(counted).toMatch(/aethyr_game_disconnects_total\{reason="login_evicted"\} [1-9]/);
    expect(counted).toMatch(/aethyr_game_disconnects_total\{reason="login_timeout"\} [1-9]/);
  }, 60_000);

  it('an idle player is disconnected after idle_timeout_ms', async () => {
    const game = await games.start(games.withServer({ idleTimeoutMs: 1500 }));
    const c = await games.client(game);
    await loggedIn(c, 'Ida');
    await c.expect('You have been idle too long.', 10_000);
    expect(await metricsOf(game)).toMatch(/aethyr_game_disconnects_total\{reason="idle_timeout"\} 1$/m);
  });

  it('parallel brute force from many addresses is slowed per name, and the owner still gets in', async () => {
    const game = await games.start(games.withServer({ loginFailures: 5, loginSlowdownBaseMs: 100, loginSlowdownMaxMs: 1000 }));
    const owner = await games.client(game);
    await owner.login('Dee', 'dees-real-password', true);
    owner.close();
    const guessers = await Promise.all(Array.from({ length: 30 }, (_, i) => games.client(game, `127.0.0.${20 + (i % 6)}`)));
    await Promise.all(
      guessers.map(async (g) => {
        await g.expect('By what name');
        g.send('Dee');
        await g.expect('Password:');
      }),
    );
    for (const [i, g] of guessers.entries()) g.send(i === 29 ? 'dees-real-password' : `guess-${i}`);
    const answers = await Promise.all(guessers.map((g) => g.expect(/Wrong password|Too many wrong guesses|Welcome, Dee/)));
    const wrong = answers.filter((a) => a.includes('Wrong password')).length;
    // Spaced 0, 100, 300, 700 ms; the next would wait beyond 1 s and is refused (before: all 30 checked).
    expect(wrong).toBeLessThanOrEqual(4);
    expect(answers.filter((a) => a.includes('Welcome, Dee')).length).toBeLessThanOrEqual(1);
    const counted = await metricsOf(game);
    expect(counted).toMatch(/aethyr_game_logins_slowed_total [1-9]/);
    expect(counted).toMatch(/aethyr_game_logins_total\{outcome="busy"\} [1-9]/);
    // The owner, from the address Dee was made on, is not slowed and not locked out.
    const back = await games.client(game);
    expect(await back.login('Dee', 'dees-real-password', false)).toContain('Town Square');
  }, 60_000);

  it('C1 controls, NEL, line separators and bidi overrides never reach another player', async () => {
    const game = await games.start();
    const ann = await games.client(game);
    await loggedIn(ann, 'Ann');
    const bob = await games.client(game);
    await loggedIn(bob, 'Bob');
    const hostile = 'hi\u009d0;pwned\u0007\u009c \u0085x\u2028y\u2029z \u202egnp.exe\u202c \u2066iso\u2069 \u001b[31mred';
    ann.send(`say ${hostile}`);
    const heard = await bob.expect(/Ann says, ".*"\r\n/);
    expect(heard).toContain('Ann says, "hi0;pwned xyz gnp.exe iso [31mred"');
    ann.send(`@describe A room\u202e with a twist\u0085.`);
    await ann.expect('described anew');
    const look = await bob.ask('look', 'Exits:');
    expect(look).toContain('A room with a twist.');
    expect(bob.text + heard + look).not.toMatch(/[\u0080-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u001b]/);
  });
});

describe('shutdown and start-up (issue 12)', () => {
  const main = (env: Record<string, string>) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env: { ...process.env, AETHYR_SERVER_PORT: '0', AETHYR_METRICS_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exit = new Promise<number | null>((resolve) => child.once('exit', resolve));
    stops.push(async () => {
      child.kill('SIGKILL');
      await exit;
    });
    return { child, exit, out: () => out, err: () => err };
  };

  it('SIGTERM with a half-open idle connection and a client that never reads still finishes promptly', async () => {
    const path = games.worldConfig().sqlite.path;
    const app = main({ AETHYR_SQLITE_PATH: path, AETHYR_PROJECTIONS_PATH: join(dirname(path), 'p.db') });
    const port = await new Promise<number>((resolve, reject) => {
      app.child.stdout.on('data', () => {
        const m = /telnet:\/\/127\.0\.0\.1:(\d+)/.exec(app.out());
        if (m) resolve(Number(m[1]));
      });
      void app.exit.then((code) => reject(new Error(`exited ${code}: ${app.err()}`)));
    });
    // Half-open: never ends its side, even after the server's FIN. And one that reads nothing at all.
    const halfOpen = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const deaf = connect({ port, host: '127.0.0.1' });
    for (const s of [halfOpen, deaf]) s.on('error', () => undefined);
    await Promise.all([halfOpen, deaf].map((s) => new Promise((resolve) => s.once('data', resolve))));
    deaf.pause();
    stops.push(async () => {
      halfOpen.destroy();
      deaf.destroy();
    });
    app.child.kill('SIGTERM');
    // Default shutdown_grace_ms is 5 s; before, the process was still running 20 s later.
    const code = await Promise.race([app.exit, new Promise((resolve) => setTimeout(() => resolve('still running'), 15_000))]);
    expect(code).toBe(0);
    expect(app.out()).toContain('Stopped.');
  }, 30_000);

  it('a data path under a regular file, or a port in use, is one clear line naming the option, exit 1', async () => {
    const dir = dirname(games.worldConfig().sqlite.path);
    writeFileSync(join(dir, 'a-file'), 'not a folder');
    const underFile = main({ AETHYR_SQLITE_PATH: join(dir, 'a-file', 'world.db'), AETHYR_PROJECTIONS_PATH: join(dir, 'p.db') });
    expect(await underFile.exit).toBe(1);
    expect(underFile.err().trim()).toBe(`Cannot start: store.sqlite.path: cannot create ${join(dir, 'a-file', 'world.db')}: ${join(dir, 'a-file')} is a file, not a folder`);

    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    stops.push(() => new Promise((resolve) => taken.close(() => resolve())));
    const busy = (taken.address() as AddressInfo).port;
    const inUse = main({ AETHYR_SQLITE_PATH: join(dir, 'w2.db'), AETHYR_PROJECTIONS_PATH: join(dir, 'p2.db'), AETHYR_SERVER_PORT: String(busy) });
    expect(await inUse.exit).toBe(1);
    expect(inUse.err().trim()).toBe(`Cannot start: server.port: 127.0.0.1:${busy} is already in use (EADDRINUSE); choose another port or stop what listens there`);
  }, 30_000);
});
