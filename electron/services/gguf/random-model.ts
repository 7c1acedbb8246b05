/**
 * Random-weight llama / qwen2 models in GGUF, loadable by llama.cpp and node-llama-cpp, with a real
 * tokenizer and chat template borrowed from llama.cpp's vocab files (vocab.ts). For tests and the
 * `soo-lab make-model` command.
 *
 * Tensors (ggml ne order, ne[0] = row length = input size of a weight matrix):
 *   token_embd.weight [n_embd, n_vocab]      output_norm.weight [n_embd]     output.weight [n_embd, n_vocab]
 *   blk.N.attn_norm.weight [n_embd]          blk.N.ffn_norm.weight [n_embd]
 *   blk.N.attn_q.weight [n_embd, n_embd]     blk.N.attn_k/v.weight [n_embd, n_kv_head*head_dim]
 *   blk.N.attn_output.weight [n_embd, n_embd]
 *   blk.N.ffn_gate/up.weight [n_embd, n_ff]  blk.N.ffn_down.weight [n_ff, n_embd]
 *   qwen2 only: blk.N.attn_q/k/v.bias [n_embd | n_kv_head*head_dim]
 * Values: token_embd ~ N(0, 1) (N(0, 1/n_embd) when tied to the output); each weight matrix ~
 * N(0, 1/sqrt(row length)), so every projection
 * keeps unit-variance inputs at unit variance and activations stay O(1) across layers; norm weights
 * ~ 1 + N(0, 0.1^2); biases ~ N(0, 0.1^2). Norm weights and biases stay F32. 2-D matrices get the
 * requested type when their row length is a multiple of its block size, else F16 (F32 for type f32).
 * Deterministic: every tensor has its own generator seeded from (seed, tensor name), so the same
 * options give the same bytes. Tensors are generated and written in chunks of about 1M values.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { badInput } from '../../contract/errors.ts';
import { GGML_TYPES, type GgmlTypeName } from './ggml-types.ts';
import { kv, type GgufMetadata } from './gguf-value.ts';
import { quantize } from './quantize.ts';
import { borrowVocab } from './vocab.ts';
import { type GgufTensorSpec, writeGguf } from './writer.ts';

export type RandomModelArch = 'llama' | 'qwen2';
export const RANDOM_MODEL_ARCHS: readonly RandomModelArch[] = ['llama', 'qwen2'];
export const RANDOM_MODEL_TYPES: readonly GgmlTypeName[] = ['f32', 'f16', 'q8_0', 'q4_k'];

export interface RandomModelOptions {
  arch: RandomModelArch;
  /** Output file (.gguf). Written atomically. */
  out: string;
  /** Transformer blocks. Defaults to 2. */
  layers?: number;
  /** Model width n_embd. Must be a multiple of `heads`, with an even head size. Defaults to 64. */
  embd?: number;
  /** Attention heads. Defaults to 4. */
  heads?: number;
  /** Key/value heads (GQA when fewer than `heads`); must divide `heads`. Defaults to `heads`. */
  kvHeads?: number;
  /** Feed-forward width n_ff. Defaults to 4 * embd. */
  ff?: number;
  /** Training context length written to the metadata. Defaults to 512. */
  ctx?: number;
  /** Type of the 2-D weight matrices. Defaults to f32. */
  type?: GgmlTypeName;
  /** Seed of the weights (uint32). Defaults to 0. */
  seed?: number;
  /** RMSNorm epsilon. Defaults to 1e-5 (llama) / 1e-6 (qwen2), as the real models. */
  rmsEps?: number;
  /** RoPE base frequency. Defaults to 10000 (llama) / 1000000 (qwen2). */
  ropeFreqBase?: number;
  /** Use token_embd as the output matrix (no output.weight). Defaults to false (llama) / true (qwen2). */
  tieEmbeddings?: boolean;
  /** The llama.cpp source tree to borrow the tokenizer from. Defaults to ensureLlamaSource(). */
  llamaSourceDir?: string;
  /** Our own tokenizer instead of a borrowed one (the demo model's vocab): its tokenizer.* keys and size. */
  vocab?: { metadata: GgufMetadata; nVocab: number };
  /** Extra metadata keys written after the model's own (e.g. soo_lab.* provenance). */
  extraMetadata?: GgufMetadata;
  /**
   * Per-tensor init overrides, keyed by the tensor name without its `blk.N.` prefix
   * ("token_embd.weight", "attn_output.weight", "output_norm.weight", ...): the normal's mean and/or
   * std replace the defaults above for every tensor of that name (all blocks). Unknown keys are bad_input.
   */
  init?: Readonly<Record<string, { mean?: number; std?: number }>>;
  /** Progress after each chunk of about 1M values and each tensor: tensors done of all, bytes of tensor data written of all. */
  onProgress?: (progress: { tensorsDone: number; tensorCount: number; bytesWritten: number; totalBytes: number; tensor: string }) => void;
  signal?: AbortSignal;
}

export interface RandomModelResult {
  path: string;
  arch: RandomModelArch;
  /** Parameter count (all tensor elements; a tied output matrix counts once). */
  params: number;
  /** File size in bytes. */
  bytes: number;
  /** The requested type of the weight matrices. */
  type: GgmlTypeName;
  nVocab: number;
  /** The type each tensor got, by name. */
  tensorTypes: Record<string, GgmlTypeName>;
}

/** llama.cpp's `llama_ftype` for general.file_type (informational). */
const FILE_TYPE: Record<GgmlTypeName, number> = { f32: 0, f16: 1, q8_0: 7, q4_k: 14 /* Q4_K_S */ };

export interface ResolvedShape {
  arch: RandomModelArch;
  layers: number;
  embd: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  ff: number;
  ctx: number;
  type: GgmlTypeName;
  seed: number;
  rmsEps: number;
  ropeFreqBase: number;
  tieEmbeddings: boolean;
}

/** Fills defaults and checks the shape; throws bad_input naming the option. */
export function resolveRandomModelOptions(options: Omit<RandomModelOptions, 'out'>): ResolvedShape {
  const { arch } = options;
  if (!RANDOM_MODEL_ARCHS.includes(arch)) throw badInput(`arch must be one of ${RANDOM_MODEL_ARCHS.join(', ')}, got "${arch}"`);
  const embd = options.embd ?? 64;
  const heads = options.heads ?? 4;
  const r: ResolvedShape = {
    arch,
    layers: options.layers ?? 2,
    embd,
    heads,
    kvHeads: options.kvHeads ?? heads,
    headDim: embd / heads,
    ff: options.ff ?? 4 * embd,
    ctx: options.ctx ?? 512,
    type: options.type ?? 'f32',
    seed: options.seed ?? 0,
    rmsEps: options.rmsEps ?? (arch === 'qwen2' ? 1e-6 : 1e-5),
    ropeFreqBase: options.ropeFreqBase ?? (arch === 'qwen2' ? 1_000_000 : 10_000),
    tieEmbeddings: options.tieEmbeddings ?? arch === 'qwen2',
  };
  for (const key of ['layers', 'embd', 'heads', 'kvHeads', 'ff', 'ctx'] as const) {
    if (!Number.isInteger(r[key]) || r[key] <= 0) throw badInput(`${key} must be a positive integer, got ${r[key]}`);
  }
  if (!Number.isInteger(r.seed) || r.seed < 0 || r.seed > 0xffffffff) throw badInput(`seed must be an integer in [0, 2^32), got ${r.seed}`);
  if (!RANDOM_MODEL_TYPES.includes(r.type)) throw badInput(`type must be one of ${RANDOM_MODEL_TYPES.join(', ')}, got "${r.type}"`);
  if (embd % heads !== 0) throw badInput(`embd (${embd}) must be a multiple of heads (${heads})`);
  if (r.headDim % 2 !== 0) throw badInput(`the head size embd/heads = ${r.headDim} must be even for RoPE`);
  if (heads % r.kvHeads !== 0) throw badInput(`heads (${heads}) must be a multiple of kvHeads (${r.kvHeads})`);
  return r;
}

/** The type a 2-D matrix with rows of `rowLength` values gets when `requested` is asked for. */
export function matrixType(requested: GgmlTypeName, rowLength: number): GgmlTypeName {
  if (rowLength % GGML_TYPES[requested].blockSize === 0) return requested;
  return requested === 'f32' ? 'f32' : 'f16';
}

type Init = { kind: 'normal'; mean: number; std: number };

interface PlannedTensor {
  name: string;
  ne: number[];
  type: GgmlTypeName;
  init: Init;
}

/** The tensors of a model with this shape, in file order. */
export function planRandomModelTensors(s: ResolvedShape, nVocab: number): PlannedTensor[] {
  const nKv = s.kvHeads * s.headDim;
  const matrix = (name: string, nIn: number, nOut: number, std = 1 / Math.sqrt(nIn)): PlannedTensor =>
    ({ name, ne: [nIn, nOut], type: matrixType(s.type, nIn), init: { kind: 'normal', mean: 0, std } });
  const vector = (name: string, n: number, mean: number, std: number): PlannedTensor =>
    ({ name, ne: [n], type: 'f32', init: { kind: 'normal', mean, std } });

  // Tied: token_embd is also the output matrix, so it gets the output matrix's std (else each
  // token's own logit would be ~n_embd and swamp the rest); untied: unit-variance embeddings.
  const embdStd = s.tieEmbeddings ? 1 / Math.sqrt(s.embd) : 1;
  const out: PlannedTensor[] = [matrix('token_embd.weight', s.embd, nVocab, embdStd)];
  for (let i = 0; i < s.layers; i++) {
    const b = `blk.${i}`;
    out.push(vector(`${b}.attn_norm.weight`, s.embd, 1, 0.1));
    out.push(matrix(`${b}.attn_q.weight`, s.embd, s.embd));
    out.push(matrix(`${b}.attn_k.weight`, s.embd, nKv));
    out.push(matrix(`${b}.attn_v.weight`, s.embd, nKv));
    if (s.arch === 'qwen2') {
      out.push(vector(`${b}.attn_q.bias`, s.embd, 0, 0.1));
      out.push(vector(`${b}.attn_k.bias`, nKv, 0, 0.1));
      out.push(vector(`${b}.attn_v.bias`, nKv, 0, 0.1));
    }
    out.push(matrix(`${b}.attn_output.weight`, s.embd, s.embd));
    out.push(vector(`${b}.ffn_norm.weight`, s.embd, 1, 0.1));
    out.push(matrix(`${b}.ffn_gate.weight`, s.embd, s.ff));
    out.push(matrix(`${b}.ffn_up.weight`, s.embd, s.ff));
    out.push(matrix(`${b}.ffn_down.weight`, s.ff, s.embd));
  }
  out.push(vector('output_norm.weight', s.embd, 1, 0.1));
  if (!s.tieEmbeddings) out.push(matrix('output.weight', s.embd, nVocab));
  return out;
}

/** The tensor name without its block prefix: the key of RandomModelOptions.init. */
export function initKey(name: string): string {
  return name.replace(/^blk\.\d+\./, '');
}

/** Applies RandomModelOptions.init to planned tensors (new objects); bad_input for a key no tensor has or a bad value. */
export function applyInitOverrides(planned: PlannedTensor[], init: RandomModelOptions['init'] = {}): PlannedTensor[] {
  const keys = new Set(planned.map((t) => initKey(t.name)));
  for (const [key, o] of Object.entries(init)) {
    if (!keys.has(key)) throw badInput(`init: no tensor named "${key}" (one of ${[...keys].join(', ')})`);
    if (o.std !== undefined && !(Number.isFinite(o.std) && o.std >= 0)) throw badInput(`init.${key}.std must be a finite number >= 0, got ${o.std}`);
    if (o.mean !== undefined && !Number.isFinite(o.mean)) throw badInput(`init.${key}.mean must be a finite number, got ${o.mean}`);
  }
  return planned.map((t) => {
    const o = init[initKey(t.name)];
    return o ? { ...t, init: { kind: 'normal', mean: o.mean ?? t.init.mean, std: o.std ?? t.init.std } } : t;
  });
}

/** Writes a random-weight model; see the module comment for what it contains. */
export async function makeRandomModel(options: RandomModelOptions): Promise<RandomModelResult> {
  const s = resolveRandomModelOptions(options);
  if (!options.out) throw badInput('out (the .gguf file to write) is required');
  const vocab = options.vocab ?? (await borrowVocab(s.arch, options.llamaSourceDir));
  const planned = applyInitOverrides(planRandomModelTensors(s, vocab.nVocab), options.init);

  const a = s.arch;
  const metadata: GgufMetadata = new Map([
    ['general.architecture', kv.str(a)],
    ['general.name', kv.str(`soo-lab random ${a} ${s.layers}x${s.embd} ${s.type} seed ${s.seed}`)],
    ['general.alignment', kv.u32(32)],
    ['general.file_type', kv.u32(FILE_TYPE[s.type])],
    [`${a}.vocab_size`, kv.u32(vocab.nVocab)],
    [`${a}.context_length`, kv.u32(s.ctx)],
    [`${a}.embedding_length`, kv.u32(s.embd)],
    [`${a}.block_count`, kv.u32(s.layers)],
    [`${a}.feed_forward_length`, kv.u32(s.ff)],
    [`${a}.attention.head_count`, kv.u32(s.heads)],
    [`${a}.attention.head_count_kv`, kv.u32(s.kvHeads)],
    [`${a}.attention.layer_norm_rms_epsilon`, kv.f32(s.rmsEps)],
    [`${a}.rope.freq_base`, kv.f32(s.ropeFreqBase)],
    [`${a}.rope.dimension_count`, kv.u32(s.headDim)],
    ['soo_lab.generator', kv.str('makeRandomModel')],
    ['soo_lab.seed', kv.u32(s.seed)],
  ]);
  if (s.type === 'q8_0' || s.type === 'q4_k') metadata.set('general.quantization_version', kv.u32(2));
  for (const [key, value] of vocab.metadata) metadata.set(key, value);
  for (const [key, value] of options.extraMetadata ?? []) metadata.set(key, value);

  const specs: GgufTensorSpec[] = planned.map((t) => ({
    name: t.name,
    ne: t.ne,
    type: t.type,
    data: () => generateTensor(t, s.seed),
  }));
  const written = await writeGguf(options.out, metadata, specs, {
    signal: options.signal,
    onProgress: options.onProgress
      ? (p) => options.onProgress!({ tensorsDone: p.tensorsDone, tensorCount: p.tensorCount, bytesWritten: p.bytesWritten, totalBytes: p.totalTensorBytes, tensor: p.tensor })
      : undefined,
  });
  return {
    path: written.path,
    arch: s.arch,
    params: planned.reduce((n, t) => n + t.ne.reduce((x, y) => x * y, 1), 0),
    bytes: written.bytes,
    type: s.type,
    nVocab: vocab.nVocab,
    tensorTypes: Object.fromEntries(planned.map((t) => [t.name, t.type])),
  };
}

/** FNV-1a of the text: a per-tensor seed, so each tensor's values do not depend on file order. */
function hashSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Yields the tensor's bytes in chunks of whole rows (about 1M values each). */
function* generateTensor(t: PlannedTensor, seed: number): Generator<Uint8Array> {
  const rng = xoroshiro128plus(hashSeed(seed, t.name));
  const uniform = () => ((rng.next() >>> 0) + 0.5) / 4294967296; // (0, 1)
  const rowLength = t.ne[0]!;
  const rows = t.ne.slice(1).reduce((a, b) => a * b, 1);
  const rowsPerChunk = Math.max(1, Math.floor((1 << 20) / rowLength));
  for (let row = 0; row < rows; row += rowsPerChunk) {
    const n = Math.min(rowsPerChunk, rows - row) * rowLength;
    const values = new Float32Array(n);
    // Box-Muller: two uniforms -> two independent standard normals.
    for (let i = 0; i < n; i += 2) {
      const radius = Math.sqrt(-2 * Math.log(uniform()));
      const angle = 2 * Math.PI * uniform();
      values[i] = t.init.mean + t.init.std * radius * Math.cos(angle);
      if (i + 1 < n) values[i + 1] = t.init.mean + t.init.std * radius * Math.sin(angle);
    }
    yield quantize(t.type, values);
  }
}
