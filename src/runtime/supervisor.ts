import type { ReadAggregate } from '../definition/reads.ts';
import { ActorHost, type AggregateState, type HostEnvironment } from './actorHost.ts';

export interface SupervisorOptions {
  /** Passivate an actor idle this long (ms). */
  readonly idleTimeoutMs: number;
  /** At most this many live actors; beyond it the least recently used idle ones are passivated. */
  readonly maxLiveActors: number;
}

/**
 * Owns the live actors: spawns a host on first reference, keeps them in least-recently-used order
 * (a Map re-inserted on use), and passivates idle ones by timeout and by the live-actor cap.
 */
export class Supervisor {
  readonly #hosts = new Map<string, ActorHost>();
  readonly #env: HostEnvironment;
  readonly #options: SupervisorOptions;
  /** One callback shared by every host (not a closure each). */
  readonly #onIdle = (host: ActorHost): void => this.#release(host);

  constructor(env: HostEnvironment, options: SupervisorOptions) {
    this.#env = env;
    this.#options = options;
  }

  get liveActors(): number {
    return this.#hosts.size;
  }

  /** The host for an aggregate, spawned on demand. */
  host(id: string): ActorHost {
    let host = this.#hosts.get(id);
    if (host) {
      this.#hosts.delete(id);
    } else {
      host = new ActorHost(id, this.#env, this.#onIdle);
    }
    this.#hosts.set(id, host);
    this.#env.metrics.liveActors.set(this.#hosts.size);
    if (this.#hosts.size > this.#options.maxLiveActors) this.#evict(this.#hosts.size - this.#options.maxLiveActors, host);
    return host;
  }

  /**
   * Drops a host whose aggregate turned out not to exist once its mailbox is empty, so lookups of
   * missing ids (typos, hostile input) do not fill memory with empty actors.
   */
  #release(host: ActorHost): void {
    if (!host.busy && !host.exists && this.#hosts.get(host.id) === host) {
      this.#hosts.delete(host.id);
      this.#env.metrics.liveActors.set(this.#hosts.size);
    }
  }

  /** Ids of the live actors (for the shadow-replay sampler). */
  liveIds(): IterableIterator<string> {
    return this.#hosts.keys();
  }

  /** The live state of an aggregate if its actor is hydrated (no spawn). */
  peek(id: string): AggregateState | undefined {
    return this.#hosts.get(id)?.peek();
  }

  /** A live actor's committed state and version for a read set, without spawning it (null when not live). */
  peekRead(id: string): ReadAggregate | undefined | null {
    return this.#hosts.get(id)?.peekRead() ?? null;
  }

  /** Passivates one actor now, if it is live and idle (its next message rehydrates it from the store). */
  passivate(id: string): boolean {
    const host = this.#hosts.get(id);
    return host ? this.#passivate(host) : false;
  }

  /** Passivates every idle actor not used for idleTimeoutMs; returns how many. */
  passivateIdle(): number {
    const cutoff = this.#env.clock.now() - this.#options.idleTimeoutMs;
    let count = 0;
    for (const host of [...this.#hosts.values()]) {
      if (host.lastActive > cutoff) break; // LRU order: the rest are more recent
      if (this.#passivate(host)) count++;
    }
    return count;
  }

  /** Resolves when no mailbox has work left. */
  async drain(): Promise<void> {
    while ([...this.#hosts.values()].some((h) => h.busy)) {
      await Promise.all([...this.#hosts.values()].filter((h) => h.busy).map((h) => h.state().catch(() => undefined)));
    }
  }

  /** Stops every actor (after drain). */
  stopAll(): void {
    for (const host of this.#hosts.values()) host.stop();
    this.#hosts.clear();
    this.#env.metrics.liveActors.set(0);
  }

  #evict(excess: number, keep: ActorHost): void {
    for (const host of [...this.#hosts.values()]) {
      if (excess <= 0) return;
      if (host !== keep && this.#passivate(host)) excess--;
    }
  }

  #passivate(host: ActorHost): boolean {
    if (host.busy) return false;
    host.stop();
    this.#hosts.delete(host.id);
    this.#env.metrics.actorPassivations.inc();
    this.#env.metrics.liveActors.set(this.#hosts.size);
    return true;
  }
}
