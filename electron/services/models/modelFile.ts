/**
 * Checks that a path is a readable GGUF file before anything heavy touches it, and loads a model
 * through the shared llama.cpp runtime. The checks are cheap (stat, 4 bytes, the header through
 * node-llama-cpp's `readGgufFileInfo`) and their errors name the file and what is wrong, so a
 * wrong `--model` is a bad-input error (CLI exit 2), never a crash inside llama.cpp.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { readGgufFileInfo, type GgufFileInfo, type LlamaModel } from 'node-llama-cpp';
import { badInput } from '../../contract/errors.ts';
import { defaultGpuLayers, sharedLlama } from './llamaRuntime.ts';

/** The 4 bytes every GGUF file starts with. */
export const GGUF_MAGIC = Buffer.from('GGUF', 'latin1');

/** Throws bad_input unless `file` exists, is a regular file and starts with the GGUF magic. */
export async function checkGgufMagic(file: string, what = 'model'): Promise<string> {
  const absolute = path.resolve(file);
  let handle;
  try {
    handle = await fs.open(absolute, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw badInput(`${what} ${absolute}: ${reason}`, { file: absolute });
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw badInput(`${what} ${absolute}: not a file`, { file: absolute });
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead < 4 || !head.equals(GGUF_MAGIC)) {
      const shown = head.subarray(0, bytesRead).toString('hex') || 'nothing (empty file)';
      throw badInput(`${what} ${absolute}: not a GGUF file (it starts with ${shown}, a GGUF file starts with "GGUF" = 47475546)`, {
        file: absolute,
        hint: 'models are GGUF files; convert other formats with llama.cpp (convert_hf_to_gguf.py)',
      });
    }
  } finally {
    await handle.close();
  }
  return absolute;
}

/** Magic check, then the header and metadata (no tensor data is read). */
export async function readGgufHeader(file: string, what = 'model'): Promise<{ path: string; info: GgufFileInfo }> {
  const absolute = await checkGgufMagic(file, what);
  try {
    return { path: absolute, info: await readGgufFileInfo(absolute, { readTensorInfo: true }) };
  } catch (error) {
    throw badInput(`${what} ${absolute}: the GGUF header cannot be read: ${(error as Error).message}`, { file: absolute });
  }
}

export interface LoadModelOptions {
  /** Layers to offload to the GPU; defaults to the runtime's setting (defaultGpuLayers(): 'auto' unless overridden). */
  gpuLayers?: number | 'auto';
  signal?: AbortSignal;
}

/** Checks the file, then loads it with the shared Llama. The caller disposes the model. */
export async function loadModel(file: string, options: LoadModelOptions = {}): Promise<LlamaModel> {
  const { path: modelPath, info } = await readGgufHeader(file);
  if ((info.metadata?.general as { type?: string } | undefined)?.type === 'adapter') {
    throw badInput(`model ${modelPath}: this GGUF is a LoRA adapter, not a model; pass it with --lora`, { file: modelPath });
  }
  const llama = await sharedLlama();
  try {
    return await llama.loadModel({ modelPath, gpuLayers: options.gpuLayers ?? defaultGpuLayers(), loadSignal: options.signal });
  } catch (error) {
    if (options.signal?.aborted) throw options.signal.reason;
    throw badInput(`model ${modelPath}: llama.cpp could not load it: ${(error as Error).message}`, { file: modelPath });
  }
}
