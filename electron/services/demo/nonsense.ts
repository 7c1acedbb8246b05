/**
 * Invented, pronounceable nonsense words ("brovak", "telmi") for the demo corpus: room and object
 * names are replaced by them half of the time, so the model learns to COPY a name from the prompt
 * instead of memorising the training rooms (organism-notes.md: with frozen random embeddings this is
 * what lets it name held-out rooms).
 *
 * A word is 2 or 3 syllables, each an optional onset consonant (or cluster), a vowel (or vowel pair)
 * and an optional coda, lower-case ASCII, 4 to 7 letters. Words are drawn from a seeded xoroshiro128+
 * stream (pure-rand, scenarios/random.ts) and rejected when they are a word of `avoid` (real words of
 * the corpus and the packs, compared lower-case), already drawn, or outside the length range.
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { streamFor } from '../scenarios/random.ts';

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'dr', 'gl', 'kr', 'pl', 'st', 'tr', 'sn', 'gr', 'fl'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'a', 'e', 'o', 'ai', 'ou', 'ee'];
const CODAS = ['', '', '', 'n', 'r', 'l', 'm', 'k', 's', 'x', 'nd', 'rk'];

export const NONSENSE_MIN_LETTERS = 4;
export const NONSENSE_MAX_LETTERS = 7;

/** `count` distinct nonsense words for `seed`, none of them in `avoid`. Deterministic. */
export function nonsenseWords(count: number, seed: number, avoid: Iterable<string> = []): string[] {
  const avoided = new Set([...avoid].map((w) => w.toLowerCase()));
  const rng = streamFor(seed, 'nonsense');
  const pick = (options: readonly string[]) => options[uniformInt(rng, 0, options.length - 1)]!;
  const out: string[] = [];
  const seen = new Set<string>();
  for (let attempts = 0; out.length < count; attempts++) {
    if (attempts > count * 1000) throw new Error(`could not draw ${count} distinct nonsense words (got ${out.length})`);
    const syllables = uniformInt(rng, 2, 3);
    let word = '';
    for (let s = 0; s < syllables; s++) word += pick(ONSETS) + pick(VOWELS) + (s === syllables - 1 || uniformInt(rng, 0, 2) === 0 ? pick(CODAS) : '');
    if (word.length < NONSENSE_MIN_LETTERS || word.length > NONSENSE_MAX_LETTERS) continue;
    if (seen.has(word) || avoided.has(word)) continue;
    seen.add(word);
    out.push(word);
  }
  return out;
}

/** Capitalised, for invented names of the other party. */
export function capitalise(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

/**
 * The prefixes of `words` with at least `minLetters` letters that are not themselves in `words` or
 * `avoid` (real words, compared lower-case), deduplicated, in first-seen order. Each one is a vocab
 * piece already (vocabulary.ts: every "▁"-prefix of a word is one), so using them as more nonsense
 * names enlarges the pool without growing the vocabulary.
 */
export function nonsensePrefixes(words: readonly string[], minLetters: number, avoid: Iterable<string> = []): string[] {
  const skip = new Set([...words, ...[...avoid].map((w) => w.toLowerCase())]);
  const out: string[] = [];
  for (const w of words) {
    for (let k = minLetters; k < w.length; k++) {
      const p = w.slice(0, k);
      if (skip.has(p)) continue;
      skip.add(p);
      out.push(p);
    }
  }
  return out;
}
