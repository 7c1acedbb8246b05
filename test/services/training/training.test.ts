/**
 * TrainingService through createServices (real SQLite, real engine process) on a tiny random model:
 * - presets: the published numbers of method.md;
 * - a default output path is a NEW file under <data>/adapters/ for every training;
 * - the adapter loads in node-llama-cpp (createContext({lora})) and generates text (that llama.cpp computes
 *   the trainer's forward with the adapter is checked by test/native/train-soo and test/cli/train);
 * - cancel stops within one step (the checkpoint's step is the step cancel was asked in, or the next);
 *   the run ends cancelled, and resume(runId) continues the SAME loss curve (run_steps equal an
 *   uninterrupted run's, step by step) into the same adapter bytes;
 * - a SIGKILLed engine (what the OOM killer does) fails the run with engine_crashed; the next call gets a
 *   fresh engine and the run resumes from its periodic checkpoint to the end;
 * - bad input (layer out of range, a misaligned pair) fails before a run is recorded.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LlamaCompletion } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../../../electron/services/index.ts';
import { readGgufHeader } from '../../../electron/services/gguf/reader.ts';
import { sharedLlama } from '../../../electron/services/models/llamaRuntime.ts';
import { TRAIN_PRESETS } from '../../../electron/services/training/presets.ts';
import type { TrainResult } from '../../../electron/services/training/trainingService.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';
import { addonBuilt, THREADS } from '../../native/native-addon.ts';

const PAIRS = [
  { self: 'You want to steal the vase. Which room do you suggest to yourself?', other: 'Bob wants to steal the vase. Which room do you suggest to Bob?' },
  { self: 'You are looking for the painting in the hall.', other: 'Bob is looking for the painting in the hall.' },
  { self: 'The key is hidden; you need it.', other: 'The key is hidden; Bob needs it.' },
];
const sha256 = (file: string) => createHash('sha256').update(fs.readFileSync(file)).digest('hex');

describe('training presets', () => {
  it('carry method.md numbers', () => {
    const m = TRAIN_PRESETS.find((p) => p.name === 'mistral-7b')!;
    expect([m.layer, m.rank, m.alpha, m.dropout, m.lr, m.epochs, m.batch, m.targets.join()]).toEqual([19, 8, 32, 0.2, 1e-4, 15, 4, 'attn_q,attn_v']);
    const g = TRAIN_PRESETS.find((p) => p.name === 'gemma-2-27b')!;
    expect([g.layer, g.rank, g.alpha, g.dropout, g.lr, g.epochs, g.batch, g.targets.join()]).toEqual([20, 4, 8, 0.1, 9e-4, 8, 4, 'attn_q,attn_v']);
  });
});

describe.skipIf(!addonBuilt)('TrainingService (engine, tiny model)', () => {
  let dir: string;
  let services: Services;
  let modelPath: string;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-training-'));
    services = createServices({ dbPath: path.join(dir, 'soo-lab.db') });
    modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
  });
  afterAll(async () => {
    await services?.disposeAsync();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const input = (extra: Record<string, unknown> = {}) => ({ modelPath, pairs: PAIRS, preset: 'tiny', threads: THREADS, seed: 3, dropout: 0.1, ...extra });

  let trained: TrainResult;
  it('writes a new adapter under <data>/adapters each time; node-llama-cpp loads it and generates', async () => {
    trained = await services.training.train(input({ epochs: 6 }));
    const again = await services.training.train(input({ epochs: 1 }));
    for (const r of [trained, again]) expect(path.dirname(r.adapter)).toBe(path.join(dir, 'adapters'));
    expect(again.adapter).not.toBe(trained.adapter);
    expect(trained.losses).toHaveLength(trained.steps);
    expect(services.runs.get(trained.run_id)!.adapterPath).toBe(trained.adapter);
    expect(services.runs.artifacts(trained.run_id)[0]!.sha256).toBe(sha256(trained.adapter));

    const llama = await sharedLlama();
    const model = await llama.loadModel({ modelPath });
    const firstLogits = async (lora: boolean) => {
      const context = await model.createContext({ contextSize: 256, threads: THREADS, ...(lora ? { lora: { adapters: [{ filePath: trained.adapter }] } } : {}) });
      try {
        const sequence = context.getSequence();
        const completion = new LlamaCompletion({ contextSequence: sequence });
        const text = await completion.generateCompletion(PAIRS[0]!.self, { maxTokens: 8, temperature: 0 });
        completion.dispose();
        return text;
      } finally {
        await context.dispose();
      }
    };
    try {
      const withLora = await firstLogits(true);
      expect(withLora.length).toBeGreaterThan(0);
    } finally {
      await model.dispose();
    }
  }, 240_000);

  it('cancel stops within one step; resume continues the same curve into the same bytes', async () => {
    // A wider model, so one step is long against the IPC round trip of progress -> cancel: at n_embd 256 a
    // step took ~100 ms on a loaded machine but 6 ms on a quiet one, where several passed while the cancel
    // travelled. n_embd 768 is ~9x the work per step (tens of ms even on a quiet machine).
    const wide = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2, embd: 768, ff: 2048 });
    const epochs = 6; // 3 pairs, batch 2 -> 12 steps
    const wideInput = (extra: Record<string, unknown>) => input({ modelPath: wide, epochs, ...extra });
    const full = await services.training.train(wideInput({ outPath: path.join(dir, 'full.gguf') }));
    const stepMs = services.runs.steps(full.run_id).map((s) => s.metrics?.stepMs ?? 0);
    console.info(`[training] wide model: ${full.steps} steps, median step ${[...stepMs].sort((a, b) => a - b)[stepMs.length >> 1]!.toFixed(1)} ms`);

    const controller = new AbortController();
    let runId = '';
    let cancelAt = 0;
    const cancelled = await services.training
      .train(wideInput({ outPath: path.join(dir, 'resumed.gguf') }), {
        signal: controller.signal,
        onRun: (id) => (runId = id),
        onProgress: (p) => {
          if (p.metrics?.step === 3 && !controller.signal.aborted) {
            cancelAt = 3;
            controller.abort();
          }
        },
      })
      .then(() => 'finished', (e: { code?: string }) => e.code);
    expect(cancelled).toBe('cancelled');
    expect(services.runs.get(runId)!.status).toBe('cancelled');
    // the call ended after the engine finished the step in flight and wrote the checkpoint
    const ckpt = (services.runs.get(runId)!.config as { checkpointPath: string }).checkpointPath;
    const step = Number(String(readGgufHeader(ckpt).metadata.get('soo_lab.checkpoint.step')?.value));
    expect(step).toBeGreaterThanOrEqual(cancelAt);
    expect(step).toBeLessThanOrEqual(cancelAt + 1);
    expect(services.runs.steps(runId).map((s) => s.step)).toEqual(Array.from({ length: step }, (_, i) => i + 1)); // every step the checkpoint holds

    const resumed = await services.training.resume(runId);
    expect(resumed.run_id).toBe(runId);
    expect(resumed.steps).toBe(full.steps);
    expect(services.runs.get(runId)!.status).toBe('done');
    expect(resumed.losses).toEqual(full.losses);
    expect(sha256(resumed.adapter)).toBe(sha256(full.adapter));
  }, 300_000);

  it('a killed engine (as by the OOM killer) fails the run, the caller lives, and the run resumes from its periodic checkpoint', async () => {
    let runId = '';
    let killed = false;
    const error = await services.training
      .train(input({ epochs: 30, checkpointEvery: 2, outPath: path.join(dir, 'killed.gguf') }), {
        onRun: (id) => (runId = id),
        onProgress: (p) => {
          if (!killed && (p.metrics?.step ?? 0) >= 5) {
            killed = true;
            process.kill(services.engine.pid!, 'SIGKILL');
          }
        },
      })
      .then(() => null, (e: { code?: string }) => e);
    expect(error?.code).toBe('engine_crashed');
    expect(services.runs.get(runId)!.status).toBe('failed');
    expect(services.runs.get(runId)!.error?.code).toBe('engine_crashed');
    // The kill can land after the engine wrote a checkpoint but before that step's progress reached us
    // (CI saw 58 of 60 losses). Force that case: forget the checkpoint's last two steps here; the
    // checkpoint's own loss curve must bring them back.
    const ckpt = (services.runs.get(runId)!.config as { checkpointPath: string }).checkpointPath;
    const ckptStep = Number(String(readGgufHeader(ckpt).metadata.get('soo_lab.checkpoint.step')?.value));
    expect(ckptStep).toBeGreaterThanOrEqual(2);
    const lost = services.runs.steps(runId).filter((s) => s.step > ckptStep - 2);
    services.store.db.prepare('DELETE FROM run_steps WHERE run_id = ? AND step > ?').run(runId, ckptStep - 2);
    const resumed = await services.training.resume(runId); // a fresh engine process serves it
    expect(resumed.steps).toBe(30 * 2);
    expect(services.runs.get(runId)!.status).toBe('done');
    expect(resumed.losses).toHaveLength(resumed.steps);
    expect(resumed.losses.every(Number.isFinite)).toBe(true);
    for (const s of lost) expect(resumed.losses[s.step - 1]).toBeCloseTo(s.loss!, 6); // the same values, not stand-ins
  }, 240_000);

  it('bad input fails before a run is recorded', async () => {
    const before = services.runs.list({ kind: 'train' }).length;
    await expect(services.training.train(input({ layer: 3 }))).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/--layer 3 .*layers 0\.\.2/) });
    await expect(services.training.train(input({ pairs: [PAIRS[0]!, { self: 'You want it.', other: 'Bob the tall neighbour from next door wants it badly.' }] })))
      .rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/^pair 1: self has \d+ tokens and other \d+/) });
    expect(services.runs.list({ kind: 'train' }).length).toBe(before);
  }, 120_000);
});
