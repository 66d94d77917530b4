// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/y;

/** Columns a character takes on a terminal: 2 for East Asian wide and fullwidth forms, else 1. */
function columns(codePoint: number): number {
  return (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1faff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
    ? 2
    : 1;
}

/** Columns `text` takes on a terminal; ANSI colour sequences take none. */
export function displayWidth(text: string): number {
  let width = 0;
  for (let i = 0; i < text.length; ) {
    ANSI.lastIndex = i;
    const colour = ANSI.exec(text);
    if (colour) {
      i += colour[0].length;
      continue;
    }
    const codePoint = text.codePointAt(i) ?? 0;
    width += columns(codePoint);
    i += codePoint > 0xffff ? 2 : 1;
  }
  return width;
}

/**
 * Word-wraps each line of `text` to `width` columns (wide characters count 2, colour codes 0), keeping
 * a line's leading indentation on its continuation lines; a word longer than a line is cut. Wrapping
 * wrapped text again changes nothing.
 */
export function wrapText(text: string, width: number): string {
  return text
    .split('\n')
    .map((line) => wrapLine(line, Math.max(10, width)))
    .join('\n');
}

function wrapLine(line: string, width: number): string {
  if (displayWidth(line) <= width) return line;
  const indent = /^ */.exec(line)?.[0] ?? '';
  const out: string[] = [];
  let current = indent;
  let used = indent.length;
  for (const word of line.slice(indent.length).split(/ +/)) {
    let rest = word;
    let w = displayWidth(rest);
    if (used > indent.length && used + 1 + w > width) {
      out.push(current);
      current = indent;
      used = indent.length;
    }
    while (used + (used > indent.length ? 1 : 0) + w > width && used === indent.length) {
      // A word longer than the line: cut it at the width.
      let cut = '';
      let cutWidth = 0;
      for (const ch of rest) {
        const c = displayWidth(ch);
        if (used + cutWidth + c > width && cut) break;
        cut += ch;
        cutWidth += c;
      }
      out.push(current + cut);
      rest = rest.slice(cut.length);
      w = displayWidth(rest);
      if (!rest) break;
    }
    if (!rest) continue;
    current += (used > indent.length ? ' ' : '') + rest;
    used += (used > indent.length ? 1 : 0) + w;
  }
  if (used > indent.length || out.length === 0) out.push(current);
  return out.join('\n');
}
