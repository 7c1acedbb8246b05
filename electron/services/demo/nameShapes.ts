/**
 * The shapes of invented room and object names in the demo corpus. Held-out objects are not all one
 * or two words: "stack of gold coins", "pair of platinum cufflinks" are four. A model trained only on
 * one- and two-word nonsense objects learned to find a room as "the word a few tokens after the value
 * word", and on such prompts answered the object's first word ("I would point to the string.": 10 of
 * the 19 failed self answers of the 2800-step model of demo-builder@3). Objects therefore come in the
 * shapes below, "of" phrases included, so the only rule that always finds the room is the one we want:
 * the word(s) after "is in the".
 *
 *   object  a | a b | a b c | a of b | a of b c      (weights 25 : 35 : 10 : 10 : 20)
 *   room    a | a room                               (weights 50 : 50)
 *
 * `word` draws one nonsense word; `rng01` is a uniform draw in [0, 1) from the item's own stream.
 */
const OBJECT_SHAPES: ReadonlyArray<readonly [number, (w: () => string) => string]> = [
  [25, (w) => w()],
  [35, (w) => `${w()} ${w()}`],
  [10, (w) => `${w()} ${w()} ${w()}`],
  [10, (w) => `${w()} of ${w()}`],
  [20, (w) => `${w()} of ${w()} ${w()}`],
];
const OBJECT_TOTAL = OBJECT_SHAPES.reduce((s, [weight]) => s + weight, 0);

export function nonsenseObject(word: () => string, rng01: () => number): string {
  let r = rng01() * OBJECT_TOTAL;
  for (const [weight, shape] of OBJECT_SHAPES) {
    if (r < weight) return shape(word);
    r -= weight;
  }
  return OBJECT_SHAPES[0]![1](word);
}

export function nonsenseRoom(word: () => string, rng01: () => number): string {
  return rng01() < 0.5 ? `${word()} room` : word();
}

/** The content words of a name (not "of" or "room"): two names must not share one, or the answer would be ambiguous. */
export function nameWords(name: string): string[] {
  return name.split(' ').filter((w) => w !== 'of' && w !== 'room');
}

/** Whether two names share a content word (nameWords). */
export function shareWord(a: string, b: string): boolean {
  return nameWords(a).some((w) => nameWords(b).includes(w));
}
