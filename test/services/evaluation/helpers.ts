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
export { normals } from '../../helpers/normals.ts';
import { normals } from '../../helpers/normals.ts';

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
