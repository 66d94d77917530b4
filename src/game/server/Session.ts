import type { Socket } from 'node:net';
import { ECHO_OFF, ECHO_ON, LineDecoder } from './telnet.ts';
import { TokenBucket } from './rateLimit.ts';

export interface SessionOptions {
  readonly maxLineBytes: number;
  /** Commands a client may send in a burst, and per second after that. */
  readonly burst: number;
  readonly perSecond: number;
  /** Called for each command refused by the rate limit (for metrics). */
  readonly onRateLimited?: () => void;
}

/**
 * One connection: decodes its lines, runs them strictly one after another (a flood waits its turn,
 * and beyond the rate limit is refused), and writes back. A client that disconnects mid-command
 * does not cancel it: the command finishes and is durable; only the reply is dropped.
 */
export class Session {
  readonly socket: Socket;
  readonly address: string;
  /** Set once logged in. */
  playerId: string | undefined;
  playerName = '';
  admin = false;
  /** Where the character stands (kept from the store's state, updated as it moves). */
  roomId: string | null = null;
  #decoder: LineDecoder;
  #bucket: TokenBucket;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;
  #closed = false;

  constructor(socket: Socket, options: SessionOptions, onLine: (session: Session, line: string) => Promise<void>) {
    this.socket = socket;
    this.address = socket.remoteAddress ?? 'unknown';
    this.#decoder = new LineDecoder(options.maxLineBytes);
    this.#bucket = new TokenBucket(options.burst, options.perSecond);
    socket.on('data', (chunk: Buffer) => {
      for (const decoded of this.#decoder.push(chunk)) {
        if ('overlong' in decoded) {
          this.send(`That line was too long (at most ${options.maxLineBytes} bytes); ignored.`);
          continue;
        }
        if (!this.#bucket.take()) {
          options.onRateLimited?.();
          this.send('Slow down: too many commands.');
          continue;
        }
        if (this.#pending >= options.burst) {
          options.onRateLimited?.();
          this.send('Slow down: too many commands waiting.');
          continue;
        }
        this.#pending++;
        this.#queue = this.#queue
          .then(() => (this.#closed && !this.playerId ? undefined : onLine(this, decoded.line)))
          .catch(() => undefined)
          .finally(() => {
            this.#pending--;
          });
      }
    });
    socket.on('close', () => {
      this.#closed = true;
    });
    socket.on('error', () => {
      this.#closed = true;
    });
  }

  get closed(): boolean {
    return this.#closed || this.socket.destroyed;
  }

  /** Resolves when every command received so far has finished. */
  idle(): Promise<void> {
    return this.#queue;
  }

  send(text: string): void {
    this.write(`${text.replace(/\n/g, '\r\n')}\r\n`);
  }

  prompt(text = '> '): void {
    this.write(text);
  }

  echo(on: boolean): void {
    if (!this.closed) this.socket.write(on ? ECHO_ON : ECHO_OFF);
  }

  write(text: string): void {
    if (!this.closed) this.socket.write(text);
  }

  close(farewell?: string): void {
    if (farewell) this.send(farewell);
    this.#closed = true;
    this.socket.end();
  }
}
