/**
 * The typed JS surface of native/build/Release/soo_native.node (built by scripts/build-native.mjs).
 *
 * Only electron/engine-host (and native tests/benches) load the addon; everything else talks to the
 * engine process through electron/services/engine/. Errors thrown or rejected by the addon are plain
 * `Error`s with a `code` ('bad_input' | 'cancelled' | 'internal') and, when known, the `file`.
 *
 * Activations are row-major `[n_tokens, width]` Float32Arrays (the same memory as ggml's
 * `ne = [width, n_tokens]`); width is n_embd except for `kqv_out` (n_head * head_dim).
 */

/** Where a tap reads, per layer (style.md section 10).
 * - `attn_out`: output of the attention output projection (o_proj) incl. LoRA and bias, before the residual add.
 * - `mlp_out`: output of the MLP down projection (ffn_down) incl. LoRA and bias, before the residual add.
 * - `resid`: the layer's output (`l_out-L`, TransformerLens resid_post).
 * - `kqv_out`: attention output before o_proj (heads concatenated); the x of attn_out = W_o x. */
export type NativeTapPoint = 'attn_out' | 'mlp_out' | 'resid' | 'kqv_out';

export interface NativeTapRequest {
  /** 0-based layer index, 0..nLayer-1. */
  layer: number;
  point: NativeTapPoint;
}

export interface NativeAdapter {
  /** A llama.cpp LoRA GGUF (general.type = adapter) for the model's architecture. */
  path: string;
  /** User scale; the effect is W x + scale * alpha / r * B(A x). Defaults to 1. */
  scale?: number;
}

export interface NativeTapsOptions {
  /** Token ids per prompt; each non-empty. Positions start at 0 in every prompt. */
  prompts: (Int32Array | number[])[];
  taps: NativeTapRequest[];
  /** CPU threads; pass the number of cores explicitly. */
  threads: number;
  adapters?: NativeAdapter[];
  /** Tokens per decode (graph). Defaults to 512. */
  ubatch?: number;
  /** KV cells shared by the prompts of one pack; defaults to max(ubatch, longest prompt) rounded up to 256. */
  contextSize?: number;
  /** Most prompts decoded together in one pack (1..256). Defaults to 64. */
  maxSequences?: number;
  /** KV cache type. 'f32' (default) gives exact activations; 'f16' is node-llama-cpp's default. */
  kvType?: 'f32' | 'f16';
  /** Flash attention. Defaults to false (exact activations). */
  flashAttention?: boolean;
  /** Stop each graph right after the highest tapped layer. Defaults to true. */
  stopEarly?: boolean;
}

export interface NativeTapsResult {
  /** [prompt][request]: Float32Array of nTokens[prompt] * widths[request] values, row-major. */
  activations: Float32Array[][];
  nTokens: number[];
  widths: number[];
  nEmbd: number;
  /** Wall time inside llama_decode, milliseconds. */
  decodeMs: number;
  /** Wall time of the whole call, milliseconds (context creation, copies). */
  totalMs: number;
  nDecodes: number;
  /** True when at least one graph stopped after the highest tapped layer. */
  stoppedEarly: boolean;
}

export interface NativeModelInfo {
  path: string;
  architecture: string;
  description: string;
  nLayer: number;
  nEmbd: number;
  nHead: number;
  nHeadKv: number;
  nVocab: number;
  nCtxTrain: number;
  nParams: number;
  /** Bytes of tensor data. */
  size: number;
}

export interface NativeModel {
  info(): NativeModelInfo;
  /** llama.cpp's tokenizer. addSpecial (BOS etc.) and parseSpecial default to true. */
  tokenize(text: string, addSpecial?: boolean, parseSpecial?: boolean): Int32Array;
  /** One job at a time per model; onProgress(tokensDone, tokensTotal) after each decode. */
  taps(options: NativeTapsOptions, onProgress?: (tokensDone: number, tokensTotal: number) => void): Promise<NativeTapsResult>;
  /** Asks the running job to stop; its promise rejects with code 'cancelled'. */
  cancel(): void;
  /** Frees the model; throws while a job runs. */
  dispose(): void;
}

export interface GgufSummary {
  path: string;
  version: number;
  architecture: string;
  /** general.type; 'model' when absent. */
  type: string;
  nTensors: number;
  nKv: number;
  fileSize: number;
}

export interface NativeLoadOptions {
  /** Layers offloaded to a GPU build's backend. Defaults to 0. */
  gpuLayers?: number;
  /** Memory-map the file. Defaults to true. */
  useMmap?: boolean;
}

/** Options of trainSoo (native/src/napi/train-worker.h); defaults are the trainer's (soo-trainer.h). */
export interface NativeTrainOptions {
  /** Base model GGUF (llama or qwen2 architecture; F32/F16/Q8_0/Q4_K...). */
  modelPath: string;
  /** The SOO layer L (0-based): the loss is on attn_out-L; LoRA goes on layers 0..L. */
  layer: number;
  /** Token ids per pair (BOS included as the tokenizer gives it). Under 'full' self/other lengths must match. */
  pairs: { self: Int32Array | number[]; other: Int32Array | number[] }[];
  /** Where the adapter GGUF is written (atomically). */
  outPath: string;
  threads: number;
  /** Subset of attn_q, attn_k, attn_v, attn_output, ffn_gate, ffn_up, ffn_down. */
  targets?: string[];
  rank?: number;
  alpha?: number;
  /** LoRA input dropout probability in [0, 1). */
  dropout?: number;
  positions?: 'full' | 'last' | 'mean';
  /** The node of layer L the loss compares: attn_out-L (default, published), ffn_out-L or l_out-L (native/src/train/soo-loss.h). */
  point?: 'attn_out' | 'mlp_out' | 'resid';
  /**
   * Weight lambda of the self anchor (native/src/train/self-anchor.h): the objective becomes SOO + lambda *
   * MSE(self prompt's l_out-L, with vs without the adapter). 0 (default) = off.
   */
  selfAnchor?: number;
  lr?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  epochs?: number;
  /** Pairs per optimizer step (gradients accumulated over the batch). */
  batch?: number;
  seed?: number;
  /** Checkpoint file (adapter + AdamW state); written every checkpointEvery steps and on cancel. */
  checkpointPath?: string;
  checkpointEvery?: number;
  /** A checkpoint to continue from (same layer/targets/rank/positions/seed/batch/pairs). */
  resumeFrom?: string;
  /** dL/dx read from the frozen weights once per step (input-grad-op) instead of ggml's per-token OUT_PROD. Defaults to true. */
  fastBackward?: boolean;
}

/** One optimizer step. */
export interface NativeTrainProgress {
  /** 1-based step; nSteps = epochs * ceil(pairs / batch). */
  step: number;
  nSteps: number;
  epoch: number;
  /** Mean SOO loss over the step's batch (before the update). */
  loss: number;
  /** Mean self anchor over the step's batch (before lambda, before the update); 0 when selfAnchor is off. */
  anchor: number;
  stepMs: number;
  tokensPerS: number;
}

export interface NativeTrainResult {
  steps: number;
  /** Loss of every step of THIS call (after a resume: the steps after the checkpoint). */
  losses: Float32Array;
  adapterPath: string;
}

export interface SooNativeAddon {
  /** Validates the file (magic, version, metadata, tensor ranges, architecture) then loads it, no warm-up. */
  loadModel(path: string, options?: NativeLoadOptions): Promise<NativeModel>;
  /** Validation only: throws a bad_input error naming the file; 'adapter' also checks the base architecture. */
  inspectGguf(path: string, options?: { kind?: 'any' | 'model' | 'adapter'; baseArchitecture?: string }): GgufSummary;
  supportedArchitectures(): string[];
  /** llama.cpp's build features (AVX2, ...). */
  systemInfo(): string;
  /** SOO LoRA training as an async job on a pool thread; every step reaches onProgress. cancel() stops after
   * the current step (writing a checkpoint when checkpointPath is set) and rejects with code 'cancelled'. */
  trainSoo(options: NativeTrainOptions, onProgress?: (p: NativeTrainProgress) => void): { promise: Promise<NativeTrainResult>; cancel(): void };
  /** Full-parameter next-token training of a small F32 llama (tied head) as an async job (native/src/lm).
   * Setting errors throw synchronously (bad_input naming the field); model-dependent ones reject. cancel()
   * stops after the current step and rejects with code 'cancelled' (nothing is written). */
  trainLm(options: NativeLmTrainOptions, onProgress?: (p: NativeLmProgress) => void): { promise: Promise<NativeLmResult>; cancel(): void };
  /** TEST ONLY: prints the message and aborts the process (proves the engine process isolates aborts). */
  debugAbort(message?: string): never;
}

/** Error thrown or rejected by the addon. */
export interface NativeError extends Error {
  code: 'bad_input' | 'cancelled' | 'internal';
  file?: string;
}

/** trainLm options (native/src/napi/lm-worker.h). Defaults: frozen ['token_embd.weight'], lrMin 0, warmup 0,
 * weightDecay 0 (2-D tensors only), beta1 0.9, beta2 0.999, eps 1e-8, gradClip 0 (off), lengthBuckets 0 (off). */
export interface NativeLmTrainOptions {
  modelPath: string;            // F32 llama GGUF (tied head: no output.weight)
  outPath: string;              // trained GGUF, written atomically
  sequences: { tokens: Int32Array | number[]; weights: Float32Array | number[] }[]; // same length each pair; <= n_ctx
  frozen?: string[];            // tensor names; default ['token_embd.weight']
  steps: number; batch: number; lr: number;
  lrMin?: number; warmup?: number; weightDecay?: number; beta1?: number; beta2?: number; eps?: number;
  gradClip?: number;            // global L2 norm; 0/undefined = off
  lengthBuckets?: number;       // K > 0: batches of similar lengths, sorted within chunks of K*batch sequences; 0/undefined = off
  seed: number; threads: number;
  metadata?: Record<string, string>;
}
/** One step: loss = sum_i w_i CE_i / sum_i w_i over the step's batch, before the update; lr of the update. */
export interface NativeLmProgress { step: number; nSteps: number; loss: number; lr: number; stepMs: number; tokensPerS: number }
export interface NativeLmResult { steps: number; losses: Float32Array; outPath: string }
