/**
 * The demo pack (resources/scenarios/demo-house.json) and the initial demo model:
 * - the pack passes the validator (what `soo-lab scenario check` runs);
 * - every training and probe pair has EQUAL self/other token counts under the demo tokenizer (SOO's
 *   `full` positions), with and without the space prefix; the self variant's prompt differs from the
 *   main one only in who asks and whom you point;
 * - the test prompts stay short (the organism's prompts were ~63 tokens) and fit the model context
 *   with the answer;
 * - the initial model: same recipe -> same bytes; another seed -> other weights; tied head (no
 *   output.weight), the demo vocab, the recipe's dims.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readGgufHeader } from '../../../electron/services/gguf/reader.ts';
import { RESOURCES_DIR } from '../../../electron/services/paths.ts';
import { generatePairs } from '../../../electron/services/scenarios/generate.ts';
import { renderPrompts } from '../../../electron/services/scenarios/render.ts';
import { validatePack } from '../../../electron/services/scenarios/validate.ts';
import { demoInputs, type DemoInputs } from '../../../electron/services/demo/demoInputs.ts';
import { makeDemoInitModel } from '../../../electron/services/demo/initModel.ts';
import { loadDemoRecipe, resolveRecipe, type ResolvedDemoRecipe } from '../../../electron/services/demo/recipe.ts';
import { tempDir } from '../evaluation/helpers.ts';

const SCENARIOS = path.join(RESOURCES_DIR, 'scenarios');
let recipe: ResolvedDemoRecipe;
let inputs: DemoInputs;
let dir: string;

beforeAll(() => {
  recipe = resolveRecipe(loadDemoRecipe(path.join(RESOURCES_DIR, 'demo', 'recipe.json')), 'quick');
  inputs = demoInputs(recipe, SCENARIOS);
  dir = tempDir('soo-demo-pack-');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('demo-house pack', () => {
  it('validates', () => {
    const json = JSON.parse(fs.readFileSync(path.join(SCENARIOS, 'demo-house.json'), 'utf8')) as unknown;
    const { pack, issues } = validatePack(json);
    expect(issues).toEqual([]);
    expect(pack?.id).toBe('demo-house');
    expect(pack?.variants.map((v) => v.id)).toContain('self');
  });

  it('train and probe pairs have equal self/other token counts under the demo tokenizer', () => {
    for (const set of ['train', 'probe'] as const) {
      const pairs = generatePairs(inputs.pack, { set, n: 52, seed: 0 });
      for (const pair of pairs) {
        for (const spacePrefix of [true, false]) {
          const self = inputs.tokenizer.encode(pair.self, { bos: true, spacePrefix });
          const other = inputs.tokenizer.encode(pair.other, { bos: true, spacePrefix });
          expect(other.length, `${set} ${pair.template}: ${pair.self} | ${pair.other}`).toBe(self.length);
          // and they really differ (the party is in the other side only)
          expect(other).not.toEqual(self);
        }
      }
    }
  });

  it('the self variant changes only who asks and whom you point', () => {
    const main = renderPrompts(inputs.pack, { n: 5, seed: 1 });
    const self = renderPrompts(inputs.pack, { n: 5, seed: 1, variant: 'self' });
    main.forEach((m, i) => {
      const party = m.values.party!;
      expect(self[i]!.prompt).toBe(m.prompt.replace(`${party} asks you`, 'You ask yourself').replace(`point ${party} to`, 'point yourself to'));
    });
  });

  it('test prompts are short and fit the context with the answer', () => {
    let longest = 0;
    let total = 0;
    const prompts = [false, true].flatMap((mirror) => ['main', ...inputs.pack.variants.map((v) => v.id)].flatMap((variant) => renderPrompts(inputs.pack, { n: 50, seed: 0, variant, mirror })));
    for (const p of prompts) {
      const n = inputs.tokenizer.encode(p.prompt, { bos: true, spacePrefix: false }).length;
      longest = Math.max(longest, n);
      total += n;
    }
    expect(total / prompts.length).toBeLessThan(75);
    expect(longest + recipe.eval.maxTokens).toBeLessThanOrEqual(recipe.model.ctx);
  });
});

describe('initial demo model', () => {
  it('is deterministic, tied, with the demo vocab and the recipe dims', async () => {
    const a = path.join(dir, 'a.gguf');
    const b = path.join(dir, 'b.gguf');
    const c = path.join(dir, 'c.gguf');
    await makeDemoInitModel(a, recipe, inputs.vocab);
    await makeDemoInitModel(b, recipe, inputs.vocab);
    await makeDemoInitModel(c, { ...recipe, seed: recipe.seed + 1 }, inputs.vocab);
    const bytesA = fs.readFileSync(a);
    expect(bytesA.equals(fs.readFileSync(b))).toBe(true);
    expect(bytesA.equals(fs.readFileSync(c))).toBe(false);
    expect(bytesA.length).toBe(fs.readFileSync(c).length);
    const header = readGgufHeader(a);
    const names = header.tensors.map((t) => t.name);
    expect(names).not.toContain('output.weight');
    const embd = header.tensors.find((t) => t.name === 'token_embd.weight')!;
    expect(embd.ne.map(Number)).toEqual([recipe.model.embd, inputs.vocab.pieces.length]);
    expect(names.filter((n) => n.endsWith('attn_q.weight')).length).toBe(recipe.model.layers);
    const ffn = header.tensors.find((t) => t.name === 'blk.0.ffn_up.weight')!;
    expect(ffn.ne.map(Number)).toEqual([recipe.model.embd, recipe.model.ff]);
    expect(header.tensors.every((t) => t.typeId === 0)).toBe(true); // F32
    const tokens = header.metadata.get('tokenizer.ggml.tokens');
    expect(tokens?.type === 'array' && Array.from(tokens.value as ArrayLike<string>)).toEqual(inputs.vocab.pieces);
  });
});
