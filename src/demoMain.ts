import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { loadConfig } from './config/loadConfig.ts';
import { runDemo } from './demo.ts';
import { createRuntime } from './createRuntime.ts';
import { describe, isRuntimeError } from './errors.ts';
import { silentLogger } from './runtime/logger.ts';

/** Where the demo keeps its scene: a world of its own, never the game's. */
const DEFAULT_DEMO_STORE = 'data/demo.db';

/**
 * A scripted scene (`npm run demo [-- --store FILE]`), for a look at the runtime without a client. It
 * writes into its own SQLite file (data/demo.db by default), never into the game's world.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const at = args.indexOf('--store');
  const path = resolve((at >= 0 ? args[at + 1] : undefined) ?? process.env['AETHYR_DEMO_PATH'] ?? DEFAULT_DEMO_STORE);
  const world = resolve(loadConfig('conf/server.yml').sqlite.path);
  if (path === world) throw new Error(`the demo's store ${path} is the game's world file; give the demo a file of its own (--store FILE)`);
  mkdirSync(dirname(path), { recursive: true });
  const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
  try {
    console.log(`Demo store: ${path} (SQLite, its own file; the game's world ${world} is not touched)`);
    await runDemo(runtime, (line) => console.log(line));
  } finally {
    await runtime.close();
  }
}

main().catch((error: unknown) => {
  console.error(`error: ${isRuntimeError(error) ? `${error.code}: ${error.message}` : describe(error)}`);
  process.exitCode = 1;
});
