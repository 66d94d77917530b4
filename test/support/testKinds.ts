import { assign, setup } from 'xstate';
import { z } from 'zod';
import { defineAggregate, reject, world } from '../../src/index.ts';

/**
 * A kind that uses what the fast fold cannot express: a named guard, an array of candidate
 * transitions, entry actions and a nested state. Its fold must still equal XState's transition().
 */
export const counterMachine = setup({
  types: {
    context: {} as { id: string; n: number; entered: number },
    events: {} as { type: 'CounterCreated'; data: Record<string, never> } | { type: 'Added'; data: { by: number } } | { type: 'Exploded'; data: Record<string, never> },
    input: {} as { id: string },
  },
  guards: { full: ({ context }) => context.n >= 2 },
  actions: {
    add: assign({ n: ({ context, event }) => context.n + (event.type === 'Added' ? event.data.by : 0) }),
    enter: assign({ entered: ({ context }) => context.entered + 1 }),
    // A handler bug: XState's transition() (and so the fold) surfaces it as an error.
    explode: assign(() => {
      throw new Error('the counter exploded');
    }),
  },
}).createMachine({
  id: 'counter',
  initial: 'absent',
  context: ({ input }) => ({ id: input.id, n: 0, entered: 0 }),
  states: {
    absent: { on: { CounterCreated: 'a' } },
    a: {
      entry: 'enter',
      on: {
        Added: [{ guard: 'full', target: 'b' }, { actions: 'add' }],
        Exploded: { actions: 'explode' },
      },
    },
    b: {
      initial: 'low',
      entry: 'enter',
      states: { low: { on: { Added: { target: 'high', actions: 'add' } } }, high: {} },
      on: { Exploded: { actions: 'explode' } },
    },
  },
});

export const counter = defineAggregate({
  kind: 'counter',
  commands: {
    CreateCounter: z.object({ id: z.string().min(1) }),
    Add: z.object({ id: z.string().min(1), by: z.number().int().min(1).max(10) }),
    Explode: z.object({ id: z.string().min(1) }),
  },
  creates: ['CreateCounter'],
  events: {
    CounterCreated: { schema: z.object({}) },
    Added: { schema: z.object({ by: z.number().int() }) },
    Exploded: { schema: z.object({}) },
  },
  machine: counterMachine,
  state: z.strictObject({ id: z.string(), n: z.number().int(), entered: z.number().int() }),
  decide(state, command) {
    switch (command.type) {
      case 'CreateCounter':
        return [{ type: 'CounterCreated', data: {} }];
      case 'Add':
        if (state && state.n + command.by > 100) return reject('TOO_MUCH', 'a counter stops at 100');
        return [{ type: 'Added', data: { by: command.by } }];
      case 'Explode':
        return [{ type: 'Exploded', data: {} }];
    }
  },
});

/** What a worker pool imports to replay these kinds (WorkerPool's `aggregates` option). */
export const aggregates = [counter, ...world.worldAggregates];
