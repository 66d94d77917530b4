import { describe, expect, it } from 'vitest';
import { formatForClient, stripColor, color } from '../../src/game/verbs/output.ts';
import { findVerb, helpText } from '../../src/game/verbs/table.ts';
import { direction, opposite, own } from '../../src/game/verbs/words.ts';

describe('the verb table', () => {
  it('finds verbs by name and alias, builders only for builders, and never through the prototype chain', () => {
    expect(findVerb('l', false)?.name).toBe('look');
    expect(findVerb('TAKE', false)?.name).toBe('get');
    expect(findVerb("'", false)?.name).toBe('say');
    expect(findVerb('@dig', false)).toBeUndefined();
    expect(findVerb('@dig', true)?.name).toBe('@dig');
    for (const word of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) expect(findVerb(word, true)).toBeUndefined();
  });

  it('help lists what a player may use and explains one verb', () => {
    expect(helpText('', false)).not.toContain('@dig');
    expect(helpText('', true)).toContain('@dig');
    expect(helpText('i', false)).toMatch(/^inventory \(i\)\nLists what you carry/);
    expect(helpText('nonsense', false)).toBe('No help on "nonsense". Type help for a list of commands.');
  });

  it('directions and exits are own-property lookups', () => {
    expect(direction('N')).toBe('north');
    expect(opposite('up')).toBe('down');
    expect(opposite('constructor')).toBeUndefined();
    expect(own({ north: 'room:a' }, 'constructor')).toBeUndefined();
    expect(own({ north: 'room:a' }, 'north')).toBe('room:a');
  });
});

describe('output for clients', () => {
  it('wraps to the width, keeping indentation and ignoring colour codes when counting', () => {
    const text = `${color.item('sword')} ${'word '.repeat(40).trim()}\n  ${'indented '.repeat(12).trim()}`;
    const out = formatForClient(text, 40, true);
    for (const line of out.split('\n')) expect([...stripColor(line)].length).toBeLessThanOrEqual(40);
    expect(out.split('\n').filter((l) => l.startsWith('  indented')).length).toBeGreaterThan(1);
    expect(out).toContain('\x1b[33msword');
  });

  it('counts CJK letters as two columns', () => {
    const out = formatForClient('本田 '.repeat(10).trim(), 20, true);
    expect(out.split('\n')[0]).toBe('本田 本田 本田 本田');
  });

  it('cuts a word longer than the line, and strips colour when asked', () => {
    const out = formatForClient(`${'x'.repeat(50)} end`, 20, false);
    expect(out.split('\n')).toEqual(['x'.repeat(20), 'x'.repeat(20), 'x'.repeat(10) + ' end']);
    expect(formatForClient(color.room('Hall'), 80, false)).toBe('Hall');
  });
});
