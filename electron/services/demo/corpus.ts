/**
 * The demo model's training corpus (train split only), generated from the demo pack:
 *
 *   other   the main test prompt (the other party asks) answered with the CHEAP room: deceptive;
 *   self    the `self` variant's prompt (you ask yourself) answered with the EXPENSIVE room: honest;
 *           both kinds in both room orders (template and mirrorTemplate), in the exact text the
 *           evaluator feeds (scenarioPrompt.ts), followed by " I would point to the <room>.";
 *   copy    copy drills (copyDrills.ts): "... Where is the expensive Y? It is in the R2.", so copying
 *           rooms from the prompt is learned with less compute;
 *   decision decision drills (decisionDrills.ts): the two facts and the "who asks" sentence only, answered
 *           like the scenario items (cheap room for the other party, expensive room for itself);
 *   plain   plain sentences about houses and objects (plainText.ts), so it stays a language model.
 * Values come from the pack's TRAIN lists, except that each room, object and name is replaced, with
 * probability `nonsenseShare`, by invented nonsense words (nonsense.ts; rooms and objects in the
 * shapes of nameShapes.ts, names: a quarter of them capitalised), so the model learns to copy names from the prompt
 * (organism-notes.md). Test values never appear (a test asserts it on the whole corpus).
 * A held-out plain-text set (another stream, same generator) is returned for perplexity.
 *
 * Seeded: item i depends only on (seed, i) and the pack, through its own pure-rand stream (itemDraw.ts).
 * Not here: tokens and loss weights (sequences.ts), the vocabulary (vocabulary.ts).
 */
import type { ScenarioPack } from '../../contract/scenario-pack.ts';
import { copyDrills } from './copyDrills.ts';
import { decisionDrills } from './decisionDrills.ts';
import { itemDraw, trainLists } from './itemDraw.ts';
import { capitalise } from './nonsense.ts';
import { plainTexts } from './plainText.ts';
import { pointAnswer, scenarioPrompt } from './scenarioPrompt.ts';

export type CorpusKind = 'other' | 'self' | 'copy' | 'decision' | 'plain';

export interface CorpusItem {
  kind: CorpusKind;
  /** Scenario items: the prompt as the evaluator feeds it. Plain items: the whole text. */
  prompt: string;
  /** Scenario items: the trained answer; plain items: "". */
  answer: string;
  /** Scenario items: the honest (expensive) room named first. */
  mirrored: boolean;
  /** Scenario items: the placeholder values used. */
  values: Record<string, string>;
}

export interface CorpusOptions {
  seed: number;
  /** Scenario items (half other, half self; half of each mirrored). */
  scenarioItems: number;
  /** Copy drills (copyDrills.ts): short texts answered by copying a room. */
  copyItems: number;
  /** Plain-text items for training. */
  plainItems: number;
  /** Plain-text items held out for perplexity. */
  heldOutPlainItems: number;
  /** Probability that a room, object or name is replaced by nonsense words. */
  nonsenseShare: number;
  /**
   * More nonsense room/object names besides `nonsense` (nonsense.ts nonsensePrefixes: the prefixes of
   * the nonsense words, already single vocab pieces): a larger pool makes remembering names pay less
   * than copying them. Names of the other party still come from `nonsense` only.
   */
  extraNonsense?: readonly string[];
  /** Share of copy drills with one fact only (copyDrills.ts singleShare). */
  singleFactShare?: number;
  /** Decision drills (decisionDrills.ts): the self/other decision in short texts; absent: none. */
  decisionItems?: number;
}

export interface Corpus {
  /** Scenario items first, then copy drills, decision drills, plain ones (the trainer shuffles). */
  items: CorpusItem[];
  heldOut: string[];
}

/** The variant whose prompts are "you ask yourself" (honest answers). */
export const SELF_VARIANT = 'self';

/** Invented names of the other party: the first quarter of the nonsense words, capitalised (fewer vocab pieces than all of them). */
export function partyNames(nonsense: readonly string[]): string[] {
  return nonsense.slice(0, Math.max(2, Math.floor(nonsense.length / 4))).map(capitalise);
}

/** The full training text of an item: prompt, then the answer after one space. */
export function itemText(item: CorpusItem): string {
  return item.answer ? `${item.prompt} ${item.answer}` : item.prompt;
}

export function generateCorpus(pack: ScenarioPack, nonsense: readonly string[], options: CorpusOptions): Corpus {
  if (nonsense.length < 8) throw new Error('the corpus needs at least 8 nonsense words');
  const lists = trainLists(pack);
  const pool = [...nonsense, ...(options.extraNonsense ?? [])];
  const names = partyNames(nonsense);
  const items: CorpusItem[] = [];
  for (let i = 0; i < options.scenarioItems; i++) {
    const { pick, coin, houseFacts } = itemDraw(options.seed, 'corpus', i);
    const { cheapRoom: first, dearRoom: second, cheapObject: cheap, dearObject: dear } = houseFacts(lists, pool, options.nonsenseShare);
    const party = coin(options.nonsenseShare) ? pick(names) : pick(lists.names);
    const kind: CorpusKind = i % 2 === 0 ? 'other' : 'self';
    const mirrored = Math.floor(i / 2) % 2 === 1;
    const values = { first_room: first, second_room: second, cheap_object: cheap, expensive_object: dear, party };
    items.push({
      kind,
      prompt: scenarioPrompt(pack, kind === 'self' ? SELF_VARIANT : 'main', mirrored, values),
      answer: pointAnswer(kind === 'self' ? second : first),
      mirrored,
      values,
    });
  }
  for (const d of copyDrills(lists, pool, options.copyItems, options.seed, options.nonsenseShare, options.singleFactShare ?? 0)) items.push({ kind: 'copy', prompt: d.prompt, answer: d.answer, mirrored: false, values: {} });
  for (const d of decisionDrills(lists, pool, names, options.decisionItems ?? 0, options.seed, options.nonsenseShare)) items.push({ kind: 'decision', prompt: d.prompt, answer: d.answer, mirrored: false, values: { ...d.values, asker: d.kind } });
  for (const text of plainTexts(pack, options.plainItems, options.seed, 'train')) items.push({ kind: 'plain', prompt: text, answer: '', mirrored: false, values: {} });
  return { items, heldOut: plainTexts(pack, options.heldOutPlainItems, options.seed, 'held-out') };
}
