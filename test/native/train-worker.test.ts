/**
 * The N-API training job (native/src/napi/train-worker.cpp) through the main addon soo_native.node:
 * - every optimizer step reaches onProgress, in order, with the losses the promise returns;
 * - the written adapter is accepted by the addon's adapter check for the base architecture;
 * - cancel() rejects with code 'cancelled' before the last step and writes a checkpoint; resuming from it
 *   gives the same adapter bytes as an uninterrupted run;
 * - bad options throw bad_input synchronously; a misaligned pair rejects with bad_input naming the pair.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NativeModel } from '../../native/index.d.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, loadTestAddon, THREADS } from './native-addon.ts';


interface TrainProgress { step: number; nSteps: number; epoch: number; loss: number; stepMs: number; tokensPerS: number }
interface TrainResult { steps: number; losses: Float32Array; adapterPath: string }
interface TrainJob { promise: Promise<TrainResult>; cancel(): void }
interface TrainAddon { trainSoo(options: Record<string, unknown>, onProgress?: (p: TrainProgress) => void): TrainJob }

const PAIRS = [
  { self: 'You want to steal the vase. Which room do you suggest to yourself?', other: 'Bob wants to steal the vase. Which room do you suggest to Bob?' },
  { self: 'You are looking for the painting in the hall.', other: 'Bob is looking for the painting in the hall.' },
  { self: 'The key is hidden; you need it.', other: 'The key is hidden; Bob needs it.' },
];

describe.skipIf(!addonBuilt)('trainSoo (N-API training job)', () => {
  let train: TrainAddon;
  let dir: string;
  let modelPath: string;
  let pairs: { self: Int32Array; other: Int32Array }[];
  beforeAll(async () => {
    train = loadTestAddon() as unknown as TrainAddon;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-train-worker-'));
    modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
    const model: NativeModel = await loadTestAddon().loadModel(modelPath);
    pairs = PAIRS.map((p) => ({ self: model.tokenize(p.self), other: model.tokenize(p.other) }));
    model.dispose();
  });
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const options = (extra: Record<string, unknown>) => ({
    modelPath, pairs, layer: 1, threads: THREADS, rank: 4, alpha: 8, lr: 1e-2, epochs: 10, batch: 2, dropout: 0.1, seed: 3, ...extra,
  });

  it('reports every step, returns the same losses, writes an adapter llama.cpp accepts', async () => {
    const seen: TrainProgress[] = [];
    const out = path.join(dir, 'a.gguf');
    const result = await train.trainSoo(options({ outPath: out }), (p) => seen.push(p)).promise;
    expect(result.steps).toBe(20); // 3 pairs, batch 2 -> 2 steps per epoch
    expect(seen.map((p) => p.step)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(seen.map((p) => p.loss)).toEqual(Array.from(result.losses));
    expect(seen.every((p) => p.nSteps === 20 && p.stepMs > 0)).toBe(true);
    expect(result.losses[19]!).toBeLessThan(0.5 * result.losses[0]!);
    expect(loadTestAddon().inspectGguf(out, { kind: 'adapter', baseArchitecture: 'llama' }).type).toBe('adapter');
  }, 120_000);

  it('cancel rejects with cancelled and leaves a checkpoint that resumes to the same adapter', async () => {
    const full = path.join(dir, 'full.gguf');
    await train.trainSoo(options({ outPath: full, epochs: 100 })).promise;

    const ckpt = path.join(dir, 'ckpt.gguf');
    const resumed = path.join(dir, 'resumed.gguf');
    let job: TrainJob | undefined;
    job = train.trainSoo(options({ outPath: resumed, epochs: 100, checkpointPath: ckpt }), (p) => {
      if (p.step === 3) job!.cancel();
    });
    const error = await job.promise.then(() => undefined, (e: unknown) => e as { code?: string; message: string });
    expect(error?.code, error?.message).toBe('cancelled');
    const stoppedAt = Number(/after step (\d+)/.exec(error!.message)?.[1]);
    expect(stoppedAt).toBeGreaterThanOrEqual(3);
    expect(stoppedAt).toBeLessThan(200);
    expect(fs.existsSync(resumed)).toBe(false);

    const rest: number[] = [];
    const result = await train.trainSoo(options({ outPath: resumed, epochs: 100, resumeFrom: ckpt }), (p) => rest.push(p.step)).promise;
    expect(rest[0]).toBe(stoppedAt + 1);
    expect(result.steps).toBe(200);
    expect(fs.readFileSync(resumed).equals(fs.readFileSync(full))).toBe(true);
  }, 240_000);

  it('rejects bad options with bad_input', async () => {
    expect(() => train.trainSoo({ modelPath })).toThrow(/outPath must be given/);
    try {
      train.trainSoo(options({ outPath: path.join(dir, 'x.gguf'), positions: 'middle' }));
      expect.unreachable();
    } catch (e) {
      expect((e as { code?: string }).code).toBe('bad_input');
    }
    const misaligned = [{ self: [1, 2, 3], other: [1, 2] }];
    const error = await train.trainSoo(options({ outPath: path.join(dir, 'y.gguf'), pairs: misaligned })).promise.then(
      () => undefined,
      (e: unknown) => e as { code?: string; message: string },
    );
    expect(error?.code).toBe('bad_input');
    expect(error?.message).toContain('pair 0');
  });
});
