import { existsSync } from 'node:fs';
import { loadConfig, type RuntimeConfig } from '../config/loadConfig.ts';
import { openStoreOf, type PostgresStoreOptions } from '../config/stores.ts';
import { redactSecrets } from '../domain/redact.ts';
import { describe, isRuntimeError } from '../errors.ts';
import { copyStore } from '../eventStore/copyStore.ts';
import { readCheckpoints, recordCheckpoint, verifyCheckpoints } from '../eventStore/immudb/checkpoints.ts';
import { ImmudbEventStore } from '../eventStore/immudb/ImmudbEventStore.ts';
import { verifyStore, type VerifyReport } from '../eventStore/integrity.ts';
import { exportStore, importStore } from '../eventStore/jsonl.ts';
import type { EventStore } from '../eventStore/types.ts';
import { createMetrics } from '../metrics/metrics.ts';
import { silentLogger } from '../runtime/logger.ts';
import { openRuntime } from '../openRuntime.ts';
import { storeCodecsOf } from '../definition/upcasters.ts';
import { AggregateRegistry } from '../definition/registry.ts';
import { worldAggregates } from '../world/kinds.ts';
import { WorkerPool } from '../pool/WorkerPool.ts';
import { createProjections } from '../projections/projections.ts';
import { progressReporter } from './progress.ts';

/** Every command: how to type it, one line for the list, and what `<command> --help` says. */
const COMMANDS: Readonly<Record<string, { readonly usage: string; readonly summary: string; readonly help: string }>> = {
  stats: { usage: 'stats', summary: 'event, aggregate and snapshot counts', help: 'Prints the store\'s counts as JSON.' },
  history: {
    usage: 'history <id>',
    summary: "an aggregate's events, readable",
    help: 'Every event of one aggregate, oldest first, with version, position, time, data (secrets redacted) and actor.\nIds look like player:ann, room:square, obj:<uuid>.',
  },
  state: {
    usage: 'state <id> [--at-version N | --at-time ISO]',
    summary: 'an aggregate now, or as it was',
    help: 'The state of one aggregate (secrets redacted): now, after version N (1 up to its head), or at a moment (an ISO 8601 time).',
  },
  verify: { usage: 'verify', summary: 'check the hash chains (and ImmuDB checkpoints)', help: 'Checks every event against its hash and the store-wide chain; exit code 1 if anything fails.' },
  migrate: {
    usage: 'migrate --from sqlite|immudb --to immudb|sqlite [--database NAME] [--allow-default-credentials]',
    summary: 'copy the whole history between stores',
    help:
      'Copies every event and snapshot not yet in the target, then verifies both. Writing into an ImmuDB server needs an\n' +
      'explicit choice: --database NAME must name the configured database, the database must be empty or hold this\n' +
      "same world, and ImmuDB's default immudb/immudb login is refused unless --allow-default-credentials is given.",
  },
  rebuild: { usage: 'rebuild', summary: 'replay the store into fresh read-model tables, then swap', help: 'Rebuilds the read model (projections) from the whole store; reads keep working meanwhile.' },
  'rebuild-world': {
    usage: 'rebuild-world [--use-snapshots]',
    summary: 'replay every aggregate, report divergence, fresh snapshots',
    help: 'Replays every aggregate from its events (or from its snapshot with --use-snapshots), reports any that differ, and writes fresh snapshots. Exit code 1 on divergence.',
  },
  export: { usage: 'export <file.jsonl>', summary: 'whole store to JSON Lines', help: 'Writes every event and snapshot to a JSON Lines file.' },
  import: { usage: 'import <file.jsonl>', summary: 'checked first; nothing is written if it fails', help: 'Reads a JSON Lines backup into the configured store; the whole file is checked before anything is written.' },
};

const USAGE = [
  'usage: npm run cli -- <command> [options]   (--config FILE, default conf/server.yml; <command> --help for more)',
  ...Object.values(COMMANDS).map((c) => `  ${c.usage.split(' [--')[0]?.padEnd(38)} ${c.summary}`),
].join('\n');

const isCommand = (name: string | undefined): name is string => name !== undefined && Object.hasOwn(COMMANDS, name);

const helpFor = (command: string): string => {
  const c = COMMANDS[command] as (typeof COMMANDS)[string];
  return `usage: npm run cli -- ${c.usage} [--config FILE]\n${c.help}`;
};

type Out = (line: string) => void;

/** Thrown for bad usage: one line pointing at --help, exit code 2. */
class UsageError extends Error {}
/** Thrown for a request that cannot be met (no such id, no such file): one line, exit code 1. */
class CliError extends Error {}

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
  args.splice(i, 2);
  return value;
}

type StoreKind = 'sqlite' | 'immudb' | 'postgres';
const STORE_KINDS: readonly string[] = ['sqlite', 'immudb', 'postgres'];

/**
 * Opens the store a command works on. Only `create` (import, the target of migrate) may create one: every
 * other command opens an existing SQLite file or fails with one line (a mistyped path is not "OK, 0 events").
 */
async function withStore<T>(config: RuntimeConfig, kind: StoreKind | 'configured', use: (store: EventStore) => Promise<T>, create = false): Promise<T> {
  const metrics = createMetrics();
  if (kind === 'postgres' && !config.postgres) throw new UsageError('postgres needs store.postgres.connection_string (or AETHYR_POSTGRES_URL)');
  const chosen = kind === 'configured' ? config.store : kind === 'sqlite' ? config.sqlite : kind === 'immudb' ? config.immudb : (config.postgres as PostgresStoreOptions);
  const settings = chosen.kind === 'sqlite' && !create ? { ...chosen, mustExist: true } : chosen;
  const store = await openStoreOf(settings, metrics, storeCodecsOf(new AggregateRegistry(worldAggregates)));
  try {
    return await use(store);
  } finally {
    await store.close();
  }
}

function printVerify(out: Out, name: string, report: VerifyReport): void {
  if (report.ok) {
    out(`${name}: OK, ${report.eventsChecked} events in ${report.streamsChecked} streams; head position ${report.head.position}, chain ${report.head.chainHash.slice(0, 16)}…`);
    return;
  }
  const fileProblem = (report as { fileProblem?: string }).fileProblem;
  const count = report.problems.length + report.moreProblems;
  out(`${name}: FAILED: ${count === 0 ? fileProblem : `${count} problem${count === 1 ? '' : 's'} in ${report.eventsChecked} events${fileProblem ? `; ${fileProblem}` : ''}`}`);
  for (const p of report.problems) {
    out(p.problem === 'head_mismatch' ? `  head_mismatch: stream ${p.streamId}: ${p.detail}` : `  ${p.problem} event at position ${p.position} (${p.streamId} v${p.version}): ${p.detail}`);
  }
  if (report.moreProblems > 0) out(`  … and ${report.moreProblems} more`);
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: readonly string[], out: Out = (l) => console.log(l), err: Out = (l) => console.error(l)): Promise<number> {
  const args = [...argv];
  try {
    const configPath = option(args, '--config');
    const [command, ...rest] = args;
    if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
      const topic = command === 'help' ? rest[0] : undefined;
      if (topic !== undefined && !isCommand(topic)) throw new UsageError(`no such command: ${topic}`);
      out(topic ? helpFor(topic) : USAGE);
      return command === undefined ? 2 : 0;
    }
    if (!isCommand(command)) throw new UsageError(`unknown command: ${command}`);
    if (rest.includes('--help') || rest.includes('-h')) {
      out(helpFor(command));
      return 0;
    }
    if (configPath !== undefined && !existsSync(configPath)) throw new CliError(`--config ${configPath}: no such file`);
    const config = loadConfig(configPath ?? 'conf/server.yml');
    switch (command) {
      case 'stats':
        return await withStore(config, 'configured', async (store) => {
          out(JSON.stringify(await store.stats()));
          return 0;
        });
      case 'history':
      case 'state': {
        const atVersion = option(rest, '--at-version');
        const atTime = option(rest, '--at-time');
        const id = rest[0];
        if (!id) throw new UsageError(`${command} needs an aggregate id (e.g. player:ann)`);
        if (atVersion !== undefined && atTime !== undefined) throw new UsageError('give --at-version or --at-time, not both');
        if (atVersion !== undefined && !/^\d+$/.test(atVersion)) throw new UsageError(`--at-version must be a whole number, not "${atVersion}"`);
        if (atTime !== undefined && Number.isNaN(Date.parse(atTime))) throw new UsageError(`--at-time must be an ISO 8601 time such as 2026-01-31T12:00:00Z, not "${atTime}"`);
        const existing = config.store.kind === 'sqlite' ? { ...config, store: { ...config.store, mustExist: true } } : config;
        const runtime = await openRuntime(existing, { logger: silentLogger });
        try {
          const head = await runtime.store.streamVersion(id);
          if (head === 0) throw new CliError(`no aggregate with id "${id}"${await suggestId(runtime.store, id)}`);
          if (atVersion !== undefined && (Number(atVersion) < 1 || Number(atVersion) > head)) {
            throw new CliError(`--at-version ${atVersion} is outside ${id}'s history: versions run from 1 to ${head}`);
          }
          if (command === 'history') {
            for (const e of await runtime.history(id)) out(`v${e.version} #${e.position} ${e.occurredAt} ${e.type} ${JSON.stringify(redactSecrets(e.data))} by ${e.metadata.actorId ?? '-'}`);
          } else {
            const state =
              atVersion !== undefined
                ? await runtime.stateAt(id, { version: Number(atVersion) })
                : atTime !== undefined
                  ? await runtime.stateAt(id, { time: atTime })
                  : await runtime.state(id);
            if (!state) throw new CliError(`${id} did not exist yet at ${atTime}`);
            out(JSON.stringify(redactSecrets(state), null, 2));
          }
          return 0;
        } finally {
          await runtime.close();
        }
      }
      case 'verify':
        return await withStore(config, 'configured', async (store) => {
          const total = (await store.stats()).eventCount;
          const progress = progressReporter('verify', total);
          const report = await verifyStore(store, { onProgress: (n) => progress.update(n) });
          progress.done(report.eventsChecked);
          printVerify(out, 'hash chains', report);
          let ok = report.ok;
          if (store instanceof ImmudbEventStore) {
            const checkpoints = await verifyCheckpoints(store, config.immudb.checkpointFile);
            for (const problem of checkpoints.problems) out(`checkpoint: FAILED: ${problem}`);
            ok &&= checkpoints.problems.length === 0;
            if (ok) {
              const cp = await recordCheckpoint(store, config.immudb.checkpointFile);
              out(`checkpoints: ${checkpoints.checked} checked; recorded server tx ${cp.txId} at position ${cp.position}`);
            }
          }
          return ok ? 0 : 1;
        });
      case 'migrate': {
        const from = option(rest, '--from');
        const to = option(rest, '--to');
        const database = option(rest, '--database');
        const allowDefaultLogin = rest.includes('--allow-default-credentials');
        if (!from || !to || from === to || ![from, to].every((k) => STORE_KINDS.includes(k))) {
          throw new UsageError('migrate needs --from and --to, two different stores of sqlite, immudb, postgres');
        }
        if (to === 'immudb') checkImmudbChoice(config, database, allowDefaultLogin);
        else if (from === 'immudb' && usesDefaultImmudbLogin(config) && !allowDefaultLogin) err(`warning: reading from ImmuDB ${config.immudb.host}:${config.immudb.port} with its default login immudb/immudb`);
        return await withStore(config, from as StoreKind, (source) =>
          withStore(config, to as StoreKind, async (target) => {
            const sourceEvents = (await source.stats()).eventCount;
            const targetEvents = (await target.stats()).eventCount;
            if (to === 'immudb') await checkSameWorld(config, source, target, targetEvents);
            out(`about to copy ${sourceEvents} events (and snapshots) from ${describeStore(config, from as StoreKind)} into ${describeStore(config, to as StoreKind)}, which holds ${targetEvents} events of this world`);
            const progress = progressReporter(`migrate ${from} → ${to}`, sourceEvents);
            const report = await copyStore(source, target, { onProgress: (p) => progress.update(p.read) });
            progress.done(report.eventsRead);
            out(`copied ${report.eventsWritten} new events (${report.eventsRead - report.eventsWritten} already there) and ${report.snapshotsCopied} snapshots`);
            printVerify(out, `source (${from})`, report.source);
            printVerify(out, `target (${to})`, report.target);
            out(report.identical ? 'both stores hold the same history' : 'the stores differ: see above');
            return report.identical ? 0 : 1;
          }, true),
        );
      }
      case 'rebuild':
        return await withStore(config, 'configured', async (store) => {
          const projections = createProjections(store, { path: config.projections.path });
          try {
            const progress = progressReporter('rebuild', (await store.stats()).eventCount);
            const report = await projections.rebuild((n) => progress.update(n));
            progress.done(report.events);
            out(`rebuilt the read model from ${report.events} events in ${report.durationMs} ms; now at position ${projections.status().position}`);
            return 0;
          } finally {
            await projections.close();
          }
        });
      case 'rebuild-world': {
        const useSnapshots = rest.includes('--use-snapshots');
        const runtime = await openRuntime(config, { logger: silentLogger });
        const pool = new WorkerPool(config.poolThreads === undefined ? {} : { threads: config.poolThreads });
        try {
          const total = (await runtime.stats()).aggregateCount;
          const started = Date.now();
          const report = await runtime.rebuildWorldState({
            useSnapshots,
            pool,
            onProgress: (n) => process.stderr.isTTY && process.stderr.write(`\rrebuild-world: ${n}/${total} aggregates, ${Math.round(n / Math.max((Date.now() - started) / 1000, 1e-3))}/s`),
          });
          if (process.stderr.isTTY) process.stderr.write('\n');
          out(`replayed ${report.aggregates} aggregates (${report.events ?? '?'} events) in ${report.durationMs} ms${report.parallel ? ` on ${pool.threads} worker threads` : ''}; wrote ${report.snapshotsWritten} snapshots`);
          for (const d of report.divergent) out(`DIVERGENT ${d.streamId} (${d.source}): replayed ${d.replayed}\n  found ${d.found}`);
          out(report.divergent.length === 0 ? 'no divergence' : `${report.divergent.length} divergent`);
          return report.divergent.length === 0 ? 0 : 1;
        } finally {
          await pool.close();
          await runtime.close();
        }
      }
      case 'export':
      case 'import': {
        const file = rest[0];
        if (!file) throw new UsageError(`${command} needs a file`);
        return await withStore(config, 'configured', async (store) => {
          const progress = progressReporter(command, command === 'export' ? (await store.stats()).eventCount : undefined);
          if (command === 'export') {
            const report = await exportStore(store, file, (n) => progress.update(n));
            progress.done(report.events);
            out(`exported ${report.events} events and ${report.snapshots} snapshots to ${file}`);
          } else {
            const report = await importStore(store, file, (n) => progress.update(n), storeCodecsOf(new AggregateRegistry(worldAggregates)).codec);
            progress.done(report.written);
            const skipped = report.snapshotsSkipped > 0 ? ` (its ${report.snapshotsSkipped} snapshots are not imported: they are rebuilt from the verified events)` : '';
            out(`imported ${report.written} new events from ${file}${skipped}`);
          }
          return 0;
        }, command === 'import');
      }
      default:
        throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
    }
  } catch (error) {
    if (error instanceof UsageError) {
      err(`error: ${error.message} (npm run cli -- --help)`);
      return 2;
    }
    if (error instanceof CliError) {
      err(`error: ${error.message}`);
      return 1;
    }
    err(`error: ${isRuntimeError(error) ? `${error.code}: ${error.message}` : describe(error)}`.split('\n')[0] as string);
    return 1;
  }
}

const describeStore = (config: RuntimeConfig, kind: StoreKind): string => {
  switch (kind) {
    case 'sqlite':
      return `SQLite ${config.sqlite.path}`;
    case 'immudb':
      return `ImmuDB ${config.immudb.host}:${config.immudb.port}/${config.immudb.database} (as ${config.immudb.user})`;
    case 'postgres':
      return `PostgreSQL schema ${config.postgres?.schema ?? '(not configured)'}`; // the connection string may hold a password: never printed
    default: {
      const _exhaustive: never = kind;
      return String(_exhaustive);
    }
  }
};

const usesDefaultImmudbLogin = (config: { immudb: { user: string; password: string } }): boolean => config.immudb.user === 'immudb' && config.immudb.password === 'immudb';

/**
 * Writing into an ImmuDB server is an explicit choice: the database is named on the command line and
 * matches the configuration, and ImmuDB's default login is never used without saying so.
 */
function checkImmudbChoice(config: RuntimeConfig, database: string | undefined, allowDefaultLogin: boolean): void {
  const { host, port, user, password } = config.immudb;
  if (database === undefined) {
    throw new UsageError(`migrate writes into the ImmuDB server at ${host}:${port}: name its database with --database ${config.immudb.database} to confirm`);
  }
  if (database !== config.immudb.database) {
    throw new CliError(`--database ${database} is not the configured database (${config.immudb.database} at ${host}:${port}); change store.immudb.database or the flag`);
  }
  if (usesDefaultImmudbLogin({ immudb: { user, password } }) && !allowDefaultLogin) {
    throw new CliError(
      "ImmuDB's default login immudb/immudb is configured: set store.immudb.user and password (or IMMUDB_USER, IMMUDB_PASSWORD), or pass --allow-default-credentials",
    );
  }
}

/**
 * The target must be this world's: empty (and not recorded by the checkpoint file as having held
 * events), or starting with the same first event as the source.
 */
async function checkSameWorld(config: RuntimeConfig, source: EventStore, target: EventStore, targetEvents: number): Promise<void> {
  const where = `${config.immudb.host}:${config.immudb.port}/${config.immudb.database}`;
  if (targetEvents === 0) {
    const recorded = readCheckpoints(config.immudb.checkpointFile, config.immudb.database).at(-1);
    if (recorded && recorded.position > 0) {
      throw new CliError(`${where} is empty, but ${config.immudb.checkpointFile} records ${recorded.position} events there: not writing into a database that lost its history`);
    }
    return;
  }
  const [ours] = await source.readAll({ after: 0, limit: 1 });
  const [theirs] = await target.readAll({ after: 0, limit: 1 });
  if (ours?.eventId !== theirs?.eventId) {
    throw new CliError(`${where} holds another world (its first event is not this world's first event): not writing into it`);
  }
}

/** For an id that does not exist: a likely id of the same name (`ann` → player:ann), or the id forms. */
async function suggestId(store: EventStore, id: string): Promise<string> {
  for (const prefix of ['player:', 'room:', 'obj:']) {
    const guess = `${prefix}${id.trim().toLowerCase()}`;
    if (guess !== id && (await store.streamVersion(guess)) > 0) return `; did you mean ${guess}?`;
  }
  return '; ids look like player:ann, room:square or obj:<uuid> (`history` takes the same ids)';
}
