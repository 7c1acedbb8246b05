/**
 * Checkpoint files of RL runs: one JSON file per run, Float32Arrays stored as {"$f32": base64}
 * (little-endian). Written to a temporary file then renamed, so a crash never leaves half a file.
 * A checkpoint records its format name and version; loading refuses anything else.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { badInput } from '../../contract/errors.ts';

export const CHECKPOINT_VERSION = 1;

export function writeCheckpoint(file: string, format: string, body: object): number {
  mkdirSync(path.dirname(file), { recursive: true });
  const text = JSON.stringify({ format, version: CHECKPOINT_VERSION, ...body }, (_key, value: unknown) =>
    value instanceof Float32Array ? { $f32: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') } : value,
  );
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
  return Buffer.byteLength(text);
}

export function readCheckpoint<T>(file: string, format: string): T {
  if (!existsSync(file)) throw badInput(`checkpoint not found: ${file}`, { file, hint: 'the run may have been started with another --db (checkpoints live next to the database)' });
  const value = JSON.parse(readFileSync(file, 'utf8'), (_key, v: unknown) => {
    if (v && typeof v === 'object' && typeof (v as { $f32?: unknown }).$f32 === 'string') {
      const bytes = Buffer.from((v as { $f32: string }).$f32, 'base64');
      const out = new Float32Array(bytes.byteLength / 4);
      new Uint8Array(out.buffer).set(bytes);
      return out;
    }
    return v;
  }) as { format?: unknown; version?: unknown };
  if (value.format !== format || value.version !== CHECKPOINT_VERSION) {
    throw badInput(`${file}: expected a "${format}" checkpoint version ${CHECKPOINT_VERSION}, got "${String(value.format)}" version ${String(value.version)}`, { file });
  }
  return value as T;
}
