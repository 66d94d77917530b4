import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort } from './freePort.ts';

const root = resolve(import.meta.dirname, '../..');

/** Builds (once, cached in .cache/) or finds the pinned nats-server; throws with the reason if it cannot. */
export function natsServerBinary(): string {
  try {
    return execFileSync('bash', [join(root, 'test/support/build-nats.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch (error) {
    throw new Error(`cannot build nats-server (needs Go and the Go module proxy): ${(error as Error).message}`);
  }
}

/** One nats-server of the cluster: fixed name, ports and store dir, so it can be restarted with its data. */
export class NatsNode {
  #process: ChildProcess | undefined;
  #log = '';
  constructor(
    readonly name: string,
    readonly port: number,
    readonly clusterPort: number,
    readonly monitorPort: number,
    readonly configFile: string,
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#process !== undefined && this.#process.exitCode === null && this.#process.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.#process?.pid : undefined;
  }

  /** The last few KB of the server's output, for failure messages. */
  get log(): string {
    return this.#log;
  }

  start(binary: string): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const child = spawn(binary, ['-c', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => void (this.#log = (this.#log + chunk.toString()).slice(-8000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // A spawn failure (missing binary) surfaces through waitHealthy as an exited child.
    child.on('error', (error) => keep(Buffer.from(`spawn failed: ${error.message}\n`)));
    this.#process = child;
  }

  /** Polls the monitoring endpoint until the server (and its JetStream) says healthy: no fixed sleeps. */
  async waitHealthy(timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (!this.running) throw new Error(`${this.name} exited (${this.#process?.exitCode ?? this.#process?.signalCode}):\n${this.#log}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.monitorPort}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${this.name} did not become healthy in ${timeoutMs} ms:\n${this.#log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async #signal(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    const child = this.#process;
    if (!child || !this.running) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill(signal);
    await Promise.race([exited, new Promise((r) => setTimeout(r, graceMs))]);
    if (this.running) await this.kill();
  }

  /** kill -9: no clean shutdown, data dir kept. */
  kill(): Promise<void> {
    return this.#signal('SIGKILL', 10_000);
  }

  /** Graceful shutdown (SIGTERM), killed if it takes longer than 10 s. */
  stop(): Promise<void> {
    return this.#signal('SIGTERM', 10_000);
  }
}

export interface NatsClusterOptions {
  /** Number of servers (default 3: the smallest cluster that keeps an R3 stream writable with one server down). */
  readonly size?: number;
  readonly clusterName?: string;
}

/**
 * A real NATS cluster with JetStream on 127.0.0.1, free ports and temp dirs. Never skipped: `start()`
 * throws with the reason if nats-server cannot be built or started.
 */
export class NatsCluster {
  readonly dir = mkdtempSync(join(tmpdir(), 'aethyr-nats-'));
  readonly nodes: NatsNode[] = [];
  #binary = '';

  private constructor() {}

  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    const cluster = new NatsCluster();
    try {
      await cluster.#start(options.size ?? 3, options.clusterName ?? 'aethyr');
      return cluster;
    } catch (error) {
      await cluster.dispose();
      throw error;
    }
  }

  async #start(size: number, clusterName: string): Promise<void> {
    this.#binary = natsServerBinary();
    const ports = await Promise.all(Array.from({ length: size * 3 }, () => freePort()));
    const clusterPorts = Array.from({ length: size }, (_, i) => ports[i * 3 + 1]!);
    for (let i = 0; i < size; i += 1) {
      const name = `n${i + 1}`;
      const storeDir = join(this.dir, name);
      mkdirSync(storeDir, { recursive: true });
      const configFile = join(this.dir, `${name}.conf`);
      const routes = clusterPorts.map((p) => `"nats://127.0.0.1:${p}"`).join(', ');
      writeFileSync(
        configFile,
        [
          `server_name: ${name}`,
          `host: 127.0.0.1`,
          `port: ${ports[i * 3]}`,
          `http: "127.0.0.1:${ports[i * 3 + 2]}"`,
          `jetstream { store_dir: "${storeDir}" }`,
          // A single server runs JetStream standalone; a cluster block with no peers would wait for a quorum.
          size > 1 ? `cluster { name: ${clusterName}, listen: "127.0.0.1:${clusterPorts[i]}", routes: [${routes}] }` : '',
        ].join('\n'),
      );
      this.nodes.push(new NatsNode(name, ports[i * 3]!, clusterPorts[i]!, ports[i * 3 + 2]!, configFile));
    }
    for (const node of this.nodes) node.start(this.#binary);
    await Promise.all(this.nodes.map((node) => node.waitHealthy()));
    await this.waitForJetStream();
  }

  /** Client URLs of every server (running or not), for a connection that fails over between them. */
  get servers(): string[] {
    return this.nodes.map((node) => node.url);
  }

  node(name: string): NatsNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no NATS node ${name}`);
    return node;
  }

  /** Restarts a stopped or killed node with its data and waits until it is healthy again. */
  async restart(name: string): Promise<void> {
    const node = this.node(name);
    if (node.running) await node.stop();
    node.start(this.#binary);
    await node.waitHealthy();
  }

  /** Waits until the JetStream meta group has a leader and answers API calls (a stream can be created). */
  async waitForJetStream(timeoutMs = 30_000): Promise<void> {
    const nc = await this.connect();
    try {
      const jsm = await jetstreamManager(nc, { timeout: 2000 });
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        try {
          await jsm.getAccountInfo();
          return;
        } catch (error) {
          if (Date.now() > deadline) throw new Error(`JetStream did not become available: ${(error as Error).message}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      await nc.close();
    }
  }

  /** The name of the server currently leading a stream's Raft group (a KV bucket's stream is `KV_<bucket>`). */
  async streamLeader(stream: string): Promise<string> {
    const nc = await this.connect();
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(stream);
      const leader = info.cluster?.leader;
      if (!leader) throw new Error(`stream ${stream} has no leader`);
      return leader;
    } finally {
      await nc.close();
    }
  }

  /**
   * A client connection that knows every server and reconnects among them, or, with `only`, one pinned to a
   * single server (it reconnects only when that server is back: a way to cut one member off), or with
   * `first`, one that starts on a given server and fails over to the others.
   */
  connect(options: { name?: string; only?: string; first?: string } = {}): Promise<NatsConnection> {
    const first = options.first === undefined ? undefined : this.node(options.first).url;
    return connect({
      servers: options.only !== undefined ? [this.node(options.only).url] : first !== undefined ? [first, ...this.servers.filter((u) => u !== first)] : this.servers,
      // `first`: connect to that server first (and fail over to the others), so a test knows who dies with it.
      noRandomize: first !== undefined,
      // Pinned means pinned: do not learn the other servers from the cluster's INFO updates.
      ignoreClusterUpdates: options.only !== undefined,
      ...(options.name === undefined ? {} : { name: options.name }),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 100,
    });
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((node) => node.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
