/**
 * Downloads a GGUF model into the models folder with node-llama-cpp's `createModelDownloader`
 * (ipull underneath: the file is fetched in 5 MiB ranged chunks over parallel connections, and a
 * dropped connection is retried from the start of its chunk, so a cut costs at most a chunk).
 * Cancelling (the signal) deletes the partial file: resuming across calls is not supported (ipull's
 * progress file did not survive a cancel in our tests).
 *
 * Sources: an http(s) URL, or a Hugging Face reference `hf:owner/repo/path/file.gguf` (optionally
 * `#branch`), or `hf:owner/repo:quant` (node-llama-cpp resolves the file). The result is checked
 * before it is kept: it must start with the GGUF magic, and match `sha256` when one is given;
 * otherwise the file is deleted and a bad_input error says what was wrong. HTTP 404 and other
 * HTTP failures become errors naming the URL and the status.
 *
 * Not here: listing models (modelLibrary.ts), hashing for runs (modelHash.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { createModelDownloader } from 'node-llama-cpp';
import { badInput, notFound, SooError } from '../../contract/errors.ts';
import { GGUF_MAGIC } from './modelFile.ts';
import { sha256File } from './modelHash.ts';

export interface DownloadProgress {
  /** Bytes on disk so far, of `totalBytes` (0 until the server said the size). */
  bytesDone: number;
  totalBytes: number;
}

export interface DownloadModelOptions {
  /** An http(s) URL, `hf:owner/repo/file.gguf[#branch]` or `hf:owner/repo:quant`. */
  source: string;
  /** The models folder (created if missing). */
  modelsDir: string;
  /** File name to save as; defaults to the name in the URL. Must end in .gguf. */
  fileName?: string;
  /** Expected sha256 (hex); the download is deleted if it differs. */
  sha256?: string;
  /** Extra request headers (e.g. an Authorization header for a gated Hugging Face repo). */
  headers?: Record<string, string>;
  /** Progress in bytes, as the downloader reports it (several times per second). */
  onProgress?: (progress: DownloadProgress) => void;
  /** Cancels the download (the partial file is deleted) and rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface DownloadedModel {
  path: string;
  bytes: number;
  sha256: string;
}

const HF_FILE = /^hf:[\w.-]+\/[\w.-]+\/.+\.gguf(#[\w./-]+)?$/i;
const HF_QUANT = /^hf:[\w.-]+\/[\w.-]+(:[\w.-]+)?$/i;

/** Checks a source string before any network access; returns it trimmed. */
export function checkSource(source: string): string {
  const s = source.trim();
  if (s.startsWith('hf:')) {
    if (HF_FILE.test(s) || HF_QUANT.test(s)) return s;
    throw badInput(`"${source}" is not a Hugging Face reference: expected hf:owner/repo/path/file.gguf or hf:owner/repo:quant`);
  }
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    throw badInput(`"${source}" is neither a URL nor a Hugging Face reference (hf:owner/repo/file.gguf)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw badInput(`"${source}": only http(s) URLs can be downloaded, got ${url.protocol}`);
  return s;
}

/** Downloads, checks and keeps a GGUF model; see the header. */
export async function downloadModel(options: DownloadModelOptions): Promise<DownloadedModel> {
  const source = checkSource(options.source);
  const { modelsDir, signal, onProgress } = options;
  if (options.fileName !== undefined && (!options.fileName.endsWith('.gguf') || path.basename(options.fileName) !== options.fileName)) {
    throw badInput(`fileName must be a plain file name ending in .gguf, got "${options.fileName}"`);
  }
  const expected = options.sha256?.trim().toLowerCase();
  if (expected !== undefined && !/^[0-9a-f]{64}$/.test(expected)) throw badInput(`sha256 must be 64 hex digits, got "${options.sha256}"`);
  signal?.throwIfAborted();
  await fs.mkdir(modelsDir, { recursive: true });

  let file: string;
  try {
    const downloader = await createModelDownloader({
      modelUri: source,
      dirPath: modelsDir,
      fileName: options.fileName,
      headers: options.headers,
      skipExisting: true,
      deleteTempFileOnCancel: true,
      showCliProgress: false,
      onProgress: ({ downloadedSize, totalSize }) => onProgress?.({ bytesDone: downloadedSize, totalBytes: totalSize }),
    });
    file = await downloader.download({ signal });
    // node-llama-cpp resolves (rather than rejects) when the signal cancelled the transfer
    signal?.throwIfAborted();
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    throw describeDownloadError(source, error);
  }

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
  return { path: file, bytes, sha256 };
}

/** Turns ipull / node-llama-cpp errors into errors naming the source and the HTTP status. */
function describeDownloadError(source: string, error: unknown): SooError {
  const message = error instanceof Error ? error.message : String(error);
  const status = Number((error as { statusCode?: unknown }).statusCode ?? message.match(/\b([45]\d\d)\b/)?.[1] ?? NaN);
  if (status === 404) return notFound(`${source}: not found (HTTP 404)`, { hint: 'check the URL, or the owner/repo/file of the hf: reference' });
  if (status === 401 || status === 403) {
    return badInput(`${source}: access denied (HTTP ${status})`, { hint: 'a gated Hugging Face model needs a token: pass an Authorization header' });
  }
  if (Number.isFinite(status)) return new SooError({ code: 'internal', message: `${source}: the server answered HTTP ${status}: ${message}` });
  return new SooError({ code: 'internal', message: `${source}: download failed: ${message}` });
}
