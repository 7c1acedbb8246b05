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

export type PageId = 'models' | 'scenarios' | 'activations' | 'experiments' | 'runs' | 'reports';

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
