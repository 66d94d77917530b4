import { cpus } from 'node:os';

/** One benchmark's outcome: our figures, the baseline measured beside them in the same run, ratios. */
export interface BenchResult {
  readonly name: string;
  readonly params: Record<string, unknown>;
  readonly figures: Record<string, number>;
  readonly baseline: Record<string, number>;
  /** figure / baseline (for rates) or baseline / figure (for costs): above 1 means we do better. */
  readonly ratios: Record<string, number>;
  readonly goals?: Record<string, string>;
  readonly notes?: readonly string[];
}

export interface BenchContext {
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

export type Benchmark = (context: BenchContext) => Promise<BenchResult>;

export const machine = () => ({ node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length });

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export async function timed<T>(fn: () => Promise<T> | T): Promise<{ result: T; seconds: number }> {
  const start = process.hrtime.bigint();
  const result = await fn();
  return { result, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
}

export const round = (n: number, digits = 3): number => Number(n.toPrecision(digits));

/** Deterministic PRNG (mulberry32): the same seed gives the same data set on every machine. */
export function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T,
    hex: (n: number) => Array.from({ length: n }, () => Math.floor(next() * 16).toString(16)).join(''),
  };
}

export function formatTable(results: readonly BenchResult[]): string {
  const lines: string[] = [];
  const m = machine();
  lines.push(`machine: ${m.cpu}, ${m.cores} cores, node ${m.node}`);
  for (const r of results) {
    lines.push('', `## ${r.name}  ${JSON.stringify(r.params)}`);
    for (const [key, value] of Object.entries(r.figures)) lines.push(`  ${key.padEnd(34)} ${String(value).padStart(12)}${r.goals?.[key] ? `   (goal ${r.goals[key]})` : ''}`);
    for (const [key, value] of Object.entries(r.baseline)) lines.push(`  baseline ${key.padEnd(25)} ${String(value).padStart(12)}`);
    for (const [key, value] of Object.entries(r.ratios)) lines.push(`  ratio ${key.padEnd(28)} ${String(value).padStart(12)}${r.goals?.[key] ? `   (goal ${r.goals[key]})` : ''}`);
    for (const note of r.notes ?? []) lines.push(`  note: ${note}`);
  }
  return lines.join('\n');
}

/** The replay baseline: one thread reading every event row in global order and JSON.parse-ing it. */
export async function readAndParseAll(path: string): Promise<{ result: number; seconds: number }> {
  const { default: Database } = await import('better-sqlite3');
  return timed(() => {
    const db = new Database(path, { readonly: true });
    let n = 0;
    for (const row of db.prepare('SELECT * FROM events ORDER BY position').iterate() as Iterable<{ data: string; metadata: string }>) {
      JSON.parse(row.data);
      JSON.parse(row.metadata);
      n++;
    }
    db.close();
    return n;
  });
}
