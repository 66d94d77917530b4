import { afterEach, describe, expect, it } from 'vitest';
import { createRuntime, silentLogger } from '../../src/index.ts';
import type { Runtime } from '../../src/runtime/runtime.ts';
import { SimulatedClock } from '../../src/testing/index.ts';
import type { MobileState } from '../../src/world/mobile.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
const open: Runtime[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
  temp.cleanup();
});

/** A runtime hosting the built-in world (mobiles included) on a SQLite file, with a simulated clock. */
async function start(path: string, clock: SimulatedClock): Promise<Runtime> {
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger, clock } as never) as Runtime;
  open.push(runtime);
  await runtime.timers.ready;
  return runtime;
}
async function stop(runtime: Runtime): Promise<void> {
  open.splice(open.indexOf(runtime), 1);
  await runtime.close();
}

async function roomOf(runtime: Runtime, id: string): Promise<string | undefined> {
  return ((await runtime.state(id)) as unknown as MobileState | undefined)?.roomId;
}
/** How many events of a type a stream holds. */
async function count(runtime: Runtime, streamId: string, type: string): Promise<number> {
  return (await runtime.history(streamId)).filter((e) => (e.type as string) === type).length;
}

const guard: Record<string, unknown> & { type: string; id: string } = { type: 'CreateMobile', id: 'guard', name: 'a guard', roomId: 'gate', stats: { hp: 10, attack: 2 }, route: ['gate', 'yard', 'keep'], wanderEveryMs: 10_000 };

describe('durable timers', () => {
  it('fire at the simulated time and not before, and each firing schedules the next', async () => {
    const clock = new SimulatedClock();
    const runtime = await start(temp.file(), clock);
    await runtime.execute(guard);
    expect(runtime.timers.pending()).toMatchObject([{ streamId: '$timer:Wander:guard', at: clock.now() + 10_000, command: { type: 'Wander', id: 'guard' } }]);

    clock.advance(9_999);
    expect(await runtime.timers.fireDue()).toBe(0);
    expect(await roomOf(runtime, 'guard')).toBe('gate');

    clock.advance(1);
    await runtime.timers.fireDue();
    expect(await roomOf(runtime, 'guard')).toBe('yard');
    clock.advance(10_000);
    await runtime.timers.fireDue();
    expect(await roomOf(runtime, 'guard')).toBe('keep');

    // The schedule is events: the timer's stream and the mobile's history say what happened and why.
    const timer = await runtime.history('$timer:Wander:guard');
    expect(timer.map((e) => e.type)).toEqual(['TimerScheduled', 'TimerFired', 'TimerScheduled', 'TimerFired', 'TimerScheduled']);
    const wandered = (await runtime.history('guard')).filter((e) => (e.type as string) === 'MobileWandered');
    expect(wandered.map((e) => e.metadata.causationId)).toEqual(['$timer:Wander:guard@1', '$timer:Wander:guard@3']);
    expect(await runtime.stateAt('$timer:Wander:guard', { version: 2 })).toMatchObject({ fired: 1, command: null });
    expect(await runtime.store.streamHead('$timer:Wander:guard')).toMatchObject({ kind: 'timer' }); // the kind is kept with the stream
    expect(await runtime.store.streamHead('guard')).toMatchObject({ kind: 'mobile' });
  });

  it('a timer due while the server was down fires once on start', async () => {
    const path = temp.file();
    const clock = new SimulatedClock();
    const first = await start(path, clock);
    await first.execute(guard);
    await stop(first);

    clock.advance(25_000); // two periods pass while no runtime is up
    const second = await start(path, clock);
    await second.timers.fireDue();
    // Fired once (not once per missed period): one move, and the next wander is 10 s from now.
    expect(await roomOf(second, 'guard')).toBe('yard');
    expect(second.timers.pending()).toMatchObject([{ at: clock.now() + 10_000 }]);
    await stop(second);

    const third = await start(path, clock);
    expect(await third.timers.fireDue()).toBe(0);
    expect(await count(third, 'guard', 'MobileWandered')).toBe(1);
  });

  it('wakes by itself through the clock, with no one calling fireDue', async () => {
    const clock = new SimulatedClock();
    const runtime = await start(temp.file(), clock);
    await runtime.execute(guard);
    const moved = new Promise<void>((resolve) => {
      const unsubscribe = runtime.store.onAppend(() => {
        unsubscribe();
        resolve();
      });
    });
    clock.advance(10_000);
    await moved;
    await runtime.timers.fireDue(); // waits for the pass the clock started
    expect(await roomOf(runtime, 'guard')).toBe('yard');
  });

  it('can be cancelled: a cancelled timer never fires, after a restart either', async () => {
    const path = temp.file();
    const clock = new SimulatedClock();
    const runtime = await start(path, clock);
    await runtime.execute(guard);
    await runtime.execute({ type: 'StopWandering', id: 'guard' });
    expect(runtime.timers.pending()).toEqual([]);
    clock.advance(60_000);
    expect(await runtime.timers.fireDue()).toBe(0);
    await stop(runtime);

    const again = await start(path, clock);
    expect(again.timers.pending()).toEqual([]);
    expect(await again.timers.fireDue()).toBe(0);
    expect(await again.state('guard')).toMatchObject({ roomId: 'gate', mode: 'idle' });
    expect((await again.history('$timer:Wander:guard')).map((e) => e.type)).toEqual(['TimerScheduled', 'TimerCancelled']);
  });

  it('a fight cancels the wandering timer, calming down schedules it again, death cancels it', async () => {
    const clock = new SimulatedClock();
    const runtime = await start(temp.file(), clock);
    await runtime.execute(guard);
    await runtime.execute({ type: 'Attack', id: 'guard', attackerId: 'hero', damage: 3 });
    expect(runtime.timers.pending()).toEqual([]);
    await runtime.execute({ type: 'Calm', id: 'guard' });
    expect(runtime.timers.pending()).toMatchObject([{ command: { type: 'Wander' } }]);
    await runtime.execute({ type: 'Attack', id: 'guard', attackerId: 'hero', damage: 100 });
    expect(await runtime.state('guard')).toMatchObject({ mode: 'dead', foe: 'hero' });
    expect(runtime.timers.pending()).toEqual([]);
  });

  it('fires a schedule exactly once when two runtimes share one SQLite file', async () => {
    const path = temp.file();
    const clock = new SimulatedClock();
    const a = await start(path, clock);
    await a.execute(guard);
    await a.execute({ ...guard, id: 'rat', name: 'a rat', wanderEveryMs: 5_000 });
    const b = await start(path, clock);
    expect(b.timers.pending()).toHaveLength(2);

    // One clock wakes both runtimes at once: both try to fire both timers.
    clock.advance(10_000);
    const fired = await Promise.all([a.timers.fireDue(), b.timers.fireDue()]);
    expect(fired).toEqual([0, 0]); // the passes the clock woke fired everything before these ran
    // Each schedule fired by exactly one of them: one TimerFired and one move per mobile.
    for (const id of ['guard', 'rat']) {
      expect(await count(a, id, 'MobileWandered')).toBe(1);
      expect(await count(a, `$timer:Wander:${id}`, 'TimerFired')).toBe(1);
    }
    // The loser re-read the timer: both indexes agree on the one next schedule per mobile.
    const next = (r: Runtime) => r.timers.pending().map((t) => [t.streamId, t.version]).sort();
    expect(next(b)).toEqual(next(a));
  });
});
