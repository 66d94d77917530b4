import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { xstateFold } from '../../src/definition/fold.ts';
import { AggregateRegistry } from '../../src/definition/registry.ts';
import { worldAggregates } from '../../src/world/kinds.ts';
import { eventArbitrary } from '../support/schemaArbitrary.ts';
import { counter } from '../support/testKinds.ts';

// Every kind a runtime could host here: the world's and the guarded test kind.
const registry = new AggregateRegistry([...worldAggregates, counter]);

/** Every event type any hosted kind declares (own and traits'), from the registry: none can be left out. */
function declaredEvents(): Record<string, { schema: import('zod').ZodType }> {
  const all: Record<string, { schema: import('zod').ZodType }> = {};
  for (const kind of registry.kinds.values()) {
    const definition = kind.definition;
    for (const part of [definition, ...(definition.traits ?? [])]) Object.assign(all, part.events);
  }
  return all;
}

describe('the fold equals XState transition() (property)', () => {
  const events = declaredEvents();
  it('covers every declared event type', () => {
    const declared = new Set([...registry.kinds.values()].flatMap((k) => [...k.eventTypes]));
    expect(new Set(Object.keys(events))).toEqual(declared);
  });
  it.each([...registry.kinds.keys()])('for any history of events of any kind, applied to a %s', (name) => {
    const kind = registry.kind(name);
    fc.assert(
      fc.property(fc.array(eventArbitrary(events), { maxLength: 30 }), (history) => {
        const start = kind.initial('x');
        let fast: unknown;
        let reference: unknown;
        try {
          fast = kind.fold(start, history);
        } catch {
          fast = { threw: true };
        }
        try {
          reference = xstateFold(kind.machine, start, history);
        } catch {
          reference = { threw: true };
        }
        expect(fast).toEqual(reference);
      }),
      { numRuns: 300 },
    );
  });
});
