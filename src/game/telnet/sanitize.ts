/**
 * Characters that must never reach another player's terminal: C0 controls and DEL (escape sequences,
 * bells, cursor moves), C1 controls (U+0080-U+009F: CSI, OSC, and U+0085 NEXT LINE), the line and
 * paragraph separators U+2028/U+2029, and the bidi embeddings, overrides and isolates (U+202A-U+202E,
 * U+2066-U+2069) that reorder what others read. Tabs become spaces; everything else is removed.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** The one filter for text a player sends (names, speech, descriptions, item names), applied where it enters. */
export function sanitizeText(text: string): string {
  return text.replace(/\t/g, ' ').replace(UNSAFE, '');
}
