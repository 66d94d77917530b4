import type { Clock } from '../runtime/clock.ts';

/** A clock that moves only when told to; wake-ups due by then run, in time order, as it advances. */
export class SimulatedClock implements Clock {
  #now: number;
  readonly #wakes = new Set<{ at: number; wake: () => void }>();
  constructor(start = Date.parse('2026-01-01T00:00:00.000Z')) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    const until = this.#now + ms;
    for (;;) {
      const due = [...this.#wakes].filter((w) => w.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.#wakes.delete(due);
      this.#now = Math.max(this.#now, due.at);
      due.wake();
    }
    this.#now = until;
  }
  wakeAt(at: number, wake: () => void): () => void {
    const entry = { at, wake };
    this.#wakes.add(entry);
    return () => this.#wakes.delete(entry);
  }
  /** How many wake-ups are waiting (for tests of what is armed). */
  get pendingWakes(): number {
    return this.#wakes.size;
  }
}
