/**
 * Borrows a real tokenizer for random-weight models: the `tokenizer.*` keys of a vocab-only GGUF from
 * the llama.cpp tree node-llama-cpp bundles (read at run time, never committed), with their exact
 * GGUF types, plus a real chat template from the tree's models/templates/.
 *
 *   llama: models/ggml-vocab-llama-spm.gguf (Llama-2 / Mistral-7B SentencePiece, 32000 tokens) and the
 *          Mistral-Nemo-Instruct-2407 template ([INST] ... [/INST]); the vocab file has no template.
 *   qwen2: models/ggml-vocab-qwen2.gguf (BPE, 151936 tokens) with the template the vocab file carries,
 *          plus tokenizer.ggml.add_bos_token = false, which the vocab file lacks and the released
 *          Qwen2/Qwen2.5 GGUFs carry (without it llama.cpp puts <|endoftext|> before every prompt).
 * Not here: tokenizing (llama.cpp does that when the model loads).
 */
import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../../contract/errors.ts';
import { kv, type GgufMetadata } from './gguf-value.ts';
import { ensureLlamaSource } from './llama-source.ts';
import { readGgufHeader } from './reader.ts';

export type VocabArch = 'llama' | 'qwen2';

interface VocabSource {
  /** File under <llama.cpp>/models. */
  vocabFile: string;
  /** File under <llama.cpp>/models/templates used when the vocab file has no tokenizer.chat_template. */
  templateFile?: string;
  /** Keys set when the vocab file does not have them. */
  defaults?: GgufMetadata;
}

export const VOCAB_SOURCES: Record<VocabArch, VocabSource> = {
  llama: { vocabFile: 'ggml-vocab-llama-spm.gguf', templateFile: 'mistralai-Mistral-Nemo-Instruct-2407.jinja' },
  qwen2: { vocabFile: 'ggml-vocab-qwen2.gguf', defaults: new Map([['tokenizer.ggml.add_bos_token', kv.bool(false)]]) },
};

export interface BorrowedVocab {
  /** tokenizer.* keys in the vocab file's order (tokenizer.chat_template last when added). */
  metadata: GgufMetadata;
  /** Number of tokens (length of tokenizer.ggml.tokens). */
  nVocab: number;
  /** Absolute path of the vocab GGUF it came from (its .inp/.out test files lie next to it). */
  vocabPath: string;
}

const cache = new Map<string, BorrowedVocab>();

/** The tokenizer metadata for `arch`, read once per process. */
export async function borrowVocab(arch: VocabArch, llamaSourceDir?: string): Promise<BorrowedVocab> {
  const source = VOCAB_SOURCES[arch];
  if (!source) throw badInput(`no vocab for architecture "${arch}" (expected one of ${Object.keys(VOCAB_SOURCES).join(', ')})`);
  const root = llamaSourceDir ?? (await ensureLlamaSource());
  const vocabPath = path.join(root, 'models', source.vocabFile);
  const cached = cache.get(vocabPath);
  if (cached) return cached;

  const header = readGgufHeader(vocabPath);
  const metadata: GgufMetadata = new Map();
  for (const [key, value] of header.metadata) {
    if (key.startsWith('tokenizer.')) metadata.set(key, value);
  }
  const tokens = metadata.get('tokenizer.ggml.tokens');
  if (!tokens || tokens.type !== 'array') throw badInput(`vocab file has no tokenizer.ggml.tokens array`, { file: vocabPath });
  if (!metadata.has('tokenizer.chat_template') && source.templateFile) {
    const templatePath = path.join(root, 'models', 'templates', source.templateFile);
    metadata.set('tokenizer.chat_template', kv.str(fs.readFileSync(templatePath, 'utf8')));
  }
  for (const [key, value] of source.defaults ?? []) if (!metadata.has(key)) metadata.set(key, value);
  const result = { metadata, nVocab: tokens.value.length, vocabPath };
  cache.set(vocabPath, result);
  return result;
}
