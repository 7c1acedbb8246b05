/**
 * One node-llama-cpp `Llama` per process, shared by every service that loads a model (evaluation,
 * the model library's loads, benches). node-llama-cpp's default thread count picked 4 threads on a
 * 2-core machine and lost 3.4x (engine-notes.md), so the thread count is explicit everywhere:
 * `defaultThreads()` = the CPU cores this process may use, unless overridden.
 *
 * GPU: `'auto'` lets node-llama-cpp pick CUDA / Vulkan / Metal when a prebuilt binary works, else
 * the CPU; `false` forces the CPU. The choice comes from `configureLlamaRuntime({gpu})` (the app's
 * settings, the CLI's flag), else env `SOO_LAB_GPU` (`off`/`false`/`cpu` or `auto`), else `'auto'`.
 * It is fixed once the Llama exists: asking for another one afterwards is a conflict error (the
 * process would otherwise hold two copies of the backends). Never compiles llama.cpp (`build:
 * 'never'`): it uses node-llama-cpp's prebuilt binaries only.
 *
 * GPU offload: `gpuLayers` (default `'auto'`: node-llama-cpp fits what the VRAM allows) is what
 * `loadModel` (modelFile.ts) uses when its caller names none; the Models page's override sets it
 * (gpuOffload.ts) and, unlike the backend, it may change while the Llama exists.
 */
import os from 'node:os';
import { getLlama, LlamaLogLevel, type Llama } from 'node-llama-cpp';
import { SooError } from '../../contract/errors.ts';

export type GpuChoice = 'auto' | false;

export interface LlamaRuntimeOptions {
  /** GPU backend choice, see the header. Defaults to env SOO_LAB_GPU, else 'auto'. */
  gpu?: GpuChoice;
  /** Default CPU threads for contexts. Defaults to `os.availableParallelism()`. */
  threads?: number;
  /** Layers to offload when a load names none: 'auto' or a count (0 = CPU only). Defaults to 'auto'. */
  gpuLayers?: number | 'auto';
}

let configured: Required<LlamaRuntimeOptions> | undefined;
let shared: Promise<Llama> | undefined;

/** The GPU layers a model load uses when it names none. */
export function defaultGpuLayers(): number | 'auto' {
  return configured?.gpuLayers ?? 'auto';
}

/** The number of CPU threads to use by default: the cores this process may run on. */
export function defaultThreads(): number {
  return configured?.threads ?? os.availableParallelism();
}

function gpuFromEnv(env: NodeJS.ProcessEnv = process.env): GpuChoice {
  const value = env.SOO_LAB_GPU?.trim().toLowerCase();
  return value === 'off' || value === 'false' || value === 'cpu' || value === '0' ? false : 'auto';
}

/** Sets the GPU choice and default threads before the first `sharedLlama()`; later, only the same GPU choice is accepted. */
export function configureLlamaRuntime(options: LlamaRuntimeOptions): void {
  const next = {
    gpu: options.gpu ?? configured?.gpu ?? gpuFromEnv(),
    threads: options.threads ?? configured?.threads ?? os.availableParallelism(),
    gpuLayers: options.gpuLayers ?? configured?.gpuLayers ?? 'auto',
  };
  if (shared && configured && next.gpu !== configured.gpu) {
    throw new SooError({
      code: 'conflict',
      message: `the llama.cpp runtime is already running with gpu=${String(configured.gpu)}; gpu=${String(next.gpu)} takes effect after a restart`,
    });
  }
  configured = next;
}

/** The process's Llama, created on first use. */
export function sharedLlama(): Promise<Llama> {
  if (!configured) configureLlamaRuntime({});
  const gpu = configured!.gpu;
  shared ??= getLlama({ gpu, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: configured!.threads }).catch((error: unknown) => {
    shared = undefined;
    throw new SooError({ code: 'internal', message: `could not start llama.cpp (gpu=${String(gpu)}): ${(error as Error).message}`, hint: 'set SOO_LAB_GPU=off to use the CPU only' });
  });
  return shared;
}

/** Disposes the shared Llama (process exit, tests); the next `sharedLlama()` creates a new one. */
export async function disposeSharedLlama(): Promise<void> {
  const current = shared;
  shared = undefined;
  if (current) await (await current).dispose();
}
