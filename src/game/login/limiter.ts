/**
 * What the login flow asks before and after checking a password. Failures lock an ADDRESS for a while
 * (a stranger locks out only themselves), and SLOW a NAME (attempts on one name, from any number of
 * connections and addresses, are spaced further apart as they fail), so nobody can lock a player out.
 */
export interface LoginLimiter {
  /** Whether this address has failed too often recently. */
  addressLocked(address: string): boolean;
  /**
   * Runs one password check for `name`: attempts on the same name run one at a time, each after the
   * name's current delay; failures and successes are recorded. Resolves with what `verify` said, or
   * 'busy' (nothing checked) when too many attempts on the name are already waiting, or 'locked' when
   * the address is locked (its failures and the checks it has in flight reached the limit).
   */
  attempt(address: string, name: string, verify: () => Promise<boolean>): Promise<'ok' | 'failed' | 'busy' | 'locked'>;
}

export interface LoginLimiterOptions {
  /** Failures from one address within the window before it is locked (default 5). */
  readonly addressFailures?: number;
  readonly windowMs?: number;
  /** Failures on a name that go unslowed (default 3); after that each attempt waits baseDelayMs, doubling, up to maxDelayMs. */
  readonly freeFailures?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Attempts on one name that may wait at once; more are refused as busy (default 3). */
  readonly maxWaiting?: number;
}

export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const addressLimit = options.addressFailures ?? 5;
  const free = options.freeFailures ?? 3;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 8000;
  const maxWaiting = options.maxWaiting ?? 3;
  /** Per name: the last attempt queued (attempts run behind it) and how many are waiting. */
  const queues = new Map<string, { tail: Promise<unknown>; waiting: number }>();
  /** Attempts being checked per address: they count against its limit, so parallel connections cannot slip past. */
  const pending = new Map<string, number>();
  /** Recent failure times, per address and per name (bounded: the oldest keys go first under a flood). */
  const byAddress = new Map<string, number[]>();
  const failed = new Map<string, number[]>();
  const recentIn = (map: Map<string, number[]>, key: string, now = Date.now()): number[] => (map.get(key) ?? []).filter((t) => now - t < windowMs);
  const recent = (name: string): number[] => recentIn(failed, name);
  const fail = (map: Map<string, number[]>, key: string): void => {
    map.set(key, [...recentIn(map, key), Date.now()]);
    if (map.size > 10_000) map.delete(map.keys().next().value as string);
  };

  const delayFor = (name: string): number => {
    const n = recent(name).length;
    return n < free ? 0 : Math.min(max, base * 2 ** (n - free));
  };

  const addressLocked = (address: string): boolean => recentIn(byAddress, address).length + (pending.get(address) ?? 0) >= addressLimit;
  return {
    addressLocked,
    async attempt(address, name, verify) {
      if (addressLocked(address)) return 'locked';
      const key = name.toLowerCase();
      const queue = queues.get(key) ?? { tail: Promise.resolve(), waiting: 0 };
      if (queue.waiting >= maxWaiting) return 'busy';
      queue.waiting++;
      queues.set(key, queue);
      pending.set(address, (pending.get(address) ?? 0) + 1);
      const run = async (): Promise<'ok' | 'failed'> => {
        try {
          const wait = delayFor(key);
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          const ok = await verify();
          if (ok) failed.delete(key);
          else fail(failed, key);
          if (!ok) fail(byAddress, address);
          return ok ? 'ok' : 'failed';
        } finally {
          queue.waiting--;
          const left = (pending.get(address) ?? 1) - 1;
          if (left > 0) pending.set(address, left);
          else pending.delete(address);
          if (queue.waiting === 0 && queues.get(key) === queue) queues.delete(key);
        }
      };
      const result = queue.tail.then(run, run);
      queue.tail = result.catch(() => undefined);
      return result;
    },
  };
}
