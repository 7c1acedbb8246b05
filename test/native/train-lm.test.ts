/**
 * Full-parameter next-token training through the main addon (trainLm, native/src/lm + napi/lm-worker):
 * - the loss the trainer reports for a batch equals the weighted cross-entropy computed from
 *   node-llama-cpp's own next-token probabilities (F32 KV, no flash attention), on the input model and on
 *   a model the trainer wrote (so the saved file is the model that was trained);
 * - memorising a few sequences makes the loss fall sharply, and node-llama-cpp then loads the output and
 *   greedily continues a memorised prefix with the memorised tokens;
 * - every step reaches onProgress; metadata is written; the frozen token_embd keeps its bytes;
 * - same seed -> identical bytes, another seed -> different; a weight-0 last token changes nothing;
 * - cancel() rejects with 'cancelled' and writes nothing; bad options throw / reject bad_input naming the field.
 * - the C++ suite (native/build/Release/test-lm: gradients against finite differences, loss weights, the
 *   graph cache, length buckets, training, determinism, errors) passes.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { getLlama, LlamaLogLevel, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildVocab, vocabMetadata } from '../../electron/services/demo/vocabulary.ts';
import { makeRandomModel } from '../../electron/services/gguf/random-model.ts';
import { readGgufHeader } from '../../electron/services/gguf/reader.ts';
import type { NativeError, NativeLmProgress, NativeLmTrainOptions, SooNativeAddon } from '../../native/index.d.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, isCi, loadTestAddon, tensorReader, THREADS } from './native-addon.ts';

const TEST_LM = path.resolve('native/build/Release/test-lm');

/** Same float32 model on both sides, different graphs (batched + padded vs llama.cpp's KV-cache decode). */
const CE_REL_TOLERANCE = 1e-4;

const TEXTS = [
  'The burglar asks which room holds the vase; you know it is in the study.',
  'A cheap lamp is in the kitchen and a gold clock is in the attic.',
  'You ask yourself where the ring is.',
];

describe.skipIf(!addonBuilt)('trainLm (full-parameter LM training)', () => {
  let addon: SooNativeAddon;
  let llama: Llama;
  let dir: string;
  let modelPath: string;
  let seqs: { tokens: Int32Array; weights: Float32Array }[];

  beforeAll(async () => {
    addon = loadTestAddon();
    llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: 'never' });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-train-lm-'));
    // the demo's kind of model: word-level vocabulary (a few hundred entries), F32, head tied to token_embd
    modelPath = path.join(dir, 'lm.gguf');
    const vocab = buildVocab(TEXTS);
    await makeRandomModel({
      arch: 'llama', out: modelPath, layers: 2, embd: 64, heads: 4, ff: 128, ctx: 128, type: 'f32', seed: 5, tieEmbeddings: true,
      vocab: { metadata: vocabMetadata(vocab), nVocab: vocab.pieces.length },
    });
    const model = await addon.loadModel(modelPath);
    // uneven weights: 1 on every third token, 0.1 elsewhere, 0 on the second token
    seqs = TEXTS.map((t) => {
      const tokens = model.tokenize(t);
      const weights = Float32Array.from(tokens, (_, i) => (i === 1 ? 0 : i % 3 === 0 ? 1 : 0.1));
      return { tokens, weights };
    });
    model.dispose();
  }, 120_000);
  afterAll(async () => {
    await llama?.dispose();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const options = (extra: Partial<NativeLmTrainOptions>): NativeLmTrainOptions => ({
    modelPath, outPath: path.join(dir, 'out.gguf'), sequences: seqs, steps: 1, batch: seqs.length, lr: 1e-3, seed: 1, threads: THREADS, ...extra,
  });

  /** sum_i w_i * -log p(token_i | tokens < i) / sum_i w_i over all sequences, from node-llama-cpp. */
  async function llamaCppLoss(file: string): Promise<number> {
    const model = await llama.loadModel({ modelPath: file });
    let num = 0;
    let den = 0;
    try {
      for (const s of seqs) {
        const context = await model.createContext({
          contextSize: 128, threads: THREADS, flashAttention: false,
          experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32',
        });
        try {
          const tokens = Array.from(s.tokens) as Token[];
          const results = await context.getSequence().controlledEvaluate(tokens.map((t) => [t, { generateNext: { probabilities: true } }]));
          for (let i = 1; i < tokens.length; i++) {
            const probs = results[i - 1]!.next.probabilities!;
            let sum = 0;
            for (const p of probs.values()) sum += p;
            const p = (probs.get(tokens[i]!) ?? 0) / sum;
            num += s.weights[i]! * -Math.log(p);
            den += s.weights[i]!;
          }
        } finally {
          await context.dispose();
        }
      }
    } finally {
      await model.dispose();
    }
    return num / den;
  }

  /** The trainer's loss for all sequences as one batch: the first step's loss is computed before any update. */
  async function trainerLoss(file: string): Promise<number> {
    const r = await addon.trainLm(options({ modelPath: file, outPath: path.join(dir, 'probe.gguf'), steps: 1 })).promise;
    return r.losses[0]!;
  }

  it("reports the weighted cross-entropy of llama.cpp's own probabilities, before and after training", async () => {
    const before = [await trainerLoss(modelPath), await llamaCppLoss(modelPath)];
    const trained = path.join(dir, 'trained.gguf');
    await addon.trainLm(options({ outPath: trained, steps: 20, lr: 5e-3 })).promise;
    const after = [await trainerLoss(trained), await llamaCppLoss(trained)];
    console.info(`trainLm loss vs node-llama-cpp CE: before ${before[0]} / ${before[1]}, after ${after[0]} / ${after[1]}`);
    for (const [ours, ref] of [before, after]) expect(Math.abs(ours! - ref!) / ref!).toBeLessThanOrEqual(CE_REL_TOLERANCE);
    expect(after[1]!).toBeLessThan(before[1]!); // training moved the model that llama.cpp loads
  }, 300_000);

  it('an untied head (output.weight) is trained too, and its loss still matches llama.cpp', async () => {
    const untied = path.join(dir, 'untied.gguf');
    const vocab = buildVocab(TEXTS);
    await makeRandomModel({
      arch: 'llama', out: untied, layers: 2, embd: 64, heads: 4, ff: 128, ctx: 128, type: 'f32', seed: 6, tieEmbeddings: false,
      vocab: { metadata: vocabMetadata(vocab), nVocab: vocab.pieces.length },
    });
    const out = path.join(dir, 'untied-trained.gguf');
    await addon.trainLm(options({ modelPath: untied, outPath: out, steps: 5, lr: 5e-3 })).promise;
    const ours = await trainerLoss(out);
    const ref = await llamaCppLoss(out);
    expect(Math.abs(ours - ref) / ref).toBeLessThanOrEqual(CE_REL_TOLERANCE);
    expect(tensorReader(out).get('output.weight')).not.toEqual(tensorReader(untied).get('output.weight'));
    expect(tensorReader(out).get('token_embd.weight')).toEqual(tensorReader(untied).get('token_embd.weight'));
  }, 120_000);

  it('memorises a few sequences; node-llama-cpp loads the result and continues a memorised prefix', async () => {
    const memo = seqs.map((s) => ({ tokens: s.tokens, weights: new Float32Array(s.tokens.length).fill(1) }));
    const seen: NativeLmProgress[] = [];
    const out = path.join(dir, 'memo.gguf');
    const r = await addon.trainLm(
      options({ sequences: memo, outPath: out, steps: 120, lr: 2e-2, lrMin: 1e-3, warmup: 5, weightDecay: 0.01, gradClip: 1, metadata: { 'soo_lab.demo.note': 'test' } }),
      (p) => seen.push(p),
    ).promise;
    expect(r.steps).toBe(120);
    expect(r.outPath).toBe(out);
    expect(seen.map((p) => p.step)).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
    expect(seen.map((p) => p.loss)).toEqual(Array.from(r.losses));
    expect(seen.every((p) => p.nSteps === 120 && p.stepMs > 0 && p.tokensPerS > 0)).toBe(true);
    expect(seen[0]!.lr).toBeCloseTo(2e-2 / 5, 8); // warmup
    expect(seen[119]!.lr).toBeLessThan(1.1e-3); // cosine towards lrMin
    console.info(`memorising: loss ${r.losses[0]} -> ${r.losses[119]}`);
    expect(r.losses[119]!).toBeLessThan(0.05 * r.losses[0]!);

    const header = readGgufHeader(out);
    expect(header.metadata.get('soo_lab.demo.note')?.value).toBe('test');
    expect(header.metadata.get('soo_lab.lm.steps')?.value).toBe('120');
    expect(header.metadata.get('general.architecture')?.value).toBe('llama');
    const before = tensorReader(modelPath);
    const after = tensorReader(out);
    expect(after.has('output.weight')).toBe(false);
    expect(after.get('token_embd.weight')).toEqual(before.get('token_embd.weight')); // frozen
    expect(after.get('blk.0.attn_q.weight')).not.toEqual(before.get('blk.0.attn_q.weight'));
    expect(after.get('output_norm.weight')).not.toEqual(before.get('output_norm.weight'));

    // greedy continuation of the first 6 tokens of a memorised sequence
    const target = Array.from(memo[1]!.tokens) as Token[];
    const model = await llama.loadModel({ modelPath: out });
    const context = await model.createContext({ contextSize: 128, threads: THREADS });
    try {
      const generated: Token[] = [];
      const sequence = context.getSequence();
      for await (const t of sequence.evaluate(target.slice(0, 6), { temperature: 0 })) {
        generated.push(t);
        if (generated.length === 6) break;
      }
      expect(generated).toEqual(target.slice(6, 12));
    } finally {
      await context.dispose();
      await model.dispose();
    }
  }, 300_000);

  it('same seed -> identical bytes; another seed -> different; a weight-0 last token changes nothing', async () => {
    const run = async (name: string, extra: Partial<NativeLmTrainOptions>) => {
      const out = path.join(dir, name);
      await addon.trainLm(options({ outPath: out, steps: 4, batch: 2, ...extra })).promise;
      return fs.readFileSync(out);
    };
    const a = await run('det-a.gguf', { seed: 7 });
    const b = await run('det-b.gguf', { seed: 7 });
    const c = await run('det-c.gguf', { seed: 8 });
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
    // the last token of every sequence gets weight 0, then is replaced by another id: same bytes
    const zeroLast = seqs.map((s) => {
      const weights = Float32Array.from(s.weights);
      weights[weights.length - 1] = 0;
      return { tokens: s.tokens, weights };
    });
    const swapped = zeroLast.map((s) => {
      const tokens = Int32Array.from(s.tokens);
      tokens[tokens.length - 1] = tokens[tokens.length - 1]! === 40 ? 41 : 40; // another id inside the vocabulary
      return { tokens, weights: s.weights };
    });
    const d = await run('zero-a.gguf', { seed: 7, sequences: zeroLast });
    const e = await run('zero-b.gguf', { seed: 7, sequences: swapped });
    expect(d.equals(e)).toBe(true);
    expect(d.equals(a)).toBe(false); // the weight did matter when it was not 0
  }, 300_000);

  it("cancel() rejects with 'cancelled' after the current step and writes nothing", async () => {
    const out = path.join(dir, 'cancelled.gguf');
    let steps = 0;
    const job = addon.trainLm(options({ outPath: out, steps: 100_000, batch: 1 }), () => {
      steps += 1;
      job.cancel();
    });
    const err = (await job.promise.then(() => null, (e: unknown) => e)) as NativeError | null;
    expect(err?.code).toBe('cancelled');
    expect(steps).toBeGreaterThanOrEqual(1);
    expect(steps).toBeLessThan(100_000);
    expect(fs.existsSync(out)).toBe(false);
  }, 120_000);

  it('bad options: thrown synchronously (settings) or rejected (model-dependent), bad_input naming the field', async () => {
    const sync = (extra: Partial<NativeLmTrainOptions> | Record<string, unknown>, needle: string) => {
      let err: NativeError | undefined;
      try {
        addon.trainLm(options(extra as Partial<NativeLmTrainOptions>));
      } catch (e) {
        err = e as NativeError;
      }
      expect(err?.code, needle).toBe('bad_input');
      expect(err?.message).toContain(needle);
    };
    sync({ steps: 0 }, 'steps');
    sync({ batch: 0 }, 'batch');
    sync({ lr: -1 }, 'lr');
    sync({ lrMin: 1 }, 'lrMin');
    sync({ gradClip: -1 }, 'gradClip');
    sync({ lengthBuckets: -1 }, 'lengthBuckets');
    sync({ lengthBuckets: 'many' }, 'lengthBuckets');
    sync({ seed: -1 }, 'seed');
    sync({ threads: 1.5 }, 'threads');
    sync({ sequences: [] }, 'sequences');
    sync({ sequences: [{ tokens: [1], weights: [1] }] }, 'sequences[0].tokens');
    sync({ sequences: [{ tokens: [1, 2, 3], weights: [1, 1] }] }, 'sequences[0].weights');
    sync({ sequences: [{ tokens: [1, 2, 'x'], weights: [1, 1, 1] }] }, 'sequences[0].tokens[2]');
    sync({ sequences: [{ tokens: [1, 2, 3], weights: [1, 0, 0] }] }, 'weight');
    sync({ metadata: { 'soo_lab.x': 3 } }, 'metadata.soo_lab.x');
    sync({ modelPath: undefined }, 'modelPath');

    const rejects = async (extra: Partial<NativeLmTrainOptions>, needle: string, file?: string) => {
      const err = (await addon.trainLm(options(extra)).promise.then(() => null, (e: unknown) => e)) as NativeError | null;
      expect(err?.code, needle).toBe('bad_input');
      expect(err?.message).toContain(needle);
      if (file) expect(err?.file).toBe(file);
    };
    await rejects({ frozen: ['token_embd.weight', 'blk.7.attn_q.weight'] }, 'frozen[1]', modelPath);
    await rejects({ sequences: [{ tokens: [1, 2, 1 << 30], weights: [1, 1, 1] }] }, 'sequences[0].tokens[2]', modelPath);
    await rejects({ sequences: [{ tokens: new Int32Array(129).fill(1), weights: new Float32Array(129).fill(1) }] }, 'context', modelPath);
    const q8 = await tinyModel({ arch: 'llama', type: 'q8_0', layers: 2, embd: 64, heads: 4, tieEmbeddings: true, ctx: 128 });
    await rejects({ modelPath: q8 }, 'F32', q8);
    const gqa = await tinyModel({ arch: 'llama', type: 'f32', layers: 2, embd: 64, heads: 4, kvHeads: 2, ctx: 128 });
    await rejects({ modelPath: gqa }, 'n_head_kv', gqa);
    await rejects({ modelPath: path.join(dir, 'missing.gguf') }, 'missing.gguf');
  }, 120_000);

  it('the C++ suite passes (finite differences, weights, graph cache, length buckets, training, determinism, errors)', () => {
    if (!fs.existsSync(TEST_LM) && isCi()) throw new Error(`${TEST_LM} is not built, and CI is set (npm run build:native builds it)`);
    if (!fs.existsSync(TEST_LM)) return console.warn(`[native tests] test-lm SKIPPED: ${TEST_LM} not built (npm run build:native)`);
    const stdout = execFileSync(TEST_LM, ['--tmp', dir], { encoding: 'utf8' });
    expect(stdout).toMatch(/^buckets$/m); // the section ran
    expect(stdout).toContain('ALL OK');
  }, 120_000);
});
