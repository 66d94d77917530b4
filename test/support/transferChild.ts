/**
 * Child process for the transfer crash test: moves coins back and forth between two chests as fast
 * as it can, through Manager.transfer, until it is killed.
 */
import { writeSync } from 'node:fs';
import { Manager } from '../../src/game/Manager.ts';
import { silentLogger } from '../../src/runtime/logger.ts';
import { createRuntime } from '../../src/createRuntime.ts';

const [path, coins] = [process.argv[2] as string, Number(process.argv[3])];
const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
const manager = new Manager(runtime);
let moves = 0;
for (;;) {
  await Promise.all(
    Array.from({ length: coins }, async (_, i) => {
      const coin = `coin-${i}`;
      const state = await manager.state(coin);
      const from = state?.containerId as string;
      await manager.transfer(coin, from, from === 'chest-a' ? 'chest-b' : 'chest-a');
      moves++;
    }),
  );
  writeSync(1, `${moves}\n`);
}
