import { loadConfig, type RuntimeConfig } from '../config/loadConfig.ts';
import { openStoreOf, type PostgresStoreOptions } from '../config/stores.ts';
import { redactSecrets } from '../domain/redact.ts';
import { describe, isRuntimeError } from '../errors.ts';
import { copyStore } from '../eventStore/copyStore.ts';
import { recordCheckpoint, verifyCheckpoints } from '../eventStore/immudb/checkpoints.ts';
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

const USAGE = `usage: npm run cli -- <command> [options]   (config: --config conf/server.yml)
  stats                                   event, aggregate and snapshot counts
  history <id>                            an aggregate's events, readable
  state <id> [--at-version N | --at-time ISO]
  verify                                  check the hash chains (and ImmuDB checkpoints)
  migrate --from sqlite|immudb --to immudb|sqlite
  rebuild                                 replay the store into fresh read-model tables, then swap
  rebuild-world [--use-snapshots]         replay every aggregate, report divergence, fresh snapshots
  export <file.jsonl>                     whole store to JSON Lines
  import <file.jsonl>                     checked first; nothing is written if it fails`;

type Out = (line: string) => void;

/** Thrown for bad usage: printed with the usage text, exit code 2. */
class UsageError extends Error {}

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

async function withStore<T>(config: RuntimeConfig, kind: StoreKind | 'configured', use: (store: EventStore) => Promise<T>): Promise<T> {
  const metrics = createMetrics();
  if (kind === 'postgres' && !config.postgres) throw new UsageError('postgres needs store.postgres.connection_string (or AETHYR_POSTGRES_URL)');
  const settings = kind === 'configured' ? config.store : kind === 'sqlite' ? config.sqlite : kind === 'immudb' ? config.immudb : (config.postgres as PostgresStoreOptions);
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
  } else {
    const p = report.firstProblem;
    const fileProblem = (report as { fileProblem?: string }).fileProblem;
    out(`${name}: FAILED: ${p ? `${p.problem} event at position ${p.position} (${p.streamId} v${p.version}): ${p.detail}` : fileProblem}`);
  }
}

/** Runs one CLI command; returns the exit code. */
export async function runCli(argv: readonly string[], out: Out = (l) => console.log(l)): Promise<number> {
  const args = [...argv];
  try {
    const config = loadConfig(option(args, '--config') ?? 'conf/server.yml');
    const [command, ...rest] = args;
    switch (command) {
      case 'stats':
        return withStore(config, 'configured', async (store) => {
          out(JSON.stringify(await store.stats()));
          return 0;
        });
      case 'history':
      case 'state': {
        const atVersion = option(rest, '--at-version');
        const atTime = option(rest, '--at-time');
        const id = rest[0];
        if (!id) throw new UsageError(`${command} needs an aggregate id`);
        const runtime = await openRuntime(config, { logger: silentLogger });
        try {
          if (command === 'history') {
            const events = await runtime.history(id);
            if (events.length === 0) out(`${id}: no events`);
            for (const e of events) out(`v${e.version} #${e.position} ${e.occurredAt} ${e.type} ${JSON.stringify(redactSecrets(e.data))} by ${e.metadata.actorId ?? '-'}`);
          } else {
            const state =
              atVersion !== undefined
                ? await runtime.stateAt(id, { version: Number(atVersion) })
                : atTime !== undefined
                  ? await runtime.stateAt(id, { time: atTime })
                  : await runtime.state(id);
            out(state ? JSON.stringify(redactSecrets(state), null, 2) : `${id}: did not exist then`);
            if (!state && atVersion === undefined && atTime === undefined) return 1;
          }
          return 0;
        } finally {
          await runtime.close();
        }
      }
      case 'verify':
        return withStore(config, 'configured', async (store) => {
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
        if (!from || !to || from === to || ![from, to].every((k) => STORE_KINDS.includes(k))) {
          throw new UsageError('migrate needs --from and --to, two different stores of sqlite, immudb, postgres');
        }
        return withStore(config, from as StoreKind, (source) =>
          withStore(config, to as StoreKind, async (target) => {
            const progress = progressReporter(`migrate ${from} → ${to}`, (await source.stats()).eventCount);
            const report = await copyStore(source, target, { onProgress: (p) => progress.update(p.read) });
            progress.done(report.eventsRead);
            out(`copied ${report.eventsWritten} new events (${report.eventsRead - report.eventsWritten} already there) and ${report.snapshotsCopied} snapshots`);
            printVerify(out, `source (${from})`, report.source);
            printVerify(out, `target (${to})`, report.target);
            out(report.identical ? 'both stores hold the same history' : 'the stores differ: see above');
            return report.identical ? 0 : 1;
          }),
        );
      }
      case 'rebuild':
        return withStore(config, 'configured', async (store) => {
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
        return withStore(config, 'configured', async (store) => {
          const progress = progressReporter(command, command === 'export' ? (await store.stats()).eventCount : undefined);
          if (command === 'export') {
            const report = await exportStore(store, file, (n) => progress.update(n));
            progress.done(report.events);
            out(`exported ${report.events} events and ${report.snapshots} snapshots to ${file}`);
          } else {
            const report = await importStore(store, file, (n) => progress.update(n));
            progress.done(report.written);
            out(`imported ${report.written} new events and ${report.snapshots} snapshots from ${file}`);
          }
          return 0;
        });
      }
      default:
        throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
    }
  } catch (error) {
    if (error instanceof UsageError) {
      out(`error: ${error.message}\n${USAGE}`);
      return 2;
    }
    out(`error: ${isRuntimeError(error) ? `${error.code}: ${error.message}` : describe(error)}`);
    return 1;
  }
}
