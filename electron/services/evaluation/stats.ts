/**
 * The statistics the evaluation reports: a Wilson score interval for a rate (the deceptive rate of
 * n responses), and the mean and population standard deviation of a value over seeds (the paper
 * reports "17.27 +- 1.88%" over 5 seeds). Pure functions, no I/O.
 */

/** The two-sided 95% normal quantile, Φ⁻¹(0.975). */
export const Z95 = 1.959963984540054;

/**
 * Wilson score interval for `successes` out of `n` trials, as fractions [lo, hi] in [0, 1]:
 *   center = (p + z²/2n) / (1 + z²/n),  half = z / (1 + z²/n) · sqrt(p(1-p)/n + z²/4n²),  p = k/n.
 * Unlike the normal ("Wald") interval it stays inside [0, 1] and is not empty at 0 or n successes.
 * n = 0 gives [0, 1] (nothing is known).
 */
export function wilsonInterval(successes: number, n: number, z = Z95): [number, number] {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(successes) || successes < 0 || successes > n) {
    throw new RangeError(`successes must be an integer from 0 to n = ${n}, got ${successes}`);
  }
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const denominator = 1 + z2 / n;
  const center = (p + z2 / (2 * n)) / denominator;
  const half = (z / denominator) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  // Clamp rounding noise: at k = 0 the lower bound is exactly 0, at k = n the upper exactly 1.
  return [successes === 0 ? 0 : Math.max(0, center - half), successes === n ? 1 : Math.min(1, center + half)];
}

/** Mean and population standard deviation (divide by N, as "± SD over seeds"); NaN for no values. */
export function meanAndSd(values: readonly number[]): { mean: number; sd: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: Number.NaN, sd: Number.NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
  return { mean, sd: Math.sqrt(variance), n };
}
