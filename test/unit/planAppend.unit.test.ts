import { describe, expect, it } from 'vitest';
import { GENESIS } from '../../src/eventStore/integrity.ts';
import { appendResults, planAppend, type AppendContext } from '../../src/eventStore/pipeline/planAppend.ts';
import { attribute, created, newEvents } from '../support/events.ts';

const empty: AppendContext = { heads: new Map(), existing: new Map(), chainHash: GENESIS };

describe('planAppend (the one append planner every store uses)', () => {
  it('links parts to the same stream one after the other, and the chain through all of them', () => {
    const plan = planAppend(
      [
        { streamId: 'a', events: newEvents(created('A')), options: { expectedVersion: 'no_stream' } },
        { streamId: 'b', events: newEvents(created('B'), attribute('k', 1)) },
        { streamId: 'a', events: newEvents(attribute('k', 2)), options: { expectedVersion: 1 } },
      ],
      empty,
    );
    if (plan.kind !== 'write') throw new Error('expected a write plan');
    expect(plan.parts.map((p) => [p.streamId, p.version, p.created])).toEqual([
      ['a', 1, true],
      ['b', 2, true],
      ['a', 2, false],
    ]);
    expect(plan.parts[2]?.rows[0]?.version).toBe(2);
    expect(plan.chainHash).toBe(plan.parts[2]?.rows[0]?.chain_hash);
    const results = appendResults(plan, [[1], [2, 3], [4]]);
    expect(results.map((r) => r.events.map((e) => e.position))).toEqual([[1], [2, 3], [4]]);
  });

  it('checks expected versions against the heads it is given, counting earlier parts', () => {
    const heads = new Map([['a', { version: 3, hash: 'h' }]]);
    expect(() => planAppend([{ streamId: 'a', events: newEvents(attribute('k', 1)), options: { expectedVersion: 2 } }], { ...empty, heads })).toThrow(/expected version 2, found 3/);
    expect(() =>
      planAppend(
        [
          { streamId: 'a', events: newEvents(attribute('k', 1)), options: { expectedVersion: 3 } },
          { streamId: 'a', events: newEvents(attribute('k', 2)), options: { expectedVersion: 3 } },
        ],
        { ...empty, heads },
      ),
    ).toThrow(/expected version 3, found 4/);
  });

  it('answers a full re-send with ranges to read back, and refuses a partial one or a foreign id', () => {
    const events = newEvents(created('A'), attribute('k', 1));
    const existing = new Map([
      [events[0]!.eventId, { streamId: 'a', version: 4 }],
      [events[1]!.eventId, { streamId: 'a', version: 5 }],
    ]);
    expect(planAppend([{ streamId: 'a', events, options: { expectedVersion: 'no_stream' } }], { ...empty, existing })).toEqual({
      kind: 'resent',
      ranges: [{ streamId: 'a', fromVersion: 4, toVersion: 5 }],
    });
    // The same ids elsewhere, or only some of them stored, or out of place: a duplicate, never "ok".
    expect(() => planAppend([{ streamId: 'b', events }], { ...empty, existing })).toThrow(expect.objectContaining({ code: 'DUPLICATE_EVENT', existingStreamId: 'a' }));
    expect(() => planAppend([{ streamId: 'a', events: [events[0]!, ...newEvents(attribute('k', 9))] }], { ...empty, existing })).toThrow(expect.objectContaining({ code: 'DUPLICATE_EVENT' }));
    expect(() => planAppend([{ streamId: 'a', events: [events[1]!, events[0]!] }], { ...empty, existing })).toThrow(expect.objectContaining({ code: 'DUPLICATE_EVENT' }));
    const [once] = newEvents(created('C'));
    expect(() => planAppend([{ streamId: 'c', events: [once!, once!] }], empty)).toThrow(expect.objectContaining({ code: 'DUPLICATE_EVENT', existingStreamId: 'c' }));
  });
});
