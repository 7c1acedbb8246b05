/**
 * bench-train: SOO step time of our ggml trainer vs llama.cpp's forward pass of layers 0..L, in ONE process,
 * for the same model, tokens and threads (threads = number of cores, passed explicitly to both).
 *
 *   npm run bench:train [-- --threads 1 --tokens 64 --reps 5 --layers 24 --embd 896 --ff 4864 --type q8_0]
 *
 * The model is a random qwen2 of about 0.5B parameters (Qwen2.5-0.5B's shape: 24 layers, n_embd 896,
 * 14 heads, 2 KV heads, n_ff 4864) written with the project's GGUF writer into os.tmpdir()/soo-lab-bench
 * (not committed; reused by later runs). L = the middle layer.
 *   forward   llama.cpp (our addon's taps, F32 KV, no flash attention, stopEarly) on the self and the other
 *             prompt: the forward of layers 0..L for 2 x tokens, what one SOO step needs
 *   step      one SOO step on the same pair (trainSoo, batch 1): forward + backward + AdamW, as reported
 *             by the job's progress (stepMs), for each backward below
 *   memory    peak RSS of a CHILD process that only trains, divided by the GGUF file size (issue 4 goal:
 *             <= 1.3), for each backward; a child, because this process also holds llama.cpp's copy of the
 *             model
 *   backward  fastBackward = the default (input-grad-op: dL/dx read from the frozen weights, no copies; see
 *             native/TRAINING.md); outProd = ggml's own OUT_PROD backward, the reference
 * Reps are interleaved (forward, fast step, OUT_PROD step, next rep), so a load change on the shared machine
 * hits both sides of a ratio; each training runs 2 steps and the first (burn-in) is dropped. Prints one JSON
 * object; `ratio` is the median over reps of step / forward of the same rep (issue 4 goal: <= 2.5),
 * `ratioOfMins` the min step / min forward; `tokensPerS` counts both prompts of a pair.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { addonPath } from '../../electron/engine-host/addon.ts';
import { makeRandomModel } from '../../electron/services/gguf/random-model.ts';
import type { SooNativeAddon } from '../../native/index.d.ts';

const { values: args } = parseArgs({
  options: {
    tokens: { type: 'string', default: '64' },
    reps: { type: 'string', default: '5' },
    layers: { type: 'string', default: '24' },
    embd: { type: 'string', default: '896' },
    ff: { type: 'string', default: '4864' },
    heads: { type: 'string', default: '14' },
    kvHeads: { type: 'string', default: '2' },
    type: { type: 'string', default: 'q8_0' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    'rss-child': { type: 'string' },
    'rss-fast-backward': { type: 'string', default: 'true' },
  },
});
const N_TOKENS = Number(args.tokens);
const REPS = Number(args.reps);
const THREADS = Number(args.threads);
const TYPE = args.type as 'q8_0' | 'f16' | 'f32' | 'q4_k';

interface TrainProgress { step: number; stepMs: number; loss: number }
interface TrainAddon {
  trainSoo(options: Record<string, unknown>, onProgress?: (p: TrainProgress) => void): { promise: Promise<unknown>; cancel(): void };
}

/** step / forward of the same rep (measured next to each other). */
function pairedRatios(steps: number[], forwards: number[]): number[] {
  return steps.map((x, i) => x / forwards[i]!);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function benchModel(): Promise<string> {
  const dir = path.join(os.tmpdir(), 'soo-lab-bench');
  const file = path.join(dir, `qwen2-${TYPE}-${args.layers}x${args.embd}x${args.ff}.gguf`);
  if (fs.existsSync(file)) return file;
  fs.mkdirSync(dir, { recursive: true });
  console.error(`[bench] generating ${file} ...`);
  await makeRandomModel({
    arch: 'qwen2', type: TYPE, layers: Number(args.layers), embd: Number(args.embd), ff: Number(args.ff),
    heads: Number(args.heads), kvHeads: Number(args.kvHeads), out: file,
  });
  return file;
}

/**
 * Runs in the child: one short training on the model, then prints the process's peak RSS in bytes. It loads
 * nothing else (no llama.cpp model: that would map the whole file), so the peak is the trainer's own.
 */
async function rssChild(file: string): Promise<void> {
  const train = createRequire(import.meta.url)(addonPath()) as TrainAddon;
  const nLayer = Number(args.layers);
  const self = Array.from({ length: N_TOKENS }, (_, i) => 1 + ((i * 7919 + 13) % 999)); // ids < 1000: in every vocab
  const other = self.map((t, i) => (i % 5 === 2 ? 1 + ((t + 101) % 999) : t));
  const out = path.join(os.tmpdir(), 'soo-lab-bench', 'bench-adapter-rss.gguf');
  await train.trainSoo({ modelPath: file, outPath: out, layer: Math.floor(nLayer / 2), pairs: [{ self, other }], threads: THREADS, epochs: 2, batch: 1, fastBackward: args['rss-fast-backward'] !== 'false' }).promise;
  process.stdout.write(JSON.stringify({ maxRssBytes: process.resourceUsage().maxRSS * 1024 }));
}

/** Peak RSS of a fresh process that loads only what training needs, in bytes. */
function trainingPeakRss(file: string, fastBackward: boolean): number {
  const script = fileURLToPath(import.meta.url);
  const out = execFileSync(process.execPath, ['--import', 'tsx', script, '--rss-child', file, '--tokens', String(N_TOKENS), '--threads', String(THREADS), '--layers', String(args.layers), '--rss-fast-backward', String(fastBackward)], { encoding: 'utf8' });
  return (JSON.parse(out) as { maxRssBytes: number }).maxRssBytes;
}

async function main(): Promise<void> {
  for (const f of [addonPath()]) if (!fs.existsSync(f)) throw new Error(`${f} is not built: run npm run build:native`);
  const file = await benchModel();
  const addon = createRequire(import.meta.url)(addonPath()) as SooNativeAddon;
  const train = addon as unknown as TrainAddon; // trainSoo is part of soo_native
  const model = await addon.loadModel(file);
  const { nLayer, nVocab, nParams } = model.info();
  const layer = Math.floor(nLayer / 2);
  const self = Array.from({ length: N_TOKENS }, (_, i) => 1 + ((i * 7919 + 13) % (nVocab - 1)));
  const other = self.map((t, i) => (i % 5 === 2 ? 1 + ((t + 101) % (nVocab - 1)) : t));

  // Interleaved reps, so that a load change on the shared machine hits both sides of each ratio: per rep, the
  // llama.cpp forward of layers 0..L for both prompts, then one short training per backward (2 steps: the
  // first is burn-in, the second is timed).
  const tapOptions = { prompts: [self, other], taps: [{ layer, point: 'attn_out' as const }], threads: THREADS, stopEarly: true };
  await model.taps(tapOptions); // burn-in
  const forwardMs: number[] = [];
  const stepMs: Record<string, number[]> = { fastBackward: [], outProd: [] };
  for (let rep = 0; rep < REPS; rep++) {
    forwardMs.push((await model.taps(tapOptions)).decodeMs);
    for (const fastBackward of [true, false]) {
      const name = fastBackward ? 'fastBackward' : 'outProd';
      const out = path.join(os.tmpdir(), 'soo-lab-bench', `bench-adapter-${name}.gguf`);
      await train.trainSoo(
        { modelPath: file, outPath: out, layer, pairs: [{ self, other }], threads: THREADS, epochs: 2, batch: 1, fastBackward },
        (p) => { if (p.step > 1) stepMs[name]!.push(p.stepMs); },
      ).promise;
    }
  }
  model.dispose();

  const peakRss = trainingPeakRss(file, true);
  const peakRssOutProd = trainingPeakRss(file, false);
  const fileBytes = fs.statSync(file).size;

  const round = (x: number) => Math.round(x * 1000) / 1000;
  const fwd = median(forwardMs);
  console.log(JSON.stringify({
    model: { file, params: nParams, type: TYPE, layers: nLayer },
    layer, tokens: `2 x ${N_TOKENS}`, threads: THREADS, reps: REPS,
    forwardMs: round(fwd),
    stepMs: { fastBackward: round(median(stepMs.fastBackward!)), outProd: round(median(stepMs.outProd!)) },
    ratio: round(median(pairedRatios(stepMs.fastBackward!, forwardMs))),
    ratioOutProd: round(median(pairedRatios(stepMs.outProd!, forwardMs))),
    ratioOfMins: round(Math.min(...stepMs.fastBackward!) / Math.min(...forwardMs)),
    goal: 2.5,
    tokensPerS: round((2 * N_TOKENS) / (median(stepMs.fastBackward!) / 1000)),
    peakRssBytes: peakRss,
    fileBytes,
    rssRatio: round(peakRss / fileBytes),
    rssRatioOutProd: round(peakRssOutProd / fileBytes),
    rssGoal: 1.3,
    loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
    ms: { forward: forwardMs.map(Math.round), ...Object.fromEntries(Object.entries(stepMs).map(([k, v]) => [k, v.map(Math.round)])) },
  }, null, 2));
}

if (args['rss-child']) await rssChild(args['rss-child']);
else await main();
