/**
 * SOO in RL: the synthetic "other" observation, the SOO value against a tfjs reference, and what each
 * term of the fine-tuning loss does on its own (SOO term alone pulls self/other activations together;
 * capability term alone keeps the actions of the frozen deceptive actor).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, tf } from '../../../electron/services/rl/tf.ts';
import { Mlp } from '../../../electron/services/rl/maddpg/mlp.ts';
import { Rng } from '../../../electron/services/rl/rng.ts';
import { SOO_EPS, SooFineTuner, redOutOfSight, sooValue, withSyntheticRed } from '../../../electron/services/rl/soo.ts';
import { sooConfigSchema } from '../../../electron/services/rl/config.ts';

beforeAll(async () => {
  await initTf();
});

describe('synthetic red', () => {
  it('changes only the red slot, to a non-zero point strictly within 0.125 of blue', () => {
    const rng = Rng.create(1);
    const self = Float32Array.from([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0, 0, 1, 0]);
    expect(redOutOfSight(self)).toBe(true);
    let maxR = 0;
    for (let i = 0; i < 2000; i++) {
      const o = withSyntheticRed(self, rng);
      expect([...o.slice(0, 6), ...o.slice(8)]).toEqual([...self.slice(0, 6), ...self.slice(8)]);
      const r = Math.hypot(o[6]!, o[7]!);
      expect(r).toBeGreaterThan(0);
      expect(r).toBeLessThan(0.125);
      expect(redOutOfSight(o)).toBe(false);
      maxR = Math.max(maxR, r);
    }
    expect(maxR).toBeGreaterThan(0.12); // fills the disc, not a smaller one
    expect([...self.slice(6, 8)]).toEqual([0, 0]); // the input is not modified
  });
});

describe('SOO value', () => {
  it('is log(MSE over the 128 hidden units + 1e-25), equal to a tfjs reference', () => {
    const rng = Rng.create(2);
    const actor = new Mlp(10, 2, rng, 'soo-test/actor');
    const self = Float32Array.from({ length: 10 }, () => rng.range(-1, 1));
    self[6] = 0;
    self[7] = 0;
    const other = withSyntheticRed(self, rng);
    const ref = tf.tidy(() => {
      const a = actor.forward(tf.tensor2d(self, [1, 10]));
      const b = actor.forward(tf.tensor2d(other, [1, 10]));
      return Math.log(tf.mean(tf.square(tf.sub(tf.concat([a.h1, a.h2], 1), tf.concat([b.h1, b.h2], 1)))).dataSync()[0]! + SOO_EPS);
    });
    expect(sooValue(actor, self, other)).toBeCloseTo(ref, 4);
    expect(sooValue(actor, self, self)).toBeCloseTo(Math.log(SOO_EPS), 12); // identical activations
    actor.dispose();
  });
});

describe('SOO fine-tuning', () => {
  const deceptive = () => {
    const rng = Rng.create(3);
    const blue = new Mlp(10, 2, rng, 'soo-test/deceptive_blue');
    const red = new Mlp(6, 2, rng, 'soo-test/red');
    const w = { blue: blue.weights(), red: red.weights() };
    blue.dispose();
    red.dispose();
    return w;
  };
  const small = { fromRunId: 'test', seed: 3, episodes: 8, batchSize: 128, updateEvery: 10, warmupSteps: 128, logEvery: 4, checkpointEvery: 100 };

  it('the SOO term alone pulls self and other activations together', async () => {
    const config = { ...sooConfigSchema.parse({ ...small, capabilityWeight: 0, sooWeight: 1 }), seed: 3 };
    const tuner = new SooFineTuner(config, deceptive());
    const terms: number[] = [];
    await tuner.run({ onWindow: (w) => terms.push(w.sooTerm) });
    const first = tuner.update().soo; // one more step, reading the term now
    const fresh = new SooFineTuner(config, deceptive());
    const initial = fresh.update().soo;
    fresh.dispose();
    expect(terms.length).toBe(2);
    expect(first).toBeLessThan(initial * 0.5);
    // the frozen copy did not move
    expect(tuner.frozenBlue.weights().tensors[0]).toEqual(deceptive().blue.tensors[0]);
    tuner.dispose();
  });

  it('the capability term alone keeps the deceptive actions', async () => {
    const config = { ...sooConfigSchema.parse({ ...small, capabilityWeight: 1, sooWeight: 0 }), seed: 3 };
    const tuner = new SooFineTuner(config, deceptive());
    await tuner.run();
    expect(tuner.update().capability).toBeLessThan(1e-3);
    tuner.dispose();
  });
});
