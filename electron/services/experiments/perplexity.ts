/**
 * Perplexity of a model (optionally with a LoRA adapter) on a text: exp of the mean negative natural-log
 * likelihood of each token given the ones before it, over the first `maxTokens` tokens (BOS first,
 * not scored). One sequence, one pass, through node-llama-cpp's controlledEvaluate with the full
 * next-token distribution at every position (temperature 0 settings do not touch the probabilities).
 *
 * Cost: a vocabulary-sized Map per token, so keep maxTokens in the hundreds for large vocabularies.
 * The caller loads and owns the model.
 */
import type { LlamaModel, Token } from 'node-llama-cpp';
import { badInput } from '../../contract/errors.ts';

export interface PerplexityOptions {
  text: string;
  /** Tokens scored at most (text is cut); defaults to 512, and at most the model's training context - 1. */
  maxTokens?: number;
  lora?: { path: string; scale?: number };
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: { done: number; total: number; unit: 'tokens' }) => void;
}

/** Probability floor for a token missing from the distribution (never 0: log stays finite). */
const MIN_PROBABILITY = 1e-12;

export async function perplexity(model: LlamaModel, options: PerplexityOptions): Promise<{ perplexity: number; tokens: number; meanNll: number }> {
  const all = model.tokenize(options.text);
  const bos = model.tokens.bos;
  // one window: BOS + at most maxTokens tokens, and never more than the model's training context (a
  // small model scores fewer tokens; the count is returned and recorded with the metric)
  const window = Math.min((options.maxTokens ?? 512) + 1, model.trainContextSize);
  const tokens: Token[] = [...(bos !== null && all[0] !== bos ? [bos] : []), ...all].slice(0, window);
  if (tokens.length < 2) throw badInput('perplexity: the text has fewer than 2 tokens');
  const context = await model.createContext({
    contextSize: tokens.length + 1,
    batchSize: Math.min(512, tokens.length),
    ...(options.threads ? { threads: options.threads } : {}),
    ...(options.lora ? { lora: { adapters: [{ filePath: options.lora.path, scale: options.lora.scale ?? 1 }] } } : {}),
    ...(options.signal ? { createSignal: options.signal } : {}),
  });
  try {
    const sequence = context.getSequence();
    // Ask for the distribution after every token but the last (nothing follows it).
    const input = tokens.map((t, i) => (i < tokens.length - 1 ? ([t, { generateNext: { probabilities: true } }] as const) : t));
    let done = 0;
    const out = await sequence.controlledEvaluate(input as Parameters<typeof sequence.controlledEvaluate>[0], {
      onTokenResult: () => options.onProgress?.({ done: ++done, total: tokens.length - 1, unit: 'tokens' }),
    });
    options.signal?.throwIfAborted();
    let nll = 0;
    for (let i = 0; i < tokens.length - 1; i++) {
      const probabilities = out[i]?.next?.probabilities;
      if (!probabilities) throw new Error(`perplexity: no distribution returned at position ${i}`);
      nll -= Math.log(Math.max(probabilities.get(tokens[i + 1]!) ?? 0, MIN_PROBABILITY));
    }
    const meanNll = nll / (tokens.length - 1);
    return { perplexity: Math.exp(meanNll), tokens: tokens.length - 1, meanNll };
  } finally {
    await context.dispose();
  }
}

/**
 * Perplexity over independent documents (one per line of a held-out file): each is scored as its own
 * sequence (BOS + document), and the negative log-likelihoods are pooled over every scored token.
 * `maxTokens` caps the scored tokens in total (the last document scored is cut to fit). This is how a
 * model trained on short single documents (the demo model) is scored fairly: one long window would
 * mostly measure document boundaries and positions it never saw.
 */
export async function perplexityOfDocuments(
  model: LlamaModel,
  options: Omit<PerplexityOptions, 'text' | 'onProgress'> & { documents: readonly string[]; onProgress?: PerplexityOptions['onProgress'] },
): Promise<{ perplexity: number; tokens: number; meanNll: number }> {
  const { documents, onProgress, maxTokens, ...common } = options;
  // tokens that will be scored: each document's own tokens (its BOS is context, not scored), capped
  const total = Math.min(maxTokens ?? 512, documents.reduce((n, d) => n + (d.trim() === '' ? 0 : model.tokenize(d).length), 0));
  let nll = 0;
  let tokens = 0;
  for (const document of documents) {
    if (tokens >= total) break;
    if (document.trim() === '') continue;
    common.signal?.throwIfAborted();
    const p = await perplexity(model, { ...common, text: document, maxTokens: total - tokens });
    nll += p.meanNll * p.tokens;
    tokens += p.tokens;
    onProgress?.({ done: tokens, total, unit: 'tokens' });
  }
  if (tokens === 0) throw badInput('perplexity: no document with at least 2 tokens');
  return { perplexity: Math.exp(nll / tokens), tokens, meanNll: nll / tokens };
}
