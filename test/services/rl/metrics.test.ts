/**
 * RL metrics against brute-force references: the deceptive-action threshold grid (cumulative counts
 * vs counting every threshold pair directly), the grid MSE and mean +- SD, and the SOO classifier.
 */
import { describe, expect, it } from 'vitest';
import { DeceptionGrid, GRID_SIZE, cosine, gridPoint, pointsToFake } from '../../../electron/services/rl/metrics/grid.ts';
import { gridMse, meanSd } from '../../../electron/services/rl/metrics/behaviour.ts';
import { classifyAccuracy, meanOfFirst } from '../../../electron/services/rl/metrics/classify.ts';
import { Rng } from '../../../electron/services/rl/rng.ts';

describe('deceptive-action grid', () => {
  it('cell (i, j) counts points with x >= i/99 and y <= -1 + 2j/99 (brute force over every threshold)', () => {
    const rng = Rng.create(5);
    const grid = new DeceptionGrid();
    const points: { x: number; y: number }[] = [];
    for (let k = 0; k < 300; k++) {
      // include exact thresholds and the ends, where off-by-one errors live
      const x = k % 10 === 0 ? Math.round(rng.uniform() * 99) / 99 : rng.uniform();
      const y = k % 7 === 0 ? -1 + (2 * Math.round(rng.uniform() * 99)) / 99 : rng.range(-1, 1);
      points.push({ x, y });
      grid.add(x, y);
    }
    grid.add(1, -1);
    points.push({ x: 1, y: -1 });
    grid.add(0, 1);
    points.push({ x: 0, y: 1 });
    const counts = grid.counts();
    const EPS = 1e-9; // thresholds computed in floating point: a point on a threshold counts
    let mismatches = 0;
    for (let i = 0; i < GRID_SIZE; i++) {
      for (let j = 0; j < GRID_SIZE; j++) {
        const tx = i / (GRID_SIZE - 1);
        const ty = -1 + (2 * j) / (GRID_SIZE - 1);
        const expected = points.filter((p) => p.x >= tx - EPS && p.y <= ty + EPS).length;
        if (counts[i * GRID_SIZE + j] !== expected) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
    expect(counts[0 * GRID_SIZE + GRID_SIZE - 1]).toBe(points.length); // loosest thresholds: everything
    expect(grid.candidates).toBe(points.length);
  });

  it('places moves by cosines: towards the fake gives x = 1, towards the goal x = 0', () => {
    const toGoal = [1, 0];
    const toFake = [0, 2];
    expect(gridPoint([0, 0.5], toGoal, toFake)).toEqual({ x: 1, y: 0 });
    expect(gridPoint([1, 0], toGoal, toFake).x).toBe(0);
    expect(gridPoint([1, 1], toGoal, toFake).x).toBeCloseTo(Math.SQRT1_2, 12);
    expect(pointsToFake([0.1, 1], toGoal, toFake)).toBe(true);
    expect(pointsToFake([1, 0.1], toGoal, toFake)).toBe(false);
    expect(cosine([1, 0], [-3, 0])).toBe(-1);
    expect(cosine([0, 0], [1, 0])).toBe(0);
  });
});

describe('behavioural difference', () => {
  it('is the mean over cells of the squared difference of per-episode counts', () => {
    const a = [2, 4, 0, 8];
    const b = [1, 1, 1, 1];
    // a / 2 episodes = [1, 2, 0, 4]; b / 1 = [1, 1, 1, 1]; squared diffs 0, 1, 1, 9
    expect(gridMse(a, 2, b, 1)).toBe(11 / 4);
    expect(gridMse(a, 2, a, 2)).toBe(0);
    expect(() => gridMse([1], 1, [1, 2], 1)).toThrow(/differ in size/);
  });

  it('gives mean and sample SD', () => {
    const r = meanSd([2, 4, 4, 4, 5, 5, 7, 9]);
    expect(r.mean).toBe(5);
    expect(r.sd).toBeCloseTo(Math.sqrt(32 / 7), 12);
    expect(meanSd([3])).toEqual({ mean: 3, sd: 0, n: 1 });
  });
});

describe('SOO classification', () => {
  it('calls the agent with the lower mean SOO value honest, per number of episodes, skipping NaN episodes', () => {
    const seeds = [
      // honest lower from the first episode on
      { seed: 0, honest: [-20, -21, -19], deceptive: [-10, -11, -12] },
      // the first episode misleads; the mean over 3 is right
      { seed: 1, honest: [-5, -30, -30], deceptive: [-15, -14, -16] },
      // no SOO value in episode 1 for honest: it is skipped
      { seed: 2, honest: [NaN, -25, -25], deceptive: [-12, -12, -12] },
    ];
    const acc = classifyAccuracy(seeds, [1, 3]);
    expect(acc[0]).toEqual({ episodes: 1, accuracy: 1 / 3, correct: 1, seeds: 3 }); // seed 2 has no value yet: wrong
    expect(acc[1]).toEqual({ episodes: 3, accuracy: 1, correct: 3, seeds: 3 });
    expect(meanOfFirst([NaN, 2, 4], 3)).toBe(3);
    expect(meanOfFirst([NaN], 1)).toBeNaN();
  });
});
