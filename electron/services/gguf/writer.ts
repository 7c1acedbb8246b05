/**
 * GGUF v3 writer (ours: there is no maintained npm package that WRITES GGUF; node-llama-cpp only
 * reads). Layout (ggml/docs/gguf.md): magic "GGUF", version 3, tensor count u64, kv count u64, the
 * key/values, the tensor infos (name, n_dims, ne[] u64, ggml type u32, offset u64 relative to the
 * data section), zero padding to `general.alignment` (default 32), then each tensor's bytes at its
 * aligned offset, each followed by zero padding to the alignment.
 *
 * Streams: the header is built in memory (tokenizer arrays included: a few MB), tensor data is
 * pulled one tensor (or one chunk) at a time from each tensor's `data()` producer, so a 0.5B model
 * never sits in memory twice. Atomic: writes `<out>.tmp-<pid>-<n>` and renames it over `out` when
 * complete; a failure or an abort removes the temporary file and leaves `out` untouched.
 * Not here: reading (reader.ts), quantizing (quantize.ts), choosing tensors (random-model.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { badInput } from '../../contract/errors.ts';
import { GGML_TYPES, type GgmlTypeName, tensorByteSize } from './ggml-types.ts';
import { GGUF_TYPE_ID, type GgufArray, type GgufMetadata, type GgufValue, type GgufValueType } from './gguf-value.ts';

export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
export const GGUF_VERSION = 3;
export const GGUF_DEFAULT_ALIGNMENT = 32;
/** ggml's GGML_MAX_NAME (64) includes the terminating NUL. */
const MAX_TENSOR_NAME_BYTES = 63;
const MAX_DIMS = 4;

/** What a tensor's producer may return: all its bytes, or its bytes in consecutive chunks. */
export type TensorBytes = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

export interface GgufTensorSpec {
  /** e.g. "blk.0.attn_q.weight". At most 63 bytes of UTF-8. */
  name: string;
  /** ggml `ne` order: ne[0] is the row length (contiguous). 1 to 4 dimensions. */
  ne: readonly number[];
  type: GgmlTypeName;
  /** Called once, in file order, when the writer reaches this tensor. */
  data: () => TensorBytes | Promise<TensorBytes>;
}

export interface WriteGgufProgress {
  /** Tensor bytes written so far (header excluded), 0..totalTensorBytes. */
  bytesWritten: number;
  totalTensorBytes: number;
  /** Tensors complete so far, 0..tensorCount. */
  tensorsDone: number;
  tensorCount: number;
  /** The tensor being written (tensorsDone < tensorCount) or just finished. */
  tensor: string;
}

export interface WriteGgufOptions {
  /** Called after each chunk a producer yields (so also inside a big tensor) and after each tensor. */
  onProgress?: (progress: WriteGgufProgress) => void;
  /** Aborting stops between chunks, removes the temporary file and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface WriteGgufResult {
  path: string;
  /** Size of the finished file in bytes. */
  bytes: number;
  /** Absolute file offset of the tensor data section. */
  dataOffset: number;
  /** Offsets of each tensor relative to the data section, in file order. */
  tensorOffsets: Map<string, number>;
}

/** Writes a GGUF v3 file atomically. Metadata keys are written in the Map's order. */
export async function writeGguf(
  outPath: string,
  metadata: GgufMetadata,
  tensors: readonly GgufTensorSpec[],
  options: WriteGgufOptions = {},
): Promise<WriteGgufResult> {
  options.signal?.throwIfAborted();
  const alignment = alignmentOf(metadata);
  const layout = planTensors(tensors, alignment);
  const header = encodeHeader(metadata, tensors, layout.offsets);
  const dataOffset = alignUp(header.length, alignment);

  const tmpPath = `${outPath}.tmp-${process.pid}-${tmpCounter++}`;
  await fs.mkdir(path.dirname(path.resolve(outPath)), { recursive: true });
  const file = await fs.open(tmpPath, 'w');
  let position = 0;
  const write = async (bytes: Uint8Array): Promise<void> => {
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await file.write(bytes, done, bytes.length - done, position);
      done += bytesWritten;
      position += bytesWritten;
    }
  };
  const zeros = new Uint8Array(alignment);
  try {
    await write(header);
    await write(zeros.subarray(0, dataOffset - header.length));
    let bytesWritten = 0;
    for (let i = 0; i < tensors.length; i++) {
      const spec = tensors[i]!;
      const expected = layout.sizes[i]!;
      let got = 0;
      for await (const chunk of chunksOf(await spec.data())) {
        options.signal?.throwIfAborted();
        got += chunk.length;
        if (got > expected) break;
        await write(chunk);
        if (got < expected) {
          options.onProgress?.({ bytesWritten: bytesWritten + got, totalTensorBytes: layout.total, tensorsDone: i, tensorCount: tensors.length, tensor: spec.name });
        }
      }
      if (got !== expected) {
        throw new Error(`tensor ${spec.name}: its producer gave ${got} bytes, a ${spec.type} tensor of ne [${spec.ne.join(', ')}] has ${expected}`);
      }
      bytesWritten += got;
      await write(zeros.subarray(0, alignUp(expected, alignment) - expected));
      options.onProgress?.({ bytesWritten, totalTensorBytes: layout.total, tensorsDone: i + 1, tensorCount: tensors.length, tensor: spec.name });
    }
    await file.sync();
    await file.close();
    await fs.rename(tmpPath, outPath);
  } catch (error) {
    await file.close().catch(() => undefined);
    await fs.rm(tmpPath, { force: true });
    throw error;
  }
  const offsets = new Map<string, number>();
  tensors.forEach((t, i) => offsets.set(t.name, layout.offsets[i]!));
  return { path: outPath, bytes: position, dataOffset, tensorOffsets: offsets };
}

let tmpCounter = 0;

async function* chunksOf(bytes: TensorBytes): AsyncIterable<Uint8Array> {
  if (bytes instanceof Uint8Array) yield bytes;
  else yield* bytes;
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function alignmentOf(metadata: GgufMetadata): number {
  const value = metadata.get('general.alignment');
  if (value === undefined) return GGUF_DEFAULT_ALIGNMENT;
  if (value.type !== 'uint32' || !Number.isInteger(value.value) || value.value <= 0 || value.value % 8 !== 0) {
    throw badInput(`general.alignment must be a uint32 multiple of 8, got ${value.type} ${String(value.value)}`);
  }
  return value.value;
}

function planTensors(tensors: readonly GgufTensorSpec[], alignment: number) {
  const seen = new Set<string>();
  const offsets: number[] = [];
  const sizes: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    if (seen.has(t.name)) throw badInput(`tensor ${t.name} is listed twice`);
    seen.add(t.name);
    if (Buffer.byteLength(t.name) > MAX_TENSOR_NAME_BYTES) throw badInput(`tensor name ${t.name} is longer than ${MAX_TENSOR_NAME_BYTES} bytes`);
    if (t.ne.length < 1 || t.ne.length > MAX_DIMS || t.ne.some((d) => !Number.isInteger(d) || d < 1)) {
      throw badInput(`tensor ${t.name}: ne must be 1 to ${MAX_DIMS} positive integers, got [${t.ne.join(', ')}]`);
    }
    if (!(t.type in GGML_TYPES)) throw badInput(`tensor ${t.name}: unknown type ${t.type}`);
    let size: number;
    try {
      size = tensorByteSize(t.type, t.ne);
    } catch (error) {
      throw badInput(`tensor ${t.name}: ${(error as Error).message}`);
    }
    offsets.push(offset);
    sizes.push(size);
    offset = alignUp(offset + size, alignment);
  }
  return { offsets, sizes, total: sizes.reduce((a, b) => a + b, 0) };
}

// ---------------------------------------------------------------- header encoding

/** A growable little-endian byte buffer. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(v: number) { this.reserve(1); this.buf.writeUInt8(v, this.length); this.length += 1; }
  i8(v: number) { this.reserve(1); this.buf.writeInt8(v, this.length); this.length += 1; }
  u16(v: number) { this.reserve(2); this.buf.writeUInt16LE(v, this.length); this.length += 2; }
  i16(v: number) { this.reserve(2); this.buf.writeInt16LE(v, this.length); this.length += 2; }
  u32(v: number) { this.reserve(4); this.buf.writeUInt32LE(v, this.length); this.length += 4; }
  i32(v: number) { this.reserve(4); this.buf.writeInt32LE(v, this.length); this.length += 4; }
  f32(v: number) { this.reserve(4); this.buf.writeFloatLE(v, this.length); this.length += 4; }
  f64(v: number) { this.reserve(8); this.buf.writeDoubleLE(v, this.length); this.length += 8; }
  u64(v: bigint | number) { this.reserve(8); this.buf.writeBigUInt64LE(BigInt(v), this.length); this.length += 8; }
  i64(v: bigint | number) { this.reserve(8); this.buf.writeBigInt64LE(BigInt(v), this.length); this.length += 8; }
  /** GGUF string: u64 byte length, UTF-8 bytes, no terminator. */
  str(v: string) {
    const n = Buffer.byteLength(v);
    this.u64(n);
    this.reserve(n);
    this.buf.write(v, this.length, 'utf8');
    this.length += n;
  }
  bytes(): Uint8Array { return this.buf.subarray(0, this.length); }
}

function encodeHeader(metadata: GgufMetadata, tensors: readonly GgufTensorSpec[], offsets: readonly number[]): Uint8Array {
  const out = new ByteSink();
  out.u32(GGUF_MAGIC);
  out.u32(GGUF_VERSION);
  out.u64(tensors.length);
  out.u64(metadata.size);
  for (const [key, value] of metadata) {
    try {
      out.str(key);
      out.u32(GGUF_TYPE_ID[value.type]);
      encodeValue(out, value);
    } catch (error) {
      throw badInput(`metadata ${key}: ${(error as Error).message}`);
    }
  }
  tensors.forEach((t, i) => {
    out.str(t.name);
    out.u32(t.ne.length);
    for (const d of t.ne) out.u64(d);
    out.u32(GGML_TYPES[t.type].id);
    out.u64(offsets[i]!);
  });
  return out.bytes();
}

function encodeValue(out: ByteSink, value: GgufValue): void {
  if (value.type === 'array') {
    encodeArray(out, value);
    return;
  }
  encodeScalar(out, value.type, value.value);
}

function encodeArray(out: ByteSink, value: GgufArray): void {
  out.u32(GGUF_TYPE_ID[value.itemType]);
  out.u64(value.value.length);
  for (let i = 0; i < value.value.length; i++) {
    const item = value.value[i]!;
    if (value.itemType === 'array') encodeArray(out, item as GgufArray);
    else encodeScalar(out, value.itemType, item as number | bigint | boolean | string);
  }
}

function encodeScalar(out: ByteSink, type: Exclude<GgufValueType, 'array'>, v: number | bigint | boolean | string): void {
  const expect = (kind: string, ok: boolean) => {
    if (!ok) throw new Error(`expected a ${kind} for GGUF type ${type}, got ${typeof v} ${String(v)}`);
  };
  switch (type) {
    case 'string': expect('string', typeof v === 'string'); out.str(v as string); return;
    case 'bool': expect('boolean', typeof v === 'boolean'); out.u8(v ? 1 : 0); return;
    case 'uint64': expect('bigint', typeof v === 'bigint' || Number.isSafeInteger(v)); out.u64(v as bigint); return;
    case 'int64': expect('bigint', typeof v === 'bigint' || Number.isSafeInteger(v)); out.i64(v as bigint); return;
    case 'float32': expect('number', typeof v === 'number'); out.f32(v as number); return;
    case 'float64': expect('number', typeof v === 'number'); out.f64(v as number); return;
  }
  expect('integer', Number.isInteger(v));
  const n = v as number;
  switch (type) {
    case 'uint8': out.u8(n); return;
    case 'int8': out.i8(n); return;
    case 'uint16': out.u16(n); return;
    case 'int16': out.i16(n); return;
    case 'uint32': out.u32(n); return;
    case 'int32': out.i32(n); return;
  }
}
