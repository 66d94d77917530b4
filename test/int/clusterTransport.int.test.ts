import type { ChildProcess } from 'node:child_process';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Transport } from '../../src/cluster/transport.ts';
import {
  CommandRejectedError,
  ConcurrencyError,
  NotFoundError,
  RemoteError,
  isCommandRejectedError,
  isNoRespondersError,
  isRequestTimeoutError,
  isValidationError,
  type RuntimeError,
} from '../../src/errors.ts';
import { NatsCluster } from '../support/natsCluster.ts';
import { spawnReady } from '../support/clusterHarness.ts';
import { badReply, count, echo, fail, onShard } from '../support/natsTransportMethods.ts';

const WORLD = 'transport';
let nats: NatsCluster;
let nc: NatsConnection;
let local: Transport;
let child: ChildProcess;

async function rejection(promise: Promise<unknown>): Promise<RuntimeError> {
  try {
    await promise;
  } catch (error) {
    return error as RuntimeError;
  }
  throw new Error('expected a rejection');
}

/** A target resolver that names `nodes` in turn (then the last one again), recording what it was asked. */
function resolver(nodes: readonly string[]): { resolve: () => string; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    resolve: () => {
      const next = nodes[asked.length] ?? nodes.at(-1)!;
      asked.push(next);
      return next;
    },
  };
}

/** Starts the serving node in its own Node process and waits for its "ready" line. */
const startChild = (node: string): Promise<ChildProcess> => spawnReady('natsTransportChild', [nats.servers.join(','), WORLD, node]);

beforeAll(async () => {
  nats = await NatsCluster.start();
  nc = await nats.connect({ name: 'caller' });
  local = new Transport(nc, { world: WORLD, node: 'caller', timeoutMs: 2000 });
  local.serve(echo, async ({ text }) => ({ text, from: 'caller' }));
  local.serve(onShard, async () => ({ servedBy: 'caller' }));
  child = await startChild('remote');
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await local?.close();
  await nc?.close();
  await nats?.dispose();
});

describe('transport: request/reply between two Node processes over a 3-server NATS cluster', () => {
  it('round-trips through the zod codec, and measures latency', async () => {
    await expect(local.request('remote', echo, { text: 'hello' })).resolves.toEqual({ text: 'hello', from: 'remote' });
    const samples: number[] = [];
    const text = 'x'.repeat(1024);
    for (let i = 0; i < 500; i += 1) {
      const start = performance.now();
      await local.request('remote', echo, { text });
      samples.push(performance.now() - start);
    }
    samples.sort((a, b) => a - b);
    const start = performance.now();
    await Promise.all(Array.from({ length: 2000 }, () => local.request('remote', echo, { text })));
    const perSecond = 2000 / ((performance.now() - start) / 1000);
    console.info(`1 KB request/reply across processes: p50 ${samples[250]!.toFixed(2)} ms, p99 ${samples[495]!.toFixed(2)} ms; 2000 concurrent: ${perSecond.toFixed(0)}/s`);
    expect(samples).toHaveLength(500);
  });

  it('calls a local handler directly, or through the wire and the codec when forced', async () => {
    await expect(local.request('caller', echo, { text: 'me' })).resolves.toEqual({ text: 'me', from: 'caller' });
    const forced = new Transport(nc, { world: WORLD, node: 'forced', forceCodec: true });
    try {
      forced.serve(echo, async ({ text }) => ({ text, from: 'forced' }));
      await expect(forced.request('forced', echo, { text: 'wire' })).resolves.toEqual({ text: 'wire', from: 'forced' });
      // the codec rejects what the schema does not allow, on the serving side, as a typed ValidationError
      const error = await rejection(forced.request('forced', echo, { text: 42 as unknown as string }));
      expect(isValidationError(error)).toBe(true);
      expect(error.message).toMatch(/text/);
    } finally {
      await forced.close();
    }
  });

  it('rebuilds typed errors from the remote node by code, with their data', async () => {
    const rejected = await rejection(local.request('remote', fail, { kind: 'rejected' }));
    expect(rejected).toBeInstanceOf(CommandRejectedError);
    expect(isCommandRejectedError(rejected)).toBe(true);
    expect(rejected).toMatchObject({ code: 'REJECTED', reason: 'ALREADY_EXISTS', aggregateId: 'room:hall', commandType: 'CreateRoom', message: 'room:hall already exists' });
    expect(rejected.stack).toContain('at node remote');

    expect(await rejection(local.request('remote', fail, { kind: 'notFound' }))).toBeInstanceOf(NotFoundError);
    const conflict = await rejection(local.request('remote', fail, { kind: 'concurrency' }));
    expect(conflict).toBeInstanceOf(ConcurrencyError);
    expect(conflict).toMatchObject({ streamId: 'room:hall', expected: '3', actual: 4 });

    const plain = await rejection(local.request('remote', fail, { kind: 'plain' }));
    expect(plain).toBeInstanceOf(RemoteError);
    expect(plain).toMatchObject({ code: 'REMOTE', node: 'remote' });
    expect(plain.message).toContain('disk on fire');

    // a request that fails the remote schema, and a reply that fails ours, are typed validation errors
    const badRequest = await rejection(local.request('remote', count, { key: 7 } as unknown as { key: string; delayMs: number }));
    expect(isValidationError(badRequest)).toBe(true);
    const error = await rejection(local.request('remote', badReply, {}));
    expect(isValidationError(error)).toBe(true);
    expect(error.message).toMatch(/reply of badReply from node remote/);
  });

  it('makes retries idempotent by request id: a repeated id gets the first outcome, the handler runs once', async () => {
    await expect(local.request('remote', count, { key: 'k1', delayMs: 0 }, { id: 'req-1' })).resolves.toEqual({ calls: 1 });
    await expect(local.request('remote', count, { key: 'k1', delayMs: 0 }, { id: 'req-1' })).resolves.toEqual({ calls: 1 });
    await expect(local.request('remote', count, { key: 'k1', delayMs: 0 }, { id: 'req-2' })).resolves.toEqual({ calls: 2 });

    // The first attempt times out while the handler still runs; the retry with the same id joins it.
    const timedOut = await rejection(local.request('remote', count, { key: 'slow', delayMs: 400 }, { id: 'req-3', timeoutMs: 100 }));
    expect(isRequestTimeoutError(timedOut)).toBe(true);
    expect(timedOut).toMatchObject({ code: 'TIMEOUT', timeoutMs: 100 });
    await expect(local.call(() => 'remote', count, { key: 'slow', delayMs: 400 }, { id: 'req-3', timeoutMs: 2000 })).resolves.toEqual({ calls: 1 });
  });

  it('retries NOT_OWNER on the node the resolver names next (the shard moved), and gives up with NOT_OWNER', async () => {
    const { resolve: owner, asked } = resolver(['remote', 'caller']);
    const reply = await local.call(owner, onShard, { shard: 3 }, { backoffMs: 1 });
    expect(reply).toEqual({ servedBy: 'caller' });
    expect(asked).toEqual(['remote', 'caller']);

    const stale = await rejection(local.call(() => 'remote', onShard, { shard: 3 }, { attempts: 2, backoffMs: 1 }));
    expect(stale).toMatchObject({ code: 'NOT_OWNER', shard: 3, node: 'remote' });
  });

  it('reports a node nobody serves as NO_RESPONDERS at once, and call() moves on to the next target', async () => {
    const started = performance.now();
    const error = await rejection(local.request('ghost', echo, { text: 'hi' }, { timeoutMs: 5000 }));
    expect(isNoRespondersError(error)).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000); // an answer, not a timeout

    const { resolve: target, asked } = resolver(['ghost', 'remote']);
    const reply = await local.call(target, echo, { text: 'again' }, { backoffMs: 1 });
    expect(reply).toEqual({ text: 'again', from: 'remote' });
    expect(asked).toEqual(['ghost', 'remote']);

    // a node that dies (kill -9) answers NO_RESPONDERS from then on, and call() gives up after its attempts
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const gone = await rejection(local.call(() => 'remote', echo, { text: 'anyone?' }, { attempts: 3, backoffMs: 1 }));
    expect(isNoRespondersError(gone)).toBe(true);
  });
});
