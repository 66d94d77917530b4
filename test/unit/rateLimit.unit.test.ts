import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoginGuard } from '../../src/game/server/rateLimit.ts';

function guard(now: { t: number }) {
  return new LoginGuard({ failuresPerAddress: 5, slowdownBaseMs: 1000, slowdownMaxMs: 8000 }, () => now.t);
}

describe('LoginGuard (issue 12: brute force without a lockout)', () => {
  it('counts attempts in progress, so parallel guesses from one address stop at the limit', () => {
    const now = { t: 0 };
    const g = guard(now);
    const slots = Array.from({ length: 20 }, (_, i) => g.reserve(`name${i}`, '10.0.0.1'));
    expect(slots.filter((s) => s.allowed)).toHaveLength(5);
    expect(slots.at(-1)).toMatchObject({ allowed: false, reason: 'address' });
  });

  it('spaces guesses for one name across addresses, doubling, and refuses beyond the maximum wait', () => {
    const now = { t: 0 };
    const g = guard(now);
    const slots = Array.from({ length: 10 }, (_, i) => g.reserve('Dee', `10.0.0.${i}`));
    const waits = slots.flatMap((s) => (s.allowed ? [s.waitMs] : []));
    expect(waits).toEqual([0, 1000, 3000, 7000]);
    expect(slots[4]).toMatchObject({ allowed: false, reason: 'name' });
    for (const s of slots) if (s.allowed) s.release('failed');
    now.t = 7000;
    const next = g.reserve('Dee', '10.0.1.1');
    expect(next).toMatchObject({ allowed: true });
  });

  it('never locks the owner out: an address that logged in as the name is not slowed by others', () => {
    const now = { t: 0 };
    const g = guard(now);
    const own = g.reserve('Dee', '192.168.0.7');
    if (!own.allowed) throw new Error('expected a slot');
    own.release('ok');
    for (let i = 0; i < 8; i++) g.reserve('Dee', `10.0.0.${i}`);
    expect(g.reserve('Dee', '10.9.9.9')).toMatchObject({ allowed: false, reason: 'name' });
    expect(g.reserve('Dee', '192.168.0.7')).toMatchObject({ allowed: true, waitMs: 0 });
  });

  it('an address locks only itself, and unlocks after the window', () => {
    const now = { t: 0 };
    const g = guard(now);
    for (let i = 0; i < 5; i++) {
      const s = g.reserve(`n${i}`, '10.0.0.1');
      if (s.allowed) s.release('failed');
    }
    expect(g.addressLocked('10.0.0.1')).toBe(true);
    expect(g.addressLocked('10.0.0.2')).toBe(false);
    now.t = 61_000;
    expect(g.addressLocked('10.0.0.1')).toBe(false);
  });

  describe('attempt: one password check as the login flow runs it', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('waits out the name\'s slowdown, refuses beyond the maximum wait, lets the owner in, and checks nothing for a locked address', async () => {
      vi.useFakeTimers();
      const g = new LoginGuard({ failuresPerAddress: 3, slowdownBaseMs: 1000, slowdownMaxMs: 4000 });
      g.trust('Dee', '10.0.0.9'); // Dee's owner created the character from there
      const calls: number[] = [];
      const wrong = async () => {
        calls.push(Date.now());
        return false;
      };
      const start = Date.now();
      // Three guesses at once from three addresses: checked at 0, 1 s and 3 s (each failure doubles the gap).
      const guesses = ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address) => g.attempt('Dee', address, wrong));
      expect(await g.attempt('dee', '10.0.0.4', wrong)).toEqual({ result: 'busy', retryAfterMs: 7000 });
      await vi.advanceTimersByTimeAsync(999);
      expect(calls).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1);
      expect(calls).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(2000);
      expect(await Promise.all(guesses)).toEqual([
        { result: 'failed', waitedMs: 0 },
        { result: 'failed', waitedMs: 1000 },
        { result: 'failed', waitedMs: 3000 },
      ]);
      expect(calls.map((t) => t - start)).toEqual([0, 1000, 3000]);

      // The owner is not slowed by the strangers' guesses.
      expect(await g.attempt('DEE', '10.0.0.9', async () => true)).toEqual({ result: 'ok', waitedMs: 0 });

      // Three failures from one address lock it; a locked address gets no password check at all.
      await g.attempt('x', '10.0.0.1', wrong);
      await g.attempt('y', '10.0.0.1', wrong);
      let checked = false;
      const locked = await g.attempt('z', '10.0.0.1', async () => (checked = true));
      expect(locked).toMatchObject({ result: 'locked' });
      expect(checked).toBe(false);
    });
  });
});
