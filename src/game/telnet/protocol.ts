/**
 * The telnet protocol (RFC 854) with option negotiation by the Q method of RFC 1143: every DO, DONT,
 * WILL and WONT is answered (agreed or refused, never ignored) and a request is never answered twice,
 * so two peers cannot loop. Pure byte handling: no sockets, no clock; the session feeds it bytes and
 * sends what it returns.
 */
export const IAC = 255;
export const DONT = 254;
export const DO = 253;
export const WONT = 252;
export const WILL = 251;
export const SB = 250;
export const GA = 249;
export const EL = 248;
export const EC = 247;
export const AYT = 246;
export const AO = 245;
export const IP = 244;
export const BRK = 243;
export const DM = 242;
export const NOP = 241;
export const SE = 240;
export const EOR_MARK = 239;

/** Options by number (RFC 856, 857, 858, 860, 1091, 885, 1073). */
export const OPT = { BINARY: 0, ECHO: 1, SGA: 3, TIMING_MARK: 6, TTYPE: 24, EOR: 25, NAWS: 31 } as const;

const TTYPE_IS = 0;
const TTYPE_SEND = 1;
/** Longest subnegotiation kept; longer ones are garbage and dropped. */
const MAX_SB = 64;

export type TelnetCommand = 'IP' | 'AO' | 'AYT' | 'BRK' | 'EC' | 'EL';

/** What the byte stream carried besides data. */
export type TelnetEvent =
  | { readonly type: 'data'; readonly bytes: Buffer }
  | { readonly type: 'command'; readonly command: TelnetCommand }
  | { readonly type: 'size'; readonly width: number; readonly height: number }
  | { readonly type: 'terminal'; readonly name: string };

/** `local`: what we do (WILL/WONT from us); `remote`: what the client does (DO/DONT from us). */
export type Side = 'local' | 'remote';
type State = 'no' | 'yes' | 'wantno' | 'wantyes';
interface Option {
  state: State;
}

/** Which options we agree to when the client asks. ECHO we only turn on ourselves (passwords). */
const ACCEPT: Readonly<Record<Side, ReadonlySet<number>>> = {
  local: new Set([OPT.BINARY, OPT.SGA, OPT.EOR]),
  remote: new Set([OPT.BINARY, OPT.SGA, OPT.NAWS, OPT.TTYPE]),
};

const COMMANDS: Readonly<Partial<Record<number, TelnetCommand>>> = { [IP]: 'IP', [AO]: 'AO', [AYT]: 'AYT', [BRK]: 'BRK', [EC]: 'EC', [EL]: 'EL' };

export class TelnetProtocol {
  readonly #send: (bytes: Buffer) => void;
  readonly #options: Record<Side, Map<number, Option>> = { local: new Map(), remote: new Map() };
  #state: 'data' | 'iac' | 'verb' | 'sb' | 'sb-iac' = 'data';
  #verb = 0;
  #sb: number[] = [];
  #sbOverflow = false;

  constructor(send: (bytes: Buffer) => void) {
    this.#send = send;
  }

  /**
   * What a server offers on connect: that the client send 8-bit data (without it Debian telnet strips
   * the 8th bit of what is typed before checking for its control keys, so the 0x9C in 本 becomes
   * Ctrl-\ and is sent as IAC BRK), EOR prompts, window size and terminal type. We do not offer to
   * send binary ourselves: Debian telnet then turns off its terminal's output processing and its local
   * echo of Enter loses the carriage return. UTF-8 output reaches it intact either way; a client that
   * asks for binary output gets it.
   */
  start(): void {
    this.request('remote', OPT.BINARY, true);
    this.request('local', OPT.EOR, true);
    this.request('remote', OPT.NAWS, true);
    this.request('remote', OPT.TTYPE, true);
  }

  enabled(side: Side, option: number): boolean {
    return this.#option(side, option).state === 'yes';
  }

  /** Asks to turn an option on or off (RFC 1143 "we want"); a repeated or pending request sends nothing. */
  request(side: Side, option: number, on: boolean): void {
    const o = this.#option(side, option);
    const ask = side === 'local' ? (on ? WILL : WONT) : on ? DO : DONT;
    switch (o.state) {
      case 'no':
        if (on) {
          o.state = 'wantyes';
          this.#reply(ask, option);
        }
        return;
      case 'yes':
        if (!on) {
          o.state = 'wantno';
          this.#reply(ask, option);
        }
        return;
      // A change of mind while our request is unanswered is sent at once rather than queued (RFC 1143
      // allows either): a client that never answers still sees WONT ECHO after a password. It cannot
      // loop: the late answer to the first request arrives in the opposite want-state and settles it.
      case 'wantno':
        if (on) {
          o.state = 'wantyes';
          this.#reply(ask, option);
        }
        return;
      case 'wantyes':
        if (!on) {
          o.state = 'wantno';
          this.#reply(ask, option);
        }
        return;
      default: {
        const _exhaustive: never = o.state;
        throw new Error(`unknown option state ${String(_exhaustive)}`);
      }
    }
  }

  /** Bytes that mark the end of a prompt: EOR when agreed, else GA unless go-ahead is suppressed. */
  promptEnd(): Buffer {
    if (this.enabled('local', OPT.EOR)) return Buffer.from([IAC, EOR_MARK]);
    if (this.enabled('local', OPT.SGA)) return Buffer.alloc(0);
    return Buffer.from([IAC, GA]);
  }

  /** Consumes bytes from the client; returns data (IAC IAC undone) and what else it said, in order. */
  receive(chunk: Buffer): TelnetEvent[] {
    const events: TelnetEvent[] = [];
    let data: number[] = [];
    const flush = (): void => {
      if (data.length) events.push({ type: 'data', bytes: Buffer.from(data) });
      data = [];
    };
    for (const byte of chunk) {
      switch (this.#state) {
        case 'data':
          if (byte === IAC) this.#state = 'iac';
          else data.push(byte);
          break;
        case 'iac':
          this.#state = 'data';
          if (byte === IAC) data.push(IAC);
          else if (byte === WILL || byte === WONT || byte === DO || byte === DONT) {
            this.#verb = byte;
            this.#state = 'verb';
          } else if (byte === SB) {
            this.#sb = [];
            this.#sbOverflow = false;
            this.#state = 'sb';
          } else {
            const command = COMMANDS[byte];
            if (command) {
              flush();
              events.push({ type: 'command', command });
            } // NOP, DM, GA, EOR and unknown commands carry nothing for us
          }
          break;
        case 'verb':
          this.#state = 'data';
          this.#negotiate(this.#verb, byte);
          break;
        case 'sb':
          if (byte === IAC) this.#state = 'sb-iac';
          else this.#sbByte(byte);
          break;
        case 'sb-iac':
          if (byte === SE) {
            this.#state = 'data';
            if (!this.#sbOverflow) {
              const event = this.#subnegotiation(this.#sb);
              if (event) {
                flush();
                events.push(event);
              }
            }
          } else {
            this.#state = 'sb';
            this.#sbByte(byte); // IAC IAC inside SB is a 255 data byte
          }
          break;
        default: {
          const _exhaustive: never = this.#state;
          throw new Error(`unknown parser state ${String(_exhaustive)}`);
        }
      }
    }
    flush();
    return events;
  }

  /** Text to bytes for the wire: UTF-8, with any 255 byte doubled. */
  static encode(text: string | Buffer): Buffer {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    if (!bytes.includes(IAC)) return bytes;
    const out: number[] = [];
    for (const b of bytes) {
      out.push(b);
      if (b === IAC) out.push(IAC);
    }
    return Buffer.from(out);
  }

  #sbByte(byte: number): void {
    if (this.#sb.length >= MAX_SB) this.#sbOverflow = true;
    else this.#sb.push(byte);
  }

  #subnegotiation(sb: number[]): TelnetEvent | undefined {
    const [option, ...rest] = sb;
    if (option === OPT.NAWS && rest.length === 4 && this.enabled('remote', OPT.NAWS)) {
      const [w1 = 0, w0 = 0, h1 = 0, h0 = 0] = rest;
      return { type: 'size', width: w1 * 256 + w0, height: h1 * 256 + h0 };
    }
    if (option === OPT.TTYPE && rest[0] === TTYPE_IS && this.enabled('remote', OPT.TTYPE)) {
      const name = Buffer.from(rest.slice(1)).toString('latin1').replace(/[^\x20-\x7e]/g, '');
      return { type: 'terminal', name };
    }
    return undefined;
  }

  #negotiate(verb: number, option: number): void {
    // TIMING-MARK is a question, not a state: "have you processed everything before this?" Yes.
    if (option === OPT.TIMING_MARK) {
      if (verb === DO) this.#reply(WILL, option);
      else if (verb === WILL) this.#reply(DONT, option);
      return;
    }
    const side: Side = verb === DO || verb === DONT ? 'local' : 'remote';
    const positive = verb === DO || verb === WILL;
    const agree = side === 'local' ? WILL : DO;
    const refuse = side === 'local' ? WONT : DONT;
    const o = this.#option(side, option);
    if (positive) {
      switch (o.state) {
        case 'no':
          if (ACCEPT[side].has(option)) {
            o.state = 'yes';
            this.#reply(agree, option);
            this.#enabled(side, option);
          } else this.#reply(refuse, option);
          return;
        case 'yes':
          return;
        case 'wantno':
          // A yes to our no (or the late answer to a request we withdrew): no stays no.
          o.state = 'no';
          return;
        case 'wantyes':
          o.state = 'yes';
          this.#enabled(side, option);
          return;
        default: {
          const _exhaustive: never = o.state;
          throw new Error(`unknown option state ${String(_exhaustive)}`);
        }
      }
    }
    switch (o.state) {
      case 'no':
        return;
      case 'yes':
        o.state = 'no';
        this.#reply(refuse, option);
        return;
      case 'wantno':
      case 'wantyes':
        o.state = 'no';
        return;
      default: {
        const _exhaustive: never = o.state;
        throw new Error(`unknown option state ${String(_exhaustive)}`);
      }
    }
  }

  /** Follow-ups when an option comes on: ask for the terminal type once TTYPE is agreed. */
  #enabled(side: Side, option: number): void {
    if (side === 'remote' && option === OPT.TTYPE) this.#send(Buffer.from([IAC, SB, OPT.TTYPE, TTYPE_SEND, IAC, SE]));
  }

  #reply(verb: number, option: number): void {
    this.#send(Buffer.from([IAC, verb, option]));
  }

  #option(side: Side, option: number): Option {
    let o = this.#options[side].get(option);
    if (!o) {
      o = { state: 'no' };
      this.#options[side].set(option, o);
    }
    return o;
  }
}
