/**
 * Latent SOO: the mean squared error between the activations of a self prompt and of its other prompt,
 * at one tap (layer, point), under one of three token-position conventions (method.md, "Token positions
 * compared"):
 *   - 'full': elementwise over aligned positions: mean over all tokens and all features of
 *     (self - other)^2. The pair must have the same token count, else bad_input naming the pair.
 *   - 'last': the last token of each: mean over features of (self[-1] - other[-1])^2.
 *   - 'mean': the token-mean of each: mean over features of (mean_t self - mean_t other)^2.
 * Activations are row-major [n_tokens, width] Float32Arrays (what the engine's taps return).
 * Sums are done in float64. Plain TypeScript: no engine, no I/O.
 */
import { badInput } from '../../contract/errors.ts';

export type PositionConvention = 'full' | 'last' | 'mean';
export const POSITION_CONVENTIONS: readonly PositionConvention[] = ['full', 'last', 'mean'];

/** One tap's rows for one prompt. */
export interface TapRows {
  data: Float32Array;
  /** Row count; data.length must equal nTokens * width. */
  nTokens: number;
  width: number;
}

function checkShape(rows: TapRows, what: string): void {
  if (rows.nTokens < 1 || rows.width < 1 || rows.data.length !== rows.nTokens * rows.width) {
    throw badInput(`${what}: expected ${rows.nTokens} x ${rows.width} = ${rows.nTokens * rows.width} values, got ${rows.data.length}`);
  }
}

function checkPair(self: TapRows, other: TapRows, label: string): void {
  checkShape(self, `${label} self`);
  checkShape(other, `${label} other`);
  if (self.width !== other.width) {
    throw badInput(`${label}: self and other have different widths (${self.width} vs ${other.width})`);
  }
}

/** Mean over features of (row a - row b)^2 for rows ia of a and ib of b. */
function rowMse(a: TapRows, ia: number, b: TapRows, ib: number): number {
  const w = a.width;
  const oa = ia * w;
  const ob = ib * w;
  let sum = 0;
  for (let k = 0; k < w; k++) {
    const d = a.data[oa + k]! - b.data[ob + k]!;
    sum += d * d;
  }
  return sum / w;
}

/** Token-mean of the rows, float64, length width. */
export function meanRow(rows: TapRows): Float64Array {
  const out = new Float64Array(rows.width);
  for (let t = 0; t < rows.nTokens; t++) {
    const o = t * rows.width;
    for (let k = 0; k < rows.width; k++) out[k]! += rows.data[o + k]!;
  }
  for (let k = 0; k < rows.width; k++) out[k]! /= rows.nTokens;
  return out;
}

/**
 * MSE of one pair under a convention. `label` names the pair in errors ("pair 3 (layer 12 attn_out)").
 */
export function latentMse(self: TapRows, other: TapRows, positions: PositionConvention, label = 'pair'): number {
  checkPair(self, other, label);
  switch (positions) {
    case 'full': {
      if (self.nTokens !== other.nTokens) {
        throw badInput(
          `${label}: 'full' compares aligned positions but self has ${self.nTokens} tokens and other has ${other.nTokens}`,
          { hint: "reword the pair so both have the same token count, or use positions 'last' or 'mean'" },
        );
      }
      let sum = 0;
      for (let t = 0; t < self.nTokens; t++) sum += rowMse(self, t, other, t);
      return sum / self.nTokens;
    }
    case 'last':
      return rowMse(self, self.nTokens - 1, other, other.nTokens - 1);
    case 'mean': {
      const a = meanRow(self);
      const b = meanRow(other);
      let sum = 0;
      for (let k = 0; k < a.length; k++) {
        const d = a[k]! - b[k]!;
        sum += d * d;
      }
      return sum / a.length;
    }
    default:
      throw badInput(`unknown positions convention '${String(positions)}'; expected full, last or mean`);
  }
}

/**
 * Per-token MSE of one aligned pair (length nTokens): element t is the mean over features of
 * (self[t] - other[t])^2. Needs equal token counts, like 'full'.
 */
export function perTokenMse(self: TapRows, other: TapRows, label = 'pair'): Float64Array {
  checkPair(self, other, label);
  if (self.nTokens !== other.nTokens) {
    throw badInput(`${label}: per-token differences need aligned pairs, but self has ${self.nTokens} tokens and other has ${other.nTokens}`);
  }
  const out = new Float64Array(self.nTokens);
  for (let t = 0; t < self.nTokens; t++) out[t] = rowMse(self, t, other, t);
  return out;
}

/** Mean and sample standard deviation of per-pair values (std 0 for fewer than 2 values). */
export function summarize(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: Number.NaN, std: Number.NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, std: 0 };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}
