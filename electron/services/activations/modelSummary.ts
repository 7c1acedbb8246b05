/**
 * `models.inspect`: what a GGUF header says about a model (architecture, layers, width, file type),
 * read with node-llama-cpp's `readGgufFileInfo` without loading weights or the vocabulary.
 *
 * Bad input is named by file: a missing path, a folder, a file that is not GGUF, a GGUF without the
 * architecture keys a model has (an adapter or a vocab-only file).
 * Does not: validate tensors (the engine does when it loads), hash the file.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { GgufFileType, readGgufFileInfo } from 'node-llama-cpp';
import type { ModelSummary } from '../../contract/api.ts';
import { badInput } from '../../contract/errors.ts';

/** Keys not needed for a summary; the token lists are the bulk of a header. */
const IGNORED_KEYS = ['tokenizer.ggml.tokens', 'tokenizer.ggml.scores', 'tokenizer.ggml.token_type', 'tokenizer.ggml.merges'];

export async function inspectModel(file: string): Promise<ModelSummary> {
  const absolute = path.resolve(file);
  const info = await stat(absolute).catch(() => null);
  if (!info) throw badInput(`model file not found: ${absolute}`, { file: absolute, hint: 'give the path of a .gguf model file' });
  if (!info.isFile()) throw badInput(`not a file: ${absolute}`, { file: absolute, hint: 'give the path of a .gguf model file' });

  let metadata: Record<string, unknown>;
  try {
    const gguf = await readGgufFileInfo(absolute, { sourceType: 'filesystem', readTensorInfo: false, ignoreKeys: IGNORED_KEYS, logWarnings: false });
    metadata = gguf.metadata as unknown as Record<string, unknown>;
  } catch (error) {
    throw badInput(`not a readable GGUF model: ${absolute}: ${(error as Error).message}`, { file: absolute });
  }

  const general = (metadata.general ?? {}) as Record<string, unknown>;
  const arch = typeof general.architecture === 'string' ? general.architecture : undefined;
  if (!arch) throw badInput(`${absolute} has no general.architecture: not a model GGUF`, { file: absolute });
  if (general.type === 'adapter') throw badInput(`${absolute} is a LoRA adapter, not a model`, { file: absolute, hint: 'choose it as the adapter instead' });
  const archKeys = (metadata[arch] ?? {}) as Record<string, unknown>;
  const layers = archKeys.block_count;
  const embd = archKeys.embedding_length;
  if (typeof layers !== 'number' || typeof embd !== 'number') {
    throw badInput(`${absolute} lacks ${arch}.block_count or ${arch}.embedding_length: not a model GGUF (a vocab-only file?)`, { file: absolute });
  }
  const heads = (archKeys.attention as Record<string, unknown> | undefined)?.head_count;
  const fileType = typeof general.file_type === 'number' ? (GgufFileType[general.file_type] ?? `type ${general.file_type}`) : null;
  return {
    path: absolute,
    name: typeof general.name === 'string' ? general.name : null,
    arch,
    layers,
    embd,
    heads: typeof heads === 'number' ? heads : null,
    sizeBytes: info.size,
    fileType,
  };
}
