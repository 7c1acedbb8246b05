/**
 * The deceptive-action count grid (method.md, RL metric 1), our reading of it:
 *
 * A step t of blue is a candidate when red is in sight in blue's observation at t, and blue's move at
 * t-1 pointed more to the non-goal landmark than to the goal (cos(move, to non-goal) > cos(move, to goal)).
 * For a candidate: x = cos(move_t, direction to the non-goal), clipped to [0, 1] (the projection of the
 * unit move on the unit direction); y = cos(direction to goal, direction to non-goal), in [-1, 1].
 * The grid has GRID_SIZE x GRID_SIZE thresholds tx_i = i / (GRID_SIZE - 1) and
 * ty_j = -1 + 2 j / (GRID_SIZE - 1); cell (i, j) counts candidates with x >= tx_i and y <= ty_j, i.e.
 * steps that move at least that much towards the fake landmark while the two landmarks lie at least that
 * far apart in direction. "Move" is blue's action (the policy output, before the env's integration).
 * Cells are stored row-major [i * GRID_SIZE + j].
 */
export const GRID_SIZE = 100;

export class DeceptionGrid {
  /** Candidates binned by (largest i with x >= tx_i, smallest j with y <= ty_j). */
  readonly #hist = new Float64Array(GRID_SIZE * GRID_SIZE);
  #candidates = 0;

  get candidates(): number {
    return this.#candidates;
  }

  /** Adds one candidate step with x in [0, 1] and y in [-1, 1] (clamped). */
  add(x: number, y: number): void {
    const xi = Math.min(GRID_SIZE - 1, Math.max(0, Math.floor(clamp(x, 0, 1) * (GRID_SIZE - 1) + 1e-9)));
    const yj = Math.min(GRID_SIZE - 1, Math.max(0, Math.ceil(((clamp(y, -1, 1) + 1) * (GRID_SIZE - 1)) / 2 - 1e-9)));
    this.#hist[xi * GRID_SIZE + yj]! += 1;
    this.#candidates++;
  }

  /** The threshold counts, [GRID_SIZE * GRID_SIZE] row-major (i = x threshold, j = y threshold). */
  counts(): Float64Array {
    const out = new Float64Array(GRID_SIZE * GRID_SIZE);
    for (let i = GRID_SIZE - 1; i >= 0; i--) {
      let row = 0;
      for (let j = 0; j < GRID_SIZE; j++) {
        row += this.#hist[i * GRID_SIZE + j]!;
        out[i * GRID_SIZE + j] = row + (i + 1 < GRID_SIZE ? out[(i + 1) * GRID_SIZE + j]! : 0);
      }
    }
    return out;
  }
}

/** Grid coordinates of one step: x (move towards the non-goal) and y (goal/non-goal direction cosine). */
export function gridPoint(move: ArrayLike<number>, toGoal: ArrayLike<number>, toFake: ArrayLike<number>): { x: number; y: number } {
  return { x: clamp(cosine(move, toFake), 0, 1), y: cosine(toGoal, toFake) };
}

/** True when `move` points more to the fake landmark than to the goal. */
export function pointsToFake(move: ArrayLike<number>, toGoal: ArrayLike<number>, toFake: ArrayLike<number>): boolean {
  return cosine(move, toFake) > cosine(move, toGoal);
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const na = Math.hypot(a[0]!, a[1]!);
  const nb = Math.hypot(b[0]!, b[1]!);
  if (na === 0 || nb === 0) return 0;
  return (a[0]! * b[0]! + a[1]! * b[1]!) / (na * nb);
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}
