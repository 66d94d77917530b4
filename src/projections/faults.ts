import { describe, isStoreUnavailableError } from '../errors.ts';

/** SQLite result codes (and their extended forms) that pass: a full disk, a lock held elsewhere, an I/O error. */
const TRANSIENT_SQLITE = /^SQLITE_(FULL|BUSY|LOCKED|IOERR|NOMEM|CANTOPEN|PROTOCOL)/;
/** Errno codes of the same kind at the file layer. */
const TRANSIENT_ERRNO = new Set(['ENOSPC', 'EIO', 'EBUSY', 'EAGAIN', 'EDQUOT', 'EMFILE', 'ENFILE', 'ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED']);

/**
 * True for failures that go away by themselves (disk full, busy, I/O, a store server briefly away):
 * projectors and reactors retry these with backoff. Anything else is about the event and stops them.
 */
export function isTransientFailure(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isStoreUnavailableError(e)) return true;
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && (TRANSIENT_SQLITE.test(code) || TRANSIENT_ERRNO.has(code))) return true;
    if (/database or disk is full|disk I\/O error|database is locked/i.test(describe(e))) return true;
  }
  return false;
}

/** Exponential backoff: base, doubled after each failure up to max; back to base after a success. */
export class Backoff {
  readonly #base: number;
  readonly #max: number;
  #next: number;
  constructor(baseMs: number, maxMs: number) {
    this.#base = this.#next = Math.max(1, baseMs);
    this.#max = Math.max(this.#base, maxMs);
  }
  /** The delay to wait now; the following one doubles. */
  next(): number {
    const delay = this.#next;
    this.#next = Math.min(this.#next * 2, this.#max);
    return delay;
  }
  reset(): void {
    this.#next = this.#base;
  }
}
