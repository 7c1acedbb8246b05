/**
 * The RL page's contour helpers (renderer/pages/RL/contourMath.ts), in Node: iso-line segments by
 * marching squares checked against a field whose iso-lines are known exactly (a linear field: linear
 * interpolation is exact, so every segment end lies on x + 2y = level, and the segments join into one
 * line crossing the domain), a saddle, and the banding of values.
 */
import { describe, expect, it } from 'vitest';
import { bandOf, isoSegments } from '../../renderer/pages/RL/contourMath.ts';

const grid = (n: number, lo: number, hi: number) => Array.from({ length: n }, (_, k) => lo + ((hi - lo) * k) / (n - 1));

describe('isoSegments', () => {
  it('puts every segment end of a linear field on its exact iso-line, covering it end to end', () => {
    const x = grid(21, 0, 1);
    const y = grid(17, -1, 1);
    const values = x.map((xi) => y.map((yj) => xi + 2 * yj));
    const level = 0.7;
    const segs = isoSegments(x, y, values, level);
    expect(segs.length).toBeGreaterThan(10);
    for (const [x0, y0, x1, y1] of segs) {
      expect(x0 + 2 * y0).toBeCloseTo(level, 12);
      expect(x1 + 2 * y1).toBeCloseTo(level, 12);
    }
    // the line x + 2y = 0.7 runs from (0, 0.35) to (1, -0.15): its length inside the box
    const length = segs.reduce((s, [x0, y0, x1, y1]) => s + Math.hypot(x1 - x0, y1 - y0), 0);
    expect(length).toBeCloseTo(Math.hypot(1, 0.5), 9);
  });

  it('gives no segment for a level outside the values, and two for a saddle', () => {
    const x = [0, 1];
    const y = [0, 1];
    expect(isoSegments(x, y, [[0, 0], [0, 0]], 0.5)).toEqual([]);
    expect(isoSegments(x, y, [[1, 0], [0, 1]], 0.5)).toHaveLength(2);
  });
});

describe('bandOf', () => {
  it('splits [0, max] into equal bands, the max in the top band, and an empty range into band 0', () => {
    expect([0, 0.124, 0.125, 0.5, 0.999, 1].map((v) => bandOf(v, 1, 8))).toEqual([0, 0, 1, 4, 7, 7]);
    expect(bandOf(3, 0, 8)).toBe(0);
    expect(bandOf(Number.NaN, 1, 8)).toBe(0);
  });
});
