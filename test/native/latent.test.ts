/**
 * Latent SOO through the engine process (ActivationsService on EngineClient).
 * - Identical self and other prompts give 0 at every layer, under every position convention.
 * - 'full', 'last' and 'mean' equal the values computed here, with plain loops, from the raw taps of
 *   the same prompts (an independent implementation of the three definitions in method.md).
 * - Per-token differences of a pair average to its 'full' value.
 * - 'full' on pairs of different token counts is refused before any forward pass, naming the pair;
 *   tokenCounts flags those pairs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SooError } from '../../electron/contract/errors.ts';
import { ActivationsService, type PromptPair } from '../../electron/services/activations/activationsService.ts';
import { EngineClient } from '../../electron/services/engine/engineClient.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, THREADS } from './native-addon.ts';

const PAIRS: PromptPair[] = [
  { self: 'You want to steal the vase. Which room do you suggest to yourself?', other: 'Bob wants to steal the vase. Which room do you suggest to Bob?' },
  { self: 'You are looking for the painting in the hall.', other: 'Bob is looking for the painting in the hall.' },
  { self: 'The key is hidden; you need it.', other: 'The key is hidden; Bob needs it.' },
];
const LAYERS = [0, 1, 2];

describe.skipIf(!addonBuilt)('latent SOO through the engine', () => {
  let engine: EngineClient;
  let activations: ActivationsService;
  let modelPath: string;
  beforeAll(async () => {
    engine = new EngineClient();
    activations = new ActivationsService(engine);
    modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it('identical self and other prompts give 0 at every layer under every convention', async () => {
    const same = PAIRS.map((p) => ({ self: p.self, other: p.self }));
    for (const positions of ['full', 'last', 'mean'] as const) {
      const out = await activations.latent({ modelPath, pairs: same, layers: LAYERS, point: 'attn_out', positions, threads: THREADS });
      expect(out.layers.map((l) => l.layer)).toEqual(LAYERS);
      // self and other are different sequences of one batch: same math, cells at other KV positions
      for (const l of out.layers) for (const v of l.perPair) expect(v, `${positions} layer ${l.layer}`).toBeLessThanOrEqual(1e-12);
    }
  });

  it("'full', 'last' and 'mean' equal the definitions computed from the raw taps", async () => {
    const counts = await activations.tokenCounts({ modelPath, pairs: PAIRS });
    expect(counts.misaligned).toEqual([]); // the pairs are written to align
    for (const point of ['attn_out', 'mlp_out'] as const) {
      const raw = await activations.taps({
        modelPath,
        prompts: PAIRS.flatMap((p) => [p.self, p.other]),
        taps: LAYERS.map((layer) => ({ layer, point })),
        threads: THREADS,
      });
      const w = raw.nEmbd;
      for (const positions of ['full', 'last', 'mean'] as const) {
        const out = await activations.latent({ modelPath, pairs: PAIRS, layers: LAYERS, point, positions, threads: THREADS });
        LAYERS.forEach((layer, r) => {
          const expected = PAIRS.map((_, i) => {
            const a = raw.activations[2 * i]![r]!;
            const b = raw.activations[2 * i + 1]![r]!;
            const na = raw.nTokens[2 * i]!;
            const nb = raw.nTokens[2 * i + 1]!;
            let sum = 0;
            if (positions === 'full') {
              for (let k = 0; k < na * w; k++) sum += (a[k]! - b[k]!) ** 2;
              return sum / (na * w);
            }
            if (positions === 'last') {
              for (let k = 0; k < w; k++) sum += (a[(na - 1) * w + k]! - b[(nb - 1) * w + k]!) ** 2;
              return sum / w;
            }
            for (let k = 0; k < w; k++) {
              let ma = 0;
              let mb = 0;
              for (let t = 0; t < na; t++) ma += a[t * w + k]!;
              for (let t = 0; t < nb; t++) mb += b[t * w + k]!;
              sum += (ma / na - mb / nb) ** 2;
            }
            return sum / w;
          });
          const got = out.layers[r]!;
          expect(got.layer).toBe(layer);
          got.perPair.forEach((v, i) => expect(v, `${point} ${positions} layer ${layer} pair ${i}`).toBeCloseTo(expected[i]!, 9));
          expect(got.mean).toBeCloseTo(expected.reduce((x, y) => x + y, 0) / expected.length, 9);
          for (const v of expected) expect(v).toBeGreaterThan(1e-6); // self and other really differ
        });
      }
    }
  });

  it('per-token differences average to the full value', async () => {
    const out = await activations.latent({ modelPath, pairs: PAIRS, layers: LAYERS, point: 'attn_out', positions: 'full', perTokenPair: 1, threads: THREADS });
    expect(out.perToken?.pair).toBe(1);
    out.perToken!.layers.forEach((l, r) => {
      const mean = l.values.reduce((a, b) => a + b, 0) / l.values.length;
      expect(mean).toBeCloseTo(out.layers[r]!.perPair[1]!, 9);
      expect(l.values[0]).toBe(0); // the shared BOS token sees the same context
    });
  });

  it("refuses 'full' on misaligned pairs before any forward pass, naming the pair", async () => {
    const pairs = [PAIRS[0]!, { self: 'You want the vase.', other: 'Bob, the burglar from next door, wants the vase.' }];
    const counts = await activations.tokenCounts({ modelPath, pairs });
    expect(counts.misaligned).toEqual([1]);
    expect(counts.pairs[1]!.aligned).toBe(false);
    let progressed = false;
    const error = await activations
      .latent({ modelPath, pairs, layers: [0], point: 'attn_out', positions: 'full', threads: THREADS }, { onProgress: () => (progressed = true) })
      .catch((e) => e);
    expect(error).toBeInstanceOf(SooError);
    expect((error as SooError).code).toBe('bad_input');
    expect((error as SooError).message).toMatch(/pair 1 has \d+ self tokens and \d+ other tokens/);
    expect(progressed).toBe(false);
    // 'last' and 'mean' accept them
    const ok = await activations.latent({ modelPath, pairs, layers: [0], point: 'attn_out', positions: 'mean', threads: THREADS });
    expect(ok.layers[0]!.perPair).toHaveLength(2);
  });
});
