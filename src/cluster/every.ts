/**
 * Runs `task` every `ms` after the previous run finished (never overlapping), until `stopped()`. Failures go to
 * `onError` and the loop goes on. The pending timer is kept in `timers` so the owner can clear it on close.
 */
export function every(timers: Set<NodeJS.Timeout>, ms: number, task: () => Promise<void>, stopped: () => boolean, onError: (error: unknown) => void): void {
  const schedule = (): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      task()
        .catch(onError)
        .finally(() => {
          if (!stopped()) schedule();
        });
    }, ms);
    timers.add(timer);
  };
  schedule();
}
