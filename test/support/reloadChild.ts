/**
 * Child process for the limits test: opens the same SQLite file in a fresh process, loads each
 * aggregate named on the command line (snapshot + replay, as a restart would) and prints their
 * states as one JSON object, or the error it met. Proves that what was accepted loads again.
 */
import { createRuntime, silentLogger } from '../../src/index.ts';

const [path, ...ids] = process.argv.slice(2) as [string, ...string[]];
const runtime = createRuntime({ store: { kind: 'sqlite', path }, logger: silentLogger });
const states: Record<string, unknown> = {};
// stdout is a pipe: write through the stream and wait, since a single writeSync may write only part of a large answer.
const print = (text: string) => new Promise<void>((resolve, reject) => process.stdout.write(text, (error) => (error ? reject(error) : resolve())));
try {
  for (const id of ids) states[id] = await runtime.state(id);
  await print(JSON.stringify({ ok: true, states }));
} catch (error) {
  await print(JSON.stringify({ ok: false, error: String(error) }));
} finally {
  await runtime.close();
}
