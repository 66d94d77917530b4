import { createHash } from 'node:crypto';
import type { AnyStateMachine } from 'xstate';

/**
 * A number that changes whenever the machine's meaning may change: its states and transitions (the
 * config, with guards and actions by name), and the source of every action and guard implementation
 * (an assign's function; a wrapper may name what it wraps in `fingerprintSource`). Snapshots are
 * stamped with it, so a snapshot made by another machine is ignored without a constant to bump.
 * 48 bits of a SHA-256: an integer every store keeps exactly.
 */
export function machineFingerprint(machine: AnyStateMachine): number {
  const hash = createHash('sha256');
  hash.update(stableJson(machine.config));
  const { actions = {}, guards = {} } = (machine.implementations ?? {}) as { actions?: Record<string, unknown>; guards?: Record<string, unknown> };
  for (const [kind, table] of [['action', actions], ['guard', guards]] as const) {
    for (const name of Object.keys(table).sort()) hash.update(`\n${kind} ${name}: ${sourceOf(table[name])}`);
  }
  return Number.parseInt(hash.digest('hex').slice(0, 12), 16);
}

function sourceOf(implementation: unknown): string {
  if (typeof implementation !== 'function' && (typeof implementation !== 'object' || implementation === null)) return String(implementation);
  const { assignment, fingerprintSource, type } = implementation as { assignment?: unknown; fingerprintSource?: unknown; type?: unknown };
  const parts = [typeof type === 'string' ? type : '', String(fingerprintSource ?? '')];
  if (assignment !== undefined) parts.push(typeof assignment === 'function' ? String(assignment) : stableJson(assignment));
  else parts.push(String(implementation));
  return normalize(parts.join(' '));
}

/**
 * Source text without comments, whitespace, semicolons and trailing commas: what a transpiler
 * (tsx, vite, tsc) may change without changing meaning, so every loader of the same code computes
 * the same fingerprint (a worker thread under tsx and a test under vite, for instance). A difference
 * left over costs only a replay: a snapshot is ignored, never misread.
 */
function normalize(source: string): string {
  return (
    source
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/(^|[^:'"`\\])\/\/[^\n]*/g, '$1')
      // Imports as bundlers rewrite them: vite's SSR namespaces, esbuild's CommonJS (worker threads).
      .replace(/\(0,\s*([\w$]+\.[\w$]+)\)/g, ' $1')
      .replace(/\b(?:__vite_ssr_import_\d+__|import_[\w$]+)\.([\w$]+)/g, '$1')
      .replace(/[\s;]+/g, '')
      .replace(/,(?=[)\]}])/g, '')
      // Parentheses around a lone arrow parameter.
      .replace(/\(([\w$]+)\)=>/g, '$1=>')
  );
}

/** JSON with sorted keys; functions by their source. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'function') return `fn:${normalize(String(v))}`;
    if (v && typeof v === 'object' && !Array.isArray(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, (v as Record<string, unknown>)[k]]));
    return v;
  });
}
