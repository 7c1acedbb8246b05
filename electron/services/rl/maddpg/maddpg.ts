/**
 * MADDPG (Lowe et al. 2017) for the two agents of the deception environment: one deterministic actor
 * per agent on its own observation (tanh output), one centralized critic per agent on every
 * observation and every action, target copies of both, Adam, per-variable gradient clipping.
 *
 * One `update(batch)` = for red then blue: a critic step towards r_i + gamma Q_i'(o', mu'(o')) (no
 * terminal mask: episodes are truncated, not terminated), then an actor step maximising
 * Q_i(o, a_i = mu_i(o_i), a_-i from the batch) with a small penalty on the pre-tanh outputs (as the
 * reference implementation's 1e-3 regulariser); then every target moves by tau. The critic input is
 * [obsRed (6), obsBlue (10), actRed (2), actBlue (2)] = 20.
 * Gradients come from TensorFlow.js (`tf.variableGrads`); nothing is differentiated by hand.
 * Does not run episodes (see ../train.ts) and does not own the replay buffer.
 */
import { tf } from '../tf.ts';
import { ACTION_DIM, BLUE_OBS_DIM, RED_OBS_DIM } from '../env.ts';
import { Rng } from '../rng.ts';
import { Mlp, type MlpWeights } from './mlp.ts';
import { COL, TRANSITION_WIDTH } from './replay.ts';

export const CRITIC_IN = RED_OBS_DIM + BLUE_OBS_DIM + 2 * ACTION_DIM;

export interface MaddpgSettings {
  /** Discount. Published: 0.95. */
  gamma: number;
  /** Target update rate. Published: 0.01. */
  tau: number;
  /** Adam learning rate of actors and critics. Published: 0.01. */
  lr: number;
  /** Each gradient is clipped to this L2 norm, per variable. Published: 0.5. */
  gradClip: number;
  /** Weight of mean(pre-tanh output^2) in the actor loss. Defaults to 1e-3. */
  actionReg: number;
}

export const AGENTS = ['red', 'blue'] as const;
export type AgentName = (typeof AGENTS)[number];

export class AgentNets {
  readonly actor: Mlp;
  readonly critic: Mlp;
  readonly targetActor: Mlp;
  readonly targetCritic: Mlp;
  readonly actorOpt: tf.AdamOptimizer;
  readonly criticOpt: tf.AdamOptimizer;

  constructor(readonly name: AgentName, obsDim: number, lr: number, rng: Rng) {
    this.actor = new Mlp(obsDim, ACTION_DIM, rng, `${name}/actor`);
    this.critic = new Mlp(CRITIC_IN, 1, rng, `${name}/critic`);
    this.targetActor = new Mlp(obsDim, ACTION_DIM, rng, `${name}/target_actor`);
    this.targetCritic = new Mlp(CRITIC_IN, 1, rng, `${name}/target_critic`);
    this.targetActor.softUpdateFrom(this.actor, 1);
    this.targetCritic.softUpdateFrom(this.critic, 1);
    this.actorOpt = tf.train.adam(lr);
    this.criticOpt = tf.train.adam(lr);
  }

  /** Deterministic action (tanh of the actor output) for one observation, computed in JS. */
  act(obs: ArrayLike<number>, out: Float32Array): void {
    this.actor.forwardJs(obs, out);
    for (let k = 0; k < out.length; k++) out[k] = Math.tanh(out[k]!);
  }

  dispose(): void {
    for (const m of [this.actor, this.critic, this.targetActor, this.targetCritic]) m.dispose();
    this.actorOpt.dispose();
    this.criticOpt.dispose();
  }
}

export interface UpdateLosses {
  criticRed: number;
  criticBlue: number;
  actorRed: number;
  actorBlue: number;
}

export interface AgentCheckpoint {
  actor: MlpWeights;
  critic: MlpWeights;
  targetActor: MlpWeights;
  targetCritic: MlpWeights;
  /** Adam state (step count, moments) of actor and critic, in tfjs's getWeights() order. */
  actorOpt: Float32Array[];
  criticOpt: Float32Array[];
}

export class Maddpg {
  readonly settings: MaddpgSettings;
  readonly red: AgentNets;
  readonly blue: AgentNets;

  constructor(settings: MaddpgSettings, seed: number) {
    this.settings = { ...settings };
    const rng = Rng.create(seed, 101);
    this.red = new AgentNets('red', RED_OBS_DIM, settings.lr, rng);
    this.blue = new AgentNets('blue', BLUE_OBS_DIM, settings.lr, rng);
  }

  /** One MADDPG update of both agents on `batch` ([n, TRANSITION_WIDTH] rows from the replay). */
  update(batch: Float32Array): UpdateLosses {
    const n = batch.length / TRANSITION_WIDTH;
    const { gamma, gradClip, actionReg } = this.settings;
    const losses = tf.tidy(() => {
      const data = tf.tensor2d(batch, [n, TRANSITION_WIDTH]);
      const cols = (start: number, width: number) => tf.slice(data, [0, start], [n, width]) as tf.Tensor2D;
      const obsRed = cols(COL.obsRed, RED_OBS_DIM);
      const obsBlue = cols(COL.obsBlue, BLUE_OBS_DIM);
      const actRed = cols(COL.actRed, ACTION_DIM);
      const actBlue = cols(COL.actBlue, ACTION_DIM);
      const rewards = { red: cols(COL.rewardRed, 1), blue: cols(COL.rewardBlue, 1) };
      const nextObsRed = cols(COL.nextObsRed, RED_OBS_DIM);
      const nextObsBlue = cols(COL.nextObsBlue, BLUE_OBS_DIM);
      const nextActRed = tf.tanh(this.red.targetActor.forward(nextObsRed).out);
      const nextActBlue = tf.tanh(this.blue.targetActor.forward(nextObsBlue).out);
      const nextCriticIn = tf.concat([nextObsRed, nextObsBlue, nextActRed, nextActBlue], 1) as tf.Tensor2D;
      const criticIn = tf.concat([obsRed, obsBlue, actRed, actBlue], 1) as tf.Tensor2D;
      const out: number[] = [];
      for (const agent of [this.red, this.blue]) {
        const y = tf.add(rewards[agent.name], tf.mul(gamma, agent.targetCritic.forward(nextCriticIn).out));
        const critic = tf.variableGrads(() => tf.mean(tf.square(tf.sub(agent.critic.forward(criticIn).out, y))) as tf.Scalar, agent.critic.vars);
        agent.criticOpt.applyGradients(clipEach(critic.grads, gradClip));
        const actor = tf.variableGrads(() => {
          const own = agent.name === 'red' ? obsRed : obsBlue;
          const logits = agent.actor.forward(own).out;
          const a = tf.tanh(logits);
          const input = tf.concat(agent.name === 'red' ? [obsRed, obsBlue, a, actBlue] : [obsRed, obsBlue, actRed, a], 1) as tf.Tensor2D;
          const q = agent.critic.forward(input).out;
          return tf.add(tf.neg(tf.mean(q)), tf.mul(actionReg, tf.mean(tf.square(logits)))) as tf.Scalar;
        }, agent.actor.vars);
        agent.actorOpt.applyGradients(clipEach(actor.grads, gradClip));
        out.push(critic.value.dataSync()[0]!, actor.value.dataSync()[0]!);
      }
      return out;
    });
    for (const agent of [this.red, this.blue]) {
      agent.actor.markStale();
      agent.critic.markStale();
      agent.targetActor.softUpdateFrom(agent.actor, this.settings.tau);
      agent.targetCritic.softUpdateFrom(agent.critic, this.settings.tau);
    }
    return { criticRed: losses[0]!, actorRed: losses[1]!, criticBlue: losses[2]!, actorBlue: losses[3]! };
  }

  async checkpoint(): Promise<Record<AgentName, AgentCheckpoint>> {
    const one = async (a: AgentNets): Promise<AgentCheckpoint> => ({
      actor: a.actor.weights(),
      critic: a.critic.weights(),
      targetActor: a.targetActor.weights(),
      targetCritic: a.targetCritic.weights(),
      actorOpt: await optimizerState(a.actorOpt),
      criticOpt: await optimizerState(a.criticOpt),
    });
    return { red: await one(this.red), blue: await one(this.blue) };
  }

  async restore(state: Record<AgentName, AgentCheckpoint>): Promise<void> {
    for (const a of [this.red, this.blue]) {
      const s = state[a.name];
      a.actor.load(s.actor);
      a.critic.load(s.critic);
      a.targetActor.load(s.targetActor);
      a.targetCritic.load(s.targetCritic);
      await restoreOptimizer(a.actorOpt, s.actorOpt, a.actor);
      await restoreOptimizer(a.criticOpt, s.criticOpt, a.critic);
    }
  }

  dispose(): void {
    this.red.dispose();
    this.blue.dispose();
  }
}

/** Scales each gradient to L2 norm <= clip (per variable, as the reference implementation). */
export function clipEach(grads: tf.NamedTensorMap, clip: number): { name: string; tensor: tf.Tensor }[] {
  return Object.entries(grads).map(([name, g]) => ({ name, tensor: tf.mul(g, tf.div(clip, tf.maximum(tf.norm(g), clip))) }));
}

async function optimizerState(opt: tf.AdamOptimizer): Promise<Float32Array[]> {
  const weights = await opt.getWeights();
  return weights.map((w) => Float32Array.from(w.tensor.dataSync())); // the step count is int32
}

/** Restores Adam state saved by optimizerState (positional, as tfjs's setWeights); [] = fresh. */
async function restoreOptimizer(opt: tf.AdamOptimizer, state: Float32Array[], net: Mlp): Promise<void> {
  if (state.length === 0) return;
  // getWeights() order: iterations, then first moments of each variable, then second moments.
  const shapes: number[][] = [[], ...net.vars.map((v) => v.shape), ...net.vars.map((v) => v.shape)];
  if (state.length !== shapes.length) throw new Error(`optimizer state has ${state.length} tensors, expected ${shapes.length}`);
  await opt.setWeights(state.map((data, i) => ({ name: `s${i}`, tensor: tf.tensor(data, shapes[i]!) })));
}
