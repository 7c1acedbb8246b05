/**
 * Seeded randomness for the RL experiment: uniform floats, normals and points in a disc, from
 * pure-rand's xoroshiro128+. Same seed, same numbers, on every machine. The state can be saved and
 * restored (checkpoints), so a resumed run continues the same stream.
 * Not for cryptography; not shared with the scenario generator's streams.
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';

type Generator = ReturnType<typeof xoroshiro128plus>;

const TWO_POW_32 = 4294967296;

export class Rng {
  #gen: Generator;
  /** The second normal of the last Box-Muller pair, or null. */
  #spareNormal: number | null = null;

  private constructor(gen: Generator) {
    this.#gen = gen;
  }

  /** A generator for (seed, stream): different streams of one seed are independent. */
  static create(seed: number, stream = 0): Rng {
    return new Rng(xoroshiro128plus((Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(stream | 0, 0x85ebca6b)) | 0));
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(xoroshiro128plusFromState(state.words));
    rng.#spareNormal = state.spareNormal;
    return rng;
  }

  state(): RngState {
    return { words: [...this.#gen.getState()], spareNormal: this.#spareNormal };
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  uniform(): number {
    return (this.#gen.next() >>> 0) / TWO_POW_32;
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** An integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal (Box-Muller; the pair's second value is kept for the next call). */
  normal(): number {
    if (this.#spareNormal !== null) {
      const v = this.#spareNormal;
      this.#spareNormal = null;
      return v;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.#spareNormal = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** A point uniform in the disc of `radius` around the origin (strictly inside: r < radius). */
  inDisc(radius: number): [number, number] {
    const r = radius * Math.sqrt(this.uniform());
    const a = 2 * Math.PI * this.uniform();
    return [r * Math.cos(a), r * Math.sin(a)];
  }
}

/** A generator's saved state (JSON-serializable). */
export interface RngState {
  words: number[];
  spareNormal: number | null;
}
