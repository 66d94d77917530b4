import { describe, expect, it } from 'vitest';
import { checkName, nameSkeleton } from '../../src/game/login/names.ts';
import { playerId } from '../../src/game/Manager.ts';

describe('names', () => {
  it('accepts letters of one script, normalised, and folds look-alikes into one id', () => {
    expect(checkName('  Zoe\u0308 ')).toEqual({ ok: true, name: 'Zo\u00eb' });
    expect(checkName('Ｊｏｈｎ')).toEqual({ ok: true, name: 'John' }); // full-width folds (NFKC)
    expect(checkName('Дмитрий').ok).toBe(true);
    expect(checkName('さくら').ok).toBe(true);
    expect(checkName('Ann')).toEqual({ ok: true, name: 'Ann' });
    expect(playerId('Ann')).toBe('player:ann');
    expect(playerId('\u0410\u043f\u043f')).not.toBe('player:ann'); // Cyrillic "Апп" only looks like Ann in some fonts; п is not n
    expect(nameSkeleton('\u0410\u0441\u0435')).toBe('ace');
    expect(nameSkeleton('ΑΟ')).toBe('ao');
  });

  it('refuses mixed scripts, controls, bidi overrides, zero-width joiners and odd lengths', () => {
    for (const bad of ['A', 'a'.repeat(21), 'Pa\u0443l', 'Ann\u200d', 'An\u202en', 'Ann\u0007', '1ann', 'an n', 'a\u0301\u0301\u0301b', '']) {
      expect(checkName(bad).ok, JSON.stringify(bad)).toBe(false);
    }
  });
});
