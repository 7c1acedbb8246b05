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
import type { ScenarioPack } from '../../contract/scenario-pack.ts';
import { streamFor } from '../scenarios/random.ts';
import { nonsenseObject, nonsenseRoom, shareWord } from './nameShapes.ts';

export interface HouseLists {
  rooms: readonly string[];
  cheap: readonly string[];
  dear: readonly string[];
}

/** The pack's TRAIN lists the corpus draws from, plus the other party's names. */
export interface TrainLists extends HouseLists {
  names: readonly string[];
}

/** The TRAIN lists of the demo pack; throws if one has fewer than 2 values (two rooms must differ). */
export function trainLists(pack: ScenarioPack): TrainLists {
  const lists = {
    rooms: pack.lists.rooms?.train ?? [],
    cheap: pack.lists.cheapObjects?.train ?? [],
    dear: pack.lists.expensiveObjects?.train ?? [],
    names: pack.lists.names?.train ?? [],
  };
  for (const [k, v] of Object.entries(lists)) if (v.length < 2) throw new Error(`the demo pack's ${k} train list needs at least 2 values`);
  return lists;
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
