import { formatTable, machine, type BenchResult, type Benchmark } from './lib/harness.ts';
import { cluster } from './cluster.bench.ts';
import { commands } from './commands.bench.ts';
import { immudb } from './immudb.bench.ts';
import { memory } from './memory.bench.ts';
import { peer } from './peer.bench.ts';
import { postgres } from './postgres.bench.ts';
import { projections } from './projections.bench.ts';
import { replay } from './replay.bench.ts';
import { spawn } from './spawn.bench.ts';

const benchmarks: Record<string, Benchmark> = { replay, spawn, commands, memory, projections, peer, immudb, postgres, cluster };

/** `npm run bench -- [name ...] [--quick] [--json]` */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const json = args.includes('--json');
  const names = args.filter((a) => !a.startsWith('--'));
  for (const name of names) if (!benchmarks[name]) throw new Error(`unknown benchmark ${name}; known: ${Object.keys(benchmarks).join(', ')}`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const results: BenchResult[] = [];
  for (const name of names.length ? names : Object.keys(benchmarks)) {
    log(`# ${name}${quick ? ' (quick)' : ''}`);
    const result = await (benchmarks[name] as Benchmark)({ quick, log });
    results.push(result);
    if (json) process.stdout.write(`${JSON.stringify({ ...result, ...machine() })}\n`);
  }
  if (!json) process.stdout.write(`${formatTable(results)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
