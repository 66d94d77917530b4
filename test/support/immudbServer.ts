import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ImmudbClient } from '../../src/eventStore/immudb/ImmudbClient.ts';
import { freePort } from './freePort.ts';
import { isRunning, waitUntilReady } from './serverProcess.ts';

const root = resolve(import.meta.dirname, '../..');

/** Builds the pinned ImmuDB server once (cached in .cache/); throws with the reason if it cannot. */
export function immudbBinary(): string {
  try {
    return execFileSync('bash', [join(root, 'test/support/build-immudb.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (error) {
    throw new Error(`cannot build the ImmuDB test server (needs Go and the Go module proxy): ${(error as Error).message}`);
  }
}

export const IMMUDB_USER = 'immudb';
export const IMMUDB_PASSWORD = 'immudb';

/** A real ImmuDB server on 127.0.0.1 with a temporary data dir; pgsql, web and metrics servers off. */
export class ImmudbTestServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'aethyr-immudb-'));
  port = 0;
  #process: ChildProcess | undefined;
  #log = '';

  async start(): Promise<this> {
    this.port ||= await freePort();
    const child = spawn(
      immudbBinary(),
      [
        '--dir', join(this.dir, 'data'),
        '--address', '127.0.0.1',
        '--port', String(this.port),
        '--pgsql-server=false',
        '--web-server=false',
        '--metrics-server=false',
        '--grpc-reflection=false',
        '--admin-password', IMMUDB_PASSWORD,
        '--logdir', join(this.dir, 'log'),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir },
    );
    child.stdout?.on('data', (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-4000)));
    child.stderr?.on('data', (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-4000)));
    this.#process = child;
    await this.#waitHealthy(child);
    return this;
  }

  /** Polls until a login succeeds: no fixed sleeps. */
  async #waitHealthy(child: ChildProcess): Promise<void> {
    await waitUntilReady('ImmuDB', child, async () => {
      const client = await ImmudbClient.connect({ host: '127.0.0.1', port: this.port, user: IMMUDB_USER, password: IMMUDB_PASSWORD, database: 'defaultdb', timeoutMs: 1000 });
      client.close();
    }, () => this.#log);
  }

  /** Kills the server (SIGKILL: no clean shutdown), keeping its data. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child || !isRunning(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async stop(): Promise<void> {
    const child = this.#process;
    if (child && isRunning(child)) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (isRunning(child)) await this.kill();
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
