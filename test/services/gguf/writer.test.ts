/**
 * GGUF writer: every value type and arrays round-trip through two readers (ours, which keeps types,
 * and node-llama-cpp's readGgufFileInfo, which is independent of our code); tensor data lands at
 * aligned offsets; failures and aborts leave neither the target nor a temporary file behind.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { kv, type GgufMetadata } from '../../../electron/services/gguf/gguf-value.ts';
import { readGgufHeader, readTensorBytes } from '../../../electron/services/gguf/reader.ts';
import { writeGguf, type GgufTensorSpec } from '../../../electron/services/gguf/writer.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-gguf-writer-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const allTypes = (): GgufMetadata =>
  new Map([
    ['general.architecture', kv.str('llama')],
    ['t.u8', kv.u8(255)],
    ['t.i8', kv.i8(-128)],
    ['t.u16', kv.u16(65535)],
    ['t.i16', kv.i16(-32768)],
    ['t.u32', kv.u32(4294967295)],
    ['t.i32', kv.i32(-2147483648)],
    ['t.f32', kv.f32(0.1)],
    ['t.f64', kv.f64(0.1)],
    ['t.u64', kv.u64(2n ** 64n - 1n)],
    ['t.i64', kv.i64(-(2n ** 63n))],
    ['t.bool', kv.bool(true)],
    ['t.str', kv.str('héllo ✓ "quoted"\n')],
    ['t.arr_str', kv.arr('string', ['a', '', 'ü'])],
    ['t.arr_f32', kv.arr('float32', Float32Array.of(1.5, -2, 3.25))],
    ['t.arr_i32', kv.arr('int32', [-1, 0, 7])],
    ['t.arr_bool', kv.arr('bool', [true, false])],
    ['t.arr_u64', kv.arr('uint64', [1n, 2n])],
    ['t.arr_empty', kv.arr('uint8', [])],
    ['t.arr_nested', kv.arr('array', [{ type: 'array', itemType: 'int16', value: [1, -2] }, { type: 'array', itemType: 'string', value: ['x'] }])],
  ]);

function f32Tensor(name: string, ne: number[], fill: (i: number) => number): GgufTensorSpec {
  const n = ne.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: n }, (_, i) => fill(i));
  return { name, ne, type: 'f32', data: () => new Uint8Array(values.buffer) };
}

describe('writeGguf', () => {
  it('round-trips every metadata type with its type kept', async () => {
    const file = path.join(dir, 'types.gguf');
    const metadata = allTypes();
    await writeGguf(file, metadata, []);
    const back = readGgufHeader(file);
    expect(back.version).toBe(3);
    expect([...back.metadata.keys()]).toEqual([...metadata.keys()]);
    for (const [key, value] of metadata) {
      const got = back.metadata.get(key)!;
      expect(got.type, key).toBe(value.type);
      if (value.type === 'float32') expect(got.value).toBe(Math.fround(value.value));
      else if (value.type === 'array' && value.value instanceof Float32Array) expect(got.value).toEqual(Array.from(value.value));
      else expect(got, key).toEqual(value);
    }
  });

  it('is read back by node-llama-cpp (an independent parser)', async () => {
    const file = path.join(dir, 'types-nlc.gguf');
    await writeGguf(file, allTypes(), [f32Tensor('a.weight', [3, 2], (i) => i)]);
    const info = await readGgufFileInfo(file, { logWarnings: false });
    const t = (info.metadata as unknown as { t: Record<string, unknown> }).t;
    expect(t.u8).toBe(255);
    expect(t.i8).toBe(-128);
    expect(t.i16).toBe(-32768);
    expect(t.u32).toBe(4294967295);
    expect(t.i32).toBe(-2147483648);
    expect(t.f32).toBeCloseTo(0.1, 7);
    expect(t.f64).toBe(0.1);
    expect(t.u64).toBe(2n ** 64n - 1n);
    expect(t.i64).toBe(-(2n ** 63n));
    expect(t.bool).toBe(true);
    expect(t.str).toBe('héllo ✓ "quoted"\n');
    expect(t.arr_str).toEqual(['a', '', 'ü']);
    expect(t.arr_f32).toEqual([1.5, -2, 3.25]);
    expect(t.arr_nested).toEqual([[1, -2], ['x']]);
    expect(info.tensorInfo?.map((x) => [x.name, x.dimensions.map(Number)])).toEqual([['a.weight', [3, 2]]]);
  });

  it('places tensors at offsets aligned to general.alignment and pads the file', async () => {
    for (const alignment of [32, 64]) {
      const file = path.join(dir, `align-${alignment}.gguf`);
      const metadata: GgufMetadata = new Map([['general.architecture', kv.str('llama')]]);
      if (alignment !== 32) metadata.set('general.alignment', kv.u32(alignment));
      const tensors = [
        f32Tensor('odd', [5], (i) => i + 0.5), // 20 bytes: the next tensor needs padding
        { name: 'half', ne: [3, 1], type: 'f16', data: () => Uint8Array.of(0x00, 0x3c, 0x00, 0x40, 0x00, 0xc2) } as GgufTensorSpec, // 1, 2, -3
        f32Tensor('big', [7, 3], (i) => -i),
      ];
      const result = await writeGguf(file, metadata, tensors);
      const header = readGgufHeader(file);
      expect(header.alignment).toBe(alignment);
      expect(header.dataOffset % alignment).toBe(0);
      for (const t of header.tensors) expect(t.fileOffset % alignment, t.name).toBe(0);
      expect(fs.statSync(file).size).toBe(result.bytes);
      expect(result.bytes % alignment).toBe(0);
      // node-llama-cpp agrees on where each tensor starts
      const info = await readGgufFileInfo(file, { logWarnings: false });
      expect(info.tensorInfo!.map((t) => Number(t.fileOffset))).toEqual(header.tensors.map((t) => t.fileOffset));
      const odd = new Float32Array(readTensorBytes(file, header.tensors[0]!).slice().buffer);
      expect(Array.from(odd)).toEqual([0.5, 1.5, 2.5, 3.5, 4.5]);
      expect(Array.from(readTensorBytes(file, header.tensors[1]!))).toEqual([0x00, 0x3c, 0x00, 0x40, 0x00, 0xc2]);
      const big = new Float32Array(readTensorBytes(file, header.tensors[2]!).slice().buffer);
      expect(big[20]).toBe(-20);
    }
  });

  it('streams tensors given as chunk iterables, in file order, one at a time', async () => {
    const file = path.join(dir, 'chunks.gguf');
    const calls: string[] = [];
    const chunked = (name: string, rows: number): GgufTensorSpec => ({
      name,
      ne: [4, rows],
      type: 'f32',
      data: async function* () {
        calls.push(`start ${name}`);
        for (let r = 0; r < rows; r++) yield new Uint8Array(Float32Array.of(r, r, r, r).buffer);
        calls.push(`end ${name}`);
      },
    });
    await writeGguf(file, new Map(), [chunked('x', 3), chunked('y', 2)]);
    expect(calls).toEqual(['start x', 'end x', 'start y', 'end y']);
    const header = readGgufHeader(file);
    expect(Array.from(new Float32Array(readTensorBytes(file, header.tensors[0]!).slice().buffer))).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  });

  it('leaves no file behind when a producer gives the wrong size, throws, or the signal aborts', async () => {
    const file = path.join(dir, 'fail.gguf');
    fs.writeFileSync(file, 'previous content');
    const short: GgufTensorSpec = { name: 's', ne: [4], type: 'f32', data: () => new Uint8Array(12) };
    await expect(writeGguf(file, new Map(), [short])).rejects.toThrow(/tensor s: its producer gave 12 bytes, a f32 tensor of ne \[4\] has 16/);
    const throwing: GgufTensorSpec = { name: 't', ne: [4], type: 'f32', data: () => { throw new Error('boom'); } };
    await expect(writeGguf(file, new Map(), [throwing])).rejects.toThrow('boom');
    const controller = new AbortController();
    const aborting: GgufTensorSpec = { name: 'a', ne: [4], type: 'f32', data: () => { controller.abort(new Error('stop')); return new Uint8Array(16); } };
    await expect(writeGguf(file, new Map(), [aborting], { signal: controller.signal })).rejects.toThrow('stop');
    expect(fs.readFileSync(file, 'utf8')).toBe('previous content');
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('fail.gguf.tmp'))).toEqual([]);
  });

  it('rejects bad tensor specs before writing', async () => {
    const file = path.join(dir, 'bad.gguf');
    const q: GgufTensorSpec = { name: 'q', ne: [48, 2], type: 'q8_0', data: () => new Uint8Array(0) };
    await expect(writeGguf(file, new Map(), [q])).rejects.toThrow(/row length 48 is not a multiple of 32/);
    const long: GgufTensorSpec = { name: 'x'.repeat(64), ne: [1], type: 'f32', data: () => new Uint8Array(4) };
    await expect(writeGguf(file, new Map(), [long])).rejects.toThrow(/longer than 63 bytes/);
    const dup = f32Tensor('d', [1], () => 0);
    await expect(writeGguf(file, new Map(), [dup, dup])).rejects.toThrow(/listed twice/);
    await expect(writeGguf(file, new Map([['general.alignment', kv.u32(12)]]), [])).rejects.toThrow(/multiple of 8/);
    expect(fs.existsSync(file)).toBe(false);
  });
});
