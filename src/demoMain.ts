import { loadConfig } from './config/loadConfig.ts';
import { runDemo } from './demo.ts';
import { isRuntimeError } from './errors.ts';
import { openRuntime } from './openRuntime.ts';

/** A scripted scene on the configured world (`npm run demo`), for a look at the runtime without a client. */
async function main(): Promise<void> {
  const config = loadConfig(process.argv[2] ?? 'conf/server.yml');
  const runtime = await openRuntime(config);
  try {
    console.log(
      runtime.storeKind === 'sqlite'
        ? `World store: ${config.sqlite.path} (SQLite, durability ${config.sqlite.durability})`
        : `World store: ImmuDB ${config.immudb.host}:${config.immudb.port}/${config.immudb.database}`,
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
