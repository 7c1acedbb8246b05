/**
 * Our encoder for the demo vocab: llama.cpp's SentencePiece ("llama") tokenizer re-implemented,
 * so the corpus can be tokenized without loading a model and the ids equal what llama.cpp (and
 * node-llama-cpp, which calls it) produce for the same text. The tests compare the two on the whole
 * corpus and every test prompt.
 *
 * The algorithm (llama.cpp src/llama-vocab.cpp, llm_tokenizer_spm_session):
 *   1. with add_space_prefix, prepend " "; replace every " " by "▁";
 *   2. one symbol per character (UTF-8 character = one code point here);
 *   3. queue every adjacent pair whose concatenation is a vocab piece, by (score desc, left index asc);
 *      pop the best, skip it if either side changed since it was queued, merge, and queue the new
 *      pairs with its neighbours; repeat until the queue is empty;
 *   4. each final symbol is its piece's id, or (not a piece) one byte token per UTF-8 byte.
 * Special tokens are not parsed from the text (parse_special off), as the evaluator tokenizes.
 * `spacePrefix: false` gives node-llama-cpp's "trimLeadingSpace" tokenization (the evaluator's).
 */
import { BOS_ID, byteTokenText, EOS_ID, SPACE_MARK, type DemoVocab } from './vocabulary.ts';

interface Bigram {
  left: number;
  right: number;
  score: number;
  size: number;
}

/** Max-heap on (score, then smaller left index): llama.cpp's llm_bigram_spm comparator. */
class BigramQueue {
  private items: Bigram[] = [];
  get size(): number {
    return this.items.length;
  }
  private before(a: Bigram, b: Bigram): boolean {
    return a.score > b.score || (a.score === b.score && a.left < b.left);
  }
  push(b: Bigram): void {
    const h = this.items;
    h.push(b);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Bigram {
    const h = this.items;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.before(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.before(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}

export interface EncodeOptions {
  /** Put BOS first (what the evaluator and llama.cpp's add_special do). Defaults to false. */
  bos?: boolean;
  /** Put EOS last (training sequences end with it). Defaults to false. */
  eos?: boolean;
  /**
   * SentencePiece's space prefix before the first word (llama.cpp's add_space_prefix). Defaults to true
   * (llama_tokenize, LlamaModel.tokenize). FALSE is what the evaluator feeds: generate.ts tokenizes
   * raw prompts through LlamaText.tokenize, which node-llama-cpp runs with "trimLeadingSpace"
   * (tokenize "\n" + text, drop the "\n" tokens), so the first word has no "▁" and, not being a
   * vocab piece, is spelled out in single characters.
   */
  spacePrefix?: boolean;
}

export class DemoTokenizer {
  private readonly byteIds: number[];
  constructor(readonly vocab: DemoVocab) {
    this.byteIds = Array.from({ length: 256 }, (_, b) => {
      const id = vocab.ids.get(byteTokenText(b));
      if (id === undefined) throw new Error(`the vocab has no byte token ${byteTokenText(b)}`);
      return id;
    });
  }

  get size(): number {
    return this.vocab.pieces.length;
  }

  /** Token ids of `text`, as llama.cpp's tokenize(text, add_special = bos, parse_special = false). */
  encode(text: string, options: EncodeOptions = {}): number[] {
    const out: number[] = options.bos ? [BOS_ID] : [];
    if (text.length > 0) this.encodeRaw((options.spacePrefix === false ? text : ' ' + text).replaceAll(' ', SPACE_MARK), out);
    if (options.eos) out.push(EOS_ID);
    return out;
  }

  private encodeRaw(text: string, out: number[]): void {
    const { ids, scores } = this.vocab;
    const chars = [...text];
    const n = chars.length;
    const texts = chars.slice(); // symbol text (valid while the symbol is alive)
    const len = chars.map((c) => c.length); // UTF-16 length; 0 = merged away
    const prev = chars.map((_, i) => i - 1);
    const next = chars.map((_, i) => (i + 1 < n ? i + 1 : -1));
    const queue = new BigramQueue();
    const tryAdd = (left: number, right: number) => {
      if (left < 0 || right < 0) return;
      const joined = texts[left]! + texts[right]!;
      const id = ids.get(joined);
      if (id === undefined) return;
      queue.push({ left, right, score: scores[id]!, size: joined.length });
    };
    for (let i = 1; i < n; i++) tryAdd(i - 1, i);
    while (queue.size > 0) {
      const b = queue.pop();
      const l = b.left;
      const r = b.right;
      if (len[l] === 0 || len[r] === 0 || len[l]! + len[r]! !== b.size) continue;
      texts[l] = texts[l]! + texts[r]!;
      len[l] = len[l]! + len[r]!;
      len[r] = 0;
      next[l] = next[r]!;
      if (next[r]! >= 0) prev[next[r]!] = l;
      tryAdd(prev[l]!, l);
      tryAdd(l, next[l]!);
    }
    const encoder = new TextEncoder();
    for (let i = 0; i !== -1 && n > 0; i = next[i]!) {
      const id = ids.get(texts[i]!);
      if (id !== undefined) out.push(id);
      else for (const byte of encoder.encode(texts[i]!)) out.push(this.byteIds[byte]!);
    }
  }

  /** Text of token ids (BOS/EOS/UNK dropped, byte tokens decoded as UTF-8, ▁ as a space; no leading space). */
  decode(tokens: readonly number[]): string {
    const bytes: number[] = [];
    const encoder = new TextEncoder();
    for (const id of tokens) {
      const piece = this.vocab.pieces[id];
      if (piece === undefined) throw new Error(`token id ${id} is outside the vocab (${this.size} tokens)`);
      const type = this.vocab.types[id];
      if (type === 6) bytes.push(parseInt(piece.slice(3, 5), 16));
      else if (type === 1) bytes.push(...encoder.encode(piece.replaceAll(SPACE_MARK, ' ')));
    }
    const text = new TextDecoder().decode(Uint8Array.from(bytes));
    return text.startsWith(' ') ? text.slice(1) : text;
  }
}
