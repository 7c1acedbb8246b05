/**
 * The ggml tensor types this package writes and reads, with their block layouts
 * (ggml/src/ggml-common.h of the llama.cpp release node-llama-cpp bundles).
 *
 * Only the types we produce are listed: F32, F16, Q8_0 and Q4_K. Numbers are ggml's `enum ggml_type`
 * values, which GGUF stores in each tensor's info record.
 */

export type GgmlTypeName = 'f32' | 'f16' | 'q8_0' | 'q4_k';

export interface GgmlTypeInfo {
  name: GgmlTypeName;
  /** ggml's `enum ggml_type` value (the number stored in the GGUF tensor info). */
  id: number;
  /** Values per block (1 for plain floats). A row's length must be a multiple of it. */
  blockSize: number;
  /** Bytes per block. */
  typeSize: number;
}

export const GGML_TYPES: Record<GgmlTypeName, GgmlTypeInfo> = {
  f32: { name: 'f32', id: 0, blockSize: 1, typeSize: 4 },
  f16: { name: 'f16', id: 1, blockSize: 1, typeSize: 2 },
  // block_q8_0: f16 d, int8 qs[32]
  q8_0: { name: 'q8_0', id: 8, blockSize: 32, typeSize: 2 + 32 },
  // block_q4_K: f16 d, f16 dmin, uint8 scales[12], uint8 qs[128] for 256 values
  q4_k: { name: 'q4_k', id: 12, blockSize: 256, typeSize: 2 + 2 + 12 + 128 },
};

export function ggmlTypeById(id: number): GgmlTypeInfo | undefined {
  return Object.values(GGML_TYPES).find((t) => t.id === id);
}

/**
 * Bytes of a tensor of shape `ne` (ggml order: ne[0] is the row length, the contiguous dimension).
 * Throws when the row length is not a multiple of the type's block size.
 */
export function tensorByteSize(type: GgmlTypeName, ne: readonly number[]): number {
  const info = GGML_TYPES[type];
  const rowLength = ne[0] ?? 1;
  if (rowLength % info.blockSize !== 0) {
    throw new Error(`row length ${rowLength} is not a multiple of ${info.blockSize}, the block size of ${type}`);
  }
  const rows = ne.slice(1).reduce((a, b) => a * b, 1);
  return (rowLength / info.blockSize) * info.typeSize * rows;
}
