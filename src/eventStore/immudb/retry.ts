import { StoreUnavailableError } from '../../errors.ts';
import { ImmudbCallError } from './ImmudbClient.ts';

export interface RetryOptions {
  /** Attempts in all, the first included (default 5). */
  readonly attempts?: number;
  /** First backoff, doubled each time, with full jitter (default 50 ms). */
  readonly baseDelayMs?: number;
  /** Cap of one backoff (default 2,000 ms). */
  readonly maxDelayMs?: number;
}

/**
 * Runs `call`, retrying transient failures (server unavailable, deadline exceeded) with exponential
 * backoff and full jitter. Anything else (conflicts, validation) is thrown at once. After the last
 * attempt the caller gets a StoreUnavailableError.
 */
export async function withRetry<T>(
  what: string,
  call: (attempt: number) => Promise<T>,
  options: RetryOptions = {},
  onRetry: () => void = () => {},
): Promise<T> {
  const attempts = options.attempts ?? 5;
  const base = options.baseDelayMs ?? 50;
  const cap = options.maxDelayMs ?? 2000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call(attempt);
    } catch (error) {
      if (!(error instanceof ImmudbCallError && error.transient)) throw error;
      if (attempt >= attempts) {
        throw new StoreUnavailableError(`${what}: unavailable after ${attempts} attempts: ${error.message}`, error);
      }
      onRetry();
      const delay = Math.random() * Math.min(cap, base * 2 ** (attempt - 1));
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
