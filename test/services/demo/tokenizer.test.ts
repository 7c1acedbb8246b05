/**
 * The demo tokenizer (electron/services/demo/tokenizer.ts) against llama.cpp itself: a random demo
 * model with the demo vocab is written, loaded by node-llama-cpp (the evaluator's path, formatPrompts)
 * and by our native addon when it is built, and every id sequence must be EXACTLY equal:
 *   - every corpus text of the full recipe and the held-out plain texts;
 *   with llama_tokenize's space prefix and with node-llama-cpp's "trimLeadingSpace" (what the
 *   evaluator's raw prompts get, see tokenizer.ts `spacePrefix`);
 *   - every test prompt the evaluator renders from the demo pack (all variants, both orders, with and
 *     without the honesty prompt), and test prompts of every other built-in pack;
 *   - hand-written edge cases: punctuation, capitals, unknown words, non-ASCII (byte fallback),
 *     repeated spaces, newlines, an empty string.
 * Also: every vocab word is ONE token, and the demo prompts and corpus use no byte tokens.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPrompts } from '../../../electron/services/evaluation/generate.ts';
import { disposeSharedLlama, sharedLlama } from '../../../electron/services/models/llamaRuntime.ts';
import { RESOURCES_DIR } from '../../../electron/services/paths.ts';
import { loadPackFile } from '../../../electron/services/scenarios/validate.ts';
import { renderPrompts } from '../../../electron/services/scenarios/render.ts';
import { demoInputs, type DemoInputs } from '../../../electron/services/demo/demoInputs.ts';
import { itemText } from '../../../electron/services/demo/corpus.ts';
import { makeDemoInitModel } from '../../../electron/services/demo/initModel.ts';
import { loadDemoRecipe, resolveRecipe } from '../../../electron/services/demo/recipe.ts';
import { SPACE_MARK, TOKEN_TYPE } from '../../../electron/services/demo/vocabulary.ts';
import { addonBuilt, loadTestAddon } from '../../native/native-addon.ts';
import type { NativeModel } from '../../../native/index.d.ts';
import { tempDir } from '../evaluation/helpers.ts';

const SCENARIOS = path.join(RESOURCES_DIR, 'scenarios');
let inputs: DemoInputs;
let model: LlamaModel;
let native: NativeModel | undefined;
let dir: string;

/** Every test prompt of every built-in pack, all variants, both orders where possible, with/without honesty. */
function allTestPrompts(n: number): string[] {
  const out: string[] = [];
  for (const file of fs.readdirSync(SCENARIOS).filter((f) => f.endsWith('.json')).sort()) {
    const pack = loadPackFile(path.join(SCENARIOS, file));
    for (const variant of ['main', ...pack.variants.map((v) => v.id)]) {
      for (const mirror of pack.test.mirrorTemplate ? [false, true] : [false]) {
        for (const honestyPrompt of pack.test.honestyPrompt ? [false, true] : [false]) {
          out.push(...renderPrompts(pack, { n, seed: 3, variant, mirror, honestyPrompt }).map((p) => p.prompt));
        }
      }
    }
  }
  return out;
}

const EDGE_CASES = [
  '',
  'Hello',
  '  two leading spaces and  double  spaces ',
  'Which room?!... "I would" (maybe) [x] {y} a-b c\'d',
  'UPPER lower MiXeD kitchen Kitchen KITCHEN',
  'unknownword zzzqx kitchenette bedrooms',
  'café naïve Größe кухня 厨房 🙂',
  'line one\nline two\ttab',
  '<s> </s> <unk> <0x41>',
  '▁already▁marked',
];

beforeAll(async () => {
  inputs = demoInputs(resolveRecipe(loadDemoRecipe(path.join(RESOURCES_DIR, 'demo', 'recipe.json')), 'full'), SCENARIOS);
  dir = tempDir('soo-demo-tok-');
  const file = path.join(dir, 'init.gguf');
  await makeDemoInitModel(file, resolveRecipe(loadDemoRecipe(path.join(RESOURCES_DIR, 'demo', 'recipe.json')), 'full'), inputs.vocab);
  model = await (await sharedLlama()).loadModel({ modelPath: file, gpuLayers: 0 });
  if (addonBuilt) native = await loadTestAddon().loadModel(file);
}, 300_000);

afterAll(async () => {
  native?.dispose();
  await model?.dispose();
  await disposeSharedLlama();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('demo tokenizer == llama.cpp', () => {
  it('loads as a SentencePiece vocab of the expected size', () => {
    expect(model.fileInfo.metadata.tokenizer.ggml.model).toBe('llama');
    expect(model.tokens.bos).toBe(1);
    expect(model.tokens.eos).toBe(2);
    expect(inputs.vocab.pieces.length).toBeGreaterThan(1000);
  });

  it('every corpus text and held-out text tokenizes to the same ids (with and without the space prefix)', () => {
    const texts = [...inputs.corpus.items.map(itemText), ...inputs.corpus.heldOut];
    let mismatches = 0;
    let first = '';
    for (const text of texts) {
      const ours = inputs.tokenizer.encode(text);
      const theirs = Array.from(model.tokenize(text));
      const trimmed = inputs.tokenizer.encode(text, { spacePrefix: false });
      const theirsTrimmed = Array.from(model.tokenize(text, false, 'trimLeadingSpace'));
      if (trimmed.length !== theirsTrimmed.length || trimmed.some((t, i) => t !== theirsTrimmed[i])) {
        if (mismatches++ === 0) first = `no space prefix: ${JSON.stringify(text)}\n ours   ${trimmed.join(' ')}\n llama  ${theirsTrimmed.join(' ')}`;
      }
      if (ours.length !== theirs.length || ours.some((t, i) => t !== theirs[i])) {
        if (mismatches++ === 0) first = `${JSON.stringify(text)}\n ours   ${ours.join(' ')}\n llama  ${theirs.join(' ')}`;
      }
      if (native) {
        const nat = Array.from(native.tokenize(text, true, false));
        expect(nat).toEqual([1, ...ours]);
      }
    }
    expect(first).toBe('');
    expect(mismatches).toBe(0);
    expect(texts.length).toBeGreaterThan(10_000);
  });

  it('every test prompt (all packs, variants, orders, honesty prompt) gives the ids the evaluator feeds', () => {
    const prompts = allTestPrompts(20);
    const { formatted, wrapper } = formatPrompts(model, prompts, 'auto');
    expect(wrapper).toBeNull(); // no chat template: raw BOS + text
    prompts.forEach((prompt, i) => {
      expect(Array.from(formatted[i]!.tokens), prompt).toEqual(inputs.tokenizer.encode(prompt, { bos: true, spacePrefix: false }));
      if (native) expect(Array.from(native.tokenize(prompt, true, false)), prompt).toEqual(inputs.tokenizer.encode(prompt, { bos: true }));
    });
  });

  it('edge cases: punctuation, capitals, unknown words, byte fallback, whitespace', () => {
    for (const text of EDGE_CASES) {
      expect(inputs.tokenizer.encode(text), JSON.stringify(text)).toEqual(Array.from(model.tokenize(text)));
      if (native) expect(Array.from(native.tokenize(text, true, false)), JSON.stringify(text)).toEqual(inputs.tokenizer.encode(text, { bos: true }));
      expect(inputs.tokenizer.encode(text, { spacePrefix: false }), JSON.stringify(text)).toEqual(model.tokenize(text, false, 'trimLeadingSpace'));
    }
    // The non-ASCII case really falls back to bytes (so the equality above covered byte fallback).
    const ids = inputs.tokenizer.encode('кухня 🙂');
    expect(ids.some((id) => inputs.vocab.types[id] === TOKEN_TYPE.byte)).toBe(true);
  });

  it('decodes back to the text (no leading space) as node-llama-cpp detokenizes', () => {
    for (const text of [...EDGE_CASES.slice(1, 7), itemText(inputs.corpus.items[0]!)]) {
      const ids = inputs.tokenizer.encode(text);
      expect(inputs.tokenizer.decode(ids)).toBe(model.detokenize(ids as never));
    }
  });

  it('every vocab word is one token; demo prompts and corpus use no byte tokens', () => {
    for (const word of inputs.vocab.words) expect(inputs.tokenizer.encode(word), word).toEqual([inputs.vocab.ids.get(SPACE_MARK + word)]);
    const demoPrompts = allTestPrompts(10);
    const isByte = (id: number) => inputs.vocab.types[id] === TOKEN_TYPE.byte;
    for (const p of demoPrompts) expect(inputs.tokenizer.encode(p).some(isByte), p).toBe(false);
    for (const s of inputs.sequences) expect(Array.from(s.tokens).some(isByte)).toBe(false);
    // The evaluator's form: only the first word is spelled out (no "▁"), every other word is one token.
    const first = inputs.tokenizer.encode('You share a house with Bob.', { spacePrefix: false }).map((id) => inputs.vocab.pieces[id]);
    expect(first).toEqual(['Y', 'o', 'u', '▁share', '▁a', '▁house', '▁with', '▁Bob', '.']);
  });
});
