import { assign, setup } from 'xstate';
import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { AggregateRegistry } from '../../src/definition/registry.ts';
import { readSetOf } from '../../src/definition/reads.ts';
import { folderFor, xstateFold } from '../../src/definition/fold.ts';
import type { AnyAggregateDefinition } from '../../src/definition/define.ts';
import { DefinitionError } from '../../src/errors.ts';
import { worldAggregates } from '../../src/world/kinds.ts';
import { counter } from '../support/testKinds.ts';

const inc = { type: 'INC', data: {} };

describe('the fold', () => {
  it('gives XState’s answer for a guarded machine with candidate arrays (the old fold said a {n:4})', () => {
    const machine = setup({
      types: { context: {} as { n: number }, input: {} as { id: string } },
      guards: { atLeastTwo: ({ context }) => context.n >= 2 },
      actions: { inc: assign({ n: ({ context }) => context.n + 1 }) },
    }).createMachine({
      id: 'guarded',
      initial: 'a',
      context: { n: 0 },
      states: { a: { on: { INC: [{ guard: 'atLeastTwo', target: 'b' }, { actions: 'inc' }] } }, b: {} },
    });
    const folder = folderFor(machine);
    expect(folder.fast).toBe(false);
    const start = folder.initial('x');
    const folded = folder.fold(start, [inc, inc, inc, inc]);
    expect(folded).toEqual({ value: 'b', context: { n: 2 } });
    expect(folded).toEqual(xstateFold(machine, start, [inc, inc, inc, inc]));
  });

  it('compiles flat, unguarded machines (the world’s) to the fast table, with XState’s assign semantics', () => {
    const machine = setup({
      types: { context: {} as { n: number; label: string }, input: {} as { id: string } },
      actions: { inc: assign({ n: ({ context }) => context.n + 1 }), partial: assign(() => ({ label: 'x' })) },
    }).createMachine({ id: 'flat', initial: 'a', context: { n: 0, label: '' }, states: { a: { on: { INC: { actions: ['inc', 'partial'] }, GO: 'b' } }, b: {} } });
    const folder = folderFor(machine);
    expect(folder.fast).toBe(true);
    const events = [inc, inc, { type: 'GO', data: {} }, inc];
    expect(folder.fold(folder.initial('x'), events)).toEqual(xstateFold(machine, folder.initial('x'), events));
    expect(folder.fold(folder.initial('x'), events)).toEqual({ value: 'b', context: { n: 2, label: 'x' } });
    for (const definition of worldAggregates) expect(folderFor(definition.machine).fast).toBe(true);
  });

  it('starts each aggregate from the machine’s initial state for its id', () => {
    const folder = folderFor(counter.machine);
    expect(folder.initial('c1')).toEqual({ value: 'absent', context: { id: 'c1', n: 0, entered: 0 } });
  });
});

const minimal = (overrides: Partial<AnyAggregateDefinition> = {}): AnyAggregateDefinition =>
  ({
    kind: 'thing',
    commands: { MakeThing: z.object({ id: z.string() }) },
    creates: ['MakeThing'],
    events: { ThingMade: { schema: z.object({}) } },
    machine: setup({ types: { context: {} as { id: string }, input: {} as { id: string } } }).createMachine({
      id: 'thing',
      initial: 'idle',
      context: ({ input }) => ({ id: input.id }),
      states: { idle: { on: { ThingMade: {} } } },
    }),
    decide: () => [{ type: 'ThingMade', data: {} }],
    ...overrides,
  }) as AnyAggregateDefinition;

describe('definition errors at createRuntime name the kind and the type', () => {
  const refused = (definitions: AnyAggregateDefinition[], message: RegExp) => {
    const error = (() => {
      try {
        new AggregateRegistry(definitions);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(DefinitionError);
    expect((error as Error).message).toMatch(message);
  };
  it('an event the machine does not handle', () => {
    refused([minimal({ events: { ThingMade: { schema: z.object({}) }, ThingBroken: { schema: z.object({}) } } })], /aggregate thing: event ThingBroken is not handled/);
  });
  it('a kind defined twice, a create command of two kinds, a create that is not its own', () => {
    refused([minimal(), minimal()], /aggregate thing: defined twice/);
    refused([minimal(), minimal({ kind: 'other', commands: { MakeThing: z.object({ id: z.string() }) } })], /aggregate other: command MakeThing is declared by another kind/);
    refused([minimal({ creates: ['Nope'] as never })], /aggregate thing: creates Nope/);
  });
  it('an event at version 2 without its upcaster, and a command without an id', () => {
    refused([minimal({ events: { ThingMade: { schema: z.object({}), version: 2 } } })], /ThingMade is at version 2 but has no upcaster from version 1/);
    refused([minimal({ commands: { MakeThing: z.object({ name: z.string() }) } as never })], /command MakeThing must be an object schema with an id/);
  });
  it('machine features replay cannot reproduce from events: delayed transitions, invoked actors', () => {
    const delayed = setup({ types: { context: {} as { id: string }, input: {} as { id: string } } }).createMachine({
      id: 'delayed',
      initial: 'idle',
      context: ({ input }) => ({ id: input.id }),
      states: { idle: { on: { ThingMade: {} }, after: { 1000: 'idle' } } },
    });
    refused([minimal({ machine: delayed })], /aggregate thing: delayed.idle: delayed transitions/);
  });
});

describe('routing and decide through the registry', () => {
  const registry = new AggregateRegistry([...worldAggregates, counter]);
  const create = (id: string, command: { type: string; id: string; [k: string]: unknown }) => {
    const outcome = registry.decide(id, undefined, registry.parseCommand(command));
    if (!outcome.ok) throw outcome.error;
    return { kind: outcome.kind, state: outcome.next };
  };
  it('a command no kind declares is a ValidationError; one the target’s kind does not declare is WRONG_KIND', () => {
    expect(() => registry.parseCommand({ type: 'CastSpell', id: 'x' })).toThrow(/unknown command type: CastSpell/);
    expect(() => registry.parseCommand({ type: '__proto__', id: 'x' })).toThrow(/unknown command type/);
    expect(() => registry.parseCommand({ type: 'constructor', id: 'x' })).toThrow(/unknown command type/);
    const room = create('hall', { type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    const outcome = registry.decide('hall', room, registry.parseCommand({ type: 'Add', id: 'hall', by: 1 }));
    expect(outcome).toMatchObject({ ok: false, error: { code: 'REJECTED', reason: 'WRONG_KIND' } });
    if (!outcome.ok) expect(outcome.error.message).toBe('Add hall: Add applies to a counter, and hall is a room');
  });
  it('tells a stream’s kind from its first event', () => {
    expect(registry.kindOfStream({ type: 'CounterCreated', data: {} }).name).toBe('counter');
    expect(registry.kindOfStream({ type: 'GameObjectCreated', data: { generic: 'room' } }).name).toBe('room');
    expect(registry.kindOfStream({ type: 'GameObjectCreated', data: { generic: 'lamp' } }).name).toBe('game_object');
    expect(() => registry.kindOfStream({ type: 'Added', data: { by: 1 } })).not.toThrow(); // only counter declares Added
    expect(() => registry.kindOfStream({ type: 'Nothing', data: {} })).toThrow(/no kind starts streams with it/);
  });
  it('takes the kind the store kept with the stream head over the first event; the first event only for streams without one', () => {
    const lampCreated = { type: 'GameObjectCreated', data: { generic: 'lamp' } };
    expect(registry.kindOfStream(lampCreated, 'room').name).toBe('room');
    expect(registry.kindOfStream(lampCreated, null).name).toBe('game_object');
    expect(() => registry.kindOfStream(lampCreated, 'dragon')).toThrow(/stored kind dragon is not hosted/);
  });

  it('upcasts old event data step by step', () => {
    expect(registry.upcast('GameObjectCreated', 1, { name: 'N', generic: 'g', container: 'box' })).toEqual({
      schemaVersion: 2,
      data: { name: 'N', generic: 'g', containerId: 'box', attributes: {} },
    });
    expect(() => registry.codec.validate({ type: 'GameObjectCreated', schemaVersion: 2, data: { name: '' } })).toThrow(/invalid GameObjectCreated data/);
  });

  // Issue 12: lookups keyed by player text are own-property lookups.
  it('issue 12: slots and exits named after Object.prototype members behave like any other unknown name', () => {
    let player = create('ann', { type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: 'scrypt$16384$8$1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=' });
    const step = (command: { type: string; id: string; [k: string]: unknown }) => {
      // The hat says it is with Ann (AddItemToInventory reads it).
      const hat = { id: 'hat', kind: 'game_object', version: 1, state: { id: 'hat', containerId: 'ann', deleted: false } };
      const outcome = registry.decide('ann', player, registry.parseCommand(command), readSetOf([hat]));
      if (outcome.ok) player = { kind: outcome.kind, state: outcome.next };
      return outcome;
    };
    expect(step({ type: 'AddItemToInventory', id: 'ann', itemId: 'hat' }).ok).toBe(true);
    for (const slot of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(step({ type: 'UnequipItem', id: 'ann', itemId: 'hat', slot })).toMatchObject({ ok: false, error: { reason: 'NOT_EQUIPPED' } });
    }
    expect(step({ type: 'EquipItem', id: 'ann', itemId: 'hat', slot: 'constructor' }).ok).toBe(true);
    expect((player.state.context as { equipment: object }).equipment).toEqual({ constructor: 'hat' });
    expect(step({ type: 'UnequipItem', id: 'ann', itemId: 'hat', slot: 'constructor' }).ok).toBe(true);
    expect(step({ type: 'EquipItem', id: 'ann', itemId: 'hat', slot: 'toString' }).ok).toBe(true);

    let room = create('hall', { type: 'CreateRoom', id: 'hall', name: 'Hall', description: '' });
    const roomStep = (command: { type: string; id: string; [k: string]: unknown }) => {
      const outcome = registry.decide('hall', room, registry.parseCommand(command), readSetOf([{ id: 'cellar', kind: 'room', version: 2, state: { id: 'cellar', deleted: false } }]));
      if (outcome.ok) room = { kind: outcome.kind, state: outcome.next };
      return outcome;
    };
    for (const direction of ['constructor', '__proto__', 'toString']) {
      expect(roomStep({ type: 'RemoveRoomExit', id: 'hall', direction })).toMatchObject({ ok: false, error: { reason: 'EXIT_NOT_FOUND' } });
      expect(roomStep({ type: 'AddRoomExit', id: 'hall', direction, targetRoomId: 'cellar' }).ok).toBe(true);
    }
    expect(Object.keys((room.state.context as { exits: object }).exits).sort()).toEqual(['__proto__', 'constructor', 'toString']);
  });

  it('decide returning an event its kind does not declare, or invalid data, is a bug caught before anything is stored', () => {
    const sneaky = new AggregateRegistry([minimal({ decide: () => [{ type: 'Nope', data: {} }] })]);
    expect(() => sneaky.decide('t', undefined, sneaky.parseCommand({ type: 'MakeThing', id: 't' }))).toThrow(/returned Nope, an event the kind does not declare/);
    const sloppy = new AggregateRegistry([minimal({ events: { ThingMade: { schema: z.object({ size: z.number() }) } }, decide: () => [{ type: 'ThingMade', data: { size: 'big' } }] })]);
    expect(() => sloppy.decide('t', undefined, sloppy.parseCommand({ type: 'MakeThing', id: 't' }))).toThrow(/invalid ThingMade data: size/);
  });
});

describe('read sets', () => {
  it('reads.of takes a kind name or a definition; every id asked for is recorded, missing ones as not existing', async () => {
    const { room } = await import('../../src/world/kinds.ts');
    const hall = { id: 'hall', kind: 'room', version: 2, state: { id: 'hall', deleted: false } };
    const reads = readSetOf([hall, { id: 'sword', kind: 'game_object', version: 1, state: { id: 'sword' } }]);
    expect(reads.of(room, 'hall')).toEqual(hall.state);
    expect(reads.of('room', 'hall')).toEqual(hall.state);
    expect(reads.of(room, 'sword')).toBeUndefined(); // exists, but not a room
    expect(reads.get('nowhere')).toBeUndefined();
    expect(reads.get('sword')).toMatchObject({ kind: 'game_object', version: 1 });
  });
});
