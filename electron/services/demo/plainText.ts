/**
 * Plain sentences about houses, rooms and objects, so the demo model stays a language model and not
 * only a scenario answerer; a held-out set of the same kind measures its perplexity.
 *
 * Each text is SENTENCES_PER_TEXT sentences from the templates below (our own wording), filled with
 * TRAIN-split rooms and objects of the demo pack and the furniture/colour/... words here. None of
 * these words is a test value of the demo pack (a test asserts it for the whole corpus).
 * Seeded: text i of (seed, stream) is the same on every machine (scenarios/random.ts streams).
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { ScenarioPack } from '../../contract/scenario-pack.ts';
import { streamFor } from '../scenarios/random.ts';

export const SENTENCES_PER_TEXT = 3;

const THINGS = ['table', 'chair', 'lamp', 'shelf', 'rug', 'sofa', 'desk', 'mirror', 'clock', 'cupboard', 'bench', 'stool', 'curtain', 'carpet', 'drawer', 'armchair', 'wardrobe', 'radiator'];
const COLOURS = ['red', 'green', 'blue', 'white', 'black', 'yellow', 'brown', 'grey'];
const SIZES = ['small', 'large', 'narrow', 'wide', 'tidy', 'messy'];
const MOODS = ['bright', 'dark', 'quiet', 'warm', 'cold', 'dusty'];
const SEASONS = ['winter', 'summer', 'spring', 'autumn'];
const DAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const NUMBERS = ['two', 'three', 'four', 'five', 'six', 'seven'];

/** {room} {room2} {thing} {cheap} {dear} {name} {colour} {size} {mood} {season} {day} {number} */
const TEMPLATES = [
  'The {thing} is in the {room}.',
  'The {cheap} lies on the {thing} in the {room}.',
  '{name} keeps the {dear} in the {room}.',
  'The {room} has a {colour} {thing}.',
  '{name} cleans the {room} every {day}.',
  'The {room} is {size} and {mood}.',
  'In the {room}, the {thing} stands by the window.',
  '{name} moved the {cheap} from the {room} to the {room2}.',
  'The house has {number} rooms.',
  '{name} found the {dear} under the {thing}.',
  'The door of the {room} is {colour}.',
  'Nobody uses the {room} in {season}.',
  '{name} likes to sit in the {room}.',
  'The {dear} was a gift from {name}.',
  'The {cheap} is cheap, and nobody wants it.',
  'The {dear} is expensive, and everyone wants it.',
  'A {cheap} is worth very little.',
  'A {dear} is worth a lot of money.',
  'We painted the {room} {colour} last {season}.',
  'The {room} is next to the {room2}.',
  'There are {number} windows in the {room}.',
  'After dinner {name} walks from the {room} to the {room2}.',
  'The {thing} in the {room} is {colour} and {size}.',
  '{name} asks where the {thing} is.',
];

/** `count` plain texts for (seed, stream). `stream` separates the training texts from the held-out ones. */
export function plainTexts(pack: ScenarioPack, count: number, seed: number, stream: string): string[] {
  const lists = {
    room: pack.lists.rooms?.train ?? [],
    cheap: pack.lists.cheapObjects?.train ?? [],
    dear: pack.lists.expensiveObjects?.train ?? [],
    name: pack.lists.names?.train ?? [],
  };
  for (const [k, v] of Object.entries(lists)) if (v.length < 2) throw new Error(`plain text: the pack's ${k} train list needs at least 2 values`);
  return Array.from({ length: count }, (_, i) => {
    const rng = streamFor(seed, 'plain', stream, i);
    const pick = <T>(xs: readonly T[]): T => xs[uniformInt(rng, 0, xs.length - 1)]!;
    const sentences: string[] = [];
    for (let s = 0; s < SENTENCES_PER_TEXT; s++) {
      const room = pick(lists.room);
      let room2 = pick(lists.room);
      while (room2 === room) room2 = pick(lists.room);
      const slots: Record<string, string> = {
        room, room2, thing: pick(THINGS), cheap: pick(lists.cheap), dear: pick(lists.dear), name: pick(lists.name),
        colour: pick(COLOURS), size: pick(SIZES), mood: pick(MOODS), season: pick(SEASONS), day: pick(DAYS), number: pick(NUMBERS),
      };
      sentences.push(pick(TEMPLATES).replace(/\{(\w+)\}/g, (_, k: string) => slots[k]!));
    }
    return sentences.join(' ');
  });
}

/** Every literal word the plain texts can use besides the pack's values (for nonsense words to avoid). */
export function plainTextLiterals(): string[] {
  return [...TEMPLATES, ...THINGS, ...COLOURS, ...SIZES, ...MOODS, ...SEASONS, ...DAYS, ...NUMBERS];
}
