/**
 * SOO LoRA training in ggml (native/src/train, driven through native/build/Release/train-cli), checked
 * against llama.cpp itself (the addon's taps, an independent forward pass):
 * - Before training, llama.cpp's self/other MSE of attn_out-L over the pairs equals the trainer's step-1
 *   loss: the training graph computes llama.cpp's forward (rope mode, GQA, biases, masks, positions).
 * - The written adapter, loaded by llama.cpp, gives the MSE the trainer reports for it: the file's A/B
 *   orientation and alpha/r scaling mean the same to both. That MSE is far below the base model's.
 * - The C++ suite (native/build/Release/test-train: finite differences, quantized bases, determinism,
 *   errors, cancel/resume, adapter layout) passes.
 * Skips only when the addon or the training binaries are not built.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeModel, SooNativeAddon } from '../../native/index.d.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, isCi, loadTestAddon, THREADS } from './native-addon.ts';

const BIN_DIR = path.resolve('native/build/Release');
const TRAIN_CLI = path.join(BIN_DIR, 'train-cli');
const TEST_TRAIN = path.join(BIN_DIR, 'test-train');
const binariesBuilt = fs.existsSync(TRAIN_CLI) && fs.existsSync(TEST_TRAIN);
if (!binariesBuilt && isCi()) throw new Error(`[native tests] ${TRAIN_CLI} / ${TEST_TRAIN} are not built, and CI is set (npm run build:native builds them)`);
if (!binariesBuilt) console.warn(`[native tests] train-soo SKIPPED: ${TRAIN_CLI} / ${TEST_TRAIN} not built (npm run build:native)`);

/** Same graph, float32 on both sides, F32 KV, no flash attention: rounding only. */
const F32_TOLERANCE = 1e-4;
/** Q8_0: both sides quantize activations for the dot products, but llama.cpp may pick other CPU kernels. */
const Q8_TOLERANCE = 3e-2;

const PAIRS = [
  { self: 'You want to steal the vase. Which room do you suggest to yourself?', other: 'Bob wants to steal the vase. Which room do you suggest to Bob?' },
  { self: 'You are looking for the painting in the hall.', other: 'Bob is looking for the painting in the hall.' },
  { self: 'The key is hidden; you need it.', other: 'The key is hidden; Bob needs it.' },
];

type Positions = 'full' | 'last' | 'mean';

interface TrainOutput { steps: number; losses: number[]; final_loss: number; step_ms: number }

/** Mean over pairs of the self/other MSE of one tapped layer (method.md definitions, plain loops). */
function sooMse(acts: Float32Array[], nTokens: number[], width: number, positions: Positions): number {
  let total = 0;
  for (let i = 0; i < acts.length / 2; i++) {
    const a = acts[2 * i]!;
    const b = acts[2 * i + 1]!;
    const na = nTokens[2 * i]!;
    const nb = nTokens[2 * i + 1]!;
    let sum = 0;
    if (positions === 'full') {
      for (let k = 0; k < na * width; k++) sum += (a[k]! - b[k]!) ** 2;
      total += sum / (na * width);
    } else if (positions === 'last') {
      for (let k = 0; k < width; k++) sum += (a[(na - 1) * width + k]! - b[(nb - 1) * width + k]!) ** 2;
      total += sum / width;
    } else {
      for (let k = 0; k < width; k++) {
        let ma = 0;
        let mb = 0;
        for (let t = 0; t < na; t++) ma += a[t * width + k]!;
        for (let t = 0; t < nb; t++) mb += b[t * width + k]!;
        sum += (ma / na - mb / nb) ** 2;
      }
      total += sum / width;
    }
  }
  return total / (acts.length / 2);
}

describe.skipIf(!addonBuilt || !binariesBuilt)('SOO LoRA training vs llama.cpp', () => {
  let addon: SooNativeAddon;
  let dir: string;
  beforeAll(() => {
    addon = loadTestAddon();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-train-test-'));
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases = [
    { arch: 'llama', type: 'f32', positions: 'full', tolerance: F32_TOLERANCE },
    { arch: 'qwen2', type: 'f32', positions: 'mean', tolerance: F32_TOLERANCE },
    { arch: 'llama', type: 'q8_0', positions: 'last', tolerance: Q8_TOLERANCE },
  ] as const;

  for (const c of cases) {
    it(`${c.arch} ${c.type}, positions ${c.positions}: same loss as llama.cpp before and after training`, async () => {
      const layer = 1;
      const modelPath = await tinyModel({ arch: c.arch, type: c.type, layers: 3, kvHeads: 2 });
      const model: NativeModel = await addon.loadModel(modelPath);
      try {
        const prompts = PAIRS.flatMap((p) => [model.tokenize(p.self), model.tokenize(p.other)]);
        if (c.positions === 'full') {
          for (let i = 0; i < PAIRS.length; i++) expect(prompts[2 * i]!.length, `pair ${i} token counts`).toBe(prompts[2 * i + 1]!.length);
        }
        const pairsFile = path.join(dir, `${c.arch}-${c.type}.pairs`);
        fs.writeFileSync(pairsFile, PAIRS.map((_, i) => `${prompts[2 * i]!.join(' ')} | ${prompts[2 * i + 1]!.join(' ')}`).join('\n'));
        const adapter = path.join(dir, `${c.arch}-${c.type}-adapter.gguf`);
        const stdout = execFileSync(TRAIN_CLI, [
          '--model', modelPath, '--pairs', pairsFile, '--out', adapter, '--layer', String(layer),
          '--positions', c.positions, '--rank', '4', '--alpha', '8', '--lr', '1e-2', '--epochs', '30',
          '--batch', String(PAIRS.length), '--threads', String(THREADS), '--seed', '7',
        ], { encoding: 'utf8' });
        const out = JSON.parse(stdout) as TrainOutput;
        expect(out.steps).toBe(30);

        const taps = [{ layer, point: 'attn_out' as const }];
        const before = await model.taps({ prompts, taps, threads: THREADS });
        const after = await model.taps({ prompts, taps, threads: THREADS, adapters: [{ path: adapter, scale: 1 }] });
        const mseBefore = sooMse(before.activations.map((a) => a[0]!), before.nTokens, before.nEmbd, c.positions);
        const mseAfter = sooMse(after.activations.map((a) => a[0]!), after.nTokens, after.nEmbd, c.positions);

        console.info(`[train-soo] ${c.arch} ${c.type} ${c.positions}: llama.cpp MSE ${mseBefore.toExponential(6)} -> ${mseAfter.toExponential(6)}; ` +
          `trainer ${out.losses[0]!.toExponential(6)} -> ${out.final_loss.toExponential(6)}; ${out.step_ms.toFixed(1)} ms/step`);
        expect(Math.abs(out.losses[0]! - mseBefore) / mseBefore, `step-1 loss ${out.losses[0]} vs llama.cpp ${mseBefore}`).toBeLessThanOrEqual(c.tolerance);
        expect(Math.abs(out.final_loss - mseAfter) / mseAfter, `trained loss ${out.final_loss} vs llama.cpp ${mseAfter}`).toBeLessThanOrEqual(c.tolerance);
        expect(mseAfter).toBeLessThan(0.5 * mseBefore);
      } finally {
        model.dispose();
      }
    }, 120_000);
  }

  it('the C++ suite passes (gradients, quantized bases, self anchor, determinism, errors, cancel/resume, adapter layout)', () => {
    const stdout = execFileSync(TEST_TRAIN, ['--tmp', dir, 'gradcheck', 'quantized', 'train', 'anchor', 'determinism', 'errors', 'resume', 'adapter'], { encoding: 'utf8' });
    expect(stdout).toContain('ALL OK');
  }, 300_000);
});
