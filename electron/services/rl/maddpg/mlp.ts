/**
 * A 3-layer perceptron, in-64-64-out with leaky ReLU hidden layers (method.md: actor and critic MLP
 * 64-64), held as TensorFlow.js variables for training and mirrored in Float32Arrays for fast
 * batch-1 forwards in JS (acting in the environment, SOO values), since a tfjs call costs ~0.1 ms of
 * overhead and an episode needs 2 forwards per step. The mirror is a forward pass only (no gradients);
 * after an optimiser step call `markStale()`: the next JS forward copies the variables (lazily, so
 * target and critic networks, which never run in JS, are not copied after every update).
 *
 * Weights: W1 [in, 64], b1 [64], W2 [64, 64], b2 [64], W3 [64, out], b3 [out], row-major
 * (x [batch, in] @ W1). Initialisation: Glorot uniform weights, zero biases, from a seeded Rng.
 */
import { tf } from '../tf.ts';
import { Rng } from '../rng.ts';
import { dense } from './dense.ts';

export const HIDDEN = 64;
/** Negative slope of the leaky ReLU (PyTorch's default). */
export const LEAKY_SLOPE = 0.01;

export interface MlpWeights {
  /** Layer sizes [in, 64, 64, out]. */
  sizes: number[];
  /** W1, b1, W2, b2, W3, b3 as flat row-major arrays. */
  tensors: Float32Array[];
}

export class Mlp {
  readonly sizes: readonly [number, number, number, number];
  /** W1, b1, W2, b2, W3, b3. */
  readonly vars: tf.Variable[];
  readonly #mirror: Float32Array[];
  readonly #h1: Float32Array;
  readonly #h2: Float32Array;
  #disposed = false;
  /** The variables changed since the mirror was copied. */
  #stale = false;

  constructor(inDim: number, outDim: number, rng: Rng, name: string) {
    this.sizes = [inDim, HIDDEN, HIDDEN, outDim];
    const shapes: number[][] = [[inDim, HIDDEN], [HIDDEN], [HIDDEN, HIDDEN], [HIDDEN], [HIDDEN, outDim], [outDim]];
    this.#mirror = shapes.map((shape, i) => {
      const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
      if (i % 2 === 0) {
        const limit = Math.sqrt(6 / (shape[0]! + shape[1]!));
        for (let k = 0; k < data.length; k++) data[k] = rng.range(-limit, limit);
      }
      return data;
    });
    this.vars = shapes.map((shape, i) => tf.variable(tf.tensor(this.#mirror[i]!, shape), true, `${name}/${['W1', 'b1', 'W2', 'b2', 'W3', 'b3'][i]}_${uniqueId++}`));
    this.#h1 = new Float32Array(HIDDEN);
    this.#h2 = new Float32Array(HIDDEN);
  }

  /** Forward in tfjs. x [batch, in] -> {h1 [batch, 64], h2 [batch, 64], out [batch, out]} (out is linear). */
  forward(x: tf.Tensor2D): { h1: tf.Tensor2D; h2: tf.Tensor2D; out: tf.Tensor2D } {
    const [W1, b1, W2, b2, W3, b3] = this.vars as unknown as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D, tf.Tensor2D, tf.Tensor1D];
    const h1 = tf.leakyRelu(tf.add(dense(x, W1), b1), LEAKY_SLOPE) as tf.Tensor2D;
    const h2 = tf.leakyRelu(tf.add(dense(h1, W2), b2), LEAKY_SLOPE) as tf.Tensor2D;
    const out = tf.add(dense(h2, W3), b3) as tf.Tensor2D;
    return { h1, h2, out };
  }

  /**
   * Forward of one input in JS from the mirror. Writes the linear output into `out` [outDim]; when
   * `hidden` [128] is given, also the two hidden layers' activations (h1 then h2).
   */
  forwardJs(x: ArrayLike<number>, out: Float32Array, hidden?: Float32Array): void {
    if (this.#stale) this.syncMirror();
    const [inDim, , , outDim] = this.sizes;
    const [W1, b1, W2, b2, W3, b3] = this.#mirror as [Float32Array, Float32Array, Float32Array, Float32Array, Float32Array, Float32Array];
    const h1 = this.#h1;
    const h2 = this.#h2;
    // Row-major weights: accumulate row i of W scaled by input i (contiguous inner loops).
    h1.set(b1);
    for (let i = 0; i < inDim; i++) {
      const xi = x[i]!;
      const row = i * HIDDEN;
      for (let j = 0; j < HIDDEN; j++) h1[j]! += xi * W1[row + j]!;
    }
    for (let j = 0; j < HIDDEN; j++) if (h1[j]! < 0) h1[j]! *= LEAKY_SLOPE;
    h2.set(b2);
    for (let i = 0; i < HIDDEN; i++) {
      const hi = h1[i]!;
      const row = i * HIDDEN;
      for (let j = 0; j < HIDDEN; j++) h2[j]! += hi * W2[row + j]!;
    }
    for (let j = 0; j < HIDDEN; j++) if (h2[j]! < 0) h2[j]! *= LEAKY_SLOPE;
    for (let j = 0; j < outDim; j++) out[j] = b3[j]!;
    for (let i = 0; i < HIDDEN; i++) {
      const hi = h2[i]!;
      const row = i * outDim;
      for (let j = 0; j < outDim; j++) out[j]! += hi * W3[row + j]!;
    }
    if (hidden) {
      hidden.set(h1, 0);
      hidden.set(h2, HIDDEN);
    }
  }

  /** Copies the tfjs variables into the JS mirror now. */
  syncMirror(): void {
    this.vars.forEach((v, i) => this.#mirror[i]!.set(v.dataSync() as Float32Array));
    this.#stale = false;
  }

  /** Marks the mirror out of date (after an optimiser step): the next JS forward or weights() copies. */
  markStale(): void {
    this.#stale = true;
  }

  /** Sets the variables to `tau * source + (1 - tau) * this` (tau = 1 copies). */
  softUpdateFrom(source: Mlp, tau: number): void {
    tf.tidy(() => {
      this.vars.forEach((v, i) => v.assign(tf.add(tf.mul(source.vars[i]!, tau), tf.mul(v, 1 - tau))));
    });
    this.#stale = true;
  }

  weights(): MlpWeights {
    if (this.#stale) this.syncMirror();
    return { sizes: [...this.sizes], tensors: this.#mirror.map((t) => t.slice()) };
  }

  /** Loads weights saved by `weights()`; the sizes must match. */
  load(w: MlpWeights): void {
    if (w.sizes.join(',') !== this.sizes.join(',')) throw new Error(`network sizes differ: expected ${this.sizes.join('-')}, got ${w.sizes.join('-')}`);
    this.vars.forEach((v, i) => v.assign(tf.tensor(w.tensors[i]!, v.shape)));
    this.syncMirror();
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const v of this.vars) v.dispose();
  }
}

let uniqueId = 0;
