import { assign, setup } from 'xstate';
import { z } from 'zod';
// Only what the root entry (src/index.ts) exports, imported from where it is defined (the root entry
// itself re-exports this world, so importing it here would be a cycle).
import { defineAggregate, reject } from '../definition/define.ts';
import { cancelTimer, schedule } from '../definition/timers.ts';
import { worldReadModel } from './projection.ts';
import { idSchema, nameSchema } from './schemas.ts';

/**
 * Mobiles: NPCs that live in a room, wander along a route on durable timers (each wander schedules
 * the next), fight when attacked and die. Written as a game developer would, with the public API only.
 */

const statsSchema = z.strictObject({ hp: z.number().int().min(1).max(100_000), attack: z.number().int().min(0).max(10_000) });
const routeSchema = z.array(idSchema).min(1).max(64);
const wanderEveryMsSchema = z.number().int().min(1000).max(86_400_000);

export type MobileMode = 'absent' | 'idle' | 'wandering' | 'fighting' | 'dead';
export interface MobileState {
  readonly id: string;
  readonly name: string;
  readonly roomId: string;
  /** The rooms it wanders through, in order (round and round); `step` is where it is on it. */
  readonly route: readonly string[];
  readonly step: number;
  readonly wanderEveryMs: number;
  readonly hp: number;
  readonly maxHp: number;
  readonly attack: number;
  /** Who it fights (the last attacker), or who killed it. */
  readonly foe: string | null;
  /** Mirrors the machine's state, for decide (which sees the context). */
  readonly mode: MobileMode;
}

// Stored events are checked loosely (what was valid once stays readable); commands carry the bounds.
const count = z.number().int().min(0);
const events = {
  MobileCreated: { schema: z.strictObject({ name: nameSchema, roomId: idSchema, stats: z.strictObject({ hp: count, attack: count }), route: z.array(idSchema).min(1), wanderEveryMs: count }) },
  MobileStartedWandering: { schema: z.strictObject({}) },
  MobileWandered: { schema: z.strictObject({ from: idSchema, to: idSchema, step: z.number().int().min(0) }) },
  MobileStoppedWandering: { schema: z.strictObject({}) },
  MobileAttacked: { schema: z.strictObject({ attackerId: idSchema, damage: z.number().int().min(1) }) },
  MobileCalmed: { schema: z.strictObject({}) },
  MobileDied: { schema: z.strictObject({ killerId: idSchema }) },
};
type Data<K extends keyof typeof events> = z.infer<(typeof events)[K]['schema']>;
type MobileEvent = { [K in keyof typeof events]: { type: K; data: Data<K> } }[keyof typeof events];
const data = <K extends keyof typeof events>(event: MobileEvent, _type: K) => event.data as Data<K>;

export const mobileMachine = setup({
  types: { context: {} as MobileState, events: {} as MobileEvent, input: {} as { id: string } },
  actions: {
    created: assign(({ event }) => {
      const d = data(event, 'MobileCreated');
      return { name: d.name, roomId: d.roomId, route: d.route, step: 0, wanderEveryMs: d.wanderEveryMs, hp: d.stats.hp, maxHp: d.stats.hp, attack: d.stats.attack, mode: 'idle' as const };
    }),
    wandering: assign({ mode: () => 'wandering' as const, foe: () => null }),
    idle: assign({ mode: () => 'idle' as const }),
    moved: assign(({ event }) => {
      const d = data(event, 'MobileWandered');
      return { roomId: d.to, step: d.step };
    }),
    attacked: assign(({ context, event }) => {
      const d = data(event, 'MobileAttacked');
      return { hp: Math.max(0, context.hp - d.damage), foe: d.attackerId, mode: 'fighting' as const };
    }),
    died: assign(({ event }) => ({ foe: data(event, 'MobileDied').killerId, mode: 'dead' as const })),
  },
}).createMachine({
  id: 'mobile',
  initial: 'absent',
  context: ({ input }) => ({ id: input.id, name: '', roomId: '', route: [], step: 0, wanderEveryMs: 0, hp: 0, maxHp: 0, attack: 0, foe: null, mode: 'absent' }),
  states: {
    absent: { on: { MobileCreated: { target: 'idle', actions: 'created' } } },
    idle: {
      on: {
        MobileStartedWandering: { target: 'wandering', actions: 'wandering' },
        MobileAttacked: { target: 'fighting', actions: 'attacked' },
      },
    },
    wandering: {
      on: {
        MobileWandered: { actions: 'moved' },
        MobileStoppedWandering: { target: 'idle', actions: 'idle' },
        MobileAttacked: { target: 'fighting', actions: 'attacked' },
      },
    },
    fighting: {
      on: {
        MobileAttacked: { actions: 'attacked' },
        MobileCalmed: { target: 'wandering', actions: 'wandering' },
        MobileDied: { target: 'dead', actions: 'died' },
      },
    },
    dead: {},
  },
});

const wanderLater = (state: { readonly id: string; readonly wanderEveryMs: number }) => schedule({ type: 'Wander', id: state.id }, { after: state.wanderEveryMs });

export const mobile = defineAggregate({
  kind: 'mobile',
  commands: {
    /** Creates a mobile in a room; it starts wandering along its route at once. */
    CreateMobile: z.strictObject({ id: idSchema, name: nameSchema, roomId: idSchema, stats: statsSchema, route: routeSchema, wanderEveryMs: wanderEveryMsSchema }),
    StartWandering: z.strictObject({ id: idSchema }),
    StopWandering: z.strictObject({ id: idSchema }),
    /** Moves one room along the route; sent by its own timer. */
    Wander: z.strictObject({ id: idSchema }),
    Attack: z.strictObject({ id: idSchema, attackerId: idSchema, damage: z.number().int().min(1).max(100_000) }),
    Calm: z.strictObject({ id: idSchema }),
  },
  creates: ['CreateMobile'],
  events,
  machine: mobileMachine,
  // The world's read model shows it (mobiles and shops tables).
  projection: worldReadModel,
  state: z.strictObject({
    id: z.string(),
    name: z.string(),
    roomId: z.string(),
    route: z.array(z.string()),
    step: z.number().int().min(0),
    wanderEveryMs: z.number().int().min(0),
    hp: z.number().int().min(0),
    maxHp: z.number().int().min(0),
    attack: z.number().int().min(0),
    foe: z.string().nullable(),
    mode: z.enum(['absent', 'idle', 'wandering', 'fighting', 'dead']),
  }) as z.ZodType<MobileState>,
  precondition: (state) => (state.mode === 'dead' ? reject('DEAD', `${state.name} is dead`) : undefined),
  decide(state, command) {
    if (command.type === 'CreateMobile') {
      const { id, name, roomId, stats, route, wanderEveryMs } = command;
      return [
        { type: 'MobileCreated', data: { name, roomId, stats, route, wanderEveryMs } },
        { type: 'MobileStartedWandering', data: {} },
        wanderLater({ id, wanderEveryMs }),
      ];
    }
    if (!state) return reject('NOT_CREATED', 'no such mobile');
    switch (command.type) {
      case 'StartWandering':
        if (state.mode !== 'idle') return reject('NOT_IDLE', `${state.name} is ${state.mode}`);
        return [{ type: 'MobileStartedWandering', data: {} }, wanderLater(state)];
      case 'StopWandering':
        if (state.mode !== 'wandering') return reject('NOT_WANDERING', `${state.name} is ${state.mode}`);
        return [{ type: 'MobileStoppedWandering', data: {} }, cancelTimer('Wander')];
      case 'Wander': {
        if (state.mode !== 'wandering') return reject('NOT_WANDERING', `${state.name} is ${state.mode}`);
        const step = (state.step + 1) % state.route.length;
        return [{ type: 'MobileWandered', data: { from: state.roomId, to: state.route[step] as string, step } }, wanderLater(state)];
      }
      case 'Attack': {
        const attacked = { type: 'MobileAttacked', data: { attackerId: command.attackerId, damage: command.damage } } as const;
        // A fight stops the wandering: its pending timer is cancelled.
        const stop = state.mode === 'wandering' ? [cancelTimer('Wander')] : [];
        if (command.damage >= state.hp) return [attacked, { type: 'MobileDied', data: { killerId: command.attackerId } }, ...stop];
        return [attacked, ...stop];
      }
      case 'Calm':
        if (state.mode !== 'fighting') return reject('NOT_FIGHTING', `${state.name} is ${state.mode}`);
        return [{ type: 'MobileCalmed', data: {} }, wanderLater(state)];
    }
  },
});
