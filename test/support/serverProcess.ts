import type { ChildProcess } from 'node:child_process';

/**
 * Polls `probe` until it succeeds (no fixed sleeps): throws with the server's log when the process
 * exits first or the deadline passes.
 */
export async function waitUntilReady(name: string, child: ChildProcess, probe: () => Promise<void>, log: () => string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isRunning(child)) throw new Error(`${name} exited with ${child.exitCode ?? child.signalCode}:\n${log()}`);
    try {
      await probe();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw new Error(`${name} did not become ready: ${(error as Error).message}\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Whether the process is still running (a process killed by a signal has a null exitCode but a signalCode). */
export const isRunning = (child: ChildProcess | undefined): boolean => child !== undefined && child.exitCode === null && child.signalCode === null;
