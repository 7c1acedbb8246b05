/**
 * The demo model's word-level vocabulary, in the layout llama.cpp loads as a SentencePiece ("llama")
 * vocab, and its GGUF `tokenizer.*` metadata.
 *
 * Layout (token ids in this order):
 *   0 <unk>, 1 <s> (BOS), 2 </s> (EOS)                          types UNKNOWN / CONTROL / CONTROL
 *   3..258 the byte tokens <0x00>..<0xFF> (byte fallback)       type BYTE
 *   "▁" and every single character the texts use, plus printable ASCII    type NORMAL
 *   every "▁"-prefix of every word ("▁k", "▁ki", ..., "▁kitchen")         type NORMAL
 * A word is the leading run of letters, digits, apostrophes and hyphens of a space-separated chunk
 * (wordsOf below): "room." gives "room", "half-burnt" stays one word.
 *
 * Why every prefix: llama.cpp's SPM tokenizer starts from single characters and merges two adjacent
 * symbols only when their concatenation is a vocab piece (highest score first). With only single
 * characters and "▁"-prefixes in the vocab, the one possible merge at any point is "a ▁-prefix
 * grows by the next character of its word" (a merged symbol starts with ▁, so it can only be the
 * left half; a concatenation containing a second ▁, or a character outside the word characters, is
 * never a piece). A word therefore grows character by character into the longest piece it reaches,
 * which for a vocab word is the whole word: every vocab word is exactly ONE token, whatever the
 * scores. Scores still rise with length (as the task asks; harmless). The prefixes are trie nodes,
 * shared between words ("▁k" serves "kitchen" and "key").
 * Not here: encoding text (tokenizer.ts), choosing the texts (corpus.ts, packWords.ts).
 */
import { kv, type GgufMetadata } from '../gguf/gguf-value.ts';

/** SentencePiece's word-boundary mark: llama.cpp writes every space as this before tokenizing. */
export const SPACE_MARK = '\u2581';

/** llama.cpp's llama_token_type. */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

export const UNK_ID = 0;
export const BOS_ID = 1;
export const EOS_ID = 2;
export const FIRST_BYTE_ID = 3;

/** Letters, digits, apostrophe and hyphen make up words (the rest are single characters). */
const WORD_CHAR = /[\p{L}\p{N}'-]/u;

export interface DemoVocab {
  /** Piece text per token id. */
  pieces: string[];
  /** Score per token id (llama.cpp merges the highest-scoring pair first). */
  scores: Float32Array;
  /** llama.cpp token type per token id. */
  types: Int32Array;
  /** Piece text -> id. */
  ids: Map<string, number>;
  /** The words (without ▁), sorted; each is one token. */
  words: string[];
}

/** The words of a text: the leading run of word characters of each space-separated chunk. */
export function wordsOf(text: string): string[] {
  const out: string[] = [];
  for (const chunk of text.split(/\s+/)) {
    let word = '';
    for (const ch of chunk) {
      if (!WORD_CHAR.test(ch)) break;
      word += ch;
    }
    if (word) out.push(word);
  }
  return out;
}

/** The byte token text llama.cpp looks up for byte fallback ("<0x0A>": upper-case hex). */
export function byteTokenText(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/** Code-point order (not UTF-16 order), so the vocab does not depend on the JS engine's sort. */
function compareCodePoints(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

/**
 * Builds the vocabulary from every text that must tokenize word by word. Deterministic: sorted.
 * `multipleOf`: pads with UNUSED pieces "<pad_N>" up to a multiple (GEMM speed); no text can merge
 * into them (no piece starts with "<" other than the byte and control tokens).
 */
export function buildVocab(texts: Iterable<string>, options: { multipleOf?: number } = {}): DemoVocab {
  const words = new Set<string>();
  const chars = new Set<string>();
  for (let c = 0x21; c <= 0x7e; c++) chars.add(String.fromCharCode(c));
  for (const text of texts) {
    for (const ch of text) if (!/\s/u.test(ch)) chars.add(ch);
    for (const w of wordsOf(text)) words.add(w);
  }
  const prefixes = new Set<string>();
  for (const w of words) {
    const cps = [...w];
    for (let k = 1; k <= cps.length; k++) prefixes.add(SPACE_MARK + cps.slice(0, k).join(''));
  }
  const pieces: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TOKEN_TYPE.unknown, TOKEN_TYPE.control, TOKEN_TYPE.control];
  const scores: number[] = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    pieces.push(byteTokenText(b));
    types.push(TOKEN_TYPE.byte);
    scores.push(0);
  }
  const singles = [SPACE_MARK, ...[...chars].sort(compareCodePoints)];
  for (const ch of singles) {
    pieces.push(ch);
    types.push(TOKEN_TYPE.normal);
    scores.push(0);
  }
  const sorted = [...prefixes].sort((a, b) => [...a].length - [...b].length || compareCodePoints(a, b));
  for (const p of sorted) {
    if (singles.includes(p)) continue;
    pieces.push(p);
    types.push(TOKEN_TYPE.normal);
    scores.push([...p].length - 1); // rises with length; the single characters score 0
  }
  const multiple = options.multipleOf ?? 1;
  for (let n = 0; pieces.length % multiple !== 0; n++) {
    pieces.push(`<pad_${n}>`);
    types.push(TOKEN_TYPE.unused);
    scores.push(0);
  }
  const ids = new Map<string, number>();
  pieces.forEach((p, i) => {
    if (ids.has(p)) throw new Error(`duplicate vocab piece ${JSON.stringify(p)}`);
    ids.set(p, i);
  });
  return { pieces, scores: Float32Array.from(scores), types: Int32Array.from(types), ids, words: [...words].sort(compareCodePoints) };
}

/** The GGUF tokenizer keys for this vocab (SentencePiece layout, BOS added, no EOS, no chat template). */
export function vocabMetadata(vocab: DemoVocab): GgufMetadata {
  return new Map([
    ['tokenizer.ggml.model', kv.str('llama')],
    ['tokenizer.ggml.tokens', kv.arr('string', vocab.pieces)],
    ['tokenizer.ggml.scores', kv.arr('float32', vocab.scores)],
    ['tokenizer.ggml.token_type', kv.arr('int32', vocab.types)],
    ['tokenizer.ggml.bos_token_id', kv.u32(BOS_ID)],
    ['tokenizer.ggml.eos_token_id', kv.u32(EOS_ID)],
    ['tokenizer.ggml.unknown_token_id', kv.u32(UNK_ID)],
    ['tokenizer.ggml.add_bos_token', kv.bool(true)],
    ['tokenizer.ggml.add_eos_token', kv.bool(false)],
    ['tokenizer.ggml.add_space_prefix', kv.bool(true)],
  ]);
}
