/**
 * Test oracle: an independent float64 forward pass of a llama / qwen2 GGUF, written as plain loops
 * from llama.cpp's math (src/models/llama.cpp, src/models/qwen2.cpp, ggml's rms_norm, rope_ext,
 * soft_max_ext), with no ggml code involved. Reads the file itself: metadata and tensor offsets through
 * node-llama-cpp's GGUF parser (`readGgufFileInfo`), values through our dequantizers (which are
 * checked byte for byte against ggml's in test/services/gguf/quantize.test.ts). Weights are kept as
 * float32 (exact), all arithmetic and activations are float64.
 *
 * Per layer L, for the token rows t = 0..n_tokens-1 (all arrays row-major [n_tokens, n_embd]):
 *   h        = rms_norm(x) * attn_norm                      rms_norm(v) = v / sqrt(mean(v^2) + eps)
 *   q, k, v  = Wq h (+bq), Wk h (+bk), Wv h (+bv)           (biases: qwen2)
 *   q, k     = rope(q, pos = t), rope(k, pos = t)           llama: NORM (adjacent pairs), qwen2: NEOX (halves)
 *   o_head   = softmax_causal(q k^T / sqrt(head_dim)) v     q head h reads kv head floor(h / (n_head / n_head_kv))
 *   attnOut  = Wo concat(o_heads)                           (o_proj output, before the residual add)
 *   x1       = x + attnOut
 *   mlpOut   = Wdown (silu(Wgate g) * (Wup g)), g = rms_norm(x1) * ffn_norm
 *   resid    = x1 + mlpOut                                  (the layer output)
 * logits = Wout (rms_norm(x) * output_norm), Wout = output.weight or token_embd.weight when tied.
 * A weight of ggml ne [n_in, n_out] is n_out rows of n_in values: y[j] = sum_i W[j * n_in + i] x[i].
 * Slow on purpose (no blocking, no SIMD): use models of a few million parameters.
 */
import fs from 'node:fs';
import { readGgufFileInfo } from 'node-llama-cpp';
import { dequantize } from '../../electron/services/gguf/quantize.ts';
import { ggmlTypeById, tensorByteSize } from '../../electron/services/gguf/ggml-types.ts';

export interface ReferenceLayerOutput {
  /** o_proj output before the residual add, [n_tokens, n_embd]. */
  attnOut: Float32Array;
  /** ffn_down output before the residual add, [n_tokens, n_embd]. */
  mlpOut: Float32Array;
  /** The layer's output after both residual adds, [n_tokens, n_embd]. */
  resid: Float32Array;
}

export interface ReferenceOutput {
  arch: string;
  nEmbd: number;
  nVocab: number;
  layers: ReferenceLayerOutput[];
  /** [n_tokens, n_vocab] */
  logits: Float32Array;
}

interface Weights {
  get(name: string): Float32Array;
  has(name: string): boolean;
}

async function loadWeights(modelPath: string) {
  const info = await readGgufFileInfo(modelPath, { logWarnings: false });
  const tensors = new Map(info.tensorInfo!.map((t) => [t.name, t]));
  const fd = fs.openSync(modelPath, 'r');
  const cache = new Map<string, Float32Array>();
  const weights: Weights = {
    has: (name) => tensors.has(name),
    get(name) {
      const hit = cache.get(name);
      if (hit) return hit;
      const t = tensors.get(name);
      if (!t) throw new Error(`${modelPath}: tensor ${name} is missing`);
      const type = ggmlTypeById(Number(t.ggmlType));
      if (!type) throw new Error(`${modelPath}: tensor ${name} has ggml type ${t.ggmlType}, which the oracle cannot decode`);
      const ne = t.dimensions.map(Number);
      const bytes = new Uint8Array(tensorByteSize(type.name, ne));
      fs.readSync(fd, bytes, 0, bytes.length, Number(t.fileOffset));
      // float32 storage is exact (every dequantized value is a float32); the arithmetic below is float64
      const values = dequantize(type.name, bytes);
      cache.set(name, values);
      return values;
    },
  };
  return { info, weights, close: () => fs.closeSync(fd) };
}

/** y[t, j] = sum_i W[j, i] x[t, i] (+ b[j]); x is [nTok, nIn], W is [nOut, nIn] row-major. */
function matmul(x: Float64Array, nTok: number, nIn: number, w: Float32Array, nOut: number, bias?: Float32Array): Float64Array {
  if (w.length !== nIn * nOut) throw new Error(`weight has ${w.length} values, expected ${nIn} x ${nOut}`);
  const y = new Float64Array(nTok * nOut);
  for (let t = 0; t < nTok; t++) {
    for (let j = 0; j < nOut; j++) {
      let s = 0;
      for (let i = 0; i < nIn; i++) s += w[j * nIn + i]! * x[t * nIn + i]!;
      y[t * nOut + j] = s + (bias ? bias[j]! : 0);
    }
  }
  return y;
}

function rmsNorm(x: Float64Array, nTok: number, n: number, weight: Float32Array, eps: number): Float64Array {
  const y = new Float64Array(x.length);
  for (let t = 0; t < nTok; t++) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[t * n + i]! ** 2;
    const scale = 1 / Math.sqrt(ss / n + eps);
    for (let i = 0; i < n; i++) y[t * n + i] = x[t * n + i]! * scale * weight[i]!;
  }
  return y;
}

/**
 * RoPE in place on [nTok, nHeads * headDim]; token t has position t. Dimension pair i (0 <= i < headDim/2)
 * turns by angle t * base^(-2i / headDim). NORM pairs (2i, 2i+1); NEOX pairs (i, i + headDim/2).
 */
function rope(x: Float64Array, nTok: number, nHeads: number, headDim: number, base: number, neox: boolean): void {
  const half = headDim / 2;
  for (let t = 0; t < nTok; t++) {
    for (let h = 0; h < nHeads; h++) {
      const o = t * nHeads * headDim + h * headDim;
      for (let i = 0; i < half; i++) {
        const theta = t * base ** ((-2 * i) / headDim);
        const cos = Math.cos(theta);
        const sin = Math.sin(theta);
        const a = neox ? o + i : o + 2 * i;
        const b = neox ? o + i + half : o + 2 * i + 1;
        const x0 = x[a]!;
        const x1 = x[b]!;
        x[a] = x0 * cos - x1 * sin;
        x[b] = x0 * sin + x1 * cos;
      }
    }
  }
}

const silu = (v: number) => v / (1 + Math.exp(-v));

export async function referenceForward(modelPath: string, tokens: number[]): Promise<ReferenceOutput> {
  const { info, weights, close } = await loadWeights(modelPath);
  try {
    const arch = String(info.metadata.general.architecture);
    if (arch !== 'llama' && arch !== 'qwen2') throw new Error(`oracle supports llama and qwen2, not ${arch}`);
    const m = info.architectureMetadata as Record<string, unknown> & { attention: Record<string, unknown>; rope?: Record<string, unknown> };
    const nEmbd = Number(m.embedding_length);
    const nLayer = Number(m.block_count);
    const nFf = Number(m.feed_forward_length);
    const nHead = Number(m.attention.head_count);
    const nHeadKv = Number(m.attention.head_count_kv ?? nHead);
    const eps = Number(m.attention.layer_norm_rms_epsilon);
    const base = Number(m.rope?.freq_base ?? 10000);
    const headDim = nEmbd / nHead;
    const nKv = nHeadKv * headDim;
    const neox = arch === 'qwen2';
    const nTok = tokens.length;
    const embd = weights.get('token_embd.weight');
    const nVocab = embd.length / nEmbd;

    let x = new Float64Array(nTok * nEmbd);
    tokens.forEach((tok, t) => {
      if (!(tok >= 0 && tok < nVocab)) throw new Error(`token ${tok} is outside the vocabulary of ${nVocab}`);
      x.set(embd.subarray(tok * nEmbd, (tok + 1) * nEmbd), t * nEmbd);
    });

    const layers: ReferenceLayerOutput[] = [];
    for (let l = 0; l < nLayer; l++) {
      const w = (n: string) => weights.get(`blk.${l}.${n}`);
      const bias = (n: string) => (weights.has(`blk.${l}.${n}`) ? w(n) : undefined);

      const h = rmsNorm(x, nTok, nEmbd, w('attn_norm.weight'), eps);
      const q = matmul(h, nTok, nEmbd, w('attn_q.weight'), nEmbd, bias('attn_q.bias'));
      const k = matmul(h, nTok, nEmbd, w('attn_k.weight'), nKv, bias('attn_k.bias'));
      const v = matmul(h, nTok, nEmbd, w('attn_v.weight'), nKv, bias('attn_v.bias'));
      rope(q, nTok, nHead, headDim, base, neox);
      rope(k, nTok, nHeadKv, headDim, base, neox);

      const heads = new Float64Array(nTok * nEmbd);
      const group = nHead / nHeadKv;
      const scale = 1 / Math.sqrt(headDim);
      for (let hd = 0; hd < nHead; hd++) {
        const kvh = Math.floor(hd / group);
        for (let t = 0; t < nTok; t++) {
          const scores = new Float64Array(t + 1); // causal: keys 0..t
          let max = -Infinity;
          for (let s = 0; s <= t; s++) {
            let dot = 0;
            for (let d = 0; d < headDim; d++) dot += q[t * nEmbd + hd * headDim + d]! * k[s * nKv + kvh * headDim + d]!;
            scores[s] = dot * scale;
            max = Math.max(max, scores[s]!);
          }
          let sum = 0;
          for (let s = 0; s <= t; s++) sum += (scores[s] = Math.exp(scores[s]! - max));
          for (let d = 0; d < headDim; d++) {
            let acc = 0;
            for (let s = 0; s <= t; s++) acc += scores[s]! * v[s * nKv + kvh * headDim + d]!;
            heads[t * nEmbd + hd * headDim + d] = acc / sum;
          }
        }
      }
      const attnOut = matmul(heads, nTok, nEmbd, w('attn_output.weight'), nEmbd, bias('attn_output.bias'));
      const x1 = x.map((val, i) => val + attnOut[i]!);

      const g = rmsNorm(x1, nTok, nEmbd, w('ffn_norm.weight'), eps);
      const gate = matmul(g, nTok, nEmbd, w('ffn_gate.weight'), nFf);
      const up = matmul(g, nTok, nEmbd, w('ffn_up.weight'), nFf);
      const act = gate.map((val, i) => silu(val) * up[i]!);
      const mlpOut = matmul(act, nTok, nFf, w('ffn_down.weight'), nEmbd);
      x = x1.map((val, i) => val + mlpOut[i]!);
      layers.push({ attnOut: Float32Array.from(attnOut), mlpOut: Float32Array.from(mlpOut), resid: Float32Array.from(x) });
    }

    const final = rmsNorm(x, nTok, nEmbd, weights.get('output_norm.weight'), eps);
    const out = weights.has('output.weight') ? weights.get('output.weight') : embd;
    const logits = matmul(final, nTok, nEmbd, out, nVocab);
    return { arch, nEmbd, nVocab, layers, logits: Float32Array.from(logits) };
  } finally {
    close();
  }
}

/** softmax of one row of logits, in float64. */
export function softmax(logits: ArrayLike<number>, offset = 0, n = logits.length - offset): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[offset + i]!);
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (p[i] = Math.exp(logits[offset + i]! - max));
  for (let i = 0; i < n; i++) p[i]! /= sum;
  return p;
}
