import { wrapText } from '../telnet/wrap.ts';

/** ANSI colours for what players read, and the one function that formats text for a client. */

const ESC = '\x1b[';
const paint = (code: string) => (text: string) => `${ESC}${code}m${text}${ESC}0m`;

export const color = {
  room: paint('1;36'),
  exit: paint('32'),
  item: paint('33'),
  person: paint('35'),
  speech: paint('37'),
  alert: paint('1;31'),
};

const SGR = /\x1b\[[0-9;]*m/g;

export const stripColor = (text: string): string => text.replace(SGR, '');

/**
 * What a player reads: wrapped to `width` columns by the telnet layer's wrapText (wide characters count
 * two, colour codes none, indentation kept), without colour when `colors` is false.
 */
export function formatForClient(text: string, width: number, colors: boolean): string {
  return wrapText(colors ? text : stripColor(text), Math.max(20, Math.min(width, 250)));
}
