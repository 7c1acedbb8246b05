/**
 * ModelsService (the Models page's service) and GpuOffload on generated tiny models, CPU only
 * (gpu: false, as CI has no GPU): the library view, opening by path (bad paths are bad_input naming
 * the file), forgetting, downloads as jobs with byte progress and the part kept on cancel, and the
 * offload setting: recorded in app_settings, handed to the runtime that loadModel reads, read back by
 * a fresh service on the same database; 'auto' on the CPU offloads 0 of layers + 1 (the output layer).
 * A gated file: 401 without the token (bad_input saying so), downloaded with it as a bearer token.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SooError } from '../../../electron/contract/errors.ts';
import type { JobDone, JobProgress } from '../../../electron/contract/events.ts';
import { JobRunner } from '../../../electron/services/jobs/jobs.ts';
import { configureLlamaRuntime, defaultGpuLayers, disposeSharedLlama } from '../../../electron/services/models/llamaRuntime.ts';
import { ModelsService } from '../../../electron/services/models/modelsService.ts';
import { openDatabase, type Store } from '../../../electron/services/store/index.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';
import { tempDir } from '../evaluation/helpers.ts';

const dir = tempDir('soo-models-service-');
const modelsDir = path.join(dir, 'models');
let store: Store;
let model = '';
let server: http.Server;
let base = '';
let body: Buffer;

beforeAll(async () => {
  configureLlamaRuntime({ gpu: false, threads: 1 });
  model = await tinyModel({ arch: 'llama', type: 'q8_0' });
  body = fs.readFileSync(model);
  store = openDatabase(path.join(dir, 'lab.db'));
  // serves the model slowly (64 KiB every 10 ms), honouring Range
  server = http.createServer((req, res) => {
    if (req.url === '/gated.gguf' && req.headers.authorization !== 'Bearer hf_s3cret') return void res.writeHead(401).end('token needed');
    const m = /bytes=(\d+)-/.exec(req.headers.range ?? '');
    const start = m ? Number(m[1]) : 0;
    res.writeHead(m ? 206 : 200, { 'content-length': String(body.length - start), ...(m ? { 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` } : {}) });
    let pos = start;
    const pump = () => {
      if (res.destroyed) return;
      if (pos >= body.length) return void res.end();
      res.write(body.subarray(pos, pos + 64 * 1024));
      pos += 64 * 1024;
      setTimeout(pump, 10);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await disposeSharedLlama();
  store?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ModelsService', () => {
  it('opens a GGUF by path (remembered as external), refuses bad paths naming the file, forgets', async () => {
    const service = new ModelsService({ db: store.db, jobs: new JobRunner(), modelsDir });
    expect(await service.view()).toEqual({ modelsDir, models: [], partial: [] });
    const info = await service.open(model);
    expect(info).toMatchObject({ path: model, source: 'external', architecture: 'llama', layers: 2, nEmbd: 64, fileType: 'MOSTLY_Q8_0', chatTemplate: true, bytes: body.length });
    expect(info.chatTemplateText).toEqual(expect.any(String));
    expect((await service.view()).models.map((m) => m.path)).toEqual([model]);

    const missing = path.join(dir, 'nope.gguf');
    const error = (await service.open(missing).catch((e) => e)) as SooError;
    expect(error).toBeInstanceOf(SooError);
    expect(error.code).toBe('bad_input');
    expect(error.message).toContain(missing);
    const text = path.join(dir, 'notes.gguf');
    fs.writeFileSync(text, 'hello');
    await expect(service.open(text)).rejects.toThrow('not a GGUF file');

    expect(service.forget(model)).toEqual({ removed: true });
    expect(service.forget(model)).toEqual({ removed: false });
    expect((await service.view()).models).toEqual([]);
  });

  it('downloads as a job with byte progress; a cancel keeps the part, listed, and the next download continues it', async () => {
    const jobs = new JobRunner();
    const events: Array<JobProgress | JobDone> = [];
    jobs.subscribe((m) => events.push(m.data));
    const service = new ModelsService({ db: store.db, jobs, modelsDir });
    const { jobId } = service.startDownload({ source: `${base}/m.gguf` });
    // cancel after the first 256 KiB arrived
    await new Promise<void>((resolve) => {
      const off = jobs.subscribe((m) => {
        if (m.name === 'onJobProgress' && m.data.jobId === jobId && (m.data as JobProgress).done > 256 * 1024) {
          off();
          jobs.cancel(jobId);
          resolve();
        }
      });
    });
    await new Promise<void>((resolve) => jobs.subscribe((m) => m.name === 'onJobDone' && m.data.jobId === jobId && resolve()));
    const partial = (await service.view()).partial;
    expect(partial).toHaveLength(1);
    expect(partial[0]).toMatchObject({ source: `${base}/m.gguf`, fileName: 'm.gguf', totalBytes: body.length });
    expect(partial[0]!.bytesDone).toBeGreaterThan(0);

    const second = service.startDownload({ source: `${base}/m.gguf` });
    const done = await new Promise<JobDone>((resolve) => jobs.subscribe((m) => m.name === 'onJobDone' && m.data.jobId === second.jobId && resolve(m.data as JobDone)));
    expect(done.ok).toBe(true);
    expect(done.result).toMatchObject({ path: path.join(modelsDir, 'm.gguf'), bytes: body.length, resumedFrom: partial[0]!.bytesDone });
    const progress = events.filter((e): e is JobProgress => 'stage' in e && e.jobId === second.jobId);
    expect(progress[0]).toMatchObject({ kind: 'download', unit: 'bytes', done: partial[0]!.bytesDone, total: body.length });
    expect(progress.at(-1)).toMatchObject({ done: body.length, total: body.length });
    const view = await service.view();
    expect(view.partial).toEqual([]);
    expect(view.models.map((m) => [m.fileName, m.source])).toEqual([['m.gguf', 'library']]);
  });

  it('records the GPU offload setting, hands it to the runtime, and reads it back; auto on the CPU is 0 layers', async () => {
    const service = new ModelsService({ db: store.db, jobs: new JobRunner(), modelsDir });
    expect(service.gpu.setting()).toBe('auto');
    service.gpu.set(3);
    expect(defaultGpuLayers()).toBe(3);
    expect(new ModelsService({ db: store.db, jobs: new JobRunner(), modelsDir }).gpu.setting()).toBe(3);
    const view = await service.gpu.view(model);
    expect(view).toMatchObject({ backend: false, devices: [], vram: null, setting: 3, auto: { modelPath: model, gpuLayers: 0, totalLayers: 3 } });
    service.gpu.set('auto');
    expect(defaultGpuLayers()).toBe('auto');
    expect(() => service.gpu.set(-1)).toThrow(SooError);
  });

  it('sends the access token of a gated download as a bearer token, and says so when it is missing', async () => {
    const jobs = new JobRunner();
    const service = new ModelsService({ db: store.db, jobs, modelsDir: path.join(dir, 'gated') });
    const done = (jobId: string) => new Promise<JobDone>((resolve) => jobs.subscribe((m) => m.name === 'onJobDone' && m.data.jobId === jobId && resolve(m.data as JobDone)));
    const refused = await done(service.startDownload({ source: `${base}/gated.gguf` }).jobId);
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatchObject({ code: 'bad_input', message: `${base}/gated.gguf: access denied (HTTP 401)` });
    expect(refused.error!.hint).toContain('access token');
    const ok = await done(service.startDownload({ source: `${base}/gated.gguf`, token: 'hf_s3cret' }).jobId);
    expect(ok.ok).toBe(true);
    expect(ok.result).toMatchObject({ bytes: body.length, resumedFrom: 0 });
  });
});
