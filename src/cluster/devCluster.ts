// `npm run cluster -- --nodes 3`: a whole cluster on loopback for a developer, until Ctrl-C: NATS servers
// with JetStream (built or found like the tests do), a PostgreSQL server (initdb in a temp dir, as root run
// as the postgres user, like the tests), and game nodes (src/game/nodeMain.ts) on consecutive ports.
// A development tool: it reuses the test support's server starters, and its data is removed on exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { NatsCluster } from '../../test/support/natsCluster.ts';
import { PostgresTestServer } from '../../test/support/postgresServer.ts';

const root = resolve(import.meta.dirname, '../..');

interface Options {
  readonly nodes: number;
  readonly port: number;
  readonly world: string;
}

function options(): Options {
  const { values } = parseArgs({ options: { nodes: { type: 'string', default: '3' }, port: { type: 'string', default: '4001' }, world: { type: 'string', default: 'dev' } } });
  const nodes = Number(values.nodes);
  const port = Number(values.port);
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 9) throw new Error(`--nodes must be 1 to 9 (got ${values.nodes})`);
  if (!Number.isInteger(port) || port < 1024 || port + nodes > 65535) throw new Error(`--port must be a port from 1024 (got ${values.port})`);
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(values.world)) throw new Error(`--world must be 1-64 of A-Z a-z 0-9 _ - (got ${values.world})`);
  return { nodes, port, world: values.world };
}

/** Starts one game node and resolves once it listens (its output is passed through, prefixed with its name). */
function startNode(name: string, serverConf: string, clusterConf: string, dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'src/game/nodeMain.ts'), serverConf, clusterConf], {
    cwd: root,
    env: { ...process.env, AETHYR_NODE: name, AETHYR_SERVER_PORT: String(port), AETHYR_METRICS_PORT: '0', AETHYR_PROJECTIONS_PATH: join(dataDir, `${name}-projections.db`) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolvePromise, reject) => {
    let ready = false;
    const relay = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        process.stdout.write(`[${name}] ${line}\n`);
        if (!ready && line.includes('is listening on telnet://')) {
          ready = true;
          resolvePromise(child);
        }
      }
    };
    child.stdout!.on('data', relay);
    child.stderr!.on('data', relay);
    child.once('exit', (code, signal) => {
      if (!ready) reject(new Error(`game node ${name} exited (${code ?? signal}) before listening`));
    });
  });
}

async function stopNode(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

async function main(): Promise<void> {
  const o = options();
  const natsSize = o.nodes >= 3 ? 3 : 1; // R3 needs 3 servers; one or two nodes share a single server
  process.stdout.write(`Starting ${natsSize} NATS server(s), PostgreSQL and ${o.nodes} game node(s) on 127.0.0.1...\n`);
  const started: { nats?: NatsCluster; postgres?: PostgresTestServer; nodes: ChildProcess[] } = { nodes: [] };
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await Promise.allSettled(started.nodes.map(stopNode));
      await Promise.allSettled([started.nats?.dispose(), started.postgres?.dispose()]);
    })());
  const onSignal = () => {
    process.stdout.write('\nStopping the game nodes, NATS and PostgreSQL...\n');
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const [nats, postgres] = await Promise.all([NatsCluster.start({ size: natsSize }), new PostgresTestServer().start()]);
    started.nats = nats;
    started.postgres = postgres;
    const serverConf = join(postgres.dir, 'server.yml');
    writeFileSync(serverConf, ['store:', '  kind: postgres', `  postgres: { connection_string: "${postgres.connectionString}", schema: aethyr }`].join('\n'));
    const clusterConf = join(postgres.dir, 'cluster.yml');
    writeFileSync(
      clusterConf,
      ['cluster:', `  world: ${o.world}`, '  node: unset', '  nats:', `    servers: [${nats.servers.map((s) => `"${s}"`).join(', ')}]`, `  replicas: ${natsSize}`].join('\n'),
    );
    // The first node seeds the world and takes the read-side singleton; the others join it.
    started.nodes.push(await startNode('n1', serverConf, clusterConf, postgres.dir, o.port));
    started.nodes.push(...(await Promise.all(Array.from({ length: o.nodes - 1 }, (_, i) => startNode(`n${i + 2}`, serverConf, clusterConf, postgres.dir, o.port + i + 1)))));
    process.stdout.write(
      [
        '',
        `World "${o.world}" is up on ${o.nodes} node(s); the same world from any of them:`,
        ...started.nodes.map((_, i) => `  telnet 127.0.0.1 ${o.port + i}     (node n${i + 1})`),
        `NATS: ${nats.servers.join(', ')}   PostgreSQL: ${postgres.connectionString}`,
        `Data in ${nats.dir} and ${postgres.dir}, removed on exit. Ctrl-C stops everything.`,
        '',
      ].join('\n'),
    );
  } catch (error) {
    process.stderr.write(`Cannot start the cluster: ${(error as Error).message.split('\n')[0]}\n`);
    await stop();
    process.exit(1);
  }
}

await main();
