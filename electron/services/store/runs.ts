/**
 * Runs in the database (tables `runs`, `run_steps`, `run_responses`, `run_metrics`, `run_artifacts`,
 * migrations/0002_runs.sql).
 *
 * A run is created `running`, then finished (`done`) or failed (`failed` / `cancelled` with its
 * ErrorData); `reopen` makes a stopped run `running` again for a resume (same id, its rows kept). Child rows are written with INSERT OR REPLACE on their natural keys, so a resumed job
 * that writes a step, a response or a metric again replaces it instead of duplicating it. Every
 * write is one immediate transaction (a batch of responses commits together or not at all).
 * Owns its prepared statements; knows nothing about what an evaluation or a training is.
 */
import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import { badInput, notFound, type ErrorData } from '../../contract/errors.ts';

export const RUN_KINDS = ['eval', 'latent', 'train', 'experiment', 'rl', 'demo'] as const;
export type RunKind = (typeof RUN_KINDS)[number];
export const RUN_STATUSES = ['running', 'done', 'failed', 'cancelled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
export const RESPONSE_BUCKETS = ['deceptive', 'honest', 'neither', 'degenerate'] as const;
export type ResponseBucket = (typeof RESPONSE_BUCKETS)[number];

/** A run as stored. Times are ISO 8601 UTC strings; hashes lower-case hex sha256. */
export interface RunRecord {
  id: string;
  kind: RunKind;
  status: RunStatus;
  /** The experiment this run belongs to, or null. */
  parentId: string | null;
  name: string;
  /** The whole effective configuration, parsed from JSON. */
  config: unknown;
  appVersion: string;
  modelPath: string | null;
  modelSha256: string | null;
  adapterPath: string | null;
  adapterSha256: string | null;
  seed: number | null;
  /** Why a failed or cancelled run ended; null otherwise. */
  error: ErrorData | null;
  createdAt: string;
  finishedAt: string | null;
}

export interface CreateRunInput {
  /** Defaults to a random UUID. An id that exists is refused (conflict), never replaced. */
  id?: string;
  kind: RunKind;
  parentId?: string | null;
  name?: string;
  /** Any JSON-serializable value; stored as JSON text. Defaults to {}. */
  config?: unknown;
  appVersion: string;
  modelPath?: string | null;
  modelSha256?: string | null;
  adapterPath?: string | null;
  adapterSha256?: string | null;
  seed?: number | null;
}

/** One step's numbers (training loss curve). */
export interface RunStep {
  step: number;
  loss: number | null;
  /** Other numbers of the step; defaults to {}. */
  metrics?: Record<string, number>;
}

/** One classified response of an evaluation. (variant, mirrored, idx) identify it within the run. */
export interface RunResponse {
  idx: number;
  variant: string;
  mirrored: boolean;
  prompt: string;
  response: string;
  bucket: ResponseBucket;
  deceptiveValue: string;
  honestValue: string;
  /** The prompt's placeholder values. */
  values: Record<string, string>;
  /** The classifier's evidence (matched spans, rule), any JSON; null when not kept. */
  evidence?: unknown;
}

export interface RunMetric {
  name: string;
  value: number | null;
  /** What explains the value (counts, interval), any JSON; null when none. */
  detail?: unknown;
}

export interface RunArtifact {
  kind: string;
  path: string;
  sha256?: string | null;
  bytes?: number | null;
}

export interface ListRunsFilter {
  kind?: RunKind;
  status?: RunStatus;
  /** Only the children of this run; `null` for top-level runs only. Undefined: all. */
  parentId?: string | null;
  /** Defaults to 100. */
  limit?: number;
  offset?: number;
}

export interface RunRepositoryOptions {
  /** The clock for created_at / finished_at. Defaults to `() => new Date()`. */
  now?: () => Date;
}

interface RunRow {
  id: string;
  kind: RunKind;
  status: RunStatus;
  parent_id: string | null;
  name: string;
  config: string;
  app_version: string;
  model_path: string | null;
  model_sha256: string | null;
  adapter_path: string | null;
  adapter_sha256: string | null;
  seed: number | null;
  error: string | null;
  created_at: string;
  finished_at: string | null;
}

interface ResponseRow {
  run_id: string;
  idx: number;
  variant: string;
  mirrored: number;
  prompt: string;
  response: string;
  bucket: ResponseBucket;
  deceptive_value: string;
  honest_value: string;
  prompt_values: string;
  evidence: string | null;
}

const RUN_COLUMNS =
  'id, kind, status, parent_id, name, config, app_version, model_path, model_sha256, adapter_path, adapter_sha256, seed, error, created_at, finished_at';

export class RunRepository {
  readonly #db: Database;
  readonly #now: () => Date;
  readonly #insertRun: Statement<[RunRow]>;
  readonly #getRun: Statement<[string], RunRow>;
  readonly #finish: Statement<[{ id: string; status: RunStatus; error: string | null; finished_at: string }]>;
  readonly #reopen: Statement<[string]>;
  readonly #deleteRun: Statement<[string]>;
  readonly #putStep: Statement<[{ run_id: string; step: number; loss: number | null; metrics: string }]>;
  readonly #putResponse: Statement<[ResponseRow]>;
  readonly #putMetric: Statement<[{ run_id: string; name: string; value: number | null; detail: string | null }]>;
  readonly #putArtifact: Statement<[{ run_id: string; kind: string; path: string; sha256: string | null; bytes: number | null }]>;
  readonly #steps: Statement<[string], { step: number; loss: number | null; metrics: string }>;
  readonly #responses: Statement<[string], ResponseRow>;
  readonly #metrics: Statement<[string], { name: string; value: number | null; detail: string | null }>;
  readonly #artifacts: Statement<[string], { kind: string; path: string; sha256: string | null; bytes: number | null }>;

  constructor(db: Database, options: RunRepositoryOptions = {}) {
    this.#db = db;
    this.#now = options.now ?? (() => new Date());
    this.#insertRun = db.prepare(
      `INSERT INTO runs (${RUN_COLUMNS}) VALUES (@id, @kind, @status, @parent_id, @name, @config, @app_version,
       @model_path, @model_sha256, @adapter_path, @adapter_sha256, @seed, @error, @created_at, @finished_at)`,
    );
    this.#getRun = db.prepare(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`);
    this.#finish = db.prepare(`UPDATE runs SET status = @status, error = @error, finished_at = @finished_at WHERE id = @id`);
    this.#reopen = db.prepare(`UPDATE runs SET status = 'running', error = NULL, finished_at = NULL WHERE id = ?`);
    this.#deleteRun = db.prepare(`DELETE FROM runs WHERE id = ?`);
    this.#putStep = db.prepare(`INSERT OR REPLACE INTO run_steps (run_id, step, loss, metrics) VALUES (@run_id, @step, @loss, @metrics)`);
    this.#putResponse = db.prepare(
      `INSERT OR REPLACE INTO run_responses (run_id, idx, variant, mirrored, prompt, response, bucket, deceptive_value,
       honest_value, prompt_values, evidence) VALUES (@run_id, @idx, @variant, @mirrored, @prompt, @response, @bucket,
       @deceptive_value, @honest_value, @prompt_values, @evidence)`,
    );
    this.#putMetric = db.prepare(`INSERT OR REPLACE INTO run_metrics (run_id, name, value, detail) VALUES (@run_id, @name, @value, @detail)`);
    this.#putArtifact = db.prepare(
      `INSERT OR REPLACE INTO run_artifacts (run_id, kind, path, sha256, bytes) VALUES (@run_id, @kind, @path, @sha256, @bytes)`,
    );
    this.#steps = db.prepare(`SELECT step, loss, metrics FROM run_steps WHERE run_id = ? ORDER BY step`);
    this.#responses = db.prepare(`SELECT * FROM run_responses WHERE run_id = ? ORDER BY variant, mirrored, idx`);
    this.#metrics = db.prepare(`SELECT name, value, detail FROM run_metrics WHERE run_id = ? ORDER BY name`);
    this.#artifacts = db.prepare(`SELECT kind, path, sha256, bytes FROM run_artifacts WHERE run_id = ? ORDER BY kind, path`);
  }

  /** Records a new `running` run and returns it. */
  create(input: CreateRunInput): RunRecord {
    const id = input.id ?? randomUUID();
    if (typeof id !== 'string' || id.length === 0) throw badInput(`run id must be a non-empty string, got ${JSON.stringify(id)}`);
    const row: RunRow = {
      id,
      kind: input.kind,
      status: 'running',
      parent_id: input.parentId ?? null,
      name: input.name ?? '',
      config: JSON.stringify(input.config ?? {}),
      app_version: input.appVersion,
      model_path: input.modelPath ?? null,
      model_sha256: input.modelSha256 ?? null,
      adapter_path: input.adapterPath ?? null,
      adapter_sha256: input.adapterSha256 ?? null,
      seed: input.seed ?? null,
      error: null,
      created_at: this.#now().toISOString(),
      finished_at: null,
    };
    this.#write(() => {
      if (row.parent_id !== null && !this.#getRun.get(row.parent_id)) throw notFound(`no run with id "${row.parent_id}" to be the parent of run ${id}`);
      if (this.#getRun.get(id)) throw badInput(`a run with id "${id}" already exists`);
      this.#insertRun.run(row);
    });
    return toRecord(row);
  }

  /** Marks a run done. Throws not_found for an unknown id. */
  finish(id: string): RunRecord {
    return this.#end(id, 'done', null);
  }

  /** Marks a run failed, or cancelled when `error.code` is 'cancelled', recording the error. */
  fail(id: string, error: ErrorData): RunRecord {
    return this.#end(id, error.code === 'cancelled' ? 'cancelled' : 'failed', error);
  }

  /**
   * Makes a run `running` again to resume it: status, error and finished_at are cleared, nothing else
   * (its steps, responses, metrics and artifacts stay, so the resume continues from them). A run that
   * is already running is returned as it is. `kind`, when given, must match (bad_input otherwise), so
   * a resume of one kind can never reopen another's run. Throws not_found for an unknown id.
   */
  reopen(id: string, kind?: RunKind): RunRecord {
    return this.#write(() => {
      const row = this.#getRun.get(id);
      if (!row) throw notFound(`no run with id "${id}" to resume`, { hint: 'soo-lab runs list shows the runs there are' });
      if (kind !== undefined && row.kind !== kind) throw badInput(`run ${id} is a ${row.kind} run, not ${kind}: it cannot be resumed as one`);
      if (row.status !== 'running') this.#reopen.run(id);
      return toRecord(this.#getRun.get(id)!);
    });
  }

  addSteps(runId: string, steps: readonly RunStep[]): void {
    this.#write(() => {
      this.#require(runId);
      for (const s of steps) this.#putStep.run({ run_id: runId, step: s.step, loss: s.loss, metrics: JSON.stringify(s.metrics ?? {}) });
    });
  }

  /** Writes a batch of responses in ONE transaction: all or none. */
  addResponses(runId: string, responses: readonly RunResponse[]): void {
    this.#write(() => {
      this.#require(runId);
      for (const r of responses) {
        this.#putResponse.run({
          run_id: runId,
          idx: r.idx,
          variant: r.variant,
          mirrored: r.mirrored ? 1 : 0,
          prompt: r.prompt,
          response: r.response,
          bucket: r.bucket,
          deceptive_value: r.deceptiveValue,
          honest_value: r.honestValue,
          prompt_values: JSON.stringify(r.values),
          evidence: r.evidence === undefined || r.evidence === null ? null : JSON.stringify(r.evidence),
        });
      }
    });
  }

  setMetrics(runId: string, metrics: readonly RunMetric[]): void {
    this.#write(() => {
      this.#require(runId);
      for (const m of metrics) {
        this.#putMetric.run({ run_id: runId, name: m.name, value: m.value, detail: m.detail === undefined || m.detail === null ? null : JSON.stringify(m.detail) });
      }
    });
  }

  addArtifacts(runId: string, artifacts: readonly RunArtifact[]): void {
    this.#write(() => {
      this.#require(runId);
      for (const a of artifacts) this.#putArtifact.run({ run_id: runId, kind: a.kind, path: a.path, sha256: a.sha256 ?? null, bytes: a.bytes ?? null });
    });
  }

  /** The run with this id, or undefined. */
  get(id: string): RunRecord | undefined {
    const row = this.#getRun.get(id);
    return row ? toRecord(row) : undefined;
  }

  steps(runId: string): RunStep[] {
    return this.#steps.all(runId).map((r) => ({ step: r.step, loss: r.loss, metrics: JSON.parse(r.metrics) as Record<string, number> }));
  }

  /** The run's responses, ordered by variant, mirrored, idx. */
  responses(runId: string): RunResponse[] {
    return this.#responses.all(runId).map((r) => ({
      idx: r.idx,
      variant: r.variant,
      mirrored: r.mirrored === 1,
      prompt: r.prompt,
      response: r.response,
      bucket: r.bucket,
      deceptiveValue: r.deceptive_value,
      honestValue: r.honest_value,
      values: JSON.parse(r.prompt_values) as Record<string, string>,
      evidence: r.evidence === null ? null : (JSON.parse(r.evidence) as unknown),
    }));
  }

  metrics(runId: string): RunMetric[] {
    return this.#metrics.all(runId).map((m) => ({ name: m.name, value: m.value, detail: m.detail === null ? null : (JSON.parse(m.detail) as unknown) }));
  }

  artifacts(runId: string): RunArtifact[] {
    return this.#artifacts.all(runId);
  }

  /** Runs, newest first, filtered. */
  list(filter: ListRunsFilter = {}): RunRecord[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: filter.limit ?? 100, offset: filter.offset ?? 0 };
    if (filter.kind !== undefined) {
      where.push('kind = @kind');
      params.kind = filter.kind;
    }
    if (filter.status !== undefined) {
      where.push('status = @status');
      params.status = filter.status;
    }
    if (filter.parentId === null) where.push('parent_id IS NULL');
    else if (filter.parentId !== undefined) {
      where.push('parent_id = @parentId');
      params.parentId = filter.parentId;
    }
    // The statement depends on which filters are set (8 shapes); better-sqlite3 prepares fast.
    const sql = `SELECT ${RUN_COLUMNS} FROM runs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
                 ORDER BY created_at DESC, id LIMIT @limit OFFSET @offset`;
    return (this.#db.prepare(sql).all(params) as RunRow[]).map(toRecord);
  }

  /** Deletes a run with its steps, responses, metrics, artifacts rows and child runs; true if it existed. */
  delete(id: string): boolean {
    return this.#write(() => this.#deleteRun.run(id).changes > 0);
  }

  #end(id: string, status: RunStatus, error: ErrorData | null): RunRecord {
    return this.#write(() => {
      this.#require(id);
      this.#finish.run({ id, status, error: error === null ? null : JSON.stringify(error), finished_at: this.#now().toISOString() });
      return toRecord(this.#getRun.get(id)!);
    });
  }

  #require(id: string): void {
    if (!this.#getRun.get(id)) throw notFound(`no run with id "${id}"`, { hint: 'soo-lab runs list shows the runs there are' });
  }

  #write<T>(fn: () => T): T {
    return this.#db.transaction(fn).immediate();
  }
}

function toRecord(row: RunRow): RunRecord {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    parentId: row.parent_id,
    name: row.name,
    config: JSON.parse(row.config) as unknown,
    appVersion: row.app_version,
    modelPath: row.model_path,
    modelSha256: row.model_sha256,
    adapterPath: row.adapter_path,
    adapterSha256: row.adapter_sha256,
    seed: row.seed,
    error: row.error === null ? null : (JSON.parse(row.error) as ErrorData),
    createdAt: row.created_at,
    finishedAt: row.finished_at,
  };
}
