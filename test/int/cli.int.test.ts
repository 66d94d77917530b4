import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { runDemo } from '../../src/demo.ts';
import { Manager } from '../../src/game/Manager.ts';
import { createRuntime, silentLogger } from '../../src/index.ts';
import { immudbOptions } from '../support/immudb.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
afterAll(() => temp.cleanup());

/** A config file for a fresh SQLite world (seeded by the demo) and a fresh ImmuDB database. */
async function setup() {
  const sqlite = temp.file();
  const runtime = createRuntime({ store: { kind: 'sqlite', path: sqlite }, logger: silentLogger });
  await runDemo(runtime, () => {});
  await runtime.close();
  const immudb = immudbOptions();
  const config = temp.file('server.yml');
  const checkpoints = temp.file('checkpoints.jsonl');
  const yaml = (kind: string) =>
    `store:\n  kind: ${kind}\n  sqlite:\n    path: ${sqlite}\n  immudb:\n    port: ${immudb.port}\n    database: ${immudb.database}\n    checkpoint_file: ${checkpoints}\n`;
  writeFileSync(config, yaml('sqlite'));
  const immudbConfig = temp.file('immudb.yml');
  writeFileSync(immudbConfig, yaml('immudb'));
  return { sqlite, config, immudbConfig };
}

async function cli(...args: string[]): Promise<{ code: number; text: string }> {
  const lines: string[] = [];
  const code = await runCli(args, (line) => lines.push(line), (line) => lines.push(line));
  return { code, text: lines.join('\n') };
}

it('answers stats, history and state as it was, without printing password hashes', async () => {
  const { config } = await setup();
  expect(await cli('stats', '--config', config)).toEqual({ code: 0, text: '{"eventCount":16,"aggregateCount":4,"snapshotCount":0}' });
  const history = await cli('history', 'ann', '--config', config);
  expect(history.code).toBe(0);
  expect(history.text).toMatch(/^v1 #\d+ \S+ GameObjectCreated .*by demo$/m);
  expect(history.text).toContain('"passwordHash":"<redacted>"');
  expect(history.text).not.toMatch(/scrypt\$/);
  const before = await cli('state', 'ann', '--at-version', '3', '--config', config);
  expect(JSON.parse(before.text)).toMatchObject({ containerId: 'town-square', inventory: [] });
  expect((await cli('state', 'nobody', '--config', config)).code).toBe(1);
});

it('verify passes, then fails with exit code 1 on a tampered row', async () => {
  const { config, sqlite } = await setup();
  expect(await cli('verify', '--config', config)).toMatchObject({ code: 0, text: expect.stringMatching(/^hash chains: OK, 16 events in 4 streams/) });
  const raw = new Database(sqlite);
  raw.prepare("UPDATE events SET data = replace(data, 'smithy', 'vault') WHERE stream_id = 'ann' AND version = 4").run();
  raw.close();
  const failed = await cli('verify', '--config', config);
  expect(failed.code).toBe(1);
  expect(failed.text).toMatch(/hash chains: FAILED: 1 problem in 16 events\n  modified event at position \d+ \(ann v4\)/);
  // A second edit, earlier in the store, is reported too: verify goes on past the first problem.
  const again = new Database(sqlite);
  expect(again.prepare("UPDATE events SET data = json_set(data, '$.name', 'Mallory') WHERE position = 1").run().changes).toBe(1);
  again.close();
  const both = await cli('verify', '--config', config);
  expect(both.code).toBe(1);
  expect(both.text).toMatch(/FAILED: 2 problems in 16 events\n  modified event at position 1 \(\S+ v1\): content does not match its hash\n  modified event at position \d+ \(ann v4\)/);
});

it('verify, export, stats and state never create a store: a mistyped path, an empty file and a truncated file are each one clear line and exit 1', async () => {
  const { sqlite } = await setup();
  const configFor = (path: string) => {
    const file = temp.file('server.yml');
    writeFileSync(file, `store:\n  kind: sqlite\n  sqlite:\n    path: ${path}\n`);
    return file;
  };
  const missing = `${sqlite}.typo`;
  for (const command of [['verify'], ['export', temp.file('out.jsonl')], ['stats'], ['state', 'ann']]) {
    const result = await cli(...command, '--config', configFor(missing));
    expect(result).toEqual({ code: 1, text: `error: CONFIG: no store at ${missing}: no such file` });
    expect(existsSync(missing)).toBe(false);
  }
  const empty = temp.file('empty.db');
  writeFileSync(empty, '');
  expect(await cli('verify', '--config', configFor(empty))).toEqual({ code: 1, text: `error: CONFIG: ${empty} is empty (0 bytes): not a store (truncated?)` });
  expect(statSync(empty).size).toBe(0);
  truncateSync(sqlite, 4096); // the header page survives, the tables' pages do not
  const truncated = await cli('verify', '--config', configFor(sqlite));
  expect(truncated.code).toBe(1);
  expect(truncated.text).toMatch(new RegExp(`^error: CONFIG: ${sqlite.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not a readable store \\(.+\\): damaged or truncated\\?$`));
});

it('migrates sqlite → immudb and verifies there with a server checkpoint; export and import round-trip', async () => {
  const { config, immudbConfig } = await setup();
  const database = /database: (\S+)/.exec(readFileSync(config, 'utf8'))?.[1] as string;
  const migrated = await cli('migrate', '--from', 'sqlite', '--to', 'immudb', '--database', database, '--allow-default-credentials', '--config', config);
  expect(migrated.text).toMatch(/^about to copy 16 events \(and snapshots\) from SQLite \S+ into ImmuDB 127\.0\.0\.1:\d+\/\S+ \(as immudb\), which holds 0 events of this world$/m);
  expect(migrated.text).toContain('copied 16 new events (0 already there)');
  expect(migrated.text).toContain('both stores hold the same history');
  expect(migrated.code).toBe(0);
  const verified = await cli('verify', '--config', immudbConfig);
  expect(verified.text).toMatch(/checkpoints: 0 checked; recorded server tx \d+ at position 16/);
  expect((await cli('verify', '--config', immudbConfig)).text).toMatch(/checkpoints: 1 checked/);

  const file = temp.file('backup.jsonl');
  expect((await cli('export', file, '--config', immudbConfig)).text).toBe(`exported 16 events and 0 snapshots to ${file}`);
  const fresh = temp.file('fresh.yml');
  writeFileSync(fresh, `store:\n  sqlite:\n    path: ${temp.file()}\n`);
  expect((await cli("import", file, "--config", fresh)).text).toBe(`imported 16 new events from ${file}`);
  expect((await cli('stats', '--config', fresh)).text).toContain('"eventCount":16');
});

it('reports usage errors with exit code 2 and bad config with exit code 1', async () => {
  expect(await cli('teleport')).toEqual({ code: 2, text: 'error: unknown command: teleport (npm run cli -- --help)' });
  expect((await cli('migrate', '--from', 'sqlite', '--to', 'sqlite')).code).toBe(2);
  expect((await cli('history')).code).toBe(2);
  const bad = temp.file('bad.yml');
  writeFileSync(bad, 'event_sourcing:\n  snapshot_threshold: -1\n');
  expect(await cli('stats', '--config', bad)).toMatchObject({ code: 1, text: expect.stringMatching(/CONFIG: event_sourcing\.snapshot_threshold/) });
});

it('rebuilds the read model and the world state, reporting a divergent snapshot with exit code 1', async () => {
  const { config, sqlite } = await setup();
  const projections = temp.file('projections.db');
  const withProjections = temp.file('p.yml');
  writeFileSync(withProjections, `${(await import('node:fs')).readFileSync(config, 'utf8')}projections:\n  path: ${projections}\npool:\n  threads: 2\n`);
  expect((await cli('rebuild', '--config', withProjections)).text).toMatch(/^rebuilt the read model from 16 events in \d+ ms; now at position 16$/);
  const rebuilt = new Database(projections);
  expect(rebuilt.prepare("SELECT container_id FROM game_objects WHERE id = 'ann'").get()).toEqual({ container_id: 'smithy' });
  rebuilt.close();

  expect((await cli('rebuild-world', '--config', withProjections)).text).toMatch(/replayed 4 aggregates \(16 events\) in \d+ ms on 2 worker threads; wrote 4 snapshots\nno divergence/);
  const raw = new Database(sqlite);
  raw.prepare("UPDATE snapshots SET state = replace(state, 'smithy', 'moon') WHERE stream_id = 'ann'").run();
  raw.close();
  const divergent = await cli('rebuild-world', '--config', withProjections);
  expect(divergent.code).toBe(1);
  expect(divergent.text).toMatch(/DIVERGENT ann \(snapshot\)/);
  expect((await cli('rebuild-world', '--config', withProjections)).code).toBe(0);
});

it('--help, help <command> and <command> --help; one clear line and a non-zero exit for every failure', async () => {
  const { config } = await setup();
  const help = await cli('--help');
  expect(help.code).toBe(0);
  for (const command of ['stats', 'history', 'state', 'verify', 'migrate', 'rebuild', 'rebuild-world', 'export', 'import']) expect(help.text).toContain(`  ${command}`);
  expect(await cli('help', 'state')).toMatchObject({ code: 0, text: expect.stringMatching(/^usage: npm run cli -- state <id> \[--at-version N \| --at-time ISO\]/) });
  expect(await cli('migrate', '--help')).toMatchObject({ code: 0, text: expect.stringContaining('--allow-default-credentials') });
  expect(await cli('help', 'constructor')).toEqual({ code: 2, text: 'error: no such command: constructor (npm run cli -- --help)' });
  expect((await cli()).code).toBe(2);

  expect(await cli('state', 'nobody', '--config', config)).toEqual({ code: 1, text: 'error: no aggregate with id "nobody"; ids look like player:ann, room:square or obj:<uuid> (`history` takes the same ids)' });
  expect(await cli('history', 'nobody', '--config', config)).toMatchObject({ code: 1, text: expect.stringContaining('no aggregate with id "nobody"') });
  expect(await cli('state', 'x', '--at-version', 'three', '--config', config)).toEqual({ code: 2, text: 'error: --at-version must be a whole number, not "three" (npm run cli -- --help)' });
  expect(await cli('state', 'ann', '--at-version', '99', '--config', config)).toEqual({ code: 1, text: "error: --at-version 99 is outside ann's history: versions run from 1 to 6" });
  expect(await cli('state', 'ann', '--at-version', '0', '--config', config)).toMatchObject({ code: 1 });
  expect(await cli('state', 'ann', '--at-time', 'yesterday', '--config', config)).toMatchObject({ code: 2, text: expect.stringContaining('--at-time must be an ISO 8601 time') });
  expect(await cli('stats', '--config', '/nonexistent/aethyr.yml')).toEqual({ code: 1, text: 'error: --config /nonexistent/aethyr.yml: no such file' });
});

it('the cli as a process: one line on stderr, no stack trace, exit 1; a suggestion for a name given as an id', async () => {
  const sqlite = temp.file();
  const runtime = createRuntime({ store: { kind: 'sqlite', path: sqlite }, logger: silentLogger });
  await new Manager(runtime).createPlayer({ name: 'Ann', password: 'anns-password' });
  await runtime.close();
  const config = temp.file('server.yml');
  writeFileSync(config, `store:\n  sqlite:\n    path: ${sqlite}\n`);
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'state', 'ann', '--config', config], { encoding: 'utf8' });
  expect(run.status).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe('error: no aggregate with id "ann"; did you mean player:ann?\n');
});

it('migrate into ImmuDB only by explicit choice, into this world only, and says what it will do first', async () => {
  const { config, immudbConfig } = await setup();
  const database = /database: (\S+)/.exec(readFileSync(config, 'utf8'))?.[1] as string;
  const migrate = (...extra: string[]) => cli('migrate', '--from', 'sqlite', '--to', 'immudb', ...extra, '--config', config);
  expect(await migrate()).toMatchObject({ code: 2, text: expect.stringContaining(`name its database with --database ${database} to confirm`) });
  expect(await migrate('--database', 'defaultdb')).toMatchObject({ code: 1, text: expect.stringContaining('--database defaultdb is not the configured database') });
  expect(await migrate('--database', database)).toMatchObject({ code: 1, text: expect.stringContaining("ImmuDB's default login immudb/immudb is configured") });
  expect((await cli('stats', '--config', immudbConfig)).text).toContain('"eventCount":0'); // nothing was written

  // A database holding another world is refused.
  const other = await setup();
  const otherDb = /database: (\S+)/.exec(readFileSync(other.config, 'utf8'))?.[1] as string;
  expect((await cli('migrate', '--from', 'sqlite', '--to', 'immudb', '--database', otherDb, '--allow-default-credentials', '--config', other.config)).code).toBe(0);
  const elsewhere = temp.file('elsewhere.yml');
  const fresh = temp.file();
  const runtime = createRuntime({ store: { kind: 'sqlite', path: fresh }, logger: silentLogger });
  await runDemo(runtime, () => {});
  await runtime.close();
  writeFileSync(elsewhere, readFileSync(other.config, 'utf8').replace(/path: \S+/, `path: ${fresh}`));
  expect(await cli('migrate', '--from', 'sqlite', '--to', 'immudb', '--database', otherDb, '--allow-default-credentials', '--config', elsewhere)).toMatchObject({
    code: 1,
    text: expect.stringContaining('holds another world'),
  });
});
