/**
 * The oracle's own bookkeeping (its numbers are checked against llama.cpp in load-check.ts): shapes,
 * resid = previous resid + attnOut + mlpOut at every layer, causality (a later token cannot change an
 * earlier row), and RoPE (the same tokens in another order give other rows).
 */
import { describe, expect, it } from 'vitest';
import { referenceForward } from '../../oracle/reference-forward.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';

describe('referenceForward', () => {
  it('returns per-layer [n_tokens, n_embd] taps that add up to the residual stream', async () => {
    const modelPath = await tinyModel({ arch: 'llama', type: 'f32', kvHeads: 2 });
    const tokens = [1, 450, 4996, 17354, 1701, 29916];
    const out = await referenceForward(modelPath, tokens);
    expect(out.layers).toHaveLength(2);
    expect(out.logits).toHaveLength(tokens.length * out.nVocab);
    for (const layer of out.layers) {
      for (const tap of [layer.attnOut, layer.mlpOut, layer.resid]) expect(tap).toHaveLength(tokens.length * out.nEmbd);
    }
    // layer 1's input is layer 0's resid: resid1 = resid0 + attnOut1 + mlpOut1 (float32 storage: 1e-5)
    const [l0, l1] = out.layers as [typeof out.layers[0], typeof out.layers[0]];
    let maxErr = 0;
    for (let i = 0; i < l1.resid.length; i++) maxErr = Math.max(maxErr, Math.abs(l0.resid[i]! + l1.attnOut[i]! + l1.mlpOut[i]! - l1.resid[i]!));
    expect(maxErr).toBeLessThan(1e-5);
    // activations stay O(1) (the generator's scaling), so comparisons against them are meaningful
    const rms = Math.sqrt(l1.resid.reduce((s, v) => s + v * v, 0) / l1.resid.length);
    expect(rms).toBeGreaterThan(0.3);
    expect(rms).toBeLessThan(5);
  });

  it('is causal and position-aware (qwen2, GQA)', async () => {
    const modelPath = await tinyModel({ arch: 'qwen2', type: 'f32', kvHeads: 2 });
    const a = await referenceForward(modelPath, [785, 3974, 13876]);
    const b = await referenceForward(modelPath, [785, 3974, 13876, 38835]);
    const n = a.nEmbd * 3;
    expect(Array.from(b.layers[1]!.resid.subarray(0, n))).toEqual(Array.from(a.layers[1]!.resid));
    // swapping the first two tokens changes the third row only through positions (RoPE)
    const c = await referenceForward(modelPath, [3974, 785, 13876]);
    const rowA = a.layers[0]!.attnOut.subarray(2 * a.nEmbd, n);
    const rowC = c.layers[0]!.attnOut.subarray(2 * c.nEmbd, n);
    const diff = rowA.reduce((m, v, i) => Math.max(m, Math.abs(v - rowC[i]!)), 0);
    expect(diff).toBeGreaterThan(1e-4);
  });
});
