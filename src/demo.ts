import type { Command } from './world/commands.ts';
import { hashPassword } from './domain/password.ts';
import { redactSecrets } from './domain/redact.ts';
import type { Runtime } from './runtime/runtime.ts';

/**
 * A scripted scene on a runtime: seeds a small world on first run, then plays a few actions.
 * Every line printed is read back from the store or an actor, never from local variables.
 */
export async function runDemo(runtime: Runtime, print: (line: string) => void): Promise<void> {
  if (!(await runtime.state('town-square'))) {
    const seed: Command[] = [
      { type: 'CreateRoom', id: 'town-square', name: 'Town Square', description: 'A cobbled square around a dry fountain.' },
      { type: 'CreateRoom', id: 'smithy', name: 'Smithy', description: 'Heat rolls off the forge.' },
      { type: 'AddRoomExit', id: 'town-square', direction: 'east', targetRoomId: 'smithy' },
      { type: 'AddRoomExit', id: 'smithy', direction: 'west', targetRoomId: 'town-square' },
      { type: 'CreateGameObject', id: 'iron-helm', name: 'an iron helm', generic: 'armour', containerId: 'smithy' },
      { type: 'AddItemToInventory', id: 'smithy', itemId: 'iron-helm' },
      { type: 'CreatePlayer', id: 'ann', name: 'Ann', passwordHash: await hashPassword('demo-password') },
      { type: 'UpdateGameObjectContainer', id: 'ann', containerId: 'town-square' },
    ];
    for (const command of seed) await runtime.execute(command, { actorId: 'demo' });
    print('Seeded a new world.');
  }
  const ann = await runtime.state('ann');
  if (ann && ann.inventory.length === 0) {
    // Ann walks east, takes the helm from the smithy and wears it.
    const steps: Command[] = [
      { type: 'UpdateGameObjectContainer', id: 'ann', containerId: 'smithy' },
      { type: 'RemoveItemFromInventory', id: 'smithy', itemId: 'iron-helm' },
      { type: 'UpdateGameObjectContainer', id: 'iron-helm', containerId: 'ann' },
      { type: 'AddItemToInventory', id: 'ann', itemId: 'iron-helm' },
      { type: 'EquipItem', id: 'ann', itemId: 'iron-helm', slot: 'head' },
    ];
    for (const command of steps) await runtime.execute(command, { actorId: 'ann' });
    print('Ann walked east, took the iron helm and put it on.');
  } else {
    await runtime.execute({ type: 'UpdateGameObjectAttribute', id: 'ann', key: 'visits', value: ((ann?.attributes['visits'] as number | undefined) ?? 0) + 1 });
    print('Ann is already wearing the helm; counted another visit.');
  }
  try {
    await runtime.execute({ type: 'RemoveItemFromInventory', id: 'ann', itemId: 'iron-helm' });
  } catch (error) {
    print(`Dropping a worn helm is refused: ${(error as Error).message}`);
  }

  const state = await runtime.state('ann');
  print(`Ann is in ${state?.containerId}, holds [${state?.inventory.join(', ')}], wears ${JSON.stringify(state?.equipment)}.`);
  print('History of ann:');
  for (const event of await runtime.history('ann')) {
    print(`  v${event.version} #${event.position} ${event.occurredAt} ${event.type} ${JSON.stringify(redactSecrets(event.data))}`);
  }
  const before = await runtime.stateAt('ann', { version: 3 });
  print(`Ann at version 3 was in ${before?.containerId}.`);
  print(`Stats: ${JSON.stringify(await runtime.stats())}`);
}
