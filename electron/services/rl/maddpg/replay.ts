/**
 * The replay buffer: a ring of transitions in one Float32Array, TRANSITION_WIDTH floats each:
 * [obsRed (6), obsBlue (10), actRed (2), actBlue (2), rewardRed, rewardBlue, nextObsRed (6), nextObsBlue (10)].
 * `sample` gathers a batch into one row-major [batch, TRANSITION_WIDTH] array (one upload to tfjs).
 * Capacity is fixed at construction (method.md: 1e6; smaller when the run has fewer steps).
 */
import { ACTION_DIM, BLUE_OBS_DIM, RED_OBS_DIM } from '../env.ts';
import type { Rng } from '../rng.ts';

/** Column offsets of one transition row. */
export const COL = (() => {
  const obsRed = 0;
  const obsBlue = obsRed + RED_OBS_DIM;
  const actRed = obsBlue + BLUE_OBS_DIM;
  const actBlue = actRed + ACTION_DIM;
  const rewardRed = actBlue + ACTION_DIM;
  const rewardBlue = rewardRed + 1;
  const nextObsRed = rewardBlue + 1;
  const nextObsBlue = nextObsRed + RED_OBS_DIM;
  const width = nextObsBlue + BLUE_OBS_DIM;
  return { obsRed, obsBlue, actRed, actBlue, rewardRed, rewardBlue, nextObsRed, nextObsBlue, width };
})();
export const TRANSITION_WIDTH = COL.width;

export interface Transition {
  obsRed: ArrayLike<number>;
  obsBlue: ArrayLike<number>;
  actRed: ArrayLike<number>;
  actBlue: ArrayLike<number>;
  rewardRed: number;
  rewardBlue: number;
  nextObsRed: ArrayLike<number>;
  nextObsBlue: ArrayLike<number>;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly #data: Float32Array;
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity <= 0) throw new Error(`replay capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
    this.#data = new Float32Array(capacity * TRANSITION_WIDTH);
  }

  get size(): number {
    return this.#size;
  }

  add(t: Transition): void {
    const o = this.#next * TRANSITION_WIDTH;
    const d = this.#data;
    d.set(t.obsRed as ArrayLike<number>, o + COL.obsRed);
    d.set(t.obsBlue as ArrayLike<number>, o + COL.obsBlue);
    d.set(t.actRed as ArrayLike<number>, o + COL.actRed);
    d.set(t.actBlue as ArrayLike<number>, o + COL.actBlue);
    d[o + COL.rewardRed] = t.rewardRed;
    d[o + COL.rewardBlue] = t.rewardBlue;
    d.set(t.nextObsRed as ArrayLike<number>, o + COL.nextObsRed);
    d.set(t.nextObsBlue as ArrayLike<number>, o + COL.nextObsBlue);
    this.#next = (this.#next + 1) % this.capacity;
    this.#size = Math.min(this.#size + 1, this.capacity);
  }

  /** `batch` transitions drawn uniformly with replacement, as [batch, TRANSITION_WIDTH] row-major. */
  sample(batch: number, rng: Rng): Float32Array {
    if (this.#size === 0) throw new Error('cannot sample an empty replay buffer');
    const out = new Float32Array(batch * TRANSITION_WIDTH);
    for (let b = 0; b < batch; b++) {
      const i = rng.int(this.#size);
      out.set(this.#data.subarray(i * TRANSITION_WIDTH, (i + 1) * TRANSITION_WIDTH), b * TRANSITION_WIDTH);
    }
    return out;
  }

  /** Row `i` (0 = oldest kept) as a view; for tests. */
  row(i: number): Float32Array {
    const start = this.#size < this.capacity ? i : (this.#next + i) % this.capacity;
    return this.#data.subarray(start * TRANSITION_WIDTH, (start + 1) * TRANSITION_WIDTH);
  }
}
