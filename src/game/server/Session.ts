import type { Socket } from 'node:net';
import { LineDiscipline } from '../telnet/LineDiscipline.ts';
import { DM, IAC, OPT, TelnetProtocol, type TelnetEvent } from '../telnet/protocol.ts';
import { TokenBucket } from './rateLimit.ts';

export interface SessionOptions {
  readonly maxLineBytes: number;
  /** Commands a client may send in a burst, and per second after that. */
  readonly burst: number;
  readonly perSecond: number;
  /** Output waiting in the socket beyond this is dropped (with a notice once the client catches up). */
  readonly maxOutputBytes: number;
  /** Called for each command refused by the rate limit (for metrics). */
  readonly onRateLimited?: () => void;
  /** Called with the size of each piece of output dropped because the client did not keep up (for metrics). */
  readonly onOutputDropped?: (bytes: number) => void;
}

/** The terminal width assumed until the client reports one (NAWS). */
export const DEFAULT_WIDTH = 80;

/**
 * One telnet connection: negotiates (protocol.ts), decodes its lines (LineDiscipline.ts), runs them
 * strictly one after another (a flood waits its turn, and beyond the rate limit is refused), and writes
 * back with CRLF line ends. A notice never lands on the prompt line: it starts a fresh line and the
 * prompt is drawn again. A client that does not read gets at most `maxOutputBytes` queued; the rest is
 * dropped. A client that disconnects mid-command does not cancel it: the command finishes and is
 * durable; only the reply is dropped.
 */
export class Session {
  readonly socket: Socket;
  readonly address: string;
  /** Where the character stands (kept from the store's state, updated as it moves). */
  roomId: string | null = null;
  playerName = '';
  admin = false;
  /** Columns of the client's window (NAWS), for the game layer's wrapping (formatForClient). */
  width = DEFAULT_WIDTH;
  /** The client's terminal type (TTYPE), when it said. */
  terminal: string | undefined;
  /** When the client last sent a complete line (ms since epoch). */
  lastLineAt = Date.now();
  /** Called once when the session becomes a player's (for connection accounting). */
  onLogin: ((session: Session) => void) | undefined;
  readonly #options: SessionOptions;
  readonly #telnet: TelnetProtocol;
  readonly #lines: LineDiscipline;
  readonly #bucket: TokenBucket;
  #playerId: string | undefined;
  #queue: Promise<void> = Promise.resolve();
  #pending = 0;
  #closed = false;
  /** The last prompt written, drawn again after a notice; undefined while output is mid-line. */
  #prompt = '> ';
  #atPrompt = false;
  #droppedBytes = 0;

  constructor(socket: Socket, options: SessionOptions, onLine: (session: Session, line: string) => Promise<void>) {
    this.socket = socket;
    this.address = socket.remoteAddress ?? 'unknown';
    this.#options = options;
    this.#telnet = new TelnetProtocol((bytes) => this.#raw(bytes, true));
    this.#lines = new LineDiscipline(options.maxLineBytes);
    this.#bucket = new TokenBucket(options.burst, options.perSecond);
    socket.on('data', (chunk: Buffer) => {
      for (const event of this.#telnet.receive(chunk)) this.#event(event, onLine);
    });
    socket.on('drain', () => this.#drained());
    socket.on('close', () => {
      this.#closed = true;
    });
    socket.on('error', () => {
      this.#closed = true;
    });
    this.#telnet.start();
  }

  /** Set once logged in. */
  get playerId(): string | undefined {
    return this.#playerId;
  }

  set playerId(id: string | undefined) {
    const first = this.#playerId === undefined && id !== undefined;
    this.#playerId = id;
    if (first) this.onLogin?.(this);
  }

  get closed(): boolean {
    return this.#closed || this.socket.destroyed;
  }

  /** Resolves when every command received so far has finished. */
  idle(): Promise<void> {
    return this.#queue;
  }

  /** A message on lines of its own: after the prompt (if one is showing) comes a fresh line first. */
  send(text: string): void {
    const body = text.replace(/^\r(?!\n)/, '').replace(/\r?\n/g, '\r\n');
    this.write(`${this.#atPrompt ? '\r\n' : ''}${body}\r\n`);
  }

  /** Something that happened to the player while they may be typing: a fresh line, then the prompt again. */
  notify(text: string): void {
    const redraw = this.#atPrompt;
    this.send(text);
    if (redraw) this.#redraw();
  }

  /** Writes a prompt (the command prompt when omitted), ended by EOR or GA when the client agreed to them. */
  prompt(text = '> '): void {
    this.#prompt = text;
    this.write(text);
    if (!this.closed) this.#raw(this.#telnet.promptEnd());
    this.#atPrompt = true;
  }

  /** Off while a password is typed: the server "will echo" (and does not), so the client shows nothing. */
  echo(on: boolean): void {
    if (!this.closed) this.#telnet.request('local', OPT.ECHO, !on);
  }

  write(text: string): void {
    if (this.closed || text === '') return;
    this.#atPrompt = false;
    this.#raw(TelnetProtocol.encode(text));
  }

  close(farewell?: string): void {
    if (farewell) this.send(farewell);
    this.#closed = true;
    this.socket.end();
  }

  /** The prompt showing before, again. */
  #redraw(): void {
    this.prompt(this.#prompt);
  }

  /**
   * Bytes written, or dropped when the client is not reading what it already has. Telnet replies
   * (`control`) may use twice the room, so a slow client's Ctrl-C is still answered. The first output
   * that fits again is preceded by a notice of what was lost.
   */
  #raw(bytes: Buffer, control = false): void {
    if (this.socket.destroyed || bytes.length === 0) return;
    const limit = control ? 2 * this.#options.maxOutputBytes : this.#options.maxOutputBytes;
    if (this.socket.writableLength + bytes.length > limit) {
      this.#droppedBytes += bytes.length;
      this.#options.onOutputDropped?.(bytes.length);
      return;
    }
    if (this.#droppedBytes > 0 && !control) this.socket.write(TelnetProtocol.encode(`\r\n${this.#droppedNotice()}\r\n`));
    this.socket.write(bytes);
  }

  #droppedNotice(): string {
    const dropped = this.#droppedBytes;
    this.#droppedBytes = 0;
    return `[${dropped} bytes of output were dropped: your connection did not keep up.]`;
  }

  /** A client that caught up learns what it missed even if nothing else is said to it. */
  #drained(): void {
    if (this.#droppedBytes > 0 && !this.closed) this.notify(this.#droppedNotice());
  }

  /** How many bytes were dropped since the client last caught up (0 when it reads what it gets). */
  get droppedBytes(): number {
    return this.#droppedBytes;
  }

  #event(event: TelnetEvent, onLine: (session: Session, line: string) => Promise<void>): void {
    switch (event.type) {
      case 'data':
        for (const decoded of this.#lines.push(event.bytes)) this.#line(decoded, onLine);
        return;
      case 'size':
        if (event.width >= 20) this.width = Math.min(event.width, 250);
        return;
      case 'terminal':
        this.terminal = event.name;
        return;
      case 'command':
        switch (event.command) {
          case 'EC':
            return this.#lines.eraseCharacter();
          case 'EL':
            return this.#lines.eraseLine();
          case 'IP':
          case 'BRK':
            // Ctrl-C: the line typed so far is forgotten; a command already running still finishes.
            this.#lines.eraseLine();
            this.write('\r\n');
            return this.#redraw();
          case 'AO':
            // Abort output: nothing of ours is pending beyond the socket; mark the point (RFC 854 Synch).
            return this.#raw(Buffer.from([IAC, DM]), true);
          case 'AYT':
            return this.notify('[Yes]');
          default: {
            const _exhaustive: never = event.command;
            throw new Error(`unknown telnet command ${String(_exhaustive)}`);
          }
        }
      default: {
        const _exhaustive: never = event;
        throw new Error(`unknown telnet event ${String(_exhaustive)}`);
      }
    }
  }

  #line(decoded: ReturnType<LineDiscipline['push']>[number], onLine: (session: Session, line: string) => Promise<void>): void {
    // The client's Enter moved its cursor to a fresh line.
    this.#atPrompt = false;
    if ('overlong' in decoded) {
      this.send(`That line was too long (at most ${this.#options.maxLineBytes} bytes); ignored.`);
      if (this.#pending === 0) this.#redraw();
      return;
    }
    this.lastLineAt = Date.now();
    if (!this.#bucket.take()) {
      this.#options.onRateLimited?.();
      this.send('Slow down: too many commands.');
      return;
    }
    if (this.#pending >= this.#options.burst) {
      this.#options.onRateLimited?.();
      this.send('Slow down: too many commands waiting.');
      return;
    }
    this.#pending++;
    this.#queue = this.#queue
      .then(() => (this.#closed && !this.playerId ? undefined : onLine(this, decoded.line)))
      .catch(() => undefined)
      .finally(() => {
        this.#pending--;
      });
  }
}
