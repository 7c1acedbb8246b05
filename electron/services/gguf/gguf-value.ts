/**
 * GGUF metadata values with their on-disk type kept (the reader in node-llama-cpp returns plain JS
 * numbers, which loses the difference between uint32, int32 and float32; llama.cpp rejects a key of
 * the wrong type, so we carry the type with the value).
 *
 * Type ids are GGUF v3's `gguf_type` (gguf.h): UINT8=0 ... FLOAT64=12.
 */

export type GgufScalarType =
  | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32'
  | 'bool' | 'string' | 'uint64' | 'int64' | 'float64';

export type GgufValueType = GgufScalarType | 'array';

export const GGUF_TYPE_ID: Record<GgufValueType, number> = {
  uint8: 0, int8: 1, uint16: 2, int16: 3, uint32: 4, int32: 5, float32: 6,
  bool: 7, string: 8, array: 9, uint64: 10, int64: 11, float64: 12,
};

export const GGUF_TYPE_BY_ID: readonly GgufValueType[] = [
  'uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'float32', 'bool', 'string', 'array', 'uint64', 'int64', 'float64',
];

export type GgufNumberType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

export type GgufValue =
  | { type: GgufNumberType; value: number }
  | { type: 'uint64' | 'int64'; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | GgufArray;

/** An array of one item type. Nested arrays: itemType 'array', items are GgufArray values. */
export type GgufArray =
  | { type: 'array'; itemType: GgufNumberType; value: ArrayLike<number> }
  | { type: 'array'; itemType: 'uint64' | 'int64'; value: ArrayLike<bigint> }
  | { type: 'array'; itemType: 'bool'; value: ArrayLike<boolean> }
  | { type: 'array'; itemType: 'string'; value: ArrayLike<string> }
  | { type: 'array'; itemType: 'array'; value: ArrayLike<GgufArray> };

/** The JS array type that holds items of a GGUF array item type. */
export type GgufArrayItems<T extends GgufArray['itemType']> = T extends GgufNumberType ? ArrayLike<number>
  : T extends 'uint64' | 'int64' ? ArrayLike<bigint>
  : T extends 'bool' ? ArrayLike<boolean>
  : T extends 'string' ? ArrayLike<string>
  : ArrayLike<GgufArray>;

/** Ordered key -> value map of a GGUF file's metadata (insertion order is file order). */
export type GgufMetadata = Map<string, GgufValue>;

/** Short constructors: `kv.u32(32)`, `kv.str('llama')`, `kv.arr('string', tokens)`. */
export const kv = {
  u8: (value: number): GgufValue => ({ type: 'uint8', value }),
  i8: (value: number): GgufValue => ({ type: 'int8', value }),
  u16: (value: number): GgufValue => ({ type: 'uint16', value }),
  i16: (value: number): GgufValue => ({ type: 'int16', value }),
  u32: (value: number): GgufValue => ({ type: 'uint32', value }),
  i32: (value: number): GgufValue => ({ type: 'int32', value }),
  f32: (value: number): GgufValue => ({ type: 'float32', value }),
  f64: (value: number): GgufValue => ({ type: 'float64', value }),
  u64: (value: bigint): GgufValue => ({ type: 'uint64', value }),
  i64: (value: bigint): GgufValue => ({ type: 'int64', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  arr: <T extends GgufArray['itemType']>(itemType: T, value: GgufArrayItems<T>): GgufValue =>
    ({ type: 'array', itemType, value }) as GgufArray,
};
