import { connect, type NatsConnection } from '@nats-io/transport-node';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { SingletonLease } from '../../src/cluster/singleton.ts';
import { censusHandler, readCensus, SingletonFencedError, SingletonFollower } from '../../src/cluster/singletonFollower.ts';
import { isConfigError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config/loadConfig.ts';
import { loadClusterConfig } from '../../src/game/clusterConfig.ts';
import { attribute, created, newEvents } from '../support/events.ts';
import { NatsCluster } from '../support/natsCluster.ts';
import { postgresOptions } from '../support/postgres.ts';
import { PostgresEventStore } from '../../src/eventStore/postgres/PostgresEventStore.ts';

let nats: NatsCluster;
let pool: pg.Pool;
let worlds = 0;
beforeAll(async () => {
  nats = await NatsCluster.start({ size: 3 });
  pool = new pg.Pool({ connectionString: inject('postgresUrl'), max: 4 });
});
afterAll(async () => {
  await pool?.end();
  await nats?.dispose();
});

const nodeConnection = (): Promise<NatsConnection> => connect({ servers: nats.servers, maxReconnectAttempts: -1, reconnectTimeWait: 100 });

describe('the read-side singleton', () => {
  it('one holder at a time; a released lease is taken with a higher epoch; a holder whose connection dies is replaced without waiting for the TTL', async () => {
    const world = `s${++worlds}${Date.now()}`;
    const events: string[] = [];
    const ncs = await Promise.all([nodeConnection(), nodeConnection(), nodeConnection()]);
    const options = (node: string) => ({ world, node, name: 'readside', ttlMs: 20_000, replicas: 3 as const });
    const hooks = (node: string) => ({ onAcquired: (epoch: number) => events.push(`${node}+${epoch}`), onLost: (epoch: number, reason: string) => events.push(`${node}-${epoch}:${reason}`) });
    const a = await SingletonLease.start(ncs[0]!, options('a'), hooks('a'));
    const b = await SingletonLease.start(ncs[1]!, options('b'), hooks('b'));
    const c = await SingletonLease.start(ncs[2]!, options('c'), hooks('c'));
    try {
      expect([a, b, c].filter((l) => l.current() !== undefined).map((l) => l.node)).toEqual(['a']);
      expect(b.holder).toBe('a');
      const first = a.current()!;
      await a.close(); // released: the next round of another node takes it
      await b.tick();
      const second = b.current();
      expect(second).toBeGreaterThan(first);
      await c.tick();
      expect(c.current()).toBeUndefined();
      // b's process "dies": its connection goes without releasing anything; the TTL (20 s) is far away.
      const taken = new Promise<void>((resolve) => {
        const check = setInterval(() => c.current() !== undefined && (clearInterval(check), resolve()), 10);
      });
      await ncs[1]!.close();
      const started = performance.now();
      await taken; // c's own standby rounds: "no responders" twice on the same revision, a standby period apart
      expect(c.current()).toBeGreaterThan(second!);
      expect(performance.now() - started).toBeLessThan(20_000);
      expect(c.stats.tookOverByPing).toBe(1);
      expect(events).toEqual([`a+${first}`, `a-${first}:closed`, `b+${second}`, `c+${c.current()}`]);
    } finally {
      await c.close();
      await Promise.all(ncs.map((nc) => nc.close().catch(() => undefined)));
    }
  });

  it('a stale holder is fenced by the checkpoint epoch: it writes nothing more, and the new holder resumes exactly once', async () => {
    const options = postgresOptions();
    const store = await PostgresEventStore.open(options);
    const schema = options.schema!;
    const fenced: SingletonFencedError[] = [];
    const old = new SingletonFollower(store, pool, schema, censusHandler, { onFenced: (e) => fenced.push(e) });
    const newer = new SingletonFollower(store, pool, schema, censusHandler);
    try {
      await old.start(5);
      await store.appendToStream('a', newEvents(created('A'), attribute('x', 1)));
      await old.catchUp();
      expect((await readCensus(pool, schema)).byType.get('GameObjectCreated')).toBe(1);
      // A new holder (higher epoch) starts while the old one still runs (paused, cut off: it has not noticed).
      await newer.start(7);
      await store.appendToStream('b', newEvents(created('B')));
      await old.catchUp(); // the old holder's next batch is refused: rolled back, paused
      expect(fenced.map((e) => [e.epoch, e.current])).toEqual([[5, 7]]);
      expect(old.running).toBe(false);
      await newer.catchUp();
      const census = await readCensus(pool, schema);
      expect(census.byType.get('GameObjectCreated')).toBe(2); // B counted once, by the new holder
      expect(census.byType.get('GameObjectAttributeUpdated')).toBe(1);
      expect(census.position).toBe((await store.readAll({})).at(-1)!.position);
      await expect(old.start(6)).rejects.toBeInstanceOf(SingletonFencedError); // and it cannot come back with an older epoch
    } finally {
      await old.stop();
      await newer.stop();
      await store.close();
    }
  });
});

describe('conf/cluster.yml', () => {
  const postgres = loadConfig('conf/server.yml', { AETHYR_STORE: 'postgres', AETHYR_POSTGRES_URL: 'postgres://x@127.0.0.1/y' });
  const refusal = (env: Record<string, string>, runtime = postgres): string => {
    try {
      loadClusterConfig('conf/cluster.yml', runtime, env);
    } catch (error) {
      expect(isConfigError(error)).toBe(true);
      return (error as Error).message;
    }
    throw new Error('accepted');
  };

  it('loads the shipped file with environment overrides, and refuses bad values in one line naming the option', () => {
    const config = loadClusterConfig('conf/cluster.yml', postgres, { AETHYR_NODE: 'n7', AETHYR_NATS_URLS: 'nats://127.0.0.1:1, nats://127.0.0.1:2' });
    expect(config).toMatchObject({ world: 'aethyr', node: 'n7', servers: ['nats://127.0.0.1:1', 'nats://127.0.0.1:2'], replicas: 3, singletonTtlMs: 5000 });
    expect(refusal({ AETHYR_NODE: 'no spaces' })).toMatch(/^conf\/cluster\.yml: cluster\.node: must be 1-64 characters/);
    expect(refusal({ AETHYR_NATS_URLS: 'http://x' })).toMatch(/cluster\.nats\.servers\.0: must be nats:\/\/host:port/);
    expect(refusal({ AETHYR_NATS_REPLICAS: '2' })).toMatch(/cluster\.replicas/);
    expect(refusal({ AETHYR_SINGLETON_TTL_MS: 'soon' })).toBe('AETHYR_SINGLETON_TTL_MS must be a number (got "soon")');
    expect(refusal({ AETHYR_NATS_CREDENTIALS: '/nonexistent/node.creds' })).toBe('cluster.nats.credentials_file /nonexistent/node.creds: ENOENT');
    expect(refusal({}, loadConfig('conf/server.yml', {}))).toMatch(/a cluster needs the shared PostgreSQL store/);
    for (const message of [refusal({ AETHYR_NODE: 'no spaces' }), refusal({ AETHYR_NATS_URLS: 'http://x' })]) expect(message).not.toContain('\n');
  });
});
