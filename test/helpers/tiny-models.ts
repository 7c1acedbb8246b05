/**
 * Tiny random-weight models for tests: `await tinyModel({arch: 'llama', type: 'q8_0'})` returns the
 * path of a GGUF under os.tmpdir()/soo-lab-tiny-models, generated once per distinct options (the file
 * name is a hash of the resolved options and TINY_MODEL_VERSION) and reused by later tests and runs.
 * Safe across parallel test workers: makeRandomModel writes atomically, and an equal file is written
 * by whichever worker finishes last.
 *
 * Defaults (resolveRandomModelOptions): 2 layers, n_embd 64, 4 heads, kv heads = heads, n_ff 256,
 * ctx 512, f32, seed 0. Bump TINY_MODEL_VERSION when the generator changes what it writes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeRandomModel, resolveRandomModelOptions, type RandomModelOptions } from '../../electron/services/gguf/random-model.ts';

export const TINY_MODEL_VERSION = 1;

export type TinyModelOptions = Omit<RandomModelOptions, 'out' | 'onProgress' | 'signal' | 'llamaSourceDir'>;

export function tinyModelDir(): string {
  return path.join(os.tmpdir(), 'soo-lab-tiny-models');
}

const pending = new Map<string, Promise<string>>();

export function tinyModel(options: TinyModelOptions): Promise<string> {
  const resolved = resolveRandomModelOptions({ ff: 256, ...options });
  const hash = createHash('sha256').update(JSON.stringify({ v: TINY_MODEL_VERSION, ...resolved })).digest('hex').slice(0, 16);
  const file = path.join(tinyModelDir(), `${resolved.arch}-${resolved.type}-${hash}.gguf`);
  const inFlight = pending.get(file);
  if (inFlight) return inFlight;
  const job = (async () => {
    if (!fs.existsSync(file)) await makeRandomModel({ ...resolved, out: file });
    return file;
  })();
  pending.set(file, job);
  job.catch(() => pending.delete(file));
  return job;
}
