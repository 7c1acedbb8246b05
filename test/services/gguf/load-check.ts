/**
 * Shared body of the load-*.test.ts files (split so each file stays well under a minute and they run
 * in parallel; qwen2's 151936-token vocabulary makes each of its models slower to load).
 *
 * For each weight type: the random model loads in node-llama-cpp 3.21.1 on the CPU (2 threads),
 * tokenizes, evaluates, and its next-token probabilities at the last position match the TypeScript
 * oracle (test/oracle/reference-forward.ts) run on the same file. Once per architecture:
 * node-llama-cpp's tokenizer reproduces llama.cpp's own expected tokens for the vocab
 * (models/ggml-vocab-*.gguf.inp/.out, the files of llama.cpp's test-tokenizer-0), and the chat
 * template resolves and renders.
 */
import fs from 'node:fs';
import { getLlama, LlamaLogLevel, resolveChatWrapper, type Llama, type LlamaModel, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GgmlTypeName } from '../../../electron/services/gguf/ggml-types.ts';
import type { RandomModelArch } from '../../../electron/services/gguf/random-model.ts';
import { borrowVocab } from '../../../electron/services/gguf/vocab.ts';
import { referenceForward, softmax } from '../../oracle/reference-forward.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';

/**
 * Largest allowed |log p_llama.cpp - log p_oracle| over the whole vocabulary at the last position
 * (p renormalized: node-llama-cpp's probabilities sum to 1 +- 1e-5). That is the error of the logits
 * up to a constant, i.e. the relative error of each probability. Measured on these models (2 layers,
 * n_embd 64, 4 heads / 2 kv heads, n_ff 256, F32 KV cache, flash attention off):
 */
export const LOGPROB_TOLERANCE: Record<GgmlTypeName, { tolerance: number; why: string }> = {
  // measured 8.5e-7 (llama), 1.5e-6 (qwen2): float32 accumulation order only.
  f32: { tolerance: 1e-5, why: 'float32 rounding in ggml vs the float64 oracle' },
  // measured 1.1e-6 on an AVX-512 BF16 machine (ggml multiplied in float32 there), but 1.8e-3 (llama)
  // and 3.7e-3 (qwen2) on the CI machine, where ggml's F16 dot products round the ACTIVATIONS to f16
  // (vec_dot_type F16: a relative error of 2^-11 per element). Wrong weights give errors of order 1.
  f16: { tolerance: 2e-2, why: 'same weights on both sides; ggml may round activations to f16 in F16 dot products' },
  // measured 4.3e-2 (llama), 1.1e-1 (qwen2): ggml quantizes the ACTIVATIONS to q8_0 for q8_0 dot
  // products; the oracle does not.
  q8_0: { tolerance: 0.25, why: 'ggml rounds activations to 8 bits (q8_0) inside the dot products' },
  // measured 4.0e-2 (llama), 4.1e-2 (qwen2): activations become q8_K for q4_K dot products, and
  // the other matrices of these models stay f16 (rows of 64 are not whole q4_K blocks).
  q4_k: { tolerance: 0.25, why: 'ggml rounds activations to 8 bits (q8_K / q8_0) inside the dot products' },
};

const PROMPT = 'The quick brown fox jumps over the lazy dog. 12 apples, élan!';
const THREADS = 2;

/** Parses llama.cpp's test-tokenizer-0 files: inputs split by a separator line, outputs one line each. */
function readTokenizerCases(vocabPath: string): Array<{ text: string; tokens: number[] }> {
  const sep = '\n__ggml_vocab_test__\n';
  const inputs = fs.readFileSync(`${vocabPath}.inp`, 'utf8').split(sep);
  if (inputs.at(-1) === '') inputs.pop();
  const outputs = fs.readFileSync(`${vocabPath}.out`, 'utf8').split('\n');
  if (outputs.at(-1) === '') outputs.pop();
  if (inputs.length !== outputs.length) throw new Error(`${vocabPath}: ${inputs.length} inputs but ${outputs.length} outputs`);
  return inputs.map((text, i) => ({ text, tokens: outputs[i]!.trim() === '' ? [] : outputs[i]!.trim().split(/\s+/).map(Number) }));
}

export interface LoadCheckOptions {
  /** Weight types to load and compare. Defaults to all four. */
  types?: GgmlTypeName[];
  /** Also run the tokenizer and chat-template checks. Defaults to true. */
  vocabChecks?: boolean;
}

export function describeLoadChecks(arch: RandomModelArch, { types = ['f32', 'f16', 'q8_0', 'q4_k'], vocabChecks = true }: LoadCheckOptions = {}): void {
  describe(`${arch} (${types.join(', ')}): random models load in node-llama-cpp and match the oracle`, () => {
    let llama: Llama;
    const models: LlamaModel[] = [];
    beforeAll(async () => {
      llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: 'never' });
    });
    /** The f32 model, loaded once for the tokenizer and template checks. */
    let f32Model: Promise<LlamaModel> | undefined;
    const loadF32 = () =>
      (f32Model ??= tinyModel({ arch, type: 'f32', kvHeads: 2 }).then(async (modelPath) => {
        const model = await llama.loadModel({ modelPath });
        models.push(model);
        return model;
      }));
    afterAll(async () => {
      for (const m of models) await m.dispose();
      await llama?.dispose();
    });

    it.each(types)('%s: loads, evaluates, next-token probabilities match the oracle', async (type) => {
      const modelPath = await tinyModel({ arch, type, kvHeads: 2 });
      const model = await llama.loadModel({ modelPath });
      models.push(model);
      const context = await model.createContext({
        contextSize: 128,
        threads: THREADS,
        flashAttention: false, // the oracle computes plain softmax attention
        experimentalKvCacheKeyType: 'F32', // default F16 KV would add ~1e-3
        experimentalKvCacheValueType: 'F32',
      });
      try {
        const tokens = model.tokenize(PROMPT);
        expect(tokens.length).toBeGreaterThan(8);
        const sequence = context.getSequence();
        const results = await sequence.controlledEvaluate([
          ...tokens.slice(0, -1),
          [tokens.at(-1)!, { generateNext: { probabilities: true } }],
        ]);
        const probabilities = results.at(-1)?.next.probabilities;
        expect(probabilities?.size).toBe((await borrowVocab(arch)).nVocab);
        let sum = 0;
        for (const p of probabilities!.values()) sum += p;
        expect(Math.abs(sum - 1)).toBeLessThan(1e-3);

        const reference = await referenceForward(modelPath, tokens);
        const nVocab = reference.nVocab;
        const expected = softmax(reference.logits, (tokens.length - 1) * nVocab, nVocab);
        let maxLogDiff = 0;
        let worst = -1;
        for (let id = 0; id < nVocab; id++) {
          const diff = Math.abs(Math.log(probabilities!.get(id as Token)! / sum) - Math.log(expected[id]!));
          if (diff > maxLogDiff) [maxLogDiff, worst] = [diff, id];
        }
        const { tolerance, why } = LOGPROB_TOLERANCE[type];
        expect(maxLogDiff, `max |dlog p| ${maxLogDiff.toExponential(2)} at token ${worst} (${why})`).toBeLessThanOrEqual(tolerance);
        // and the test can fail: the oracle's probabilities are not flat
        const top = expected.reduce((a, b) => Math.max(a, b), 0);
        expect(top).toBeGreaterThan(2 / nVocab);
      } finally {
        await context.dispose();
      }
    });

    if (vocabChecks) it('tokenizes exactly as llama.cpp expects for this vocab (test-tokenizer-0 cases)', async () => {
      const model = await loadF32();
      const cases = readTokenizerCases((await borrowVocab(arch)).vocabPath);
      expect(cases.length).toBeGreaterThan(20);
      const mismatches = cases
        .map((c) => ({ ...c, got: model.tokenize(c.text, false) }))
        .filter((c) => JSON.stringify(c.got) !== JSON.stringify(c.tokens))
        .map((c) => `${JSON.stringify(c.text)}: expected ${c.tokens.join(' ')}, got ${c.got.join(' ')}`);
      expect(mismatches).toEqual([]);
    });

    if (vocabChecks) it('carries a chat template that node-llama-cpp resolves and renders', async () => {
      const model = await loadF32();
      const wrapper = resolveChatWrapper(model);
      const { contextText } = wrapper.generateContextState({
        chatHistory: [{ type: 'system', text: 'Be brief.' }, { type: 'user', text: 'Hi there' }, { type: 'model', response: [] }],
      });
      const text = contextText.toString();
      if (arch === 'llama') {
        expect(wrapper.wrapperName).toBe('Mistral');
        expect(text).toContain('[INST]Be brief.\n\nHi there[/INST]');
      } else {
        expect(wrapper.wrapperName).toBe('ChatML');
        expect(text).toContain('<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n');
        // <|im_start|> is one special token, as in the real Qwen2 vocab
        expect(contextText.tokenize(model.tokenizer)).toContain(model.tokenize('<|im_start|>', true)[0]);
        expect(model.tokens.shouldPrependBosToken).toBe(false); // add_bos_token = false, as in released Qwen2 GGUFs
      }
      if (arch === 'llama') expect(model.tokens.shouldPrependBosToken).toBe(true);
    });
  });
}
