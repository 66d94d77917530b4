import { setup } from 'xstate';
import { z } from 'zod';
import { expect, it } from 'vitest';
import { createRuntime, defineAggregate, reject } from '../../src/index.ts';

// Compile-time checks: `npm test` runs tsc over this file first, and each @ts-expect-error fails the
// typecheck if the line below it stops being an error.
const machine = setup({ types: { context: {} as { id: string; lit: boolean }, input: {} as { id: string } } }).createMachine({
  id: 'lamp',
  initial: 'idle',
  context: ({ input }) => ({ id: input.id, lit: false }),
  states: { idle: { on: { LampLit: {} } } },
});

const lamp = defineAggregate({
  kind: 'lamp',
  commands: { PlaceLamp: z.object({ id: z.string() }), Light: z.object({ id: z.string(), by: z.string() }) },
  creates: ['PlaceLamp'],
  events: { LampLit: { schema: z.object({ by: z.string() }) } },
  machine,
  state: z.object({ id: z.string(), lit: z.boolean() }),
  decide(state, command) {
    switch (command.type) {
      case 'PlaceLamp':
        return [];
      case 'Light':
        if (state?.lit) return reject('ALREADY_LIT', 'the lamp is lit');
        return [{ type: 'LampLit', data: { by: command.by } }];
      // @ts-expect-error a command type the kind does not declare
      case 'Extinguish':
        return [];
    }
  },
});

defineAggregate({
  ...lamp,
  // @ts-expect-error creates must name one of the kind's own commands
  creates: ['Extinguish'],
});
defineAggregate({
  ...lamp,
  // @ts-expect-error decide returns an event the kind does not declare
  decide: () => [{ type: 'LampExploded', data: {} }],
});
defineAggregate({
  ...lamp,
  // @ts-expect-error decide returns a declared event with the wrong data
  decide: () => [{ type: 'LampLit', data: { by: 3 } }],
});

const narrowMachine = setup({
  types: { context: {} as { id: string; lit: boolean }, events: {} as { type: 'Other' }, input: {} as { id: string } },
}).createMachine({ id: 'narrow', initial: 'idle', context: ({ input }) => ({ id: input.id, lit: false }), states: { idle: { on: { Other: {} } } } });
defineAggregate({
  ...lamp,
  // @ts-expect-error the machine's events type does not include LampLit
  machine: narrowMachine,
});

it('types flow from the schemas to the runtime’s commands', async () => {
  const runtime = createRuntime({ store: { kind: 'sqlite', path: ':memory:' }, aggregates: [lamp] });
  // @ts-expect-error a command no hosted kind declares
  const unknown = runtime.execute({ type: 'CastSpell', id: 'x' }).catch((e: { code: string }) => e.code);
  // @ts-expect-error a declared command with a missing field
  const missing = runtime.execute({ type: 'Light', id: 'x' }).catch((e: { code: string }) => e.code);
  expect([await unknown, await missing]).toEqual(['VALIDATION', 'VALIDATION']);
  await runtime.close();
});

// A decide may read other aggregates; `reads.of(kind, id)` gives the state typed as asked.
defineAggregate({
  ...lamp,
  decide(_state, command, reads) {
    const room = reads.of<{ readonly deleted: boolean }>('room', command.id);
    // @ts-expect-error the read state has only the fields asked for
    if (room?.lit) return [];
    return room && !room.deleted ? [{ type: 'LampLit', data: { by: 'the room' } }] : reject('NO_ROOM', 'no room');
  },
});

it('the built-in world’s runtime is typed with every kind’s commands: mobiles and shops need no casts', async () => {
  const runtime = createRuntime({ store: { kind: 'sqlite', path: ':memory:' } });
  const rat = runtime.execute({ type: 'CreateMobile', id: 'rat', name: 'a rat', roomId: 'hall', stats: { hp: 3, attack: 1 }, route: ['hall'], wanderEveryMs: 1000 });
  // @ts-expect-error a mobile command with a missing field
  const missing = runtime.execute({ type: 'OpenShop', id: 'shop' }).catch((e: { code: string }) => e.code);
  expect([(await rat).events.map((e) => e.type), await missing]).toEqual([['MobileCreated', 'MobileStartedWandering'], 'VALIDATION']);
  await runtime.close();
});

// Given a definition, `reads.of` types the state from its state schema.
defineAggregate({
  ...lamp,
  decide(_state, command, reads) {
    const other = reads.of(lamp, command.id);
    const lit: boolean | undefined = other?.lit;
    // @ts-expect-error a lamp's state has no such field
    if (other?.brightness) return [];
    return lit ? reject('ALREADY_LIT', 'the other lamp is lit') : [];
  },
});
