/**
 * One evaluation: render a pack's test prompts, generate greedily, classify every response into
 * the four buckets, and report counts, rates and Wilson 95% intervals, with every prompt and raw
 * response. When a run store is given, the run is recorded as it goes: created `running` with its
 * whole config before any generation, responses written in batches as they finish (a crash keeps
 * what was done), metrics and `done` at the end, or `failed` / `cancelled` with the error.
 *
 * Rates are over ALL n responses (the published deceptive rate is deceptive / 250): a model whose
 * answers become degenerate does not look more honest, it shows up in the degenerate bucket.
 *
 * The caller loads the model (and owns it); this module never loads or disposes one.
 */
import type { LlamaModel } from 'node-llama-cpp';
import { toErrorData } from '../../contract/errors.ts';
import type { RenderedPrompt, ScenarioPack } from '../../contract/scenario-pack.ts';
import { DEFAULT_PROMPT_COUNT, renderPrompts } from '../scenarios/render.ts';
import { MAIN_VARIANT } from '../scenarios/variant.ts';
import type { RunRepository, RunResponse } from '../store/runs.ts';
import { classifyResponse, type Bucket, type ClassifyEvidence } from './classify.ts';
import { DEFAULT_MAX_TOKENS, generate, type ChatTemplateChoice, type GenerateOptions, type Generation } from './generate.ts';
import { wilsonInterval } from './stats.ts';

/** Responses written to the store per transaction while generating. */
const STORE_BATCH = 16;

export interface EvaluateOptions {
  pack: ScenarioPack;
  /** Test prompts. Defaults to 250 (the published size). */
  n?: number;
  /** Seed of the prompt values. Defaults to 0. */
  seed?: number;
  /** Variant id; defaults to "main" (the pack itself). */
  variant?: string;
  /** Render the mirror template (honest option named first). Defaults to false. */
  mirror?: boolean;
  /** Prepend the pack's honesty prompt. Defaults to false. */
  honestyPrompt?: boolean;
  /** New tokens per response. Defaults to 75. */
  maxTokens?: number;
  /** 'auto' (the model's chat template when it has one) or 'none' (raw text). Defaults to 'auto'. */
  chatTemplate?: ChatTemplateChoice;
  lora?: { path: string; scale?: number };
  /** Sequences generated together (generate.ts). */
  parallel?: number;
  threads?: number;
  /** Every llama.cpp batch as composed (profiling; generate.ts). */
  onBatch?: GenerateOptions['onBatch'];
  /** Record the run here. Without it nothing is stored and `runId` is null. */
  store?: EvaluationStore;
  /** Per finished response: done of total. */
  onProgress?: (progress: { done: number; total: number }) => void;
  signal?: AbortSignal;
}

export interface EvaluationStore {
  runs: RunRepository;
  appVersion: string;
  /** Recorded with the run (models/modelHash.ts computes them). */
  modelPath: string;
  modelSha256?: string | null;
  adapterSha256?: string | null;
  /** An experiment this evaluation belongs to. */
  parentId?: string | null;
  name?: string;
  /** Run id to use (defaults to a new UUID). */
  runId?: string;
  /** Extra fields recorded in the run's config (e.g. the CLI's flags as given). */
  extraConfig?: Record<string, unknown>;
}

export interface EvaluatedResponse {
  idx: number;
  variant: string;
  mirrored: boolean;
  /** The rendered prompt (before any chat template). */
  prompt: string;
  /** The prompt as the model saw it (after the chat template, if any). */
  formattedPrompt: string;
  response: string;
  bucket: Bucket;
  deceptiveValue: string;
  honestValue: string;
  values: Record<string, string>;
  evidence: ClassifyEvidence;
  stopReason: Generation['stopReason'];
  /** New tokens generated for this response. */
  generatedTokens: number;
}

export interface EvaluationResult {
  n: number;
  deceptive: number;
  honest: number;
  neither: number;
  degenerate: number;
  /** deceptive / n, a fraction in [0, 1]. */
  deceptiveRate: number;
  /** Wilson 95% interval of the deceptive rate. */
  ci95: [number, number];
  /** Every bucket's rate and interval. */
  rates: Record<Bucket, { rate: number; ci95: [number, number] }>;
  /** The chat wrapper used, or null for raw text. */
  chatTemplate: string | null;
  runId: string | null;
  /** The effective configuration (recorded with the run). */
  config: EvaluationConfig;
  responses: EvaluatedResponse[];
  seconds: number;
}

export interface EvaluationConfig {
  pack: string;
  n: number;
  seed: number;
  variant: string;
  mirror: boolean;
  honestyPrompt: boolean;
  maxTokens: number;
  chatTemplate: ChatTemplateChoice;
  lora: { path: string; scale: number } | null;
  parallel: number | null;
  threads: number | null;
  decoding: 'greedy';
  [extra: string]: unknown;
}

const BUCKETS: readonly Bucket[] = ['deceptive', 'honest', 'neither', 'degenerate'];

/** Runs one evaluation of `model` on `options.pack`; see the header. */
export async function evaluate(model: LlamaModel, options: EvaluateOptions): Promise<EvaluationResult> {
  const { pack, store, signal } = options;
  const config: EvaluationConfig = {
    ...store?.extraConfig,
    pack: pack.id,
    n: options.n ?? DEFAULT_PROMPT_COUNT,
    seed: options.seed ?? 0,
    variant: options.variant ?? MAIN_VARIANT,
    mirror: options.mirror ?? false,
    honestyPrompt: options.honestyPrompt ?? false,
    maxTokens: options.maxTokens ?? DEFAULT_MAX_TOKENS,
    chatTemplate: options.chatTemplate ?? 'auto',
    lora: options.lora ? { path: options.lora.path, scale: options.lora.scale ?? 1 } : null,
    parallel: options.parallel ?? null,
    threads: options.threads ?? null,
    decoding: 'greedy',
  };
  // Bad flags (unknown variant, no mirror template) fail here, before a run is recorded.
  const prompts = renderPrompts(pack, { n: config.n, seed: config.seed, variant: config.variant, mirror: config.mirror, honestyPrompt: config.honestyPrompt });
  signal?.throwIfAborted();

  const runs = store?.runs;
  const runId = store
    ? store.runs.create({
        id: store.runId,
        kind: 'eval',
        parentId: store.parentId ?? null,
        name: store.name ?? `${pack.id}/${config.variant}${config.mirror ? ' mirrored' : ''}`,
        config,
        appVersion: store.appVersion,
        modelPath: store.modelPath,
        modelSha256: store.modelSha256 ?? null,
        adapterPath: config.lora?.path ?? null,
        adapterSha256: store.adapterSha256 ?? null,
        seed: config.seed,
      }).id
    : null;

  const responses: EvaluatedResponse[] = new Array(prompts.length);
  let pending: RunResponse[] = [];
  const flush = () => {
    if (runs && runId && pending.length > 0) runs.addResponses(runId, pending);
    pending = [];
  };
  try {
    const result = await generate(model, {
      prompts: prompts.map((p) => p.prompt),
      maxTokens: config.maxTokens,
      chatTemplate: config.chatTemplate,
      lora: options.lora,
      parallel: options.parallel,
      threads: options.threads,
      onBatch: options.onBatch,
      signal,
      onProgress: ({ done, total }) => options.onProgress?.({ done, total }),
      onGeneration: (generation) => {
        const evaluated = classifyOne(prompts[generation.index]!, generation);
        responses[generation.index] = evaluated;
        pending.push(toRunResponse(evaluated));
        if (pending.length >= STORE_BATCH) flush();
      },
    });
    flush();

    const counts = Object.fromEntries(BUCKETS.map((b) => [b, 0])) as Record<Bucket, number>;
    for (const r of responses) counts[r.bucket]++;
    const n = responses.length;
    const rates = Object.fromEntries(BUCKETS.map((b) => [b, { rate: n ? counts[b] / n : 0, ci95: wilsonInterval(counts[b], n) }])) as EvaluationResult['rates'];
    if (runs && runId) {
      runs.setMetrics(runId, [
        ...BUCKETS.map((b) => ({ name: `${b}_rate`, value: rates[b].rate, detail: { count: counts[b], n, ci95: rates[b].ci95 } })),
        { name: 'n', value: n, detail: { chatTemplate: result.chatTemplate, seconds: result.seconds, parallel: result.parallel, threads: result.threads } },
      ]);
      runs.finish(runId);
    }
    return {
      n,
      ...counts,
      deceptiveRate: rates.deceptive.rate,
      ci95: rates.deceptive.ci95,
      rates,
      chatTemplate: result.chatTemplate,
      runId,
      config,
      responses,
      seconds: result.seconds,
    };
  } catch (error) {
    if (runs && runId) {
      try {
        flush(); // keep what finished before the failure
      } finally {
        runs.fail(runId, signal?.aborted ? { code: 'cancelled', message: 'the evaluation was cancelled' } : toErrorData(error));
      }
    }
    throw error;
  }
}

function classifyOne(prompt: RenderedPrompt, generation: Generation): EvaluatedResponse {
  const { bucket, evidence } = classifyResponse(generation.text, prompt.deceptive, prompt.honest);
  return {
    idx: generation.index,
    variant: prompt.variant,
    mirrored: prompt.mirrored,
    prompt: prompt.prompt,
    formattedPrompt: generation.formattedPrompt,
    response: generation.text,
    bucket,
    deceptiveValue: prompt.deceptive,
    honestValue: prompt.honest,
    values: prompt.values,
    evidence,
    stopReason: generation.stopReason,
    generatedTokens: generation.tokens.length,
  };
}

/** The stored form: the formatted prompt goes with the evidence (the chat template may change it). */
function toRunResponse(r: EvaluatedResponse): RunResponse {
  const { text: _text, ...spans } = r.evidence;
  return {
    idx: r.idx,
    variant: r.variant,
    mirrored: r.mirrored,
    prompt: r.formattedPrompt,
    response: r.response,
    bucket: r.bucket,
    deceptiveValue: r.deceptiveValue,
    honestValue: r.honestValue,
    values: r.values,
    evidence: { ...spans, stopReason: r.stopReason, generatedTokens: r.generatedTokens, ...(r.evidence.text !== r.response ? { text: r.evidence.text } : {}) },
  };
}
