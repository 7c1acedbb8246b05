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
import type { GgufSummary, NativeModelInfo, NativeTapsOptions, NativeTapsResult } from '../../../native/index.d.ts';

export type { GgufSummary, NativeModelInfo, NativeTapsResult };

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

/** Progress of a long call; `done`/`total` in the call's unit (tokens for taps.run). */
export interface EngineProgress {
  done: number;
  total: number;
  unit: 'tokens';
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
