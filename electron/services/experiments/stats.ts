/**
 * Aggregation over seeds: mean and POPULATION standard deviation (divide by n, as the published
 * "mean +- SD over 5 seeds" figures are computed), with the per-seed values kept beside them.
 * Plain numbers; sums in float64.
 */

export interface SeedAggregate {
  mean: number;
  /** Population SD (divides by n); 0 for one seed. */
  sd: number;
  /** Values in seed order, with their seeds. */
  perSeed: { seed: number; value: number }[];
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Population standard deviation: sqrt(sum (x - mean)^2 / n). NaN for no values. */
export function populationSd(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const m = mean(values);
  let sum = 0;
  for (const v of values) sum += (v - m) * (v - m);
  return Math.sqrt(sum / values.length);
}

export function aggregateSeeds(perSeed: readonly { seed: number; value: number }[]): SeedAggregate {
  const values = perSeed.map((p) => p.value);
  return { mean: mean(values), sd: populationSd(values), perSeed: perSeed.map((p) => ({ ...p })) };
}
