import { execFile, spawn } from 'node:child_process';
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

it('the demo command runs the scene on the embedded SQLite default', async () => {
  const path = temp.file();
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'src/demoMain.ts'], {
    env: { ...process.env, AETHYR_SQLITE_PATH: path },
  });
  expect(stdout).toContain(`World store: ${path} (SQLite, durability full)`);
  expect(stdout).toContain('Seeded a new world.');
  expect(stdout).toMatch(/Stats: \{"eventCount":16,"aggregateCount":4/);
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
