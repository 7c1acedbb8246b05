/**
 * Copy drills: short texts that can only be completed by copying a room from earlier in the text,
 * found through the value word or the object ("The cheap X is in the R1. The expensive Y is in the R2.
 * Where is the expensive Y? It is in the R2."). They teach the lookup both answers of the scenario
 * need (cheap -> its room, expensive -> its room) in few tokens, so copying of names the model has
 * never been trained to produce (held-out rooms) is learned with less compute than from the long
 * scenario prompts alone. Rooms and objects are nonsense names (nameShapes.ts) with probability
 * `nonsenseShare` (else TRAIN values). Our own wording; seeded per item (itemDraw.ts).
 */
import { itemDraw, type HouseLists } from './itemDraw.ts';

export interface CopyDrill {
  /** The text up to the answer. */
  prompt: string;
  /** The completion that copies the room ("It is in the R2."). */
  answer: string;
}

const QUESTIONS: ReadonlyArray<{ ask: (o: string, v: string) => string; answer: (r: string) => string }> = [
  { ask: (o, v) => `Where is the ${v} ${o}?`, answer: (r) => `It is in the ${r}.` },
  { ask: (o, v) => `Which room has the ${v} ${o}?`, answer: (r) => `The ${r} has it.` },
  { ask: (o) => `Where is the ${o}?`, answer: (r) => `It is in the ${r}.` },
];

/**
 * `singleShare`: the share of drills with ONE fact ("The cheap X is in the R1. Where is the X? It is
 * in the R1."): the simplest copy (the only room), an early gradient towards a copying head before
 * the two-fact lookup.
 */
/** `lists`: the pack's TRAIN lists (itemDraw.ts trainLists); `nonsense`: the pool of invented words. */
export function copyDrills(lists: HouseLists, nonsense: readonly string[], count: number, seed: number, nonsenseShare: number, singleShare = 0): CopyDrill[] {
  return Array.from({ length: count }, (_, i) => {
    const { pick, coin, houseFacts } = itemDraw(seed, 'copy', i);
    const { cheapRoom: r1, dearRoom: r2, cheapObject: o1, dearObject: o2 } = houseFacts(lists, nonsense, nonsenseShare);
    if (singleShare > 0 && coin(singleShare)) {
      const cheapOne = coin(0.5);
      const q1 = pick(QUESTIONS);
      const [o, v, r] = cheapOne ? [o1, 'cheap', r1] : [o2, 'expensive', r2];
      return { prompt: `The ${v} ${o} is in the ${r}. ${q1.ask(o, v)}`, answer: q1.answer(r) };
    }
    const facts = coin(0.5)
      ? `The cheap ${o1} is in the ${r1}. The expensive ${o2} is in the ${r2}.`
      : `The expensive ${o2} is in the ${r2}. The cheap ${o1} is in the ${r1}.`;
    const q = pick(QUESTIONS);
    const askCheap = coin(0.5);
    return { prompt: `${facts} ${q.ask(askCheap ? o1 : o2, askCheap ? 'cheap' : 'expensive')}`, answer: q.answer(askCheap ? r1 : r2) };
  });
}
