import { assign, setup } from 'xstate';
import { z } from 'zod';
import type { AggregateDefinition, CommandSchemas } from './define.ts';

/**
 * Durable timers, as decide asks for them. A decide returns `schedule(...)` or `cancelTimer(...)`
 * alongside its events; the runtime stores each as an event on the timer's own stream (a stream of the
 * built-in `timer` kind, `$timer:<key>:<owner id>`), in the same atomic append as the events, and fires
 * it through the injected clock: the fired command and a `TimerFired` are appended together, with the
 * timer stream's expected version, so a schedule fires once even when several runtimes share a store.
 */

const TIMER = Symbol.for('aethyr.timer');

/** A timer's key names it within its aggregate: one pending schedule per key (a new one replaces it). */
const timerKeySchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and -, at most 64');

export type When = { readonly at: number | Date | string } | { readonly after: number };

export interface ScheduleRequest {
  readonly [TIMER]: 'schedule';
  readonly key: string;
  readonly command: { readonly type: string; readonly id: string };
  readonly when: When;
}
export interface CancelRequest {
  readonly [TIMER]: 'cancel';
  readonly key: string;
}
/** What decide may return besides events: a schedule or a cancellation. */
export type TimerRequest = ScheduleRequest | CancelRequest;

/**
 * Schedules `command` for later: `{ after: ms }` from the time its events are stored, or `{ at }` an
 * absolute time. The key (default: the command's type) names the timer: scheduling the same key again
 * replaces the pending one, `cancelTimer(key)` drops it. The command may target any aggregate.
 *
 * ```ts
 * return [{ type: 'MobileWandered', data: { to } }, schedule({ type: 'Wander', id: state.id }, { after: 10_000 })];
 * ```
 */
export function schedule<C extends { readonly type: string; readonly id: string }>(command: C, when: When, options: { readonly key?: string } = {}): ScheduleRequest {
  return { [TIMER]: 'schedule', key: options.key ?? command.type, command, when };
}

/** Cancels this aggregate's pending timer with this key (a no-op when none is pending). */
export function cancelTimer(key: string): CancelRequest {
  return { [TIMER]: 'cancel', key };
}

export const isTimerRequest = (value: unknown): value is TimerRequest =>
  typeof value === 'object' && value !== null && (value as { [TIMER]?: unknown })[TIMER] !== undefined;

/** The stream a timer lives on: key first (it has no `:`), so the id reads back unambiguously. */
export const timerStreamId = (ownerId: string, key: string): string => `${TIMER_STREAM_PREFIX}${key}:${ownerId}`;
/** Every timer stream's id starts with this: the runtime finds pending timers by listing these streams only. */
export const TIMER_STREAM_PREFIX = '$timer:';

/** Checks a request's key and resolves its time; throws (a handler bug) on a malformed one. */
export function resolveWhen(request: ScheduleRequest, now: number): number {
  timerKeySchema.parse(request.key);
  const when = request.when as { at?: unknown; after?: unknown };
  const at = 'after' in when ? now + Number(when.after) : new Date(when.at as string | number | Date).getTime();
  if (!Number.isFinite(at)) throw new Error(`schedule ${request.key}: invalid time ${JSON.stringify(request.when)}`);
  return at;
}

const scheduledSchema = z.object({
  ownerId: z.string().min(1),
  // Checked against timerKeySchema when scheduled; stored keys are read back as they are.
  key: z.string().min(1).max(64),
  /** When it is due, in ms since the epoch. */
  at: z.number().int(),
  command: z.looseObject({ type: z.string().min(1), id: z.string().min(1) }),
});
const firedSchema = z.object({
  /** The version of the TimerScheduled this firing consumed. */
  scheduled: z.number().int().min(1),
  /** `ok`: the command's events were stored with this event; otherwise the command's refusal code. */
  outcome: z.string().min(1).max(64),
});

export interface TimerState {
  readonly id: string;
  readonly ownerId: string;
  readonly key: string;
  readonly at: number;
  readonly command: { readonly type: string; readonly id: string } | null;
  /** How many times it has fired. */
  readonly fired: number;
}

type TimerEvent =
  | { type: 'TimerScheduled'; data: z.infer<typeof scheduledSchema> }
  | { type: 'TimerFired'; data: z.infer<typeof firedSchema> }
  | { type: 'TimerCancelled'; data: Record<string, never> };

const timerMachine = setup({
  types: { context: {} as TimerState, events: {} as TimerEvent, input: {} as { id: string } },
  actions: {
    scheduled: assign(({ event }) => {
      const data = (event as Extract<TimerEvent, { type: 'TimerScheduled' }>).data;
      return { ownerId: data.ownerId, key: data.key, at: data.at, command: data.command };
    }),
    fired: assign({ fired: ({ context }) => context.fired + 1, command: () => null }),
    cancelled: assign({ command: () => null }),
  },
}).createMachine({
  id: 'timer',
  initial: 'idle',
  context: ({ input }) => ({ id: input.id, ownerId: '', key: '', at: 0, command: null, fired: 0 }),
  states: {
    idle: { on: { TimerScheduled: { target: 'pending', actions: 'scheduled' } } },
    pending: {
      on: {
        TimerScheduled: { target: 'pending', actions: 'scheduled' },
        TimerFired: { target: 'idle', actions: 'fired' },
        TimerCancelled: { target: 'idle', actions: 'cancelled' },
      },
    },
  },
});

const timerEvents = {
  TimerScheduled: { schema: scheduledSchema },
  TimerFired: { schema: firedSchema },
  TimerCancelled: { schema: z.object({}) },
};

/**
 * The built-in kind every runtime hosts for timers. It has no commands: only the runtime writes its
 * events, and its streams show up in history, stateAt and worldAt like any other.
 */
export const timerKind: AggregateDefinition<'timer', CommandSchemas, typeof timerEvents, TimerState> = {
  kind: 'timer',
  commands: {},
  creates: [],
  events: timerEvents,
  machine: timerMachine,
  state: z.strictObject({
    id: z.string(),
    ownerId: z.string(),
    key: z.string(),
    at: z.number().int(),
    command: z.looseObject({ type: z.string(), id: z.string() }).nullable(),
    fired: z.number().int().min(0),
  }) as z.ZodType<TimerState>,
  decide: () => [],
};
