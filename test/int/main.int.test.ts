import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { MudClient } from '../support/mudClient.ts';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { runDemo } from '../../src/demo.ts';
import { createRuntime, silentLogger } from '../../src/index.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
afterAll(() => temp.cleanup());

it('the demo seeds a world once, plays its scene, and the world survives a restart', async () => {
  const path = temp.file();
  const lines: string[] = [];
  for (let run = 0; run < 2; run++) {
    const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
    await runDemo(runtime, (line) => lines.push(line));
    await runtime.close();
  }
  expect(lines.filter((l) => l === 'Seeded a new world.')).toHaveLength(1);
  expect(lines).toContain('Ann is in smithy, holds [iron-helm], wears {"head":"iron-helm"}.');
  expect(lines.some((l) => l.startsWith('Dropping a worn helm is refused'))).toBe(true);
  expect(lines.join('\n')).not.toMatch(/scrypt\$/); // no hash, let alone a password, is printed
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
  expect((await runtime.state('ann'))?.attributes).toEqual({ visits: 1 });
  await runtime.close();
});

it('the demo command writes its scene into its own file, never into the game\'s world', async () => {
  const world = temp.file();
  const demo = `${dirname(world)}/demo.db`;
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/demoMain.ts', '--store', demo], {
    env: { ...process.env, AETHYR_SQLITE_PATH: world },
  });
  expect(stdout).toContain(`Demo store: ${demo} (SQLite, its own file; the game's world ${world} is not touched)`);
  expect(stdout).toContain('Seeded a new world.');
  expect(stdout).toMatch(/Stats: \{"eventCount":16,"aggregateCount":4/);
  expect(existsSync(world)).toBe(false);
  const refused = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/demoMain.ts', '--store', world], { env: { ...process.env, AETHYR_SQLITE_PATH: world } }).catch(
    (e: { code: number; stderr: string }) => e,
  );
  expect(refused).toMatchObject({ code: 1, stderr: expect.stringContaining("is the game's world file") });
  expect(existsSync(world)).toBe(false);
});

it('the main command serves the MUD on SQLite and stops gracefully on SIGTERM, keeping what was done', async () => {
  const path = temp.file();
  const env = { ...process.env, AETHYR_SQLITE_PATH: path, AETHYR_PROJECTIONS_PATH: `${dirname(path)}/p.db`, AETHYR_SERVER_PORT: '0', AETHYR_METRICS_PORT: '0' };
  const run = () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const port = new Promise<number>((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = /listening on telnet:\/\/127\.0\.0\.1:(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    return { child, port, output: () => out };
  };
  const first = run();
  const client = await MudClient.connect(await first.port);
  await client.login('Gus', 'gus-password', true);
  client.send('e');
  client.send('get helm');
  await client.expect('You pick up an iron helm.');
  first.child.kill('SIGTERM');
  await client.expect('shutting down');
  const code = await new Promise((resolve) => first.child.once('exit', resolve));
  expect(code).toBe(0);
  expect(first.output()).toMatch(/newly seeded[\s\S]*SIGTERM: finishing in-flight commands[\s\S]*Stopped\./);

  const second = run();
  const again = await MudClient.connect(await second.port);
  expect(await again.login('Gus', 'gus-password', false)).toContain('The Smithy');
  expect(await again.ask('i', /You carry[\s\S]*?> /)).toContain('an iron helm');
  second.child.kill('SIGINT');
  expect(await new Promise((resolve) => second.child.once('exit', resolve))).toBe(0);
  expect(second.output()).not.toContain('newly seeded');
}, 60_000);

it('Ctrl-C on `npm start | tee log` runs the shutdown path: players are told, the world is closed', async () => {
  const path = temp.file();
  const log = `${dirname(path)}/server.log`;
  const env = { ...process.env, AETHYR_SQLITE_PATH: path, AETHYR_PROJECTIONS_PATH: `${dirname(path)}/p.db`, AETHYR_SERVER_PORT: '0', AETHYR_METRICS_PORT: '0', LOG: log };
  // A new process group, as a terminal's job: Ctrl-C sends SIGINT to every process in it (npm, the
  // server, tee) at once.
  const job = spawn('bash', ['-c', 'npm start 2>&1 | tee "$LOG"'], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const port = new Promise<number>((resolve, reject) => {
    job.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on telnet:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    job.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
  });
  const client = await MudClient.connect(await port);
  await client.login('Hal', 'hals-password', true);
  process.kill(-(job.pid as number), 'SIGINT');
  await client.expect('The world pauses: the server is shutting down. Your progress is saved.');
  await expect.poll(() => client.closed, { timeout: 10_000 }).toBe(true);
  // The world was closed properly: it opens again, with Hal in it.
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
  try {
    expect((await runtime.state('player:hal'))?.name).toBe('Hal');
  } finally {
    await runtime.close();
  }
}, 60_000);

it('the main command refuses a config file that does not exist, in one line', async () => {
  const failed = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/main.ts', '/nonexistent/aethyr.yml']).catch((e: { code: number; stderr: string }) => e);
  expect(failed).toMatchObject({ code: 1, stderr: 'Cannot start: config file /nonexistent/aethyr.yml: no such file\n' });
});
