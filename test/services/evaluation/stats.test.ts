/**
 * Wilson intervals and seed statistics (electron/services/evaluation/stats.ts) against two
 * independent references: the interval's defining equation solved as a quadratic here, and
 * published values (Newcombe 1998, "Two-sided confidence intervals for the single proportion",
 * Statistics in Medicine 17:857-872, Table I, method 3 = Wilson score without continuity correction).
 */
import { describe, expect, it } from 'vitest';
import { meanAndSd, wilsonInterval, Z95 } from '../../../electron/services/evaluation/stats.ts';

/**
 * The Wilson bounds are the p solving (k/n - p)^2 = z^2 p (1 - p) / n, i.e.
 * (1 + z^2/n) p^2 - (2k/n + z^2/n) p + (k/n)^2 = 0: solved with the quadratic formula.
 */
function wilsonByQuadratic(k: number, n: number, z = Z95): [number, number] {
  const q = k / n;
  const a = 1 + (z * z) / n;
  const b = -(2 * q + (z * z) / n);
  const c = q * q;
  const root = Math.sqrt(b * b - 4 * a * c);
  return [(-b - root) / (2 * a), (-b + root) / (2 * a)];
}

describe('wilsonInterval', () => {
  it.each([
    [0, 10],
    [5, 10],
    [10, 10],
    [184, 250], // 73.6% of 250: the published Mistral baseline
    [183, 250], // 73.2%
    [1, 1000],
  ])('%i of %i equals the root of its defining quadratic', (k, n) => {
    const [lo, hi] = wilsonInterval(k, n);
    const [rlo, rhi] = wilsonByQuadratic(k, n);
    expect(lo).toBeCloseTo(Math.max(0, rlo), 12);
    expect(hi).toBeCloseTo(Math.min(1, rhi), 12);
    expect(lo).toBeLessThanOrEqual(k / n);
    expect(hi).toBeGreaterThanOrEqual(k / n);
  });

  it('matches published values to 4 decimals (Newcombe 1998, Table I, method 3)', () => {
    const published: Array<[number, number, number, number]> = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [k, n, lo, hi] of published) {
      const [a, b] = wilsonInterval(k, n);
      expect(a, `${k}/${n} lower`).toBeCloseTo(lo, 4);
      expect(b, `${k}/${n} upper`).toBeCloseTo(hi, 4);
    }
  });

  it('0/10 and 5/10: textbook values, symmetric around 1/2', () => {
    expect(wilsonInterval(0, 10)[0]).toBe(0);
    expect(wilsonInterval(0, 10)[1]).toBeCloseTo(0.2775, 4);
    const [lo, hi] = wilsonInterval(5, 10);
    expect(lo).toBeCloseTo(0.2366, 4);
    expect(lo + hi).toBeCloseTo(1, 12);
    expect(wilsonInterval(10, 10)).toEqual([1 - wilsonInterval(0, 10)[1], 1].map((x, i) => (i === 0 ? expect.closeTo(x, 12) : x)));
  });

  it('n = 0 knows nothing; bad counts are refused', () => {
    expect(wilsonInterval(0, 0)).toEqual([0, 1]);
    expect(() => wilsonInterval(3, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(-1, 2)).toThrow(RangeError);
    expect(() => wilsonInterval(0.5, 2)).toThrow(RangeError);
  });
});

describe('meanAndSd', () => {
  it('is the mean and the population (divide-by-N) standard deviation', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: the classic example with mean 5 and population SD exactly 2
    expect(meanAndSd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, sd: 2, n: 8 });
    expect(meanAndSd([0.2])).toEqual({ mean: 0.2, sd: 0, n: 1 });
    const { mean, sd } = meanAndSd([]);
    expect(Number.isNaN(mean) && Number.isNaN(sd)).toBe(true);
  });
});
