/**
 * Shared by the evaluation tests: a LoRA adapter GGUF written with the project's writer (format:
 * docs/engine-notes.md, "LoRA adapter GGUF": `W.lora_a` ne = [n_in, r], `W.lora_b` ne = [r, n_out]),
 * with seeded normal weights, and a temporary folder per suite.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kv, type GgufMetadata } from '../../../electron/services/gguf/gguf-value.ts';
import { encodeF32 } from '../../../electron/services/gguf/quantize.ts';
import { writeGguf } from '../../../electron/services/gguf/writer.ts';

/** Seeded N(0, std^2) values (mulberry32 + Box-Muller). */
export function normals(n: number, std: number, seed: number): Float32Array {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = std * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  return out;
}

/** Writes a llama LoRA adapter on attn_q and attn_v of every layer (square n_embd weights, no GQA). */
export async function writeLlamaLora(file: string, options: { layers: number; nEmbd: number; rank?: number; alpha?: number; std?: number; seed?: number }): Promise<string> {
  const { layers, nEmbd, rank = 4, alpha = 4, std = 0.5, seed = 1 } = options;
  const metadata: GgufMetadata = new Map([
    ['general.architecture', kv.str('llama')],
    ['general.type', kv.str('adapter')],
    ['adapter.type', kv.str('lora')],
    ['adapter.lora.alpha', kv.f32(alpha)],
  ]);
  const tensors = [];
  for (let l = 0; l < layers; l++) {
    for (const [k, w] of ['attn_q', 'attn_v'].entries()) {
      const s = seed * 1000 + l * 10 + k;
      const a = normals(nEmbd * rank, std, s);
      const b = normals(rank * nEmbd, std, s + 500);
      tensors.push(
        { name: `blk.${l}.${w}.weight.lora_a`, ne: [nEmbd, rank], type: 'f32' as const, data: () => encodeF32(a) },
        { name: `blk.${l}.${w}.weight.lora_b`, ne: [rank, nEmbd], type: 'f32' as const, data: () => encodeF32(b) },
      );
    }
  }
  await writeGguf(file, metadata, tensors);
  return file;
}

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
