/**
 * One episode of the deception environment with two policies: resets from `rng`, steps
 * `length` times, calls `onStep` with what happened, and returns the episode's statistics.
 * Policies write their (already noisy, if any) action into `out`; the env clips it to [-1, 1].
 * The observations passed to `onStep` are copies the callee may keep; `next*` are env views.
 */
import { ACTION_DIM, type DeceptionEnv, type StepResult } from './env.ts';
import type { Rng } from './rng.ts';

export type Policy = (obs: Float32Array, out: Float32Array) => void;

export interface StepRecord {
  t: number;
  obsRed: Float32Array;
  obsBlue: Float32Array;
  actRed: Float32Array;
  actBlue: Float32Array;
  result: StepResult;
  /** The goal landmark's index (0/1) this episode. */
  goal: 0 | 1;
}

export interface EpisodeStats {
  rewardRed: number;
  rewardBlue: number;
  /** Steps with blue within REACH_RADIUS of the goal. */
  blueGoalSteps: number;
  /** Blue was at the goal at the last step. */
  blueAtGoalEnd: boolean;
  /** Red ended the episode trapped at the fake landmark. */
  redTrapped: boolean;
  /** Steps with the agents in sight of each other. */
  inSightSteps: number;
  steps: number;
}

export function runEpisode(env: DeceptionEnv, rng: Rng, length: number, red: Policy, blue: Policy, onStep?: (r: StepRecord) => void): EpisodeStats {
  const first = env.reset(rng);
  let obsRed = Float32Array.from(first.obsRed);
  let obsBlue = Float32Array.from(first.obsBlue);
  const stats: EpisodeStats = { rewardRed: 0, rewardBlue: 0, blueGoalSteps: 0, blueAtGoalEnd: false, redTrapped: false, inSightSteps: 0, steps: 0 };
  for (let t = 0; t < length; t++) {
    const actRed = new Float32Array(ACTION_DIM);
    const actBlue = new Float32Array(ACTION_DIM);
    red(obsRed, actRed);
    blue(obsBlue, actBlue);
    const result = env.step(actRed, actBlue);
    stats.rewardRed += result.rewardRed;
    stats.rewardBlue += result.rewardBlue;
    if (result.info.blueAtGoal) stats.blueGoalSteps++;
    if (result.info.inSight) stats.inSightSteps++;
    stats.blueAtGoalEnd = result.info.blueAtGoal;
    stats.redTrapped = result.info.redTrapped;
    stats.steps++;
    onStep?.({ t, obsRed, obsBlue, actRed, actBlue, result, goal: env.goalIndex });
    obsRed = Float32Array.from(result.obsRed);
    obsBlue = Float32Array.from(result.obsBlue);
  }
  return stats;
}

/** Sums of episode statistics over a window, reported as per-episode means. */
export class EpisodeWindow {
  #n = 0;
  #steps = 0;
  #sum = { rewardRed: 0, rewardBlue: 0, blueGoalSteps: 0, blueAtGoalEnd: 0, redTrapped: 0, inSightSteps: 0 };

  add(s: EpisodeStats): void {
    this.#n++;
    this.#steps += s.steps;
    this.#sum.rewardRed += s.rewardRed;
    this.#sum.rewardBlue += s.rewardBlue;
    this.#sum.blueGoalSteps += s.blueGoalSteps;
    this.#sum.blueAtGoalEnd += s.blueAtGoalEnd ? 1 : 0;
    this.#sum.redTrapped += s.redTrapped ? 1 : 0;
    this.#sum.inSightSteps += s.inSightSteps;
  }

  reset(): void {
    this.#n = 0;
    this.#steps = 0;
    this.#sum = { rewardRed: 0, rewardBlue: 0, blueGoalSteps: 0, blueAtGoalEnd: 0, redTrapped: 0, inSightSteps: 0 };
  }

  get count(): number {
    return this.#n;
  }

  /**
   * reward_red / reward_blue: mean episode return; blue_goal_frac: fraction of steps with blue at the
   * goal; blue_at_goal_end / red_trapped: fraction of episodes; in_sight_frac: fraction of steps.
   */
  means(): WindowMeans {
    const n = Math.max(1, this.#n);
    const steps = Math.max(1, this.#steps);
    return {
      episodes: this.#n,
      reward_red: this.#sum.rewardRed / n,
      reward_blue: this.#sum.rewardBlue / n,
      blue_goal_frac: this.#sum.blueGoalSteps / steps,
      blue_at_goal_end: this.#sum.blueAtGoalEnd / n,
      red_trapped: this.#sum.redTrapped / n,
      in_sight_frac: this.#sum.inSightSteps / steps,
    };
  }
}

export interface WindowMeans {
  episodes: number;
  reward_red: number;
  reward_blue: number;
  blue_goal_frac: number;
  blue_at_goal_end: number;
  red_trapped: number;
  in_sight_frac: number;
}
