/**
 * The isolated engine process: bad inputs become clear errors and the process survives (same pid);
 * a native abort (debug.crash) takes down only the engine, pending calls reject with engine_crashed,
 * and the next call starts a fresh engine; AbortSignal cancels a running job; a missing addon is
 * reported as "native engine not built".
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SooError } from '../../electron/contract/errors.ts';
import { kv } from '../../electron/services/gguf/gguf-value.ts';
import { encodeF32 } from '../../electron/services/gguf/quantize.ts';
import { writeGguf } from '../../electron/services/gguf/writer.ts';
import { EngineClient } from '../../electron/services/engine/engineClient.ts';
import type { EngineExit } from '../../electron/services/engine/engineProcess.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, THREADS } from './native-addon.ts';
import { isAlive } from '../helpers/process.ts';

async function rejection(promise: Promise<unknown>): Promise<SooError> {
  const error = await promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SooError);
  return error as SooError;
}

describe.skipIf(!addonBuilt)('engine process', () => {
  let engine: EngineClient;
  let dir: string;
  let modelPath: string;
  const crashes: EngineExit[] = [];
  beforeAll(async () => {
    engine = new EngineClient({ debug: true });
    engine.onCrash((exit) => crashes.push(exit));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-lab-engine-'));
    modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
  });
  afterAll(async () => {
    await engine?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('turns bad files and bad requests into clear bad_input errors; the process survives', async () => {
    const hello = await engine.call('engine.hello', {});
    expect(hello.pid).toBe(engine.pid);
    const original = fs.readFileSync(modelPath);

    const truncated = path.join(dir, 'truncated.gguf');
    fs.writeFileSync(truncated, original.subarray(0, Math.floor(original.length * 0.6)));
    const e1 = await rejection(engine.call('model.info', { modelPath: truncated }));
    expect(e1.code).toBe('bad_input');
    expect(e1.message).toMatch(/truncated GGUF: tensor '.+' ends at byte \d+ but the file has \d+ bytes/);
    expect(e1.data.file).toBe(truncated);

    const wrongMagic = path.join(dir, 'wrong-magic.gguf');
    fs.writeFileSync(wrongMagic, Buffer.concat([Buffer.from('GGUX'), original.subarray(4)]));
    const e2 = await rejection(engine.call('model.info', { modelPath: wrongMagic }));
    expect(e2.code).toBe('bad_input');
    expect(e2.message).toContain("not a GGUF file: magic is 'GGUX");
    expect(e2.message).toContain(wrongMagic);

    const mamba = path.join(dir, 'mamba.gguf');
    await writeGguf(mamba, new Map([['general.architecture', kv.str('mamba')], ['mamba.block_count', kv.u32(1)]]), [
      { name: 'token_embd.weight', ne: [8, 4], type: 'f32', data: () => encodeF32(new Float32Array(32)) },
    ]);
    const e3 = await rejection(engine.call('model.info', { modelPath: mamba }));
    expect(e3.code).toBe('bad_input');
    expect(e3.message).toContain("unsupported architecture 'mamba'");

    const tokens = (await engine.call('model.tokenize', { modelPath, texts: ['Where is the vase?'] }))[0]!;
    const e4 = await rejection(engine.call('taps.run', { modelPath, prompts: [tokens], taps: [{ layer: 3, point: 'attn_out' }], threads: THREADS }));
    expect(e4.code).toBe('bad_input');
    expect(e4.message).toContain('layer 3 is out of range for attn_out: the model has 3 layers (0..2)');

    const e5 = await rejection(engine.call('taps.run', { modelPath, prompts: [[1, 999999]], taps: [{ layer: 0, point: 'resid' }], threads: THREADS }));
    expect(e5.message).toContain('prompt 0 token 1 is 999999, outside the vocabulary');

    const missing = path.join(dir, 'nope.gguf');
    const e6 = await rejection(engine.call('model.info', { modelPath: missing }));
    expect(e6.code).toBe('bad_input');
    expect(e6.message).toContain(missing);

    // still the same process, and it still works
    expect((await engine.call('engine.hello', {})).pid).toBe(hello.pid);
    const info = await engine.call('model.info', { modelPath });
    expect(info.nLayer).toBe(3);
    expect(crashes).toHaveLength(0);
  });

  it('survives a native abort: pending calls reject with engine_crashed, the next call restarts the engine', async () => {
    const before = (await engine.call('engine.hello', {})).pid;
    const crash = engine.call('debug.crash', { mode: 'abort' });
    const queued = engine.call('model.info', { modelPath }); // waits behind the crashing job
    const e1 = await rejection(crash);
    expect(e1.code).toBe('engine_crashed');
    expect(e1.message).toMatch(/crashed \(reason: crashed, code null, signal SIGABRT\)/);
    expect(e1.message).toContain('debug.crash requested'); // the last stderr line
    const e2 = await rejection(queued);
    expect(e2.code).toBe('engine_crashed');
    expect(crashes.at(-1)?.reason).toBe('crashed');

    const after = await engine.call('engine.hello', {});
    expect(after.pid).not.toBe(before);
    const tokens = (await engine.call('model.tokenize', { modelPath, texts: ['Bob asks where the vase is.'] }))[0]!;
    const taps = await engine.call('taps.run', { modelPath, prompts: [tokens], taps: [{ layer: 1, point: 'attn_out' }], threads: THREADS });
    expect(taps.activations[0]![0]!.length).toBe(tokens.length * taps.nEmbd);
  });

  it('refuses debug.crash unless the engine was started with debug enabled; dispose ends the process', async () => {
    let pid: number;
    {
      await using plain = new EngineClient();
      const error = await rejection(plain.call('debug.crash', { mode: 'abort' }));
      expect(error.code).toBe('bad_input');
      pid = (await plain.call('engine.hello', {})).pid;
      expect(isAlive(pid)).toBe(true);
    }
    expect(isAlive(pid)).toBe(false); // no engine process outlives its client
  });

  it('cancels a running job through its AbortSignal; the engine keeps serving', async () => {
    const pid = (await engine.call('engine.hello', {})).pid;
    const prompt = Array.from({ length: 256 }, (_, i) => 1 + ((i * 7919) % 30000));
    const prompts = Array.from({ length: 200 }, () => prompt); // 51 200 tokens: seconds of work
    const controller = new AbortController();
    let progressEvents = 0;
    const job = engine.call(
      'taps.run',
      { modelPath, prompts, taps: [{ layer: 2, point: 'resid' }], threads: THREADS },
      {
        signal: controller.signal,
        onProgress: (p) => {
          progressEvents += 1;
          expect(p.unit).toBe('tokens');
          expect(p.total).toBe(51_200);
          controller.abort(new Error('user pressed stop'));
        },
      },
    );
    const error = await rejection(job);
    expect(error.code).toBe('cancelled');
    expect(error.message).toContain('user pressed stop');
    expect(progressEvents).toBe(1);
    const started = Date.now();
    expect((await engine.call('engine.hello', {})).pid).toBe(pid); // waits until the job has stopped
    expect(Date.now() - started).toBeLessThan(5_000);
    const early = await rejection(engine.call('engine.hello', {}, { signal: AbortSignal.abort() }));
    expect(early.code).toBe('cancelled');
  });

  it('reports a missing addon as "native engine not built" with the reason', async () => {
    await using broken = new EngineClient({ env: { SOO_LAB_NATIVE_ADDON: path.join(dir, 'missing', 'Release', 'soo_native.node') } });
    const error = await rejection(broken.call('engine.hello', {}));
    expect(error.message).toMatch(/^native engine not built: .*soo_native\.node is missing/);
    expect(error.data.hint).toContain('npm run build:native');
  });
});
