import { StoreUnavailableError } from '../../errors.ts';
import { ImmudbCallError } from './ImmudbClient.ts';
import { RETRY_DEFAULTS } from './retryDefaults.ts';

export interface RetryOptions {
  /** Attempts in all, the first included (default RETRY_DEFAULTS.attempts). */
  readonly attempts?: number;
  /** First backoff, doubled each time, with equal jitter (default RETRY_DEFAULTS.baseDelayMs). */
  readonly baseDelayMs?: number;
  /** Cap of one backoff (default RETRY_DEFAULTS.maxDelayMs). */
  readonly maxDelayMs?: number;
}

/**
 * Runs `call`, retrying transient failures (server unavailable, deadline exceeded) with exponential
 * backoff and equal jitter (half the backoff fixed, half random: the budget is never spent early). Anything else (conflicts, validation) is thrown at once. After the last
 * attempt the caller gets a StoreUnavailableError.
 */
export async function withRetry<T>(
  what: string,
  call: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
  onRetry: () => void = () => {},
): Promise<T> {
  const attempts = options.attempts ?? RETRY_DEFAULTS.attempts;
  const base = options.baseDelayMs ?? RETRY_DEFAULTS.baseDelayMs;
  const cap = options.maxDelayMs ?? RETRY_DEFAULTS.maxDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      if (!(error instanceof ImmudbCallError && error.transient)) throw error;
      if (attempt >= attempts) {
        throw new StoreUnavailableError(`${what}: unavailable after ${attempts} attempts: ${error.message}`, error);
      }
      onRetry();
      const backoff = Math.min(cap, base * 2 ** (attempt - 1));
      const delay = backoff / 2 + (Math.random() * backoff) / 2;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
