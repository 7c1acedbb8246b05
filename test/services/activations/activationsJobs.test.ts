/**
 * The Activations page's services and their transport, through the browser harness (HTTP + SSE), with
 * the real services on a temp database.
 * Without the engine:
 * - GET /api/events streams every job event as `data: {name, data}` lines, progress before done;
 * - models.inspect reads a tiny model's header (layers, width as generated) and names bad files;
 * - latentStart refuses bad input at the call (no job): no pack, a layer the model lacks, a missing adapter;
 * - the CSV export holds every number of a result exactly, one per row.
 * With the engine (skipped only when the addon is not built):
 * - a latent job over HTTP reports progress then its result over SSE; the numbers equal
 *   ActivationsService.latent on the same pairs, and the run is recorded with them;
 * - an adapter at scale 0 gives the base numbers exactly, at scale 1 different ones;
 * - per-token values average to the pair's 'full' value at every layer, with one token string per position;
 * - tokenCounts flags exactly the pairs of a draft whose other prompt was made longer;
 * - cancelling on the first progress ends the job 'cancelled' and the run too.
 */
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiResult, LatentResult, PerTokenResult, TokenCountsResult } from '../../../electron/contract/api.ts';
import type { ApiEventMessage, JobDone } from '../../../electron/contract/events.ts';
import { latentCsv, LATENT_CSV_HEADER } from '../../../electron/services/activations/latentExport.ts';
import { displayPiece } from '../../../electron/services/activations/tokenPieces.ts';
import { generatePairs } from '../../../electron/services/scenarios/index.ts';
import { startHarness, type Harness } from '../../harness/server.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';
import { addonBuilt, THREADS } from '../../native/native-addon.ts';
import { writeRandomLora } from './lora.ts';

const ENGINE_MS = 180_000;
/** Both sides sum float32 activations in float64; only the order of the sums differs. */
const REL_TOL = 1e-9;
/** The per-token view decodes its pair alone, the job decoded it batched with others: float32 results
 * of the forward pass can differ in the last bits (seen: 7e-9 relative). */
const BATCH_TOL = 1e-5;

const dir = mkdtempSync(path.join(os.tmpdir(), 'soo-act-jobs-'));
let harness: Harness;
let modelPath: string;

beforeAll(async () => {
  modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
  const emptyRenderer = path.join(dir, 'renderer');
  harness = await startHarness({ dbPath: path.join(dir, 'act.db'), rendererDir: emptyRenderer });
}, ENGINE_MS);
afterAll(async () => {
  await harness?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function call<T>(name: string, input: unknown): Promise<ApiResult<T>> {
  const response = await fetch(new URL(`/api/${name}`, harness.url), { method: 'POST', body: JSON.stringify(input) });
  return (await response.json()) as ApiResult<T>;
}

async function value<T>(name: string, input: unknown): Promise<T> {
  const result = await call<T>(name, input);
  if (!result.ok) throw new Error(`${name}: ${JSON.stringify(result.error)}`);
  return result.value;
}

/** Reads the SSE stream; `next(predicate)` resolves with the first event (from now on) that matches. */
function openEvents(): Promise<{ events: ApiEventMessage[]; until(p: (m: ApiEventMessage) => boolean): Promise<ApiEventMessage>; close(): void }> {
  return new Promise((resolve, reject) => {
    const events: ApiEventMessage[] = [];
    const waiters: { p: (m: ApiEventMessage) => boolean; resolve: (m: ApiEventMessage) => void }[] = [];
    const req = http.get(new URL('/api/events', harness.url), (res) => {
      expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
      let buffer = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (!data) continue; // a comment (connected, keep-alive)
          const message = JSON.parse(data) as ApiEventMessage;
          events.push(message);
          for (const w of waiters.filter((w) => w.p(message))) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(message);
          }
        }
      });
      resolve({
        events,
        until: (p) => new Promise((r) => waiters.push({ p, resolve: r })),
        close: () => req.destroy(),
      });
    });
    req.on('error', reject);
  });
}

const doneOf = (jobId: string) => (m: ApiEventMessage) => m.name === 'onJobDone' && (m.data as JobDone).jobId === jobId;

describe('without the engine', () => {
  it('GET /api/events streams job events: progress, then done with the result', async () => {
    const stream = await openEvents();
    try {
      const { jobId } = harness.services.jobs.start('latent', 'fake job', async ({ onProgress }) => {
        onProgress({ stage: 'half', done: 1, total: 2, unit: 'steps' });
        return { answer: 42 };
      });
      const done = await stream.until(doneOf(jobId));
      const mine = stream.events.filter((m) => (m.data as { jobId: string }).jobId === jobId);
      expect(mine.map((m) => m.name)).toEqual(['onJobProgress', 'onJobDone']);
      expect(mine[0]!.data).toEqual({ jobId, kind: 'latent', stage: 'half', done: 1, total: 2, unit: 'steps' });
      expect(done.data).toEqual({ jobId, kind: 'latent', ok: true, result: { answer: 42 } });
    } finally {
      stream.close();
    }
  });

  it('models.inspect reads the header and names bad files', async () => {
    const summary = await value<{ arch: string; layers: number; embd: number; heads: number; fileType: string; path: string }>('models.inspect', { path: modelPath });
    expect(summary).toMatchObject({ arch: 'llama', layers: 3, embd: 64, heads: 4, fileType: 'ALL_F32', path: modelPath });

    const text = path.join(dir, 'notes.gguf');
    writeFileSync(text, 'not a model at all');
    const bad = await call('models.inspect', { path: text });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad_input', file: text } });
    const missing = await call('models.inspect', { path: path.join(dir, 'nope.gguf') });
    expect(missing).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringContaining('nope.gguf') } });
  });

  it('latentStart refuses bad input at the call, before any job starts', async () => {
    const jobsBefore = harness.services.jobs.list().length;
    const noPack = await call('activations.latentStart', { modelPath });
    expect(noPack).toMatchObject({ ok: false, error: { code: 'bad_input', path: '$.packId' } });
    const layer = await call('activations.latentStart', { modelPath, packId: 'burglar-house', layers: [0, 3] });
    expect(layer).toMatchObject({ ok: false, error: { code: 'bad_input', path: '$.layers', message: expect.stringContaining('0..2') } });
    const adapter = await call('activations.latentStart', { modelPath, packId: 'burglar-house', adapterPath: path.join(dir, 'missing-lora.gguf') });
    expect(adapter).toMatchObject({ ok: false, error: { code: 'bad_input', path: '$.adapterPath' } });
    const unknownPack = await call('activations.latentStart', { modelPath, packId: 'no-such-pack' });
    expect(unknownPack).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect(harness.services.jobs.list().length).toBe(jobsBefore);
  });

  it('the CSV export holds every number exactly, one per row', () => {
    const stat = (layer: number, perPair: number[]) => ({ layer, mean: perPair.reduce((a, b) => a + b) / perPair.length, std: 0.125, perPair });
    const result: LatentResult = {
      jobId: 'j', runId: null, modelPath: '/m.gguf', adapterPath: '/a.gguf', adapterScale: 1, packId: 'p', set: 'probe', seed: 0, n: 2,
      positions: 'full', point: 'attn_out', layers: [0, 5], pairs: [{ self: 'a', other: 'b' }, { self: 'c', other: 'd' }],
      base: [stat(0, [0.1, 1 / 3]), stat(5, [2e-12, 7])], adapter: [stat(0, [Math.PI, 0]), stat(5, [1e300, 0.5])], seconds: 1,
    };
    const perToken: PerTokenResult = { jobId: 'j', pairIndex: 1, self: 'c', other: 'd', selfTokens: ['<s>', ' c'], otherTokens: ['<s>', ' d'], layers: [0, 5], base: [[0, 0.25], [0, 1 / 7]], adapter: null };
    const lines = latentCsv(result, [perToken]).trim().split('\n');
    expect(lines[0]).toBe(LATENT_CSV_HEADER);
    expect(lines).toHaveLength(1 + 2 * 2 * (2 + 2) + 4);
    const cell = (prefix: string) => Number(lines.find((l) => l.startsWith(prefix))!.split(',')[5]);
    expect(cell('base,0,pair,1,,')).toBe(1 / 3);
    expect(cell('adapter,5,pair,0,,')).toBe(1e300);
    expect(cell('base,5,pair,0,,')).toBe(2e-12);
    expect(cell('adapter,0,mean,,,')).toBe(Math.PI / 2);
    expect(cell('base,5,token,1,1,')).toBe(1 / 7);
  });

  it('token pieces turn the tokenizers\' space markers back into spaces', () => {
    expect(displayPiece('▁Hello')).toBe(' Hello');
    expect(displayPiece('Ġworld')).toBe(' world');
    expect(displayPiece('ĊĊ')).toBe('\n\n');
    expect(displayPiece('<s>')).toBe('<s>');
  });
});

describe.skipIf(!addonBuilt)('with the engine', () => {
  let adapterPath: string;
  beforeAll(async () => {
    adapterPath = await writeRandomLora(modelPath, path.join(dir, 'lora.gguf'), { rank: 4, alpha: 16, bStd: 0.5 });
  });

  async function runJob(input: Record<string, unknown>): Promise<{ done: JobDone; progress: ApiEventMessage[] }> {
    const stream = await openEvents();
    try {
      const { jobId } = await value<{ jobId: string }>('activations.latentStart', { modelPath, threads: THREADS, ...input });
      const done = (await stream.until(doneOf(jobId))).data as JobDone;
      return { done, progress: stream.events.filter((m) => m.name === 'onJobProgress' && (m.data as { jobId: string }).jobId === jobId) };
    } finally {
      stream.close();
    }
  }

  it('a latent job reports progress then its result; numbers equal ActivationsService.latent; the run is recorded', { timeout: ENGINE_MS }, async () => {
    const { done, progress } = await runJob({ packId: 'burglar-house', n: 6, seed: 3, positions: 'mean', point: 'mlp_out', layers: [0, 2] });
    expect(done.ok, JSON.stringify(done.error)).toBe(true);
    const r = done.result as LatentResult;
    expect(progress.length).toBeGreaterThan(0);
    const last = progress.at(-1)!.data as { done: number; total: number; unit: string };
    expect(last.unit).toBe('tokens');
    expect(last.done).toBe(last.total);

    const pairs = generatePairs(harness.services.scenarios.resolve('burglar-house'), { set: 'probe', n: 6, seed: 3 });
    expect(r.pairs).toEqual(pairs.map((p) => ({ self: p.self, other: p.other })));
    const ref = await harness.services.activations.latent({ modelPath, pairs, layers: [0, 2], point: 'mlp_out', positions: 'mean', threads: THREADS });
    r.base.forEach((l, i) => {
      expect(l.layer).toBe(ref.layers[i]!.layer);
      l.perPair.forEach((v, k) => expect(Math.abs(v - ref.layers[i]!.perPair[k]!) / ref.layers[i]!.perPair[k]!).toBeLessThan(REL_TOL));
    });
    expect(r.adapter).toBeNull();

    const run = harness.services.runs.get(r.runId!)!;
    expect(run).toMatchObject({ kind: 'latent', status: 'done', modelPath, seed: 3 });
    const metrics = new Map(harness.services.runs.metrics(r.runId!).map((m) => [m.name, m.value]));
    expect(metrics.get('latent_mse.base.layer_2')).toBe(r.base[1]!.mean);
  });

  it('an adapter at scale 0 gives the base numbers exactly; at scale 1 different ones', { timeout: ENGINE_MS }, async () => {
    const common = { packId: 'burglar-house', n: 4, positions: 'full', adapterPath };
    const zero = (await runJob({ ...common, adapterScale: 0 })).done.result as LatentResult;
    expect(zero.adapter!.map((l) => l.perPair)).toEqual(zero.base.map((l) => l.perPair));
    const one = (await runJob({ ...common, adapterScale: 1 })).done.result as LatentResult;
    expect(one.base).toEqual(zero.base);
    for (const [i, l] of one.adapter!.entries()) expect(l.mean).not.toBe(one.base[i]!.mean);
  });

  it("per-token values average to the pair's 'full' value at every layer", { timeout: ENGINE_MS }, async () => {
    const { done } = await runJob({ packId: 'burglar-house', n: 3, positions: 'full', adapterPath });
    const r = done.result as LatentResult;
    const p = await value<PerTokenResult>('activations.perToken', { jobId: r.jobId, pairIndex: 2 });
    expect(p.self).toBe(r.pairs[2]!.self);
    const tokens = await harness.services.engine.call('model.tokenize', { modelPath, texts: [p.self] });
    expect(p.selfTokens).toHaveLength(tokens[0]!.length);
    expect(p.selfTokens[0]).toBe('<s>');
    expect(p.selfTokens.join('')).toContain(p.self.slice(0, 20)); // the pieces spell the prompt
    for (const [matrix, stats] of [[p.base, r.base], [p.adapter!, r.adapter!]] as const) {
      matrix.forEach((row, i) => {
        expect(row).toHaveLength(p.selfTokens.length);
        const mean = row.reduce((a, b) => a + b, 0) / row.length;
        expect(Math.abs(mean - stats[i]!.perPair[2]!) / stats[i]!.perPair[2]!).toBeLessThan(BATCH_TOL);
      });
    }
    const missing = await call('activations.perToken', { jobId: r.jobId, pairIndex: 3 });
    expect(missing).toMatchObject({ ok: false, error: { code: 'bad_input', path: '$.pairIndex' } });
  });

  it('tokenCounts flags exactly the pairs whose other prompt was made longer', { timeout: ENGINE_MS }, async () => {
    const pack = structuredClone(harness.services.scenarios.get('burglar-house').pack) as { pairs: { probe: { other: string }[] } };
    pack.pairs.probe[1]!.other = pack.pairs.probe[1]!.other.replace('lives in,', 'lives in, as it happens,');
    const counts = await value<TokenCountsResult>('activations.tokenCounts', { modelPath, pack, set: 'probe', n: 6, seed: 0 });
    expect(counts.pairs).toHaveLength(6);
    // Instance i uses probe template i % 2: the odd ones were lengthened.
    expect(counts.pairs.filter((c) => !c.aligned).map((c) => c.index)).toEqual([1, 3, 5]);
    expect(counts.misaligned).toBe(3);
    const lengths = await harness.services.engine.call('model.tokenize', { modelPath, texts: counts.pairs.flatMap((c) => [c.self, c.other]) });
    counts.pairs.forEach((c, i) => {
      expect(c.selfTokens).toBe(lengths[2 * i]!.length);
      expect(c.otherTokens).toBe(lengths[2 * i + 1]!.length);
    });
  });

  it('cancelling on the first progress ends the job and its run as cancelled', { timeout: ENGINE_MS }, async () => {
    const stream = await openEvents();
    try {
      const { jobId } = await value<{ jobId: string }>('activations.latentStart', { modelPath, packId: 'burglar-house', n: 52, positions: 'last', adapterPath });
      await stream.until((m) => m.name === 'onJobProgress' && (m.data as { jobId: string }).jobId === jobId);
      expect(await value<{ cancelled: boolean }>('jobs.cancel', { jobId })).toEqual({ cancelled: true });
      const done = (await stream.until(doneOf(jobId))).data as JobDone;
      expect(done).toMatchObject({ ok: false, error: { code: 'cancelled' } });
      const run = harness.services.runs.list({ kind: 'latent', limit: 1 })[0]!;
      expect(run.status).toBe('cancelled');
    } finally {
      stream.close();
    }
  });
});
