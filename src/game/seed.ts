import { isCommandRejectedError } from '../errors.ts';
import type { Manager } from './Manager.ts';
import type { WorldCommand } from '../world/kinds.ts';

/** Where new characters start. */
export const START_ROOM = 'room:square';

/**
 * Seeds a small world on first start (a no-op when the start room exists, or when another node of a
 * cluster creates it first: the start room is created first and only once): a handful of rooms with
 * exits both ways, and items to pick up, wear and wield. Everything goes through the Manager, so the
 * seed is events like any other change.
 */
export async function seedWorld(manager: Manager): Promise<boolean> {
  if (await manager.state(START_ROOM)) return false;
  const rooms = [
    { id: START_ROOM, name: 'Town Square', description: 'Cobbles ring a dry fountain. Lanes lead off in every direction.' },
    { id: 'room:smithy', name: 'The Smithy', description: 'Heat rolls off the forge. Tools hang on every wall.' },
    { id: 'room:tavern', name: 'The Crooked Tavern', description: 'Low beams, a long bar, and the smell of stew.' },
    { id: 'room:cellar', name: 'Tavern Cellar', description: 'Barrels in the dark. Something drips.' },
    { id: 'room:garden', name: 'Herb Garden', description: 'Neat beds of sage and thyme behind a low wall.' },
  ];
  const [first, ...others] = rooms;
  try {
    await manager.createRoom(first!);
  } catch (error) {
    // Another node of a cluster, starting at the same time, is seeding: its seed is the world's.
    if (isCommandRejectedError(error) && error.reason === 'ALREADY_EXISTS') return false;
    throw error;
  }
  for (const room of others) await manager.createRoom(room);
  await manager.digExit(START_ROOM, 'east', 'room:smithy', 'west');
  await manager.digExit(START_ROOM, 'north', 'room:tavern', 'south');
  await manager.digExit('room:tavern', 'down', 'room:cellar', 'up');
  await manager.digExit(START_ROOM, 'west', 'room:garden', 'east');
  const items = [
    { id: 'obj:helm', name: 'an iron helm', generic: 'armour', heldBy: 'room:smithy', attributes: { slot: 'head' } },
    { id: 'obj:sword', name: 'a short sword', generic: 'weapon', heldBy: 'room:smithy', attributes: { damage: 4, description: 'A plain blade, notched near the hilt.' } },
    { id: 'obj:cloak', name: 'a grey cloak', generic: 'armour', heldBy: 'room:tavern', attributes: { slot: 'body' } },
    { id: 'obj:bread', name: 'a loaf of bread', generic: 'food', heldBy: 'room:tavern' },
    { id: 'obj:chest', name: 'an old chest', generic: 'container', heldBy: 'room:cellar', attributes: { container: true, description: 'Iron bands hold its warped boards together.' } },
    { id: 'obj:lantern', name: 'a brass lantern', generic: 'light', heldBy: 'obj:chest' },
    { id: 'obj:trowel', name: 'a garden trowel', generic: 'tool', heldBy: 'room:garden' },
  ];
  for (const item of items) await manager.createObject(item);
  const rat = { type: 'CreateMobile', id: 'mob:rat', name: 'a rat', roomId: 'room:cellar', stats: { hp: 6, attack: 1 }, route: ['room:cellar', 'room:tavern', 'room:cellar'], wanderEveryMs: 60_000 } satisfies WorldCommand;
  await manager.runtime.execute(rat);
  const prices = { lantern: { buy: 12, sell: 5 }, bread: { buy: 2, sell: 1 }, rope: { buy: 4, sell: 2 } };
  const shop = { type: 'OpenShop', id: 'shop:general', name: 'the general store', roomId: 'room:square', currency: 'gold', prices, stock: { lantern: 3, bread: 10, rope: 5 }, till: 50 } satisfies WorldCommand;
  await manager.runtime.execute(shop);
  return true;
}
