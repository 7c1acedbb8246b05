/**
 * experiments/perplexity.ts against the float64 oracle (test/oracle/reference-forward.ts) on a tiny
 * random llama: exp(mean NLL of each token given the ones before it, BOS first, not scored), computed
 * here from the oracle's logits. The model's F16 KV cache (perplexity.ts keeps node-llama-cpp's
 * default) and float32 arithmetic stay well inside 1e-3 relative on these sizes; a wrong offset
 * (scoring token i from the distribution at i) would be off by far more on random weights.
 * Also: the window never exceeds the model's training context (BOS + ctx - 1 tokens).
 */
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perplexity } from '../../../electron/services/experiments/perplexity.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';
import { referenceForward, softmax } from '../../oracle/reference-forward.ts';

const TEXT = 'The cheap kettle is in the pantry, and the expensive painting hangs in the study above the stairs. '.repeat(4);

/** exp(mean -log p(token i | tokens before i)) for i = 1..n-1 from the oracle's logits. */
async function oraclePerplexity(modelPath: string, tokens: number[]): Promise<number> {
  const reference = await referenceForward(modelPath, tokens);
  const n = reference.nVocab;
  let nll = 0;
  for (let i = 1; i < tokens.length; i++) nll -= Math.log(softmax(reference.logits, (i - 1) * n, n)[tokens[i]!]!);
  return Math.exp(nll / (tokens.length - 1));
}

describe('perplexity (node-llama-cpp) vs the float64 oracle', () => {
  let llama: Llama;
  const models: LlamaModel[] = [];
  beforeAll(async () => {
    llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: 'never' });
  });
  afterAll(async () => {
    for (const m of models) await m.dispose();
  });

  it('equals exp(mean NLL) of the first maxTokens tokens after BOS', async () => {
    const modelPath = await tinyModel({ arch: 'llama', type: 'f32' });
    const model = await llama.loadModel({ modelPath });
    models.push(model);
    const all = model.tokenize(TEXT);
    const bos = model.tokens.bos!;
    expect(all.length).toBeGreaterThan(40);
    const r = await perplexity(model, { text: TEXT, maxTokens: 24, threads: 1 });
    expect(r.tokens).toBe(24);
    const expected = await oraclePerplexity(modelPath, [bos, ...all].slice(0, 25));
    expect(Math.abs(r.perplexity - expected) / expected).toBeLessThan(1e-3);
    expect(r.meanNll).toBeCloseTo(Math.log(r.perplexity), 12);
    // the number is not trivial: random weights are far from uniform over the vocabulary and from 1
    expect(r.perplexity).toBeGreaterThan(2);
  });

  it("scores at most the model's training context (BOS + ctx - 1 tokens)", async () => {
    const modelPath = await tinyModel({ arch: 'llama', type: 'f32', ctx: 32 });
    const model = await llama.loadModel({ modelPath });
    models.push(model);
    expect(model.tokenize(TEXT).length).toBeGreaterThan(32);
    const r = await perplexity(model, { text: TEXT, maxTokens: 512, threads: 1 });
    expect(r.tokens).toBe(31);
    const expected = await oraclePerplexity(modelPath, [model.tokens.bos!, ...model.tokenize(TEXT)].slice(0, 32));
    expect(Math.abs(r.perplexity - expected) / expected).toBeLessThan(1e-3);
  });
});
