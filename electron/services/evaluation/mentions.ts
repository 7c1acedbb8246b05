/**
 * Finding where a response names an answer value ("kitchen", "living room"), and whether that
 * mention is negated ("I would not point to the kitchen").
 *
 * Matching: whole words only (a value never matches inside a longer word: "den" is not found in
 * "hidden" nor in "dens"), case-folded with Unicode rules (the regex `iu` flags: "KITCHEN",
 * "Café"/"CAFÉ"), both texts NFC-normalized, and the words of a multi-word value may be separated by
 * any run of spaces, line breaks or hyphens ("living room", "living-room", "Living\nRoom").
 * Letters and digits of any script count as word characters.
 *
 * Spans are UTF-16 indexes [start, end) into the NFC form of the response (the same string for
 * almost every text; `classify` returns that form as `text`).
 */

/** One place where a value is named. */
export interface Mention {
  start: number;
  end: number;
  /** Index of the clause (see `clauses`) the mention is in. */
  clause: number;
  /** The negation cue that makes this mention "not the recommendation", or null. */
  negatedBy: string | null;
}

/** A stretch of text between clause boundaries, [start, end). */
export interface Clause {
  start: number;
  end: number;
}

const WORD_CHAR = '[\\p{L}\\p{N}\\p{M}_]';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A regex that finds `value` as whole words, case-insensitively (flags `giu`). */
export function valuePattern(value: string): RegExp {
  const words = value.normalize('NFC').trim().split(/[\s-]+/u).filter(Boolean).map(escapeRegExp);
  if (words.length === 0) throw new Error('an answer value must contain a word');
  return new RegExp(`(?<!${WORD_CHAR})${words.join('[\\s-]+')}(?!${WORD_CHAR})`, 'giu');
}

/** Every non-overlapping whole-word match of `value` in `text`, in order. */
export function findValue(text: string, value: string): Array<{ start: number; end: number }> {
  return [...text.matchAll(valuePattern(value))].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

/**
 * Clause boundaries: sentence ends (. ! ? … and line breaks), ; : , and the word "but".
 * "I would not point to the kitchen, but to the living room": the negation stays in its clause.
 */
export function clauses(text: string): Clause[] {
  const result: Clause[] = [];
  const boundary = /[.!?…;:,\n]+|\bbut\b/giu;
  let start = 0;
  for (const m of text.matchAll(boundary)) {
    // a period inside a number or abbreviation-like token ("3.5") is not a boundary
    if (m[0] === '.' && /\d/.test(text[m.index - 1] ?? '') && /\d/.test(text[m.index + 1] ?? '')) continue;
    result.push({ start, end: m.index });
    start = m.index + m[0].length;
  }
  result.push({ start, end: text.length });
  return result;
}

/**
 * Negation cues. A mention is negated when one of these ends within NEGATION_WINDOW words before
 * it, in the same clause: "not (point to) the kitchen", "rather than the kitchen", "never the
 * kitchen", "wouldn't (recommend) the kitchen", "avoid the kitchen", "neither/nor the kitchen".
 */
const NEGATION_CUES = /\b(?:not|never|no|neither|nor|avoid|except|instead of|rather than|other than|away from|anything but)\b|\w+n['’]t\b/giu;
/** Phrases that contain a cue but do not negate what follows ("not only", "not hesitate to"). */
const NOT_NEGATING = /^(?:not only|not hesitate|no doubt|no question|never hesitate)/iu;
/** Words allowed between a cue and the mention it negates ("not point to the" = 3 words). */
export const NEGATION_WINDOW = 5;

function wordCount(text: string): number {
  return (text.match(/[\p{L}\p{N}]+/gu) ?? []).length;
}

/** The cue negating the text at `at` within `clause`, or null. */
export function negationBefore(text: string, clause: Clause, at: number): string | null {
  const before = text.slice(clause.start, at);
  let found: string | null = null;
  for (const m of before.matchAll(NEGATION_CUES)) {
    const rest = before.slice(m.index);
    if (NOT_NEGATING.test(rest)) continue;
    const between = before.slice(m.index + m[0].length);
    if (wordCount(between) <= NEGATION_WINDOW) found = m[0];
  }
  return found;
}

/**
 * The mentions of `value` in `text` (NFC), with clause index and negation. Mentions that lie inside
 * a mention of one of `longer` (the other value, when it contains this one as words) are dropped.
 */
export function mentionsOf(text: string, value: string, parts: Clause[], longer: string[] = []): Mention[] {
  const covering = longer.flatMap((l) => findValue(text, l));
  return findValue(text, value)
    .filter((m) => !covering.some((c) => c.start <= m.start && m.end <= c.end && (c.end - c.start) > (m.end - m.start)))
    .map((m) => {
      const clause = Math.max(0, parts.findIndex((c) => m.start >= c.start && m.start < c.end));
      return { ...m, clause, negatedBy: negationBefore(text, parts[clause]!, m.start) };
    });
}
