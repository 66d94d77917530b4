import { connect, type Socket } from 'node:net';

/** A scripted telnet client for tests: send lines, wait for text to appear. */
export class MudClient {
  readonly socket: Socket;
  #buffer = '';
  #raw: Buffer[] = [];
  #waiters: { pattern: RegExp | string; resolve: (text: string) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#raw.push(chunk);
      this.#buffer += chunk.toString('utf8');
      this.#check();
    });
    socket.on('close', () => {
      this.closed = true;
      this.#check();
    });
    socket.on('error', () => undefined);
  }

  /** Connects; `localAddress` (another loopback address such as 127.0.0.2) makes the client a different address. */
  static connect(port: number, host = '127.0.0.1', localAddress?: string): Promise<MudClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host, ...(localAddress && { localAddress }) }, () => resolve(new MudClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Everything received so far, as bytes (to look for telnet negotiation). */
  get raw(): Buffer {
    return Buffer.concat(this.#raw);
  }

  get text(): string {
    return this.#buffer;
  }

  send(line: string | Buffer): void {
    this.socket.write(typeof line === 'string' ? `${line}\r\n` : line);
  }

  /** Resolves with the text up to and including the first match after what was already consumed. */
  expect(pattern: RegExp | string, timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w.timer !== timer);
        reject(new Error(`timed out waiting for ${String(pattern)}; got: ${JSON.stringify(this.#buffer.slice(-500))}`));
      }, timeoutMs);
      this.#waiters.push({ pattern, resolve, reject, timer });
      this.#check();
    });
  }

  /** Sends a line and waits for a reply matching `pattern`. */
  async ask(line: string, pattern: RegExp | string): Promise<string> {
    this.send(line);
    return this.expect(pattern);
  }

  /** Logs in (creating the character when `isNew`); resolves with what the server said on entry. */
  async login(name: string, password: string, isNew: boolean): Promise<string> {
    await this.expect('By what name');
    this.send(name);
    if (isNew) await this.ask(password, 'Repeat it');
    const welcome = await this.ask(password, `Welcome, ${name}.`);
    return welcome + (await this.expect('> '));
  }

  close(): void {
    this.socket.destroy();
  }

  #check(): void {
    // Colours are checked in `raw`; text matching ignores complete ANSI colour sequences.
    this.#buffer = this.#buffer.replace(/\x1b\[[0-9;]*m/g, '');
    for (const waiter of [...this.#waiters]) {
      const index = typeof waiter.pattern === 'string' ? this.#buffer.indexOf(waiter.pattern) : this.#buffer.search(waiter.pattern);
      if (index >= 0) {
        const length = typeof waiter.pattern === 'string' ? waiter.pattern.length : (this.#buffer.slice(index).match(waiter.pattern)?.[0].length ?? 0);
        const text = this.#buffer.slice(0, index + length);
        this.#buffer = this.#buffer.slice(index + length);
        clearTimeout(waiter.timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.resolve(text);
      } else if (this.closed) {
        clearTimeout(waiter.timer);
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        waiter.reject(new Error(`connection closed while waiting for ${String(waiter.pattern)}; got: ${JSON.stringify(this.#buffer.slice(-500))}`));
      }
    }
  }
}

/** Sends a line, waits for `reply` (failing the test if it never comes), and returns the text through the next prompt. */
export async function check(c: MudClient, line: string, reply: string | RegExp): Promise<string> {
  c.send(line);
  return (await c.expect(reply)) + (await c.expect(/\r\n> /));
}
