import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };

/** How many of ImmuDB's client modules (immudb-node, gRPC) a fresh process has loaded after importing `module`. */
function grpcModulesLoadedBy(module: string): number {
  const script = `import(${JSON.stringify(module)}).then(() => console.log(Object.keys(require('module')._cache).filter((k) => /grpc|immudb-node/.test(k)).length))`;
  return Number(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' }).trim());
}

describe('store adapters as entry points', () => {
  it('declares aethyr-runtime/sqlite, /immudb and /postgres', () => {
    expect(packageJson.exports).toMatchObject({
      './sqlite': { default: './dist/src/eventStore/sqlite/index.js' },
      './immudb': { default: './dist/src/eventStore/immudb/index.js' },
      './postgres': { default: './dist/src/eventStore/postgres/index.js' },
    });
  });

  it("importing the runtime does not load ImmuDB's gRPC client; importing the ImmuDB entry does", () => {
    expect(grpcModulesLoadedBy('./src/index.ts')).toBe(0);
    expect(grpcModulesLoadedBy('./src/eventStore/postgres/index.ts')).toBe(0);
    expect(grpcModulesLoadedBy('./src/eventStore/immudb/index.ts')).toBeGreaterThan(0);
  });
});
