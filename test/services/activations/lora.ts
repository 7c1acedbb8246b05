/**
 * Test helper: writes a random LoRA adapter GGUF for a model, on the query and value projections of
 * every layer (the published SOO targets), with the project's GGUF writer. Shapes come from the
 * model's own tensor infos: for W with ne = [n_in, n_out], lora_a ne = [n_in, r], lora_b ne = [r, n_out];
 * llama.cpp computes y = W x + scale * alpha / r * B(A x) (docs/engine-notes.md, "LoRA adapter GGUF").
 */
import { kv, type GgufMetadata } from '../../../electron/services/gguf/gguf-value.ts';
import { encodeF32 } from '../../../electron/services/gguf/quantize.ts';
import { readGgufHeader } from '../../../electron/services/gguf/reader.ts';
import { writeGguf } from '../../../electron/services/gguf/writer.ts';
import { normals } from '../../helpers/normals.ts';

export interface RandomLoraOptions {
  rank?: number;
  alpha?: number;
  /** Standard deviation of B's entries; A has 1/sqrt(n_in). Defaults to 0.3. */
  bStd?: number;
  seed?: number;
}

export async function writeRandomLora(modelPath: string, out: string, options: RandomLoraOptions = {}): Promise<string> {
  const { rank = 4, alpha = 16, bStd = 0.3, seed = 1 } = options;
  const header = readGgufHeader(modelPath);
  const arch = header.metadata.get('general.architecture');
  if (!arch || arch.type !== 'string') throw new Error(`${modelPath} has no general.architecture`);
  const targets = header.tensors.filter((t) => /^blk\.\d+\.attn_[qv]\.weight$/.test(t.name));
  const metadata: GgufMetadata = new Map([
    ['general.architecture', kv.str(arch.value)],
    ['general.type', kv.str('adapter')],
    ['adapter.type', kv.str('lora')],
    ['adapter.lora.alpha', kv.f32(alpha)],
  ]);
  await writeGguf(
    out,
    metadata,
    targets.flatMap((t, i) => {
      const [nIn, nOut] = t.ne as [number, number];
      const a = normals(rank * nIn, 1 / Math.sqrt(nIn), seed * 1000 + 2 * i);
      const b = normals(nOut * rank, bStd, seed * 1000 + 2 * i + 1);
      return [
        { name: t.name.replace(/\.weight$/, '.weight.lora_a'), ne: [nIn, rank], type: 'f32' as const, data: () => encodeF32(a) },
        { name: t.name.replace(/\.weight$/, '.weight.lora_b'), ne: [rank, nOut], type: 'f32' as const, data: () => encodeF32(b) },
      ];
    }),
  );
  return out;
}
