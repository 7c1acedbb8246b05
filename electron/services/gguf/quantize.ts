/**
 * F32 -> F16 / Q8_0 / Q4_K quantizers and the matching dequantizers, byte for byte the layouts and
 * reference quantizers of ggml (ggml/src/ggml-common.h `block_q8_0`, `block_q4_K`;
 * ggml/src/ggml-quants.c `quantize_row_q8_0_ref`, `quantize_row_q4_K_ref`, `dequantize_row_*`).
 *
 * The C code works in float32; every arithmetic step here is rounded with Math.fround so the bytes
 * match. Blocks are little endian. Quantizers take a flat Float32Array whose length is a multiple of
 * the block size (32 for Q8_0, 256 for Q4_K); rows are just consecutive blocks, so a whole matrix
 * can be passed at once when its row length is a multiple of the block size.
 * Not here: importance-matrix quantization (`quantize_q4_K` with quant_weights), other types.
 */
import os from 'node:os';
import { f16BitsToF32, f32ToF16Bits } from './f16.ts';
import { GGML_TYPES, type GgmlTypeName } from './ggml-types.ts';

if (os.endianness() !== 'LE') throw new Error('gguf/quantize.ts assumes a little-endian machine, as GGUF files are');

const fr = Math.fround;
const QK8_0 = 32;
const QK_K = 256;
const Q8_0_BYTES = GGML_TYPES.q8_0.typeSize; // 34
const Q4_K_BYTES = GGML_TYPES.q4_k.typeSize; // 144

function checkLength(n: number, block: number, type: string): void {
  if (n % block !== 0) throw new Error(`${type}: ${n} values is not a multiple of the block size ${block}`);
}

// ---------------------------------------------------------------- F32 / F16

export function encodeF32(x: Float32Array): Uint8Array {
  return new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
}

export function decodeF32(bytes: Uint8Array): Float32Array {
  const copy = new Uint8Array(bytes); // aligned copy
  return new Float32Array(copy.buffer, 0, copy.byteLength / 4);
}

export function quantizeF16(x: Float32Array): Uint8Array {
  const out = new Uint16Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = f32ToF16Bits(x[i]!);
  return new Uint8Array(out.buffer);
}

export function dequantizeF16(bytes: Uint8Array): Float32Array {
  const out = new Float32Array(bytes.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = f16BitsToF32(bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
  return out;
}

// ---------------------------------------------------------------- Q8_0: f16 d, int8 qs[32]

/** C `roundf`: half away from zero. */
function roundAway(v: number): number {
  return v < 0 ? -Math.floor(-v + 0.5) : Math.floor(v + 0.5);
}

export function quantizeQ8_0(x: Float32Array): Uint8Array {
  checkLength(x.length, QK8_0, 'q8_0');
  const nb = x.length / QK8_0;
  const out = new Uint8Array(nb * Q8_0_BYTES);
  for (let i = 0; i < nb; i++) {
    let amax = 0;
    for (let j = 0; j < QK8_0; j++) amax = Math.max(amax, Math.abs(x[i * QK8_0 + j]!));
    const d = fr(amax / 127);
    const id = d ? fr(1 / d) : 0;
    const o = i * Q8_0_BYTES;
    const h = f32ToF16Bits(d);
    out[o] = h & 0xff;
    out[o + 1] = h >> 8;
    for (let j = 0; j < QK8_0; j++) out[o + 2 + j] = roundAway(fr(x[i * QK8_0 + j]! * id)) & 0xff;
  }
  return out;
}

export function dequantizeQ8_0(bytes: Uint8Array): Float32Array {
  checkLength(bytes.length, Q8_0_BYTES, 'q8_0 bytes');
  const nb = bytes.length / Q8_0_BYTES;
  const out = new Float32Array(nb * QK8_0);
  for (let i = 0; i < nb; i++) {
    const o = i * Q8_0_BYTES;
    const d = f16BitsToF32(bytes[o]! | (bytes[o + 1]! << 8));
    for (let j = 0; j < QK8_0; j++) out[i * QK8_0 + j] = fr(((bytes[o + 2 + j]! << 24) >> 24) * d);
  }
  return out;
}

// ---------------------------------------------------------------- Q4_K

/** ggml `nearest_int`: float32 add of 1.5 * 2^23 rounds to the nearest integer, ties to even. */
function nearestInt(v: number): number {
  return fr(v + 12582912) - 12582912;
}

/** Scratch outputs of makeQkx2Quants (avoids allocating a tuple per 32 values in this hot loop). */
let qkxMin = 0;

/**
 * ggml `make_qkx2_quants` (float32 throughout) for use_mad = false. Writes L, returns the scale and
 * leaves -min in `qkxMin`. Same operations in the same order as the C code, including its quirk that
 * the search loop uses the CURRENT best `min` (updated when a step improves) in `x - min` and in
 * `max - min`.
 */
function makeQkx2Quants(
  n: number, nmax: number, x: Float32Array, xo: number, weights: Float32Array, L: Uint8Array, lo: number,
  Laux: Uint8Array, rmin: number, rdelta: number, nstep: number,
): number {
  let min = x[xo]!;
  let max = x[xo]!;
  let sumW = weights[0]!;
  let sumX = fr(sumW * x[xo]!);
  for (let i = 1; i < n; i++) {
    const xi = x[xo + i]!;
    if (xi < min) min = xi;
    if (xi > max) max = xi;
    const w = weights[i]!;
    sumW = fr(sumW + w);
    sumX = fr(sumX + fr(w * xi));
  }
  if (min > 0) min = 0;
  if (max === min) {
    for (let i = 0; i < n; i++) L[lo + i] = 0;
    qkxMin = -min;
    return 0;
  }
  let iscale = fr(nmax / fr(max - min));
  let scale = fr(1 / iscale);
  let bestError = 0;
  for (let i = 0; i < n; i++) {
    const l = nearestInt(fr(iscale * fr(x[xo + i]! - min)));
    const lc = l < 0 ? 0 : l > nmax ? nmax : l;
    L[lo + i] = lc;
    const diff = fr(fr(fr(scale * lc) + min) - x[xo + i]!);
    bestError = fr(bestError + fr(weights[i]! * fr(diff * diff)));
  }
  if (nstep < 1) {
    qkxMin = -min;
    return scale;
  }
  for (let is = 0; is <= nstep; is++) {
    iscale = fr(fr(fr(rmin + fr(rdelta * is)) + nmax) / fr(max - min));
    let sumL = 0;
    let sumL2 = 0;
    let sumXL = 0;
    for (let i = 0; i < n; i++) {
      const l0 = nearestInt(fr(iscale * fr(x[xo + i]! - min)));
      const l = l0 < 0 ? 0 : l0 > nmax ? nmax : l0;
      Laux[i] = l;
      const wl = fr(weights[i]! * l);
      sumL = fr(sumL + wl);
      sumL2 = fr(sumL2 + fr(wl * l));
      sumXL = fr(sumXL + fr(wl * x[xo + i]!));
    }
    const D = fr(fr(sumW * sumL2) - fr(sumL * sumL));
    if (D > 0) {
      let thisScale = fr(fr(fr(sumW * sumXL) - fr(sumX * sumL)) / D);
      let thisMin = fr(fr(fr(sumL2 * sumX) - fr(sumL * sumXL)) / D);
      if (thisMin > 0) {
        thisMin = 0;
        thisScale = fr(sumXL / sumL2);
      }
      let curError = 0;
      for (let i = 0; i < n; i++) {
        const diff = fr(fr(fr(thisScale * Laux[i]!) + thisMin) - x[xo + i]!);
        curError = fr(curError + fr(weights[i]! * fr(diff * diff)));
      }
      if (curError < bestError) {
        for (let i = 0; i < n; i++) L[lo + i] = Laux[i]!;
        bestError = curError;
        scale = thisScale;
        min = thisMin;
      }
    }
  }
  qkxMin = -min;
  return scale;
}

/** ggml `get_scale_min_k4`: the 6-bit scale and min of sub-block j from the 12 packed bytes. */
function getScaleMinK4(j: number, q: Uint8Array, o: number): [number, number] {
  if (j < 4) return [q[o + j]! & 63, q[o + j + 4]! & 63];
  return [(q[o + j + 4]! & 0xf) | ((q[o + j - 4]! >> 6) << 4), (q[o + j + 4]! >> 4) | ((q[o + j]! >> 6) << 4)];
}

export function quantizeQ4_K(x: Float32Array): Uint8Array {
  checkLength(x.length, QK_K, 'q4_k');
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * Q4_K_BYTES);
  const L = new Uint8Array(QK_K);
  const Laux = new Uint8Array(32);
  const weights = new Float32Array(32);
  const mins = new Float32Array(QK_K / 32);
  const scales = new Float32Array(QK_K / 32);
  for (let i = 0; i < nb; i++) {
    const xb = i * QK_K;
    const o = i * Q4_K_BYTES;
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < QK_K / 32; j++) {
      let sumX2 = 0;
      for (let l = 0; l < 32; l++) sumX2 = fr(sumX2 + fr(x[xb + 32 * j + l]! * x[xb + 32 * j + l]!));
      const avX = fr(Math.sqrt(fr(sumX2 / 32)));
      for (let l = 0; l < 32; l++) weights[l] = fr(avX + Math.abs(x[xb + 32 * j + l]!));
      scales[j] = makeQkx2Quants(32, 15, x, xb + 32 * j, weights, L, 32 * j, Laux, -1, 0.1, 20);
      mins[j] = qkxMin;
      if (scales[j]! > maxScale) maxScale = scales[j]!;
      if (mins[j]! > maxMin) maxMin = mins[j]!;
    }
    const invScale = maxScale > 0 ? fr(63 / maxScale) : 0;
    const invMin = maxMin > 0 ? fr(63 / maxMin) : 0;
    const sc = o + 4; // scales[12]
    for (let j = 0; j < QK_K / 32; j++) {
      const ls = Math.min(63, nearestInt(fr(invScale * scales[j]!)) & 0xff);
      const lm = Math.min(63, nearestInt(fr(invMin * mins[j]!)) & 0xff);
      if (j < 4) {
        out[sc + j] = ls;
        out[sc + j + 4] = lm;
      } else {
        out[sc + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
        out[sc + j - 4]! |= (ls >> 4) << 6;
        out[sc + j]! |= (lm >> 4) << 6;
      }
    }
    const dBits = f32ToF16Bits(fr(maxScale / 63));
    const dminBits = f32ToF16Bits(fr(maxMin / 63));
    out[o] = dBits & 0xff;
    out[o + 1] = dBits >> 8;
    out[o + 2] = dminBits & 0xff;
    out[o + 3] = dminBits >> 8;
    const dF = f16BitsToF32(dBits);
    const dminF = f16BitsToF32(dminBits);
    for (let j = 0; j < QK_K / 32; j++) {
      const [s, m] = getScaleMinK4(j, out, sc);
      const d = fr(dF * s);
      if (!d) continue;
      const dm = fr(dminF * m);
      for (let ii = 0; ii < 32; ii++) {
        const l = nearestInt(fr(fr(x[xb + 32 * j + ii]! + dm) / d));
        L[32 * j + ii] = Math.max(0, Math.min(15, l));
      }
    }
    // qs: for each 64 values, byte l holds value l (low nibble) and value l + 32 (high nibble)
    let q = o + 16;
    for (let j = 0; j < QK_K; j += 64) {
      for (let l = 0; l < 32; l++) out[q + l] = L[j + l]! | (L[j + l + 32]! << 4);
      q += 32;
    }
  }
  return out;
}

export function dequantizeQ4_K(bytes: Uint8Array): Float32Array {
  checkLength(bytes.length, Q4_K_BYTES, 'q4_k bytes');
  const nb = bytes.length / Q4_K_BYTES;
  const out = new Float32Array(nb * QK_K);
  let y = 0;
  for (let i = 0; i < nb; i++) {
    const o = i * Q4_K_BYTES;
    const d = f16BitsToF32(bytes[o]! | (bytes[o + 1]! << 8));
    const min = f16BitsToF32(bytes[o + 2]! | (bytes[o + 3]! << 8));
    let q = o + 16;
    let is = 0;
    for (let j = 0; j < QK_K; j += 64) {
      const [sc1, m1i] = getScaleMinK4(is, bytes, o + 4);
      const d1 = fr(d * sc1);
      const m1 = fr(min * m1i);
      const [sc2, m2i] = getScaleMinK4(is + 1, bytes, o + 4);
      const d2 = fr(d * sc2);
      const m2 = fr(min * m2i);
      for (let l = 0; l < 32; l++) out[y++] = fr(fr(d1 * (bytes[q + l]! & 0xf)) - m1);
      for (let l = 0; l < 32; l++) out[y++] = fr(fr(d2 * (bytes[q + l]! >> 4)) - m2);
      q += 32;
      is += 2;
    }
  }
  return out;
}

// ---------------------------------------------------------------- by type name

/** Encodes float32 values as `type` (length must be a multiple of the type's block size). */
export function quantize(type: GgmlTypeName, x: Float32Array): Uint8Array {
  switch (type) {
    case 'f32': return encodeF32(x);
    case 'f16': return quantizeF16(x);
    case 'q8_0': return quantizeQ8_0(x);
    case 'q4_k': return quantizeQ4_K(x);
  }
}

/** Decodes bytes of `type` back to float32 values. */
export function dequantize(type: GgmlTypeName, bytes: Uint8Array): Float32Array {
  switch (type) {
    case 'f32': return decodeF32(bytes);
    case 'f16': return dequantizeF16(bytes);
    case 'q8_0': return dequantizeQ8_0(bytes);
    case 'q4_k': return dequantizeQ4_K(bytes);
  }
}
