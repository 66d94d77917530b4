/** Called after each commit that wrote events: a wake-up, read the store for what is new. */
export type AppendListener = () => void;

/** In-process notification of commits, so projections follow without polling delay. */
export class AppendListeners {
  readonly #listeners = new Set<AppendListener>();

  add(listener: AppendListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  notify(): void {
    // A listener's failure is its own business: it must never fail the append that notified it.
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch {
        /* isolated */
      }
    }
  }
}
