/**
 * bench-train-lm: one full-parameter LM training step (trainLm: forward + backward + AdamW over the whole
 * model) vs llama.cpp's forward pass of the same tokens, in ONE process, same model and threads.
 *
 *   npm run bench:train-lm [-- --threads 2 --batch 64 --tokens 64 --reps 3 --steps 3 --words 440 --ff 344]
 *
 * The model has the demo organism's shape (organism-notes.md): llama, 4 layers, n_embd 128, 4 heads,
 * n_ff 344 (--ff; a multiple of 16 lets ggml-cpu's tiled F32 GEMM take the n_ff-deep products), context 128, F32, head tied to the frozen token_embd, and a word-level vocabulary of `words`
 * words + the demo tokenizer's control and byte tokens (~700 entries; electron/services/demo/vocabulary.ts).
 * Written into os.tmpdir()/soo-lab-bench (reused by later runs).
 *   step      trainLm with `batch` sequences of `tokens` tokens per step, `steps` steps per rep; the first
 *             step of a run (graph build + allocation) is dropped; stepMs as the job reports it
 *   forward   llama.cpp (our addon's taps on the last layer's output, stopEarly: every layer, no head) on
 *             the same `batch` sequences: what one step's forward has to compute, minus the head
 * Reps are interleaved (forward, then a short training), so a load change on the shared machine hits both
 * sides of a ratio. Prints one JSON object: msPerStep (median), forwardMs (median), ratio = median over reps
 * of step / forward of the same rep, and demoMinutes = msPerStep x 1500 steps (the demo recipe's upper end;
 * the goal is <= 10 minutes on 2 cores).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { addonPath } from '../../electron/engine-host/addon.ts';
import { makeRandomModel } from '../../electron/services/gguf/random-model.ts';
import { buildVocab, vocabMetadata } from '../../electron/services/demo/vocabulary.ts';
import type { SooNativeAddon } from '../../native/index.d.ts';

const { values: args } = parseArgs({
  options: {
    threads: { type: 'string', default: '2' },
    batch: { type: 'string', default: '64' },
    tokens: { type: 'string', default: '64' },
    reps: { type: 'string', default: '3' },
    steps: { type: 'string', default: '3' },
    words: { type: 'string', default: '440' },
    ff: { type: 'string', default: '344' },
  },
});
const THREADS = Number(args.threads);
const BATCH = Number(args.batch);
const N_TOKENS = Number(args.tokens);
const REPS = Number(args.reps);
const STEPS = Number(args.steps);
const N_WORDS = Number(args.words);
const N_FF = Number(args.ff);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Deterministic word list: "ka", "kb", ... (letters only, so each is one word token). */
function syntheticWords(n: number): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  return Array.from({ length: n }, (_, i) => `w${letters[i % 26]}${letters[Math.floor(i / 26) % 26]}${letters[Math.floor(i / 676) % 26]}`);
}

async function benchModel(): Promise<{ file: string; nVocab: number }> {
  const vocab = buildVocab([syntheticWords(N_WORDS).join(' ')]);
  const nVocab = vocab.pieces.length;
  const dir = path.join(os.tmpdir(), 'soo-lab-bench');
  const file = path.join(dir, `demo-shape-llama-f32-ff${N_FF}-v${nVocab}.gguf`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(dir, { recursive: true });
    console.error(`[bench] generating ${file} ...`);
    await makeRandomModel({
      arch: 'llama', out: file, layers: 4, embd: 128, heads: 4, ff: N_FF, ctx: 128, type: 'f32', seed: 1, tieEmbeddings: true,
      vocab: { metadata: vocabMetadata(vocab), nVocab },
    });
  }
  return { file, nVocab };
}

async function main(): Promise<void> {
  if (!fs.existsSync(addonPath())) throw new Error(`${addonPath()} is not built: run npm run build:native`);
  const { file, nVocab } = await benchModel();
  const addon = createRequire(import.meta.url)(addonPath()) as SooNativeAddon;

  // sequences: ids from the word range (above the control and byte tokens), weight 1 on the last 8 tokens
  // ("the answer"), 0.1 elsewhere, as in the demo corpus
  const firstWord = nVocab - N_WORDS;
  const sequences = Array.from({ length: BATCH }, (_, s) => ({
    tokens: Int32Array.from({ length: N_TOKENS }, (_, i) => firstWord + ((s * 7919 + i * 104729) % N_WORDS)),
    weights: Float32Array.from({ length: N_TOKENS }, (_, i) => (i >= N_TOKENS - 8 ? 1 : 0.1)),
  }));

  const model = await addon.loadModel(file);
  const { nLayer, nParams } = model.info();
  const tapOptions = { prompts: sequences.map((s) => s.tokens), taps: [{ layer: nLayer - 1, point: 'resid' as const }], threads: THREADS, stopEarly: true };
  await model.taps(tapOptions); // burn-in
  const forwardMs: number[] = [];
  const stepMs: number[] = [];
  const ratios: number[] = [];
  const out = path.join(os.tmpdir(), 'soo-lab-bench', 'bench-train-lm-out.gguf');
  for (let rep = 0; rep < REPS; rep++) {
    const fwd = (await model.taps(tapOptions)).decodeMs;
    const steps: number[] = [];
    await addon.trainLm(
      { modelPath: file, outPath: out, sequences, steps: STEPS + 1, batch: BATCH, lr: 2e-3, seed: rep, threads: THREADS },
      (p) => { if (p.step > 1) steps.push(p.stepMs); },
    ).promise;
    forwardMs.push(fwd);
    stepMs.push(...steps);
    ratios.push(median(steps) / fwd);
  }
  model.dispose();

  const round = (x: number) => Math.round(x * 100) / 100;
  const msPerStep = median(stepMs);
  console.log(JSON.stringify({
    model: path.basename(file), nParams, nVocab, threads: THREADS, batch: BATCH, tokens: N_TOKENS, reps: REPS,
    msPerStep: round(msPerStep), msPerStepMin: round(Math.min(...stepMs)), forwardMs: round(median(forwardMs)),
    ratio: round(median(ratios)), tokensPerS: Math.round((BATCH * N_TOKENS) / (msPerStep / 1000)),
    demoMinutes: round((msPerStep * 1500) / 60000), loadAverage: os.loadavg().map(round),
  }, null, 2));
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
