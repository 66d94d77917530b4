/**
 * Child process for the limits test: opens the same SQLite file in a fresh process, loads each
 * aggregate named on the command line (snapshot + replay, as a restart would) and prints their
 * states as one JSON object, or the error it met. Proves that what was accepted loads again.
 */
import { writeSync } from 'node:fs';
import { createRuntime, silentLogger } from '../../src/index.ts';

const [path, ...ids] = process.argv.slice(2) as [string, ...string[]];
const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
const states: Record<string, unknown> = {};
try {
  for (const id of ids) states[id] = await runtime.state(id);
  writeSync(1, JSON.stringify({ ok: true, states }));
} catch (error) {
  writeSync(1, JSON.stringify({ ok: false, error: String(error) }));
} finally {
  await runtime.close();
}
