/**
 * Self-Other Overlap in the RL experiment (method.md, "SOO in RL").
 *
 * Activations: blue's actor's two hidden layers, concatenated (128-d). Self observation: a real blue
 * observation with red out of sight (its slot reads (0, 0)). Other observation: the same with a
 * synthetic red inserted at a uniform random spot strictly within SIGHT_RADIUS of blue.
 * SOO value = log(MSE(A_self, A_other) + 1e-25), MSE over the 128 units; lower = more overlap.
 *
 * Fine-tuning (`SooFineTuner`): blue's actor, initialised from a deceptive run, minimises
 *   sooWeight * MSE(A_self, A_other)  (a batch of out-of-sight observations and their "other" copies)
 * + capabilityWeight * MSE(tanh mu(o), tanh mu_frozen(o))  (a batch of all observations; mu_frozen
 *   is the deceptive actor, frozen)
 * with Adam and per-variable gradient clipping. The observations come from episodes the fine-tuned
 * blue plays (with OU noise) against the deceptive run's frozen red. No RL reward is used.
 */
import { tf } from './tf.ts';
import { BLUE_OBS_DIM, BLUE_OBS_RED_SLOT, DeceptionEnv, SIGHT_RADIUS } from './env.ts';
import { Rng, type RngState } from './rng.ts';
import { HIDDEN, Mlp, type MlpWeights } from './maddpg/mlp.ts';
import { clipEach } from './maddpg/maddpg.ts';
import { OuNoise, noiseSigma } from './maddpg/noise.ts';
import { EpisodeWindow, runEpisode, type WindowMeans } from './rollout.ts';
import { clip } from './train.ts';
import type { SooConfig } from './config.ts';

/** Added inside the log so identical activations give a finite value. */
export const SOO_EPS = 1e-25;
export const SOO_CHECKPOINT = 'soo-lab-rl-soo';

/** True when red is out of sight in blue's observation (the slot reads exactly (0, 0)). */
export function redOutOfSight(obsBlue: ArrayLike<number>): boolean {
  return obsBlue[BLUE_OBS_RED_SLOT] === 0 && obsBlue[BLUE_OBS_RED_SLOT + 1] === 0;
}

/** The "other" observation: a copy of `obsSelf` with red inserted uniformly within SIGHT_RADIUS of blue. */
export function withSyntheticRed(obsSelf: ArrayLike<number>, rng: Rng, out = new Float32Array(BLUE_OBS_DIM)): Float32Array {
  out.set(obsSelf as ArrayLike<number>);
  let x = 0;
  let y = 0;
  while (x === 0 && y === 0) [x, y] = rng.inDisc(SIGHT_RADIUS); // (0, 0) would read as "not in sight"
  out[BLUE_OBS_RED_SLOT] = x;
  out[BLUE_OBS_RED_SLOT + 1] = y;
  return out;
}

/** SOO value of one self/other pair through `actor`, computed in JS: log(MSE over 128 units + 1e-25). */
export function sooValue(actor: Mlp, obsSelf: ArrayLike<number>, obsOther: ArrayLike<number>): number {
  const a = new Float32Array(2 * HIDDEN);
  const b = new Float32Array(2 * HIDDEN);
  const out = new Float32Array(actor.sizes[3]);
  actor.forwardJs(obsSelf, out, a);
  actor.forwardJs(obsOther, out, b);
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! - b[k]!) ** 2;
  return Math.log(s / a.length + SOO_EPS);
}

export interface SooState {
  episode: number;
  totalSteps: number;
  updates: number;
  rng: { env: RngState; noise: RngState; sample: RngState };
}

export interface SooCheckpoint {
  config: SooConfig & { seed: number };
  state: SooState;
  /** The fine-tuned blue actor, the frozen deceptive blue actor, and the frozen red actor. */
  blue: MlpWeights;
  frozenBlue: MlpWeights;
  red: MlpWeights;
  optimizer: Float32Array[];
}

export interface SooWindow extends WindowMeans {
  episode: number;
  updates: number;
  sigma: number;
  /** The last update's terms (NaN before the first). */
  sooTerm: number;
  capabilityTerm: number;
  seconds: number;
}

export interface SooRunOptions {
  signal?: AbortSignal;
  onWindow?: (w: SooWindow) => void;
  onCheckpoint?: (c: SooCheckpoint) => Promise<void> | void;
}

export class SooFineTuner {
  readonly config: SooConfig & { seed: number };
  readonly blue: Mlp;
  readonly frozenBlue: Mlp;
  readonly red: Mlp;
  readonly #opt: tf.AdamOptimizer;
  readonly #env = new DeceptionEnv({ deceptiveBonus: true });
  /** Ring buffers of blue observations: all of them, and those with red out of sight. */
  readonly #all: ObsRing;
  readonly #alone: ObsRing;
  #state: SooState;
  #rng: { env: Rng; noise: Rng; sample: Rng };

  /** Starts from a deceptive run's actors: `blue` is copied twice (trained and frozen), `red` frozen. */
  constructor(config: SooConfig & { seed: number }, actors: { blue: MlpWeights; red: MlpWeights; frozenBlue?: MlpWeights }) {
    this.config = config;
    const init = Rng.create(config.seed, 201);
    this.blue = new Mlp(BLUE_OBS_DIM, 2, init, 'soo/blue');
    this.frozenBlue = new Mlp(BLUE_OBS_DIM, 2, init, 'soo/frozen_blue');
    this.red = new Mlp(actors.red.sizes[0]!, 2, init, 'soo/red');
    this.blue.load(actors.blue);
    this.frozenBlue.load(actors.frozenBlue ?? actors.blue);
    this.red.load(actors.red);
    this.#opt = tf.train.adam(config.lr);
    this.#all = new ObsRing(config.bufferSize);
    this.#alone = new ObsRing(config.bufferSize);
    this.#rng = { env: Rng.create(config.seed, 11), noise: Rng.create(config.seed, 12), sample: Rng.create(config.seed, 13) };
    this.#state = { episode: 0, totalSteps: 0, updates: 0, rng: this.#rngStates() };
  }

  static async resume(c: SooCheckpoint, episodes = c.config.episodes): Promise<SooFineTuner> {
    const t = new SooFineTuner({ ...c.config, episodes }, { blue: c.blue, red: c.red, frozenBlue: c.frozenBlue });
    t.#state = structuredClone(c.state);
    t.#rng = { env: Rng.fromState(c.state.rng.env), noise: Rng.fromState(c.state.rng.noise), sample: Rng.fromState(c.state.rng.sample) };
    if (c.optimizer.length > 0) {
      const shapes: number[][] = [[], ...t.blue.vars.map((v) => v.shape), ...t.blue.vars.map((v) => v.shape)];
      await t.#opt.setWeights(c.optimizer.map((data, i) => ({ name: `s${i}`, tensor: tf.tensor(data, shapes[i]!) })));
    }
    return t;
  }

  async checkpoint(): Promise<SooCheckpoint> {
    const optimizer = (await this.#opt.getWeights()).map((w) => Float32Array.from(w.tensor.dataSync())); // the step count is int32
    return {
      config: this.config,
      state: { ...this.#state, rng: this.#rngStates() },
      blue: this.blue.weights(),
      frozenBlue: this.frozenBlue.weights(),
      red: this.red.weights(),
      optimizer,
    };
  }

  /** One fine-tuning step on batches from the buffers; returns the two terms (before the step). */
  update(): { soo: number; capability: number } {
    const c = this.config;
    const n = c.batchSize;
    const self = new Float32Array(n * BLUE_OBS_DIM);
    const other = new Float32Array(n * BLUE_OBS_DIM);
    const all = new Float32Array(n * BLUE_OBS_DIM);
    const tmp = new Float32Array(BLUE_OBS_DIM);
    for (let b = 0; b < n; b++) {
      const o = this.#alone.sample(this.#rng.sample);
      self.set(o, b * BLUE_OBS_DIM);
      other.set(withSyntheticRed(o, this.#rng.sample, tmp), b * BLUE_OBS_DIM);
      all.set(this.#all.sample(this.#rng.sample), b * BLUE_OBS_DIM);
    }
    const terms = tf.tidy(() => {
      const xs = tf.tensor2d(self, [n, BLUE_OBS_DIM]);
      const xo = tf.tensor2d(other, [n, BLUE_OBS_DIM]);
      const xa = tf.tensor2d(all, [n, BLUE_OBS_DIM]);
      const target = tf.tanh(this.frozenBlue.forward(xa).out);
      // The terms are kept out of variableGrads' own scope (tf.keep) to be read after the step.
      const kept: tf.Scalar[] = [];
      const { grads } = tf.variableGrads(() => {
        const s = this.blue.forward(xs);
        const o = this.blue.forward(xo);
        const sooTerm = tf.mean(tf.square(tf.sub(tf.concat([s.h1, s.h2], 1), tf.concat([o.h1, o.h2], 1)))) as tf.Scalar;
        const capTerm = tf.mean(tf.square(tf.sub(tf.tanh(this.blue.forward(xa).out), target))) as tf.Scalar;
        kept.push(tf.keep(sooTerm), tf.keep(capTerm));
        return tf.add(tf.mul(c.sooWeight, sooTerm), tf.mul(c.capabilityWeight, capTerm)) as tf.Scalar;
      }, this.blue.vars);
      this.#opt.applyGradients(clipEach(grads, c.gradClip));
      const values = kept.map((t) => t.dataSync()[0]!);
      for (const t of kept) t.dispose();
      return values;
    });
    this.blue.markStale();
    this.#state.updates++;
    return { soo: terms[0]!, capability: terms[1]! };
  }

  async run(options: SooRunOptions = {}): Promise<SooState> {
    const c = this.config;
    const s = this.#state;
    const noise = new OuNoise(2, c.noiseStart);
    const window = new EpisodeWindow();
    let terms = { soo: NaN, capability: NaN };
    const started = performance.now();
    const redAct = (o: Float32Array, out: Float32Array) => {
      this.red.forwardJs(o, out);
      for (let k = 0; k < 2; k++) out[k] = Math.tanh(out[k]!);
    };
    while (s.episode < c.episodes) {
      options.signal?.throwIfAborted();
      const sigma = noiseSigma(s.episode, c.episodes, c.noiseStart, c.noiseEnd);
      noise.sigma = sigma;
      noise.reset();
      const stats = runEpisode(this.#env, this.#rng.env, c.episodeLength, redAct, (o, out) => {
        this.blue.forwardJs(o, out);
        for (let k = 0; k < 2; k++) out[k] = Math.tanh(out[k]!);
        noise.addTo(out, this.#rng.noise);
        clip(out);
      }, (r) => {
        this.#all.add(r.obsBlue);
        if (redOutOfSight(r.obsBlue)) this.#alone.add(r.obsBlue);
        s.totalSteps++;
        if (s.totalSteps % c.updateEvery === 0 && this.#alone.size >= Math.min(c.warmupSteps, c.bufferSize)) terms = this.update();
      });
      s.episode++;
      window.add(stats);
      if (window.count >= c.logEvery || s.episode === c.episodes) {
        options.onWindow?.({ ...window.means(), episode: s.episode, updates: s.updates, sigma, sooTerm: terms.soo, capabilityTerm: terms.capability, seconds: (performance.now() - started) / 1000 });
        window.reset();
      }
      if (s.episode % c.checkpointEvery === 0 || s.episode === c.episodes) await options.onCheckpoint?.(await this.checkpoint());
      if (s.episode % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return { ...s, rng: this.#rngStates() };
  }

  dispose(): void {
    this.blue.dispose();
    this.frozenBlue.dispose();
    this.red.dispose();
    this.#opt.dispose();
  }

  #rngStates(): SooState['rng'] {
    return { env: this.#rng.env.state(), noise: this.#rng.noise.state(), sample: this.#rng.sample.state() };
  }
}

/** A ring of blue observations (capacity x 10 floats), sampled uniformly with replacement. */
class ObsRing {
  readonly #data: Float32Array;
  readonly #capacity: number;
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
    this.#data = new Float32Array(capacity * BLUE_OBS_DIM);
  }

  get size(): number {
    return this.#size;
  }

  add(obs: ArrayLike<number>): void {
    this.#data.set(obs as ArrayLike<number>, this.#next * BLUE_OBS_DIM);
    this.#next = (this.#next + 1) % this.#capacity;
    this.#size = Math.min(this.#size + 1, this.#capacity);
  }

  sample(rng: Rng): Float32Array {
    const i = rng.int(this.#size);
    return this.#data.subarray(i * BLUE_OBS_DIM, (i + 1) * BLUE_OBS_DIM);
  }
}
