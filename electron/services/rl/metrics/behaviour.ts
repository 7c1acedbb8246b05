/**
 * Behavioural difference between two agents (method.md, RL metric 2): the mean squared difference
 * between their deceptive-action grids, each divided by its number of evaluation episodes (so runs
 * evaluated on different numbers of episodes compare), over all GRID_SIZE^2 cells; then mean and
 * sample standard deviation over seeds.
 */
export function gridMse(a: ArrayLike<number>, episodesA: number, b: ArrayLike<number>, episodesB: number): number {
  if (a.length !== b.length) throw new Error(`grids differ in size: ${a.length} vs ${b.length}`);
  let s = 0;
  for (let k = 0; k < a.length; k++) s += (a[k]! / episodesA - b[k]! / episodesB) ** 2;
  return s / a.length;
}

/** Mean and sample SD (n - 1; 0 for one value). */
export function meanSd(values: readonly number[]): { mean: number; sd: number; n: number } {
  const n = values.length;
  if (n === 0) return { mean: NaN, sd: NaN, n };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, sd, n };
}
