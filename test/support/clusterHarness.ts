import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** Starts a support script (test/support/<name>.ts) in its own Node process and waits for its "ready" line. */
export async function spawnReady(name: string, args: readonly string[]): Promise<ChildProcess> {
  const script = resolve(import.meta.dirname, `${name}.ts`);
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  await new Promise<void>((ready, failed) => {
    proc.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('ready\n')) ready();
    });
    proc.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    proc.once('exit', (code) => failed(new Error(`${name} ${args.at(-1) ?? ''} exited with ${code}:\n${output}`)));
  });
  return proc;
}
