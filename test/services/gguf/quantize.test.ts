/**
 * Quantizers against two references:
 *  1. ggml itself: the same float32 input quantized by libggml-base.so (node-llama-cpp's prebuilt copy,
 *     called through Python ctypes by ggml-quantize-ref.py) must give the same bytes. Skipped, with a
 *     note, where python3 or the library is missing.
 *  2. Error bounds that follow from each format: dequantize(quantize(x)) vs x.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { describe, expect, it } from 'vitest';
import { f16BitsToF32, f32ToF16Bits } from '../../../electron/services/gguf/f16.ts';
import type { GgmlTypeName } from '../../../electron/services/gguf/ggml-types.ts';
import { dequantize, quantize } from '../../../electron/services/gguf/quantize.ts';

const here = path.dirname(fileURLToPath(import.meta.url));
const REF_SCRIPT = path.join(here, 'ggml-quantize-ref.py');
const LIBGGML_BASE = path.resolve(here, '../../../node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so');

function hasPythonAndLib(): boolean {
  if (process.platform !== 'linux' || process.arch !== 'x64' || !fs.existsSync(LIBGGML_BASE)) return false;
  try {
    execFileSync('python3', ['-c', 'import ctypes'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Normal values of mixed scales, plus the cases quantizers get wrong: zeros, tiny, huge, one outlier. */
function testVector(n: number, seed: number): Float32Array {
  const rng = xoroshiro128plus(seed);
  const u = () => ((rng.next() >>> 0) + 0.5) / 2 ** 32;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    const block = Math.floor(i / 256);
    const scale = [1, 1e-3, 30, 1e-7, 0.05][block % 5]!;
    x[i] = g * scale;
  }
  x.fill(0, 256 * 5, 256 * 6); // an all-zero superblock
  for (let i = 256 * 6; i < 256 * 7; i++) x[i] = Math.abs(x[i]!); // all positive (min > 0 branch)
  x[256 * 8 + 3] = 1000; // one outlier
  return x;
}

describe('quantizers are byte-exact with ggml', () => {
  const available = hasPythonAndLib();
  it.skipIf(!available).each(['f16', 'q8_0', 'q4_k'] as GgmlTypeName[])('%s matches libggml-base.so', (type) => {
    const x = testVector(256 * 40, 7);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-quant-'));
    try {
      fs.writeFileSync(path.join(dir, 'in.f32'), new Uint8Array(x.buffer));
      execFileSync('python3', [REF_SCRIPT, LIBGGML_BASE, type, path.join(dir, 'in.f32'), path.join(dir, 'out.bin')]);
      const expected = new Uint8Array(fs.readFileSync(path.join(dir, 'out.bin')));
      const ours = quantize(type, x);
      expect(ours.length).toBe(expected.length);
      let firstDiff = -1;
      for (let i = 0; i < ours.length && firstDiff < 0; i++) if (ours[i] !== expected[i]) firstDiff = i;
      expect(firstDiff, `first differing byte of ${type}`).toBe(-1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('dequantize(quantize(x)) stays within each format error', () => {
  const x = testVector(256 * 40, 11);

  it('f16: relative error <= 2^-11 for normal values, exact specials', () => {
    const back = dequantize('f16', quantize('f16', x));
    for (let i = 0; i < x.length; i++) {
      const v = x[i]!;
      if (Math.abs(v) >= 2 ** -14) expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
      else expect(Math.abs(back[i]! - v)).toBeLessThanOrEqual(2 ** -25); // subnormal spacing 2^-24, half of it
    }
    expect(f16BitsToF32(f32ToF16Bits(65504))).toBe(65504);
    expect(f16BitsToF32(f32ToF16Bits(1e6))).toBe(Infinity);
    expect(f16BitsToF32(f32ToF16Bits(-1e6))).toBe(-Infinity);
    expect(f32ToF16Bits(Number.NaN)).toBe(0x7e00);
    expect(f32ToF16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie rounds to even
    expect(f32ToF16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02);
  });

  it('q8_0: error <= d/2 per block (d = amax/127) plus the f16 rounding of d', () => {
    const back = dequantize('q8_0', quantize('q8_0', x));
    for (let b = 0; b < x.length / 32; b++) {
      let amax = 0;
      for (let j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[b * 32 + j]!));
      const d = amax / 127;
      // |q| <= 127 and d is stored with relative error <= 2^-11 (more for f16-subnormal d)
      const bound = d / 2 + 127 * Math.max(d * 2 ** -11, 2 ** -25) + 1e-30;
      for (let j = 0; j < 32; j++) expect(Math.abs(back[b * 32 + j]! - x[b * 32 + j]!)).toBeLessThanOrEqual(bound);
    }
  });

  it('q4_k: error <= one 4-bit step of the block range; zeros stay zero', () => {
    const back = dequantize('q4_k', quantize('q4_k', x));
    for (let b = 0; b < x.length / 256; b++) {
      for (let s = 0; s < 8; s++) {
        let min = 0;
        let max = 0;
        for (let j = 0; j < 32; j++) {
          min = Math.min(min, x[b * 256 + s * 32 + j]!);
          max = Math.max(max, x[b * 256 + s * 32 + j]!);
        }
        // 15 steps over [min, max]; scales are themselves 6-bit quantized against the superblock max,
        // so allow a full step of the superblock's largest sub-block range plus f16 slack.
        let superRange = 0;
        for (let t = 0; t < 8; t++) {
          let lo = 0;
          let hi = 0;
          for (let j = 0; j < 32; j++) {
            lo = Math.min(lo, x[b * 256 + t * 32 + j]!);
            hi = Math.max(hi, x[b * 256 + t * 32 + j]!);
          }
          superRange = Math.max(superRange, hi - lo);
        }
        // d and dmin are f16: below 2^-14 they are subnormal with an absolute error up to 2^-25,
        // multiplied by a 6-bit scale (<= 63) and a 4-bit quant (<= 15): (63 * 15 + 63) * 2^-25.
        const F16_ABS_SLACK = 1008 * 2 ** -25;
        const bound = (max - min) / 15 + superRange / 63 + 1e-6 * superRange + F16_ABS_SLACK;
        for (let j = 0; j < 32; j++) {
          const i = b * 256 + s * 32 + j;
          expect(Math.abs(back[i]! - x[i]!), `value ${i}`).toBeLessThanOrEqual(bound);
        }
      }
    }
    for (let i = 256 * 5; i < 256 * 6; i++) expect(back[i]).toBe(0);
  });

  it('rejects lengths that are not a multiple of the block size', () => {
    expect(() => quantize('q8_0', new Float32Array(33))).toThrow(/multiple of the block size 32/);
    expect(() => quantize('q4_k', new Float32Array(128))).toThrow(/multiple of the block size 256/);
  });
});
