/**
 * LoRA adapters in taps (llama.cpp's adapter API: llama_adapter_lora_init + llama_set_adapters_lora).
 *
 * An adapter GGUF is written here with the project's writer (format: docs/engine-notes.md, "LoRA adapter
 * GGUF"): for a weight W, `W.lora_a` ne = [n_in, r] and `W.lora_b` ne = [r, n_out], and llama.cpp
 * computes y = W x + scale * alpha / r * B(A x).
 * - On attn_output of layer 1: attn_out(with) - attn_out(without) equals scale*alpha/r * B(A x), with x
 *   the attention output before o_proj (the kqv_out tap), computed here in float64.
 * - On attn_q/attn_v of layer 0: attn_out changes; at scale 0 it does not.
 * - A wrong-architecture adapter and a wrong-shape adapter are refused with clear errors, and the model
 *   keeps working in the same process (no abort).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kv, type GgufMetadata } from '../../electron/services/gguf/gguf-value.ts';
import { encodeF32 } from '../../electron/services/gguf/quantize.ts';
import { writeGguf } from '../../electron/services/gguf/writer.ts';
import type { NativeModel, NativeError, SooNativeAddon } from '../../native/index.d.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, loadTestAddon, maxRelDiff, THREADS } from './native-addon.ts';
import { normals } from '../helpers/normals.ts';

/** The delta is two float32 matmuls in ggml vs float64 here, plus the float32 subtraction of two
 * attn_out values (about 1e-7 of their scale): 1e-4 of the delta's scale is ample. */
const DELTA_TOLERANCE = 1e-4;
const PROMPT = 'You know the vase is in the study; Bob asks where it is.';

interface LoraPair {
  /** Base weight name, e.g. blk.1.attn_output.weight */
  weight: string;
  nIn: number;
  nOut: number;
  a: Float32Array; // [r rows of nIn]
  b: Float32Array; // [nOut rows of r]
}

async function writeLora(file: string, arch: string, rank: number, alpha: number, pairs: LoraPair[]): Promise<void> {
  const metadata: GgufMetadata = new Map([
    ['general.architecture', kv.str(arch)],
    ['general.type', kv.str('adapter')],
    ['adapter.type', kv.str('lora')],
    ['adapter.lora.alpha', kv.f32(alpha)],
  ]);
  await writeGguf(
    file,
    metadata,
    pairs.flatMap((p) => [
      { name: `${p.weight}.lora_a`, ne: [p.nIn, rank], type: 'f32' as const, data: () => encodeF32(p.a) },
      { name: `${p.weight}.lora_b`, ne: [rank, p.nOut], type: 'f32' as const, data: () => encodeF32(p.b) },
    ]),
  );
}

describe.skipIf(!addonBuilt)('LoRA adapters in taps', () => {
  let addon: SooNativeAddon;
  let model: NativeModel;
  let dir: string;
  let nEmbd: number;
  let tokens: number[];
  const rank = 4;
  const alpha = 16;
  let fileCounter = 0;
  /** Every adapter gets a new file name (llama.cpp and node-llama-cpp cache adapters per path). */
  const nextFile = () => path.join(dir, `lora-${fileCounter++}.gguf`);

  beforeAll(async () => {
    addon = loadTestAddon();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-lab-lora-'));
    model = await addon.loadModel(await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 }));
    nEmbd = model.info().nEmbd;
    tokens = Array.from(model.tokenize(PROMPT));
  });
  afterAll(() => {
    model?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('on attn_output: attn_out changes by exactly scale * alpha/r * B(A x)', async () => {
    const file = nextFile();
    const pair: LoraPair = {
      weight: 'blk.1.attn_output.weight',
      nIn: nEmbd,
      nOut: nEmbd,
      a: normals(rank * nEmbd, 1 / Math.sqrt(nEmbd), 1),
      b: normals(nEmbd * rank, 0.2, 2),
    };
    await writeLora(file, 'llama', rank, alpha, [pair]);
    const scale = 0.75;
    const taps = [
      { layer: 1, point: 'attn_out' as const },
      { layer: 1, point: 'kqv_out' as const },
    ];
    const base = await model.taps({ prompts: [tokens], taps, threads: THREADS });
    const adapted = await model.taps({ prompts: [tokens], taps, threads: THREADS, adapters: [{ path: file, scale }] });

    const x = adapted.activations[0]![1]!; // attention output before o_proj, [n_tokens, n_embd]
    expect(maxRelDiff(x, base.activations[0]![1]!).rel).toBeLessThanOrEqual(1e-6); // o_proj's LoRA cannot change its input
    const factor = (scale * alpha) / rank;
    const expected = new Float64Array(tokens.length * nEmbd);
    const got = new Float64Array(tokens.length * nEmbd);
    for (let t = 0; t < tokens.length; t++) {
      const ax = new Float64Array(rank);
      for (let j = 0; j < rank; j++) {
        for (let i = 0; i < nEmbd; i++) ax[j]! += pair.a[j * nEmbd + i]! * x[t * nEmbd + i]!;
      }
      for (let k = 0; k < nEmbd; k++) {
        let s = 0;
        for (let j = 0; j < rank; j++) s += pair.b[k * rank + j]! * ax[j]!;
        expected[t * nEmbd + k] = factor * s;
        got[t * nEmbd + k] = adapted.activations[0]![0]![t * nEmbd + k]! - base.activations[0]![0]![t * nEmbd + k]!;
      }
    }
    const { rel, scale: deltaScale } = maxRelDiff(got, expected);
    console.info(`LoRA on attn_output: delta scale ${deltaScale.toFixed(3)}, max rel diff ${rel.toExponential(2)}`);
    expect(deltaScale).toBeGreaterThan(0.05); // the adapter does something measurable
    expect(rel).toBeLessThanOrEqual(DELTA_TOLERANCE);
  });

  it('on attn_q/attn_v: attn_out changes, and scale 0 leaves it as it was', async () => {
    const file = nextFile();
    const kvWidth = (nEmbd / 4) * 2; // 4 heads, 2 kv heads
    await writeLora(file, 'llama', rank, alpha, [
      { weight: 'blk.0.attn_q.weight', nIn: nEmbd, nOut: nEmbd, a: normals(rank * nEmbd, 0.2, 3), b: normals(nEmbd * rank, 0.2, 4) },
      { weight: 'blk.0.attn_v.weight', nIn: nEmbd, nOut: kvWidth, a: normals(rank * nEmbd, 0.2, 5), b: normals(kvWidth * rank, 0.2, 6) },
    ]);
    const taps = [{ layer: 0, point: 'attn_out' as const }];
    const base = await model.taps({ prompts: [tokens], taps, threads: THREADS });
    const on = await model.taps({ prompts: [tokens], taps, threads: THREADS, adapters: [{ path: file, scale: 1 }] });
    const off = await model.taps({ prompts: [tokens], taps, threads: THREADS, adapters: [{ path: file, scale: 0 }] });
    expect(maxRelDiff(on.activations[0]![0]!, base.activations[0]![0]!).rel).toBeGreaterThan(0.01);
    expect(maxRelDiff(off.activations[0]![0]!, base.activations[0]![0]!).rel).toBeLessThanOrEqual(1e-6);
    // and without adapters again: nothing stays applied from the previous call
    const again = await model.taps({ prompts: [tokens], taps, threads: THREADS });
    expect(maxRelDiff(again.activations[0]![0]!, base.activations[0]![0]!).rel).toBe(0);
  });

  it('refuses a wrong-architecture adapter and a wrong-shape adapter with clear errors; the model keeps working', async () => {
    const wrongArch = nextFile();
    const p = { weight: 'blk.0.attn_q.weight', nIn: nEmbd, nOut: nEmbd, a: normals(rank * nEmbd, 0.1, 7), b: normals(nEmbd * rank, 0.1, 8) };
    await writeLora(wrongArch, 'qwen2', rank, alpha, [p]);
    const taps = [{ layer: 0, point: 'attn_out' as const }];
    const error1 = (await model.taps({ prompts: [tokens], taps, threads: THREADS, adapters: [{ path: wrongArch }] }).catch((e) => e)) as NativeError;
    expect(error1.code).toBe('bad_input');
    expect(error1.message).toContain("adapter is for architecture 'qwen2' but the model is 'llama'");
    expect(error1.file).toBe(wrongArch);

    const wrongShape = nextFile();
    await writeLora(wrongShape, 'llama', rank, alpha, [{ ...p, nIn: nEmbd * 2, a: normals(rank * nEmbd * 2, 0.1, 9) }]);
    const error2 = (await model.taps({ prompts: [tokens], taps, threads: THREADS, adapters: [{ path: wrongShape }] }).catch((e) => e)) as NativeError;
    expect(error2.code).toBe('bad_input');
    expect(error2.message).toMatch(/incorrect shape/);
    expect(error2.message).toContain(wrongShape);

    const ok = await model.taps({ prompts: [tokens], taps, threads: THREADS });
    expect(ok.activations[0]![0]!.length).toBe(tokens.length * nEmbd);
  });
});
