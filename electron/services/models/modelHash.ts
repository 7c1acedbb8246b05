/**
 * sha256 of model and adapter files, streamed (a 7B GGUF is ~4-15 GB: never read whole), cached in
 * the `model_hashes` table by absolute path. A cached hash is used only while the file's size and
 * mtime (milliseconds, as fs.stat reports them) are the ones recorded; otherwise the file is hashed
 * again and the row replaced. Runs record model and adapter by path AND hash, since a path can be
 * overwritten with other weights.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Database, Statement } from 'better-sqlite3';
import { badInput } from '../../contract/errors.ts';

export interface HashProgress {
  /** Bytes hashed so far, of `totalBytes`. */
  bytesDone: number;
  totalBytes: number;
}

export interface HashFileOptions {
  onProgress?: (progress: HashProgress) => void;
  signal?: AbortSignal;
}

/** sha256 (lower-case hex) of a file, streamed in 1 MiB chunks. */
export async function sha256File(file: string, options: HashFileOptions = {}): Promise<string> {
  const { onProgress, signal } = options;
  signal?.throwIfAborted();
  const totalBytes = (await fs.stat(file)).size;
  const hash = createHash('sha256');
  let bytesDone = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20, signal })) {
    hash.update(chunk as Buffer);
    bytesDone += (chunk as Buffer).length;
    onProgress?.({ bytesDone, totalBytes });
  }
  return hash.digest('hex');
}

interface HashRow {
  path: string;
  size: number;
  mtime_ms: number;
  sha256: string;
  hashed_at: string;
}

/** Hashes with a cache in `model_hashes`; one per database connection. */
export class ModelHashCache {
  readonly #get: Statement<[string], HashRow>;
  readonly #put: Statement<[HashRow]>;
  readonly #db: Database;
  /** How many files were actually read (not served from the cache); for tests and logs. */
  hashedCount = 0;

  constructor(db: Database) {
    this.#db = db;
    this.#get = db.prepare('SELECT path, size, mtime_ms, sha256, hashed_at FROM model_hashes WHERE path = ?');
    this.#put = db.prepare(
      'INSERT OR REPLACE INTO model_hashes (path, size, mtime_ms, sha256, hashed_at) VALUES (@path, @size, @mtime_ms, @sha256, @hashed_at)',
    );
  }

  /** The file's sha256: from the cache when size and mtime match, else computed and stored. */
  async sha256(file: string, options: HashFileOptions = {}): Promise<string> {
    const absolute = path.resolve(file);
    let stat;
    try {
      stat = await fs.stat(absolute);
    } catch {
      throw badInput(`${absolute}: no such file to hash`, { file: absolute });
    }
    const cached = this.#get.get(absolute);
    if (cached && cached.size === stat.size && cached.mtime_ms === stat.mtimeMs) return cached.sha256;
    const sha256 = await sha256File(absolute, options);
    this.hashedCount++;
    // The file may have changed while we read it: store only if it did not.
    const after = await fs.stat(absolute);
    if (after.size === stat.size && after.mtimeMs === stat.mtimeMs) {
      const row = { path: absolute, size: stat.size, mtime_ms: stat.mtimeMs, sha256, hashed_at: new Date().toISOString() };
      this.#db.transaction(() => this.#put.run(row)).immediate();
    }
    return sha256;
  }
}
