/**
 * The Activations page and the `latent` command on top of ActivationsService: where the pairs come
 * from (a pack by id, a draft pack, or pairs given directly), latent SOO as a job (base, then with the
 * adapter), the run it records, the per-token view of one pair, and the export of the numbers.
 *
 * - `runLatent` is the one computation; the app runs it as a job (`startLatent`), the CLI directly.
 *   Cheap checks come first (the GGUF header's layer count, the adapter file, the pairs), then the run
 *   is recorded `running`, then the forward passes; the run ends done, failed or cancelled.
 * - Progress: tokens decoded over both passes (unit 'tokens'); the stage says which pass.
 * - Results of the last few jobs are kept in memory so `perToken` and `export` can name them by job id.
 *
 * Does not: compute MSEs itself (latent.ts via ActivationsService), tokenize (the engine), hash models.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ExportText, LatentLayerStat, LatentResult, PerTokenResult, PositionsName, TapPointName, TokenCountsResult } from '../../contract/api.ts';
import { badInput, notFound, toErrorData } from '../../contract/errors.ts';
import type { JobProgress } from '../../contract/events.ts';
import type { RenderedPair } from '../../contract/scenario-pack.ts';
import type { EngineClient } from '../engine/engineClient.ts';
import type { JobRunner } from '../jobs/jobs.ts';
import { generatePairs, requireValid, type ScenarioService } from '../scenarios/index.ts';
import type { RunRepository } from '../store/runs.ts';
import type { ActivationsService, AdapterInput, LatentLayer } from './activationsService.ts';
import { exportLatent } from './latentExport.ts';
import { inspectModel } from './modelSummary.ts';
import { tokenPieces } from './tokenPieces.ts';

/** Finished latent jobs kept for perToken/export. */
const KEPT_RESULTS = 20;

export interface PairsSource {
  packId?: string | undefined;
  /** A draft pack (unknown JSON); validated here. */
  pack?: unknown;
  set: 'train' | 'probe';
  n: number;
  seed: number;
}

export interface LatentConfig {
  modelPath: string;
  adapterPath?: string | undefined;
  /** Defaults to 1. */
  adapterScale?: number;
  pairs: readonly { self: string; other: string }[];
  /** Where the pairs came from, recorded with the result and the run. */
  packId?: string | null;
  set?: 'train' | 'probe' | null;
  seed?: number | null;
  positions: PositionsName;
  point: TapPointName;
  /** 0-based layers; defaults to every layer of the model. */
  layers?: readonly number[] | undefined;
  /** CPU threads; defaults to ActivationsService's (all cores). */
  threads?: number | undefined;
}

export interface RunLatentOptions {
  signal?: AbortSignal;
  onProgress?: (progress: Omit<JobProgress, 'jobId' | 'kind'>) => void;
  /** The job computing it, recorded in the result. */
  jobId?: string | null;
}

export interface ActivationsJobsOptions {
  activations: ActivationsService;
  engine: EngineClient;
  scenarios: ScenarioService;
  jobs: JobRunner;
  /** Where runs are recorded; without it nothing is recorded (runId null). */
  runs?: RunRepository;
  appVersion: string;
}

interface Kept {
  config: LatentConfig;
  result: LatentResult;
  perToken: Map<number, PerTokenResult>;
}

export class ActivationsJobs {
  readonly #o: ActivationsJobsOptions;
  readonly #results = new Map<string, Kept>();

  constructor(options: ActivationsJobsOptions) {
    this.#o = options;
  }

  /** Pairs of a pack by id or of a draft pack. A draft is rendered as the designer's preview renders it. */
  resolvePairs(source: PairsSource, strict: boolean): { packId: string | null; pairs: RenderedPair[] } {
    if (source.packId !== undefined) {
      const pack = this.#o.scenarios.resolve(source.packId);
      return { packId: pack.id, pairs: generatePairs(pack, source) };
    }
    if (source.pack === undefined) throw badInput('give a pack: packId (a saved or built-in pack) or pack (a draft)', { path: '$.packId' });
    if (strict) {
      const pack = requireValid(source.pack, 'the pack');
      return { packId: pack.id, pairs: generatePairs(pack, source) };
    }
    const preview = this.#o.scenarios.preview({ pack: source.pack, n: source.n, seed: source.seed, set: source.set, mirror: false, honestyPrompt: false });
    const packId = typeof (source.pack as { id?: unknown })?.id === 'string' ? (source.pack as { id: string }).id : null;
    return { packId, pairs: preview.pairs };
  }

  /** Self/other token counts of each pair (the designer's preview pairs when given a draft). */
  async tokenCounts(input: PairsSource & { modelPath: string }): Promise<TokenCountsResult> {
    const model = await inspectModel(input.modelPath);
    const { pairs } = this.resolvePairs(input, false);
    if (pairs.length === 0) return { modelPath: model.path, pairs: [], misaligned: 0 };
    const report = await this.#o.activations.tokenCounts({ modelPath: model.path, pairs });
    return {
      modelPath: model.path,
      pairs: report.pairs.map((c) => ({
        index: c.pair,
        self: pairs[c.pair]!.self,
        other: pairs[c.pair]!.other,
        selfTokens: c.self,
        otherTokens: c.other,
        aligned: c.aligned,
      })),
      misaligned: report.misaligned.length,
    };
  }

  /** Checks the inputs, then starts latent SOO as a job; the result arrives in onJobDone. */
  async startLatent(input: PairsSource & Omit<LatentConfig, 'pairs' | 'packId' | 'set' | 'seed'>): Promise<{ jobId: string }> {
    const { packId, pairs } = this.resolvePairs(input, true);
    const config: LatentConfig = { ...input, pairs, packId, set: input.set, seed: input.seed };
    await this.#check(config); // bad input fails the call, not the job
    const label = `latent SOO on ${path.basename(config.modelPath)}${config.adapterPath ? ' + adapter' : ''}`;
    const { jobId } = this.#o.jobs.start('latent', label, async ({ signal, onProgress }) => {
      const result = await this.runLatent(config, { signal, onProgress, jobId });
      this.#keep(jobId, { config, result, perToken: new Map() });
      return result;
    });
    return { jobId };
  }

  /** Latent SOO per layer for the base model and, when given, with the adapter; records a run. */
  async runLatent(config: LatentConfig, options: RunLatentOptions = {}): Promise<LatentResult> {
    const started = performance.now();
    const { layers, modelPath } = await this.#check(config);
    const adapterPath = config.adapterPath ? path.resolve(config.adapterPath) : null;
    const adapterScale = config.adapterScale ?? 1;
    const runs = this.#o.runs;
    const run = runs?.create({
      kind: 'latent',
      name: `latent SOO ${path.basename(modelPath)}${adapterPath ? ` + ${path.basename(adapterPath)}` : ''} (${config.positions}, ${config.point})`,
      config: { ...config, modelPath, adapterPath, adapterScale, layers, pairs: config.pairs.length },
      appVersion: this.#o.appVersion,
      modelPath,
      adapterPath,
      seed: config.seed ?? null,
    });
    try {
      const passes: { name: 'base' | 'adapter'; adapters?: AdapterInput[] }[] = [{ name: 'base' }];
      if (adapterPath) passes.push({ name: 'adapter', adapters: [{ path: adapterPath, scale: adapterScale }] });
      const stats: Partial<Record<'base' | 'adapter', LatentLayerStat[]>> = {};
      let passTokens: number | null = null; // tokens decoded per pass, known after the first progress
      for (const [p, pass] of passes.entries()) {
        options.signal?.throwIfAborted();
        options.onProgress?.({
          stage: `${pass.name}: tokenize`,
          done: passTokens === null ? 0 : p * passTokens,
          total: passTokens === null ? null : passes.length * passTokens,
          unit: 'tokens',
        });
        const out = await this.#o.activations.latent(
          {
            modelPath,
            pairs: config.pairs,
            layers,
            point: config.point,
            positions: config.positions,
            ...(pass.adapters ? { adapters: pass.adapters } : {}),
            ...(config.threads ? { threads: config.threads } : {}),
          },
          {
            ...(options.signal ? { signal: options.signal } : {}),
            onProgress: ({ done, total }) => {
              // both passes decode the same tokens: the bar runs over passes x tokens
              passTokens = total;
              options.onProgress?.({ stage: `${pass.name}: layers ${layers[0]}-${layers.at(-1)}`, done: p * total + done, total: passes.length * total, unit: 'tokens' });
            },
          },
        );
        stats[pass.name] = out.layers.map(layerStat);
      }
      const result: LatentResult = {
        jobId: options.jobId ?? null,
        runId: run?.id ?? null,
        modelPath,
        adapterPath,
        adapterScale,
        packId: config.packId ?? null,
        set: config.set ?? null,
        seed: config.seed ?? null,
        n: config.pairs.length,
        positions: config.positions,
        point: config.point,
        layers: [...layers],
        pairs: config.pairs.map((p) => ({ self: p.self, other: p.other })),
        base: stats.base!,
        adapter: stats.adapter ?? null,
        seconds: (performance.now() - started) / 1000,
      };
      if (run && runs) {
        const metrics = (model: string, list: LatentLayerStat[] | null) =>
          (list ?? []).map((s) => ({ name: `latent_mse.${model}.layer_${s.layer}`, value: s.mean, detail: { std: s.std, perPair: s.perPair } }));
        runs.setMetrics(run.id, [...metrics('base', result.base), ...metrics('adapter', result.adapter)]);
        runs.finish(run.id);
      }
      return result;
    } catch (error) {
      if (run && runs) runs.fail(run.id, options.signal?.aborted ? { code: 'cancelled', message: 'latent SOO was cancelled' } : toErrorData(error));
      throw error;
    }
  }

  /** Per-token MSE per layer of one pair of a finished latent job, base and adapter. */
  async perToken(jobId: string, pairIndex: number): Promise<PerTokenResult> {
    const kept = this.#kept(jobId);
    const { result, config } = kept;
    const pair = result.pairs[pairIndex];
    if (!pair) throw badInput(`pair ${pairIndex} is not in job ${jobId} (it has pairs 0..${result.pairs.length - 1})`, { path: '$.pairIndex' });
    const passes: (AdapterInput[] | undefined)[] = [undefined];
    if (result.adapterPath) passes.push([{ path: result.adapterPath, scale: result.adapterScale }]);
    const matrices: number[][][] = [];
    for (const adapters of passes) {
      const out = await this.#o.activations.latent({
        modelPath: result.modelPath,
        pairs: [pair],
        layers: result.layers,
        point: result.point,
        positions: 'last', // any convention: only the per-token values are used
        perTokenPair: 0,
        ...(adapters ? { adapters } : {}),
        ...(config.threads ? { threads: config.threads } : {}),
      });
      matrices.push(out.perToken!.layers.map((l) => l.values));
    }
    const [selfIds, otherIds] = await this.#o.engine.call('model.tokenize', { modelPath: result.modelPath, texts: [pair.self, pair.other] });
    const perToken: PerTokenResult = {
      jobId,
      pairIndex,
      self: pair.self,
      other: pair.other,
      selfTokens: await tokenPieces(result.modelPath, selfIds!),
      otherTokens: await tokenPieces(result.modelPath, otherIds!),
      layers: [...result.layers],
      base: matrices[0]!,
      adapter: matrices[1] ?? null,
    };
    kept.perToken.set(pairIndex, perToken);
    return perToken;
  }

  /** The job's numbers (and the per-token views opened so far) as CSV or JSON text. */
  export(jobId: string, format: 'csv' | 'json'): ExportText {
    const kept = this.#kept(jobId);
    return exportLatent(kept.result, [...kept.perToken.values()].sort((a, b) => a.pairIndex - b.pairIndex), format);
  }

  /** The finished result of a job, if it is still kept. */
  result(jobId: string): LatentResult | undefined {
    return this.#results.get(jobId)?.result;
  }

  /** Cheap checks before any forward pass: model header, layer range, adapter file, pairs. */
  async #check(config: LatentConfig): Promise<{ modelPath: string; layers: number[] }> {
    const model = await inspectModel(config.modelPath);
    if (config.pairs.length === 0) throw badInput('no pairs to measure', { path: '$.n' });
    const layers = config.layers ? [...config.layers] : Array.from({ length: model.layers }, (_, i) => i);
    if (layers.length === 0) throw badInput('no layers given', { path: '$.layers' });
    const bad = layers.find((l) => !Number.isInteger(l) || l < 0 || l >= model.layers);
    if (bad !== undefined) {
      throw badInput(`layer ${bad} is not a layer of ${path.basename(model.path)} (it has layers 0..${model.layers - 1})`, { path: '$.layers', file: model.path });
    }
    if (new Set(layers).size !== layers.length) throw badInput(`layers repeat: ${layers.join(',')}`, { path: '$.layers' });
    if (config.adapterPath) {
      const adapter = path.resolve(config.adapterPath);
      const info = await stat(adapter).catch(() => null);
      if (!info?.isFile()) throw badInput(`adapter file not found: ${adapter}`, { file: adapter, path: '$.adapterPath' });
    }
    return { modelPath: model.path, layers };
  }

  #kept(jobId: string): Kept {
    const kept = this.#results.get(jobId);
    if (!kept) throw notFound(`no finished latent SOO job ${jobId} (only the last ${KEPT_RESULTS} are kept)`, { hint: 'compute it again' });
    return kept;
  }

  #keep(jobId: string, kept: Kept): void {
    this.#results.set(jobId, kept);
    while (this.#results.size > KEPT_RESULTS) this.#results.delete(this.#results.keys().next().value as string);
  }
}

function layerStat(l: LatentLayer): LatentLayerStat {
  return { layer: l.layer, mean: l.mean, std: l.std, perPair: l.perPair };
}
