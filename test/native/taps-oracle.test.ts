/**
 * Taps against independent references.
 *
 * 1. attn_out / mlp_out / resid of every layer equal the float64 TypeScript oracle
 *    (test/oracle/reference-forward.ts) on tiny F32 models: llama (NORM rope, GQA) and qwen2 (biases,
 *    NEOX rope, tied output; attn_out is not a named node there, so this checks the o_proj matching).
 * 2. resid of the last layer -> final RMSNorm -> output matrix -> softmax reproduces node-llama-cpp's
 *    next-token probabilities at every position for the same tokens.
 * 3. The same rows whatever the batching: several prompts packed in one batch vs one prompt per pack,
 *    ubatches smaller than a prompt, and stopping the graph after the last tapped layer or not.
 */
import { getLlama, LlamaLogLevel, type Llama, type Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeModel, SooNativeAddon } from '../../native/index.d.ts';
import { referenceForward, softmax } from '../oracle/reference-forward.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, loadTestAddon, maxRelDiff, metaNumber, report, tensorReader, THREADS } from './native-addon.ts';

/**
 * F32 weights, F32 KV cache, no flash attention: only float32 accumulation order separates ggml from
 * the float64 oracle (measured about 1e-6 relative); 1e-4 is the criterion of the issue.
 */
const ORACLE_TOLERANCE = 1e-4;
/** |log p_ours - log p_node-llama-cpp| over the vocabulary: both are the same float32 graph, up to
 * the order of the final matmul (ours: float64 in TS from the tapped float32 rows). */
const LOGPROB_TOLERANCE = 1e-4;
/** ggml rounds the ACTIVATIONS to 8 bits (q8_0/q8_K) inside quantized dot products; the oracle does not
 * (docs/engine-notes.md: about 3e-2 for Q8_0). */
const Q8_0_TOLERANCE = 0.1;
const PROMPT = 'The burglar asks which room holds the vase; you know it is in the study.';

describe.skipIf(!addonBuilt)('taps', () => {
  let addon: SooNativeAddon;
  const models: NativeModel[] = [];
  beforeAll(() => {
    addon = loadTestAddon();
  });
  afterAll(() => {
    for (const m of models) m.dispose();
  });
  const load = async (path: string) => {
    const m = await addon.loadModel(path);
    models.push(m);
    return m;
  };

  describe.each(['llama', 'qwen2'] as const)('%s F32: every tap point of every layer equals the oracle', (arch) => {
    it('attn_out, mlp_out and resid within 1e-4 of the float64 reference', async () => {
      const modelPath = await tinyModel({ arch, type: 'f32', layers: 3, kvHeads: 2 });
      const model = await load(modelPath);
      const tokens = Array.from(model.tokenize(PROMPT));
      const { nLayer } = model.info();
      expect(nLayer).toBe(3);
      const points = ['attn_out', 'mlp_out', 'resid'] as const;
      const taps = Array.from({ length: nLayer }, (_, layer) => points.map((point) => ({ layer, point }))).flat();
      const ours = await model.taps({ prompts: [tokens], taps, threads: THREADS });
      const ref = await referenceForward(modelPath, tokens);

      const lines: string[] = [];
      let worst = 0;
      taps.forEach((t, i) => {
        const expected = ref.layers[t.layer]![t.point === 'attn_out' ? 'attnOut' : t.point === 'mlp_out' ? 'mlpOut' : 'resid'];
        const got = ours.activations[0]![i]!;
        expect(got.length).toBe(tokens.length * ref.nEmbd);
        lines.push(report(`${t.point} L${t.layer}`, got, expected, ORACLE_TOLERANCE));
        worst = Math.max(worst, maxRelDiff(got, expected).rel);
      });
      console.info(`${arch} F32 taps vs oracle: worst max rel diff ${worst.toExponential(2)} over ${taps.length} taps`);
      expect(worst, lines.join('\n')).toBeLessThanOrEqual(ORACLE_TOLERANCE);
      // the taps are not trivially equal across layers (the comparison could fail)
      expect(maxRelDiff(ours.activations[0]![0]!, ours.activations[0]![3]!).rel).toBeGreaterThan(0.01);
    });
  });

  it('Q8_0 llama: taps follow the oracle within the activation-quantization error (AMX kernels where the CPU has them)', async () => {
    // Q8_0 weights run through ggml's quantized kernels (AMX tiles on CPUs that have them: this is the
    // test of native/patches/amx-tile-loadconfig.h, without which the process dies with SIGILL).
    const modelPath = await tinyModel({ arch: 'llama', type: 'q8_0', layers: 2 });
    const model = await load(modelPath);
    const tokens = Array.from(model.tokenize(PROMPT));
    const taps = [0, 1].map((layer) => ({ layer, point: 'attn_out' as const }));
    const ours = await model.taps({ prompts: [tokens], taps, threads: THREADS });
    const ref = await referenceForward(modelPath, tokens);
    const rels = taps.map((t, i) => maxRelDiff(ours.activations[0]![i]!, ref.layers[t.layer]!.attnOut).rel);
    console.info(`Q8_0 taps vs oracle: max rel diff ${rels.map((r) => r.toExponential(2)).join(', ')}`);
    for (const rel of rels) expect(rel).toBeLessThanOrEqual(Q8_0_TOLERANCE);
  });

  describe('last layer -> final norm -> output -> softmax', () => {
    let llama: Llama;
    beforeAll(async () => {
      llama = await getLlama({ gpu: false, logLevel: LlamaLogLevel.error, build: 'never' });
    });
    afterAll(async () => {
      await llama?.dispose();
    });

    it("reproduces node-llama-cpp's next-token probabilities at every position", async () => {
      const modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
      const model = await load(modelPath);
      const tokens = Array.from(model.tokenize(PROMPT));
      const { nLayer, nEmbd, nVocab } = model.info();
      const ours = await model.taps({ prompts: [tokens], taps: [{ layer: nLayer - 1, point: 'resid' }], threads: THREADS });
      const resid = ours.activations[0]![0]!;
      expect(resid.length).toBe(tokens.length * nEmbd); // all rows, although the last layer prunes by default

      // final RMSNorm and output matrix, read from the file
      const weights = tensorReader(modelPath);
      const eps = metaNumber(weights.header, 'llama.attention.layer_norm_rms_epsilon');
      const norm = weights.get('output_norm.weight');
      const out = weights.has('output.weight') ? weights.get('output.weight') : weights.get('token_embd.weight');

      const nlcModel = await llama.loadModel({ modelPath });
      const context = await nlcModel.createContext({
        contextSize: 128,
        threads: THREADS,
        flashAttention: false,
        experimentalKvCacheKeyType: 'F32',
        experimentalKvCacheValueType: 'F32',
      });
      try {
        const results = await context
          .getSequence()
          .controlledEvaluate(tokens.map((t) => [t as Token, { generateNext: { probabilities: true } }]));
        let worst = 0;
        let where = '';
        for (let pos = 0; pos < tokens.length; pos++) {
          const row = resid.subarray(pos * nEmbd, (pos + 1) * nEmbd);
          let ms = 0;
          for (const v of row) ms += v * v;
          const inv = 1 / Math.sqrt(ms / nEmbd + eps);
          const h = Array.from(row, (v, i) => v * inv * norm[i]!);
          const logits = new Float64Array(nVocab);
          for (let j = 0; j < nVocab; j++) {
            let s = 0;
            for (let i = 0; i < nEmbd; i++) s += out[j * nEmbd + i]! * h[i]!;
            logits[j] = s;
          }
          const expected = softmax(logits);
          const probabilities = results[pos]!.next.probabilities!;
          let sum = 0;
          for (const p of probabilities.values()) sum += p;
          for (let id = 0; id < nVocab; id++) {
            const d = Math.abs(Math.log(probabilities.get(id as Token)! / sum) - Math.log(expected[id]!));
            if (d > worst) [worst, where] = [d, `position ${pos} token ${id}`];
          }
        }
        console.info(`last-layer resid -> softmax vs node-llama-cpp: max |dlog p| ${worst.toExponential(2)}`);
        expect(worst, `max |dlog p| ${worst.toExponential(2)} at ${where}`).toBeLessThanOrEqual(LOGPROB_TOLERANCE);
      } finally {
        await context.dispose();
        await nlcModel.dispose();
      }
    });
  });

  describe('the same rows whatever the batching', () => {
    it('packed prompts, one prompt per pack, small ubatches and stopping early all agree', async () => {
      const modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
      const model = await load(modelPath);
      const prompts = [PROMPT, 'Bob wants the vase.', 'You want the vase, and the study is locked tonight.'].map((p) =>
        model.tokenize(p),
      );
      const taps = [
        { layer: 0, point: 'attn_out' as const },
        { layer: 1, point: 'resid' as const },
        { layer: 1, point: 'kqv_out' as const },
      ];
      const base = await model.taps({ prompts, taps, threads: THREADS, stopEarly: false, maxSequences: 1 });
      expect(base.stoppedEarly).toBe(false);
      const variants = {
        packed: await model.taps({ prompts, taps, threads: THREADS }),
        smallUbatch: await model.taps({ prompts, taps, threads: THREADS, ubatch: 5 }),
        packedSmallUbatch: await model.taps({ prompts, taps, threads: THREADS, ubatch: 7, stopEarly: false }),
      };
      expect(variants.packed.stoppedEarly).toBe(true); // layer 2 of 3 never ran
      expect(variants.smallUbatch.nDecodes).toBeGreaterThan(prompts.length);
      for (const [name, v] of Object.entries(variants)) {
        expect(v.nTokens).toEqual(prompts.map((p) => p.length));
        prompts.forEach((_, p) =>
          taps.forEach((t, r) => {
            const { rel } = maxRelDiff(v.activations[p]![r]!, base.activations[p]![r]!);
            // packing changes which KV cells are masked, not the math: float32 summation order at most
            expect(rel, `${name}: prompt ${p} ${t.point} L${t.layer}`).toBeLessThanOrEqual(1e-5);
          }),
        );
      }
      // prompts differ, so equal rows would mean a mix-up
      expect(maxRelDiff(base.activations[1]![1]!.subarray(0, 64 * 3), base.activations[2]![1]!.subarray(0, 64 * 3)).rel).toBeGreaterThan(0);
    });
  });
});
