/** ANSI colours for what players read, and wrapping that ignores them when counting columns. */

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

const WIDE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u3000-\u303F\uFF00-\uFF60\uFFE0-\uFFE6]/u;

/** Columns a line takes on screen: colour codes and a leading CR take none, CJK and full-width letters two. */
const visible = (text: string): number => [...stripColor(text).replace(/\r/g, '')].reduce((n, ch) => n + (WIDE.test(ch) ? 2 : 1), 0);

/**
 * Wraps each line to `width` columns at spaces (a word longer than the line is cut), keeping a line's
 * leading indent on its continuation lines; removes colour when `colors` is false.
 */
export function formatForClient(text: string, width: number, colors: boolean): string {
  const plain = colors ? text : stripColor(text);
  const columns = Math.max(20, Math.min(width, 250));
  return plain
    .split('\n')
    .flatMap((line) => wrapLine(line, columns))
    .join('\n');
}

function wrapLine(line: string, width: number): string[] {
  if (visible(line) <= width) return [line];
  const indent = /^ */.exec(line)?.[0] ?? '';
  const out: string[] = [];
  let current = '';
  for (const word of line.slice(indent.length).split(/ +/)) {
    const candidate = current ? `${current} ${word}` : `${indent}${word}`;
    if (visible(candidate) <= width || !current) {
      current = candidate;
      while (visible(current) > width) {
        // A word longer than the line: cut it (colour codes are not split by a cut of plain text).
        const chars = [...stripColor(current)];
        out.push(chars.slice(0, width).join(''));
        current = indent + chars.slice(width).join('');
      }
      continue;
    }
    out.push(current);
    current = `${indent}${word}`;
  }
  if (current.trim()) out.push(current);
  return out;
}
