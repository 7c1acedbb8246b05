/**
 * MADDPG training of both agents (the deceptive and honest baselines): the episode loop around
 * maddpg/maddpg.ts. Per step: actions from the actors (JS mirror) plus OU noise, one env step, one
 * replay row; every `updateEvery` steps once the replay holds `warmupSteps`: one MADDPG update on a
 * batch. Per `logEvery` episodes: a window of episode means (onWindow). Per `checkpointEvery`
 * episodes and after the last: a checkpoint (onCheckpoint), from which `resume` continues.
 *
 * Resume restores the networks, Adam state, episode and step counters and every random stream; the
 * replay buffer is not saved (1e6 rows are 150 MB), so a resumed run refills it (`warmupSteps`)
 * before updating again. Cancelling through `signal` stops after the current episode and throws the
 * signal's reason; the caller saves a checkpoint first if it wants one (onCheckpoint is called).
 */
import { DeceptionEnv } from './env.ts';
import { Rng, type RngState } from './rng.ts';
import { Maddpg, type AgentCheckpoint, type AgentName, type UpdateLosses } from './maddpg/maddpg.ts';
import { ReplayBuffer } from './maddpg/replay.ts';
import { OuNoise, noiseSigma } from './maddpg/noise.ts';
import { EpisodeWindow, runEpisode, type WindowMeans } from './rollout.ts';
import type { TrainConfig } from './config.ts';

export const MADDPG_CHECKPOINT = 'soo-lab-rl-maddpg';

export interface TrainState {
  /** Episodes done. */
  episode: number;
  totalSteps: number;
  updates: number;
  rng: { env: RngState; noise: RngState; sample: RngState };
}

export interface MaddpgCheckpoint {
  config: TrainConfig;
  state: TrainState;
  nets: Record<AgentName, AgentCheckpoint>;
}

export interface TrainWindow extends WindowMeans {
  /** Episodes done at the end of this window. */
  episode: number;
  updates: number;
  sigma: number;
  /** The last update's losses (NaN before the first update). */
  losses: UpdateLosses;
  seconds: number;
}

export interface TrainRunOptions {
  signal?: AbortSignal;
  onWindow?: (w: TrainWindow) => void;
  onCheckpoint?: (c: MaddpgCheckpoint) => Promise<void> | void;
}

const NO_LOSSES: UpdateLosses = { criticRed: NaN, criticBlue: NaN, actorRed: NaN, actorBlue: NaN };

export class MaddpgTrainer {
  readonly config: TrainConfig;
  readonly maddpg: Maddpg;
  readonly #env: DeceptionEnv;
  readonly #replay: ReplayBuffer;
  #state: TrainState;
  #rng: { env: Rng; noise: Rng; sample: Rng };

  private constructor(config: TrainConfig) {
    this.config = config;
    this.maddpg = new Maddpg(config, config.seed);
    this.#env = new DeceptionEnv({ deceptiveBonus: config.mode === 'deceptive' });
    this.#replay = new ReplayBuffer(Math.min(config.replaySize, config.episodes * config.episodeLength));
    this.#rng = { env: Rng.create(config.seed, 1), noise: Rng.create(config.seed, 2), sample: Rng.create(config.seed, 3) };
    this.#state = { episode: 0, totalSteps: 0, updates: 0, rng: this.#rngStates() };
  }

  static create(config: TrainConfig): MaddpgTrainer {
    return new MaddpgTrainer(config);
  }

  /** A trainer continuing `checkpoint` (same config; `episodes` may be raised to train longer). */
  static async resume(checkpoint: MaddpgCheckpoint, episodes = checkpoint.config.episodes): Promise<MaddpgTrainer> {
    const t = new MaddpgTrainer({ ...checkpoint.config, episodes });
    await t.maddpg.restore(checkpoint.nets);
    t.#state = structuredClone(checkpoint.state);
    t.#rng = { env: Rng.fromState(t.#state.rng.env), noise: Rng.fromState(t.#state.rng.noise), sample: Rng.fromState(t.#state.rng.sample) };
    return t;
  }

  get state(): TrainState {
    return { ...this.#state, rng: this.#rngStates() };
  }

  async checkpoint(): Promise<MaddpgCheckpoint> {
    return { config: this.config, state: this.state, nets: await this.maddpg.checkpoint() };
  }

  async run(options: TrainRunOptions = {}): Promise<TrainState> {
    const { signal } = options;
    const c = this.config;
    const noise = { red: new OuNoise(2, c.noiseStart), blue: new OuNoise(2, c.noiseStart) };
    const window = new EpisodeWindow();
    let losses = NO_LOSSES;
    const started = performance.now();
    const s = this.#state;
    const { red, blue } = this.maddpg;
    while (s.episode < c.episodes) {
      signal?.throwIfAborted();
      const sigma = noiseSigma(s.episode, c.episodes, c.noiseStart, c.noiseEnd);
      noise.red.sigma = sigma;
      noise.blue.sigma = sigma;
      noise.red.reset();
      noise.blue.reset();
      const stats = runEpisode(
        this.#env,
        this.#rng.env,
        c.episodeLength,
        (o, out) => {
          red.act(o, out);
          noise.red.addTo(out, this.#rng.noise);
          clip(out);
        },
        (o, out) => {
          blue.act(o, out);
          noise.blue.addTo(out, this.#rng.noise);
          clip(out);
        },
        (r) => {
          this.#replay.add({
            obsRed: r.obsRed, obsBlue: r.obsBlue, actRed: r.actRed, actBlue: r.actBlue,
            rewardRed: r.result.rewardRed, rewardBlue: r.result.rewardBlue,
            nextObsRed: r.result.obsRed, nextObsBlue: r.result.obsBlue,
          });
          s.totalSteps++;
          if (s.totalSteps % c.updateEvery === 0 && this.#replay.size >= Math.min(c.warmupSteps, this.#replay.capacity)) {
            losses = this.maddpg.update(this.#replay.sample(c.batchSize, this.#rng.sample));
            s.updates++;
          }
        },
      );
      s.episode++;
      window.add(stats);
      if (window.count >= c.logEvery || s.episode === c.episodes) {
        options.onWindow?.({ ...window.means(), episode: s.episode, updates: s.updates, sigma, losses, seconds: (performance.now() - started) / 1000 });
        window.reset();
      }
      if (s.episode % c.checkpointEvery === 0 || s.episode === c.episodes) await options.onCheckpoint?.(await this.checkpoint());
      if (s.episode % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    return this.state;
  }

  dispose(): void {
    this.maddpg.dispose();
  }

  #rngStates(): TrainState['rng'] {
    return { env: this.#rng.env.state(), noise: this.#rng.noise.state(), sample: this.#rng.sample.state() };
  }
}

export function clip(a: Float32Array): void {
  for (let k = 0; k < a.length; k++) a[k] = Math.max(-1, Math.min(1, a[k]!));
}
