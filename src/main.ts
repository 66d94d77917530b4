import { loadConfig } from './config/loadConfig.ts';
import { runDemo } from './demo.ts';
import { isRuntimeError } from './errors.ts';
import { openRuntime } from './runtime/openRuntime.ts';

/** The main job on the embedded default: open the configured SQLite world and play the demo scene. */
async function main(): Promise<void> {
  const config = loadConfig(process.argv[2] ?? 'conf/server.yml');
  const runtime = await openRuntime(config);
  try {
    console.log(
      runtime.storeKind === 'sqlite'
        ? `World store: ${config.sqlite.path} (SQLite, durability ${config.sqlite.durability})`
        : `World store: ImmuDB ${config.store.kind === 'immudb' ? `${config.store.host}:${config.store.port}/${config.store.database}` : ''}`,
    );
    await runDemo(runtime, (line) => console.log(line));
  } finally {
    await runtime.close();
  }
}

main().catch((error: unknown) => {
  console.error(isRuntimeError(error) ? `${error.code}: ${error.message}` : error);
  process.exitCode = 1;
});
