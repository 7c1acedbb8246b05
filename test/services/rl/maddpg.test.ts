/**
 * MADDPG building blocks on TensorFlow.js: the JS mirror forward equals the tfjs forward, tfjs
 * gradients equal central finite differences (so the autodiff wiring is right), per-variable
 * clipping, soft target updates, the replay ring, OU noise and its schedule, critic learning on a
 * fixed batch, and checkpoint round trips.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initTf, tf } from '../../../electron/services/rl/tf.ts';
import { Mlp } from '../../../electron/services/rl/maddpg/mlp.ts';
import { dense } from '../../../electron/services/rl/maddpg/dense.ts';
import { CRITIC_IN, Maddpg, clipEach } from '../../../electron/services/rl/maddpg/maddpg.ts';
import { ReplayBuffer, TRANSITION_WIDTH, COL } from '../../../electron/services/rl/maddpg/replay.ts';
import { OuNoise, noiseSigma } from '../../../electron/services/rl/maddpg/noise.ts';
import { Rng } from '../../../electron/services/rl/rng.ts';
import { readCheckpoint, writeCheckpoint } from '../../../electron/services/rl/checkpoint.ts';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SETTINGS = { gamma: 0.95, tau: 0.01, lr: 0.01, gradClip: 0.5, actionReg: 1e-3 };

beforeAll(async () => {
  await initTf();
});

function randomInput(rng: Rng, n: number, width: number): Float32Array {
  return Float32Array.from({ length: n * width }, () => rng.range(-1, 1));
}

describe('Mlp', () => {
  it('JS mirror forward (actions and 128 hidden units) equals the tfjs forward', () => {
    const rng = Rng.create(1);
    const net = new Mlp(10, 2, rng, 'test/mlp');
    const x = randomInput(rng, 4, 10);
    const { h1, h2, out } = tf.tidy(() => {
      const r = net.forward(tf.tensor2d(x, [4, 10]));
      return { h1: r.h1.arraySync(), h2: r.h2.arraySync(), out: r.out.arraySync() };
    });
    const TOL = 1e-5; // float32 sums of 64 terms in a different order
    for (let b = 0; b < 4; b++) {
      const o = new Float32Array(2);
      const hidden = new Float32Array(128);
      net.forwardJs(x.subarray(b * 10, (b + 1) * 10), o, hidden);
      for (let k = 0; k < 2; k++) expect(Math.abs(o[k]! - out[b]![k]!)).toBeLessThan(TOL);
      for (let k = 0; k < 64; k++) {
        expect(Math.abs(hidden[k]! - h1[b]![k]!)).toBeLessThan(TOL);
        expect(Math.abs(hidden[64 + k]! - h2[b]![k]!)).toBeLessThan(TOL);
      }
    }
    net.dispose();
  });

  it('tfjs gradients of a critic loss equal central finite differences', () => {
    const rng = Rng.create(2);
    const net = new Mlp(CRITIC_IN, 1, rng, 'test/critic');
    const x = tf.tensor2d(randomInput(rng, 16, CRITIC_IN), [16, CRITIC_IN]);
    const y = tf.tensor2d(randomInput(rng, 16, 1), [16, 1]);
    const loss = () => tf.mean(tf.square(tf.sub(net.forward(x).out, y))) as tf.Scalar;
    const { grads } = tf.variableGrads(loss, net.vars);
    const H = 1e-3; // float32 loss (~1e-7 relative rounding) over 2H stays far below the gradients checked
    const errors: number[] = [];
    let nearKink = 0;
    for (const v of net.vars) {
      const g = grads[v.name]!.dataSync();
      const data = v.dataSync().slice();
      for (const k of new Set([0, Math.min(7, data.length - 1), data.length - 1])) {
        const at = (delta: number) => {
          const d = data.slice();
          d[k]! += delta;
          v.assign(tf.tensor(d, v.shape));
          return tf.tidy(() => loss().dataSync()[0]!);
        };
        const fd = (at(H) - at(-H)) / (2 * H);
        const fdHalf = (at(H / 2) - at(-H / 2)) / H;
        v.assign(tf.tensor(data, v.shape));
        // A leaky-ReLU kink within H of a sample's pre-activation makes the two steps disagree:
        // the loss is not differentiable there, so the point says nothing about the gradient.
        if (Math.abs(fd - fdHalf) > 0.1 * Math.abs(fd) + 1e-4) {
          nearKink++;
          continue;
        }
        errors.push(Math.abs(fd - g[k]!) / Math.max(1e-3, Math.abs(fd) + Math.abs(g[k]!)));
      }
    }
    expect(nearKink).toBeLessThanOrEqual(2);
    expect(errors.length).toBeGreaterThanOrEqual(14);
    expect(Math.max(...errors)).toBeLessThan(0.02);
    for (const t of Object.values(grads)) t.dispose();
    x.dispose();
    y.dispose();
    net.dispose();
  });

  it('soft update moves targets by tau: t <- tau s + (1 - tau) t', () => {
    const rng = Rng.create(3);
    const source = new Mlp(6, 2, rng, 'test/src');
    const target = new Mlp(6, 2, rng, 'test/dst');
    const s0 = source.weights().tensors[0]!;
    const t0 = target.weights().tensors[0]!;
    target.softUpdateFrom(source, 0.25);
    const t1 = target.weights().tensors[0]!;
    for (let k = 0; k < t1.length; k += 37) expect(t1[k]).toBeCloseTo(0.25 * s0[k]! + 0.75 * t0[k]!, 6);
    source.dispose();
    target.dispose();
  });
});

describe('dense', () => {
  it('has the value and the gradients of tf.matMul (its own rule, on the fast kernel)', () => {
    const rng = Rng.create(6);
    const x = tf.tensor2d(randomInput(rng, 33, 20), [33, 20]);
    const w = tf.tensor2d(randomInput(rng, 20, 7), [20, 7]);
    const dy = tf.tensor2d(randomInput(rng, 33, 7), [33, 7]);
    const f = (op: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D) => tf.grads((a: tf.Tensor, b: tf.Tensor) => op(a as tf.Tensor2D, b as tf.Tensor2D));
    const [gxRef, gwRef] = f((a, b) => tf.matMul(a, b))([x, w], dy);
    const [gx, gw] = f(dense)([x, w], dy);
    const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;
    const TOL = 1e-5; // float32 sums of 33 terms, maybe in another order
    expect(maxDiff(dense(x, w), tf.matMul(x, w))).toBeLessThan(TOL);
    expect(maxDiff(gx!, gxRef!)).toBeLessThan(TOL);
    expect(maxDiff(gw!, gwRef!)).toBeLessThan(TOL);
  });
});

describe('clipEach', () => {
  it('scales each gradient to norm <= clip, keeps its direction, leaves small ones alone', () => {
    const big = tf.tensor([3, 4]); // norm 5
    const small = tf.tensor([0.1, 0.2]);
    const out = clipEach({ big, small }, 0.5);
    const b = out.find((o) => o.name === 'big')!.tensor.dataSync();
    expect(b[0]).toBeCloseTo(0.3, 6);
    expect(b[1]).toBeCloseTo(0.4, 6);
    const s = out.find((o) => o.name === 'small')!.tensor.dataSync();
    expect(s[0]).toBeCloseTo(0.1, 6);
    expect(s[1]).toBeCloseTo(0.2, 6);
  });
});

describe('replay and noise', () => {
  it('keeps the newest `capacity` transitions in column order', () => {
    const r = new ReplayBuffer(3);
    const row = (v: number) => ({
      obsRed: new Array(6).fill(v), obsBlue: new Array(10).fill(v), actRed: [v, v], actBlue: [v, v],
      rewardRed: v, rewardBlue: -v, nextObsRed: new Array(6).fill(v + 0.5), nextObsBlue: new Array(10).fill(v + 0.5),
    });
    for (let v = 1; v <= 5; v++) r.add(row(v));
    expect(r.size).toBe(3);
    expect([0, 1, 2].map((i) => r.row(i)[0])).toEqual([3, 4, 5]);
    expect(r.row(0)[COL.rewardBlue]).toBe(-3);
    expect(r.row(0)[COL.nextObsBlue + 9]).toBe(3.5);
    const batch = r.sample(50, Rng.create(1));
    expect(batch.length).toBe(50 * TRANSITION_WIDTH);
    const seen = new Set(Array.from({ length: 50 }, (_, b) => batch[b * TRANSITION_WIDTH]));
    expect([...seen].sort()).toEqual([3, 4, 5]);
  });

  it('OU noise follows x <- x - 0.15 x + sigma N(0, 1); sigma goes 0.3 -> 0 linearly', () => {
    const n = new OuNoise(2, 0.3);
    const a = new Float32Array(2);
    const rng = Rng.create(9);
    const ref = Rng.create(9);
    let x0 = 0;
    for (let t = 0; t < 5; t++) {
      a.fill(0);
      n.addTo(a, rng);
      x0 = x0 - 0.15 * x0 + 0.3 * ref.normal();
      ref.normal(); // the second component's draw
      expect(a[0]).toBeCloseTo(x0, 6);
    }
    expect(noiseSigma(0, 101, 0.3, 0)).toBe(0.3);
    expect(noiseSigma(50, 101, 0.3, 0)).toBeCloseTo(0.15, 12);
    expect(noiseSigma(100, 101, 0.3, 0)).toBe(0);
  });
});

describe('Maddpg', () => {
  it('critics fit a constant reward: critic loss falls over updates on a fixed batch', () => {
    const m = new Maddpg(SETTINGS, 4);
    const rng = Rng.create(4);
    const n = 64;
    const batch = randomInput(rng, n, TRANSITION_WIDTH);
    for (let b = 0; b < n; b++) {
      batch[b * TRANSITION_WIDTH + COL.rewardRed] = 1;
      batch[b * TRANSITION_WIDTH + COL.rewardBlue] = 2;
    }
    const first = m.update(batch);
    let last = first;
    for (let i = 0; i < 40; i++) last = m.update(batch);
    expect(last.criticBlue).toBeLessThan(first.criticBlue * 0.5);
    expect(last.criticRed).toBeLessThan(first.criticRed * 0.5);
    expect(tf.memory().numTensors).toBeLessThan(300); // no tensors leak per update
    m.dispose();
  });

  it('checkpoint round trip (file included) restores actors, critics, targets and Adam state', async () => {
    const m = new Maddpg(SETTINGS, 5);
    const batch = randomInput(Rng.create(5), 32, TRANSITION_WIDTH);
    m.update(batch);
    const saved = await m.checkpoint();
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'rl-ckpt-')), 'c.json');
    writeCheckpoint(file, 'test', { nets: saved });
    const loaded = readCheckpoint<{ nets: typeof saved }>(file, 'test').nets;
    const other = new Maddpg(SETTINGS, 99);
    await other.restore(loaded);
    // same state -> the next update gives the same losses and the same weights
    const a = m.update(batch);
    const b = other.update(batch);
    expect(b.criticBlue).toBeCloseTo(a.criticBlue, 5);
    expect(b.actorRed).toBeCloseTo(a.actorRed, 5);
    const wa = m.blue.actor.weights().tensors[2]!;
    const wb = other.blue.actor.weights().tensors[2]!;
    let maxDiff = 0;
    for (let k = 0; k < wa.length; k++) maxDiff = Math.max(maxDiff, Math.abs(wa[k]! - wb[k]!));
    expect(maxDiff).toBeLessThan(1e-6);
    expect(() => readCheckpoint(file, 'other-format')).toThrow(/expected a "other-format" checkpoint/);
    m.dispose();
    other.dispose();
  });
});
