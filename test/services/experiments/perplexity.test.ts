/**
 * experiments/perplexity.ts against the float64 oracle (test/oracle/reference-forward.ts) on a tiny
 * random llama: exp(mean NLL of each token given the ones before it, BOS first, not scored), computed
 * here from the oracle's logits. The model's F16 KV cache (perplexity.ts keeps node-llama-cpp's
 * default) and float32 arithmetic stay well inside 1e-3 relative on these sizes; a wrong offset
 * (scoring token i from the distribution at i) would be off by far more on random weights.
 * Also: the window never exceeds the model's training context (BOS + ctx - 1 tokens); documents
 * (perplexityOfDocuments, perplexityUnit 'line') are scored each from its own BOS and pooled by token.
 */
import { getLlama, LlamaLogLevel, type Llama, type LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { perplexity, perplexityOfDocuments } from '../../../electron/services/experiments/perplexity.ts';
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

  it('documents: each scored from its own BOS, NLL pooled over tokens, the total capped at maxTokens', async () => {
    const modelPath = await tinyModel({ arch: 'llama', type: 'f32' });
    const model = await llama.loadModel({ modelPath });
    models.push(model);
    const bos = model.tokens.bos!;
    const documents = ['The cheap kettle is in the pantry.', '', 'The expensive painting hangs in the study above the stairs.', 'Nobody uses the attic.'];
    const ids = documents.filter((d) => d !== '').map((d) => model.tokenize(d));
    // pooled oracle NLL over the first `cap` scored tokens, document by document
    const oracleNll = async (cap: number) => {
      let nll = 0;
      let left = cap;
      for (const t of ids) {
        if (left === 0) break;
        const take = Math.min(left, t.length);
        nll += take * Math.log(await oraclePerplexity(modelPath, [bos, ...t].slice(0, take + 1)));
        left -= take;
      }
      return nll / (cap - left);
    };
    const total = ids.reduce((n, t) => n + t.length, 0);
    const progress: number[] = [];
    const all = await perplexityOfDocuments(model, { documents, maxTokens: 10_000, threads: 1, onProgress: (p) => progress.push(p.done / p.total) });
    expect(all.tokens).toBe(total);
    expect(Math.abs(all.meanNll - (await oracleNll(total)))).toBeLessThan(1e-3);
    expect(progress.at(-1)).toBe(1);
    // cut inside the second document
    const cap = ids[0]!.length + 3;
    const cut = await perplexityOfDocuments(model, { documents, maxTokens: cap, threads: 1 });
    expect(cut.tokens).toBe(cap);
    expect(Math.abs(cut.meanNll - (await oracleNll(cap)))).toBeLessThan(1e-3);
    // not the same as one window over the joined text (boundaries and positions differ)
    const joined = await perplexity(model, { text: documents.filter((d) => d !== '').join(' '), maxTokens: 10_000, threads: 1 });
    expect(Math.abs(joined.meanNll - all.meanNll)).toBeGreaterThan(1e-3);
  });
});
