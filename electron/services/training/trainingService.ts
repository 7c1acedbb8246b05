/**
 * SOO LoRA training as a service: settings (preset + overrides), cheap checks before expensive work,
 * tokenization and training in the engine process (`train.run`), the run it records, resume by run id.
 *
 * Order of work: settings and files (model GGUF header: layer range; pairs) -> the run is NOT created
 * yet -> tokenization through the engine (alignment under `full`, naming the pair) -> the run is
 * recorded `running` (config, model sha256, seed, adapter path) -> training, one run_steps row per
 * optimizer step (loss, tokens/s, ms) -> adapter sha256 + bytes as a run artifact, metrics loss_first /
 * loss_last -> done. Cancel (AbortSignal) stops the engine after the current step, which writes a
 * checkpoint (adapters/checkpoints/<run id>.ckpt.gguf); the run ends `cancelled` and `resume(runId)`
 * continues the same loss curve into the same adapter path. A native failure (the engine process dies,
 * OOM included) marks the run failed; the EngineClient starts a fresh process on the next call.
 *
 * The default output is a NEW file per training under <data>/adapters/ (node-llama-cpp caches adapters by
 * path, so a path is never reused for different weights).
 * Gradient accumulation: the native trainer averages the gradients of `batch` pairs per update, so
 * batch b with accumulation k is one update per b*k pairs (identical to accumulating k steps of b).
 * Does not: generate text, measure latent SOO (ActivationsJobs), choose threads for the machine beyond
 * a default (all cores).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { badInput, notFound, SooError, toErrorData } from '../../contract/errors.ts';
import type { JobProgress } from '../../contract/events.ts';
import type { ActivationsJobs, PairsSource } from '../activations/activationsJobs.ts';
import { inspectModel } from '../activations/modelSummary.ts';
import type { EngineClient } from '../engine/engineClient.ts';
import type { EngineTrainStep } from '../engine/protocol.ts';
import type { JobRunner } from '../jobs/jobs.ts';
import { readGgufHeader } from '../gguf/reader.ts';
import { TAP_POINTS, type TapPointName } from '../../contract/api.ts';
import { sha256File } from '../models/modelHash.ts';
import type { RunRepository } from '../store/runs.ts';
import { readPairsFile, type TextPair } from './pairsFile.ts';
import { TRAIN_PRESETS, TRAIN_TARGETS, trainPreset, type TrainPositions, type TrainPreset, type TrainSettings, type TrainTarget } from './presets.ts';

/** Defaults when neither a preset nor a flag sets a value (cli.md: the Mistral recipe's numbers). */
const DEFAULTS: Omit<TrainSettings, 'layer'> = {
  targets: ['attn_q', 'attn_v'],
  rank: 8,
  alpha: 32,
  dropout: 0.2,
  lr: 1e-4,
  epochs: 15,
  batch: 4,
  gradAccumulation: 1,
  positions: 'full',
};

export interface TrainInput extends Partial<TrainSettings> {
  modelPath: string;
  /** Published settings by name (presets.ts); explicit fields override it. */
  preset?: string | undefined;
  /** The pairs: a JSONL file, pairs given directly, or a pack (ActivationsJobs' PairsSource, set 'train'). */
  pairsFile?: string | undefined;
  pairs?: readonly { self: string; other: string }[] | undefined;
  pairsSource?: PairsSource | undefined;
  /** The node of layer L the loss compares (experiments/config.ts training.point). Defaults to attn_out (published). */
  point?: TapPointName | undefined;
  /** Weight of the self anchor (native/src/train/self-anchor.h; experiments/config.ts). Defaults to 0 (off). */
  selfAnchor?: number | undefined;
  /** Training seed (LoRA init, dropout, shuffling). Defaults to 0. */
  seed?: number | undefined;
  /** CPU threads. Defaults to the number of cores. */
  threads?: number | undefined;
  /** Write a checkpoint every N optimizer steps (0 = only on cancel). */
  checkpointEvery?: number | undefined;
  /** The adapter file; defaults to a new unique file under <data>/adapters/. */
  outPath?: string | undefined;
}

/** The effective configuration a run records (and resume reuses). */
export interface TrainConfig extends TrainSettings {
  modelPath: string;
  preset: string | null;
  pairs: { self: string; other: string }[];
  /** Where the pairs came from (file, pack id), for the record. */
  pairsOrigin: string;
  /** The tapped node; absent in runs recorded before the choice existed (= attn_out). */
  point?: TapPointName;
  /** Self anchor weight; 0 = off. Absent in runs recorded before it existed (= 0). */
  selfAnchor?: number;
  seed: number;
  threads: number;
  checkpointEvery: number;
  outPath: string;
  checkpointPath: string;
}

export interface TrainResult {
  adapter: string;
  /** Optimizer steps in total (a resumed run counts the earlier steps). */
  steps: number;
  /** Loss of step 1 and of the last step (SOO MSE at attn_out-L). */
  loss_first: number;
  loss_last: number;
  seconds: number;
  run_id: string;
  adapterSha256: string;
  /** Every step's loss, 1-based step order (a resumed run: from step 1, read back from the run). */
  losses: number[];
  jobId: string | null;
}

export interface TrainCallOptions {
  signal?: AbortSignal;
  onProgress?: (progress: Omit<JobProgress, 'jobId' | 'kind'>) => void;
  jobId?: string | null;
  /** Called once the run is recorded (before the first step). */
  onRun?: (runId: string) => void;
}

export interface TrainingServiceOptions {
  engine: EngineClient;
  runs: RunRepository;
  jobs: JobRunner;
  activationsJobs: ActivationsJobs;
  /** Unused since resumes reopen runs through RunRepository.reopen; still accepted so callers compile. */
  db?: Database;
  /** The app data folder; adapters go to <dataDir>/adapters. */
  dataDir: string;
  appVersion: string;
}

export class TrainingService {
  readonly #o: TrainingServiceOptions;

  constructor(options: TrainingServiceOptions) {
    this.#o = options;
  }

  presets(): TrainPreset[] {
    return TRAIN_PRESETS.map((p) => ({ ...p, targets: [...p.targets] }));
  }

  /** Cheap checks, tokenization (alignment), then training as a job; the TrainResult arrives in onJobDone. */
  async start(input: TrainInput): Promise<{ jobId: string; runId: string }> {
    const prepared = await this.prepare(input);
    return this.#startJob(`SOO training on ${path.basename(prepared.config.modelPath)} (layer ${prepared.config.layer})`, (call) => this.#train(prepared, call));
  }

  /** Resumes a cancelled or failed run as a job. */
  async startResume(runId: string): Promise<{ jobId: string; runId: string }> {
    const prepared = await this.#prepareResume(runId);
    return this.#startJob(`resume SOO training ${runId.slice(0, 8)}`, (call) => this.#train(prepared, call));
  }

  /** The whole training, awaited (the CLI). */
  async train(input: TrainInput, call: TrainCallOptions = {}): Promise<TrainResult> {
    return this.#train(await this.prepare(input), call);
  }

  /** Trains what prepare() returned (the CLI prints the settings in between). */
  async runPrepared(prepared: Prepared, call: TrainCallOptions = {}): Promise<TrainResult> {
    return this.#train(prepared, call);
  }

  async resume(runId: string, call: TrainCallOptions = {}): Promise<TrainResult> {
    return this.#train(await this.#prepareResume(runId), call);
  }

  /** Settings + checks + tokenization; nothing recorded, nothing trained. */
  async prepare(input: TrainInput): Promise<Prepared> {
    const settings = resolveSettings(input);
    const model = await inspectModel(input.modelPath);
    if (settings.layer >= model.layers) {
      throw badInput(`--layer ${settings.layer} is not a layer of ${path.basename(model.path)} (it has layers 0..${model.layers - 1})`, { path: '$.layer', file: model.path });
    }
    const { pairs, origin } = await this.#pairs(input);
    const threads = input.threads ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
    checkInt('threads', threads, 1, 1024);
    const seed = input.seed ?? 0;
    checkInt('seed', seed, 0, 2 ** 31 - 1);
    const checkpointEvery = input.checkpointEvery ?? 0;
    checkInt('checkpointEvery', checkpointEvery, 0, 1e9);
    const selfAnchor = input.selfAnchor ?? 0;
    checkNum('self-anchor', selfAnchor, 0, 1e6);
    const point = input.point ?? 'attn_out';
    if (!TAP_POINTS.includes(point)) throw badInput(`--point must be attn_out, mlp_out or resid, got '${point as string}'`, { path: '$.point' });
    const id = randomUUID();
    const outPath = path.resolve(input.outPath ?? this.#defaultAdapterPath(model.path, settings.layer, id));
    const config: TrainConfig = {
      ...settings,
      modelPath: model.path,
      preset: input.preset ?? null,
      pairs: pairs.map((p) => ({ self: p.self, other: p.other })),
      pairsOrigin: origin,
      point,
      selfAnchor,
      seed,
      threads,
      checkpointEvery,
      outPath,
      checkpointPath: path.join(this.#o.dataDir, 'adapters', 'checkpoints', `${id}.ckpt.gguf`),
    };
    const tokens = await this.#tokenize(config, pairs);
    return { runId: id, config, tokens, resume: false };
  }

  /** Output path of a fresh training: <data>/adapters/<model>-L<layer>-<time>-<id8>.gguf. */
  #defaultAdapterPath(modelPath: string, layer: number, id: string): string {
    const stem = path.basename(modelPath).replace(/\.gguf$/i, '').replace(/[^A-Za-z0-9._-]+/g, '_');
    const time = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '');
    return path.join(this.#o.dataDir, 'adapters', `${stem}-L${layer}-${time}-${id.slice(0, 8)}.gguf`);
  }

  async #pairs(input: TrainInput): Promise<{ pairs: TextPair[]; origin: string }> {
    const given = [input.pairsFile, input.pairs, input.pairsSource].filter((x) => x !== undefined).length;
    if (given !== 1) throw badInput('give the pairs exactly one way: a JSONL file (--pairs), pairs, or a pack (packId/pack + n + seed)', { path: '$.pairs' });
    if (input.pairsFile !== undefined) return { pairs: await readPairsFile(input.pairsFile), origin: path.resolve(input.pairsFile) };
    if (input.pairs !== undefined) {
      if (input.pairs.length === 0) throw badInput('no pairs to train on', { path: '$.pairs' });
      input.pairs.forEach((p, i) => {
        if (typeof p?.self !== 'string' || typeof p?.other !== 'string' || !p.self || !p.other) throw badInput(`pair ${i}: self and other must be non-empty strings`, { path: `$.pairs[${i}]` });
      });
      return { pairs: input.pairs.map((p) => ({ self: p.self, other: p.other })), origin: 'given' };
    }
    const source = input.pairsSource!;
    const { packId, pairs } = this.#o.activationsJobs.resolvePairs(source, true);
    if (pairs.length === 0) throw badInput(`pack ${packId ?? '(draft)'} gives no ${source.set} pairs`, { path: '$.packId' });
    return { pairs: pairs.map((p) => ({ self: p.self, other: p.other })), origin: `pack ${packId ?? '(draft)'} set ${source.set} n ${source.n} seed ${source.seed}` };
  }

  async #tokenize(config: TrainConfig, pairs: readonly TextPair[]): Promise<{ self: Int32Array; other: Int32Array }[]> {
    const ids = await this.#o.engine.call('model.tokenize', { modelPath: config.modelPath, texts: pairs.flatMap((p) => [p.self, p.other]) });
    const tokens = pairs.map((_, i) => ({ self: ids[2 * i]!, other: ids[2 * i + 1]! }));
    if (config.positions === 'full') {
      for (const [i, t] of tokens.entries()) {
        if (t.self.length !== t.other.length) {
          const where = pairs[i]!.line !== undefined ? ` (line ${pairs[i]!.line})` : '';
          throw badInput(
            `pair ${i}${where}: self has ${t.self.length} tokens and other ${t.other.length}; --positions full compares aligned tokens, so they must match`,
            { path: `$.pairs[${i}]`, hint: 'rephrase the pair to the same token count, or use --positions last|mean' },
          );
        }
      }
    }
    return tokens;
  }

  async #prepareResume(runId: string): Promise<Prepared> {
    const run = this.#o.runs.get(runId);
    if (!run || run.kind !== 'train') throw notFound(`no training run with id ${runId}`, { path: '$.runId' });
    if (run.status === 'done') throw badInput(`training run ${runId} is already done`, { path: '$.runId' });
    if (run.status === 'running') throw badInput(`training run ${runId} is still running`, { path: '$.runId' });
    const config = run.config as TrainConfig;
    const ckpt = await stat(config.checkpointPath).catch(() => null);
    if (!ckpt?.isFile()) throw badInput(`training run ${runId} has no checkpoint to resume from (${config.checkpointPath})`, { path: '$.runId', file: config.checkpointPath });
    const tokens = await this.#tokenize(config, config.pairs);
    return { runId, config, tokens, resume: true };
  }

  #startJob(label: string, work: (call: TrainCallOptions) => Promise<TrainResult>): Promise<{ jobId: string; runId: string }> {
    let resolveRun!: (runId: string) => void;
    const runKnown = new Promise<string>((resolve) => (resolveRun = resolve));
    const ids: { jobId: string | null } = { jobId: null };
    const started: { jobId: string; done: Promise<TrainResult> } = this.#o.jobs.start('train', label, ({ signal, onProgress }) =>
      work({ signal, onProgress, jobId: ids.jobId, onRun: resolveRun }),
    );
    ids.jobId = started.jobId;
    const { jobId, done } = started;
    // the run id is known right after the job starts recording; a job that fails before that reports in onJobDone
    return Promise.race([runKnown, done.then(() => '', () => '')]).then((runId) => ({ jobId, runId }));
  }

  async #train(prepared: Prepared, call: TrainCallOptions): Promise<TrainResult> {
    const started = performance.now();
    const { config, tokens, runId } = prepared;
    const { runs, engine } = this.#o;
    mkdirSync(path.dirname(config.outPath), { recursive: true });
    mkdirSync(path.dirname(config.checkpointPath), { recursive: true });
    if (prepared.resume) {
      runs.reopen(runId, 'train'); // a resumed run is the same run again: back to 'running'
      restoreCheckpointLosses(runs, runId, config.checkpointPath);
    } else {
      call.onProgress?.({ stage: 'hash model', done: 0, total: null, unit: 'steps' });
      const modelSha256 = await sha256File(config.modelPath, call.signal ? { signal: call.signal } : {});
      runs.create({
        id: runId,
        kind: 'train',
        name: `SOO train ${path.basename(config.modelPath)} L${config.layer} r${config.rank} (${config.positions})`,
        config,
        appVersion: this.#o.appVersion,
        modelPath: config.modelPath,
        modelSha256,
        adapterPath: config.outPath,
        seed: config.seed,
      });
    }
    call.onRun?.(runId);
    // Cancel through train.cancel, not the call's signal: the engine then still reports the step in flight
    // (so run_steps has every step the checkpoint holds) and answers after the checkpoint is written.
    const onAbort = () => void engine.call('train.cancel', {}).catch(() => {});
    call.signal?.addEventListener('abort', onAbort, { once: true });
    const perUpdate = config.batch * config.gradAccumulation;
    const nSteps = config.epochs * Math.ceil(config.pairs.length / perUpdate);
    try {
      call.signal?.throwIfAborted();
      call.onProgress?.({ stage: prepared.resume ? 'resume' : 'load', done: 0, total: nSteps, unit: 'steps' });
      let lastAt = performance.now();
      let avgMs = 0;
      const out = await engine.call(
        'train.run',
        {
          modelPath: config.modelPath,
          layer: config.layer,
          pairs: tokens,
          outPath: config.outPath,
          threads: config.threads,
          targets: [...config.targets],
          rank: config.rank,
          alpha: config.alpha,
          dropout: config.dropout,
          positions: config.positions,
          point: config.point ?? 'attn_out',
          selfAnchor: config.selfAnchor ?? 0,
          lr: config.lr,
          epochs: config.epochs,
          batch: perUpdate,
          seed: config.seed,
          checkpointPath: config.checkpointPath,
          checkpointEvery: config.checkpointEvery,
          ...(prepared.resume ? { resumeFrom: config.checkpointPath } : {}),
        },
        {
          onProgress: (p) => {
            const s: EngineTrainStep | undefined = p.train;
            if (!s) return;
            const now = performance.now();
            avgMs = avgMs === 0 ? s.stepMs : 0.8 * avgMs + 0.2 * (now - lastAt);
            lastAt = now;
            const etaS = ((s.nSteps - s.step) * avgMs) / 1000;
            const anchor: Record<string, number> = config.selfAnchor ? { anchor: s.anchor } : {}; // only a run with the anchor has one
            runs.addSteps(runId, [{ step: s.step, loss: s.loss, metrics: { epoch: s.epoch, stepMs: s.stepMs, tokensPerS: s.tokensPerS, ...anchor } }]);
            call.onProgress?.({
              stage: `epoch ${s.epoch + 1}/${config.epochs}`,
              done: s.step,
              total: s.nSteps,
              unit: 'steps',
              metrics: { step: s.step, loss: s.loss, tokensPerS: s.tokensPerS, stepMs: s.stepMs, etaS, ...anchor },
            });
          },
        },
      );
      const adapterSha256 = await sha256File(out.adapterPath);
      const bytes = (await stat(out.adapterPath)).size;
      const losses = runs.steps(runId).map((s) => s.loss ?? Number.NaN);
      runs.addArtifacts(runId, [{ kind: 'adapter', path: out.adapterPath, sha256: adapterSha256, bytes }]);
      runs.setMetrics(runId, [
        { name: 'loss_first', value: losses[0] ?? null },
        { name: 'loss_last', value: losses.at(-1) ?? null },
        { name: 'steps', value: out.steps },
      ]);
      runs.finish(runId);
      return {
        adapter: out.adapterPath,
        steps: out.steps,
        loss_first: losses[0]!,
        loss_last: losses.at(-1)!,
        seconds: (performance.now() - started) / 1000,
        run_id: runId,
        adapterSha256,
        losses,
        jobId: call.jobId ?? null,
      };
    } catch (error) {
      const data = call.signal?.aborted || (error instanceof SooError && error.code === 'cancelled')
        ? { code: 'cancelled' as const, message: `training was cancelled; resume with: soo-lab train --resume ${runId}` }
        : toErrorData(error);
      runs.fail(runId, data);
      throw error;
    } finally {
      call.signal?.removeEventListener('abort', onAbort);
    }
  }
}

export interface Prepared {
  runId: string;
  config: TrainConfig;
  tokens: { self: Int32Array; other: Int32Array }[];
  resume: boolean;
}

function checkInt(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) throw badInput(`--${name} must be an integer in ${min}..${max}, got ${value}`, { path: `$.${name}` });
}

function checkNum(name: string, value: number, min: number, max: number, maxOpen = false): void {
  if (!Number.isFinite(value) || value < min || (maxOpen ? value >= max : value > max)) {
    throw badInput(`--${name} must be a number in [${min}, ${max}${maxOpen ? ')' : ']'}, got ${value}`, { path: `$.${name}` });
  }
}

/** Preset (or defaults) + explicit settings, checked field by field (flag names in messages). */
export function resolveSettings(input: TrainInput): TrainSettings {
  const base: Partial<TrainSettings> = input.preset ? trainPreset(input.preset) : { ...DEFAULTS, targets: [...DEFAULTS.targets] };
  const pick = <K extends keyof TrainSettings>(k: K): TrainSettings[K] | undefined => (input[k] !== undefined ? (input[k] as TrainSettings[K]) : base[k]);
  const layer = pick('layer');
  if (layer === undefined) throw badInput('--layer is required (the SOO layer L, 0-based), or a --preset that sets it', { path: '$.layer' });
  const s: TrainSettings = {
    layer,
    targets: [...(pick('targets') ?? DEFAULTS.targets)],
    rank: pick('rank') ?? DEFAULTS.rank,
    alpha: pick('alpha') ?? DEFAULTS.alpha,
    dropout: pick('dropout') ?? DEFAULTS.dropout,
    lr: pick('lr') ?? DEFAULTS.lr,
    epochs: pick('epochs') ?? DEFAULTS.epochs,
    batch: pick('batch') ?? DEFAULTS.batch,
    gradAccumulation: pick('gradAccumulation') ?? DEFAULTS.gradAccumulation,
    positions: pick('positions') ?? DEFAULTS.positions,
  };
  checkInt('layer', s.layer, 0, 10_000);
  checkInt('rank', s.rank, 1, 1024);
  checkNum('alpha', s.alpha, 1e-6, 1e6);
  checkNum('dropout', s.dropout, 0, 1, true);
  checkNum('lr', s.lr, 1e-12, 10);
  checkInt('epochs', s.epochs, 1, 100_000);
  checkInt('batch', s.batch, 1, 4096);
  checkInt('gradAccumulation', s.gradAccumulation, 1, 4096);
  if (!['full', 'last', 'mean'].includes(s.positions)) throw badInput(`--positions must be full, last or mean, got '${s.positions as string}'`, { path: '$.positions' });
  if (s.targets.length === 0) throw badInput('--targets is empty', { path: '$.targets' });
  for (const t of s.targets) {
    if (!TRAIN_TARGETS.includes(t)) throw badInput(`--targets: unknown target '${t}' (known: ${TRAIN_TARGETS.join(', ')})`, { path: '$.targets' });
  }
  if (new Set(s.targets).size !== s.targets.length) throw badInput(`--targets repeats: ${s.targets.join(',')}`, { path: '$.targets' });
  return s;
}

export type { TrainPositions, TrainTarget };

/**
 * Steps the checkpoint holds but the run does not: a killed engine can write a checkpoint before the
 * progress of its last steps reaches us. The checkpoint keeps every step's loss
 * (soo_lab.checkpoint.losses, [step] f32; NaN where an older checkpoint had none), so the curve stays whole.
 */
function restoreCheckpointLosses(runs: RunRepository, runId: string, checkpointPath: string): void {
  const value = readGgufHeader(checkpointPath).metadata.get('soo_lab.checkpoint.losses');
  if (value?.type !== 'array' || value.itemType !== 'float32') return;
  const stored = Array.from(value.value as ArrayLike<number>);
  const have = new Set(runs.steps(runId).map((s) => s.step));
  const missing = stored.flatMap((loss, i) => (have.has(i + 1) || !Number.isFinite(loss) ? [] : [{ step: i + 1, loss }]));
  if (missing.length > 0) runs.addSteps(runId, missing);
}
