import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLoginLimiter } from '../../src/game/login/limiter.ts';
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

describe('the login limiter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('locks an address after its failures, but only slows a name, one attempt at a time', async () => {
    vi.useFakeTimers();
    const limiter = createLoginLimiter({ addressFailures: 3, freeFailures: 2, baseDelayMs: 1000, maxDelayMs: 4000 });
    const fail = () => Promise.resolve(false);
    expect(await limiter.attempt('10.0.0.1', 'dee', fail)).toBe('failed');
    expect(await limiter.attempt('10.0.0.2', 'dee', fail)).toBe('failed');
    expect(limiter.addressLocked('10.0.0.1')).toBe(false);

    // Two failures on "dee": the next attempts wait 1 s, then 2 s, whichever address they come from,
    // and never run side by side.
    let running = 0;
    let overlapped = false;
    const calls: number[] = [];
    const probe = async () => {
      running++;
      overlapped ||= running > 1;
      calls.push(Date.now());
      await Promise.resolve();
      running--;
      return false;
    };
    const start = Date.now();
    const third = limiter.attempt('10.0.0.3', 'Dee', probe);
    const fourth = limiter.attempt('10.0.0.4', 'DEE', probe);
    await vi.advanceTimersByTimeAsync(999);
    expect(calls).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(2000);
    expect(calls).toHaveLength(2);
    await Promise.all([third, fourth]);
    expect(overlapped).toBe(false);
    expect(calls.map((t) => t - start)).toEqual([1000, 3000]);

    // The owner is slowed, never refused: the right password still gets in, and clears the slowing.
    const owner = limiter.attempt('10.0.0.9', 'dee', () => Promise.resolve(true));
    await vi.advanceTimersByTimeAsync(4000);
    expect(await owner).toBe('ok');
    expect(limiter.addressLocked('10.0.0.9')).toBe(false);

    // Attempts waiting on one name are bounded: beyond them, refused at once rather than queued.
    await limiter.attempt('10.0.0.5', 'gus', fail);
    await limiter.attempt('10.0.0.6', 'gus', fail);
    const queued = [1, 2, 3].map((i) => limiter.attempt(`10.0.1.${i}`, 'gus', fail));
    expect(await limiter.attempt('10.0.1.4', 'gus', fail)).toBe('busy');
    await vi.advanceTimersByTimeAsync(20_000);
    expect(await Promise.all(queued)).toEqual(['failed', 'failed', 'failed']);

    // Three failures from one address lock that address.
    await limiter.attempt('10.0.0.1', 'x', fail);
    await limiter.attempt('10.0.0.1', 'y', fail);
    expect(limiter.addressLocked('10.0.0.1')).toBe(true);
    let checked = false;
    expect(await limiter.attempt('10.0.0.1', 'z', async () => (checked = true))).toBe('locked');
    expect(checked).toBe(false);
  });
});
