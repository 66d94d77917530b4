import { ClosedError, describe, isRuntimeError, StoreUnavailableError } from '../../errors.ts';
import type { Metrics } from '../../metrics/metrics.ts';
import type { AppendListeners } from '../appendListeners.ts';
import type { AppendPart, AppendResult, PendingAppend } from '../types.ts';

/**
 * Writes a batch of appends in one transaction: one outcome per append, in order (its results, or the
 * error that failed it alone). Throws when the transaction as a whole failed and nothing was written.
 */
export type BatchWriter = (batch: readonly PendingAppend[]) => Promise<(AppendResult[] | Error)[]>;

/**
 * Group commit, written once: appends that arrive while a batch is being written wait and go together
 * in the next transaction; each keeps its own checks and succeeds or fails alone. Settles each promise
 * after the commit, counts, and wakes the store's listeners.
 */
export class GroupCommit {
  #pending: PendingAppend[] = [];
  #writing: Promise<void> | undefined;
  #closed = false;

  constructor(
    private readonly write: BatchWriter,
    private readonly metrics: Metrics,
    private readonly listeners: AppendListeners,
    /** Milliseconds to gather appends before the first write; 0 batches what arrives in the same tick. */
    private readonly windowMs = 0,
  ) {}

  append(parts: readonly AppendPart[]): Promise<AppendResult[]> {
    if (this.#closed) return Promise.reject(new ClosedError('event store'));
    return new Promise((resolve, reject) => {
      this.#pending.push({ parts, resolve, reject });
      this.#writing ??= this.#drain();
    });
  }

  /** Writes what is pending, then stops accepting appends. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.#writing;
  }

  async #drain(): Promise<void> {
    // Let appends made in the same tick (or the window) join the first batch.
    await new Promise((r) => (this.windowMs > 0 ? setTimeout(r, this.windowMs) : setImmediate(r)));
    while (this.#pending.length > 0) {
      const batch = this.#pending;
      this.#pending = [];
      await this.#commit(batch);
    }
    this.#writing = undefined;
  }

  async #commit(batch: PendingAppend[]): Promise<void> {
    const end = this.metrics.appendDuration.startTimer();
    let outcomes: (AppendResult[] | Error)[];
    try {
      outcomes = await this.write(batch);
    } catch (error) {
      end();
      this.metrics.storeFailures.inc();
      const failure = isRuntimeError(error) ? error : new StoreUnavailableError(`append failed, nothing was written: ${describe(error)}`, error);
      for (const p of batch) p.reject(failure);
      return;
    }
    end();
    this.metrics.appendBatchSize.observe(batch.length);
    let stored = 0;
    batch.forEach((p, i) => {
      const outcome = outcomes[i] as AppendResult[] | Error;
      if (outcome instanceof Error) {
        const streams = p.parts.map((part) => part.streamId).join(', ');
        p.reject(isRuntimeError(outcome) ? outcome : new StoreUnavailableError(`append to ${streams} failed: ${outcome.message}`, outcome));
      } else {
        for (const r of outcome) stored += r.events.length;
        p.resolve(outcome);
      }
    });
    this.metrics.eventsStored.inc(stored);
    if (stored > 0) this.listeners.notify();
  }
}
