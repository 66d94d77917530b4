import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterRuntime, type ClusterRuntime } from '../../src/cluster/clusterRuntime.ts';
import { isCommandRejectedError, isValidationError } from '../../src/errors.ts';
import { PostgresEventStore } from '../../src/eventStore/postgres/PostgresEventStore.ts';
import { NatsCluster } from '../support/natsCluster.ts';
import { postgresOptions } from '../support/postgres.ts';
import { counter } from '../support/testKinds.ts';
import { AggregateRegistry } from '../../src/definition/registry.ts';
import { storeCodecsOf } from '../../src/definition/upcasters.ts';

const SHARDS = 8;
let nats: NatsCluster;
const connections: NatsConnection[] = [];
const stores: PostgresEventStore[] = [];
const nodes: ClusterRuntime[] = [];

/** Resolves once every shard has an owner in both nodes' views and each node holds some. */
async function placed(): Promise<void> {
  for (;;) {
    const views = nodes.map((n) => Array.from({ length: SHARDS }, (_, s) => n.member.holderOf(s)));
    const owned = nodes.map((n) => n.member.ownedShards().length);
    if (owned.every((o) => o > 0) && owned.reduce((a, b) => a + b, 0) === SHARDS && views.every((v) => v.every((h, s) => h !== undefined && h === views[0]![s]))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('clustered runtime: routing over NATS, PostgreSQL shared', () => {
  beforeAll(async () => {
    nats = await NatsCluster.start();
    const options = postgresOptions();
    for (const node of ['a', 'b']) {
      const nc = await nats.connect({ name: node });
      connections.push(nc);
      const store = await PostgresEventStore.open({ ...options, ...storeCodecsOf(new AggregateRegistry([counter])) });
      stores.push(store);
      // forceCodec on b: even its local calls go over NATS through the zod schemas.
      nodes.push(await createClusterRuntime({ nats: nc, store, forceCodec: node === 'b', cluster: { world: 'rt', node, shards: SHARDS }, runtime: { aggregates: [counter] } }));
    }
    await placed();
  }, 60_000);
  afterAll(async () => {
    for (const n of nodes) await n.close();
    for (const s of stores) await s.close();
    for (const c of connections) await c.close();
    await nats?.dispose();
  });

  it('commands from either node reach the owner, local or remote, and state reads agree', async () => {
    const [a, b] = nodes as [ClusterRuntime, ClusterRuntime];
    const ids = Array.from({ length: 12 }, (_, i) => `c${i}`);
    const owners = new Set(ids.map((id) => a.member.holderOf(a.member.map.shardOf(id))));
    expect(owners).toEqual(new Set(['a', 'b']));
    for (const id of ids) await a.execute({ type: 'CreateCounter', id });
    for (const [i, id] of ids.entries()) await (i % 2 ? a : b).ref(id).send({ type: 'Add', by: 3 });
    for (const id of ids) {
      expect(await a.state(id)).toMatchObject({ n: 3 });
      expect(await b.state(id)).toMatchObject({ n: 3 });
    }
    // Appends carried the owner's epoch: every stream's last_epoch is set.
    for (const id of ids) expect((await stores[0]!.readStream(id)).map((e) => e.version)).toEqual([1, 2]);
  });

  it('typed errors cross nodes with their codes; invalid input is refused before routing', async () => {
    const [a, b] = nodes as [ClusterRuntime, ClusterRuntime];
    const id = ['x0', 'x1', 'x2', 'x3', 'x4', 'x5'].find((x) => a.member.holderOf(a.member.map.shardOf(x)) === 'b')!;
    await a.execute({ type: 'CreateCounter', id });
    // Creating it again is refused by the owner (b); the rejection comes back to a as the same class and code.
    const rejected = await a.execute({ type: 'CreateCounter', id }).catch((e: unknown) => e);
    expect(rejected).toSatisfy(isCommandRejectedError);
    expect(await b.execute({ type: 'Nope', id }).catch((e: unknown) => e)).toSatisfy(isValidationError);
    expect((await stores[0]!.readStream(id)).length).toBe(1);
  });

  it('a retried command (same command id) is stored once', async () => {
    const [a, b] = nodes as [ClusterRuntime, ClusterRuntime];
    await a.execute({ type: 'CreateCounter', id: 'r1' });
    const first = await a.execute({ type: 'Add', id: 'r1', by: 2 }, { correlationId: 'cmd-1' });
    const again = await b.execute({ type: 'Add', id: 'r1', by: 2 }, { correlationId: 'cmd-1' });
    expect(again.events.map((e) => e.eventId)).toEqual(first.events.map((e) => e.eventId));
    expect((await stores[0]!.readStream('r1')).length).toBe(2);
    expect(await b.state('r1')).toMatchObject({ n: 2 });
  });

  it('a transaction over shards of both nodes is all or nothing', async () => {
    const [a, b] = nodes as [ClusterRuntime, ClusterRuntime];
    const pick = (owner: string) => Array.from({ length: 40 }, (_, i) => `t${i}`).find((x) => a.member.holderOf(a.member.map.shardOf(x)) === owner)!;
    const onA = pick('a');
    const onB = pick('b');
    await a.execute({ type: 'CreateCounter', id: onA });
    await a.execute({ type: 'CreateCounter', id: onB });
    // onB exists already: the whole transaction is refused and onA is untouched.
    expect(await b.transaction([{ type: 'Add', id: onA, by: 1 }, { type: 'CreateCounter', id: onB }]).catch((e: unknown) => e)).toSatisfy(isCommandRejectedError);
    expect(await a.state(onA)).toMatchObject({ n: 0 });
    expect((await stores[0]!.readStream(onA)).length).toBe(1);
    const done = await b.transaction([{ type: 'Add', id: onA, by: 5 }, { type: 'Add', id: onB, by: 1 }]);
    expect(done.map((r) => r.version)).toEqual([2, 2]);
    expect(await b.state(onA)).toMatchObject({ n: 5 });
  });

  it('a command retried at the new owner after the old one left is not appended again (derived event ids)', async () => {
    const [a, b] = nodes as [ClusterRuntime, ClusterRuntime];
    const id = Array.from({ length: 40 }, (_, i) => `f${i}`).find((x) => a.member.holderOf(a.member.map.shardOf(x)) === 'a')!;
    await b.execute({ type: 'CreateCounter', id });
    const first = await b.execute({ type: 'Add', id, by: 4 }, { correlationId: 'cmd-failover' });
    await a.close();
    nodes.shift();
    // b takes a's shards; the retry runs decide again on b, and the store recognises the command's event ids.
    const again = await b.execute({ type: 'Add', id, by: 4 }, { correlationId: 'cmd-failover' });
    expect(b.member.holderOf(b.member.map.shardOf(id))).toBe('b');
    expect(again.events.map((e) => e.eventId)).toEqual(first.events.map((e) => e.eventId));
    expect((await stores[1]!.readStream(id)).map((e) => e.version)).toEqual([1, 2]);
    expect(await b.state(id)).toMatchObject({ n: 4 });
  });
});
