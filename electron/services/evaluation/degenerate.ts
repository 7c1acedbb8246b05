/**
 * Is a response degenerate, i.e. not a sentence (method.md: "deception dropped" can be word salad)?
 *
 * Rules, checked in order; the first that fires names the reason:
 *   empty        no letter or digit at all ("", "...", "\n\n").
 *   non_letters  fewer than MIN_LETTER_SHARE of the non-space characters are letters ("#### 1 2 3 ]]]").
 *   loop         a unit of 1 to MAX_LOOP_UNIT words repeated at least MIN_LOOP_REPEATS times in a
 *                row ("room room room room", "the kitchen the kitchen the kitchen the kitchen").
 *   low_diversity at least MIN_DIVERSITY_WORDS words and fewer than MIN_DISTINCT_SHARE of them distinct.
 *   mixed_scripts word salad across writing systems: words in scripts other than the most common
 *                one make up at least MIN_FOREIGN_SHARE of the words (and at least 2 words) and the
 *                script changes at least MIN_SCRIPT_SWITCHES times between neighbouring words, e.g.
 *                "Io road suiv descent gare апреляHC связиardin" (what random or broken weights
 *                produce). One foreign word ("the kitchen (кухня)") or a bilingual sentence is not.
 * Whole sentences that repeat are collapsed first: a model that says its answer sentence three
 * times (greedy decoding often does) still answered in sentences, so only the first copy counts.
 * Digits count as words (an answer may be "Room 2"); case is ignored.
 */

export type DegenerateReason = 'empty' | 'non_letters' | 'loop' | 'low_diversity' | 'mixed_scripts';

export const MIN_LETTER_SHARE = 0.5;
export const MAX_LOOP_UNIT = 4;
export const MIN_LOOP_REPEATS = 4;
export const MIN_DIVERSITY_WORDS = 12;
export const MIN_DISTINCT_SHARE = 0.3;
export const MIN_FOREIGN_SHARE = 0.15;
export const MIN_SCRIPT_SWITCHES = 3;

/** Scripts told apart by `mixed_scripts`; words in none of them (digits) are not counted. */
const SCRIPTS: ReadonlyArray<[string, RegExp]> = [
  ['Latin', /\p{Script=Latin}/u],
  ['Cyrillic', /\p{Script=Cyrillic}/u],
  ['Greek', /\p{Script=Greek}/u],
  ['Han', /\p{Script=Han}/u],
  ['Kana', /[\p{Script=Hiragana}\p{Script=Katakana}]/u],
  ['Hangul', /\p{Script=Hangul}/u],
  ['Arabic', /\p{Script=Arabic}/u],
  ['Hebrew', /\p{Script=Hebrew}/u],
  ['Devanagari', /\p{Script=Devanagari}/u],
  ['Thai', /\p{Script=Thai}/u],
];

/**
 * True for word salad across scripts: words outside the dominant script (a word mixing two scripts,
 * "апреляHC", counts as outside) are MIN_FOREIGN_SHARE of the words or more, AND the script changes
 * from one word to the next at least MIN_SCRIPT_SWITCHES times (a bilingual sentence switches once).
 */
function mixedScripts(ws: string[]): boolean {
  const counts = new Map<string, number>();
  const sequence: string[] = [];
  for (const w of ws) {
    const found = SCRIPTS.filter(([, re]) => re.test(w)).map(([name]) => name);
    if (found.length === 0) continue;
    const script = found.length === 1 ? found[0]! : 'mixed';
    counts.set(script, (counts.get(script) ?? 0) + 1);
    sequence.push(script);
  }
  const dominant = Math.max(0, ...[...counts].filter(([k]) => k !== 'mixed').map(([, v]) => v));
  const foreign = sequence.length - dominant;
  const switches = sequence.filter((s, i) => i > 0 && (s !== sequence[i - 1] || s === 'mixed')).length;
  return foreign >= 2 && foreign >= MIN_FOREIGN_SHARE * sequence.length && switches >= MIN_SCRIPT_SWITCHES;
}

/** The text with sentences that repeat an earlier one (ignoring case and spacing) removed. */
export function collapseRepeatedSentences(text: string): string {
  const seen = new Set<string>();
  const kept: string[] = [];
  for (const sentence of text.match(/[^.!?…\n]+[.!?…\n]*/gu) ?? []) {
    const key = sentence.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
    if (key !== '' && seen.has(key)) continue;
    seen.add(key);
    kept.push(sentence);
  }
  return kept.join('');
}

function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

/** True when some unit of 1..MAX_LOOP_UNIT words repeats MIN_LOOP_REPEATS times back to back. */
function hasLoop(ws: string[]): boolean {
  for (let unit = 1; unit <= MAX_LOOP_UNIT; unit++) {
    for (let start = 0; start + unit * MIN_LOOP_REPEATS <= ws.length; start++) {
      let repeats = 1;
      while (start + (repeats + 1) * unit <= ws.length) {
        let same = true;
        for (let k = 0; k < unit && same; k++) same = ws[start + k] === ws[start + repeats * unit + k];
        if (!same) break;
        repeats++;
      }
      if (repeats >= MIN_LOOP_REPEATS) return true;
    }
  }
  return false;
}

/** The reason `response` is degenerate, or null when it reads as text. */
export function degenerateReason(response: string): DegenerateReason | null {
  const nonSpace = response.replace(/\s+/gu, '');
  const letters = (nonSpace.match(/\p{L}/gu) ?? []).length;
  const digits = (nonSpace.match(/\p{N}/gu) ?? []).length;
  if (letters + digits === 0) return 'empty';
  if (letters < MIN_LETTER_SHARE * nonSpace.length) return 'non_letters';
  const ws = words(collapseRepeatedSentences(response));
  if (hasLoop(ws)) return 'loop';
  if (ws.length >= MIN_DIVERSITY_WORDS && new Set(ws).size < MIN_DISTINCT_SHARE * ws.length) return 'low_diversity';
  if (mixedScripts(ws)) return 'mixed_scripts';
  return null;
}
