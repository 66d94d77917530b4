import { ConcurrencyError } from '../errors.ts';
import type { ExpectedVersion } from './types.ts';

/** The one concurrency check every store uses: throws ConcurrencyError when `current` does not match. */
export function assertExpectedVersion(streamId: string, current: number, expected: ExpectedVersion = 'any'): void {
  const ok =
    expected === 'any' ||
    (expected === 'no_stream' && current === 0) ||
    (expected === 'stream_exists' && current > 0) ||
    expected === current;
  if (!ok) throw new ConcurrencyError(streamId, String(expected), current);
}
