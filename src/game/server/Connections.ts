import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Logger } from '../../runtime/logger.ts';
import { listenError } from './startupErrors.ts';
import type { Session } from './Session.ts';

/** How many connections the server takes, and how long it waits for them. */
export interface ConnectionLimits {
  /** All connections at once. */
  readonly maxConnections: number;
  /** Connections from one address at once. */
  readonly maxPerAddress: number;
  /**
   * Connections still logging in, at most. When full, the oldest of them makes room for a new one (from
   * the same address first), so connections that never log in cannot keep new players from a name prompt.
   */
  readonly loginSlots: number;
  /** From connect to logged in, at most (bytes trickling in do not extend it). */
  readonly loginTimeoutMs: number;
  /** A player who sends no line for this long is disconnected. */
  readonly idleTimeoutMs: number;
  /** On shutdown: how long players' last commands and farewells may take before sockets are destroyed. */
  readonly shutdownGraceMs: number;
}

/** Why a connection was turned away at accept, or cut by the server (metric labels). */
export type RefusalReason = 'full' | 'per_address' | 'shutting_down';
export type CutReason = 'login_evicted' | 'login_timeout' | 'idle_timeout' | 'shutdown_forced';

/** What Connections reports as it enforces its limits (for metrics). */
export interface ConnectionEvents {
  refused(reason: RefusalReason): void;
  cut(reason: CutReason): void;
}

const ignore: ConnectionEvents = { refused: () => undefined, cut: () => undefined };

interface Entry {
  readonly session: Session;
  readonly timer: { current: NodeJS.Timeout | undefined };
}

/**
 * Accepts TCP connections for the game under limits: total and per-address caps, slots for logins
 * (oldest login evicted first), a login deadline and an idle timeout. `stop` has a deadline: it stops
 * accepting, says goodbye, and destroys whatever has not closed when the grace period ends.
 */
export class Connections {
  readonly #limits: ConnectionLimits;
  readonly #server: Server;
  readonly #logger: Logger;
  /** Every open connection, oldest first (Map keeps insertion order). */
  readonly #open = new Map<Session, Entry>();
  /** Those still logging in, oldest first. */
  readonly #loggingIn = new Set<Session>();
  readonly #perAddress = new Map<string, number>();
  readonly #events: ConnectionEvents;
  #stopping = false;

  constructor(limits: ConnectionLimits, accept: (socket: Socket) => Session, logger: Logger, onClose: (session: Session) => void, events: ConnectionEvents = ignore) {
    this.#limits = limits;
    this.#logger = logger;
    this.#events = events;
    this.#server = createServer((socket) => {
      socket.on('error', () => undefined);
      const refusal = this.#admit(socket.remoteAddress ?? 'unknown');
      if (refusal) {
        this.#events.refused(refusal.reason);
        socket.end(`${refusal.text}\r\n`);
        socket.setTimeout(1000, () => socket.destroy());
        return;
      }
      // Peers that vanish without a FIN (a pulled cable) are found by keepalive probes, not kept forever.
      socket.setKeepAlive(true, 60_000);
      const session = accept(socket);
      this.#add(session);
      socket.on('close', () => {
        this.#remove(session);
        onClose(session);
      });
    });
  }

  get size(): number {
    return this.#open.size;
  }

  /** Output queued in this process for all clients together (what a client that does not read costs us). */
  get queuedOutputBytes(): number {
    let bytes = 0;
    for (const session of this.#open.keys()) bytes += session.socket.writableLength;
    return bytes;
  }

  get sessions(): IterableIterator<Session> {
    return this.#open.keys();
  }

  /** Starts listening; resolves with the bound address, or rejects with a StartupError naming server.port/host. */
  async listen(host: string, port: number): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', (error) => reject(listenError(error, 'server', host, port)));
      this.#server.listen(port, host, () => resolve());
    });
    return this.#server.address() as AddressInfo;
  }

  /**
   * Stops accepting, waits for `finish` (in-flight commands) at most the grace period, says `farewell`,
   * then destroys every socket that has not closed by the end of the grace period (half-open peers,
   * clients that do not read).
   */
  async stop(farewell: string, finish: () => Promise<unknown>): Promise<void> {
    this.#stopping = true;
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    const deadline = Date.now() + this.#limits.shutdownGraceMs;
    const until = (ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      const wait = new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.max(0, ms))));
      return { wait, cancel: () => clearTimeout(timer) };
    };
    const first = until(deadline - Date.now());
    await Promise.race([finish().catch(() => undefined), first.wait]);
    first.cancel();
    for (const session of this.#open.keys()) session.close(farewell);
    const allClosed = Promise.all([...this.#open.keys()].map((s) => new Promise<void>((resolve) => (s.socket.closed ? resolve() : s.socket.once('close', () => resolve())))));
    const second = until(deadline - Date.now());
    await Promise.race([allClosed, second.wait]);
    second.cancel();
    const stuck = [...this.#open.keys()];
    if (stuck.length) this.#logger.warn('shutdown: destroying connections that did not close in time', { count: stuck.length });
    for (const session of stuck) {
      this.#events.cut('shutdown_forced');
      session.socket.destroy();
    }
    await closed;
  }

  /** Why a connection from `address` is turned away, or undefined after making room for it. */
  #admit(address: string): { reason: RefusalReason; text: string } | undefined {
    if (this.#stopping) return { reason: 'shutting_down', text: 'The server is shutting down.' };
    if ((this.#perAddress.get(address) ?? 0) >= this.#limits.maxPerAddress && !this.#evictLogin(address)) {
      return { reason: 'per_address', text: 'Too many connections from your address.' };
    }
    const full = { reason: 'full', text: 'The server is full. Try again later.' } as const;
    if (this.#loggingIn.size >= this.#limits.loginSlots && !this.#evictLogin()) return full;
    if (this.#open.size >= this.#limits.maxConnections && !this.#evictLogin()) return full;
    return undefined;
  }

  /** Closes the oldest connection still logging in (from `address`, if given); false when there is none. */
  #evictLogin(address?: string): boolean {
    for (const session of this.#loggingIn) {
      if (address !== undefined && session.address !== address) continue;
      this.#events.cut('login_evicted');
      session.close('Too many connections are logging in; yours waited longest. Try again.');
      this.#destroySoon(session);
      this.#remove(session);
      return true;
    }
    return false;
  }

  #add(session: Session): void {
    const timer: Entry['timer'] = { current: undefined };
    this.#open.set(session, { session, timer });
    this.#loggingIn.add(session);
    this.#perAddress.set(session.address, (this.#perAddress.get(session.address) ?? 0) + 1);
    timer.current = setTimeout(() => {
      if (this.#loggingIn.has(session)) {
        this.#events.cut('login_timeout');
        session.close('You took too long to log in. Goodbye.');
      }
      this.#destroySoon(session);
    }, this.#limits.loginTimeoutMs);
    timer.current.unref();
    session.onLogin = () => {
      this.#loggingIn.delete(session);
      clearTimeout(timer.current);
      this.#armIdle(session, timer);
    };
  }

  /** One timer per player: when it fires, either the player was idle too long or it re-arms for the rest. */
  #armIdle(session: Session, timer: Entry['timer']): void {
    const left = session.lastLineAt + this.#limits.idleTimeoutMs - Date.now();
    timer.current = setTimeout(() => {
      if (!this.#open.has(session)) return;
      if (Date.now() - session.lastLineAt >= this.#limits.idleTimeoutMs) {
        this.#events.cut('idle_timeout');
        session.close('You have been idle too long. Goodbye.');
        this.#destroySoon(session);
      } else this.#armIdle(session, timer);
    }, Math.max(1, left));
    timer.current.unref();
  }

  /** After a farewell, a peer that does not close (or read) is cut off shortly after. */
  #destroySoon(session: Session): void {
    setTimeout(() => session.socket.destroy(), 2000).unref();
  }

  #remove(session: Session): void {
    const entry = this.#open.get(session);
    if (!entry) return;
    clearTimeout(entry.timer.current);
    this.#open.delete(session);
    this.#loggingIn.delete(session);
    const count = (this.#perAddress.get(session.address) ?? 1) - 1;
    if (count > 0) this.#perAddress.set(session.address, count);
    else this.#perAddress.delete(session.address);
  }
}
