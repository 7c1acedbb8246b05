/**
 * ExperimentBackends on the real machinery: evaluations through the evaluation service on a
 * node-llama-cpp model (loaded once, on first use, in this process), latent SOO and SOO training
 * through the isolated engine process (ActivationsService, engine `train.run`), perplexity on the
 * node-llama-cpp model. dispose() frees the model.
 */
import os from 'node:os';
import type { LlamaModel } from 'node-llama-cpp';
import type { ScenarioPack } from '../../contract/scenario-pack.ts';
import type { ActivationsService } from '../activations/activationsService.ts';
import { inspectModel } from '../activations/modelSummary.ts';
import type { EngineClient } from '../engine/engineClient.ts';
import { evaluate } from '../evaluation/evaluate.ts';
import { loadModel } from '../models/modelFile.ts';
import type { RunRepository } from '../store/runs.ts';
import type { ExperimentBackends } from './backends.ts';
import { runMtBench } from './mtbench.ts';
import { perplexity, perplexityOfDocuments, type PerplexityOptions } from './perplexity.ts';

export interface EngineBackendsOptions {
  modelPath: string;
  modelSha256: string;
  /** Packs by id (the plan's scenario specs name them). */
  packs: ReadonlyMap<string, ScenarioPack>;
  runs: RunRepository;
  appVersion: string;
  engine: EngineClient;
  activations: ActivationsService;
  /** CPU threads; undefined = the services' defaults (all cores). */
  threads?: number | undefined;
}

export function createEngineBackends(o: EngineBackendsOptions): ExperimentBackends {
  let model: Promise<LlamaModel> | undefined;
  const llamaModel = () => (model ??= loadModel(o.modelPath));
  const threads = o.threads ? { threads: o.threads } : {};
  return {
    layerCount: async () => (await inspectModel(o.modelPath)).layers,

    evaluate: async (input, options = {}) => {
      const pack = o.packs.get(input.scenario.packId);
      if (!pack) throw new Error(`pack ${input.scenario.packId} was not resolved for this experiment`);
      const result = await evaluate(await llamaModel(), {
        pack,
        n: input.n,
        seed: input.seed,
        variant: input.scenario.variant,
        mirror: input.scenario.mirror,
        honestyPrompt: input.scenario.honestyPrompt,
        maxTokens: input.maxTokens,
        chatTemplate: input.chatTemplate,
        ...(input.adapterPath ? { lora: { path: input.adapterPath } } : {}),
        ...threads,
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: ({ done, total }) => options.onProgress?.({ done, total, unit: 'responses' }),
        store: {
          runs: o.runs,
          appVersion: o.appVersion,
          modelPath: o.modelPath,
          modelSha256: o.modelSha256,
          adapterSha256: input.adapterSha256,
          parentId: input.parentId,
          name: input.runName,
          extraConfig: { scenario: input.scenario.key, role: input.scenario.role, trainingSeed: input.trainingSeed },
        },
      });
      return { runId: result.runId! };
    },

    latent: async (input, options = {}) => {
      const out = await o.activations.latent(
        {
          modelPath: o.modelPath,
          pairs: input.pairs.map((p) => ({ self: p.self, other: p.other })),
          layers: input.layers,
          point: input.point,
          positions: input.positions,
          ...(input.adapterPath ? { adapters: [{ path: input.adapterPath }] } : {}),
          ...threads,
        },
        { ...(options.signal ? { signal: options.signal } : {}), ...(options.onProgress ? { onProgress: options.onProgress } : {}) },
      );
      return out.layers.map((l) => ({ layer: l.layer, mean: l.mean, std: l.std }));
    },

    train: async (input, options = {}) => {
      const call = options.signal ? { signal: options.signal } : {};
      const texts = input.pairs.flatMap((p) => [p.self, p.other]);
      const ids = await o.engine.call('model.tokenize', { modelPath: o.modelPath, texts }, call);
      const pairs = input.pairs.map((_, i) => ({ self: ids[2 * i]!, other: ids[2 * i + 1]! }));
      const result = await o.engine.call(
        'train.run',
        {
          modelPath: o.modelPath,
          layer: input.layer,
          pairs,
          outPath: input.outPath,
          threads: o.threads ?? os.availableParallelism(),
          targets: [...input.targets],
          rank: input.rank,
          alpha: input.alpha,
          dropout: input.dropout,
          positions: input.positions,
          point: input.point,
          selfAnchor: input.selfAnchor,
          lr: input.lr,
          epochs: input.epochs,
          batch: input.batch,
          seed: input.seed,
        },
        {
          ...call,
          onProgress: (p) => {
            if (p.train) options.onStep?.({ step: p.train.step, nSteps: p.train.nSteps, loss: p.train.loss, stepMs: p.train.stepMs });
          },
        },
      );
      return { adapterPath: result.adapterPath, losses: result.losses };
    },

    perplexity: async (input, options = {}) => {
      const model = await llamaModel();
      // 'line': every line its own document (demo model); 'text': one window over the whole text
      const score = (common: Omit<PerplexityOptions, 'text'>) =>
        input.unit === 'line' ? perplexityOfDocuments(model, { ...common, documents: input.text.split('\n') }) : perplexity(model, { ...common, text: input.text });
      const r = await score({
        maxTokens: input.maxTokens,
        ...(input.adapterPath ? { lora: { path: input.adapterPath } } : {}),
        ...threads,
        ...(options.signal ? { signal: options.signal } : {}),
        onProgress: (p) => options.onProgress?.(p),
      });
      return { perplexity: r.perplexity, tokens: r.tokens };
    },

    mtBench: async (input, options = {}) => {
      // The judge is loaded for the stage and freed after it, so two big models stay in memory only while judging.
      const judge = await loadModel(input.judgeModel, options.signal ? { signal: options.signal } : {});
      try {
        return await runMtBench(await llamaModel(), judge, {
          questions: input.questions,
          maxTokens: input.maxTokens,
          judgeMaxTokens: input.judgeMaxTokens,
          chatTemplate: input.chatTemplate,
          lora: input.adapterPath ? { path: input.adapterPath } : undefined,
          threads: o.threads,
          signal: options.signal,
          onProgress: (p) => options.onProgress?.(p),
        });
      } finally {
        await judge.dispose();
      }
    },

    dispose: async () => {
      const m = model;
      model = undefined;
      if (m) await (await m).dispose();
    },
  };
}
