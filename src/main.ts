import { loadConfig } from './config/loadConfig.ts';
import { runDemo } from './demo.ts';
import { isRuntimeError } from './errors.ts';
import { createRuntime } from './runtime/runtime.ts';

/** The main job on the embedded default: open the configured SQLite world and play the demo scene. */
async function main(): Promise<void> {
  const config = loadConfig(process.argv[2] ?? 'conf/server.yml');
  const runtime = createRuntime(config);
  try {
    console.log(`World store: ${config.store.path} (SQLite, durability ${config.store.durability})`);
    await runDemo(runtime, (line) => console.log(line));
  } finally {
    await runtime.close();
  }
}

main().catch((error: unknown) => {
  console.error(isRuntimeError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
});
