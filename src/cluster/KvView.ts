import type { KV, KvWatchEntry } from '@nats-io/kv';
import type { QueuedIterator } from '@nats-io/transport-node';
import type { Logger } from '../runtime/logger.ts';
import { every } from './every.ts';

export interface ViewEntry {
  readonly key: string;
  readonly value: unknown;
  readonly revision: number;
}

export interface KvViewOptions {
  readonly watchdogMs: number;
  readonly relistMs: number;
  readonly logger: Logger;
  /** Called (synchronously) after any key changed. */
  readonly onChange: () => void;
}

const decoder = new TextDecoder();

/**
 * A local copy of a KV bucket's live keys, kept current by a watch. A watch can stall silently after the NATS
 * server it was consuming from crashes (measured: no error, no more updates), so two backstops run beside it:
 * a watchdog that compares the highest revision seen with the stream's last sequence and restarts the watch
 * when the stream is ahead twice in a row, and a periodic full re-list. Expired keys arrive as PURGE markers
 * (the bucket has a marker TTL) or disappear from the next re-list.
 */
export class KvView {
  readonly #kv: KV;
  readonly #options: KvViewOptions;
  // Deleted keys stay as tombstones (value undefined) so an older echo of a put cannot bring them back.
  readonly #entries = new Map<string, { readonly key: string; readonly value: unknown; readonly revision: number }>();
  #watch: QueuedIterator<KvWatchEntry> | undefined;
  #highest = 0;
  // Highest revision the watch itself delivered: our own writes (observe) must not hide a stalled watch.
  #watched = 0;
  // The stream's last sequence at the previous watchdog tick: a healthy watch has seen it by the next tick.
  #lastAtPreviousTick = 0;
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;
  #restarts = 0;

  constructor(kv: KV, options: KvViewOptions) {
    this.#kv = kv;
    this.#options = options;
  }

  /** Starts watching and returns once the current values are loaded. */
  async start(): Promise<void> {
    await this.relist();
    await this.#startWatch();
    this.#every(this.#options.watchdogMs, () => this.#watchdog());
    this.#every(this.#options.relistMs, () => this.relist());
  }

  get(key: string): ViewEntry | undefined {
    const entry = this.#entries.get(key);
    return entry?.value === undefined ? undefined : entry;
  }

  /** Live entries whose key starts with `prefix`. */
  list(prefix: string): ViewEntry[] {
    return [...this.#entries.values()].filter((e) => e.value !== undefined && e.key.startsWith(prefix));
  }

  /** Times the watch was found stalled and restarted (for metrics and tests). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Records a write this node made, so its own view does not wait for the watch to echo it. */
  observe(key: string, value: unknown, revision: number): void {
    this.#apply(key, value, revision);
  }

  /** Records an entry this node read directly (a fresher truth than a lagging watch); null means absent. */
  observeRead(key: string, entry: { operation: string; value: Uint8Array; revision: number } | null, revisionSeen: number): void {
    if (entry) this.#applyEntry(key, entry.operation, entry.value, entry.revision);
    else this.forget(key, revisionSeen);
  }

  /** Records a delete this node made (revision: the marker's, or the deleted entry's when unknown). */
  forget(key: string, revision: number): void {
    const current = this.#entries.get(key);
    if (current?.value === undefined || current.revision > revision) return;
    this.#entries.set(key, { key, value: undefined, revision });
    this.#options.onChange();
  }

  /** Reads every live key afresh; entries newer than the listing (from the watch) are kept. */
  async relist(): Promise<void> {
    const status = await this.#kv.status();
    const listedUpTo = status.streamInfo.state.last_seq;
    const seen = new Set<string>();
    const keys = await this.#kv.keys();
    const gets: Promise<void>[] = [];
    for await (const key of keys) {
      seen.add(key);
      gets.push(
        this.#kv.get(key).then((entry) => {
          if (entry) this.#applyEntry(entry.key, entry.operation, entry.value, entry.revision);
        }),
      );
    }
    await Promise.all(gets);
    let changed = false;
    for (const [key, entry] of this.#entries) {
      if (!seen.has(key) && entry.value !== undefined && entry.revision <= listedUpTo) {
        this.#entries.set(key, { key, value: undefined, revision: entry.revision });
        changed = true;
      }
    }
    this.#highest = Math.max(this.#highest, listedUpTo);
    if (changed) this.#options.onChange();
  }

  async #startWatch(): Promise<void> {
    const watch = await this.#kv.watch({ key: '>' });
    this.#watch = watch;
    const consume = async (): Promise<void> => {
      for await (const e of watch) {
        this.#watched = Math.max(this.#watched, e.revision);
        this.#applyEntry(e.key, e.operation, e.value, e.revision);
      }
    };
    consume().catch((error: unknown) => {
      if (!this.#closed) this.#options.logger.warn('cluster KV watch failed; the watchdog restarts it', { error: String(error) });
    });
  }

  async #watchdog(): Promise<void> {
    const last = (await this.#kv.status()).streamInfo.state.last_seq;
    // Compare with the previous tick's figure, not this one: the stream keeps growing (renewals), so
    // "behind the current end" is normal; "still behind where the stream was a whole period ago" is a stall.
    const stalled = this.#watched < this.#lastAtPreviousTick;
    this.#lastAtPreviousTick = last;
    if (!stalled) return;
    this.#options.logger.warn('cluster KV watch stalled; restarting it', { seen: this.#watched, last });
    this.#restarts += 1;
    await this.resync();
  }

  /** Restarts the watch and re-lists: after a reconnect, or when the watchdog finds the watch stalled. */
  async resync(): Promise<void> {
    this.#watch?.stop();
    await this.#startWatch();
    await this.relist();
  }

  #applyEntry(key: string, operation: string, value: Uint8Array, revision: number): void {
    this.#apply(key, operation === 'PUT' ? decode(value) : undefined, revision);
  }

  #apply(key: string, value: unknown, revision: number): void {
    this.#highest = Math.max(this.#highest, revision);
    const current = this.#entries.get(key);
    if (current && current.revision >= revision) return; // an older (or the same) echo
    this.#entries.set(key, { key, value, revision });
    if (value !== undefined || current?.value !== undefined) this.#options.onChange();
  }

  #every(ms: number, task: () => Promise<void>): void {
    every(this.#timers, ms, task, () => this.#closed, (error) => this.#options.logger.warn('cluster KV view check failed', { error: String(error) }));
  }

  close(): void {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#watch?.stop();
  }
}

function decode(value: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(value)) as unknown;
  } catch {
    return null; // a foreign or damaged value still marks the key as taken
  }
}
