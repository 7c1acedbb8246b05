/**
 * A sequential colour scale for heatmaps: viridis (dark purple = low, yellow = high), perceptually
 * uniform and readable by colour-blind users, as 9 stops linearly interpolated in sRGB.
 */
const VIRIDIS: readonly [number, number, number][] = [
  [68, 1, 84],
  [71, 44, 122],
  [59, 81, 139],
  [44, 113, 142],
  [33, 144, 141],
  [39, 173, 129],
  [92, 200, 99],
  [170, 220, 50],
  [253, 231, 37],
];

/** The colour of `t` in [0, 1] (clamped), as `rgb(r g b)`. */
export function viridis(t: number): string {
  const x = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x));
  const f = x - i;
  const a = VIRIDIS[i]!;
  const b = VIRIDIS[i + 1]!;
  const mix = (k: number) => Math.round(a[k]! + (b[k]! - a[k]!) * f);
  return `rgb(${mix(0)} ${mix(1)} ${mix(2)})`;
}

/** CSS for a left-to-right gradient of the scale (the legend bar under a heatmap). */
export function viridisGradient(): string {
  return `linear-gradient(to right, ${VIRIDIS.map((c, i) => `rgb(${c.join(' ')}) ${((100 * i) / (VIRIDIS.length - 1)).toFixed(1)}%`).join(', ')})`;
}

/** Maps a value to [0, 1] over [min, max] (0.5 when the range is empty). */
export function normalize(value: number, min: number, max: number): number {
  return max > min ? (value - min) / (max - min) : 0.5;
}

/** Min and max of the finite values of a matrix. */
export function extent(rows: readonly (readonly number[])[]): { min: number; max: number } {
  let min = Infinity;
  let max = -Infinity;
  for (const row of rows) {
    for (const v of row) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? { min, max } : { min: 0, max: 0 };
}

/** A short number for labels and tooltips: 3 significant digits, exponent form when tiny or huge. */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1e-3 || a >= 1e4 ? v.toExponential(2) : v.toPrecision(3);
}
