import Database from 'better-sqlite3';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AggregateState } from '../../src/world/state.ts';
import { createRuntime, silentLogger, type Logger, type Runtime } from '../../src/index.ts';
import { ShadowReplay, type Schedule } from '../../src/runtime/shadowReplay.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
const open: Runtime[] = [];
afterEach(async () => {
  for (const runtime of open.splice(0)) await runtime.close();
  temp.cleanup();
});

/** A schedule the test fires by hand: no timers, no sleeps. */
function manualSchedule() {
  let pending: (() => void) | undefined;
  const schedule: Schedule = (run) => {
    pending = run;
    return () => (pending = undefined);
  };
  return { schedule, fire: () => pending?.(), get armed() { return pending !== undefined; } };
}

function recordingLogger() {
  const errors: { message: string; fields?: Record<string, unknown> }[] = [];
  const logger: Logger = { ...silentLogger, error: (message, fields) => errors.push({ message, ...(fields && { fields }) }) };
  return { logger, errors };
}

const divergenceCount = async (registry: Registry) => /aethyr_shadow_divergence_total (\d+)/.exec(await registry.metrics())?.[1];

describe('shadow replay', () => {
  it('finds a sabotaged live state: logged with the aggregate id, counted in the metric, listed in status', async () => {
    const runtime = createRuntime({ store: { kind: 'sqlite', path: temp.file(), durability: 'normal' }, logger: silentLogger, shadowReplay: false });
    open.push(runtime);
    await runtime.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: 'Dust.' });
    await runtime.execute({ type: 'CreateRoom', id: 'yard', name: 'Yard', description: 'Sky.' });
    const states = new Map<string, AggregateState>();
    for (const id of ['hall', 'yard']) states.set(id, (await runtime.state(id)) as AggregateState);
    const registry = new Registry();
    const { logger, errors } = recordingLogger();
    const sampler = new ShadowReplay({ store: runtime.store, live: { liveIds: () => states.keys(), peek: (id) => states.get(id) }, clock: { now: () => 0 }, logger, registry, aggregates: runtime.aggregates }, { batch: 10 });
    await sampler.runOnce();
    expect(sampler.status()).toMatchObject({ checked: 2, divergences: 0 });
    expect(await divergenceCount(registry)).toBe('0');
    // Sabotage the live state of one aggregate.
    states.set('hall', { ...(states.get('hall') as AggregateState), name: 'Forged' } as AggregateState);
    await sampler.runOnce();
    expect(sampler.status()).toMatchObject({ checked: 4, divergences: 1, recent: [{ aggregateId: 'hall' }] });
    expect(await divergenceCount(registry)).toBe('1');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.fields).toMatchObject({ aggregateId: 'hall' });
    expect(errors[0]?.fields?.live).toContain('Forged');
  });

  it('runs inside the runtime on its schedule, a few aggregates a round, and sees the store and live state disagree', async () => {
    const path = temp.file();
    const timer = manualSchedule();
    const { logger, errors } = recordingLogger();
    const runtime = createRuntime({ store: { kind: 'sqlite', path, durability: 'normal' }, logger, shadowReplay: { batch: 2, intervalMs: 1000, schedule: timer.schedule } });
    open.push(runtime);
    for (const id of ['a', 'b', 'c']) await runtime.execute({ type: 'CreateRoom', id, name: id, description: 'plain' });
    expect(timer.armed).toBe(true);
    timer.fire();
    await vi.waitFor(() => expect(runtime.shadowReplay()?.checked).toBe(2), { interval: 5 });
    expect(runtime.shadowReplay()?.divergences).toBe(0);
    // Edit c's event under the running world: the live actor still holds the old description.
    const raw = new Database(path);
    raw.prepare(`UPDATE events SET data = json_set(data, '$.description', 'edited') WHERE stream_id = 'c' AND version = 2`).run();
    raw.close();
    await vi.waitFor(() => expect(timer.armed).toBe(true), { interval: 5 });
    timer.fire(); // c was not checked yet: it goes first
    await vi.waitFor(() => expect(runtime.shadowReplay()).toMatchObject({ checked: 4, errors: 0 }), { interval: 5 });
    expect(runtime.shadowReplay()).toMatchObject({ divergences: 1, recent: [{ aggregateId: 'c' }] });
    expect(await divergenceCount(runtime.metrics)).toBe('1');
    expect(errors.some((e) => e.fields?.aggregateId === 'c' && /SHADOW REPLAY DIVERGENCE/.test(e.message))).toBe(true);
  });
});
