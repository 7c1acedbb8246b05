/**
 * Display pieces of token ids, for the axis of a per-token chart: the strings of the GGUF's
 * `tokenizer.ggml.tokens` list, with the tokenizers' space markers turned back into spaces
 * (SentencePiece "▁", GPT-2 byte-level BPE "Ġ" for a space and "Ċ" for a newline).
 *
 * For display only: a piece is not always valid text on its own (byte tokens show as <0x0A>, a
 * multi-byte character split over two BPE tokens shows its byte symbols). The vocabulary is read once
 * per file (path, size, mtime) and kept for the process; only the few most recent files are kept.
 */
import { stat } from 'node:fs/promises';
import { readGgufFileInfo } from 'node-llama-cpp';
import { badInput } from '../../contract/errors.ts';

const KEPT_VOCABS = 2;
const cache = new Map<string, { key: string; tokens: readonly string[] }>();

async function vocabulary(modelPath: string): Promise<readonly string[]> {
  const info = await stat(modelPath).catch(() => null);
  if (!info) throw badInput(`model file not found: ${modelPath}`, { file: modelPath });
  const key = `${info.size}|${info.mtimeMs}`;
  const hit = cache.get(modelPath);
  if (hit?.key === key) return hit.tokens;
  const gguf = await readGgufFileInfo(modelPath, { sourceType: 'filesystem', readTensorInfo: false, logWarnings: false });
  const tokens = (gguf.metadata as unknown as { tokenizer?: { ggml?: { tokens?: unknown } } }).tokenizer?.ggml?.tokens;
  if (!Array.isArray(tokens)) throw badInput(`${modelPath} has no tokenizer.ggml.tokens list`, { file: modelPath });
  cache.delete(modelPath);
  cache.set(modelPath, { key, tokens: tokens as string[] });
  while (cache.size > KEPT_VOCABS) cache.delete(cache.keys().next().value as string);
  return tokens as string[];
}

/** Turns one vocabulary entry into the text it stands for, as far as a single token can say. */
export function displayPiece(token: string): string {
  return token.replaceAll('▁', ' ').replaceAll('Ġ', ' ').replaceAll('Ċ', '\n');
}

/** The display piece of each id ("?<id>" for an id outside the vocabulary). */
export async function tokenPieces(modelPath: string, ids: ArrayLike<number>): Promise<string[]> {
  const tokens = await vocabulary(modelPath);
  return Array.from(ids, (id) => (id >= 0 && id < tokens.length ? displayPiece(tokens[id]!) : `?${id}`));
}
