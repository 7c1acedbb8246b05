/**
 * Reads a GGUF file's header with every metadata value's on-disk type kept (gguf-value.ts), plus
 * the tensor infos. Used to borrow tokenizer keys from the vocab-only GGUFs (they must be copied
 * with their exact types) and to check what writer.ts wrote. Tensor data is not read here, except
 * through `readTensorBytes` for one tensor at a time.
 *
 * For everyday reading of model metadata prefer node-llama-cpp's `readGgufFileInfo`; it returns
 * plain JS numbers, which is fine unless the value is going to be written again.
 */
import fs from 'node:fs';
import { badInput } from '../../contract/errors.ts';
import { ggmlTypeById, type GgmlTypeName, tensorByteSize } from './ggml-types.ts';
import { GGUF_TYPE_BY_ID, type GgufArray, type GgufMetadata, type GgufValue, type GgufValueType } from './gguf-value.ts';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC } from './writer.ts';

export interface GgufTensorInfo {
  name: string;
  /** ggml order, ne[0] contiguous. */
  ne: number[];
  /** ggml type id as stored; `type` is its name when it is one of ours, else undefined. */
  typeId: number;
  type: GgmlTypeName | undefined;
  /** Absolute offset of the tensor's bytes in the file. */
  fileOffset: number;
  /** Byte size (only known for our types; -1 otherwise). */
  byteSize: number;
}

export interface GgufHeader {
  version: number;
  metadata: GgufMetadata;
  tensors: GgufTensorInfo[];
  alignment: number;
  /** Absolute offset of the data section. */
  dataOffset: number;
}

/** Reads the header of a GGUF v2/v3 file. */
export function readGgufHeader(filePath: string): GgufHeader {
  const fd = fs.openSync(filePath, 'r');
  try {
    const r = new Cursor(fd, filePath);
    const magic = r.u32();
    if (magic !== GGUF_MAGIC) throw badInput(`not a GGUF file: magic 0x${magic.toString(16)}, expected 0x${GGUF_MAGIC.toString(16)}`, { file: filePath });
    const version = r.u32();
    if (version !== 2 && version !== 3) throw badInput(`unsupported GGUF version ${version} (expected 2 or 3)`, { file: filePath });
    const tensorCount = Number(r.u64());
    const kvCount = Number(r.u64());
    const metadata: GgufMetadata = new Map();
    for (let i = 0; i < kvCount; i++) {
      const key = r.str();
      const type = typeName(r.u32(), filePath, key);
      metadata.set(key, readValue(r, type, filePath, key));
    }
    const alignValue = metadata.get('general.alignment');
    const alignment = alignValue && alignValue.type === 'uint32' ? alignValue.value : GGUF_DEFAULT_ALIGNMENT;
    const raw: Array<Omit<GgufTensorInfo, 'fileOffset'> & { offset: number }> = [];
    for (let i = 0; i < tensorCount; i++) {
      const name = r.str();
      const nDims = r.u32();
      const ne: number[] = [];
      for (let d = 0; d < nDims; d++) ne.push(Number(r.u64()));
      const typeId = r.u32();
      const offset = Number(r.u64());
      const type = ggmlTypeById(typeId)?.name;
      raw.push({ name, ne, typeId, type, offset, byteSize: type ? tensorByteSize(type, ne) : -1 });
    }
    const dataOffset = Math.ceil(r.position / alignment) * alignment;
    const tensors = raw.map(({ offset, ...t }) => ({ ...t, fileOffset: dataOffset + offset }));
    return { version, metadata, tensors, alignment, dataOffset };
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads one tensor's bytes (only for the types ggml-types.ts knows). */
export function readTensorBytes(filePath: string, tensor: GgufTensorInfo): Uint8Array {
  if (tensor.byteSize < 0) throw badInput(`tensor ${tensor.name} has ggml type ${tensor.typeId}, which this reader does not decode`, { file: filePath });
  const out = new Uint8Array(tensor.byteSize);
  const fd = fs.openSync(filePath, 'r');
  try {
    let done = 0;
    while (done < out.length) {
      const n = fs.readSync(fd, out, done, out.length - done, tensor.fileOffset + done);
      if (n === 0) throw badInput(`file ends inside tensor ${tensor.name}`, { file: filePath });
      done += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return out;
}

function typeName(id: number, file: string, key: string): GgufValueType {
  const t = GGUF_TYPE_BY_ID[id];
  if (!t) throw badInput(`metadata ${key}: unknown GGUF value type ${id}`, { file });
  return t;
}

function readValue(r: Cursor, type: GgufValueType, file: string, key: string): GgufValue {
  if (type === 'array') return readArray(r, file, key);
  return { type, value: readScalar(r, type) } as GgufValue;
}

function readArray(r: Cursor, file: string, key: string): GgufArray {
  const itemType = typeName(r.u32(), file, key);
  const n = Number(r.u64());
  if (itemType === 'array') {
    const items: GgufArray[] = [];
    for (let i = 0; i < n; i++) items.push(readArray(r, file, key));
    return { type: 'array', itemType, value: items };
  }
  const items: Array<number | bigint | boolean | string> = new Array(n);
  for (let i = 0; i < n; i++) items[i] = readScalar(r, itemType);
  return { type: 'array', itemType, value: items } as GgufArray;
}

function readScalar(r: Cursor, type: Exclude<GgufValueType, 'array'>): number | bigint | boolean | string {
  switch (type) {
    case 'uint8': return r.take(1).readUInt8(0);
    case 'int8': return r.take(1).readInt8(0);
    case 'uint16': return r.take(2).readUInt16LE(0);
    case 'int16': return r.take(2).readInt16LE(0);
    case 'uint32': return r.u32();
    case 'int32': return r.take(4).readInt32LE(0);
    case 'float32': return r.take(4).readFloatLE(0);
    case 'float64': return r.take(8).readDoubleLE(0);
    case 'bool': return r.take(1).readUInt8(0) !== 0;
    case 'string': return r.str();
    case 'uint64': return r.u64();
    case 'int64': return r.take(8).readBigInt64LE(0);
  }
}

/** Sequential reader over a file descriptor with a 1 MiB window. */
class Cursor {
  private window = Buffer.alloc(1 << 20);
  private start = 0; // file offset of window[0]
  private end = 0; // file offset just past the valid window bytes
  position = 0;

  constructor(private readonly fd: number, private readonly file: string) {}

  take(n: number): Buffer {
    if (this.position + n > this.end) this.fill(n);
    const at = this.position - this.start;
    this.position += n;
    return this.window.subarray(at, at + n);
  }
  private fill(n: number): void {
    if (n > this.window.length) this.window = Buffer.alloc(n);
    const got = fs.readSync(this.fd, this.window, 0, this.window.length, this.position);
    if (got < n) throw badInput(`GGUF header is truncated at byte ${this.position}`, { file: this.file });
    this.start = this.position;
    this.end = this.position + got;
  }
  u32(): number { return this.take(4).readUInt32LE(0); }
  u64(): bigint { return this.take(8).readBigUInt64LE(0); }
  str(): string {
    const n = Number(this.u64());
    return this.take(n).toString('utf8');
  }
}
