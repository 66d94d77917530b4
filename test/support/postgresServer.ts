import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './freePort.ts';
import { isRunning, waitUntilReady } from './serverProcess.ts';

/** Where the PostgreSQL server binaries are: PG_BIN, else the newest Debian package version installed. */
export function postgresBinDir(): string {
  if (process.env.PG_BIN) return process.env.PG_BIN;
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`no PostgreSQL server binaries under ${base} (install the Debian package "postgresql", or set PG_BIN)`);
  return join(base, newest, 'bin');
}

/** PostgreSQL refuses to run as root: as root the server runs as the `postgres` OS user. */
const OS_USER = 'postgres';
const runsAsRoot = (): boolean => userInfo().uid === 0;
function asServerUser(command: string, args: string[]): [string, string[]] {
  return runsAsRoot() ? ['runuser', ['-u', OS_USER, '--', command, ...args]] : [command, args];
}

/**
 * A real PostgreSQL server for the tests: initdb into a temp dir, listening on 127.0.0.1 at a free port,
 * trust authentication for local connections only. If it cannot start, start() throws the reason.
 */
export class PostgresTestServer {
  readonly dir = mkdtempSync(join(tmpdir(), 'aethyr-postgres-'));
  port = 0;
  #process: ChildProcess | undefined;
  #log = '';

  get connectionString(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<this> {
    const bin = postgresBinDir();
    const data = join(this.dir, 'data');
    if (runsAsRoot()) {
      const uid = Number(execFileSync('id', ['-u', OS_USER], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', OS_USER], { encoding: 'utf8' }).trim());
      chownSync(this.dir, uid, gid);
    }
    chmodSync(this.dir, 0o700);
    const [initCmd, initArgs] = asServerUser(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
    try {
      execFileSync(initCmd, initArgs, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir });
    } catch (error) {
      const e = error as { stderr?: Buffer; message: string };
      throw new Error(`initdb failed: ${e.stderr?.toString() || e.message}`);
    }
    // Loopback only; fsync off is for a throwaway test cluster (the store's own durability is tested on SQLite files).
    writeFileSync(join(data, 'postgresql.auto.conf'), "listen_addresses = '127.0.0.1'\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n", { flag: 'a' });
    this.port ||= await freePort();
    const [cmd, args] = asServerUser(join(bin, 'postgres'), ['-D', data, '-p', String(this.port), '-k', this.dir]);
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir });
    const keep = (chunk: Buffer) => (this.#log = (this.#log + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#process = child;
    await this.#waitReady(child);
    return this;
  }

  /** Polls until a query succeeds: no fixed sleeps. */
  async #waitReady(child: ChildProcess): Promise<void> {
    await waitUntilReady('PostgreSQL', child, async () => {
      const client = new pg.Client({ connectionString: this.connectionString, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
      } finally {
        await client.end().catch(() => undefined);
      }
    }, () => this.#log);
  }

  async stop(): Promise<void> {
    const child = this.#process;
    if (!child || !isRunning(child)) return;
    const exited = new Promise((r) => child.once('exit', r));
    // runuser does not forward signals: signal the postmaster itself (its pid is the first line of
    // postmaster.pid). SIGINT is a "fast" shutdown: it does not wait for clients to disconnect.
    const pidFile = join(this.dir, 'data', 'postmaster.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
    if (pid > 0) process.kill(pid, 'SIGINT');
    else child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child && isRunning(child)) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
