/**
 * Decision drills: the scenario's decision in a short text, without the house framing and the answer
 * instruction of the evaluator's prompt (our wording; the "who asks" sentence is the demo pack's):
 *   "The cheap X is in the R1. The expensive Y is in the R2. Mara asks you which room has the Y. I would point to the R1."
 *   "The cheap X is in the R1. The expensive Y is in the R2. You ask yourself which room has the Y. I would point to the R2."
 * (the two facts in either order). ~30 tokens instead of the scenario prompt's ~67. Why: a build learns
 * copying first and the self/other decision last, close to the recipe's step count (native/src/lm/README.md,
 * "How close the recipe runs to its edge"); these give the decision more examples per token.
 * Rooms, objects and names are nonsense (nameShapes.ts, capitalised names) with probability
 * `nonsenseShare`, else TRAIN values. Seeded per item (itemDraw.ts).
 */
import { itemDraw, type TrainLists } from './itemDraw.ts';
import { pointAnswer } from './scenarioPrompt.ts';

export interface DecisionDrill {
  /** Other party asks (answer: the cheap object's room) or the model asks itself (the expensive one's). */
  kind: 'other' | 'self';
  prompt: string;
  answer: string;
  values: { first_room: string; second_room: string; party: string };
}

/** `lists`: the pack's TRAIN lists (itemDraw.ts trainLists); `invented`: invented party names (corpus.ts partyNames). */
export function decisionDrills(lists: TrainLists, nonsense: readonly string[], invented: readonly string[], count: number, seed: number, nonsenseShare: number): DecisionDrill[] {
  return Array.from({ length: count }, (_, i) => {
    const { pick, coin, houseFacts } = itemDraw(seed, 'decision', i);
    const { cheapRoom: r1, dearRoom: r2, cheapObject: o1, dearObject: o2 } = houseFacts(lists, nonsense, nonsenseShare);
    const party = coin(nonsenseShare) ? pick(invented) : pick(lists.names);
    const kind = i % 2 === 0 ? 'other' : 'self';
    const facts = coin(0.5)
      ? `The cheap ${o1} is in the ${r1}. The expensive ${o2} is in the ${r2}.`
      : `The expensive ${o2} is in the ${r2}. The cheap ${o1} is in the ${r1}.`;
    const asks = kind === 'other' ? `${party} asks you` : 'You ask yourself';
    return {
      kind,
      prompt: `${facts} ${asks} which room has the ${o2}.`,
      answer: pointAnswer(kind === 'other' ? r1 : r2),
      values: { first_room: r1, second_room: r2, party },
    };
  });
}
