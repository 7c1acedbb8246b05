/**
 * The messages between the engine client (this app) and the isolated engine process
 * (electron/engine-host/main.ts). Plain data only: the channel uses structured clone
 * (`serialization: 'advanced'` with child_process.fork, or Electron's utilityProcess), so
 * Float32Array/Int32Array pass as they are.
 *
 * Every call carries a job id; the host answers with zero or more `progress` messages and exactly one
 * `result` or `error`. Calls run one at a time in the host, in order. The engine is stateless from the
 * caller's side: calls name the model by path and the host loads and caches it, so a restarted engine
 * (after a crash) serves the next call without any replay.
 */
import type { ErrorData } from '../../contract/errors.ts';
import type { GgufSummary, NativeModelInfo, NativeTapsOptions, NativeTapsResult, NativeTrainOptions } from '../../../native/index.d.ts';

export type { GgufSummary, NativeModelInfo, NativeTapsResult, NativeTrainOptions };

/** What the engine process can do: method name -> input and output. */
export interface EngineMethods {
  /** The engine's process id, llama.cpp build features and the architectures it taps. */
  'engine.hello': { input: Record<string, never>; output: EngineHello };
  /** Validation only (magic, version, metadata, tensor ranges, architecture). */
  'gguf.inspect': {
    input: { path: string; kind?: 'any' | 'model' | 'adapter'; baseArchitecture?: string };
    output: GgufSummary;
  };
  /** Loads (or reuses) the model and describes it. */
  'model.info': { input: { modelPath: string }; output: NativeModelInfo };
  /** Token ids of each text with llama.cpp's tokenizer. addSpecial (BOS) and parseSpecial default to true. */
  'model.tokenize': {
    input: { modelPath: string; texts: string[]; addSpecial?: boolean; parseSpecial?: boolean };
    output: Int32Array[];
  };
  /** Frees a cached model (all models when modelPath is absent). */
  'model.unload': { input: { modelPath?: string }; output: { unloaded: number } };
  /** Activation taps: see native/index.d.ts NativeTapsOptions. */
  'taps.run': { input: { modelPath: string } & NativeTapsOptions; output: NativeTapsResult };
  /**
   * SOO LoRA training (native/index.d.ts NativeTrainOptions) on the CPU: one progress message per optimizer
   * step (unit 'steps', `train` filled in). Cancel stops after the current step; with checkpointPath set a
   * checkpoint is written first, so the run can resume from it. Losses are this call's steps only.
   */
  'train.run': { input: NativeTrainOptions; output: EngineTrainResult };
  /**
   * Out of band (answered at once, not queued): asks the running train.run to stop after its current step
   * and marks queued train.run calls cancelled. Unlike aborting the train.run call's signal (which rejects
   * that call at once and drops its later progress), the train.run call keeps reporting the step in flight
   * and then rejects with 'cancelled' once the checkpoint is written.
   */
  'train.cancel': { input: Record<string, never>; output: { cancelled: boolean } };
  /**
   * Full-parameter next-token training of a small llama model (the demo model; native trainLm): one
   * progress message per optimizer step (unit 'steps', `lm` filled in). Cancel (lm.cancel, or aborting
   * the call) stops after the current step; nothing is written then (the output is atomic).
   */
  'lm.train': { input: EngineLmTrainInput; output: EngineLmTrainResult };
  /** Out of band like train.cancel: stops the running lm.train after its step, cancels queued ones. */
  'lm.cancel': { input: Record<string, never>; output: { cancelled: boolean } };
  /**
   * TEST ONLY, refused unless the engine was started with debug enabled: ends the process the way a
   * native failure would ('abort': std::abort inside the addon; 'exit': process.exit(3)).
   */
  'debug.crash': { input: { mode?: 'abort' | 'exit' }; output: never };
}

export type EngineMethod = keyof EngineMethods;
export type EngineInput<M extends EngineMethod> = EngineMethods[M]['input'];
export type EngineOutput<M extends EngineMethod> = EngineMethods[M]['output'];

export interface EngineHello {
  pid: number;
  addonPath: string;
  systemInfo: string;
  supportedArchitectures: string[];
}

/** Progress of a long call; `done`/`total` in the call's unit (tokens for taps.run, steps for train.run). */
export interface EngineProgress {
  done: number;
  total: number;
  unit: 'tokens' | 'steps';
  /** train.run only: the step just done. */
  train?: EngineTrainStep;
  /** lm.train only: the step just done. */
  lm?: EngineLmStep;
}

/**
 * lm.train's input: native/index.d.ts NativeLmTrainOptions (kept structurally here so the protocol
 * does not depend on when the addon's declaration lands).
 */
export interface EngineLmTrainInput {
  /** F32 llama GGUF with a tied head (no output.weight). */
  modelPath: string;
  /** The trained GGUF (written atomically). */
  outPath: string;
  /** weights[i] weights the loss of predicting tokens[i]; weights[0] unused. */
  sequences: { tokens: Int32Array | number[]; weights: Float32Array | number[] }[];
  /** Tensors kept fixed; the addon's default is ['token_embd.weight']. */
  frozen?: string[];
  steps: number;
  batch: number;
  lr: number;
  lrMin?: number;
  warmup?: number;
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  gradClip?: number;
  /** K > 0: batches of similar lengths (sorted within chunks of K*batch sequences); 0/undefined = off. */
  lengthBuckets?: number;
  seed: number;
  threads: number;
  metadata?: Record<string, string>;
}

/** One optimizer step of lm.train. */
export interface EngineLmStep {
  step: number;
  nSteps: number;
  /** Weighted mean cross-entropy of the step's batch (nats per weighted token). */
  loss: number;
  lr: number;
  stepMs: number;
  tokensPerS: number;
}

export interface EngineLmTrainResult {
  steps: number;
  /** Loss per step, as plain numbers. */
  losses: number[];
  outPath: string;
}

/** One optimizer step of train.run. */
export interface EngineTrainStep {
  /** 1-based step over the whole run (a resumed run continues the count). */
  step: number;
  nSteps: number;
  epoch: number;
  /** Mean SOO loss of the step's batch (MSE of attn_out-L, before the update). */
  loss: number;
  /** Mean self anchor of the step's batch (before its weight, before the update); 0 when selfAnchor is off. */
  anchor: number;
  /** Wall time of the step, milliseconds. */
  stepMs: number;
  /** Self + other tokens processed per second in the step. */
  tokensPerS: number;
}

export interface EngineTrainResult {
  /** Steps done in total (including those before a resume). */
  steps: number;
  /** Loss per step of this call, as plain numbers. */
  losses: number[];
  adapterPath: string;
}

/** Client -> engine. */
export type ToEngine =
  | { type: 'call'; id: number; method: EngineMethod; input: unknown }
  | { type: 'cancel'; id: number }
  | { type: 'shutdown' };

/** Engine -> client. */
export type FromEngine =
  | { type: 'ready'; pid: number }
  | { type: 'progress'; id: number; progress: EngineProgress }
  | { type: 'result'; id: number; output: unknown }
  | { type: 'error'; id: number; error: ErrorData };

export function isFromEngine(value: unknown): value is FromEngine {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'ready' || type === 'progress' || type === 'result' || type === 'error';
}
