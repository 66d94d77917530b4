import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ClusterMember, clusterBucket, type JoinOptions, type LeaseEndReason, type ShardLease } from '../../src/cluster/index.ts';
import { isNotOwnerError } from '../../src/errors.ts';
import { silentLogger, stderrLogger } from '../../src/runtime/logger.ts';
import { NatsCluster } from '../support/natsCluster.ts';

// A short TTL keeps the slow-path tests quick; the default (10 s) outlives a JetStream leader election.
const SHARDS = 24;
const FAST = { shards: SHARDS, leaseTtlMs: 1500 } as const;

let nats: NatsCluster;
let worldCount = 0;
const open: { member: ClusterMember; nc: NatsConnection }[] = [];

/** Events of every member of one test, and a check run on each acquisition: nobody else may be serving the shard. */
class Observer {
  readonly events: { node: string; kind: 'acquired' | LeaseEndReason; lease: ShardLease; at: number }[] = [];
  readonly violations: string[] = [];
  readonly members = new Map<string, ClusterMember>();
  /** Drains in progress per node, and the most seen at once (the hand-off cap). */
  readonly draining = new Map<string, number>();
  readonly maxDraining = new Map<string, number>();
  /** Extra checks run synchronously inside the acquiring member's hook. */
  readonly onAcquired: ((node: string, lease: ShardLease) => void)[] = [];

  hooks(node: string): NonNullable<JoinOptions['hooks']> {
    return {
      onAcquired: (lease) => {
        this.events.push({ node, kind: 'acquired', lease, at: performance.now() });
        for (const [other, member] of this.members) {
          if (other !== node && member.accepting(lease.shard)) this.violations.push(`${node} acquired shard ${lease.shard} while ${other} still serves it`);
        }
        for (const check of this.onAcquired) check(node, lease);
      },
      onReleased: (lease, reason) => this.events.push({ node, kind: reason, lease, at: performance.now() }),
      // A drain that takes a while (snapshotting and passivating a shard's actors), to make the cap visible.
      drain: async () => {
        const now = (this.draining.get(node) ?? 0) + 1;
        this.draining.set(node, now);
        this.maxDraining.set(node, Math.max(now, this.maxDraining.get(node) ?? 0));
        await new Promise((r) => setTimeout(r, 30));
        this.draining.set(node, (this.draining.get(node) ?? 1) - 1);
      },
    };
  }

  async join(world: string, node: string, options: Partial<JoinOptions> & { only?: string; first?: string } = {}): Promise<ClusterMember> {
    const { only, first, ...rest } = options;
    const nc = await nats.connect({ name: node, ...(only === undefined ? {} : { only }), ...(first === undefined ? {} : { first }) });
    const logger = process.env['CLUSTER_TEST_LOG'] ? stderrLogger : silentLogger;
    const member = await ClusterMember.join(nc, { world, node, replicas: 3, ...FAST, logger, ...rest, hooks: this.hooks(node) }).catch(async (error: unknown) => {
      await nc.close();
      throw error;
    });
    open.push({ member, nc });
    this.members.set(node, member);
    return member;
  }

  /** Records a violation if two members would both serve one shard right now. */
  checkExclusive(): void {
    const serving = new Map<number, string>();
    for (const [node, member] of this.members) {
      for (const shard of member.ownedShards()) {
        if (!member.accepting(shard)) continue;
        const other = serving.get(shard);
        if (other !== undefined) this.violations.push(`${other} and ${node} both serve shard ${shard}`);
        serving.set(shard, node);
      }
    }
  }

  /** The epoch each acquisition of `shard` got, in order. */
  epochs(shard: number): number[] {
    return this.events.filter((e) => e.kind === 'acquired' && e.lease.shard === shard).map((e) => e.lease.epoch);
  }
}

/** Polls an observable condition (no fixed sleeps); fails with `what` after `timeoutMs`. */
async function until(what: string, condition: () => boolean, timeoutMs = 15_000, invariant?: () => void): Promise<number> {
  const start = performance.now();
  while ((invariant?.(), !condition())) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - start;
}

/** Every shard held by exactly one of `members`. */
function settled(members: readonly ClusterMember[]): boolean {
  const owners = new Array<number>(SHARDS).fill(0);
  for (const m of members) for (const s of m.ownedShards()) owners[s]! += 1;
  return owners.every((n) => n === 1) && members.every((m) => m.ownedShards().every((s) => m.accepting(s)));
}

/** Whether `use` throws NotOwnerError (and nothing else). */
function refuses(use: () => unknown): boolean {
  try {
    use();
    return false;
  } catch (error) {
    if (isNotOwnerError(error)) return true;
    throw error;
  }
}

/** Every member holds exactly the shards rendezvous placement gives it (hand-offs finished). */
function placed(members: readonly ClusterMember[]): boolean {
  const placement = members[0]!.map.placement(members.map((m) => m.node));
  return settled(members) && members.every((m) => m.ownedShards().join() === placement.flatMap((owner, s) => (owner === m.node ? [s] : [])).join());
}

type ChildEvent = { event: string; shard?: number; epoch?: number; reason?: string; serving?: boolean };

/** A member in its own Node process (test/support/natsMemberChild.ts), so it can really be SIGSTOPped. */
class ChildMember {
  readonly events: ChildEvent[] = [];
  readonly #waiters: { match: (e: ChildEvent) => boolean; resolve: (e: ChildEvent) => void }[] = [];
  #output = '';
  private constructor(readonly process: ChildProcess) {}

  static async start(world: string, node: string): Promise<ChildMember> {
    const script = resolve(import.meta.dirname, '../support/natsMemberChild.ts');
    const proc = spawn(process.execPath, ['--import', 'tsx', script, nats.servers.join(','), world, node, String(FAST.leaseTtlMs), String(SHARDS)], { stdio: ['pipe', 'pipe', 'pipe'] });
    const child = new ChildMember(proc);
    let buffer = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const event = JSON.parse(buffer.slice(0, nl)) as ChildEvent;
        buffer = buffer.slice(nl + 1);
        child.events.push(event);
        for (const waiter of child.#waiters.filter((w) => w.match(event))) {
          child.#waiters.splice(child.#waiters.indexOf(waiter), 1);
          waiter.resolve(event);
        }
      }
    });
    proc.stderr?.on('data', (chunk: Buffer) => (child.#output += chunk.toString()));
    await Promise.race([
      child.next((e) => e.event === 'ready'),
      new Promise((_, fail) => proc.once('exit', (code) => fail(new Error(`member child exited with ${code}:\n${child.#output}`)))),
    ]);
    return child;
  }

  /** The next event (from now on) that matches. */
  next(match: (e: ChildEvent) => boolean): Promise<ChildEvent> {
    return new Promise((resolve) => this.#waiters.push({ match, resolve }));
  }

  async check(shard: number): Promise<ChildEvent> {
    const answer = this.next((e) => e.event === 'check' && e.shard === shard);
    this.process.stdin?.write(`check ${shard}\n`);
    return answer;
  }

  async kill(): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    const exited = new Promise((r) => this.process.once('exit', r));
    this.process.kill('SIGKILL');
    await exited;
  }
}

const nextWorld = (): string => `w${process.pid}_${++worldCount}`;

beforeAll(async () => {
  nats = await NatsCluster.start();
});

afterEach(async () => {
  for (const { member, nc } of open.splice(0)) {
    await member.leave().catch(() => undefined);
    await nc.close();
  }
});

afterAll(async () => {
  await nats?.dispose();
});

describe('shard leases on a 3-server NATS cluster', () => {
  it('splits the shards among members, never two holders at once, and a join or leave moves ~1/N with higher epochs', async () => {
    const world = nextWorld();
    const o = new Observer();
    const capped = { maxConcurrentHandoffs: 2 };
    const a = await o.join(world, 'a', capped);
    const b = await o.join(world, 'b', capped);
    const c = await o.join(world, 'c', capped);
    await until('3 members hold exactly their placement', () => placed([a, b, c]), 15_000, () => o.checkExclusive());
    // a second live process with a taken node name is refused before it touches any lease
    await expect(o.join(world, 'b')).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringMatching(/node b is already a live member/) });

    const before = new Map(Array.from({ length: SHARDS }, (_, s) => [s, [a, b, c].find((m) => m.ownedShards().includes(s))!.node]));
    const firstEvent = o.events.length;
    const d = await o.join(world, 'd', capped);
    const target = a.map.placement(['a', 'b', 'c', 'd']).flatMap((owner, s) => (owner === 'd' ? [s] : []));
    await until('d takes its shards', () => placed([a, b, c, d]), 15_000, () => o.checkExclusive());
    expect(d.ownedShards()).toEqual(target);
    // only d's shards moved, each handed off once by its previous holder, each with a higher epoch
    const handoffs = o.events.slice(firstEvent).filter((e) => e.kind === 'handoff');
    expect(handoffs.map((e) => e.lease.shard).sort((x, y) => x - y)).toEqual(target);
    for (const e of handoffs) expect(e.node).toBe(before.get(e.lease.shard));
    for (const s of target) {
      const epochs = o.epochs(s);
      expect(epochs.length).toBeGreaterThanOrEqual(2);
      expect(epochs.at(-1)!).toBeGreaterThan(epochs.at(-2)!);
    }

    await d.leave();
    await until('d’s shards return', () => placed([a, b, c]), 15_000, () => o.checkExclusive());
    expect(o.violations).toEqual([]);
    // a, alone at first, handed ~2/3 of the shards to b and c: never more than 2 drains at once
    expect(o.maxDraining.get('a')).toBe(2);
    for (const max of o.maxDraining.values()) expect(max).toBeLessThanOrEqual(2);
  });

  it('a member whose NATS server is killed (-9) loses its shards at once (no responders) and they move with higher epochs', async () => {
    const world = nextWorld();
    const o = new Observer();
    // Each member is pinned to its own server, and the victim's server does not lead the KV stream, so the
    // kill cuts off the victim only and the stream stays writable (the leader kill is the last test).
    const a = await o.join(world, 'a', { only: 'n1' });
    const leader = await nats.streamLeader(`KV_${clusterBucket(world)}`);
    const victimServer = leader === 'n2' ? 'n3' : 'n2';
    const b = await o.join(world, 'b', { only: victimServer === 'n2' ? 'n3' : 'n2' });
    const v = await o.join(world, 'v', { only: victimServer });
    // r starts on the victim's server too but may fail over: it loses its shards (its subscriptions vanish
    // with the server), and after reconnecting must not serve them before a renew confirms them.
    const r = await o.join(world, 'r', { first: victimServer });
    await until('placed with the victim', () => placed([a, b, v, r]));
    const lost = v.ownedShards();
    const epochsBefore = new Map(lost.map((s) => [s, v.lease(s).epoch]));

    const killedAt = performance.now();
    await nats.node(victimServer).kill();
    const survivors = [a, b, r];
    const failoverMs = await until('the victim’s shards are served elsewhere', () => lost.every((s) => survivors.some((m) => m.accepting(s))), 15_000, () => o.checkExclusive());
    console.info(`failover after kill -9 of the holder's NATS server: ${failoverMs.toFixed(0)} ms (${lost.length} shards)`);
    expect(survivors.reduce((n, m) => n + m.stats.deadByPing, 0)).toBeGreaterThan(0);
    // the cut-off member refuses work for every shard it had, without waiting for the lease to run out
    for (const s of lost) expect(refuses(() => v.lease(s))).toBe(true);
    for (const s of lost) {
      const now = survivors.find((m) => m.accepting(s))!.lease(s).epoch;
      expect(now).toBeGreaterThan(epochsBefore.get(s)!);
    }
    expect(performance.now() - killedAt).toBeLessThan(FAST.leaseTtlMs); // the fast path, not expiry
    await until('the survivors settle (r back on another server)', () => placed([a, b, r]), 15_000, () => o.checkExclusive());

    await nats.restart(victimServer);
    await until('the victim is back and owns its placement again', () => placed([a, b, v, r]), 20_000, () => o.checkExclusive());
    expect(o.violations).toEqual([]);
  });

  it('a paused member (renewals stopped) stops serving before its lease expires, and another takes over with a higher epoch', async () => {
    const world = nextWorld();
    const o = new Observer();
    const a = await o.join(world, 'a');
    const p = await o.join(world, 'p');
    await until('placed', () => placed([a, p]));
    const shard = p.ownedShards()[0]!;
    const oldEpoch = p.lease(shard).epoch;

    // When a acquires the shard, p must already refuse to use it (checked inside a's hook, at that instant).
    let pServedAtTakeover: boolean | undefined;
    const acquiredByA = new Promise<ShardLease>((resolve) => {
      o.onAcquired.push((node, lease) => {
        if (node !== 'a' || lease.shard !== shard) return;
        pServedAtTakeover = refuses(() => p.lease(shard)) ? false : true;
        resolve(lease);
      });
    });
    p.suspend();
    const lease = await acquiredByA;
    expect(pServedAtTakeover).toBe(false);
    expect(lease.epoch).toBeGreaterThan(oldEpoch);
    expect(p.stats.expired).toBeGreaterThan(0);
    expect(o.violations).toEqual([]);
  });

  it('survives kill -9 of the NATS server leading the KV stream: leases settle again, one holder per shard, KV writable', async () => {
    const world = nextWorld();
    const o = new Observer();
    // Default TTL (10 s): longer than the election, so the kill should not even cost the leases.
    const opts = { leaseTtlMs: 10_000 };
    const a = await o.join(world, 'a', opts);
    const b = await o.join(world, 'b', opts);
    const c = await o.join(world, 'c', opts);
    await until('placed', () => placed([a, b, c]));
    const leader = await nats.streamLeader(`KV_${clusterBucket(world)}`);
    const acquiredBefore = a.stats.acquired + b.stats.acquired + c.stats.acquired;

    const killedAt = performance.now();
    await nats.node(leader).kill();
    // A write that needs the stream: a new member joining (its announce and acquisitions go through KV).
    const d = await o.join(world, 'd', opts);
    const recoveryMs = await until('d joined and everything placed after the leader kill', () => placed([a, b, c, d]), 40_000, () => o.checkExclusive());
    const newLeader = await nats.streamLeader(`KV_${clusterBucket(world)}`);
    expect(newLeader).not.toBe(leader);
    const lostLeases = a.stats.expired + b.stats.expired + c.stats.expired + a.stats.taken + b.stats.taken + c.stats.taken;
    console.info(
      `KV leader ${leader} killed: new leader ${newLeader}; settled with a new member after ${recoveryMs.toFixed(0)} ms ` +
        `(${(performance.now() - killedAt).toFixed(0)} ms since the kill); leases lost ${lostLeases}; re-acquisitions ${a.stats.acquired + b.stats.acquired + c.stats.acquired - acquiredBefore}; watch restarts ${[a, b, c].map((m) => m.stats.watchRestarts).join('/')}`,
    );
    // Every view follows the stream again: all members see d (through the watch or the watchdog's re-list).
    await until('every member sees d', () => [a, b, c].every((m) => m.members().includes('d')));
    await nats.restart(leader);
    expect(o.violations).toEqual([]);
  });

  it('a really paused process (SIGSTOP longer than its lease) loses the shard by expiry and does not serve after SIGCONT', async () => {
    const world = nextWorld();
    const o = new Observer();
    const a = await o.join(world, 'a');
    const p = await ChildMember.start(world, 'p');
    try {
      const mine = a.map.placement(['a', 'p']).flatMap((owner, s) => (owner === 'p' ? [s] : []));
      const others = a.map.placement(['a', 'p']).flatMap((owner, s) => (owner === 'a' ? [s] : []));
      await until('both hold their placement', () => mine.every((s) => a.holderOf(s) === 'p') && a.ownedShards().join() === others.join());
      const shard = mine[0]!;
      const before = await p.check(shard);
      expect(before).toMatchObject({ serving: true });

      const taken = new Promise<ShardLease>((resolve) => o.onAcquired.push((node, lease) => node === 'a' && lease.shard === shard && resolve(lease)));
      const stoppedAt = performance.now();
      p.process.kill('SIGSTOP');
      const lease = await taken;
      const takeoverMs = performance.now() - stoppedAt;
      expect(lease.epoch).toBeGreaterThan(before.epoch!);
      // pings time out (the process is stopped, its connection is not gone): only expiry could move it
      expect(a.stats.deadByPing).toBe(0);
      expect(takeoverMs).toBeGreaterThan(FAST.leaseTtlMs * 0.5);

      p.process.kill('SIGCONT');
      const after = await p.check(shard);
      expect(after).toMatchObject({ serving: false });
      console.info(`SIGSTOP: shard taken over by expiry after ${takeoverMs.toFixed(0)} ms; after SIGCONT the paused process refused it (${JSON.stringify(p.events.filter((e) => e.shard === shard && e.event === 'released'))})`);
    } finally {
      await p.kill();
    }
    expect(o.violations).toEqual([]);
  });
});
