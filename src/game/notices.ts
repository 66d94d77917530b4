import type { Runtime } from '../runtime/runtime.ts';
import { color } from './verbs/output.ts';

/** Where notices go: everyone playing in a room (the game server). */
export interface RoomAudience {
  toRoom(roomId: string, text: string): void;
}

/**
 * Room notices from other aggregates' events, followed through runtime.events once they are durable:
 * when a mobile wanders, the players in the room it leaves read "A rat leaves north." and those in the
 * room it enters "A rat arrives from the south." Returns the unsubscribe function.
 */
export function followNotices(runtime: Runtime, audience: RoomAudience): () => void {
  return runtime.events.subscribe({ types: ['MobileWandered'] }, (event) => wandered(runtime, audience, event));
}

async function wandered(runtime: Runtime, audience: RoomAudience, event: { readonly streamId: string; readonly data: unknown }): Promise<void> {
  const { from, to } = event.data as { from: string; to: string };
  if (from === to) return;
  const mobile = (await runtime.state(event.streamId)) as { name?: string } | undefined;
  const name = mobile?.name ? mobile.name.charAt(0).toUpperCase() + mobile.name.slice(1) : 'Something';
  const [away, back] = await Promise.all([directionTo(runtime, from, to), directionTo(runtime, to, from)]);
  audience.toRoom(from, `${color.person(name)} leaves${away ? ` ${away}` : ''}.`);
  audience.toRoom(to, `${color.person(name)} arrives${back ? ` from ${whence(back)}` : ''}.`);
}

/** The direction of an exit of `roomId` that leads to `target`, if there is one. */
async function directionTo(runtime: Runtime, roomId: string, target: string): Promise<string | undefined> {
  const room = (await runtime.state(roomId)) as { exits?: Readonly<Record<string, string>> } | undefined;
  return Object.entries(room?.exits ?? {}).find(([, to]) => to === target)?.[0];
}

/** "the north", "above", "below": where something comes from, given the exit that leads back there. */
const whence = (direction: string): string => (direction === 'up' ? 'above' : direction === 'down' ? 'below' : `the ${direction}`);
