import { sanitizeText } from './sanitize.ts';

export type DecodedLine = { readonly line: string } | { readonly overlong: true };

const CR = 13;
const LF = 10;
const NUL = 0;
const BS = 8;
const DEL = 127;
const CTRL_U = 21;

/**
 * Turns the client's data bytes into lines. A line ends at CR LF, CR NUL, a bare CR or a bare LF; it
 * is decoded as UTF-8 only when complete, so a character split across TCP packets arrives whole
 * (invalid bytes become U+FFFD), and is sanitized before anyone sees it. Backspace/DEL and telnet EC
 * erase a whole character, Ctrl-U and telnet EL the line. A line longer than `maxBytes` is discarded
 * (reported once as overlong) instead of buffered.
 */
export class LineDiscipline {
  readonly #max: number;
  #bytes: number[] = [];
  #overlong = false;
  /** The byte after a CR that belongs to it (LF or NUL) is skipped. */
  #afterCr = false;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  push(bytes: Buffer): DecodedLine[] {
    const out: DecodedLine[] = [];
    for (const byte of bytes) {
      const afterCr = this.#afterCr;
      this.#afterCr = false;
      if (afterCr && (byte === LF || byte === NUL)) continue;
      if (byte === CR) {
        this.#afterCr = true;
        out.push(this.#end());
      } else if (byte === LF) out.push(this.#end());
      else if (byte === BS || byte === DEL) this.eraseCharacter();
      else if (byte === CTRL_U) this.eraseLine();
      else this.#keep(byte);
    }
    return out;
  }

  /** Telnet EC, Backspace: removes the last character (all bytes of a multi-byte one). */
  eraseCharacter(): void {
    let i = this.#bytes.length - 1;
    while (i > 0 && ((this.#bytes[i] ?? 0) & 0xc0) === 0x80) i--;
    this.#bytes.length = Math.max(0, i);
  }

  /** Telnet EL, IP, BRK: forget the line typed so far. */
  eraseLine(): void {
    this.#bytes = [];
    this.#overlong = false;
  }

  #keep(byte: number): void {
    if (this.#overlong) return;
    if (this.#bytes.length >= this.#max) {
      this.#overlong = true;
      this.#bytes = [];
      return;
    }
    this.#bytes.push(byte);
  }

  #end(): DecodedLine {
    const line: DecodedLine = this.#overlong ? { overlong: true } : { line: sanitizeText(Buffer.from(this.#bytes).toString('utf8')).trim() };
    this.#bytes = [];
    this.#overlong = false;
    return line;
  }
}
