import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const project = mkdtempSync(join(tmpdir(), 'aethyr-game-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const run = (command: string, args: string[], cwd: string) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });

it('packs, installs into a fresh project, and runs a kind defined there with plain node', () => {
  // npm pack runs prepack (npm run build: tsc to dist/ with declarations).
  const packed = run('npm', ['pack', '--silent', '--pack-destination', project], root).trim().split('\n').at(-1) as string;
  const tarball = join(project, packed);
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };

  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'a-game', version: '1.0.0', type: 'module', private: true }));
  // Tests reach no registry (loopback only): the package's dependencies are linked from this checkout,
  // as an npm cache would provide them, and `npm install --offline` installs the tarball itself.
  for (const dependency of Object.keys(manifest.dependencies)) {
    mkdirSync(dirname(join(project, 'node_modules', dependency)), { recursive: true });
    symlinkSync(join(root, 'node_modules', dependency), join(project, 'node_modules', dependency), 'dir');
  }
  run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock', tarball], project);
  const installed = join(project, 'node_modules', 'aethyr-runtime');
  expect(readdirSync(installed).sort()).toEqual(['README.md', 'conf', 'dist', 'package.json']);
  expect(readdirSync(join(installed, 'dist', 'src'))).toContain('index.d.ts');

  copyFileSync(join(root, 'test/fixtures/package/game.mjs'), join(project, 'game.mjs'));
  const output = run(process.execPath, ['game.mjs', join(project, 'game.db')], project);
  expect(JSON.parse(output)).toEqual({
    state: { id: 'book', cast: ['light', 'dark'] },
    refused: 'VALIDATION',
    tired: 'TIRED',
    history: ['BookOpened', 'SpellCast', 'SpellCast'],
    decided: { id: 'b', cast: ['x'] },
  });

  // The admin CLI is the package's bin, runnable without tsx.
  const usage = (() => {
    try {
      run(join(project, 'node_modules', '.bin', 'aethyr'), [], project);
      return '';
    } catch (error) {
      return String((error as { stdout?: string }).stdout) + String((error as { stderr?: string }).stderr);
    }
  })();
  expect(usage).toMatch(/usage: .* <command>/);
}, 180_000);
