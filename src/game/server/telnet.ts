/** Telnet bytes we act on. */
export const IAC = 255;
const SB = 250;
const SE = 240;
const WILL = 251;
const WONT = 252;
const DO = 253;
const DONT = 254;
const ECHO = 1;

/** Server WILL ECHO: the client stops echoing, so a typed password is not shown. */
export const ECHO_OFF = Buffer.from([IAC, WILL, ECHO]);
/** Server WONT ECHO: the client echoes again. */
export const ECHO_ON = Buffer.from([IAC, WONT, ECHO]);

export type DecodedLine = { readonly line: string } | { readonly overlong: true };

/**
 * Turns a telnet byte stream into lines. Negotiation (IAC commands and subnegotiation) is consumed
 * and ignored, control bytes other than CR/LF are dropped, invalid UTF-8 becomes U+FFFD, and a line
 * longer than `maxLineBytes` is discarded whole (reported once as overlong) instead of buffered.
 */
export class LineDecoder {
  readonly #max: number;
  #bytes: number[] = [];
  #state: 'data' | 'iac' | 'option' | 'sb' | 'sb-iac' = 'data';
  #overlong = false;

  constructor(maxLineBytes = 512) {
    this.#max = maxLineBytes;
  }

  push(chunk: Buffer): DecodedLine[] {
    const out: DecodedLine[] = [];
    for (const byte of chunk) {
      switch (this.#state) {
        case 'iac':
          if (byte === SB) this.#state = 'sb';
          else if (byte === WILL || byte === WONT || byte === DO || byte === DONT) this.#state = 'option';
          else {
            if (byte === IAC) this.#keep(byte); // an escaped 255 is data
            this.#state = 'data';
          }
          continue;
        case 'option':
          this.#state = 'data';
          continue;
        case 'sb':
          if (byte === IAC) this.#state = 'sb-iac';
          continue;
        case 'sb-iac':
          this.#state = byte === SE ? 'data' : 'sb';
          continue;
        case 'data':
          break;
      }
      if (byte === IAC) this.#state = 'iac';
      else if (byte === 10) out.push(this.#end());
      else if (byte === 13 || byte === 0) continue; // CR (LF ends lines), NUL after CR
      else if (byte < 32 || byte === 127) continue; // other control bytes: dropped
      else this.#keep(byte);
    }
    return out;
  }

  #keep(byte: number): void {
    if (this.#bytes.length >= this.#max) {
      this.#overlong = true;
      this.#bytes = [];
    }
    if (!this.#overlong) this.#bytes.push(byte);
  }

  #end(): DecodedLine {
    const line = this.#overlong ? ({ overlong: true } as const) : { line: Buffer.from(this.#bytes).toString('utf8').trim() };
    this.#bytes = [];
    this.#overlong = false;
    return line;
  }
}
