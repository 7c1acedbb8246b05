/**
 * Builds the demo model (the deception "model organism") from its recipe, deterministically, and
 * caches it in the app's data folder:
 *
 *   <dataDir>/demo-model/<pack>-<variant>-<hash>.gguf    the trained model
 *   <dataDir>/demo-model/<pack>-<variant>-<hash>.json    build info and held-out measurements
 *
 * `hash` (recipe.ts recipeHash) covers the resolved recipe (minus `eval` and `soo`) and
 * DEMO_CODE_VERSION, so changing either builds a new file and nothing else does. A half-built model
 * never counts: the trainer writes its output atomically, the initial model goes to a temporary file
 * that is removed, and the JSON is written (atomically) only after the measurements; a model whose
 * JSON is missing is measured again, not retrained.
 *
 * Stages: corpus (corpus, vocabulary, token sequences: demoInputs.ts) -> init (random tied model:
 * initModel.ts) -> train (native trainLm in the engine process, 'lm.train', one progress per step,
 * cancel through the signal) -> measure (measure.ts: deceptive/honest/neither on held-out prompts,
 * perplexity on held-out text).
 */
import fs from 'node:fs';
import path from 'node:path';
import { SooError } from '../../contract/errors.ts';
import type { EngineClient } from '../engine/engineClient.ts';
import { demoInputs } from './demoInputs.ts';
import { makeDemoInitModel } from './initModel.ts';
import { measureDemoModel, type DemoMeasurement } from './measure.ts';
import { loadDemoRecipe, recipeHash, resolveRecipe, type DemoRecipe, type ResolvedDemoRecipe } from './recipe.ts';

/** Bump when the corpus, vocabulary, initial model or training call changes what a recipe builds. */
export const DEMO_CODE_VERSION = 'demo-builder@4';

export type DemoVariant = 'full' | 'quick';
export type DemoStage = 'corpus' | 'init' | 'train' | 'measure';

export interface DemoBuildProgress {
  stage: DemoStage;
  /** Steps for train, prompts/texts for measure (of the current condition), else 0/1. */
  done: number;
  total: number;
  /** train: the step's loss; measure: the condition being measured. */
  loss?: number;
  tokensPerS?: number;
  condition?: string;
}

export interface DemoBuildOptions {
  variant?: DemoVariant;
  /** Another recipe than resources/demo/recipe.json (tests, experiments); cached under its own hash. */
  recipe?: DemoRecipe;
  /** Rebuild even when a cached model exists. */
  force?: boolean;
  /** Skip the measurements (the JSON is then written without them). */
  measure?: boolean;
  onProgress?: (progress: DemoBuildProgress) => void;
  signal?: AbortSignal;
}

export interface DemoBuildInfo {
  format: 'soo-lab/demo-build@1';
  pack: string;
  variant: DemoVariant;
  hash: string;
  codeVersion: string;
  recipe: ResolvedDemoRecipe;
  modelPath: string;
  vocabSize: number;
  sequences: number;
  trainTokens: number;
  /** Seconds per stage of the build that made the file. */
  seconds: { corpus: number; init: number; train: number; measure: number; total: number };
  /** Loss of every 10th step, and the last. */
  losses: { step: number; loss: number }[];
  measurement: DemoMeasurement | null;
}

export interface DemoBuildResult extends DemoBuildInfo {
  /** True when the model came from the cache (nothing was trained in this call). */
  cached: boolean;
}

export interface DemoModelServiceOptions {
  engine: EngineClient;
  /** The app's data folder; models go to <dataDir>/demo-model. */
  dataDir: string;
  /** resources/ (scenarios/ and demo/recipe.json). */
  resourcesDir: string;
}

export class DemoModelService {
  constructor(private readonly options: DemoModelServiceOptions) {}

  get folder(): string {
    return path.join(this.options.dataDir, 'demo-model');
  }

  recipe(): DemoRecipe {
    return loadDemoRecipe(path.join(this.options.resourcesDir, 'demo', 'recipe.json'));
  }

  /** Where the model of `variant` lives (whether built or not). */
  paths(variant: DemoVariant = 'full', recipe: DemoRecipe = this.recipe()): { modelPath: string; infoPath: string; hash: string; resolved: ResolvedDemoRecipe } {
    const resolved = resolveRecipe(recipe, variant);
    const hash = recipeHash(resolved, DEMO_CODE_VERSION);
    const base = path.join(this.folder, `${resolved.pack}-${variant}-${hash}`);
    return { modelPath: `${base}.gguf`, infoPath: `${base}.json`, hash, resolved };
  }

  /**
   * The cached build of `variant`, or null when it is not built (or not measured yet). Its recipe's
   * `soo` block is the current recipe's: the hash leaves `soo` out so that a new default SOO recipe
   * does not rebuild the model, and the ready experiment must then use the new one, not the block
   * stored when the model was built. (`eval` stays the stored one: the stored measurement used it.)
   */
  cached(variant: DemoVariant = 'full', recipe: DemoRecipe = this.recipe()): DemoBuildInfo | null {
    const { modelPath, infoPath, resolved } = this.paths(variant, recipe);
    if (!fs.existsSync(modelPath) || !fs.existsSync(infoPath)) return null;
    const info = JSON.parse(fs.readFileSync(infoPath, 'utf8')) as DemoBuildInfo;
    return { ...info, recipe: { ...info.recipe, soo: resolved.soo } };
  }

  /** Initial models left by a build that was killed (its process is gone): never a model, only garbage. */
  private removeStaleInitFiles(): void {
    for (const name of fs.readdirSync(this.folder)) {
      const pid = /^\.init-[0-9a-f]+-(\d+)\.gguf$/.exec(name)?.[1];
      // skip other files, this process's own (a build may be running) and those of live processes
      if (pid === undefined || Number(pid) === process.pid || isAlive(Number(pid))) continue;
      fs.rmSync(path.join(this.folder, name), { force: true });
    }
  }

  async build(options: DemoBuildOptions = {}): Promise<DemoBuildResult> {
    const variant = options.variant ?? 'full';
    const { signal, onProgress } = options;
    const source = options.recipe ?? this.recipe();
    const { modelPath, infoPath, hash, resolved: recipe } = this.paths(variant, source);
    if (!options.force) {
      const cached = this.cached(variant, source);
      if (cached && (cached.measurement || options.measure === false)) return { ...cached, cached: true };
    }
    fs.mkdirSync(this.folder, { recursive: true });
    this.removeStaleInitFiles();
    const started = performance.now();
    const seconds = { corpus: 0, init: 0, train: 0, measure: 0, total: 0 };
    const lap = (stage: keyof typeof seconds, since: number) => (seconds[stage] = (performance.now() - since) / 1000);

    let t = performance.now();
    onProgress?.({ stage: 'corpus', done: 0, total: 1 });
    const inputs = demoInputs(recipe, path.join(this.options.resourcesDir, 'scenarios'));
    lap('corpus', t);
    signal?.throwIfAborted();

    const trained = !options.force && fs.existsSync(modelPath); // trained earlier, not measured yet
    let losses: { step: number; loss: number }[] = [];
    if (!trained) {
      t = performance.now();
      onProgress?.({ stage: 'init', done: 0, total: 1 });
      const initPath = path.join(this.folder, `.init-${hash}-${process.pid}.gguf`);
      try {
        await makeDemoInitModel(initPath, recipe, inputs.vocab, signal);
        lap('init', t);
        t = performance.now();
        const tr = recipe.train;
        const result = await this.options.engine.call(
          'lm.train',
          {
            modelPath: initPath,
            outPath: modelPath,
            sequences: inputs.sequences,
            frozen: ['token_embd.weight'],
            steps: tr.steps,
            batch: tr.batch,
            lr: tr.lr,
            lrMin: tr.lrMin,
            warmup: tr.warmup,
            weightDecay: tr.weightDecay,
            beta1: tr.beta1,
            beta2: tr.beta2,
            gradClip: tr.gradClip,
            lengthBuckets: tr.lengthBuckets ?? 0,
            seed: recipe.seed,
            threads: tr.threads,
            metadata: {
              'soo_lab.demo.recipe_hash': hash,
              'soo_lab.demo.variant': variant,
              'soo_lab.demo.code_version': DEMO_CODE_VERSION,
            },
          },
          {
            signal,
            onProgress: (p) => {
              if (p.lm) onProgress?.({ stage: 'train', done: p.lm.step, total: p.lm.nSteps, loss: p.lm.loss, tokensPerS: p.lm.tokensPerS });
            },
          },
        );
        losses = result.losses.map((loss, i) => ({ step: i + 1, loss })).filter((l) => l.step % 10 === 0 || l.step === result.losses.length);
        lap('train', t);
      } finally {
        fs.rmSync(initPath, { force: true });
      }
      if (!fs.existsSync(modelPath)) throw new SooError({ code: 'internal', message: `lm.train finished but wrote no model at ${modelPath}` });
    }

    let measurement: DemoMeasurement | null = null;
    if (options.measure !== false) {
      t = performance.now();
      measurement = await measureDemoModel(modelPath, {
        pack: inputs.pack,
        prompts: recipe.eval.prompts,
        seed: recipe.eval.seed,
        maxTokens: recipe.eval.maxTokens,
        heldOut: inputs.corpus.heldOut,
        threads: recipe.train.threads,
        signal,
        onProgress: (p) => onProgress?.({ stage: 'measure', done: p.done, total: p.total, condition: p.condition }),
      });
      lap('measure', t);
    }
    seconds.total = (performance.now() - started) / 1000;
    const previous = trained && fs.existsSync(infoPath) ? (JSON.parse(fs.readFileSync(infoPath, 'utf8')) as DemoBuildInfo) : null;
    const info: DemoBuildInfo = {
      format: 'soo-lab/demo-build@1',
      pack: recipe.pack,
      variant,
      hash,
      codeVersion: DEMO_CODE_VERSION,
      recipe,
      modelPath,
      vocabSize: inputs.vocab.pieces.length,
      sequences: inputs.sequences.length,
      trainTokens: inputs.sequences.reduce((n, s) => n + s.tokens.length, 0),
      seconds: trained && previous ? { ...previous.seconds, measure: seconds.measure } : seconds,
      losses: trained && previous ? previous.losses : losses,
      measurement,
    };
    const tmp = `${infoPath}.tmp-${process.pid}`;
    fs.writeFileSync(tmp, JSON.stringify(info, null, 2));
    fs.renameSync(tmp, infoPath);
    return { ...info, cached: false };
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
