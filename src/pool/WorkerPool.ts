import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { WorkerFailedError } from '../errors.ts';
import { createMetrics, type Metrics } from '../metrics/metrics.ts';
import type { PoolResult, PoolTask, ReplayResult, ReplayTask } from './protocol.ts';

export interface WorkerPoolOptions {
  /** Worker threads (default: the machine's parallelism). */
  readonly threads?: number;
  readonly metrics?: Metrics;
  /** The worker module (default: ./worker.ts, the protocol's implementation). */
  readonly worker?: URL;
  /**
   * A module exporting `aggregates` (the definitions a runtime hosts), which workers import to replay
   * them; default: the built-in world. Definitions are code, so they cannot be sent to a thread.
   */
  readonly aggregates?: URL;
}

// From source the worker is worker.ts; from the built package (dist/), worker.js beside this file.
const defaultWorker = new URL(import.meta.url.endsWith('.ts') ? './worker.ts' : './worker.js', import.meta.url);

/**
 * A piscina pool running the worker protocol. A worker that throws or dies fails only its task, with a
 * WorkerFailedError; piscina replaces the thread and later tasks run normally. close() ends every
 * thread, so the process exits cleanly.
 */
export class WorkerPool {
  readonly #pool: Piscina;
  readonly #metrics: Metrics;
  readonly #aggregates: string | undefined;

  constructor(options: WorkerPoolOptions = {}) {
    const threads = options.threads ?? availableParallelism();
    const worker = options.worker ?? defaultWorker;
    // Running from TypeScript source (tsx, vitest): workers need the same loader to import the .ts file.
    const loader = worker.pathname.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? ['--import', 'tsx'] : [];
    this.#pool = new Piscina({
      filename: worker.href,
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: 30_000,
      execArgv: [...loaderFlags(process.execArgv), ...loader],
    });
    this.#metrics = options.metrics ?? createMetrics();
    this.#aggregates = options.aggregates?.href;
  }

  get threads(): number {
    return this.#pool.threads.length;
  }

  async run(task: PoolTask): Promise<PoolResult> {
    const end = this.#metrics.poolTaskDuration.startTimer({ kind: task.kind });
    try {
      const result = (await this.#pool.run(task)) as PoolResult;
      this.#metrics.poolTasks.inc({ kind: task.kind, outcome: 'ok' });
      return result;
    } catch (error) {
      this.#metrics.poolTasks.inc({ kind: task.kind, outcome: 'failed' });
      throw new WorkerFailedError(task.kind, error);
    } finally {
      end();
    }
  }

  /** Replays aggregates in parallel batches of `batchSize` streams. */
  async replay(storePath: string, streamIds: readonly string[], useSnapshots: boolean, batchSize = 250): Promise<ReplayResult[]> {
    const tasks: Promise<PoolResult>[] = [];
    for (let i = 0; i < streamIds.length; i += batchSize) {
      const task: ReplayTask = {
        kind: 'replay',
        storePath,
        streamIds: streamIds.slice(i, i + batchSize),
        useSnapshots,
        ...(this.#aggregates && { aggregatesModule: this.#aggregates }),
      };
      tasks.push(this.run(task));
    }
    return Promise.all(tasks);
  }

  async close(): Promise<void> {
    await this.#pool.destroy();
  }
}

/** Only the module-loader flags of the parent: workers refuse V8 flags such as --expose-gc. */
function loaderFlags(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    if (/^--(import|require|loader|experimental-loader)=/.test(flag)) kept.push(flag);
    else if (/^--(import|require|loader|experimental-loader)$/.test(flag) && argv[i + 1] !== undefined) kept.push(flag, argv[++i] as string);
  }
  return kept;
}
