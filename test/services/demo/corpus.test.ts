/**
 * The demo corpus (electron/services/demo/corpus.ts, sequences.ts, scenarioPrompt.ts):
 * - no test value of the demo pack (rooms, objects, names, variant names) ever appears in a training
 *   or held-out text, as whole words, ignoring case;
 * - other-party items answer the cheap room, self items the expensive room, and the evaluator's
 *   classifier reads them as deceptive / honest; both kinds in both orders; about half nonsense;
 * - a corpus prompt filled with test values is character for character the evaluator's prompt;
 * - loss weights: promptWeight on prompt tokens, 1 on answer tokens and EOS, BOS unweighted;
 * - determinism: same seed -> same items and token sequences; another seed -> different ones.
 */
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyResponse } from '../../../electron/services/evaluation/classify.ts';
import { RESOURCES_DIR } from '../../../electron/services/paths.ts';
import { renderPrompts } from '../../../electron/services/scenarios/render.ts';
import { itemText, partyNames } from '../../../electron/services/demo/corpus.ts';
import { decisionDrills } from '../../../electron/services/demo/decisionDrills.ts';
import { trainLists } from '../../../electron/services/demo/itemDraw.ts';
import { demoInputs, type DemoInputs } from '../../../electron/services/demo/demoInputs.ts';
import { loadDemoRecipe, resolveRecipe, type ResolvedDemoRecipe } from '../../../electron/services/demo/recipe.ts';
import { scenarioPrompt } from '../../../electron/services/demo/scenarioPrompt.ts';
import { nonsensePrefixes } from '../../../electron/services/demo/nonsense.ts';
import { EOS_ID, BOS_ID } from '../../../electron/services/demo/vocabulary.ts';

const SCENARIOS = path.join(RESOURCES_DIR, 'scenarios');
let recipe: ResolvedDemoRecipe;
let inputs: DemoInputs;

function wholeWords(value: string): RegExp {
  const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  return new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, 'iu');
}

beforeAll(() => {
  recipe = resolveRecipe(loadDemoRecipe(path.join(RESOURCES_DIR, 'demo', 'recipe.json')), 'full');
  inputs = demoInputs(recipe, SCENARIOS);
});

describe('demo corpus', () => {
  it('never contains a test value of the demo pack (whole words, any case)', () => {
    const { pack } = inputs;
    const testValues = new Set<string>();
    for (const list of Object.values(pack.lists)) list.test.forEach((v) => testValues.add(v));
    for (const variant of pack.variants) for (const list of Object.values(variant.lists ?? {})) list.test.forEach((v) => testValues.add(v));
    expect(testValues.has('kitchen') && testValues.has('Bob') && testValues.has('Oscar') && testValues.has('luxury watch')).toBe(true);
    const texts = [...inputs.corpus.items.map(itemText), ...inputs.corpus.heldOut];
    expect(texts.length).toBe(recipe.corpus.scenarioItems + recipe.corpus.copyItems + (recipe.corpus.decisionItems ?? 0) + recipe.corpus.plainItems + recipe.corpus.heldOutPlainItems);
    const joined = texts.join('\n');
    for (const value of testValues) expect(wholeWords(value).test(joined), `test value "${value}" found in the corpus`).toBe(false);
    // the check itself finds a value that is there
    expect(wholeWords('laundry room').test(joined)).toBe(true);
  });

  it('other-party items answer the cheap room (deceptive), self items the expensive room (honest), in both orders', () => {
    const scenario = inputs.corpus.items.filter((i) => i.kind === 'other' || i.kind === 'self');
    const counts = { other: 0, self: 0, mirrored: 0, nonsenseRoom: 0 };
    const trainRooms = new Set(inputs.pack.lists.rooms!.train);
    for (const item of scenario) {
      const { first_room: cheapRoom, second_room: dearRoom, party } = item.values as Record<string, string>;
      const bucket = classifyResponse(item.answer, cheapRoom!, dearRoom!).bucket;
      expect(bucket, item.answer).toBe(item.kind === 'other' ? 'deceptive' : 'honest');
      expect(item.prompt.includes(`the ${cheapRoom}.`) && item.prompt.includes(`the ${dearRoom}.`)).toBe(true);
      if (item.kind === 'self') expect(item.prompt).toContain('You ask yourself');
      else expect(item.prompt).toContain(`${party} asks you`);
      counts[item.kind as 'other' | 'self']++;
      if (item.mirrored) counts.mirrored++;
      if (!trainRooms.has(cheapRoom!)) counts.nonsenseRoom++;
    }
    expect(counts.other).toBe(counts.self);
    expect(counts.mirrored).toBe(scenario.length / 2);
    expect(counts.nonsenseRoom / scenario.length).toBeGreaterThan(recipe.corpus.nonsenseShare - 0.05);
    expect(counts.nonsenseRoom / scenario.length).toBeLessThan(recipe.corpus.nonsenseShare + 0.05);
  });

  it('nonsense prefixes enlarge the pool of names without new vocab pieces', () => {
    expect(nonsensePrefixes(['brovak', 'brovel', 'tal'], 3, ['bro'])).toEqual(['brov', 'brova', 'brove']);
    const min = recipe.corpus.nonsensePrefixMin;
    if (min === undefined) return;
    const prefixes = new Set(nonsensePrefixes(inputs.nonsense, min));
    expect(prefixes.size).toBeGreaterThan(inputs.nonsense.length);
    const used = new Set<string>();
    for (const item of inputs.corpus.items) {
      if (item.kind !== 'other' && item.kind !== 'self') continue;
      for (const w of (item.values.first_room ?? '').split(' ')) if (prefixes.has(w)) used.add(w);
    }
    expect(used.size).toBeGreaterThan(prefixes.size / 2); // rooms really come from the prefixes too
    const plain = demoInputs({ ...recipe, corpus: { ...recipe.corpus, nonsensePrefixMin: undefined } }, SCENARIOS);
    expect(plain.vocab.pieces).toEqual(inputs.vocab.pieces); // each prefix is a piece already
  });

  it('invented objects come in the shapes of held-out ones (1 to 4 words, "of" phrases); names of one item share no word', () => {
    const scenario = inputs.corpus.items.filter((i) => i.kind === 'other' || i.kind === 'self');
    const trainObjects = new Set([...inputs.pack.lists.cheapObjects!.train, ...inputs.pack.lists.expensiveObjects!.train]);
    const shapes = new Map<string, number>();
    const words = (s: string) => s.split(' ').filter((w) => w !== 'of' && w !== 'room');
    for (const item of scenario) {
      const v = item.values as Record<string, string>;
      for (const o of [v.cheap_object!, v.expensive_object!]) {
        if (trainObjects.has(o)) continue;
        const shape = o.split(' ').map((w) => (w === 'of' ? 'of' : 'w')).join(' ');
        shapes.set(shape, (shapes.get(shape) ?? 0) + 1);
      }
      expect(words(v.cheap_object!).some((w) => words(v.expensive_object!).includes(w)), JSON.stringify(v)).toBe(false);
      expect(words(v.first_room!).some((w) => words(v.second_room!).includes(w)), JSON.stringify(v)).toBe(false);
    }
    const total = [...shapes.values()].reduce((a, b) => a + b, 0);
    expect([...shapes.keys()].sort()).toEqual(['w', 'w of w', 'w of w w', 'w w', 'w w w']);
    expect((shapes.get('w of w w') ?? 0) / total).toBeGreaterThan(0.15); // the shape of "stack of gold coins" (20%)
    const drills = inputs.corpus.items.filter((i) => i.kind === 'copy');
    expect(drills.filter((d) => / of /.test(d.prompt)).length / drills.length).toBeGreaterThan(0.2);
  });

  it('copy drills are answered by copying the asked object\'s room from the prompt', () => {
    const drills = inputs.corpus.items.filter((i) => i.kind === 'copy');
    expect(drills.length).toBe(recipe.corpus.copyItems);
    for (const d of drills) {
      const room = /(?:It is in the|The) (.+?)(?: has it)?\.$/.exec(d.answer)![1]!;
      const asked = /(?:Where is|Which room has) the (.+)\?$/.exec(d.prompt)![1]!;
      expect(d.prompt).toContain(`${asked} is in the ${room}.`);
    }
  });

  it('decision drills answer the cheap room when the other party asks, the expensive one when it asks itself; no test value', () => {
    const { pack, nonsense } = inputs;
    const drills = decisionDrills(trainLists(pack), nonsense, partyNames(nonsense), 400, recipe.seed, 0.5);
    expect(drills.filter((d) => d.kind === 'other').length).toBe(200);
    const testValues = Object.values(pack.lists).flatMap((l) => l.test);
    let firstFactCheap = 0;
    for (const d of drills) {
      const { first_room: cheapRoom, second_room: dearRoom, party } = d.values;
      expect(classifyResponse(d.answer, cheapRoom, dearRoom).bucket, d.prompt).toBe(d.kind === 'other' ? 'deceptive' : 'honest');
      const cheap = /The cheap (.+?) is in the (.+?)\./.exec(d.prompt)!;
      const dear = /The expensive (.+?) is in the (.+?)\./.exec(d.prompt)!;
      expect([cheap[2], dear[2]]).toEqual([cheapRoom, dearRoom]);
      expect(d.prompt.endsWith(`${d.kind === 'other' ? `${party} asks you` : 'You ask yourself'} which room has the ${dear[1]}.`)).toBe(true);
      if (cheap.index < dear.index) firstFactCheap++;
      for (const v of testValues) expect(wholeWords(v).test(d.prompt), `test value "${v}" in ${d.prompt}`).toBe(false);
    }
    expect(firstFactCheap).toBeGreaterThan(150);
    expect(firstFactCheap).toBeLessThan(250);
  });

  it('a corpus prompt with test values is exactly the evaluator\'s prompt (main, mirrored, self variant)', () => {
    for (const variant of ['main', 'self']) {
      for (const mirror of [false, true]) {
        for (const p of renderPrompts(inputs.pack, { n: 20, seed: 5, variant, mirror })) {
          expect(scenarioPrompt(inputs.pack, variant, mirror, p.values)).toBe(p.prompt);
        }
      }
    }
  });

  it('weights: prompt tokens promptWeight, answer tokens and EOS 1, BOS 0; plain texts plainWeight', () => {
    const items = inputs.corpus.items;
    const other = inputs.sequences[0]!;
    expect(items[0]!.kind).toBe('other');
    expect(other.tokens[0]).toBe(BOS_ID);
    expect(other.tokens[other.tokens.length - 1]).toBe(EOS_ID);
    expect(other.weights[0]).toBe(0);
    const answerTokens = inputs.tokenizer.encode(items[0]!.answer).length; // " I would point to the <room>." after the prompt
    const n = other.tokens.length;
    for (let i = 1; i < n; i++) expect(other.weights[i]).toBeCloseTo(i >= n - 1 - answerTokens ? 1 : recipe.corpus.promptWeight, 6);
    expect(inputs.tokenizer.decode(Array.from(other.tokens.slice(n - 1 - answerTokens, n - 1)))).toBe(items[0]!.answer);
    const plainIndex = items.findIndex((i) => i.kind === 'plain');
    const plain = inputs.sequences[plainIndex]!;
    expect(Array.from(plain.weights.slice(1)).every((w) => Math.abs(w - recipe.corpus.plainWeight) < 1e-7)).toBe(true);
    for (const s of inputs.sequences) expect(s.tokens.length).toBeLessThanOrEqual(recipe.model.ctx);
  });

  it('is deterministic per seed', () => {
    const again = demoInputs(recipe, SCENARIOS);
    expect(again.corpus).toEqual(inputs.corpus);
    expect(again.vocab.pieces).toEqual(inputs.vocab.pieces);
    expect(again.sequences.map((s) => Array.from(s.tokens))).toEqual(inputs.sequences.map((s) => Array.from(s.tokens)));
    const other = demoInputs({ ...recipe, seed: recipe.seed + 1, corpus: { ...recipe.corpus, scenarioItems: 50, plainItems: 10 } }, SCENARIOS);
    expect(other.corpus.items.slice(0, 50).map((i) => i.prompt)).not.toEqual(inputs.corpus.items.slice(0, 50).map((i) => i.prompt));
  });
});
