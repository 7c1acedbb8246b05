/**
 * The demo recipe (electron/services/demo/recipe.ts): the shipped recipe validates; a broken one is
 * refused with the JSON path; `quick` overrides only what it names; the build hash changes with
 * anything that changes the model (seed, dims, corpus, training, code version) and not with the
 * evaluation or SOO sections; key order does not matter.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RESOURCES_DIR } from '../../../electron/services/paths.ts';
import { loadDemoRecipe, parseDemoRecipe, recipeHash, resolveRecipe } from '../../../electron/services/demo/recipe.ts';

const FILE = path.join(RESOURCES_DIR, 'demo', 'recipe.json');
const raw = () => JSON.parse(fs.readFileSync(FILE, 'utf8')) as Record<string, any>;

describe('demo recipe', () => {
  it('the shipped recipe validates and follows organism-notes', () => {
    const r = loadDemoRecipe(FILE);
    expect(r.model).toMatchObject({ layers: 4, embd: 128, heads: 4, ctx: 128 });
    expect(r.model.ff % 16).toBe(0); // ggml's tiled GEMM wants K % 16 == 0 (ffn_down)
    // frozen tied embeddings of unit std (token identity not swamped by the layers' outputs) with
    // the output norm scaled so the tied logits start O(1)
    expect(r.model.init?.['token_embd.weight']?.std).toBe(1);
    expect(r.model.init?.['output_norm.weight']?.mean).toBeCloseTo(1 / Math.sqrt(r.model.embd), 3);
    expect(r.train.batch).toBe(64);
    // the search's best corner (demo README): layer 2's output at every token, held by the self anchor
    expect(r.soo).toMatchObject({ layer: 2, point: 'resid', positions: 'full', selfAnchor: 10, lr: 0.005, pairs: 260, rank: 8, targets: ['attn_q', 'attn_v'] });
    expect(r.soo.layer).toBeLessThan(r.model.layers);
    expect(r.soo.seeds).toHaveLength(3); // issue 6: the mean of 3 seeds
    const quick = resolveRecipe(r, 'quick');
    expect(quick.train.steps).toBeLessThan(r.train.steps);
    expect(quick.train.lr).toBe(r.train.lr); // not overridden
  });

  it('refuses a broken recipe naming the JSON path', () => {
    const bad = raw();
    bad.train.lr = -1;
    expect(() => parseDemoRecipe(bad, 'r.json')).toThrow(/r\.json: invalid demo recipe at \$\.train\.lr/);
    const unknown = raw();
    unknown.model.layerz = 3;
    expect(() => parseDemoRecipe(unknown, 'r.json')).toThrow(/\$\.model/);
    const init = raw();
    init.model.init = { 'token_embd.weight': { std: -1 } };
    expect(() => parseDemoRecipe(init, 'r.json')).toThrow(/\$\.model\.init\.token_embd\.weight\.std/);
    const buckets = raw();
    buckets.train.lengthBuckets = -2;
    expect(() => parseDemoRecipe(buckets, 'r.json')).toThrow(/\$\.train\.lengthBuckets/);
    const heads = raw();
    heads.model.heads = 3;
    expect(() => parseDemoRecipe(heads, 'r.json')).toThrow(/model\.embd .* multiple of model\.heads/);
  });

  it('hashes what changes the model, and only that', () => {
    const base = resolveRecipe(parseDemoRecipe(raw()), 'full');
    const h = recipeHash(base, 'v1');
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(recipeHash({ ...base, seed: base.seed + 1 }, 'v1')).not.toBe(h);
    expect(recipeHash({ ...base, train: { ...base.train, steps: 7 } }, 'v1')).not.toBe(h);
    expect(recipeHash({ ...base, train: { ...base.train, lengthBuckets: 16 } }, 'v1')).not.toBe(h);
    expect(recipeHash({ ...base, corpus: { ...base.corpus, nonsenseShare: 0.3 } }, 'v1')).not.toBe(h);
    expect(recipeHash({ ...base, model: { ...base.model, init: { 'token_embd.weight': { std: 0.5 } } } }, 'v1')).not.toBe(h);
    expect(recipeHash(base, 'v2')).not.toBe(h);
    expect(recipeHash(resolveRecipe(parseDemoRecipe(raw()), 'quick'), 'v1')).not.toBe(h);
    expect(recipeHash({ ...base, soo: { ...base.soo, lr: 1 } }, 'v1')).toBe(h);
    expect(recipeHash({ ...base, eval: { ...base.eval, prompts: 3 } }, 'v1')).toBe(h);
    const reordered = Object.fromEntries(Object.entries(raw()).reverse());
    expect(recipeHash(resolveRecipe(parseDemoRecipe(reordered), 'full'), 'v1')).toBe(h);
  });
});
