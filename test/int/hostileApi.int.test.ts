import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import { isRuntimeError, isValidationError } from '../../src/errors.ts';
import { checkPointInTime } from '../../src/runtime/arguments.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
const open: Runtime[] = [];
afterEach(async () => {
  for (const runtime of open.splice(0)) await runtime.close();
  temp.cleanup();
});

function runtimeOn(path = temp.file()): Runtime {
  const runtime = createRuntime({ store: { kind: 'sqlite', path, durability: 'normal' }, logger: silentLogger });
  open.push(runtime);
  return runtime;
}

/** What the call settled with: the error if it threw (synchronously or not), else 'ok'. */
async function outcome(call: () => unknown): Promise<unknown> {
  try {
    await call();
    return 'ok';
  } catch (error) {
    return error;
  }
}

/** A test message for any value, even a Proxy whose every trap throws. */
function label(value: unknown): string {
  try {
    return value instanceof Error ? `${value.name}: ${value.message}` : typeof value === 'object' && value !== null ? `object ${Object.keys(value).join(',')}` : String(value);
  } catch {
    return 'an unreadable object';
  }
}

const throwingType = Object.defineProperty({ id: 'x' }, 'type', { enumerable: true, get: () => { throw new Error('boom'); } });
const trap = new Proxy({}, { ownKeys: () => { throw new Error('trap'); }, get: () => { throw new Error('trap'); }, getOwnPropertyDescriptor: () => { throw new Error('trap'); } });
const badIds: unknown[] = [Object.create(null), Symbol('id'), 1n, 42, null, undefined, [], {}, '', 'x'.repeat(129), 'lone\ud800', '\udc00tail', ' padded', trap, throwingType];

describe('hostile arguments at every public entry', () => {
  it.each(badIds.map((id, i) => [i, id] as const))('bad id #%i is a ValidationError everywhere, and nothing is stuck', async (_i, id) => {
    const runtime = runtimeOn();
    const calls: (() => unknown)[] = [
      () => runtime.state(id as string),
      () => runtime.history(id as string),
      () => runtime.stateAt(id as string, { version: 1 }),
      () => runtime.ref(id as string).send({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' }),
      () => runtime.execute({ type: 'CreateRoom', id: id as string, name: 'Hall', description: '' }),
      () => runtime.transaction([{ type: 'CreateRoom', id: id as string, name: 'Hall', description: '' }]),
    ];
    for (const call of calls) {
      const error = await outcome(call);
      expect(isValidationError(error), label(error)).toBe(true);
    }
    expect((await runtime.stats()).eventCount).toBe(0);
    // The mailboxes still serve, and close() does not hang.
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    expect((await runtime.state('hall'))?.name).toBe('Hall');
    await runtime.close();
  });

  it('refuses commands that are not plain data: getters, symbols, bigints, Proxies, class instances, non-arrays', async () => {
    const runtime = runtimeOn();
    const room = { type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' };
    const bad: unknown[] = [
      throwingType,
      trap,
      Object.create(null),
      'CreateRoom',
      Symbol('c'),
      1n,
      { ...room, description: 1n },
      { ...room, [Symbol('s')]: 1 },
      { type: 'UpdateGameObjectAttribute', id: 'hall', key: 'k', value: new Map() },
      { type: 'UpdateGameObjectAttribute', id: 'hall', key: 'k', value: 'lone\ud800' },
      { type: 'UpdateGameObjectAttribute', id: 'hall', key: 'k', value: Number.NaN },
      Object.defineProperty({ ...room }, 'name', { enumerable: true, get: () => 'Hall' }),
    ];
    for (const command of bad) {
      expect(isValidationError(await outcome(() => runtime.execute(command as never))), label(command)).toBe(true);
      expect(isValidationError(await outcome(() => runtime.transaction([command as never])))).toBe(true);
    }
    for (const commands of [room, 'x', Object.create(null), 7, trap, []]) {
      expect(isValidationError(await outcome(() => runtime.transaction(commands as never)))).toBe(true);
    }
    for (const metadata of [trap, 'x', 1n, { correlationId: 1n }, throwingType]) {
      expect(isValidationError(await outcome(() => runtime.execute(room as never, metadata as never)))).toBe(true);
    }
    expect((await runtime.stats()).eventCount).toBe(0);
  });

  it('checks stateAt points: integer versions, valid dates', async () => {
    const runtime = runtimeOn();
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    for (const at of [{ version: 1.5 }, { version: -1 }, { version: '1' }, { version: 1n }, { time: 'not a date' }, { time: new Date(Number.NaN) }, { time: 5 }, {}, { version: 1, time: new Date() }, null, 'x', trap, Object.create(null)]) {
      expect(isValidationError(await outcome(() => runtime.stateAt('hall', at as never))), label(at)).toBe(true);
    }
    expect((await runtime.stateAt('hall', { version: 1 }))?.name).toBe('Hall');
    expect((await runtime.stateAt('hall', { time: new Date(Date.now() + 1000) }))?.name).toBe('Hall');
    // The same check for world cuts, which count positions.
    expect(checkPointInTime({ position: 3 }, 'position')).toEqual({ position: 3 });
    for (const at of [{ position: 1.5 }, { version: 3 }, { position: 3, time: new Date() }]) expect(isValidationError(await outcome(() => checkPointInTime(at, 'position')))).toBe(true);
  });

  it('never stores an id other than the one given (a lone surrogate is refused, not replaced)', async () => {
    const runtime = runtimeOn();
    const error = await outcome(() => runtime.execute({ type: 'CreateRoom', id: 'lone\ud800', name: 'Hall', description: '' }));
    expect(isValidationError(error)).toBe(true);
    expect(await runtime.history('lone\ufffd')).toEqual([]);
  });

  it('fuzz: any value at any entry is answered with a typed error or a result, never a TypeError, hang or crash', async () => {
    const runtime = runtimeOn();
    const anything = fc.anything({ withBigInt: true, withNullPrototype: true, withMap: true, withSet: true, withBoxedValues: true, withSparseArray: true, withTypedArray: true, withDate: true, withUnicodeString: true, maxDepth: 4 });
    const entries: ((a: unknown, b: unknown) => unknown)[] = [
      (a, b) => runtime.execute(a as never, b as never),
      (a, b) => runtime.ref(a as never).send(b as never),
      (a, b) => runtime.transaction(a as never, b as never),
      (a) => runtime.state(a as never),
      (a) => runtime.history(a as never),
      (a, b) => runtime.stateAt(a as never, b as never),
    ];
    await fc.assert(
      fc.asyncProperty(fc.nat(entries.length - 1), anything, anything, async (entry, a, b) => {
        const result = await outcome(() => (entries[entry] as (a: unknown, b: unknown) => unknown)(a, b));
        expect(result === 'ok' || isRuntimeError(result), label(result)).toBe(true);
      }),
      { numRuns: 300 },
    );
    await runtime.execute({ type: 'CreateRoom', id: 'after-fuzz', name: 'Still here', description: '' });
    expect((await runtime.state('after-fuzz'))?.name).toBe('Still here');
  });
});
