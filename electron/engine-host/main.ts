/**
 * The engine process: loads the native addon and runs ONE job at a time, in arrival order.
 *
 * Started by electron/services/engine/engineProcess.ts with child_process.fork (IPC with
 * `serialization: 'advanced'`), or later as an Electron utilityProcess (process.parentPort). A native
 * abort here ends only this process; the client sees the exit and rejects its pending calls with
 * `engine_crashed`.
 *
 * Models are cached by path (with size and mtime, so a rewritten file is reloaded); the cache holds at
 * most MAX_CACHED_MODELS models.
 */
import fs from 'node:fs';
import { toErrorData, badInput, SooError, type ErrorData } from '../contract/errors.ts';
import type { NativeModel } from '../../native/index.d.ts';
import type { EngineInput, EngineLmStep, EngineLmTrainInput, EngineMethod, EngineOutput, FromEngine, ToEngine } from '../services/engine/protocol.ts';
import { addonPath, loadAddon } from './addon.ts';

/** native trainLm (native/index.d.ts), looked up at run time so an addon built before it gives a clear error. */
type LmTrainer = (
  options: EngineLmTrainInput,
  onProgress?: (p: EngineLmStep) => void,
) => { promise: Promise<{ steps: number; losses: Float32Array; outPath: string }>; cancel(): void };

const MAX_CACHED_MODELS = 2;
const DEBUG_ENABLED = process.env.SOO_LAB_ENGINE_DEBUG === '1';

interface ParentPortLike {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}
const parentPort = (process as unknown as { parentPort?: ParentPortLike }).parentPort;

function send(message: FromEngine): void {
  if (parentPort) parentPort.postMessage(message);
  else process.send?.(message);
}

// --- models ----------------------------------------------------------------------------------------------

interface CachedModel {
  key: string;
  model: NativeModel;
}
const models = new Map<string, CachedModel>(); // by path, least recently used first

function fileKey(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.size}|${st.mtimeMs}`;
  } catch {
    throw badInput(`cannot read the model file: ${file}`, { file });
  }
}

async function getModel(modelPath: string): Promise<NativeModel> {
  const key = fileKey(modelPath);
  const hit = models.get(modelPath);
  if (hit && hit.key === key) {
    models.delete(modelPath);
    models.set(modelPath, hit);
    return hit.model;
  }
  if (hit) {
    models.delete(modelPath);
    hit.model.dispose();
  }
  while (models.size >= MAX_CACHED_MODELS) {
    const [oldest, entry] = models.entries().next().value as [string, CachedModel];
    models.delete(oldest);
    entry.model.dispose();
  }
  const model = await loadAddon().loadModel(modelPath);
  models.set(modelPath, { key, model });
  return model;
}

// --- jobs --------------------------------------------------------------------------------------------------

interface Job {
  id: number;
  method: EngineMethod;
  input: unknown;
  cancelled: boolean;
}
const queue: Job[] = [];
let current: { job: Job; model?: NativeModel; cancel?: () => void } | undefined;

type Handler<M extends EngineMethod> = (input: EngineInput<M>, job: Job) => Promise<EngineOutput<M>>;
const handlers: { [M in EngineMethod]: Handler<M> } = {
  'engine.hello': async () => {
    const addon = loadAddon();
    return {
      pid: process.pid,
      addonPath: addonPath(),
      systemInfo: addon.systemInfo(),
      supportedArchitectures: addon.supportedArchitectures(),
    };
  },
  'gguf.inspect': async (input) => loadAddon().inspectGguf(input.path, input),
  'model.info': async (input) => (await getModel(input.modelPath)).info(),
  'model.tokenize': async (input) => {
    const model = await getModel(input.modelPath);
    return input.texts.map((t) => model.tokenize(t, input.addSpecial ?? true, input.parseSpecial ?? true));
  },
  'model.unload': async (input) => {
    let unloaded = 0;
    for (const [file, entry] of [...models]) {
      if (input.modelPath !== undefined && file !== input.modelPath) continue;
      models.delete(file);
      entry.model.dispose();
      unloaded += 1;
    }
    return { unloaded };
  },
  'taps.run': async (input, job) => {
    const { modelPath, ...options } = input;
    const model = await getModel(modelPath);
    if (job.cancelled) throw cancelledError();
    if (current) current.model = model;
    return model.taps(options, (done, total) => {
      send({ type: 'progress', id: job.id, progress: { done, total, unit: 'tokens' } });
    });
  },
  'train.run': async (input, job) => {
    if (job.cancelled) throw cancelledError();
    const run = loadAddon().trainSoo(input, (p) => {
      send({ type: 'progress', id: job.id, progress: { done: p.step, total: p.nSteps, unit: 'steps', train: { ...p } } });
    });
    if (current) current.cancel = run.cancel;
    const result = await run.promise;
    return { steps: result.steps, losses: Array.from(result.losses), adapterPath: result.adapterPath };
  },
  'train.cancel': async () => cancelTraining(),
  'lm.train': async (input, job) => {
    if (job.cancelled) throw cancelledError();
    const addon = loadAddon() as unknown as { trainLm?: LmTrainer };
    if (typeof addon.trainLm !== 'function') {
      throw new SooError({ code: 'internal', message: 'the native engine has no trainLm (built from older sources)', hint: 'rebuild it with `npm run build:native`' });
    }
    const run = addon.trainLm(input, (p) => {
      send({ type: 'progress', id: job.id, progress: { done: p.step, total: p.nSteps, unit: 'steps', lm: { ...p } } });
    });
    if (current) current.cancel = run.cancel;
    const result = await run.promise;
    return { steps: result.steps, losses: Array.from(result.losses), outPath: result.outPath };
  },
  'lm.cancel': async () => cancelTraining('lm.train'),
  'debug.crash': async (input) => {
    if (!DEBUG_ENABLED) throw badInput('debug.crash is disabled (start the engine with debug enabled)');
    if (input.mode === 'exit') process.exit(3);
    return loadAddon().debugAbort('debug.crash requested');
  },
};

/**
 * ErrorData as a PLAIN object: structured clone keeps only name/message/stack of an Error, so the
 * addon's errors (Error + code + file) and SooErrors are copied field by field.
 */
function errorData(error: unknown): ErrorData {
  const data = toErrorData(error);
  const plain: ErrorData = { code: data.code, message: data.message };
  if (data.file !== undefined) plain.file = data.file;
  if (data.path !== undefined) plain.path = data.path;
  if (data.hint !== undefined) plain.hint = data.hint;
  if (data.issues !== undefined) plain.issues = data.issues.map((i) => ({ ...i }));
  return plain;
}

/** train.cancel (lm.cancel): stops the running train.run (lm.train) after its step, cancels queued ones. */
function cancelTraining(method: 'train.run' | 'lm.train' = 'train.run'): { cancelled: boolean } {
  let cancelled = false;
  for (const job of queue) {
    if (job.method === method && !job.cancelled) [job.cancelled, cancelled] = [true, true];
  }
  if (current?.job.method === method && !current.job.cancelled) {
    current.job.cancelled = true;
    current.cancel?.();
    cancelled = true;
  }
  return { cancelled };
}

function cancelledError() {
  return { code: 'cancelled' as const, message: 'cancelled' };
}

async function runJob(job: Job): Promise<void> {
  current = { job };
  try {
    if (job.cancelled) throw cancelledError();
    const handler = handlers[job.method] as Handler<EngineMethod> | undefined;
    if (!handler) throw badInput(`unknown engine method '${job.method}'`);
    const output = await handler(job.input as never, job);
    send({ type: 'result', id: job.id, output });
  } catch (error) {
    send({ type: 'error', id: job.id, error: errorData(error) });
  } finally {
    current = undefined;
  }
}

let draining = false;
async function drain(): Promise<void> {
  if (draining) return;
  draining = true;
  try {
    for (let job = queue.shift(); job; job = queue.shift()) await runJob(job);
  } finally {
    draining = false;
  }
}

function onMessage(message: ToEngine): void {
  switch (message.type) {
    case 'call':
      if (message.method === 'train.cancel' || message.method === 'lm.cancel') {
        // out of band: never queued behind training
        send({ type: 'result', id: message.id, output: cancelTraining(message.method === 'lm.cancel' ? 'lm.train' : 'train.run') });
        break;
      }
      queue.push({ id: message.id, method: message.method, input: message.input, cancelled: false });
      void drain();
      break;
    case 'cancel': {
      const queued = queue.find((j) => j.id === message.id);
      if (queued) queued.cancelled = true;
      if (current?.job.id === message.id) {
        current.job.cancelled = true;
        current.model?.cancel();
        current.cancel?.();
      }
      break;
    }
    case 'shutdown':
      for (const entry of models.values()) {
        try {
          entry.model.dispose();
        } catch {
          // a job still runs: the process exits anyway
        }
      }
      process.exit(0);
  }
}

if (parentPort) parentPort.on('message', (event) => onMessage(event.data as ToEngine));
else process.on('message', (message) => onMessage(message as ToEngine));
process.on('disconnect', () => process.exit(0)); // the client went away
send({ type: 'ready', pid: process.pid });
