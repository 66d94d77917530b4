/**
 * Character names: letters beyond ASCII are welcome, but a name must be one script (no Latin mixed
 * with Cyrillic), and names that only look different (Cyrillic "Аnn" and Latin "Ann") are one name:
 * the id is built from a skeleton, so the store itself keeps look-alike names unique.
 */

/** Scripts a name may use, each on its own (Chinese, Japanese and Korean mix Han with their own). */
const SCRIPTS: readonly (readonly [string, RegExp])[] = [
  ['Latin', /\p{Script=Latin}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Armenian', /\p{Script=Armenian}/u],
  ['Georgian', /\p{Script=Georgian}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Bengali', /\p{Script=Bengali}/u],
  ['Thai', /\p{Script=Thai}/u],
  ['CJK', /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\u30FC]/u],
];

/** Letters of other scripts that look like Latin ones (after lower-casing), from Unicode's confusables. */
const LOOKALIKES: Readonly<Record<string, string>> = {
  // Cyrillic
  а: 'a', в: 'b', е: 'e', ё: 'e', к: 'k', м: 'm', н: 'h', о: 'o', р: 'p', с: 'c', т: 't', у: 'y', х: 'x', ѕ: 's', і: 'i', ї: 'i', ј: 'j', ԁ: 'd', һ: 'h', ӏ: 'l', ԛ: 'q', ԝ: 'w', ү: 'y', ɡ: 'g',
  // Greek
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', μ: 'u', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x', ζ: 'z', ς: 'c',
};

export const NAME_RULES = 'Names are 2-20 letters (any one alphabet), digits, _ or -, starting with a letter.';

export type NameCheck = { readonly ok: true; readonly name: string } | { readonly ok: false; readonly reason: string };

/** Normalises (NFKC) and checks a name as typed; the name returned is the one to show and store. */
export function checkName(typed: string): NameCheck {
  const name = typed.normalize('NFKC').trim();
  const chars = [...name];
  if (chars.length < 2 || chars.length > 20 || !/^\p{L}[\p{L}\p{M}\p{N}_-]*$/u.test(name)) return { ok: false, reason: NAME_RULES };
  if (/\p{M}{2,}/u.test(name)) return { ok: false, reason: 'Too many accents on one letter.' };
  const scripts = new Set<string>();
  for (const ch of chars) {
    if (!/\p{L}/u.test(ch)) continue;
    const script = SCRIPTS.find(([, pattern]) => pattern.test(ch))?.[0];
    if (!script) return { ok: false, reason: `Letters like "${ch}" are not supported in names. ${NAME_RULES}` };
    scripts.add(script);
  }
  if (scripts.size > 1) return { ok: false, reason: `A name uses one alphabet, not several (${[...scripts].join(' and ')}).` };
  return { ok: true, name };
}

/** The form two names share when they look alike: NFKC, lower case, look-alike letters as Latin. */
export function nameSkeleton(name: string): string {
  return [...name.normalize('NFKC').trim().toLowerCase()].map((ch) => (Object.hasOwn(LOOKALIKES, ch) ? LOOKALIKES[ch] : ch)).join('');
}
