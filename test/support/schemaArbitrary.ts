import fc from 'fast-check';
import type { z } from 'zod';

type Def = { type: string; [key: string]: unknown };
const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

/** Small pools, so random histories hit the same ids, keys and slots again and again. */
const words = fc.constantFrom('a', 'b', 'c', 'north', 'head', 'constructor', '__proto__');

/**
 * A fast-check arbitrary for values a zod schema accepts, derived from the schema itself: an event
 * type added to a definition gets generated data without anyone writing an arbitrary for it. Values
 * the walk produces but the schema refuses (lengths, ranges) are filtered out.
 */
/** Arbitraries for object fields by name (small pools of ids, slots, directions), used wherever the field appears. */
export type FieldArbitraries = Readonly<Record<string, fc.Arbitrary<unknown>>>;

export function arbitraryFor<T>(schema: z.ZodType<T>, fields: FieldArbitraries = {}): fc.Arbitrary<T> {
  return (raw(schema, 0, fields) as fc.Arbitrary<T>).filter((value) => schema.safeParse(value).success);
}

function raw(schema: unknown, depth: number, fields: FieldArbitraries = {}): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'string': {
      const checks = (def['checks'] ?? []) as { _zod: { def: { pattern?: RegExp } } }[];
      const pattern = checks.map((c) => c._zod.def.pattern).find((p) => p instanceof RegExp);
      return pattern ? fc.stringMatching(pattern, { size: 'xsmall' }) : words;
    }
    case 'number':
      return fc.integer({ min: -3, max: 5 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'literal':
      return fc.constantFrom(...(def['values'] as unknown[]));
    case 'enum':
      return fc.constantFrom(...Object.values(def['entries'] as Record<string, unknown>));
    case 'optional':
      return fc.option(raw(def['innerType'], depth, fields), { nil: undefined });
    case 'nullable':
      return fc.option(raw(def['innerType'], depth, fields), { nil: null });
    case 'default':
    case 'readonly':
    case 'nonoptional':
      return raw(def['innerType'], depth, fields);
    case 'pipe':
      return raw(def['in'], depth, fields);
    case 'array':
      return depth > 2 ? fc.constant([]) : fc.array(raw(def['element'], depth + 1, fields), { maxLength: 3 });
    case 'record':
      return depth > 2 ? fc.constant({}) : fc.dictionary(raw(def['keyType'], depth + 1, fields) as fc.Arbitrary<string>, raw(def['valueType'], depth + 1, fields), { maxKeys: 2 });
    case 'union':
      return fc.oneof(...(def['options'] as unknown[]).map((o) => raw(o, depth, fields)));
    case 'object': {
      const shape = def['shape'] as Record<string, unknown>;
      const entries = Object.entries(shape).map(([k, v]) => [k, fields[k] ?? raw(v, depth + 1, fields)] as const);
      return fc.record(Object.fromEntries(entries), { requiredKeys: Object.keys(shape).filter((k) => defOf(shape[k]).type !== 'optional') });
    }
    case 'lazy':
      // z.json() and recursive schemas: plain JSON values, shallow.
      return depth > 2 ? fc.constant(null) : fc.oneof(fc.integer({ min: -3, max: 3 }), words, fc.boolean(), fc.constant(null));
    default:
      throw new Error(`arbitraryFor: zod ${def.type} schemas are not supported yet; add a case here`);
  }
}

/** Random events of the given specs (type + data from each data schema). */
export function eventArbitrary(events: Readonly<Record<string, { readonly schema: z.ZodType }>>, fields: FieldArbitraries = {}): fc.Arbitrary<{ type: string; data: unknown }> {
  const types = Object.keys(events);
  if (types.length === 0) throw new Error('eventArbitrary: no event types');
  return fc.oneof(...types.map((type) => arbitraryFor((events[type] as { schema: z.ZodType }).schema, fields).map((data) => ({ type, data }))));
}
