/**
 * Corpus items -> the token sequences and per-token loss weights the native trainer takes
 * (NativeLmTrainOptions.sequences: weights[i] weights the loss of predicting token i from tokens
 * < i; weights[0], the BOS, is never predicted).
 *
 * Scenario items: BOS + prompt + answer + EOS, weight `promptWeight` (~0.1) on prompt tokens and 1 on
 * the answer tokens and the EOS, so the model learns mostly the answer but still reads prompts as
 * text. Plain items: BOS + text + EOS, weight `plainWeight` everywhere.
 * Scenario texts are tokenized as the evaluator feeds prompts (no space prefix on the first word:
 * tokenizer.ts `spacePrefix`), plain texts as llama_tokenize and the perplexity measure do (with it).
 * The prompt's tokens are checked to be a prefix of the whole text's tokens: the model is trained on
 * exactly the tokens the evaluator feeds (BOS + prompt) before its answer.
 */
import { itemText, type CorpusItem } from './corpus.ts';
import type { DemoTokenizer } from './tokenizer.ts';

export interface WeightedSequence {
  tokens: Int32Array;
  weights: Float32Array;
}

export interface SequenceWeights {
  promptWeight: number;
  plainWeight: number;
}

export function toSequence(item: CorpusItem, tokenizer: DemoTokenizer, w: SequenceWeights): WeightedSequence {
  const spacePrefix = item.kind === 'plain';
  const tokens = tokenizer.encode(itemText(item), { bos: true, eos: true, spacePrefix });
  const weights = new Float32Array(tokens.length);
  if (item.kind === 'plain') {
    weights.fill(w.plainWeight, 1);
  } else {
    const prompt = tokenizer.encode(item.prompt, { bos: true, spacePrefix });
    if (prompt.some((t, i) => tokens[i] !== t)) throw new Error(`the prompt's tokens are not a prefix of its training text: ${JSON.stringify(item.prompt)}`);
    weights.fill(w.promptWeight, 1, prompt.length);
    weights.fill(1, prompt.length);
  }
  return { tokens: Int32Array.from(tokens), weights };
}

export function toSequences(items: readonly CorpusItem[], tokenizer: DemoTokenizer, w: SequenceWeights): WeightedSequence[] {
  return items.map((item) => toSequence(item, tokenizer, w));
}
