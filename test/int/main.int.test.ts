import { execFile } from 'node:child_process';
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
