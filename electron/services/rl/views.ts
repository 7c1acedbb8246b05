/**
 * RlViews: what the RL page needs on top of RlService / RlJobs (contract entries rl.*):
 * - `list()`: the RL runs with their role, seed, progress and stored end-of-run metrics;
 * - `trainStart` / `sooStart`: several seeds (or source runs) one after the other as ONE job, whose
 *   progress counts episodes over all of them (stage names the seed);
 * - `reportStart`: RlService.report as a job (it saves the per-agent deceptive-action grids of its
 *   evaluation next to the report run: gridsFile.ts);
 * - `metrics(reportRunId)`: the report's stored numbers plus the grids per role (mean, SD over seeds,
 *   per seed), subsampled to `resolution` thresholds per axis; grids of a report made before reports
 *   saved them are computed on first use and saved;
 * - `trace(runId, seed, episode)`: one deterministic evaluation episode of a run's agents, step by step,
 *   for the episode viewer: the same worlds `evaluatePolicies` plays (stream 1000 of the seed).
 *
 * Grids are counts per evaluation episode (count / episodes), as the behavioural-difference MSE uses.
 * Nothing here changes how agents are trained or evaluated; it composes the rl/ modules.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { badInput, notFound } from '../../contract/errors.ts';
import type { RlEpisodeTrace, RlMetricsView, RlRole, RlRoleGrid, RlRunView, RlTraceStep } from '../../contract/rl.ts';
import type { ExportText } from '../../contract/api.ts';
import type { JobRunner } from '../jobs/jobs.ts';
import { rlReportHtml } from '../reports/rlHtml.ts';
import { GRIDS_FORMAT, gridsPath, readGridsFile, writeGridsFile, type GridsFile } from './gridsFile.ts';
import type { RunRecord, RunRepository } from '../store/runs.ts';
import { parseConfig, sooConfigSchema, trainConfigSchema, type SooConfigInput, type TrainConfigInput } from './config.ts';
import type { RlCallOptions, RlReportInput, RlReportResult, RlService, RlTrainResult } from './service.ts';
import { ACTION_DIM, AGENT_SIZE, DeceptionEnv, dist, LANDMARK_SIZE, REACH_RADIUS, SIGHT_RADIUS } from './env.ts';
import { Rng } from './rng.ts';
import { GRID_SIZE, pointsToFake } from './metrics/grid.ts';
import { meanSd } from './metrics/behaviour.ts';

/** The modules that need TensorFlow.js (networks), imported on first use like service.ts does. */
async function loadHeavy(): Promise<Heavy> {
  heavy ??= (async () => {
    const [tfm, policies, evaluate, soo] = await Promise.all([import('./tf.ts'), import('./policies.ts'), import('./evaluate.ts'), import('./soo.ts')]);
    await tfm.initTf();
    return { ...policies, ...evaluate, redOutOfSight: soo.redOutOfSight };
  })();
  return heavy;
}
type Heavy = typeof import('./policies.ts') & typeof import('./evaluate.ts') & Pick<typeof import('./soo.ts'), 'redOutOfSight'>;
let heavy: Promise<Heavy> | undefined;

/** The behavioural-difference pairs in the order RlService.report computes them (the store sorts by name). */
const PAIR_ORDER = ['soo_vs_honest', 'soo_vs_deceptive', 'honest_vs_deceptive'];

interface PickedAgent {
  run: string;
  role: RlRole;
  seed: number;
}

export interface RlViewsOptions {
  rl: RlService;
  jobs: JobRunner;
  runs: RunRepository;
  /** Recorded in the HTML report's environment table. */
  appVersion?: string;
  dbFile?: string;
}

export type RlTrainStart = Omit<TrainConfigInput, 'seed'> & { seeds: number[] };
export type RlSooStart = Omit<SooConfigInput, 'fromRunId' | 'seed'> & { fromRunIds: string[] };

export class RlViews {
  readonly #o: RlViewsOptions;

  constructor(options: RlViewsOptions) {
    this.#o = options;
  }

  list(limit = 500): RlRunView[] {
    return this.#o.runs.list({ kind: 'rl', limit }).map((r) => this.#view(r));
  }

  /** Trains one baseline per seed, in order, as one job; the result lists every run's RlTrainResult. */
  trainStart(input: RlTrainStart): { jobId: string } {
    const { seeds, ...config } = input;
    this.#distinct(seeds.map(String), 'seeds');
    // Checked now, so bad settings are refused by the call rather than failing the job later.
    const per = parseConfig(trainConfigSchema, { ...config, seed: seeds[0] }, 'rl train').episodes;
    const { jobId } = this.#o.jobs.start('rl', `RL train ${config.mode}, seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}`, async (ctx) => {
      const runs: RlTrainResult[] = [];
      for (const [k, seed] of seeds.entries()) {
        runs.push(await this.#o.rl.train({ ...config, seed }, this.#part(ctx, k, seeds.length, per)));
      }
      return { runs };
    });
    return { jobId };
  }

  /** Fine-tunes each source run's blue with SOO, in order, as one job. */
  sooStart(input: RlSooStart): { jobId: string } {
    const { fromRunIds, ...config } = input;
    this.#distinct(fromRunIds, 'fromRunIds');
    for (const id of fromRunIds) this.#require(id, 'fromRunIds');
    const per = parseConfig(sooConfigSchema, { ...config, fromRunId: fromRunIds[0] }, 'rl soo').episodes;
    const { jobId } = this.#o.jobs.start('rl', `RL SOO fine-tuning of ${fromRunIds.length} run(s)`, async (ctx) => {
      const runs: RlTrainResult[] = [];
      for (const [k, fromRunId] of fromRunIds.entries()) {
        runs.push(await this.#o.rl.soo({ ...config, fromRunId }, this.#part(ctx, k, fromRunIds.length, per)));
      }
      return { runs };
    });
    return { jobId };
  }

  /** The report as a job (RlService.report saves its grids for `metrics`); the result is the RlReportResult. */
  reportStart(input: RlReportInput): { jobId: string } {
    const { jobId } = this.#o.jobs.start('rl', 'RL report', async (ctx): Promise<RlReportResult> => {
      return this.#o.rl.report(input, { signal: ctx.signal, onProgress: ctx.onProgress });
    });
    return { jobId };
  }

  /** A report run's numbers with its grids per role (mean and SD over seeds, and per seed). */
  async metrics(runId: string, resolution = 50): Promise<RlMetricsView> {
    const run = this.#require(runId, 'runId');
    const config = run.config as { action?: string; runs?: PickedAgent[]; episodes?: number };
    if (config.action !== 'report') throw badInput(`runId: run ${runId} is an rl ${config.action ?? '?'} run, not a report`, { hint: 'make a report first (rl.reportStart or soo-lab rl report)' });
    if (run.status !== 'done') throw badInput(`runId: report ${runId} is ${run.status}, not done`);
    const stored = this.#o.runs.metrics(runId);
    const details = (prefix: string) => stored.filter((m) => m.name.startsWith(prefix)).map((m) => m.detail);
    const file = await this.#grids(run);
    const index = thresholdIndices(resolution);
    const roles: RlRole[] = ['deceptive', 'honest', 'soo'];
    const grids: RlRoleGrid[] = roles.flatMap((role) => {
      const agents = file.agents.filter((a) => a.role === role).sort((a, b) => a.seed - b.seed);
      if (agents.length === 0) return [];
      const perSeed = agents.map((a) => ({ seed: a.seed, run: a.run, values: index.map((i) => index.map((j) => a.counts[i * GRID_SIZE + j]! / file.episodes)) }));
      const cell = (i: number, j: number) => meanSd(perSeed.map((p) => p.values[i]![j]!));
      return [{
        role,
        seeds: agents.map((a) => a.seed),
        mean: index.map((_, i) => index.map((_, j) => cell(i, j).mean)),
        sd: index.map((_, i) => index.map((_, j) => cell(i, j).sd)),
        perSeed,
      }];
    });
    return {
      runId,
      name: run.name,
      createdAt: run.createdAt,
      episodes: file.episodes,
      seeds: [...new Set((config.runs ?? []).map((p) => p.seed))].sort((a, b) => a - b),
      agents: details('agent.') as RlMetricsView['agents'],
      behaviour: (details('behaviour.') as RlMetricsView['behaviour']).sort((a, b) => PAIR_ORDER.indexOf(a.pair) - PAIR_ORDER.indexOf(b.pair)),
      classification: (details('classification.') as RlMetricsView['classification']).sort((a, b) => a.episodes - b.episodes),
      axes: { x: index.map((i) => i / (GRID_SIZE - 1)), y: index.map((j) => -1 + (2 * j) / (GRID_SIZE - 1)) },
      grids,
    };
  }

  /** The self-contained HTML report of a report run (reports/rlHtml.ts), grids at 25 thresholds per axis. */
  async reportHtml(runId: string): Promise<ExportText> {
    const m = await this.metrics(runId, 25);
    const env = { appVersion: this.#o.appVersion ?? 'unknown', platform: `${process.platform} ${process.arch}`, node: process.version, generatedAt: new Date().toISOString(), db: this.#o.dbFile ?? '' };
    return { fileName: `rl-report-${runId}.html`, mimeType: 'text/html', text: rlReportHtml(m, env) };
  }

  /** Episode `episode` of world seed `seed` (default: the run's seed), played by the run's red and blue. */
  async trace(runId: string, seed: number | undefined, episode: number): Promise<RlEpisodeTrace> {
    const run = this.#require(runId, 'runId');
    const action = (run.config as { action?: string }).action;
    if (action !== 'train' && action !== 'soo') throw badInput(`runId: run ${runId} is an rl ${action ?? '?'} run: it has no agents (give a train or soo run)`);
    if (!existsSync(this.#o.rl.checkpointPath(runId))) throw notFound(`runId: run ${runId} has no checkpoint yet`, { hint: 'wait for its first checkpoint, or resume it' });
    const h = await loadHeavy();
    using actors = h.loadRunActors(action, this.#o.rl.checkpointPath(runId));
    const worldSeed = seed ?? actors.seed;
    const red = h.actorPolicy(actors.red);
    const blue = h.actorPolicy(actors.blue);
    const env = new DeceptionEnv({ deceptiveBonus: false });
    const rng = Rng.create(worldSeed, 1000); // the evaluation worlds (evaluate.ts): reset is the stream's only reader
    for (let e = 0; e < episode; e++) env.reset(rng);
    let { obsRed, obsBlue } = env.reset(rng);
    const first = env.state();
    const steps: RlTraceStep[] = [{ t: 0, blue: first.blue, red: first.red, actBlue: null, redTrapped: first.redTrapped, inSight: !h.redOutOfSight(obsBlue), blueAtGoal: dist(first.blue, first.landmarks[first.goal]) < REACH_RADIUS, candidate: false }];
    const goal = first.goal;
    let prevToFake = false;
    for (let t = 0; t < actors.episodeLength; t++) {
      const actRed = new Float32Array(ACTION_DIM);
      const actBlue = new Float32Array(ACTION_DIM);
      red(obsRed, actRed);
      blue(obsBlue, actBlue);
      // The grid's candidate rule (evaluate.ts): red in sight in the observation acted on, after a move to the fake.
      const toGoal = [obsBlue[0]!, obsBlue[1]!];
      const toFake = [obsBlue[2 + 2 * (1 - goal)]!, obsBlue[3 + 2 * (1 - goal)]!];
      const candidate = t > 0 && !h.redOutOfSight(obsBlue) && prevToFake;
      prevToFake = pointsToFake(actBlue, toGoal, toFake);
      const r = env.step(actRed, actBlue);
      const s = env.state();
      steps.push({ t: t + 1, blue: s.blue, red: s.red, actBlue: [actBlue[0]!, actBlue[1]!], redTrapped: r.info.redTrapped, inSight: r.info.inSight, blueAtGoal: r.info.blueAtGoal, candidate });
      obsRed = Float32Array.from(r.obsRed);
      obsBlue = Float32Array.from(r.obsBlue);
    }
    return {
      runId,
      role: actors.role,
      seed: worldSeed,
      episode,
      landmarks: first.landmarks,
      goal,
      steps,
      sightRadius: SIGHT_RADIUS,
      reachRadius: REACH_RADIUS,
      agentSize: AGENT_SIZE,
      landmarkSize: LANDMARK_SIZE,
    };
  }

  /** The report's grids: read from grids.json (RlService.report writes it), or, for reports made before it did, computed (the report's own evaluation, replayed) and saved. */
  async #grids(report: RunRecord, signal?: AbortSignal): Promise<GridsFile> {
    const file = gridsPath(this.#o.rl.checkpointPath(report.id));
    const saved = readGridsFile(file);
    if (saved) return saved;
    const config = report.config as { runs?: PickedAgent[]; episodes?: number };
    const episodes = config.episodes ?? 100;
    const h = await loadHeavy();
    const agents: GridsFile['agents'] = [];
    for (const p of config.runs ?? []) {
      // One agent at a time, letting other calls and events through in between (this runs in the app's process).
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      const action = p.role === 'soo' ? 'soo' : 'train';
      using actors = h.loadRunActors(action, this.#o.rl.checkpointPath(p.run));
      // As RlService.report: the agent's own episode length, its seed's worlds, no deceptive bonus.
      const e = h.evaluatePolicies(h.actorPolicy(actors.red), h.actorPolicy(actors.blue), null, { episodes, episodeLength: actors.episodeLength, seed: p.seed, signal });
      agents.push({ run: p.run, role: p.role, seed: p.seed, counts: Array.from(e.grid) });
    }
    const body: GridsFile = { format: GRIDS_FORMAT, version: 1, episodes, agents };
    const bytes = writeGridsFile(file, body);
    this.#o.runs.addArtifacts(report.id, [{ kind: 'rl-grids', path: file, bytes }]);
    return body;
  }

  /** Progress of part k of n (each `per` episodes) as episodes over the whole job. */
  #part(ctx: { signal: AbortSignal; onProgress: NonNullable<RlCallOptions['onProgress']> }, k: number, n: number, per: number): RlCallOptions {
    ctx.onProgress({ stage: `run ${k + 1}/${n}: starting`, done: k * per, total: n * per, unit: 'episodes' });
    return {
      signal: ctx.signal,
      onProgress: (p) => ctx.onProgress({ ...p, stage: `run ${k + 1}/${n}: ${p.stage}`, done: k * per + p.done, total: n * per }),
    };
  }

  #view(r: RunRecord): RlRunView {
    const c = r.config as { action?: string; mode?: 'deceptive' | 'honest'; episodes?: number; episodeLength?: number; fromRunId?: string };
    const action = c.action === 'train' || c.action === 'soo' || c.action === 'eval' || c.action === 'report' ? c.action : 'unknown';
    const metrics: Record<string, number | null> = {};
    let episodesDone: number | null = null;
    if (action === 'train' || action === 'soo') {
      for (const m of this.#o.runs.metrics(r.id)) metrics[m.name] = m.value;
      episodesDone = this.#o.runs.steps(r.id).at(-1)?.step ?? 0;
    }
    return {
      id: r.id,
      name: r.name,
      action,
      role: action === 'soo' ? 'soo' : action === 'train' ? (c.mode ?? null) : null,
      status: r.status,
      seed: r.seed,
      episodes: c.episodes ?? null,
      episodesDone,
      episodeLength: c.episodeLength ?? null,
      fromRunId: c.fromRunId ?? null,
      metrics,
      error: r.error?.message ?? null,
      createdAt: r.createdAt,
      finishedAt: r.finishedAt,
    };
  }

  #require(id: string, field: string): RunRecord {
    const run = this.#o.runs.get(id);
    if (!run || run.kind !== 'rl') throw notFound(`${field}: no rl run with id "${id}"`);
    return run;
  }

  #distinct(values: string[], field: string): void {
    const dup = values.find((v, i) => values.indexOf(v) !== i);
    if (dup !== undefined) throw badInput(`${field}: "${dup}" is given twice`, { path: `$.${field}` });
  }
}

/** `resolution` threshold indices spread over 0..GRID_SIZE-1, both ends included. */
export function thresholdIndices(resolution: number): number[] {
  const n = Math.max(2, Math.min(GRID_SIZE, resolution));
  return Array.from({ length: n }, (_, k) => Math.round((k * (GRID_SIZE - 1)) / (n - 1)));
}
