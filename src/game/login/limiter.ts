import { LoginThrottle } from '../server/rateLimit.ts';

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
   * name's current delay; failures and successes are recorded. Resolves with what `verify` said.
   */
  attempt(address: string, name: string, verify: () => Promise<boolean>): Promise<boolean>;
}

export interface LoginLimiterOptions {
  /** Failures from one address within the window before it is locked (default 5). */
  readonly addressFailures?: number;
  readonly windowMs?: number;
  /** Failures on a name that go unslowed (default 3); after that each attempt waits baseDelayMs, doubling, up to maxDelayMs. */
  readonly freeFailures?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

export function createLoginLimiter(options: LoginLimiterOptions = {}): LoginLimiter {
  const windowMs = options.windowMs ?? 60_000;
  const addresses = new LoginThrottle(options.addressFailures ?? 5, windowMs);
  const free = options.freeFailures ?? 3;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 8000;
  /** Per name: the attempt in progress (attempts queue behind it) and how many failed recently. */
  const queues = new Map<string, Promise<unknown>>();
  const failed = new Map<string, number[]>();
  const recent = (name: string, now = Date.now()): number[] => (failed.get(name) ?? []).filter((t) => now - t < windowMs);

  const delayFor = (name: string): number => {
    const n = recent(name).length;
    return n < free ? 0 : Math.min(max, base * 2 ** (n - free));
  };

  return {
    addressLocked: (address) => addresses.locked(`addr:${address}`),
    attempt(address, name, verify) {
      const key = name.toLowerCase();
      const run = async (): Promise<boolean> => {
        const wait = delayFor(key);
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        const ok = await verify();
        if (ok) {
          failed.delete(key);
        } else {
          addresses.fail(`addr:${address}`);
          failed.set(key, [...recent(key), Date.now()]);
          if (failed.size > 10_000) failed.delete(failed.keys().next().value as string); // bounded under a flood of names
        }
        return ok;
      };
      const result = (queues.get(key) ?? Promise.resolve()).then(run, run);
      const settled = result.catch(() => undefined);
      queues.set(key, settled);
      void settled.then(() => {
        if (queues.get(key) === settled) queues.delete(key);
      });
      return result;
    },
  };
}
