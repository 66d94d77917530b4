import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { busMessageSubject, busPresenceSubject } from '../../src/cluster/busNats.ts';
import { readCensus } from '../../src/cluster/singletonFollower.ts';
import { loadConfig, type RuntimeConfig } from '../../src/config/loadConfig.ts';
import type { ClusterConfig } from '../../src/game/clusterConfig.ts';
import { startGame, type RunningGame } from '../../src/game/startGame.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { check, MudClient } from '../support/mudClient.ts';
import { NatsCluster } from '../support/natsCluster.ts';
import { isRunning } from '../support/serverProcess.ts';
import { freePort } from '../support/freePort.ts';
import { existsSync } from 'node:fs';

// Real NATS (3 servers, JetStream), the run's real PostgreSQL, real sockets; a fresh schema per test.
let nats: NatsCluster;
let pool: pg.Pool;
const dir = mkdtempSync(join(tmpdir(), 'aethyr-mudcluster-'));
const clients: MudClient[] = [];
const games: RunningGame[] = [];
const children: ChildProcess[] = [];

beforeAll(async () => {
  nats = await NatsCluster.start({ size: 3 });
  pool = new pg.Pool({ connectionString: inject('postgresUrl'), max: 2 });
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const g of games.splice(0)) await g.stop();
  for (const child of children.splice(0)) {
    if (!isRunning(child)) continue;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }
});
afterAll(async () => {
  await pool?.end();
  await nats?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const freshSchema = (): string => `mc${randomBytes(5).toString('hex')}`;

function serverConfig(schema: string, node: string): RuntimeConfig {
  const base = loadConfig('conf/server.yml', {
    AETHYR_STORE: 'postgres',
    AETHYR_POSTGRES_URL: inject('postgresUrl'),
    AETHYR_PROJECTIONS_PATH: join(dir, `${schema}-${node}.db`),
    AETHYR_SERVER_PORT: '0',
    AETHYR_METRICS_PORT: '0',
  });
  const store = { ...(base.store as Extract<RuntimeConfig['store'], { kind: 'postgres' }>), schema, poolSize: 4 };
  return { ...base, store, postgres: store, shadowReplay: false };
}

const clusterConfig = (node: string, world: string): ClusterConfig => ({
  world,
  node,
  servers: nats.servers,
  credentialsFile: undefined,
  replicas: 3,
  singletonTtlMs: 2000,
  presenceHeartbeatMs: 300,
});

async function node(schema: string, name: string, world = schema): Promise<RunningGame> {
  const game = await startGame(serverConfig(schema, name), silentLogger, clusterConfig(name, world));
  games.push(game);
  return game;
}

async function client(port: number): Promise<MudClient> {
  const c = await MudClient.connect(port);
  clients.push(c);
  return c;
}

/** Events per type in the store, as SQL sees them, and the head position. */
async function storeCensus(schema: string): Promise<{ head: number; byType: Map<string, number> }> {
  const rows = await pool.query<{ type: string; n: string }>(`SELECT type, count(*) AS n FROM "${schema}".events GROUP BY type`);
  const head = await pool.query<{ head: string | null }>(`SELECT max(position) AS head FROM "${schema}".events`);
  return { head: Number(head.rows[0]?.head ?? 0), byType: new Map(rows.rows.map((r) => [r.type, Number(r.n)])) };
}

/** Waits until the cluster's census (kept by whichever node holds the read-side singleton) equals the store. */
async function censusCaughtUp(schema: string, timeoutMs = 15_000): Promise<Map<string, number>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [census, store] = await Promise.all([readCensus(pool, schema).catch(() => undefined), storeCensus(schema)]);
    if (census && census.position === store.head && JSON.stringify([...census.byType].sort()) === JSON.stringify([...store.byType].sort())) return store.byType;
    if (Date.now() > deadline) throw new Error(`census did not catch up: ${JSON.stringify(census && [census.position, [...census.byType]])} vs ${JSON.stringify([store.head, [...store.byType]])}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Creates a character on `c` up to the last password, so several can be confirmed at the same moment. */
async function upToConfirm(c: MudClient, name: string, password: string): Promise<void> {
  await c.expect('By what name');
  c.send(name);
  await c.expect('Choose a password');
  await c.ask(password, 'Repeat it');
}

describe('the MUD on a cluster', () => {
  it('players on two nodes share who, say, tell and shout; the first builder is one across nodes; @stats shows the cluster', async () => {
    const schema = freshSchema();
    const [a, b] = await Promise.all([node(schema, 'a'), node(schema, 'b')]);
    expect(a.seeded !== b.seeded).toBe(true); // both started at once on an empty store: one seeded
    const [ann, bob] = await Promise.all([client(a.game.port), client(b.game.port)]);
    await Promise.all([upToConfirm(ann, 'Ann', 'secret-a'), upToConfirm(bob, 'Bob', 'secret-b')]);
    // Both characters are confirmed at once, on different nodes: the marker transaction lets exactly one be the builder.
    ann.send('secret-a');
    bob.send('secret-b');
    await Promise.all([ann.expect('Welcome, Ann.'), bob.expect('Welcome, Bob.')]);
    await Promise.all([ann.expect(/\r\n> /), bob.expect(/\r\n> /)]);
    const stats = await Promise.all([ann, bob].map((c) => check(c, '@stats', /events \d+|Huh\? "@stats"/)));
    expect(stats.filter((s) => /events \d+/.test(s))).toHaveLength(1);
    const marker = await pool.query(`SELECT count(*)::int AS n FROM "${schema}".events WHERE stream_id = 'world:first-builder'`);
    expect(marker.rows[0].n).toBe(1);
    const builderStats = /events \d+/.test(stats[0]!) ? stats[0]! : stats[1]!;
    expect(builderStats).toMatch(/cluster: world \w+, this node [ab], nodes [ab] \(1 playing\), [ab] \(1 playing\)/);
    expect(builderStats).toMatch(/read-side singleton: held by [ab]/);

    // who: both, on both nodes (presence crosses the bus).
    await check(ann, 'who', '2 online: Ann, Bob');
    // Garbage on the bus subjects (not JSON, wrong shapes, a forged node name) is ignored; nothing breaks.
    const nc = await nats.connect();
    for (const body of ['not json', '{"from":"x"}', '{"type":"snapshot","node":"bad node","players":[]}', JSON.stringify({ type: 'enter', node: 'z', player: { id: 1 } })]) {
      nc.publish(busMessageSubject(schema), body);
      nc.publish(busPresenceSubject(schema), body);
    }
    await nc.flush();
    await nc.close();
    // say in the shared room, tell and shout across nodes.
    await check(ann, 'say hello from a', 'You say');
    await bob.expect('Ann says, "hello from a"');
    await check(bob, 'tell ann psst, node b here', 'You tell Ann');
    await ann.expect('Bob tells you, "psst, node b here"');
    await check(ann, 'shout anyone?', 'You shout');
    await bob.expect('Ann shouts, "anyone?"');
    await check(bob, 'who', '2 online: Ann, Bob');
    // Room notices follow a player who walks away on another node; `look` there shows who is here.
    await check(bob, 'east', 'The Smithy');
    await ann.expect('Bob leaves east.');
    await check(ann, 'whisper bob hi', 'bob is not here.'); // presence knows Bob walked away, on his node
    await check(ann, 'east', /The Smithy[\s\S]*Here: Bob\./);
    await bob.expect('Ann arrives from the west.');
    // A thing given across nodes moves in the write model; both read models see it.
    await check(ann, 'get sword', 'You pick up a short sword');
    await check(ann, 'give sword to bob', 'You give a short sword to Bob');
    await bob.expect('Ann gives you a short sword.');
    await check(bob, 'inventory', 'a short sword');
    const scraped = await Promise.all([a, b].map(async (g) => (await fetch(`http://127.0.0.1:${g.metrics.port}/metrics`)).text()));
    for (const text of scraped) {
      expect(text).toMatch(/^aethyr_cluster_nodes 2$/m);
      expect(text).toMatch(/^aethyr_cluster_players_online 2$/m);
    }
    expect(scraped.map((t) => /^aethyr_cluster_readside_held (\d)$/m.exec(t)?.[1]).sort()).toEqual(['0', '1']);

    // The census is the cluster's read model, kept once by the singleton's holder: it equals the store.
    const counts = await censusCaughtUp(schema);
    expect(counts.get('PlayerCreated')).toBe(2);
    expect(counts.get('RoomCreated')).toBe(5);
  });

  it('a node that reaches no NATS server refuses to start in one line naming the option', async () => {
    const schema = freshSchema();
    const config = { ...clusterConfig('a', schema), servers: ['nats://127.0.0.1:1'] };
    await expect(startGame(serverConfig(schema, 'a'), silentLogger, config)).rejects.toThrow(/^cluster\.nats\.servers: no NATS server answers at nats:\/\/127\.0\.0\.1:1 \(/);
    // It wrote nothing: the first node that does reach NATS seeds the world.
    const a = await node(schema, 'a');
    expect(a.seeded).toBe(true);
  });

  it('a logged-in player who logs in on another node is moved there; the old session is closed', async () => {
    const schema = freshSchema();
    const a = await node(schema, 'a');
    const b = await node(schema, 'b');
    const first = await client(a.game.port);
    await first.login('Cat', 'secret-c', true);
    const second = await client(b.game.port);
    await second.login('Cat', 'secret-c', false);
    await first.expect('You have logged in from elsewhere.');
    await check(second, 'who', '1 online: Cat');
  });

  it('kill -9 of a node process drops only its players; they reconnect elsewhere to the same world; the read-side singleton fails over after the kill and after a pause (SIGSTOP), without double counting', async () => {
    const schema = freshSchema();
    const world = schema;
    const conf = join(dir, `${schema}.yml`);
    writeFileSync(
      conf,
      [
        'store:',
        '  kind: postgres',
        `  postgres: { connection_string: "${inject('postgresUrl')}", schema: ${schema}, pool_size: 4 }`,
        'shadow_replay: { enabled: false }',
        'server: { port: 0 }',
        'metrics: { port: 0 }',
      ].join('\n'),
    );
    const clusterFile = join(dir, `${schema}-cluster.yml`);
    writeFileSync(clusterFile, ['cluster:', `  world: ${world}`, '  node: unset', '  nats:', `    servers: [${nats.servers.map((s) => `"${s}"`).join(', ')}]`, '  singleton_ttl_ms: 2000', '  presence_heartbeat_ms: 300'].join('\n'));
    const startChild = async (name: string): Promise<{ child: ChildProcess; port: number }> => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/game/nodeMain.ts', conf, clusterFile], {
        env: { ...process.env, AETHYR_NODE: name, AETHYR_PROJECTIONS_PATH: join(dir, `${schema}-${name}.db`) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      children.push(child);
      let out = '';
      const port = await new Promise<number>((resolve, reject) => {
        const seen = (chunk: Buffer) => {
          out += chunk.toString();
          const m = /listening on telnet:\/\/127\.0\.0\.1:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        };
        child.stdout!.on('data', seen);
        child.stderr!.on('data', seen);
        child.once('exit', (code) => reject(new Error(`node ${name} exited with ${code}: ${out}`)));
      });
      return { child, port };
    };
    // n1 first: it seeds the world and takes the read-side singleton; then n2 and n3 join.
    const n1 = await startChild('n1');
    const [n2, n3] = await Promise.all([startChild('n2'), startChild('n3')]);
    const ann = await client(n1.port);
    await ann.login('Ann', 'secret-a', true); // the first: a builder
    const bob = await client(n2.port);
    await bob.login('Bob', 'secret-b', true);
    const cid = await client(n3.port);
    await cid.login('Cid', 'secret-c', true);
    await check(ann, 'who', '3 online: Ann, Bob, Cid');
    expect(await check(ann, '@stats', 'read-side singleton')).toMatch(/held by n1 \(here, epoch \d+\)/);
    await check(ann, 'east', 'The Smithy');
    await check(ann, 'get sword', 'You pick up a short sword');
    await check(ann, 'wield sword', 'You wield');
    await check(ann, 'west', 'Town Square');
    await censusCaughtUp(schema);
    const epochOf = async () => Number((await pool.query<{ epoch: string }>(`SELECT epoch FROM "${schema}".cluster_checkpoints WHERE name = 'census'`)).rows[0]!.epoch);
    const epochBefore = await epochOf();

    n1.child.kill('SIGKILL');
    await new Promise<void>((r) => (ann.closed ? r() : ann.socket.once('close', () => r())));
    expect(ann.closed).toBe(true);
    // Bob and Cid, on the other nodes, keep playing together; Ann drops out of `who` when n1 falls silent.
    await check(bob, 'say still here', 'You say');
    await cid.expect('Bob says, "still here"');
    const deadline = Date.now() + 10_000;
    while (!(await check(cid, 'who', /\d+ online: [^\r\n]*/)).includes('2 online: Bob, Cid')) {
      if (Date.now() > deadline) throw new Error('Ann never left `who` after her node was killed');
      await new Promise((r) => setTimeout(r, 200)); // polling presence; under the command rate limit
    }
    // Ann reconnects to n3 and finds everything as it was: her sword, wielded; her builder rights.
    const again = await client(n3.port);
    await again.login('Ann', 'secret-a', false);
    await bob.expect('Ann appears.');
    expect(await check(again, 'inventory', 'a short sword')).toMatch(/a short sword/);
    await check(again, 'drop sword', 'You are wielding a short sword; remove it first.');
    await check(again, 'color off', 'Colours are off.'); // an event written after the kill, for the census
    await check(again, 'who', '3 online: Ann, Bob, Cid');
    // The read side failed over: another node holds the singleton and the census covers the events since the kill.
    const after = await check(again, '@stats', 'read-side singleton');
    expect(after).toMatch(/held by n[23]/);
    const counts = await censusCaughtUp(schema);
    expect(counts.get('PlayerCreated')).toBe(3);
    const epochAfterKill = await epochOf();
    expect(epochAfterKill).toBeGreaterThan(epochBefore); // a new holder fenced the old one's epoch

    // The new holder is paused (SIGSTOP) longer than its lease: pings time out (it is not gone), so the lease
    // expires (2 s) and the third node takes over; resumed, the paused node writes nothing more.
    const holder = /held by (n[23])/.exec(after)![1]!;
    const [paused, awakePlayer] = holder === 'n2' ? [n2, again] : [n3, bob];
    paused.child.kill('SIGSTOP');
    try {
      const until = Date.now() + 15_000;
      while ((await epochOf()) === epochAfterKill) {
        if (Date.now() > until) throw new Error('nobody took the read side over from the paused holder');
        await new Promise((r) => setTimeout(r, 50));
      }
      await check(awakePlayer, 'color on', 'Colours are');
      await censusCaughtUp(schema);
    } finally {
      paused.child.kill('SIGCONT');
    }
    await check(awakePlayer, 'color off', 'Colours are off.');
    const final = await censusCaughtUp(schema); // counted once: the resumed node did not add its own batch
    expect(final.get('GameObjectAttributeUpdated')).toBe((await storeCensus(schema)).byType.get('GameObjectAttributeUpdated'));
  });

  it('npm run cluster: NATS, PostgreSQL and a game node on loopback, a playable world, and Ctrl-C stops it all', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cluster/devCluster.ts', '--nodes', '1', '--port', String(port), '--world', 'devtest'], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const seen = (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('Ctrl-C stops everything.')) resolve();
      };
      child.stdout!.on('data', seen);
      child.stderr!.on('data', seen);
      child.once('exit', (code) => reject(new Error(`npm run cluster exited with ${code}: ${out}`)));
    });
    expect(out).toContain(`telnet 127.0.0.1 ${port}     (node n1)`);
    const dataDirs = [...out.matchAll(/(\/\S*aethyr-(?:nats|postgres)-\w+)/g)].map((m) => m[1]!);
    expect(dataDirs).toHaveLength(2);
    const player = await client(port);
    await player.login('Dev', 'secret-d', true);
    await check(player, '@stats', /read-side singleton: held by n1/);
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await new Promise<void>((r) => (player.closed ? r() : player.socket.once('close', () => r())));
    expect(out).toContain('Stopped. Every acknowledged change is in the store.');
    for (const d of dataDirs) expect(existsSync(d)).toBe(false);
  });
});
