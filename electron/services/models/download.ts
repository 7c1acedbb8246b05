/**
 * Downloads a GGUF model into the models folder over HTTP, resumable within a call and across calls.
 *
 * The bytes go to `<models>/<file>.part`, with a sidecar `<file>.part.json` recording the source, the
 * URL, the server's validators (ETag, Last-Modified) and the total size. Every request asks for
 * `Range: bytes=<bytes on disk>-` (and `If-Range` with the validator once some bytes are there):
 * - 206 starting where the part ends: the part is continued (a cut connection, a cancel, a closed app
 *   cost nothing already on disk; the next call with the same source picks the part up);
 * - 200: the server ignored the range, or the file changed (If-Range): the part is truncated and the
 *   download starts over cleanly; so does a 206 whose total size differs from the part's record;
 * - 416 with a part as long as the file: nothing is left to fetch.
 * A connection cut mid-body is retried within the call (up to `retries` tries in a row that bring no
 * new bytes). Cancelling (the signal) keeps the part and rejects with the signal's reason.
 *
 * When the part is complete it is renamed to `<file>` and checked: it must start with the GGUF magic,
 * and match `sha256` when one is given; otherwise the file is deleted and a bad_input error says what
 * was wrong. HTTP 404 and other failures become errors naming the source and the status.
 *
 * Sources (downloadSource.ts): an http(s) URL, `hf:owner/repo/path/file.gguf[#rev]`, `hf:owner/repo:quant`.
 * Not here: listing models (modelLibrary.ts), hashing for runs (modelHash.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import type { PartialDownloadInfo } from '../../contract/models.ts';
import { badInput, notFound, SooError } from '../../contract/errors.ts';
import { GGUF_MAGIC } from './modelFile.ts';
import { sha256File } from './modelHash.ts';
import { resolveSource } from './downloadSource.ts';

export { checkSource } from './downloadSource.ts';

export interface DownloadProgress {
  /** Bytes on disk so far (a resumed part counts from its size), of `totalBytes` (0 until the server said the size). */
  bytesDone: number;
  totalBytes: number;
}

export interface DownloadModelOptions {
  /** An http(s) URL, `hf:owner/repo/file.gguf[#rev]` or `hf:owner/repo:quant`. */
  source: string;
  /** The models folder (created if missing). */
  modelsDir: string;
  /** File name to save as; defaults to the name in the URL. Must end in .gguf. */
  fileName?: string;
  /** Expected sha256 (hex); the download is deleted if it differs. */
  sha256?: string;
  /** Extra request headers (e.g. an Authorization header for a gated Hugging Face repo). */
  headers?: Record<string, string>;
  /** Progress in bytes, at most every `progressMs` and once at the end. */
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the download (the part is kept for the next call) and rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Requests in a row that may end without new bytes before the call gives up (default 5). */
  retries?: number;
  /** The Hugging Face base URL (tests point it at a local server). */
  hfEndpoint?: string;
  /** Minimum time between progress events, ms (default 100). */
  progressMs?: number;
}

export interface DownloadedModel {
  path: string;
  bytes: number;
  sha256: string;
  /** Bytes already on disk from an earlier call that this one continued from (0: started fresh). */
  resumedFrom: number;
}

/** The sidecar next to a part: enough to know whether a later call may continue it. */
interface PartMeta {
  source: string;
  url: string;
  etag: string | null;
  lastModified: string | null;
  totalBytes: number | null;
}

const PART = '.part';
const META = '.part.json';

/** Parts being written by this process: a second download into the same file would interleave its bytes. */
const active = new Set<string>();

/** Downloads, checks and keeps a GGUF model; see the header. */
export async function downloadModel(options: DownloadModelOptions): Promise<DownloadedModel> {
  const { modelsDir, signal } = options;
  if (options.fileName !== undefined && (!options.fileName.endsWith('.gguf') || path.basename(options.fileName) !== options.fileName)) {
    throw badInput(`fileName must be a plain file name ending in .gguf, got "${options.fileName}"`);
  }
  const expected = options.sha256?.trim().toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) throw badInput(`sha256 must be 64 hex digits, got "${options.sha256}"`);
  const source = options.source.trim();
  const resolved = await resolveSource(source, { hfEndpoint: options.hfEndpoint, headers: options.headers, signal });
  const fileName = options.fileName ?? resolved.fileName;
  if (!fileName.toLowerCase().endsWith('.gguf') || path.basename(fileName) !== fileName) {
    throw badInput(`${source}: the URL does not end in a .gguf file name ("${fileName}"); give the file name to save as`);
  }
  signal?.throwIfAborted();
  await fs.mkdir(modelsDir, { recursive: true });
  const file = path.join(modelsDir, fileName);
  const part = file + PART;
  const metaFile = file + META;

  if (await exists(file)) return checkKept(file, source, expected, 0, signal); // already downloaded
  if (active.has(part)) throw new SooError({ code: 'conflict', message: `${fileName} is already being downloaded into ${modelsDir}` });
  active.add(part);
  try {
    return await transfer({ ...options, source, expected, resolvedUrl: resolved.url, file, part, metaFile });
  } finally {
    active.delete(part);
  }
}

interface TransferOptions extends DownloadModelOptions {
  expected: string | undefined;
  resolvedUrl: string;
  file: string;
  part: string;
  metaFile: string;
}

/** The request loop of one download (see the header); the caller holds the part. */
async function transfer(o: TransferOptions): Promise<DownloadedModel> {
  const { source, expected, file, part, metaFile, signal, onProgress } = o;
  const resolved = { url: o.resolvedUrl };
  // A part from an earlier call continues only if it came from the same URL.
  let meta = await readMeta(metaFile);
  let offset = 0;
  if (meta && meta.url === resolved.url) offset = (await fs.stat(part).catch(() => null))?.size ?? 0;
  else {
    meta = null;
    await fs.rm(part, { force: true });
  }
  /** Where the first accepted response started: the part's size, or 0 when the server made us start over. */
  let resumedFrom: number | null = null;
  let totalBytes = meta?.totalBytes ?? 0;
  const progressMs = o.progressMs ?? 100;
  let lastEmit = 0;
  const emit = (bytesDone: number, force = false) => {
    const now = Date.now();
    if (!force && now - lastEmit < progressMs) return;
    lastEmit = now;
    onProgress?.({ bytesDone, totalBytes });
  };

  const retries = o.retries ?? 5;
  let fruitless = 0;
  let lastError: unknown = null;
  for (;;) {
    signal?.throwIfAborted();
    if (totalBytes > 0 && offset === totalBytes) break; // the part is whole
    if (fruitless > retries) {
      throw new SooError({
        code: 'internal',
        message: `${source}: download stopped at ${offset} of ${totalBytes || '?'} bytes after ${retries + 1} tries: ${(lastError as Error)?.message ?? 'no data'}`,
        hint: 'download again to continue from there',
      });
    }
    // identity: ranges count bytes of the file itself, never of a compressed transfer
    const headers: Record<string, string> = { ...o.headers, range: `bytes=${offset}-`, 'accept-encoding': 'identity' };
    const validator = meta?.etag && !meta.etag.startsWith('W/') ? meta.etag : meta?.lastModified;
    if (offset > 0 && validator) headers['if-range'] = validator;

    let response: Response;
    try {
      response = await fetch(resolved.url, { headers, signal, redirect: 'follow' });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      lastError = error;
      fruitless++;
      continue;
    }
    if (response.status === 416) {
      // nothing at or after `offset`: either the part is whole, or the file shrank: start over
      const total = Number(/\/(\d+)$/.exec(response.headers.get('content-range') ?? '')?.[1] ?? NaN);
      await response.body?.cancel();
      if (offset > 0 && total === offset) {
        totalBytes = total;
        break;
      }
      if (offset === 0) throw httpError(source, 416, response.statusText);
      offset = 0;
      await fs.rm(part, { force: true });
      fruitless++;
      continue;
    }
    if (response.status !== 200 && response.status !== 206) {
      await response.body?.cancel();
      throw httpError(source, response.status, response.statusText);
    }
    const length = Number(response.headers.get('content-length') ?? NaN);
    let start = 0;
    if (response.status === 206) {
      const range = /bytes (\d+)-(\d+)\/(\d+|\*)/.exec(response.headers.get('content-range') ?? '');
      start = range ? Number(range[1]) : offset;
      const knownTotal = meta?.totalBytes ?? null;
      totalBytes = range && range[3] !== '*' ? Number(range[3]) : Number.isFinite(length) ? start + length : 0;
      // a range we did not ask for, or a file that changed size since the part was written (a server
      // without validators answers If-Range with 206 anyway): drop the part, ask for everything
      if (start !== offset || (offset > 0 && knownTotal !== null && totalBytes > 0 && totalBytes !== knownTotal)) {
        await response.body?.cancel();
        offset = 0;
        await fs.rm(part, { force: true });
        fruitless++;
        continue;
      }
    } else {
      totalBytes = Number.isFinite(length) ? length : 0; // 200: the whole file, from byte 0
      offset = 0;
    }
    meta = { source, url: resolved.url, etag: response.headers.get('etag'), lastModified: response.headers.get('last-modified'), totalBytes: totalBytes || null };
    await fs.writeFile(metaFile, JSON.stringify(meta));
    resumedFrom ??= offset;
    emit(offset, true);

    const before = offset;
    let written = offset;
    lastError = null;
    // chunk by chunk, so progress counts bytes that are on disk (what a later call continues from)
    const handle = await fs.open(part, offset === 0 ? 'w' : 'a');
    try {
      if (!response.body) throw new Error('empty response body');
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        await handle.write(chunk);
        written += chunk.length;
        emit(written);
      }
    } catch (error) {
      if (signal?.aborted) {
        emit(written, true);
        throw signal.reason;
      }
      lastError = error;
    } finally {
      await handle.close().catch(() => {});
    }
    offset = (await fs.stat(part).catch(() => null))?.size ?? 0;
    if (totalBytes === 0 && lastError === null) totalBytes = offset; // no length given: the end of the body is the end
    if (offset > before) fruitless = 0;
    else fruitless++;
    if (totalBytes > 0 && offset > totalBytes) {
      // more bytes than the file has: the part is not what we think it is
      offset = 0;
      await fs.rm(part, { force: true });
    }
    lastError = offset === totalBytes ? null : (lastError ?? new Error(`the connection ended at byte ${offset} of ${totalBytes}`));
  }
  emit(offset, true);
  await fs.rename(part, file);
  await fs.rm(metaFile, { force: true });
  return checkKept(file, source, expected, resumedFrom ?? offset, signal);
}

/** The unfinished downloads in a models folder (parts with a readable sidecar). */
export async function listPartialDownloads(modelsDir: string): Promise<PartialDownloadInfo[]> {
  let names: string[];
  try {
    names = await fs.readdir(modelsDir);
  } catch {
    return [];
  }
  const out: PartialDownloadInfo[] = [];
  for (const name of names.filter((n) => n.endsWith(META)).sort()) {
    const fileName = name.slice(0, -META.length);
    const meta = await readMeta(path.join(modelsDir, name));
    const stat = await fs.stat(path.join(modelsDir, fileName + PART)).catch(() => null);
    if (meta && stat) out.push({ source: meta.source, fileName, bytesDone: stat.size, totalBytes: meta.totalBytes });
  }
  return out;
}

/** Deletes an unfinished download's part and sidecar; true if there was one. */
export async function discardPartialDownload(modelsDir: string, fileName: string): Promise<boolean> {
  if (path.basename(fileName) !== fileName) throw badInput(`not a plain file name: "${fileName}"`);
  const file = path.join(modelsDir, fileName);
  const had = await exists(file + META);
  await fs.rm(file + PART, { force: true });
  await fs.rm(file + META, { force: true });
  return had;
}

/** The GGUF magic and the sha256 of a finished file; a failing file is deleted. */
async function checkKept(file: string, source: string, expected: string | undefined, resumedFrom: number, signal?: AbortSignal): Promise<DownloadedModel> {
  const bytes = (await fs.stat(file)).size;
  const head = Buffer.alloc(4);
  const handle = await fs.open(file, 'r');
  try {
    await handle.read(head, 0, 4, 0);
  } finally {
    await handle.close();
  }
  if (!head.equals(GGUF_MAGIC)) {
    await fs.rm(file, { force: true });
    throw badInput(`${source} is not a GGUF file (it starts with ${head.toString('hex')}, a GGUF starts with "GGUF" = 47475546); the download was deleted`, {
      hint: 'link the .gguf file itself (on Hugging Face: the "resolve" link, not the "blob" page)',
    });
  }
  const sha256 = await sha256File(file, { signal });
  if (expected !== undefined && sha256 !== expected) {
    await fs.rm(file, { force: true });
    throw badInput(`${source}: sha256 mismatch, expected ${expected}, got ${sha256}; the download was deleted`);
  }
  return { path: file, bytes, sha256, resumedFrom };
}

async function readMeta(file: string): Promise<PartMeta | null> {
  try {
    const value = JSON.parse(await fs.readFile(file, 'utf8')) as Partial<PartMeta>;
    return typeof value.url === 'string' && typeof value.source === 'string'
      ? { source: value.source, url: value.url, etag: value.etag ?? null, lastModified: value.lastModified ?? null, totalBytes: value.totalBytes ?? null }
      : null;
  } catch {
    return null;
  }
}

async function exists(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(() => null)) !== null;
}

/** An HTTP failure as an error naming the source and the status. */
function httpError(source: string, status: number, statusText: string): SooError {
  if (status === 404) return notFound(`${source}: not found (HTTP 404)`, { hint: 'check the URL, or the owner/repo/file of the hf: reference' });
  if (status === 401 || status === 403) {
    return badInput(`${source}: access denied (HTTP ${status})`, { hint: 'a gated Hugging Face model needs an access token (the Models page\'s token field), and its license accepted on the Hub' });
  }
  return new SooError({ code: 'internal', message: `${source}: the server answered HTTP ${status} ${statusText}` });
}
