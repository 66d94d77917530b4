import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Temporary folders for real SQLite files, removed by cleanup(). */
export function tempDirs() {
  const dirs: string[] = [];
  return {
    file(name = 'world.db'): string {
      const dir = mkdtempSync(join(tmpdir(), 'aethyr-'));
      dirs.push(dir);
      return join(dir, name);
    },
    cleanup(): void {
      for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
