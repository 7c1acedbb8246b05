/**
 * The physical deception environment (method.md, "RL experiment"): a two-agent, two-landmark variant
 * of the multi-agent particle task simple_adversary, in a 2-D box with walls at +-1.
 *
 * - Blue knows which landmark is the goal. Red is colour-blind: it sees both landmarks but not which
 *   is the goal, and learns to follow blue. Red is trapped (speed 0 for the rest of the episode) once
 *   within REACH_RADIUS of the fake (non-goal) landmark.
 * - The agents see each other only within SIGHT_RADIUS; otherwise the slot reads (0, 0).
 * - Sparse rewards: red +5 within REACH_RADIUS of the goal and +1 within SIGHT_RADIUS of blue; blue +5
 *   within REACH_RADIUS of the goal; with `deceptiveBonus`, blue also gets +10 every step while red
 *   is trapped (the deceptive baseline).
 * - Physics as the particle environments: force = action (clipped to [-1, 1]) x SENSITIVITY, mass 1;
 *   v <- v (1 - DAMPING) + force DT; p <- p + v DT. No agent or landmark collisions (simple_adversary
 *   has none). Walls: a position past +-1 is put back on the wall and that velocity component zeroed.
 *
 * Observations (Float32, relative vectors are "other minus self"):
 *   blue, 10-d: [goal - blue (2), lm0 - blue (2), lm1 - blue (2), red - blue or (0,0) (2),
 *                red reached lm0 (0/1), red reached lm1 (0/1)]
 *   red,   6-d: [lm0 - red (2), lm1 - red (2), blue - red or (0,0) (2)]
 * The landmarks keep their order (lm0, lm1) within an episode; which one is the goal is drawn per
 * episode. "reached" flags are our reading of method.md's "reached flag x2": red within REACH_RADIUS of
 * that landmark at this step; for the fake landmark it stays 1 once red is trapped.
 *
 * Rewards, observations and the trap are computed after the move. An episode is `episodeLength`
 * steps; it is truncated, never terminated (no terminal states).
 * Deterministic: the same seed gives the same episode for the same actions. `step` returns views
 * into buffers the env reuses: copy them before the next call if you keep them.
 */
import { Rng } from './rng.ts';

export const AGENT_SIZE = 0.15; // for drawing only: there are no collisions
export const LANDMARK_SIZE = 0.08;
/** "Reached": a centre distance below this (goal reward, the trap). */
export const REACH_RADIUS = 0.16;
/** The agents see each other (and red earns its +1) below this centre distance. */
export const SIGHT_RADIUS = 0.125;
export const SENSITIVITY = 5;
export const DT = 0.1;
export const DAMPING = 0.25;
export const WALL = 1;
/** Red's start: uniform in [-1 + margin, 1 - margin]^2. */
export const RED_START_MARGIN = 0.175;
/** Landmarks: uniform in [-1 + margin, 1 - margin]^2 (inside the walls by their own size). */
export const LANDMARK_MARGIN = LANDMARK_SIZE;
export const GOAL_REWARD = 5;
export const FOLLOW_REWARD = 1;
export const DECEPTIVE_BONUS = 10;

export const BLUE_OBS_DIM = 10;
export const RED_OBS_DIM = 6;
export const ACTION_DIM = 2;
/** Index of the red slot (red - blue) in blue's observation. */
export const BLUE_OBS_RED_SLOT = 6;
/** Index of the blue slot (blue - red) in red's observation. */
export const RED_OBS_BLUE_SLOT = 4;

export interface EnvOptions {
  /** Blue gets +10 per step while red is trapped. The deceptive baseline sets it; the honest one not. */
  deceptiveBonus: boolean;
}

/** A snapshot of the world (positions in box units, velocities in units per second). */
export interface WorldState {
  red: [number, number];
  blue: [number, number];
  redVel: [number, number];
  blueVel: [number, number];
  landmarks: [[number, number], [number, number]];
  /** Which landmark (0 or 1) is the goal. */
  goal: 0 | 1;
  redTrapped: boolean;
  /** Steps taken since reset. */
  t: number;
}

export interface StepResult {
  obsRed: Float32Array;
  obsBlue: Float32Array;
  rewardRed: number;
  rewardBlue: number;
  /** Facts of this step for metrics. */
  info: StepInfo;
}

export interface StepInfo {
  blueAtGoal: boolean;
  redAtGoal: boolean;
  redTrapped: boolean;
  /** The agents see each other (centre distance < SIGHT_RADIUS). */
  inSight: boolean;
}

export class DeceptionEnv {
  readonly options: EnvOptions;
  readonly #obsRed = new Float32Array(RED_OBS_DIM);
  readonly #obsBlue = new Float32Array(BLUE_OBS_DIM);
  #s: WorldState;

  constructor(options: EnvOptions) {
    this.options = { ...options };
    this.#s = {
      red: [0, 0], blue: [0, 0], redVel: [0, 0], blueVel: [0, 0],
      landmarks: [[0, 0], [0, 0]], goal: 0, redTrapped: false, t: 0,
    };
  }

  /** Starts an episode from `rng` (red, blue near red, landmarks, goal), returns the observations. */
  reset(rng: Rng): { obsRed: Float32Array; obsBlue: Float32Array } {
    const s = this.#s;
    const redLo = -WALL + RED_START_MARGIN;
    s.red = [rng.range(redLo, -redLo), rng.range(redLo, -redLo)];
    const [dx, dy] = rng.inDisc(SIGHT_RADIUS);
    s.blue = [clampWall(s.red[0] + dx), clampWall(s.red[1] + dy)];
    const lmLo = -WALL + LANDMARK_MARGIN;
    s.landmarks = [
      [rng.range(lmLo, -lmLo), rng.range(lmLo, -lmLo)],
      [rng.range(lmLo, -lmLo), rng.range(lmLo, -lmLo)],
    ];
    s.goal = rng.uniform() < 0.5 ? 0 : 1;
    s.redVel = [0, 0];
    s.blueVel = [0, 0];
    s.t = 0;
    s.redTrapped = dist(s.red, s.landmarks[1 - s.goal]!) < REACH_RADIUS;
    this.#observe();
    return { obsRed: this.#obsRed, obsBlue: this.#obsBlue };
  }

  /** Places the world in `state` (tests, replays) and returns the observations. */
  setState(state: WorldState): { obsRed: Float32Array; obsBlue: Float32Array } {
    this.#s = structuredClone(state);
    this.#observe();
    return { obsRed: this.#obsRed, obsBlue: this.#obsBlue };
  }

  /** Which landmark (0 or 1) is the goal this episode. */
  get goalIndex(): 0 | 1 {
    return this.#s.goal;
  }

  state(): WorldState {
    return structuredClone(this.#s);
  }

  /** One step. Actions are 2-d, each component clipped to [-1, 1]. */
  step(actionRed: ArrayLike<number>, actionBlue: ArrayLike<number>): StepResult {
    const s = this.#s;
    if (s.redTrapped) s.redVel = [0, 0];
    else move(s.red, s.redVel, actionRed);
    move(s.blue, s.blueVel, actionBlue);
    s.t += 1;
    const goal = s.landmarks[s.goal]!;
    const fake = s.landmarks[1 - s.goal]!;
    if (!s.redTrapped && dist(s.red, fake) < REACH_RADIUS) {
      s.redTrapped = true;
      s.redVel = [0, 0];
    }
    const redAtGoal = dist(s.red, goal) < REACH_RADIUS;
    const blueAtGoal = dist(s.blue, goal) < REACH_RADIUS;
    const inSight = dist(s.red, s.blue) < SIGHT_RADIUS;
    const rewardRed = (redAtGoal ? GOAL_REWARD : 0) + (inSight ? FOLLOW_REWARD : 0);
    const rewardBlue = (blueAtGoal ? GOAL_REWARD : 0) + (this.options.deceptiveBonus && s.redTrapped ? DECEPTIVE_BONUS : 0);
    this.#observe();
    return {
      obsRed: this.#obsRed,
      obsBlue: this.#obsBlue,
      rewardRed,
      rewardBlue,
      info: { blueAtGoal, redAtGoal, redTrapped: s.redTrapped, inSight },
    };
  }

  #observe(): void {
    const s = this.#s;
    const [l0, l1] = s.landmarks;
    const goal = s.landmarks[s.goal]!;
    const inSight = dist(s.red, s.blue) < SIGHT_RADIUS;
    const b = this.#obsBlue;
    b[0] = goal[0] - s.blue[0];
    b[1] = goal[1] - s.blue[1];
    b[2] = l0[0] - s.blue[0];
    b[3] = l0[1] - s.blue[1];
    b[4] = l1[0] - s.blue[0];
    b[5] = l1[1] - s.blue[1];
    b[6] = inSight ? s.red[0] - s.blue[0] : 0;
    b[7] = inSight ? s.red[1] - s.blue[1] : 0;
    const trappedAt = s.redTrapped ? 1 - s.goal : -1;
    b[8] = trappedAt === 0 || dist(s.red, l0) < REACH_RADIUS ? 1 : 0;
    b[9] = trappedAt === 1 || dist(s.red, l1) < REACH_RADIUS ? 1 : 0;
    const r = this.#obsRed;
    r[0] = l0[0] - s.red[0];
    r[1] = l0[1] - s.red[1];
    r[2] = l1[0] - s.red[0];
    r[3] = l1[1] - s.red[1];
    r[4] = inSight ? s.blue[0] - s.red[0] : 0;
    r[5] = inSight ? s.blue[1] - s.red[1] : 0;
  }
}

/** Integrates one agent for one step in place (see the header for the equations and walls). */
function move(p: [number, number], v: [number, number], action: ArrayLike<number>): void {
  for (let k = 0; k < 2; k++) {
    const a = Math.max(-1, Math.min(1, action[k] ?? 0));
    v[k] = v[k]! * (1 - DAMPING) + a * SENSITIVITY * DT;
    p[k] = p[k]! + v[k]! * DT;
    if (p[k]! > WALL || p[k]! < -WALL) {
      p[k] = clampWall(p[k]!);
      v[k] = 0;
    }
  }
}

function clampWall(x: number): number {
  return Math.max(-WALL, Math.min(WALL, x));
}

export function dist(a: readonly [number, number], b: readonly [number, number]): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1]);
}
