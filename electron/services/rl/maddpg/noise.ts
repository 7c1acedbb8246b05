/**
 * Exploration noise: an Ornstein-Uhlenbeck process per agent, x <- x + theta (mu - x) + sigma N(0, 1)
 * per step and component (mu 0, theta 0.15), reset to 0 at each episode's start. Its sigma follows
 * method.md's schedule "OU noise 0.3 -> 0": linear in the episode index from `sigmaStart` at episode 0
 * to `sigmaEnd` at the last episode.
 */
import type { Rng } from '../rng.ts';

export const OU_THETA = 0.15;

export class OuNoise {
  readonly #x: Float64Array;
  sigma: number;

  constructor(dim: number, sigma: number) {
    this.#x = new Float64Array(dim);
    this.sigma = sigma;
  }

  reset(): void {
    this.#x.fill(0);
  }

  /** Advances the process one step and adds it to `action` in place. */
  addTo(action: Float32Array, rng: Rng): void {
    for (let k = 0; k < this.#x.length; k++) {
      this.#x[k] = this.#x[k]! - OU_THETA * this.#x[k]! + this.sigma * rng.normal();
      action[k] = action[k]! + this.#x[k]!;
    }
  }
}

/** Sigma for `episode` of `episodes` (linear from start to end; the last episode gets `end`). */
export function noiseSigma(episode: number, episodes: number, start: number, end: number): number {
  if (episodes <= 1) return end;
  return start + (end - start) * Math.min(1, episode / (episodes - 1));
}
