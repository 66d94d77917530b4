import type { RejectionReason } from '../../errors.ts';

export const DIRECTIONS: Readonly<Record<string, string>> = {
  n: 'north',
  s: 'south',
  e: 'east',
  w: 'west',
  u: 'up',
  d: 'down',
  ne: 'northeast',
  nw: 'northwest',
  se: 'southeast',
  sw: 'southwest',
};

export const OPPOSITE: Readonly<Record<string, string>> = {
  north: 'south',
  south: 'north',
  east: 'west',
  west: 'east',
  up: 'down',
  down: 'up',
  northeast: 'southwest',
  southwest: 'northeast',
  northwest: 'southeast',
  southeast: 'northwest',
  in: 'out',
  out: 'in',
};

/** Does an object's name answer to what a player typed? "helm" matches "an iron helm". */
export function matches(name: string, query: string): boolean {
  const q = query.trim().toLowerCase();
  if (!q) return false;
  const n = name.toLowerCase();
  return n === q || n.split(/\s+/).some((word) => word.startsWith(q));
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
