/**
 * The deception environment against the rules of method.md ("RL experiment"), each test building
 * its expected numbers from the rule itself (not from the env's code): physics constants and walls,
 * the trap, the sight radius, the sparse rewards with and without the deceptive bonus, the
 * observation layout, the start distribution, and determinism per seed.
 */
import { describe, expect, it } from 'vitest';
import { DeceptionEnv, type WorldState } from '../../../electron/services/rl/env.ts';
import { Rng } from '../../../electron/services/rl/rng.ts';

/** A world with red and blue far apart and away from both landmarks; tests move what they need. */
function world(over: Partial<WorldState> = {}): WorldState {
  return {
    red: [-0.5, -0.5], blue: [0.5, 0.5], redVel: [0, 0], blueVel: [0, 0],
    landmarks: [[0.8, -0.8], [-0.8, 0.8]], goal: 0, redTrapped: false, t: 0, ...over,
  };
}

const still = [0, 0];

describe('physics', () => {
  it('integrates v <- 0.75 v + 5 a dt, p <- p + v dt with dt 0.1, and clips actions to [-1, 1]', () => {
    const env = new DeceptionEnv({ deceptiveBonus: false });
    env.setState(world({ blue: [0, 0], blueVel: [0.2, -0.4] }));
    env.step(still, [0.6, 3]); // 3 is clipped to 1
    const s = env.state();
    const vx = 0.2 * 0.75 + 0.6 * 5 * 0.1;
    const vy = -0.4 * 0.75 + 1 * 5 * 0.1;
    expect(s.blueVel[0]).toBeCloseTo(vx, 12);
    expect(s.blueVel[1]).toBeCloseTo(vy, 12);
    expect(s.blue[0]).toBeCloseTo(vx * 0.1, 12);
    expect(s.blue[1]).toBeCloseTo(vy * 0.1, 12);
    // terminal speed with a = 1: v = 0.75 v + 0.5 -> 2 units/s
    for (let i = 0; i < 200; i++) {
      env.setState({ ...env.state(), blue: [0, 0] }); // keep away from the wall
      env.step(still, [1, 0]);
    }
    expect(env.state().blueVel[0]).toBeCloseTo(2, 6);
  });

  it('stops an agent at the walls (+-1) and zeroes that velocity component only', () => {
    const env = new DeceptionEnv({ deceptiveBonus: false });
    env.setState(world({ blue: [0.99, 0], blueVel: [1, 0.5] }));
    env.step(still, [1, 0]);
    const s = env.state();
    expect(s.blue[0]).toBe(1);
    expect(s.blueVel[0]).toBe(0);
    expect(s.blueVel[1]).toBeCloseTo(0.5 * 0.75, 12);
    env.setState(world({ red: [-0.99, -0.99], redVel: [-1, -1] }));
    env.step([-1, -1], still);
    expect(env.state().red).toEqual([-1, -1]);
  });
});

describe('trap', () => {
  it('traps red within 0.16 of the fake landmark: speed 0 for the rest of the episode', () => {
    const env = new DeceptionEnv({ deceptiveBonus: false });
    // goal is landmark 0 at (0.8, -0.8); the fake is landmark 1 at (-0.8, 0.8)
    env.setState(world({ red: [-0.8 + 0.155, 0.8] }));
    expect(env.step(still, still).info.redTrapped).toBe(true);
    const at = env.state().red;
    for (let i = 0; i < 5; i++) env.step([1, -1], still);
    expect(env.state().red).toEqual(at);
    expect(env.state().redVel).toEqual([0, 0]);
  });

  it('does not trap red at 0.165 from the fake, nor near the goal', () => {
    const env = new DeceptionEnv({ deceptiveBonus: false });
    env.setState(world({ red: [-0.8 + 0.165, 0.8] }));
    expect(env.step(still, still).info.redTrapped).toBe(false);
    env.setState(world({ red: [0.8 - 0.05, -0.8] }));
    const r = env.step(still, still);
    expect(r.info.redTrapped).toBe(false);
    expect(r.info.redAtGoal).toBe(true);
    env.step([-1, 0], still);
    expect(env.state().red[0]).toBeLessThan(0.8 - 0.05); // red still moves
  });
});

describe('sight radius 0.125', () => {
  it('fills the other agent slot only below 0.125, else reads (0, 0)', () => {
    const env = new DeceptionEnv({ deceptiveBonus: false });
    const near = env.setState(world({ red: [0, 0], blue: [0.12, 0] }));
    expect([...near.obsBlue.slice(6, 8)]).toEqual([Math.fround(-0.12), 0]);
    expect([...near.obsRed.slice(4, 6)]).toEqual([Math.fround(0.12), 0]);
    const far = env.setState(world({ red: [0, 0], blue: [0.13, 0] }));
    expect([...far.obsBlue.slice(6, 8)]).toEqual([0, 0]);
    expect([...far.obsRed.slice(4, 6)]).toEqual([0, 0]);
    // diagonal: |(0.088, 0.088)| = 0.1245 < 0.125 is in sight; (0.089, 0.089) = 0.1259 is not
    expect(env.setState(world({ red: [0, 0], blue: [0.088, 0.088] })).obsBlue[6]).not.toBe(0);
    expect(env.setState(world({ red: [0, 0], blue: [0.089, 0.089] })).obsBlue[6]).toBe(0);
  });
});

describe('rewards', () => {
  it('blue gets +5 within 0.16 of the goal; red +5 at the goal and +1 within 0.125 of blue', () => {
    const env = new DeceptionEnv({ deceptiveBonus: false });
    env.setState(world({ blue: [0.8 - 0.15, -0.8], red: [0.8, -0.8 + 0.1] }));
    const r = env.step(still, still);
    // red-blue distance: hypot(0.15, 0.1) = 0.18 > 0.125: no follow reward
    expect(r.rewardBlue).toBe(5);
    expect(r.rewardRed).toBe(5);
    env.setState(world({ blue: [0, 0], red: [0.1, 0] }));
    const r2 = env.step(still, still);
    expect(r2.rewardBlue).toBe(0);
    expect(r2.rewardRed).toBe(1);
    env.setState(world({ blue: [0.8 - 0.17, -0.8] }));
    expect(env.step(still, still).rewardBlue).toBe(0);
  });

  it('adds +10 per step while red is trapped only with the deceptive bonus', () => {
    const trapped = world({ red: [-0.8, 0.8], redTrapped: true, blue: [0.8, -0.8] });
    const deceptive = new DeceptionEnv({ deceptiveBonus: true });
    deceptive.setState(trapped);
    expect(deceptive.step(still, still).rewardBlue).toBe(5 + 10);
    expect(deceptive.step(still, still).rewardBlue).toBe(15); // every step
    const honest = new DeceptionEnv({ deceptiveBonus: false });
    honest.setState(trapped);
    expect(honest.step(still, still).rewardBlue).toBe(5);
    // red's rewards do not depend on the bonus
    const redNearBlue = world({ red: [-0.8, 0.8], redTrapped: true, blue: [-0.8 + 0.1, 0.8] });
    deceptive.setState(redNearBlue);
    honest.setState(redNearBlue);
    expect(deceptive.step(still, still).rewardRed).toBe(1);
    expect(honest.step(still, still).rewardRed).toBe(1);
  });
});

describe('observations', () => {
  it('blue: [goal-self, lm0-self, lm1-self, red-self|0, red reached lm0, red reached lm1]; red: [lm0-self, lm1-self, blue-self|0]', () => {
    const env = new DeceptionEnv({ deceptiveBonus: false });
    const s = world({ goal: 1, red: [0.3, 0.2], blue: [0.35, 0.25] });
    const o = env.setState(s);
    const f = (x: number) => Math.fround(x);
    expect([...o.obsBlue]).toEqual([
      f(-0.8 - 0.35), f(0.8 - 0.25), // goal = landmark 1
      f(0.8 - 0.35), f(-0.8 - 0.25),
      f(-0.8 - 0.35), f(0.8 - 0.25),
      f(0.3 - 0.35), f(0.2 - 0.25),
      0, 0,
    ]);
    expect([...o.obsRed]).toEqual([f(0.8 - 0.3), f(-0.8 - 0.2), f(-0.8 - 0.3), f(0.8 - 0.2), f(0.35 - 0.3), f(0.25 - 0.2)]);
    // red trapped at the fake (landmark 0 when the goal is 1): flag 0 set; red at the goal: flag 1
    const trapped = env.setState(world({ goal: 1, red: [0.8, -0.8], redTrapped: true }));
    expect([trapped.obsBlue[8], trapped.obsBlue[9]]).toEqual([1, 0]);
    const atGoal = env.setState(world({ goal: 1, red: [-0.8, 0.75] }));
    expect([atGoal.obsBlue[8], atGoal.obsBlue[9]]).toEqual([0, 1]);
    // red cannot tell the goal: its observation is the same for goal 0 and goal 1
    const a = [...env.setState(world({ goal: 0 })).obsRed];
    expect([...env.setState(world({ goal: 1 })).obsRed]).toEqual(a);
  });
});

describe('episodes', () => {
  it('starts red inside the 0.175 margin, blue within 0.125 of red, landmarks inside the box, both goals', () => {
    const env = new DeceptionEnv({ deceptiveBonus: false });
    const rng = Rng.create(3);
    const goals = new Set<number>();
    for (let i = 0; i < 500; i++) {
      env.reset(rng);
      const s = env.state();
      for (const c of s.red) expect(Math.abs(c)).toBeLessThanOrEqual(1 - 0.175);
      expect(Math.hypot(s.red[0] - s.blue[0], s.red[1] - s.blue[1])).toBeLessThan(0.125);
      for (const l of s.landmarks) for (const c of l) expect(Math.abs(c)).toBeLessThanOrEqual(1);
      goals.add(s.goal);
    }
    expect([...goals].sort()).toEqual([0, 1]);
  });

  it('is deterministic per seed and differs across seeds', () => {
    const trace = (seed: number) => {
      const env = new DeceptionEnv({ deceptiveBonus: true });
      const rng = Rng.create(seed);
      const act = Rng.create(seed, 7);
      const out: number[] = [];
      for (let e = 0; e < 3; e++) {
        out.push(...env.reset(rng).obsBlue);
        for (let t = 0; t < 50; t++) {
          const r = env.step([act.range(-1, 1), act.range(-1, 1)], [act.range(-1, 1), act.range(-1, 1)]);
          out.push(...r.obsBlue, ...r.obsRed, r.rewardBlue, r.rewardRed);
        }
      }
      return out;
    };
    expect(trace(11)).toEqual(trace(11));
    expect(trace(12)).not.toEqual(trace(11));
  });
});
