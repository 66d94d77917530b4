/** Time, injected so tests can control it. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Calls `wake` once the clock reaches `at` (ms since the epoch); returns a function that cancels it.
   * Durable timers wake through this. A clock without it is woken by the system's timers.
   */
  wakeAt?(at: number, wake: () => void): () => void;
}

/** The longest delay a Node timer takes; a later wake-up is re-armed when this one fires. */
const MAX_DELAY_MS = 2 ** 31 - 1;

export const systemClock: Clock = { now: () => Date.now(), wakeAt: (at, wake) => systemWakeAt(() => Date.now(), at, wake) };

/** Wakes at `at` on the clock: through its own wakeAt, or the system's timers (the only setTimeout for game time). */
export function wakeAt(clock: Clock, at: number, wake: () => void): () => void {
  return clock.wakeAt ? clock.wakeAt(at, wake) : systemWakeAt(() => clock.now(), at, wake);
}

function systemWakeAt(now: () => number, at: number, wake: () => void): () => void {
  let handle: NodeJS.Timeout | undefined;
  const arm = () => {
    const delay = at - now();
    if (delay <= 0) return wake();
    handle = setTimeout(arm, Math.min(delay, MAX_DELAY_MS));
    handle.unref(); // a pending game timer never keeps the process alive on its own
  };
  handle = setTimeout(arm, 0);
  handle.unref();
  return () => clearTimeout(handle);
}
