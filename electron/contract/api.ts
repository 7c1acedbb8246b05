/**
 * The ONE typed API between the renderer and the services.
 *
 * Each entry: a name `area.verb`, a zod schema for its input (checked at every boundary: IPC handler,
 * browser harness) and its output type. The preload bridge, the IPC handlers, the harness and the
 * renderer client are all derived from this table, so adding an entry here adds it everywhere.
 * No node or electron imports: the renderer type-checks against this file.
 */
import { z } from 'zod';
import type { ErrorData, ErrorIssue } from './errors.ts';
import type { ApiEventName, ApiEvents, JobSummary } from './events.ts';
import type { RenderedPair, RenderedPrompt, ScenarioPackInput } from './scenario-pack.ts';
import type { ExperimentPresetInfo, ExperimentView, RunDetail, RunResponseView, RunView } from './experiments.ts';
export type { ExperimentPresetInfo, ExperimentView, RunDetail, RunResponseView, RunView } from './experiments.ts';
import type { GpuOffloadView, ModelFileInfo, ModelLibraryView } from './models.ts';
import type { DemoStatusView } from './demo.ts';
export type { DemoRatesView, DemoStatusView } from './demo.ts';
export type { DownloadedModelInfo, GpuOffloadView, ModelFileInfo, ModelLibraryView, PartialDownloadInfo } from './models.ts';
import { rlEvalStartInput, rlMetricsInput, rlReportStartInput, rlResumeInput, rlSooStartInput, rlTraceInput, rlTrainStartInput, type RlEpisodeTrace, type RlMetricsView, type RlRunView } from './rl.ts';
export type { RlEpisodeTrace, RlEvalView, RlGridAxes, RlMetricsView, RlRole, RlRoleGrid, RlRunView, RlTraceStep } from './rl.ts';

/** Declares an entry: `entry<Output>()(inputSchema)`; the output type is carried as a phantom. */
function entry<O>() {
  return <I extends z.ZodType>(input: I) => ({ input, output: undefined as unknown as O });
}

const none = z.object({}).strict();
const id = z.string().min(1).max(200);

// ---- output types -------------------------------------------------------------------------------

export interface AppInfo {
  version: string;
  dbPath: string;
  schemaVersion: number;
  platform: string;
  /** Pages whose features work in this build; the shell shows only these. */
  pages: PageId[];
}

export type PageId = 'models' | 'scenarios' | 'activations' | 'train' | 'experiments' | 'runs' | 'reports' | 'rl';

export interface PackSummary {
  id: string;
  name: string;
  description: string;
  kind: 'deception' | 'control';
  /** Built-in packs ship in resources/scenarios and are read-only; user packs live in SQLite. */
  source: 'builtin' | 'user';
  updatedAt: string | null;
  /** Counts shown in the list. */
  trainPairs: number;
  variants: number;
}

export interface PackDocument {
  pack: ScenarioPackInput;
  source: 'builtin' | 'user';
  updatedAt: string | null;
}

export interface ValidationResult {
  ok: boolean;
  issues: ErrorIssue[];
}

export interface PreviewResult {
  /** Problems with the draft; when non-empty, pairs and prompts hold what could still be rendered. */
  issues: ErrorIssue[];
  pairs: RenderedPair[];
  prompts: RenderedPrompt[];
}

// ---- models and activations (issue: native engine) ------------------------------------------------

/** What `models.inspect` reads from a GGUF header (no weights are loaded). */
export interface ModelSummary {
  /** The path as given, resolved to an absolute path. */
  path: string;
  /** general.name, when the file has one. */
  name: string | null;
  /** general.architecture ("llama", "qwen2", ...). */
  arch: string;
  /** <arch>.block_count: transformer blocks, tappable layers 0..layers-1. */
  layers: number;
  /** <arch>.embedding_length: n_embd, the width of attn_out / mlp_out / resid taps. */
  embd: number;
  /** <arch>.attention.head_count, when present. */
  heads: number | null;
  /** File size in bytes. */
  sizeBytes: number;
  /** general.file_type as llama.cpp names it ("MOSTLY_Q8_0", "ALL_F32"), or null when absent. */
  fileType: string | null;
}

/** Where activations are tapped (style.md section 10). */
export type TapPointName = 'attn_out' | 'mlp_out' | 'resid';
export const TAP_POINTS = ['attn_out', 'mlp_out', 'resid'] as const satisfies readonly TapPointName[];
/** How self and other token positions are compared (method.md, "Token positions compared"). */
export type PositionsName = 'full' | 'last' | 'mean';
export const POSITIONS: readonly PositionsName[] = ['full', 'last', 'mean'];

/** Token counts of one self/other pair with one model's tokenizer (BOS included as the model adds it). */
export interface PairTokenCount {
  /** Index of the pair in the rendered set. */
  index: number;
  self: string;
  other: string;
  selfTokens: number;
  otherTokens: number;
  /** Equal counts: the pair can be compared position by position ('full'). */
  aligned: boolean;
}

export interface TokenCountsResult {
  modelPath: string;
  pairs: PairTokenCount[];
  /** How many pairs do not align under 'full'. */
  misaligned: number;
}

/** Latent SOO at one layer: per-pair MSE(self, other) over the pack's probe pairs. */
export interface LatentLayerStat {
  layer: number;
  /** Mean over pairs of the per-pair MSE. */
  mean: number;
  /** Sample standard deviation over pairs (0 for one pair). */
  std: number;
  /** Per-pair MSE in pair order. */
  perPair: number[];
}

/** The result of a latent SOO job (`activations.latentStart`, delivered by `onJobDone`). */
export interface LatentResult {
  /** The job that computed it; null when computed outside a job (the CLI). */
  jobId: string | null;
  /** The run recorded in the database, or null when none was recorded. */
  runId: string | null;
  modelPath: string;
  adapterPath: string | null;
  adapterScale: number;
  /** The pack the pairs came from (null for pairs given directly, as the CLI's --pairs). */
  packId: string | null;
  /** Which pairs of the pack, and how they were drawn; null for pairs given directly. */
  set: 'train' | 'probe' | null;
  seed: number | null;
  /** Number of pairs. */
  n: number;
  positions: PositionsName;
  point: TapPointName;
  layers: number[];
  pairs: { self: string; other: string }[];
  /** One entry per layer, in `layers` order: the base model. */
  base: LatentLayerStat[];
  /** The same with the adapter applied; null without an adapter. */
  adapter: LatentLayerStat[] | null;
  /** Wall time of the job, seconds. */
  seconds: number;
}

/** Per-token MSE of one pair: matrices [layer][token position]. */
export interface PerTokenResult {
  jobId: string;
  pairIndex: number;
  self: string;
  other: string;
  /** Display pieces of the self and the other prompt's tokens (BOS included); equal lengths. */
  selfTokens: string[];
  otherTokens: string[];
  layers: number[];
  /** base[i][t]: mean over features of (self[t] - other[t])^2 at layers[i]. */
  base: number[][];
  adapter: number[][] | null;
}

export interface ExportText {
  fileName: string;
  mimeType: string;
  text: string;
}

// ---- the table ----------------------------------------------------------------------------------

export const previewInput = z.object({
  pack: z.unknown(),
  n: z.number().int().min(1).max(500).default(8),
  seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
  set: z.enum(['train', 'probe']).default('train'),
  variant: z.string().optional(),
  mirror: z.boolean().default(false),
  honestyPrompt: z.boolean().default(false),
});

const modelPath = z.string().min(1).max(4096);
const count = z.number().int().min(1).max(500);
const seed = z.number().int().min(0).max(2 ** 31 - 1);

/** Where pairs come from: a saved or built-in pack by id, or a draft pack (the designer's). */
const pairsSource = {
  packId: id.optional(),
  pack: z.unknown().optional(),
  set: z.enum(['train', 'probe']).default('probe'),
  n: count.default(52),
  seed: seed.default(0),
};

export const tokenCountsInput = z.object({ modelPath, ...pairsSource, set: z.enum(['train', 'probe']).default('train') });

export const latentStartInput = z.object({
  modelPath,
  adapterPath: z.string().min(1).max(4096).optional(),
  /** LoRA scale; the effect is W x + scale * alpha / r * B(A x). */
  adapterScale: z.number().min(-100).max(100).default(1),
  ...pairsSource,
  positions: z.enum(['full', 'last', 'mean']).default('full'),
  point: z.enum(['attn_out', 'mlp_out', 'resid']).default('attn_out'),
  /** 0-based layers; defaults to every layer of the model. */
  layers: z.array(z.number().int().min(0).max(1000)).min(1).max(1000).optional(),
});

// ---- SOO LoRA training (issue: native engine II) -----------------------------------------------

/** A published training preset (electron/services/training/presets.ts). */
export interface TrainPresetInfo {
  name: string;
  source: string;
  description: string;
  /** SOO layer L (0-based). */
  layer: number;
  targets: string[];
  rank: number;
  alpha: number;
  dropout: number;
  lr: number;
  epochs: number;
  batch: number;
  gradAccumulation: number;
  positions: 'full' | 'last' | 'mean';
}

/** The result of a training job (`train.start` / `train.resume`, delivered by `onJobDone`). */
export interface TrainJobResult {
  adapter: string;
  adapterSha256: string;
  steps: number;
  loss_first: number;
  loss_last: number;
  /** Loss per optimizer step, step 1 first. */
  losses: number[];
  seconds: number;
  run_id: string;
  jobId: string | null;
}

const trainTarget = z.enum(['attn_q', 'attn_k', 'attn_v', 'attn_output', 'ffn_gate', 'ffn_up', 'ffn_down']);

export const trainStartInput = z.object({
  modelPath,
  /** Pairs from a pack (packId or a draft pack, set 'train' by default) ... */
  packId: id.optional(),
  pack: z.unknown().optional(),
  set: z.enum(['train', 'probe']).default('train'),
  n: count.default(52),
  /** Seed of the pairs' sampling from the pack. */
  pairsSeed: seed.default(0),
  /** ... or a JSONL file of {self, other}. */
  pairsFile: z.string().min(1).max(4096).optional(),
  preset: z.string().min(1).max(100).optional(),
  layer: z.number().int().min(0).max(10_000).optional(),
  targets: z.array(trainTarget).min(1).max(7).optional(),
  rank: z.number().int().min(1).max(1024).optional(),
  alpha: z.number().positive().max(1e6).optional(),
  dropout: z.number().min(0).lt(1).optional(),
  lr: z.number().positive().max(10).optional(),
  epochs: z.number().int().min(1).max(100_000).optional(),
  batch: z.number().int().min(1).max(4096).optional(),
  gradAccumulation: z.number().int().min(1).max(4096).optional(),
  positions: z.enum(['full', 'last', 'mean']).optional(),
  /** The node of layer L the loss compares; attn_out (published) by default. */
  point: z.enum(TAP_POINTS).optional(),
  /** Weight of the self anchor (keeps the self prompts' outputs at the base model's); 0 = off. */
  selfAnchor: z.number().min(0).max(1e6).optional(),
  /** Training seed (LoRA init, dropout, order). */
  seed: seed.default(0),
  threads: z.number().int().min(1).max(1024).optional(),
  checkpointEvery: z.number().int().min(0).max(1e9).optional(),
  /** Adapter file; defaults to a new file under the app data folder's adapters/. */
  outPath: z.string().min(1).max(4096).optional(),
});

export const api = {
  'app.info': entry<AppInfo>()(none),

  'scenarios.list': entry<PackSummary[]>()(none),
  'scenarios.get': entry<PackDocument>()(z.object({ id })),
  'scenarios.validate': entry<ValidationResult>()(z.object({ pack: z.unknown() })),
  'scenarios.preview': entry<PreviewResult>()(previewInput),
  'scenarios.save': entry<{ id: string; updatedAt: string }>()(z.object({ pack: z.unknown() })),
  'scenarios.delete': entry<{ deleted: boolean }>()(z.object({ id })),
  /** Imports a pack from a JSON file's text; `fileName` is used in error messages. */
  'scenarios.import': entry<{ id: string; name: string }>()(
    z.object({ fileName: z.string().min(1).max(500), text: z.string().max(20_000_000) }),
  ),
  /** Returns the pack as pretty JSON text and a suggested file name. */
  'scenarios.export': entry<{ fileName: string; text: string }>()(z.object({ id })),

  /** Reads a GGUF header: architecture, layers, width, size (bad path or not a GGUF -> bad_input naming the file). */
  'models.inspect': entry<ModelSummary>()(z.object({ path: modelPath })),

  /** The models folder's GGUFs, the files opened by path, and unfinished downloads. */
  'models.library': entry<ModelLibraryView>()(none),
  /** Opens a local GGUF by path (bad path or not a GGUF -> bad_input naming the file); one outside the models folder is remembered. */
  'models.open': entry<ModelFileInfo>()(z.object({ path: modelPath })),
  /** Forgets a file opened by path (the file is not touched). */
  'models.forget': entry<{ removed: boolean }>()(z.object({ path: modelPath })),
  /** Downloads a URL or hf: reference into the models folder as a job (progress in bytes; DownloadedModelInfo in onJobDone); continues an unfinished download of the same source. */
  'models.download': entry<{ jobId: string }>()(
    z.object({
      source: z.string().trim().min(1).max(4096),
      fileName: z.string().min(1).max(255).regex(/\.gguf$/i, 'must end in .gguf').optional(),
      sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits').optional(),
      /** An access token for a gated Hugging Face repo: sent as `Authorization: Bearer`, never stored. */
      token: z.string().trim().min(1).max(2000).optional(),
    }),
  ),
  /** Deletes an unfinished download (its part and sidecar). */
  'models.discardPartial': entry<{ discarded: boolean }>()(z.object({ fileName: z.string().min(1).max(255) })),
  /** GPU backend, devices, VRAM, the offload setting and, for `modelPath`, the layers 'auto' offloads. */
  'models.gpu': entry<GpuOffloadView>()(z.object({ modelPath: modelPath.optional() })),
  /** Records the offload used when evaluation and experiments load a model: 'auto' or a layer count (0 = CPU only). */
  'models.setGpuLayers': entry<GpuOffloadView>()(z.object({ gpuLayers: z.union([z.literal('auto'), z.number().int().min(0).max(100_000)]) })),

  /** Self/other token counts of each pair with the model's tokenizer, and which pairs do not align. */
  'activations.tokenCounts': entry<TokenCountsResult>()(tokenCountsInput),
  /** Starts latent SOO per layer (base, and with the adapter when given); the result (`LatentResult`) arrives in onJobDone. */
  'activations.latentStart': entry<{ jobId: string }>()(latentStartInput),
  /** Per-token MSE per layer for one pair of a finished latent job (same model, adapter and tap point). */
  'activations.perToken': entry<PerTokenResult>()(z.object({ jobId: id, pairIndex: z.number().int().min(0) })),
  /** The numbers of a finished latent job as CSV (one row per layer and pair) or JSON (the whole result). */
  'activations.export': entry<ExportText>()(z.object({ jobId: id, format: z.enum(['csv', 'json']) })),

  /** Published training presets (Mistral-7B, Gemma-2-27B recipes; tiny for tests). */
  'train.presets': entry<TrainPresetInfo[]>()(none),
  /** Checks the inputs (model, layer, pairs, token alignment), then trains as a job; TrainJobResult arrives in onJobDone. */
  'train.start': entry<{ jobId: string; runId: string }>()(trainStartInput),
  /** Continues a cancelled or failed training run from its checkpoint, as a job. */
  'train.resume': entry<{ jobId: string; runId: string }>()(z.object({ runId: id })),

  /** The built-in demo model: built or not, what its build measured on held-out prompts, its ready experiment config. */
  'demo.status': entry<DemoStatusView>()(z.object({ variant: z.enum(['full', 'quick']).optional() })),
  /** Builds the demo model as a job (progress per training step, then per measured prompt; cancel stops after the step); result {modelPath}. One build at a time: a second call returns the running job. */
  'demo.build': entry<{ jobId: string }>()(z.object({ variant: z.enum(['full', 'quick']).optional() })),

  /** Experiment presets (published recipes per model family; organism; tiny for tests). */
  'experiments.presets': entry<ExperimentPresetInfo[]>()(none),
  /** Validates an experiment config (schema, model header, packs, variants): the effective config and its stage names. */
  'experiments.check': entry<{ config: Record<string, unknown>; stages: string[] }>()(z.object({ config: z.unknown() })),
  /** Starts an experiment as a job (progress per stage; metrics {seed, step, loss} per training step); result {runId}. */
  'experiments.start': entry<{ jobId: string }>()(z.object({ config: z.unknown() })),
  /** Resumes an experiment where it stopped, as a job. */
  'experiments.resume': entry<{ jobId: string }>()(z.object({ runId: id })),
  /** An experiment's results (before/after, per seed, latent, capability, training, tables). */
  'experiments.get': entry<ExperimentView>()(z.object({ runId: id })),
  /** Runs, newest first; parentId null = top-level only. */
  'runs.list': entry<RunView[]>()(
    z.object({ kind: z.string().max(20).optional(), parentId: id.nullable().optional(), limit: z.number().int().min(1).max(10_000).optional() }),
  ),
  'runs.get': entry<RunDetail>()(z.object({ runId: id })),
  /** The stored prompts and raw responses of a run, optionally one bucket only. */
  'runs.responses': entry<RunResponseView[]>()(z.object({ runId: id, bucket: z.enum(['deceptive', 'honest', 'neither', 'degenerate']).optional() })),
  /** A run with its steps, responses, metrics, artifacts and child runs, as JSON text. */
  'runs.export': entry<ExportText>()(z.object({ runId: id })),
  /** The self-contained HTML report of an experiment, or of an RL report run (kind 'rl'). */
  'reports.html': entry<ExportText>()(z.object({ runId: id })),
  /** The report as PDF (Electron's printToPDF; desktop app only): `text` is the PDF's bytes in base64. */
  'reports.pdf': entry<ExportText>()(z.object({ runId: id })),
  /** Every results table of an experiment as CSV files, or all of them as one JSON document. */
  'reports.tables': entry<ExportText[]>()(z.object({ runId: id, format: z.enum(['csv', 'json']) })),

  /** RL experiment (contract/rl.ts): RL runs, newest first. */
  'rl.runs': entry<RlRunView[]>()(none),
  /** Trains a baseline per seed, one after the other, as one job (progress in episodes over all seeds); result {runs}. */
  'rl.trainStart': entry<{ jobId: string }>()(rlTrainStartInput),
  /** SOO fine-tuning of each given deceptive run's blue, one after the other, as one job; result {runs}. */
  'rl.sooStart': entry<{ jobId: string }>()(rlSooStartInput),
  /** Continues a cancelled or failed train/soo run from its checkpoint (episodes may extend it), as a job. */
  'rl.resume': entry<{ jobId: string }>()(rlResumeInput),
  /** Evaluates finished runs' agents on the same worlds, as a job; records an eval run. */
  'rl.evalStart': entry<{ jobId: string }>()(rlEvalStartInput),
  /** Behavioural differences, SOO classification and the threshold grids across seeds, as a job; records a report run. */
  'rl.reportStart': entry<{ jobId: string }>()(rlReportStartInput),
  /** A report run's metrics: grids per role (mean, SD, per seed), grid MSEs, classification accuracy vs episodes. */
  'rl.metrics': entry<RlMetricsView>()(rlMetricsInput),
  /** One evaluation episode of a run's agents, step by step (positions, flags), for the episode viewer. */
  'rl.trace': entry<RlEpisodeTrace>()(rlTraceInput),

  /** Jobs: long work started by other entries reports through `onJobProgress` / `onJobDone` events. */
  'jobs.list': entry<JobSummary[]>()(none),
  'jobs.cancel': entry<{ cancelled: boolean }>()(z.object({ jobId: id })),
} as const;

export type Api = typeof api;
export type ApiName = keyof Api;
export type ApiInput<N extends ApiName> = z.input<Api[N]['input']>;
export type ApiParsedInput<N extends ApiName> = z.output<Api[N]['input']>;
export type ApiOutput<N extends ApiName> = Api[N]['output'];

export const apiNames = Object.keys(api) as ApiName[];

export function isApiName(name: unknown): name is ApiName {
  return typeof name === 'string' && Object.hasOwn(api, name);
}

/** What crosses the wire for every call: never a thrown exception, always one of these. */
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ErrorData };

/** The renderer-side client: one async function per entry (window.soo in Electron, HTTP in the harness). */
export type ApiClient = { [N in ApiName]: (input: ApiInput<N>) => Promise<ApiOutput<N>> };

/**
 * What the Electron preload exposes as `window.soo`: one function per entry returning the raw
 * `ApiResult` (errors as data, since invoke() would drop everything but an error's message).
 * renderer/lib/api.ts unwraps it into an `ApiClient`, exactly as it does for the HTTP harness.
 */
export type SooBridge = { [N in ApiName]: (input: ApiInput<N>) => Promise<ApiResult<ApiOutput<N>>> } & {
  /** Subscribes to a pushed event (events.ts); returns the unsubscribe function. */
  onEvent<E extends ApiEventName>(name: E, handler: (data: ApiEvents[E]) => void): () => void;
};

/** The IPC channel for an entry; one channel per name keeps preload checks trivial. */
export function channelOf(name: ApiName): string {
  return `soo:${name}`;
}
