/** A token bucket: `capacity` actions at once, refilled at `perSecond`. */
export class TokenBucket {
  readonly #capacity: number;
  readonly #perSecond: number;
  #tokens: number;
  #at: number;

  constructor(capacity: number, perSecond: number, now = Date.now()) {
    this.#capacity = capacity;
    this.#perSecond = perSecond;
    this.#tokens = capacity;
    this.#at = now;
  }

  take(now = Date.now()): boolean {
    this.#tokens = Math.min(this.#capacity, this.#tokens + ((now - this.#at) / 1000) * this.#perSecond);
    this.#at = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}

export interface LoginGuardOptions {
  /** Failed (or pending) password checks per address within `windowMs` before the address is locked out. */
  readonly failuresPerAddress: number;
  /** Delay before the second guess for a name; doubled for each further failure. */
  readonly slowdownBaseMs: number;
  /** A guess that would wait longer than this is refused ("try again shortly") instead of queued. */
  readonly slowdownMaxMs: number;
  readonly windowMs?: number;
}

/** How one password check went: checked (after waiting `waitedMs`), or refused without checking. */
export type LoginAttempt =
  | { readonly result: 'ok' | 'failed'; readonly waitedMs: number }
  | { readonly result: 'locked' | 'busy'; readonly retryAfterMs: number };

/** What a password check may do now: go ahead after `waitMs`, or not at all. */
export type LoginSlot =
  | { readonly allowed: true; readonly waitMs: number; release(outcome: 'ok' | 'failed'): void }
  | { readonly allowed: false; readonly reason: 'address' | 'name'; readonly retryAfterMs: number };

interface NameState {
  failures: number;
  pending: number;
  nextAt: number;
  lastFailureAt: number;
}

const MAX_KEYS = 10_000;

/**
 * Password guessing, limited two ways that together stop brute force without handing anyone a way to
 * lock a player out:
 * - per address: after `failuresPerAddress` failures in a window (attempts still being checked count
 *   too, so parallel connections cannot slip past), that address gets no more checks until it passes;
 * - per name, across all connections and addresses: guesses are spaced out, each further failure
 *   doubling the gap, and a guess that would have to wait beyond `slowdownMaxMs` is refused. A name is
 *   never locked: the wait ends, and an address that has logged in as that name before is not slowed.
 */
export class LoginGuard {
  readonly #o: Required<LoginGuardOptions>;
  readonly #clock: () => number;
  readonly #addresses = new Map<string, { failures: number[]; pending: number }>();
  readonly #names = new Map<string, NameState>();
  /** name + address pairs that logged in successfully: their owner is not slowed by others' guesses. */
  readonly #known = new Set<string>();

  constructor(options: LoginGuardOptions, clock: () => number = Date.now) {
    this.#o = { windowMs: 60_000, ...options };
    this.#clock = clock;
  }

  /** Whether the address is locked out right now (to refuse early, before a name is even asked). */
  addressLocked(address: string): boolean {
    const a = this.#address(address);
    return a.failures.length + a.pending >= this.#o.failuresPerAddress;
  }

  /** Reserves one password check for `name` from `address`; call `release` with its outcome. */
  reserve(name: string, address: string): LoginSlot {
    const now = this.#clock();
    const a = this.#address(address);
    if (a.failures.length + a.pending >= this.#o.failuresPerAddress) {
      return { allowed: false, reason: 'address', retryAfterMs: (a.failures[0] ?? now) + this.#o.windowMs - now };
    }
    const key = name.toLowerCase();
    const known = this.#known.has(`${key}\u0000${address}`);
    const n = this.#name(key, now);
    const start = known ? now : Math.max(now, n.nextAt);
    if (start - now > this.#o.slowdownMaxMs) return { allowed: false, reason: 'name', retryAfterMs: start - now };
    if (!known) n.nextAt = start + this.#delay(n.failures + n.pending + 1);
    a.pending++;
    n.pending++;
    let released = false;
    return {
      allowed: true,
      waitMs: start - now,
      release: (outcome) => {
        if (released) return;
        released = true;
        a.pending--;
        n.pending--;
        const at = this.#clock();
        if (outcome === 'ok') {
          this.#names.delete(key);
          this.#remember(this.#known, `${key}\u0000${address}`);
          return;
        }
        a.failures.push(at);
        n.failures++;
        n.lastFailureAt = at;
      },
    };
  }

  /**
   * One password check for `name` from `address`, the way the login flow runs it: reserve a slot, wait
   * out the name's slowdown, `verify`, and record the outcome. Refused without calling `verify` when the
   * address is locked ('locked') or the name's wait would exceed the maximum ('busy').
   */
  async attempt(name: string, address: string, verify: () => Promise<boolean>): Promise<LoginAttempt> {
    const slot = this.reserve(name, address);
    if (!slot.allowed) return { result: slot.reason === 'address' ? 'locked' : 'busy', retryAfterMs: slot.retryAfterMs };
    let ok = false;
    try {
      if (slot.waitMs > 0) await new Promise((resolve) => setTimeout(resolve, slot.waitMs));
      ok = await verify();
    } finally {
      slot.release(ok ? 'ok' : 'failed');
    }
    return { result: ok ? 'ok' : 'failed', waitedMs: slot.waitMs };
  }

  /** Marks `address` as one `name` legitimately uses (e.g. the character was created from it). */
  trust(name: string, address: string): void {
    this.#remember(this.#known, `${name.toLowerCase()}\u0000${address}`);
  }

  /** The gap after the `failures`-th failure in a row: base, doubling, at most the maximum. */
  #delay(failures: number): number {
    return Math.min(this.#o.slowdownMaxMs, this.#o.slowdownBaseMs * 2 ** (Math.min(failures, 30) - 1));
  }

  #address(address: string): { failures: number[]; pending: number } {
    const now = this.#clock();
    let a = this.#addresses.get(address);
    if (!a) {
      a = { failures: [], pending: 0 };
      this.#bounded(this.#addresses).set(address, a);
    }
    a.failures = a.failures.filter((t) => now - t < this.#o.windowMs);
    return a;
  }

  #name(key: string, now: number): NameState {
    let n = this.#names.get(key);
    // Failures are forgotten a while after the last one.
    if (n && n.pending === 0 && now - n.lastFailureAt > this.#o.windowMs * 15) n = undefined;
    if (!n) {
      n = { failures: 0, pending: 0, nextAt: now, lastFailureAt: now };
      this.#bounded(this.#names).set(key, n);
    }
    return n;
  }

  /** Bounded memory under a flood of distinct keys: the oldest idle entry is forgotten. */
  #bounded<V extends { pending: number }>(map: Map<string, V>): Map<string, V> {
    if (map.size >= MAX_KEYS) {
      for (const [key, value] of map) {
        if (value.pending === 0) {
          map.delete(key);
          break;
        }
      }
    }
    return map;
  }

  #remember(set: Set<string>, key: string): void {
    set.delete(key);
    set.add(key);
    if (set.size > MAX_KEYS) {
      const oldest = set.values().next().value;
      if (oldest !== undefined) set.delete(oldest);
    }
  }
}
