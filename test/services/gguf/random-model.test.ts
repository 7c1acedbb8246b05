/**
 * makeRandomModel without loading the model: the metadata keys, types and tensor shapes llama.cpp's
 * loader expects (src/models/llama.cpp, qwen2.cpp: create_tensor shapes), deterministic bytes,
 * the borrowed tokenizer, weight statistics, and flag validation. Loading is in load.test.ts.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { readGgufHeader, readTensorBytes } from '../../../electron/services/gguf/reader.ts';
import { dequantize } from '../../../electron/services/gguf/quantize.ts';
import { makeRandomModel, matrixType } from '../../../electron/services/gguf/random-model.ts';
import { borrowVocab } from '../../../electron/services/gguf/vocab.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-random-model-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
const sha = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('makeRandomModel', () => {
  it('writes the hyper-parameters and tensor shapes llama.cpp expects (llama, GQA, q8_0)', async () => {
    const out = path.join(dir, 'llama.gguf');
    const r = await makeRandomModel({ arch: 'llama', layers: 3, embd: 64, heads: 8, kvHeads: 2, ff: 96, type: 'q8_0', out });
    const info = await readGgufFileInfo(out, { logWarnings: false });
    const a = info.architectureMetadata as Record<string, unknown> & { attention: Record<string, unknown>; rope: Record<string, unknown> };
    expect(info.metadata.general.architecture).toBe('llama');
    expect([a.block_count, a.embedding_length, a.feed_forward_length, a.context_length]).toEqual([3, 64, 96, 512]);
    expect([a.attention.head_count, a.attention.head_count_kv, a.rope.dimension_count]).toEqual([8, 2, 8]);
    expect(a.attention.layer_norm_rms_epsilon).toBeCloseTo(1e-5, 10);
    expect(a.rope.freq_base).toBe(10000);

    const shapes = Object.fromEntries(info.tensorInfo!.map((t) => [t.name, t.dimensions.map(Number)]));
    const nVocab = 32000; // the Llama-2 / Mistral SPM vocab
    expect(shapes['token_embd.weight']).toEqual([64, nVocab]);
    expect(shapes['output.weight']).toEqual([64, nVocab]);
    expect(shapes['output_norm.weight']).toEqual([64]);
    expect(shapes['blk.2.attn_q.weight']).toEqual([64, 64]);
    expect(shapes['blk.2.attn_k.weight']).toEqual([64, 16]); // 2 kv heads x head size 8
    expect(shapes['blk.2.attn_v.weight']).toEqual([64, 16]);
    expect(shapes['blk.2.attn_output.weight']).toEqual([64, 64]);
    expect(shapes['blk.2.ffn_gate.weight']).toEqual([64, 96]);
    expect(shapes['blk.2.ffn_down.weight']).toEqual([96, 64]);
    expect(shapes['blk.3.attn_q.weight']).toBeUndefined();
    expect(Object.keys(shapes).some((n) => n.includes('bias'))).toBe(false);
    expect(info.tensorInfo!.length).toBe(3 + 3 * 9);

    // types: matrices q8_0 (rows of 64 and 96 are multiples of 32), norms f32
    const types = Object.fromEntries(info.tensorInfo!.map((t) => [t.name, Number(t.ggmlType)]));
    expect(types['blk.0.attn_q.weight']).toBe(8);
    expect(types['blk.0.ffn_down.weight']).toBe(8);
    expect(types['blk.0.attn_norm.weight']).toBe(0);
    expect(r.params).toBe(info.tensorInfo!.reduce((n, t) => n + t.dimensions.map(Number).reduce((x, y) => x * y, 1), 0));
    expect(r.bytes).toBe(fs.statSync(out).size);
  });

  it('qwen2: q/k/v biases, tied embeddings, NEOX-arch defaults, typed keys', async () => {
    const out = path.join(dir, 'qwen2.gguf');
    await makeRandomModel({ arch: 'qwen2', layers: 1, embd: 32, heads: 4, kvHeads: 1, ff: 64, type: 'f16', out });
    const header = readGgufHeader(out);
    const shapes = Object.fromEntries(header.tensors.map((t) => [t.name, t.ne]));
    expect(shapes['blk.0.attn_q.bias']).toEqual([32]);
    expect(shapes['blk.0.attn_k.bias']).toEqual([8]);
    expect(shapes['blk.0.attn_v.bias']).toEqual([8]);
    expect(shapes['output.weight']).toBeUndefined(); // tied to token_embd, like Qwen2.5-0.5B
    expect(header.tensors.find((t) => t.name === 'blk.0.attn_q.bias')!.type).toBe('f32');
    expect(header.tensors.find((t) => t.name === 'blk.0.attn_q.weight')!.type).toBe('f16');
    // llama.cpp's loader checks key types: u32 hyper-parameters, f32 epsilon and base
    expect(header.metadata.get('qwen2.block_count')!.type).toBe('uint32');
    expect(header.metadata.get('qwen2.attention.layer_norm_rms_epsilon')).toEqual({ type: 'float32', value: Math.fround(1e-6) });
    expect(header.metadata.get('qwen2.rope.freq_base')).toEqual({ type: 'float32', value: 1_000_000 });
  });

  it('copies the tokenizer keys of the vocab file with their types and adds a chat template', async () => {
    const out = path.join(dir, 'tok.gguf');
    await makeRandomModel({ arch: 'llama', layers: 1, embd: 32, heads: 2, ff: 32, out });
    const ours = readGgufHeader(out).metadata;
    const vocab = await borrowVocab('llama');
    const source = readGgufHeader(vocab.vocabPath).metadata;
    for (const [key, value] of source) {
      if (key.startsWith('tokenizer.')) expect(ours.get(key), key).toEqual(value);
    }
    expect(ours.get('tokenizer.ggml.model')).toEqual({ type: 'string', value: 'llama' });
    expect(ours.get('tokenizer.ggml.bos_token_id')).toEqual({ type: 'uint32', value: 1 });
    const template = ours.get('tokenizer.chat_template');
    expect(template?.type).toBe('string');
    expect(String(template?.value)).toContain('[INST]');
  });

  it('is deterministic: same options -> same bytes; another seed -> other weights', async () => {
    const opts = { arch: 'llama', layers: 1, embd: 32, heads: 2, ff: 256, type: 'q4_k' } as const;
    await makeRandomModel({ ...opts, seed: 5, out: path.join(dir, 'a.gguf') });
    await makeRandomModel({ ...opts, seed: 5, out: path.join(dir, 'b.gguf') });
    await makeRandomModel({ ...opts, seed: 6, out: path.join(dir, 'c.gguf') });
    expect(sha(path.join(dir, 'a.gguf'))).toBe(sha(path.join(dir, 'b.gguf')));
    expect(sha(path.join(dir, 'a.gguf'))).not.toBe(sha(path.join(dir, 'c.gguf')));
  });

  it('scales weights so activations stay O(1): matrix std ~ 1/sqrt(n_in), norms ~ 1', async () => {
    const out = path.join(dir, 'stats.gguf');
    await makeRandomModel({ arch: 'llama', layers: 1, embd: 128, heads: 4, ff: 256, out });
    const header = readGgufHeader(out);
    const stats = (name: string) => {
      const t = header.tensors.find((x) => x.name === name)!;
      const v = dequantize(t.type!, readTensorBytes(out, t));
      const mean = v.reduce((s, x) => s + x, 0) / v.length;
      const std = Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length);
      return { mean, std };
    };
    const q = stats('blk.0.attn_q.weight'); // 16384 values: std of the estimate ~ 0.6%
    expect(Math.abs(q.mean)).toBeLessThan(0.01);
    expect(q.std).toBeGreaterThan((1 / Math.sqrt(128)) * 0.95);
    expect(q.std).toBeLessThan((1 / Math.sqrt(128)) * 1.05);
    const down = stats('blk.0.ffn_down.weight');
    expect(down.std).toBeGreaterThan((1 / Math.sqrt(256)) * 0.95);
    expect(down.std).toBeLessThan((1 / Math.sqrt(256)) * 1.05);
    const norm = stats('blk.0.attn_norm.weight');
    expect(Math.abs(norm.mean - 1)).toBeLessThan(0.05);
  });

  it('init overrides replace mean/std of the named tensors in every block and leave the rest bit-identical', async () => {
    const base = { arch: 'llama' as const, layers: 2, embd: 128, heads: 4, ff: 256, tieEmbeddings: true, seed: 3 };
    const plain = path.join(dir, 'init-default.gguf');
    const over = path.join(dir, 'init-override.gguf');
    await makeRandomModel({ ...base, out: plain });
    await makeRandomModel({ ...base, out: over, init: { 'token_embd.weight': { std: 1 }, 'attn_output.weight': { std: 0.01 }, 'output_norm.weight': { mean: 0.25, std: 0 } } });
    const read = (file: string, name: string) => {
      const h = readGgufHeader(file);
      const t = h.tensors.find((x) => x.name === name)!;
      return dequantize(t.type!, readTensorBytes(file, t));
    };
    const std = (v: Float32Array) => {
      const m = v.reduce((s, x) => s + x, 0) / v.length;
      return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
    };
    // default tied embedding std is 1/sqrt(n_embd) = 0.088; overridden: 1 (128 x 32000 values)
    expect(std(read(plain, 'token_embd.weight'))).toBeLessThan(0.1);
    expect(std(read(over, 'token_embd.weight'))).toBeGreaterThan(0.98);
    expect(std(read(over, 'token_embd.weight'))).toBeLessThan(1.02);
    for (const b of [0, 1]) {
      const o = std(read(over, `blk.${b}.attn_output.weight`));
      expect(o).toBeGreaterThan(0.0095);
      expect(o).toBeLessThan(0.0105);
      // the same generator stream, only scaled: value i is 0.01 / (1/sqrt(128)) times the default's
      const d = read(plain, `blk.${b}.attn_output.weight`);
      expect(read(over, `blk.${b}.attn_output.weight`)[5]).toBeCloseTo(d[5]! * 0.01 * Math.sqrt(128), 6);
      expect(Array.from(read(over, `blk.${b}.attn_q.weight`))).toEqual(Array.from(read(plain, `blk.${b}.attn_q.weight`)));
    }
    expect(Array.from(new Set(read(over, 'output_norm.weight')))).toEqual([0.25]);
    await expect(makeRandomModel({ ...base, out: path.join(dir, 'never.gguf'), init: { 'attn_out.weight': { std: 1 } } })).rejects.toThrow(/init: no tensor named "attn_out.weight"/);
    await expect(makeRandomModel({ ...base, out: path.join(dir, 'never.gguf'), init: { 'ffn_up.weight': { std: -1 } } })).rejects.toThrow(/init.ffn_up.weight.std must be/);
  });

  it('keeps a matrix at f16 when its rows are not whole blocks of the requested type', () => {
    expect(matrixType('q4_k', 256)).toBe('q4_k');
    expect(matrixType('q4_k', 64)).toBe('f16');
    expect(matrixType('q8_0', 48)).toBe('f16');
    expect(matrixType('f32', 7)).toBe('f32');
  });

  it('rejects impossible shapes with the option named', async () => {
    const out = path.join(dir, 'never.gguf');
    await expect(makeRandomModel({ arch: 'llama', embd: 60, heads: 8, out })).rejects.toThrow(/embd \(60\) must be a multiple of heads \(8\)/);
    await expect(makeRandomModel({ arch: 'llama', heads: 4, kvHeads: 3, out })).rejects.toThrow(/heads \(4\) must be a multiple of kvHeads \(3\)/);
    await expect(makeRandomModel({ arch: 'llama', embd: 12, heads: 4, out })).rejects.toThrow(/head size embd\/heads = 3 must be even/);
    await expect(makeRandomModel({ arch: 'gpt2' as 'llama', out })).rejects.toThrow(/arch must be one of llama, qwen2/);
    expect(fs.existsSync(out)).toBe(false);
  });
});
