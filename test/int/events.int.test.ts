import { afterEach, expect, it } from 'vitest';
import { createRuntime, silentLogger, type Runtime } from '../../src/index.ts';
import type { Logger } from '../../src/runtime/logger.ts';
import type { CommittedEvent } from '../../src/runtime/committedEvents.ts';
import { SimulatedClock } from '../../src/testing/index.ts';
import { tempDirs } from '../support/tempStore.ts';

const temp = tempDirs();
let runtime: Runtime | undefined;
afterEach(async () => {
  await runtime?.close();
  temp.cleanup();
});

it('runtime.events: subscribers hear committed events of any aggregate, filtered, in commit order, once durable; refusals and failing handlers change nothing', async () => {
  const errors: string[] = [];
  const logger: Logger = { info: () => {}, warn: () => {}, error: (message) => errors.push(message) };
  const clock = new SimulatedClock();
  runtime = createRuntime({ store: { kind: 'sqlite', path: temp.file() }, logger, clock, shadowReplay: false });
  const r = runtime;
  const exits: CommittedEvent[] = [];
  const ofHall: string[] = [];
  const wanders: { data: unknown; durable: number }[] = [];
  r.events.subscribe({ types: ['RoomExitAdded'] }, (event) => {
    exits.push(event);
  });
  const stopHall = r.events.subscribe({ streamId: 'hall' }, (event) => {
    ofHall.push(`${event.type}@${event.version}`);
  });
  r.events.subscribe({ types: ['RoomCreated'] }, () => {
    throw new Error('a careless handler');
  });
  // Events another kind commits through its own timers reach the same subscribers; the handler reads the store to see they are durable.
  r.events.subscribe({ types: ['MobileWandered'] }, async (event) => {
    wanders.push({ data: event.data, durable: (await r.store.readStream(event.streamId)).filter((e) => (e.type as string) === 'MobileWandered').length });
  });

  await r.execute({ type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
  await r.execute({ type: 'CreateRoom', id: 'yard', name: 'Yard', description: '' });
  await r.transaction([
    { type: 'AddRoomExit', id: 'hall', direction: 'out', targetRoomId: 'yard' },
    { type: 'AddRoomExit', id: 'yard', direction: 'in', targetRoomId: 'hall' },
  ]);
  await expect(r.execute({ type: 'AddRoomExit', id: 'hall', direction: 'out', targetRoomId: 'yard' })).rejects.toMatchObject({ reason: 'EXIT_EXISTS' });
  await r.execute({ type: 'CreateMobile', id: 'rat', name: 'a rat', roomId: 'hall', stats: { hp: 3, attack: 1 }, route: ['hall', 'yard'], wanderEveryMs: 1000 });
  clock.advance(1000);
  await r.timers.fireDue();
  await new Promise<void>((resolve) => setImmediate(resolve)); // deliveries run after the writer's turn
  await expect.poll(() => wanders.length).toBe(1);

  expect(exits.map((e) => [e.streamId, (e.data as { direction: string }).direction])).toEqual([
    ['hall', 'out'],
    ['yard', 'in'],
  ]);
  expect(exits[0]?.position).toBeLessThan(exits[1]?.position as number);
  expect(ofHall).toEqual(['GameObjectCreated@1', 'RoomCreated@2', 'RoomExitAdded@3']);
  expect(wanders).toEqual([{ data: { from: 'hall', to: 'yard', step: 1 }, durable: 1 }]);
  expect(errors.filter((m) => m.includes('events.subscribe handler failed'))).toHaveLength(2); // two RoomCreated, both isolated

  stopHall();
  await r.execute({ type: 'UpdateRoomDescription', id: 'hall', description: 'Quiet.' });
  await new Promise<void>((resolve) => setImmediate(resolve));
  expect(ofHall).toHaveLength(3);
  expect(await r.state('hall')).toMatchObject({ description: 'Quiet.' });
});

it('room notices: a wandering mobile is heard leaving and arriving, with the way it went (above, below, the north)', async () => {
  const { followNotices } = await import('../../src/game/notices.ts');
  const { stripColor } = await import('../../src/game/verbs/output.ts');
  const clock = new SimulatedClock();
  runtime = createRuntime({ store: { kind: 'sqlite', path: temp.file() }, logger: silentLogger, clock, shadowReplay: false });
  const r = runtime;
  for (const id of ['cellar', 'tavern', 'yard']) await r.execute({ type: 'CreateRoom', id, name: id, description: '' });
  await r.transaction([
    { type: 'AddRoomExit', id: 'cellar', direction: 'up', targetRoomId: 'tavern' },
    { type: 'AddRoomExit', id: 'tavern', direction: 'down', targetRoomId: 'cellar' },
    { type: 'AddRoomExit', id: 'tavern', direction: 'south', targetRoomId: 'yard' },
  ]);
  const heard: string[] = [];
  const stop = followNotices(r, { toRoom: (roomId, text) => heard.push(`${roomId}: ${stripColor(text)}`) });
  await r.execute({ type: 'CreateMobile', id: 'rat', name: 'a rat', roomId: 'cellar', stats: { hp: 3, attack: 1 }, route: ['cellar', 'tavern', 'yard'], wanderEveryMs: 1000 });
  for (let i = 0; i < 2; i++) {
    clock.advance(1000);
    await r.timers.fireDue();
    await expect.poll(() => heard.length).toBe(2 * (i + 1));
  }
  expect(heard).toEqual([
    'cellar: A rat leaves up.',
    'tavern: A rat arrives from below.',
    'tavern: A rat leaves south.',
    'yard: A rat arrives.', // the yard has no exit back to the tavern
  ]);
  stop();
});
