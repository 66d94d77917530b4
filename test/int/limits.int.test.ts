import { spawn } from 'node:child_process';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import { isConfigError, isValidationError } from '../../src/errors.ts';
import { DEFAULT_LIMITS, LIMIT_CEILINGS, resolveLimits, type Limits } from '../../src/runtime/limits.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
const open: Runtime[] = [];
afterEach(async () => {
  for (const runtime of open.splice(0)) await runtime.close();
  temp.cleanup();
});

function runtimeOn(path: string, limits?: Partial<Limits>): Runtime {
  const runtime = createRuntime({ store: { kind: 'sqlite', path, durability: 'normal' }, logger: silentLogger, snapshotThreshold: 3, ...(limits && { limits }) });
  open.push(runtime);
  return runtime;
}

/** A value nested `depth` levels (alternating arrays and objects) around a leaf string. */
function nested(depth: number, leaf: string): unknown {
  let value: unknown = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

/** Loads the aggregates in a fresh process over the same file, as a restart would. */
function reloadInChild(path: string, ids: readonly string[]): Promise<{ ok: boolean; states?: Record<string, { attributes: Record<string, unknown> }>; error?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/reloadChild.ts', path, ...ids], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`reload child exited ${code}: ${out}`))));
  });
}

async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return await call();
  } catch (error) {
    return error;
  }
}

// A command {type, id, key, value} is depth 1; a value nested d levels inside it reaches depth 1 + d.
const valueDepthLimit = (limits: Limits) => limits.maxJsonDepth - 1;

describe('limits on what is stored', () => {
  it('property: values at and just past the depth and size limits are stored and reload equal in a fresh process, or refused with nothing stored', async () => {
    const path = temp.file();
    const limits: Limits = { maxJsonDepth: DEFAULT_LIMITS.maxJsonDepth, maxEventBytes: 8 * 1024, maxCommandBytes: 16 * 1024 };
    const runtime = runtimeOn(path, limits);
    await runtime.execute({ type: 'CreateGameObject', id: 'box', name: 'box', generic: 'thing' });
    const accepted = new Map<string, unknown>();
    let refusedCount = 0;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: valueDepthLimit(limits) - 2, max: valueDepthLimit(limits) + 2 }),
        fc.integer({ min: limits.maxEventBytes - 600, max: limits.maxEventBytes + 50 }),
        async (depth, size) => {
          const key = `k${n++}`;
          const value = nested(depth, 'x'.repeat(Math.max(0, size - 300 - depth * 8)));
          const before = (await runtime.history('box')).length;
          const result = await outcome(() => runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'box', key, value: value as never }));
          if (isValidationError(result)) {
            refusedCount++;
            expect((await runtime.history('box')).length).toBe(before);
            return;
          }
          expect(result).toHaveProperty('version');
          accepted.set(key, value);
        },
      ),
      { numRuns: 60 },
    );
    // Both sides of each limit were exercised.
    expect(accepted.size).toBeGreaterThan(0);
    expect(refusedCount).toBeGreaterThan(0);
    // Depth one past the limit is refused, at the limit accepted.
    expect(isValidationError(await outcome(() => runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'box', key: 'deep', value: nested(valueDepthLimit(limits) + 1, 'x') as never })))).toBe(true);
    await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'box', key: 'edge', value: nested(valueDepthLimit(limits), 'x') as never });
    accepted.set('edge', nested(valueDepthLimit(limits), 'x'));
    await runtime.close();
    const reloaded = await reloadInChild(path, ['box']);
    expect(reloaded.error).toBeUndefined();
    expect(reloaded.states?.box?.attributes).toEqual(Object.fromEntries(accepted));
  }, 120_000);

  it('at the configurable ceiling (depth 256) what is accepted still reloads in a fresh process', async () => {
    const path = temp.file();
    const limits = { maxJsonDepth: LIMIT_CEILINGS.maxJsonDepth };
    const runtime = runtimeOn(path, limits);
    await runtime.execute({ type: 'CreateGameObject', id: 'box', name: 'box', generic: 'thing' });
    const value = nested(LIMIT_CEILINGS.maxJsonDepth - 1, 'leaf');
    for (let i = 0; i < 4; i++) await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'box', key: `v${i}`, value: value as never }); // past a snapshot
    await runtime.close();
    const reloaded = await reloadInChild(path, ['box']);
    expect(reloaded.error).toBeUndefined();
    expect(reloaded.states?.box?.attributes.v3).toEqual(value);
  }, 60_000);

  it('refuses what broke worlds before (depth 2,000; 20,000; a 5 MB value) with ValidationError, not RangeError or STORE_UNAVAILABLE', async () => {
    const runtime = runtimeOn(temp.file());
    await runtime.execute({ type: 'CreateGameObject', id: 'box', name: 'box', generic: 'thing' });
    for (const value of [nested(2000, 'x'), nested(20_000, 'x'), 'x'.repeat(5 * 1024 * 1024)]) {
      const error = await outcome(() => runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'box', key: 'k', value: value as never }));
      expect(isValidationError(error), String(error)).toBe(true);
      const batch = await outcome(() => runtime.transaction([{ type: 'UpdateGameObjectAttributes', id: 'box', attributes: { k: value as never } }]));
      expect(isValidationError(batch), String(batch)).toBe(true);
    }
    // Many attributes each under the event limit, together over the per-command limit.
    const wide = Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`a${i}`, 'y'.repeat(600 * 1024)]));
    expect(isValidationError(await outcome(() => runtime.execute({ type: 'UpdateGameObjectAttributes', id: 'box', attributes: wide as never })))).toBe(true);
    expect(await runtime.history('box')).toHaveLength(1);
    expect((await runtime.state('box'))?.attributes).toEqual({});
  });

  it('a transaction together past the per-command limit is refused whole, nothing stored', async () => {
    const runtime = runtimeOn(temp.file(), { maxEventBytes: 4096, maxCommandBytes: 8192 });
    await runtime.execute({ type: 'CreateGameObject', id: 'a', name: 'a', generic: 'thing' });
    await runtime.execute({ type: 'CreateGameObject', id: 'b', name: 'b', generic: 'thing' });
    const big = 'z'.repeat(3000);
    const error = await outcome(() =>
      runtime.transaction([
        { type: 'UpdateGameObjectAttribute', id: 'a', key: 'k', value: big },
        { type: 'UpdateGameObjectAttribute', id: 'b', key: 'k', value: big },
        { type: 'UpdateGameObjectAttribute', id: 'a', key: 'j', value: big },
      ]),
    );
    expect(isValidationError(error), String(error)).toBe(true);
    expect((await runtime.stats()).eventCount).toBe(2);
  });

  it('limits are validated configuration', () => {
    expect(resolveLimits()).toEqual(DEFAULT_LIMITS);
    for (const bad of [{ maxJsonDepth: 0 }, { maxJsonDepth: 10_000 }, { maxEventBytes: 1.5 }, { maxEventBytes: 2048, maxCommandBytes: 1024 }]) {
      let error: unknown;
      try {
        resolveLimits(bad);
      } catch (e) {
        error = e;
      }
      expect(isConfigError(error)).toBe(true);
    }
  });
});
