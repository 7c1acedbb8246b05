/**
 * The arithmetic of the contour plots (contourChart.ts), free of the DOM so Node tests can check it:
 * banding of values over [0, max] and iso-line segments by marching squares.
 */
import { viridis } from '../../lib/charts/colorScale.ts';

/** The band of `v`: 0 .. levels-1 (0 for an empty range). */
export function bandOf(v: number, max: number, levels: number): number {
  if (!(max > 0) || !Number.isFinite(v)) return 0;
  return Math.min(levels - 1, Math.max(0, Math.floor((v / max) * levels)));
}

export function bandColor(band: number, levels: number): string {
  return viridis(levels > 1 ? band / (levels - 1) : 0);
}

/** Iso-line segments of `level` over a grid of samples at (x[i], y[j]): marching squares, linear interpolation. */
export function isoSegments(x: number[], y: number[], values: number[][], level: number): [number, number, number, number][] {
  const out: [number, number, number, number][] = [];
  const lerp = (a: number, b: number, va: number, vb: number) => a + ((level - va) / (vb - va)) * (b - a);
  for (let i = 0; i + 1 < x.length; i++) {
    for (let j = 0; j + 1 < y.length; j++) {
      const v00 = values[i]![j]!;
      const v10 = values[i + 1]![j]!;
      const v01 = values[i]![j + 1]!;
      const v11 = values[i + 1]![j + 1]!;
      // Crossing points on the four edges of the square (x[i]..x[i+1]) x (y[j]..y[j+1]).
      const pts: [number, number][] = [];
      if (v00 < level !== v10 < level) pts.push([lerp(x[i]!, x[i + 1]!, v00, v10), y[j]!]);
      if (v10 < level !== v11 < level) pts.push([x[i + 1]!, lerp(y[j]!, y[j + 1]!, v10, v11)]);
      if (v01 < level !== v11 < level) pts.push([lerp(x[i]!, x[i + 1]!, v01, v11), y[j + 1]!]);
      if (v00 < level !== v01 < level) pts.push([x[i]!, lerp(y[j]!, y[j + 1]!, v00, v01)]);
      // Two crossings: one segment; four (a saddle): pair them in edge order.
      for (let k = 0; k + 1 < pts.length; k += 2) out.push([pts[k]![0], pts[k]![1], pts[k + 1]![0], pts[k + 1]![1]]);
    }
  }
  return out;
}
