/**
 * downloadModel (electron/services/models/download.ts) against a local HTTP server on 127.0.0.1
 * (never the network): a generated tiny GGUF arrives byte for byte with progress events, a
 * connection cut mid-file is retried with a range request and the result is still exact, a
 * checksum is enforced, 404 and a non-GGUF body give clear errors and leave no file, a cancel
 * rejects and keeps the part, the next call continues it with a Range request from the part's size
 * (checksum still exact), a server that ignores Range makes it start over cleanly, a part from another
 * URL is discarded, hf: references resolve through a stand-in Hub. The reference for "exact" is the
 * served buffer's own sha256.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SooError } from '../../../electron/contract/errors.ts';
import { checkSource, discardPartialDownload, downloadModel, listPartialDownloads } from '../../../electron/services/models/download.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';
import { tempDir } from '../evaluation/helpers.ts';

interface Served {
  body: Buffer;
  /** Cut the connection of the first ranged request after this many bytes (once). */
  cutAfter?: number;
  /** Delay between 64 KiB writes, ms. */
  throttleMs?: number;
  /** Answer every request with 200 and the whole body, as a server without range support does. */
  ignoreRange?: boolean;
}

const files = new Map<string, Served>();
const requests: Array<{ url: string; range: string | undefined }> = [];
let base = '';
let server: http.Server;
const dir = tempDir('soo-download-');

function serve(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = req.url ?? '';
  requests.push({ url, range: req.headers.range });
  const served = files.get(url);
  if (!served) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
    return;
  }
  const { body } = served;
  const m = served.ignoreRange ? null : /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
  const start = m ? Number(m[1]) : 0;
  const end = m && m[2] ? Math.min(Number(m[2]), body.length - 1) : body.length - 1;
  res.writeHead(m ? 206 : 200, {
    'content-length': String(end - start + 1),
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
    ...(m ? { 'content-range': `bytes ${start}-${end}/${body.length}` } : {}),
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  let pos = start;
  let limit = end + 1;
  if (m && served.cutAfter !== undefined) {
    limit = Math.min(limit, start + served.cutAfter);
    served.cutAfter = undefined; // only once
  }
  const pump = () => {
    if (res.destroyed) return;
    if (pos >= limit) {
      if (limit <= end) res.destroy(); // the cut: close mid-file
      else res.end();
      return;
    }
    const n = Math.min(64 * 1024, limit - pos);
    res.write(body.subarray(pos, pos + n));
    pos += n;
    if (served.throttleMs) setTimeout(pump, served.throttleMs);
    else setImmediate(pump);
  };
  pump();
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  server = http.createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const model = fs.readFileSync(await tinyModel({ arch: 'llama', type: 'q8_0' }));
  files.set('/tiny.gguf', { body: model });
  files.set('/cut.gguf', { body: model, cutAfter: 1_000_000 });
  files.set('/slow.gguf', { body: model, throttleMs: 20 });
  files.set('/resume.gguf', { body: model, throttleMs: 10 });
  files.set('/norange.gguf', { body: model, throttleMs: 10, ignoreRange: true });
  files.set('/moved.gguf', { body: model, throttleMs: 10 });
  const listing = [
    { type: 'file', path: 'README.md' },
    { type: 'file', path: 'tiny-Q4_K_M.gguf' },
    { type: 'file', path: 'tiny-Q8_0.gguf' },
    { type: 'file', path: 'mmproj-tiny-Q8_0.gguf' },
    { type: 'file', path: 'big-Q8_0-00001-of-00002.gguf' },
  ];
  files.set('/api/models/owner/repo/tree/main?recursive=true', { body: Buffer.from(JSON.stringify(listing)) });
  files.set('/owner/repo/resolve/main/tiny-Q8_0.gguf', { body: model });
  files.set('/owner/repo/resolve/v2/sub/dir/tiny.gguf', { body: model });
  files.set('/page.gguf', { body: Buffer.from('<!doctype html><html><body>a model page, not a model</body></html>') });
});

afterAll(async () => {
  // the downloader keeps connections alive (and the cancelled one may still be streaming)
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('downloadModel', () => {
  it('downloads a GGUF byte for byte, reporting progress up to the total', async () => {
    const progress: Array<{ bytesDone: number; totalBytes: number }> = [];
    const served = files.get('/tiny.gguf')!.body;
    const result = await downloadModel({ source: `${base}/tiny.gguf`, modelsDir: path.join(dir, 'a'), onProgress: (p) => progress.push(p) });
    expect(result.path).toBe(path.join(dir, 'a', 'tiny.gguf'));
    expect(result.bytes).toBe(served.length);
    expect(result.sha256).toBe(sha(served));
    expect(sha(fs.readFileSync(result.path))).toBe(sha(served));
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.at(-1)).toEqual({ bytesDone: served.length, totalBytes: served.length });
    for (let i = 1; i < progress.length; i++) expect(progress[i]!.bytesDone).toBeGreaterThanOrEqual(progress[i - 1]!.bytesDone);
  });

  it('survives a connection cut mid-file: retried with a range request, the file is still exact', async () => {
    requests.length = 0;
    const served = files.get('/cut.gguf')!.body;
    const result = await downloadModel({ source: `${base}/cut.gguf`, modelsDir: path.join(dir, 'b'), sha256: sha(served) });
    expect(sha(fs.readFileSync(result.path))).toBe(sha(served));
    const ranged = requests.filter((r) => r.url === '/cut.gguf' && r.range);
    expect(ranged.length, JSON.stringify(requests)).toBeGreaterThanOrEqual(2); // the cut one and its retry
  });

  it('enforces the sha256: a mismatch deletes the file and names both hashes', async () => {
    const wrong = 'f'.repeat(64);
    const error = (await downloadModel({ source: `${base}/tiny.gguf`, modelsDir: path.join(dir, 'c'), sha256: wrong }).catch((e) => e)) as SooError;
    expect(error).toBeInstanceOf(SooError);
    expect(error.code).toBe('bad_input');
    expect(error.message).toContain(wrong);
    expect(error.message).toContain(sha(files.get('/tiny.gguf')!.body));
    expect(fs.existsSync(path.join(dir, 'c', 'tiny.gguf'))).toBe(false);
  });

  it('404: a not_found error naming the URL, and no file', async () => {
    const error = (await downloadModel({ source: `${base}/missing.gguf`, modelsDir: path.join(dir, 'd') }).catch((e) => e)) as SooError;
    expect(error).toBeInstanceOf(SooError);
    expect(error.code).toBe('not_found');
    expect(error.message).toContain(`${base}/missing.gguf`);
    expect(error.message).toContain('404');
    expect(fs.readdirSync(path.join(dir, 'd')).filter((f) => f.endsWith('.gguf'))).toEqual([]);
  });

  it('a body that is not GGUF (an HTML page) is refused and deleted', async () => {
    const error = (await downloadModel({ source: `${base}/page.gguf`, modelsDir: path.join(dir, 'e') }).catch((e) => e)) as SooError;
    expect(error.code).toBe('bad_input');
    expect(error.message).toContain('not a GGUF file');
    expect(error.message).toContain(Buffer.from('<!do').toString('hex'));
    expect(fs.existsSync(path.join(dir, 'e', 'page.gguf'))).toBe(false);
  });

  it('a cancel rejects with the signal reason', async () => {
    const controller = new AbortController();
    const run = downloadModel({
      source: `${base}/slow.gguf`,
      modelsDir: path.join(dir, 'f'),
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytesDone > 256 * 1024) controller.abort(new Error('user cancelled'));
      },
    });
    await expect(run).rejects.toThrow('user cancelled');
  });

  /** Starts a throttled download and cancels it once `after` bytes are on disk; resolves when it rejected. */
  async function cancelAfter(source: string, modelsDir: string, after: number): Promise<void> {
    const controller = new AbortController();
    const run = downloadModel({
      source,
      modelsDir,
      signal: controller.signal,
      progressMs: 0,
      onProgress: (p) => {
        if (p.bytesDone > after) controller.abort(new Error('user cancelled'));
      },
    });
    await expect(run).rejects.toThrow('user cancelled');
  }

  it('a cancelled download leaves a part that the next call continues with a Range request; the checksum is exact', async () => {
    const modelsDir = path.join(dir, 'g');
    const served = files.get('/resume.gguf')!.body;
    await cancelAfter(`${base}/resume.gguf`, modelsDir, 512 * 1024);
    const partSize = fs.statSync(path.join(modelsDir, 'resume.gguf.part')).size;
    expect(partSize).toBeGreaterThan(512 * 1024);
    expect(partSize).toBeLessThan(served.length);
    expect(fs.existsSync(path.join(modelsDir, 'resume.gguf'))).toBe(false);
    expect(await listPartialDownloads(modelsDir)).toEqual([{ source: `${base}/resume.gguf`, fileName: 'resume.gguf', bytesDone: partSize, totalBytes: served.length }]);

    requests.length = 0;
    const progress: number[] = [];
    const result = await downloadModel({ source: `${base}/resume.gguf`, modelsDir, sha256: sha(served), progressMs: 0, onProgress: (p) => progress.push(p.bytesDone) });
    expect(result.resumedFrom).toBe(partSize);
    expect(result.sha256).toBe(sha(served));
    expect(sha(fs.readFileSync(result.path))).toBe(sha(served));
    // one request, for the rest only
    expect(requests.filter((r) => r.url === '/resume.gguf')).toEqual([{ url: '/resume.gguf', range: `bytes=${partSize}-` }]);
    expect(progress[0]).toBe(partSize);
    expect(progress.at(-1)).toBe(served.length);
    expect(fs.readdirSync(modelsDir).sort()).toEqual(['resume.gguf']); // no part, no sidecar left
    expect(await listPartialDownloads(modelsDir)).toEqual([]);
  });

  it('a server that ignores Range: the part is dropped and the download starts over cleanly', async () => {
    const modelsDir = path.join(dir, 'h');
    const served = files.get('/norange.gguf')!.body;
    await cancelAfter(`${base}/norange.gguf`, modelsDir, 512 * 1024);
    const partSize = fs.statSync(path.join(modelsDir, 'norange.gguf.part')).size;
    expect(partSize).toBeGreaterThan(0);
    requests.length = 0;
    const result = await downloadModel({ source: `${base}/norange.gguf`, modelsDir, sha256: sha(served) });
    expect(requests.filter((r) => r.url === '/norange.gguf')).toEqual([{ url: '/norange.gguf', range: `bytes=${partSize}-` }]); // asked, got 200
    expect(result.resumedFrom).toBe(0);
    expect(result.bytes).toBe(served.length);
    expect(sha(fs.readFileSync(result.path))).toBe(sha(served));
  });

  it('a part left by another URL under the same file name is not continued', async () => {
    const modelsDir = path.join(dir, 'i');
    await cancelAfter(`${base}/moved.gguf`, modelsDir, 256 * 1024);
    fs.renameSync(path.join(modelsDir, 'moved.gguf.part'), path.join(modelsDir, 'tiny.gguf.part'));
    fs.renameSync(path.join(modelsDir, 'moved.gguf.part.json'), path.join(modelsDir, 'tiny.gguf.part.json'));
    requests.length = 0;
    const served = files.get('/tiny.gguf')!.body;
    const result = await downloadModel({ source: `${base}/tiny.gguf`, modelsDir });
    expect(result.resumedFrom).toBe(0);
    expect(requests.filter((r) => r.url === '/tiny.gguf')).toEqual([{ url: '/tiny.gguf', range: 'bytes=0-' }]);
    expect(sha(fs.readFileSync(result.path))).toBe(sha(served));
  });

  it('a file that changed size on the server since the part was written is not spliced: it starts over', async () => {
    const modelsDir = path.join(dir, 'l');
    const before = files.get('/resume.gguf')!;
    files.set('/changing.gguf', { ...before });
    await cancelAfter(`${base}/changing.gguf`, modelsDir, 256 * 1024);
    const other = fs.readFileSync(await tinyModel({ arch: 'llama', type: 'f32' })); // another model, another size
    expect(other.length).not.toBe(before.body.length);
    files.set('/changing.gguf', { body: other });
    requests.length = 0;
    const result = await downloadModel({ source: `${base}/changing.gguf`, modelsDir, sha256: sha(other) });
    expect(result.resumedFrom).toBe(0);
    expect(requests.filter((r) => r.url === '/changing.gguf').map((r) => r.range)).toEqual([expect.stringMatching(/^bytes=[1-9]\d*-$/), 'bytes=0-']);
    expect(sha(fs.readFileSync(result.path))).toBe(sha(other));
  });

  it('a second download into the same file while the first runs is refused (conflict), the first is unharmed', async () => {
    const modelsDir = path.join(dir, 'm');
    const served = files.get('/resume.gguf')!.body;
    let holding!: () => void;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // the first progress event comes after the part is held (the response has started)
    const first = downloadModel({ source: `${base}/resume.gguf`, modelsDir, onProgress: () => holding() });
    await held;
    const error = (await downloadModel({ source: `${base}/resume.gguf`, modelsDir }).catch((e) => e)) as SooError;
    expect(error).toBeInstanceOf(SooError);
    expect(error.code).toBe('conflict');
    expect(error.message).toContain('resume.gguf is already being downloaded');
    expect(sha(fs.readFileSync((await first).path))).toBe(sha(served));
  });

  it('discardPartialDownload deletes a part and its sidecar', async () => {
    const modelsDir = path.join(dir, 'j');
    await cancelAfter(`${base}/moved.gguf`, modelsDir, 128 * 1024);
    expect(await discardPartialDownload(modelsDir, 'moved.gguf')).toBe(true);
    expect(fs.readdirSync(modelsDir)).toEqual([]);
    expect(await discardPartialDownload(modelsDir, 'moved.gguf')).toBe(false);
  });

  it('hf: references resolve to the Hub file URL, by path and revision or by quantization', async () => {
    const served = files.get('/tiny.gguf')!.body;
    const byQuant = await downloadModel({ source: 'hf:owner/repo:q8_0', modelsDir: path.join(dir, 'k'), hfEndpoint: base });
    expect(byQuant.path).toBe(path.join(dir, 'k', 'tiny-Q8_0.gguf'));
    expect(byQuant.sha256).toBe(sha(served));
    const byPath = await downloadModel({ source: 'hf:owner/repo/sub/dir/tiny.gguf#v2', modelsDir: path.join(dir, 'k'), hfEndpoint: base });
    expect(byPath.path).toBe(path.join(dir, 'k', 'tiny.gguf'));
    expect(byPath.sha256).toBe(sha(served));
    // Q4_K_M names one file; "Q8" is not a whole word of any name; no quant: several files
    await expect(downloadModel({ source: 'hf:owner/repo:Q8', modelsDir: path.join(dir, 'k'), hfEndpoint: base })).rejects.toThrow('no .gguf in owner/repo matches "Q8"');
    await expect(downloadModel({ source: 'hf:owner/repo', modelsDir: path.join(dir, 'k'), hfEndpoint: base })).rejects.toThrow(/3 files in owner\/repo match/);
    await expect(downloadModel({ source: 'hf:owner/missing:Q8_0', modelsDir: path.join(dir, 'k'), hfEndpoint: base })).rejects.toThrow('HTTP 404');
  });

  it('checks sources before any request', () => {
    expect(checkSource(' hf:TheBloke/Mistral-7B-Instruct-v0.2-GGUF/mistral-7b-instruct-v0.2.Q4_K_M.gguf ')).toBe(
      'hf:TheBloke/Mistral-7B-Instruct-v0.2-GGUF/mistral-7b-instruct-v0.2.Q4_K_M.gguf',
    );
    expect(checkSource('hf:owner/repo:Q8_0')).toBe('hf:owner/repo:Q8_0');
    for (const bad of ['hf:owner', 'ftp://x/y.gguf', 'model.gguf', 'hf:owner/repo/readme.md']) {
      expect(() => checkSource(bad), bad).toThrow(SooError);
    }
  });
});
