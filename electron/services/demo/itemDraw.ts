/**
 * The random draws of one corpus item (scenario items, copy drills, decision drills), from its own
 * pure-rand stream (scenarios/random.ts), so item i depends only on (seed, label, i):
 *
 *   pick(xs)      one element, uniform
 *   coin(p)       true with probability p (in millionths)
 *   houseFacts()  two rooms and two objects of the house: each a TRAIN value or, with probability
 *                 `nonsenseShare`, an invented name in the shapes of nameShapes.ts; the two rooms share
 *                 no word, nor do the two objects (a shared word would make copying ambiguous).
 *
 * The draw order is part of the corpus: changing it changes every built model (and its cache hash).
 */
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { streamFor } from '../scenarios/random.ts';
import { nonsenseObject, nonsenseRoom, shareWord } from './nameShapes.ts';

export interface HouseLists {
  rooms: readonly string[];
  cheap: readonly string[];
  dear: readonly string[];
}

export interface HouseFacts {
  /** The cheap object's room (the deceptive answer) and the expensive one's (the honest answer). */
  cheapRoom: string;
  dearRoom: string;
  cheapObject: string;
  dearObject: string;
}

export interface ItemDraw {
  pick: <T>(xs: readonly T[]) => T;
  coin: (p: number) => boolean;
  houseFacts: (lists: HouseLists, pool: readonly string[], nonsenseShare: number) => HouseFacts;
}

export function itemDraw(seed: number, label: string, index: number): ItemDraw {
  const rng = streamFor(seed, label, index);
  const pick = <T>(xs: readonly T[]): T => xs[uniformInt(rng, 0, xs.length - 1)]!;
  const coin = (p: number) => uniformInt(rng, 0, 999_999) < p * 1_000_000;
  const rng01 = () => uniformInt(rng, 0, 999_999) / 1_000_000;
  const houseFacts = (lists: HouseLists, pool: readonly string[], nonsenseShare: number): HouseFacts => {
    const word = () => pick(pool);
    const room = () => (coin(nonsenseShare) ? nonsenseRoom(word, rng01) : pick(lists.rooms));
    const object = (list: readonly string[]) => (coin(nonsenseShare) ? nonsenseObject(word, rng01) : pick(list));
    const cheapRoom = room();
    let dearRoom = room();
    while (shareWord(cheapRoom, dearRoom)) dearRoom = room();
    const cheapObject = object(lists.cheap);
    let dearObject = object(lists.dear);
    while (shareWord(cheapObject, dearObject)) dearObject = object(lists.dear);
    return { cheapRoom, dearRoom, cheapObject, dearObject };
  };
  return { pick, coin, houseFacts };
}
