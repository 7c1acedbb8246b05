/**
 * IEEE half precision <-> float32, bit-exact with ggml's software conversion
 * (ggml/src/ggml-impl.h `ggml_compute_fp32_to_fp16`: round to nearest even, NaN -> 0x7E00, overflow
 * -> infinity). F16 values are handled as their uint16 bit patterns.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

function bitsOf(x: number): number {
  f32[0] = x;
  return u32[0]!;
}

function floatFromBits(bits: number): number {
  u32[0] = bits >>> 0;
  return f32[0]!;
}

const SCALE_TO_INF = 2 ** 112;
const SCALE_TO_ZERO = 2 ** -110;

/** float32 -> f16 bits, the same bits ggml writes. */
export function f32ToF16Bits(value: number): number {
  // Every operation of the C code is on float32: round after each one.
  let base = Math.fround(Math.fround(Math.abs(Math.fround(value)) * SCALE_TO_INF) * SCALE_TO_ZERO);
  const w = bitsOf(value);
  const shl1W = (w + w) >>> 0; // uint32 overflow like C
  const sign = (w & 0x80000000) >>> 0;
  let bias = (shl1W & 0xff000000) >>> 0;
  if (bias < 0x71000000) bias = 0x71000000;
  base = Math.fround(floatFromBits(((bias >>> 1) + 0x07800000) >>> 0) + base);
  const bits = bitsOf(base);
  const expBits = (bits >>> 13) & 0x00007c00;
  const mantissaBits = bits & 0x00000fff;
  const nonsign = expBits + mantissaBits;
  return ((sign >>> 16) | (shl1W > 0xff000000 ? 0x7e00 : nonsign)) & 0xffff;
}

let table: Float32Array | undefined;

/** f16 bits -> float32 value (exact: every f16 is a float32). */
export function f16BitsToF32(bits: number): number {
  table ??= buildTable();
  return table[bits & 0xffff]!;
}

function buildTable(): Float32Array {
  const out = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) out[h] = sign * mant * 2 ** -24;
    else if (exp === 31) out[h] = mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else out[h] = sign * (1 + mant / 1024) * 2 ** (exp - 15);
  }
  return out;
}

/** Rounds a float to the nearest f16 value (returned as a JS number). */
export function roundToF16(value: number): number {
  return f16BitsToF32(f32ToF16Bits(value));
}
