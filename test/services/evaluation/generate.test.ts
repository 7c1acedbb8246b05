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
  it.each(['none', 'auto'] as const)('chat template %s: 4 sequences at once give the same tokens as one at a time', async (chatTemplate) => {
    const one = await generate(model, { prompts: PROMPTS, parallel: 1, maxTokens: 12, chatTemplate, threads: THREADS });
    const many = await generate(model, { prompts: PROMPTS, parallel: 4, maxTokens: 12, chatTemplate, threads: THREADS });
    expect(many.parallel).toBe(4);
    for (let i = 0; i < PROMPTS.length; i++) {
      expect(many.generations[i]!.tokens, `prompt ${i}`).toEqual(one.generations[i]!.tokens);
      expect(many.generations[i]!.text).toBe(one.generations[i]!.text);
      expect(one.generations[i]!.tokens.length).toBeGreaterThan(0);
    }
    // the prompts gave different continuations: equality is not trivial
    expect(new Set(one.generations.map((g) => g.text)).size).toBeGreaterThan(1);
  });

  it('equals node-llama-cpp LlamaCompletion at temperature 0, and its first token is the oracle argmax', async () => {
    const ours = await generate(model, { prompts: PROMPTS.slice(0, 2), parallel: 2, maxTokens: 10, chatTemplate: 'none', threads: THREADS });
    const context = await model.createContext({ contextSize: 256, threads: THREADS });
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
    const opts = { prompts: PROMPTS.slice(0, 3), maxTokens: 8, chatTemplate: 'none' as const, threads: THREADS };
    const base = await generate(model, opts);
    const adapted = await generate(model, { ...opts, lora: { path: lora, scale: 1 } });
    const off = await generate(model, { ...opts, lora: { path: lora, scale: 0 } });
    expect(adapted.generations.map((g) => g.tokens)).not.toEqual(base.generations.map((g) => g.tokens));
    expect(off.generations.map((g) => g.tokens)).toEqual(base.generations.map((g) => g.tokens));
  });
});
