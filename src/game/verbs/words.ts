import type { RejectionReason } from '../../errors.ts';

/** The compass: full name and short form. */
export const COMPASS: readonly (readonly [string, string])[] = [
  ['north', 'n'],
  ['south', 's'],
  ['east', 'e'],
  ['west', 'w'],
  ['up', 'u'],
  ['down', 'd'],
  ['northeast', 'ne'],
  ['northwest', 'nw'],
  ['southeast', 'se'],
  ['southwest', 'sw'],
];

const SHORT = new Map(COMPASS.map(([name, short]) => [short, name]));
const OPPOSITES = new Map<string, string>([
  ['north', 'south'],
  ['east', 'west'],
  ['up', 'down'],
  ['northeast', 'southwest'],
  ['northwest', 'southeast'],
  ['in', 'out'],
]);
for (const [a, b] of [...OPPOSITES]) OPPOSITES.set(b, a);

/** "n" → "north"; anything else lower-cased as typed. */
export const direction = (typed: string): string => SHORT.get(typed.toLowerCase()) ?? typed.toLowerCase();

/** The way back: north → south; undefined for an exit with a made-up name. */
export const opposite = (dir: string): string | undefined => OPPOSITES.get(dir);

/** An own property of a record keyed by player text ("constructor" is not an exit). */
export const own = <T>(record: Readonly<Record<string, T>>, key: string): T | undefined => (Object.hasOwn(record, key) ? record[key] : undefined);

/** Does an object's name answer to what a player typed? "helm" matches "an iron helm". */
export function matches(name: string, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return false;
  const n = name.toLowerCase();
  return n === q || n.split(/\s+/).some((word) => word.startsWith(q)) || (q.includes(' ') && n.includes(q));
}

/** What a player reads when the world refuses. */
export const refusal: Partial<Record<RejectionReason, string>> = {
  ITEM_EQUIPPED: 'You are wearing that. Remove it first.',
  SLOT_OCCUPIED: 'You are already wearing something there.',
  ITEM_ALREADY_EQUIPPED: 'You are already using that.',
  NOT_EQUIPPED: 'You are not using that.',
  ITEM_NOT_HELD: 'That is not there any more.',
  ITEM_ALREADY_HELD: 'That is already there.',
  EXIT_EXISTS: 'There is already an exit that way.',
  DELETED: 'That no longer exists.',
};
