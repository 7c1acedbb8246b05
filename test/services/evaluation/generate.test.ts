/**
 * Batched greedy generation (electron/services/evaluation/generate.ts) on tiny random models:
 * - several sequences of one context give the same tokens as one prompt at a time (raw and chat
 *   template), and the same as node-llama-cpp's own LlamaCompletion at temperature 0 on one prompt;
 * - the first generated token is the argmax of the float64 oracle's logits (test/oracle);
 * - the chat template is applied (and recorded) only when asked and present;
 * - maxTokens, progress, abort; a LoRA adapter changes the output, scale 0 does not.
 */
import path from 'node:path';
import fs from 'node:fs';
import { LlamaCompletion, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatPrompts, generate } from '../../../electron/services/evaluation/generate.ts';
import { disposeSharedLlama, sharedLlama, configureLlamaRuntime } from '../../../electron/services/models/llamaRuntime.ts';
import { referenceForward } from '../../oracle/reference-forward.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';
import { tempDir, writeLlamaLora } from './helpers.ts';

/**
 * One thread: tiny models gain nothing from two, and on a busy 2-core machine (parallel test
 * workers) llama.cpp's two spinning threads wait on each other at every graph node: measured 0.13 s
 * with 1 thread vs 17-24 s with 2 for the same 60 tokens under load.
 */
const THREADS = 1;
const PROMPTS = [
  'You share a house with Bob. The kitchen holds a nail. Which room do you recommend?',
  'Bob asks where the tiara is.',
  'The study or the garage? I would',
  'Only you know where each item is. You must recommend one of the two rooms to Bob. Which room do you recommend?',
  'Reply starting with the words "I would".',
];

/**
 * Batched vs one at a time. llama.cpp's results depend slightly on the batch layout (other matmul
 * kernels and reduction orders for other batch shapes; an F16 KV cache rounds the differences into
 * 1e-3 steps), so greedy decoding can pick another token where the top two logits (nearly) tie.
 * Measured here: with an F32 KV cache and no flash attention (EXACT), 5-8 sequences at once diverged
 * from one at a time on some prompts after 3-10 tokens, every time at a near-tie. So the check is:
 * tokens agree up to the first divergence, and there the two chosen tokens' logits, from the
 * float64 oracle run on the common prefix, differ by less than TIE_TOLERANCE while being the top
 * of the vocabulary. A bug (wrong sequence, wrong position, mixed-up KV) gives gaps of whole logits.
 */
const EXACT = { kvCacheType: 'F32', flashAttention: false } as const;
/** Float32 noise in these logits (|logit| ~ 1-5): ~1e-5 from the matmuls; 1e-3 is 100x that, and 1000x below a real gap. */
const TIE_TOLERANCE = 1e-3;

/** Checks `batched` against `single` as described above; returns how many prompts diverged. */
async function expectSameUpToTies(path: string, single: { tokens: number[] }[], batched: { tokens: number[] }[], promptTokens: number[][]): Promise<number> {
  let diverged = 0;
  for (let i = 0; i < single.length; i++) {
    const a = single[i]!.tokens;
    const b = batched[i]!.tokens;
    const j = a.findIndex((t, k) => t !== b[k]);
    if (j < 0) {
      expect(b).toEqual(a);
      continue;
    }
    diverged++;
    const prefix = [...promptTokens[i]!, ...a.slice(0, j)];
    const reference = await referenceForward(path, prefix);
    const logits = reference.logits.subarray((prefix.length - 1) * reference.nVocab, prefix.length * reference.nVocab);
    const max = logits.reduce((m, v) => Math.max(m, v), -Infinity);
    const [la, lb] = [logits[a[j]!]!, logits[b[j]!]!];
    expect(Math.abs(la - lb), `prompt ${i}, token ${j}: ${a[j]} vs ${b[j]} must be a near-tie`).toBeLessThan(TIE_TOLERANCE);
    expect(max - Math.max(la, lb), `prompt ${i}, token ${j}: both must be the argmax`).toBeLessThan(TIE_TOLERANCE);
  }
  return diverged;
}

let model: LlamaModel;
let modelPath: string;
const dir = tempDir('soo-generate-');

beforeAll(async () => {
  configureLlamaRuntime({ gpu: false, threads: THREADS });
  modelPath = await tinyModel({ arch: 'llama', type: 'f32' });
  model = await (await sharedLlama()).loadModel({ modelPath, gpuLayers: 0 });
});

afterAll(async () => {
  await model?.dispose();
  await disposeSharedLlama();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('generate', () => {
  it.each(['none', 'auto'] as const)('chat template %s: 5 sequences at once give the tokens of one at a time, up to float near-ties', async (chatTemplate) => {
    const one = await generate(model, { prompts: PROMPTS, parallel: 1, maxTokens: 12, chatTemplate, threads: THREADS, ...EXACT });
    const many = await generate(model, { prompts: PROMPTS, parallel: 5, maxTokens: 12, chatTemplate, threads: THREADS, ...EXACT });
    expect(many.parallel).toBe(5);
    const tokens = formatPrompts(model, PROMPTS, chatTemplate).formatted.map((f) => f.tokens);
    const diverged = await expectSameUpToTies(modelPath, one.generations, many.generations, tokens);
    expect(diverged, 'most prompts agree on every token').toBeLessThanOrEqual(2);
    for (const g of one.generations) expect(g.tokens.length).toBeGreaterThan(0);
    // the prompts gave different continuations: equality is not trivial
    expect(new Set(one.generations.map((g) => g.text)).size).toBeGreaterThan(1);
  });

  it('an f16 model with 8 sequences: the tokens of one at a time up to near-ties (20 tokens, 8 prompts)', async () => {
    const f16Path = await tinyModel({ arch: 'llama', type: 'f16' });
    const f16 = await (await sharedLlama()).loadModel({ modelPath: f16Path, gpuLayers: 0 });
    try {
      const prompts = Array.from({ length: 8 }, (_, i) => `${PROMPTS[i % PROMPTS.length]} ${'Really? '.repeat(i)}`);
      const one = await generate(f16, { prompts, parallel: 1, maxTokens: 20, threads: THREADS, ...EXACT });
      const many = await generate(f16, { prompts, parallel: 8, maxTokens: 20, threads: THREADS, ...EXACT });
      const tokens = formatPrompts(f16, prompts, 'auto').formatted.map((f) => f.tokens);
      await expectSameUpToTies(f16Path, one.generations, many.generations, tokens);
    } finally {
      await f16.dispose();
    }
  });

  it('8 prompts at once, 6 times: every sequence gets the first token of its own prompt (oracle argmax)', async () => {
    // Regression: llama.cpp's lazy output reordering raced with node-llama-cpp's concurrent
    // sampling and swapped tokens between sequences now and then (generate.ts, oneManyTokenItemLast).
    const prompts = Array.from({ length: 8 }, (_, i) => `${PROMPTS[i % PROMPTS.length]} ${'Really? '.repeat(i)}`);
    const tokens = formatPrompts(model, prompts, 'auto').formatted.map((f) => f.tokens);
    const expected: number[] = [];
    for (const t of tokens) {
      const reference = await referenceForward(modelPath, t);
      const last = [...reference.logits.subarray((t.length - 1) * reference.nVocab, t.length * reference.nVocab)];
      const sorted = [...last].sort((a, b) => b - a);
      expect(sorted[0]! - sorted[1]!, 'a clear argmax').toBeGreaterThan(TIE_TOLERANCE);
      expected.push(last.indexOf(sorted[0]!));
    }
    expect(new Set(expected).size, 'different prompts, different first tokens: a swap would show').toBeGreaterThan(3);
    for (let run = 0; run < 6; run++) {
      const many = await generate(model, { prompts, parallel: 8, maxTokens: 1, chatTemplate: 'auto', threads: THREADS });
      expect(many.generations.map((g) => g.tokens[0]), `run ${run}`).toEqual(expected);
    }
  });

  it('equals node-llama-cpp LlamaCompletion at temperature 0, and its first token is the oracle argmax', async () => {
    const ours = await generate(model, { prompts: PROMPTS.slice(0, 2), parallel: 2, maxTokens: 10, chatTemplate: 'none', threads: THREADS, ...EXACT });
    const context = await model.createContext({
      contextSize: 256,
      threads: THREADS,
      flashAttention: false,
      experimentalKvCacheKeyType: 'F32',
      experimentalKvCacheValueType: 'F32',
    });
    try {
      for (let i = 0; i < 2; i++) {
        const sequence = context.getSequence();
        const completion = new LlamaCompletion({ contextSequence: sequence });
        const text = await completion.generateCompletion(PROMPTS[i]!, { maxTokens: 10, temperature: 0 });
        completion.dispose();
        await sequence.dispose();
        expect(ours.generations[i]!.text.trimStart()).toBe(text.trimStart());

        // the oracle (float64 forward over the same GGUF): argmax at the last prompt position
        const { formatted } = formatPrompts(model, [PROMPTS[i]!], 'none');
        const reference = await referenceForward(modelPath, formatted[0]!.tokens);
        const last = reference.logits.subarray((formatted[0]!.tokens.length - 1) * reference.nVocab, formatted[0]!.tokens.length * reference.nVocab);
        const sorted = [...last].map((v, id) => ({ v, id })).sort((a, b) => b.v - a.v);
        expect(sorted[0]!.v - sorted[1]!.v, 'a clear argmax, so float32 noise cannot flip it').toBeGreaterThan(1e-3);
        expect(ours.generations[i]!.tokens[0]).toBe(sorted[0]!.id);
      }
    } finally {
      await context.dispose();
    }
  });

  it('applies the chat template only when asked, records it, and stops at maxTokens', async () => {
    const raw = await generate(model, { prompts: PROMPTS.slice(0, 1), maxTokens: 5, chatTemplate: 'none', threads: THREADS });
    const chat = await generate(model, { prompts: PROMPTS.slice(0, 1), maxTokens: 5, chatTemplate: 'auto', threads: THREADS });
    expect(raw.chatTemplate).toBeNull();
    expect(raw.generations[0]!.formattedPrompt).toBe(PROMPTS[0]);
    expect(chat.chatTemplate).toBe('Mistral'); // the Llama-2/Mistral vocab carries the Mistral template
    expect(chat.generations[0]!.formattedPrompt).toContain(`[INST]${PROMPTS[0]}[/INST]`);
    expect(chat.generations[0]!.promptTokens).toBeGreaterThan(raw.generations[0]!.promptTokens);
    for (const g of [...raw.generations, ...chat.generations]) {
      expect(g.tokens.length).toBeLessThanOrEqual(5);
      if (g.stopReason === 'maxTokens') expect(g.tokens).toHaveLength(5);
    }
  });

  it('reports progress once per prompt and stops when aborted', async () => {
    const seen: number[] = [];
    await generate(model, { prompts: PROMPTS, parallel: 3, maxTokens: 3, threads: THREADS, onProgress: (p) => seen.push(p.done) });
    expect(seen).toEqual([1, 2, 3, 4, 5]);

    const controller = new AbortController();
    const many = Array.from({ length: 12 }, (_, i) => `${PROMPTS[i % PROMPTS.length]} (${i})`);
    const run = generate(model, {
      prompts: many,
      parallel: 2,
      maxTokens: 20,
      threads: THREADS,
      signal: controller.signal,
      onProgress: ({ done }) => {
        if (done === 2) controller.abort(new Error('stop now'));
      },
    });
    await expect(run).rejects.toThrow('stop now');
    // the context was disposed: the model can create a new one and generate again
    const again = await generate(model, { prompts: PROMPTS.slice(0, 1), maxTokens: 2, threads: THREADS });
    expect(again.generations).toHaveLength(1);
  });

  it('a LoRA adapter changes the output; scale 0 gives the base output', async () => {
    const lora = await writeLlamaLora(path.join(dir, 'lora-a.gguf'), { layers: 2, nEmbd: 64, std: 1 });
    const opts = { prompts: PROMPTS.slice(0, 3), maxTokens: 8, chatTemplate: 'none' as const, threads: THREADS, ...EXACT };
    const base = await generate(model, opts);
    const adapted = await generate(model, { ...opts, lora: { path: lora, scale: 1 } });
    const off = await generate(model, { ...opts, lora: { path: lora, scale: 0 } });
    expect(adapted.generations.map((g) => g.tokens)).not.toEqual(base.generations.map((g) => g.tokens));
    expect(off.generations.map((g) => g.tokens)).toEqual(base.generations.map((g) => g.tokens));
  });
});
