/**
 * RlService: the RL experiment's operations, each recorded as a `runs` row of kind 'rl' (config.action
 * says which: 'train', 'soo', 'eval', 'report'), with its per-window steps, its metrics and its
 * checkpoint file (an artifact; checkpoints live in `<dataDir>/rl/<run id>/checkpoint.json`).
 * The app, the CLI (`soo-lab rl ...`) and scripts call these; nothing RL-specific lives in the CLI.
 *
 * Every operation takes `{signal, onProgress}`; progress counts episodes. A cancelled or failed run
 * is marked so with its error, after a last checkpoint; `resume(runId)` continues it from the
 * checkpoint with the recorded config (the replay buffer refills, see train.ts).
 */
import path from 'node:path';
import type { Database } from 'better-sqlite3';
import { badInput, notFound, toErrorData } from '../../contract/errors.ts';
import type { JobProgress } from '../../contract/events.ts';
import type { RunRecord, RunRepository } from '../store/runs.ts';
import { parseConfig, sooConfigSchema, trainConfigSchema, type SooConfig, type SooConfigInput, type TrainConfig, type TrainConfigInput } from './config.ts';
import type { MaddpgCheckpoint, MaddpgTrainer, TrainWindow } from './train.ts';
import type { SooCheckpoint, SooFineTuner, SooWindow } from './soo.ts';
import { readCheckpoint, writeCheckpoint } from './checkpoint.ts';
import type { AgentRole, RunActors } from './policies.ts';
import type { AgentEvaluation } from './evaluate.ts';
import { Rng } from './rng.ts';
import { gridMse, meanSd } from './metrics/behaviour.ts';
import { classifyAccuracy, meanOfFirst, type AccuracyPoint } from './metrics/classify.ts';
import { GRIDS_FORMAT, gridsPath, writeGridsFile } from './gridsFile.ts';

/**
 * The TensorFlow.js-backed modules, imported on first use: importing tfjs takes 1-2 s, which every
 * CLI command and the app's start would pay if the composition root imported it eagerly.
 */
async function loadHeavy(): Promise<Heavy> {
  heavy ??= (async () => {
    const [tfm, train, soo, policies, evaluate] = await Promise.all([import('./tf.ts'), import('./train.ts'), import('./soo.ts'), import('./policies.ts'), import('./evaluate.ts')]);
    await tfm.initTf();
    return { ...train, ...soo, ...policies, ...evaluate };
  })();
  return heavy;
}
type Heavy = typeof import('./train.ts') & typeof import('./soo.ts') & typeof import('./policies.ts') & typeof import('./evaluate.ts');
let heavy: Promise<Heavy> | undefined;

export interface RlServiceOptions {
  runs: RunRepository;
  /** Unused since resumes reopen runs through RunRepository.reopen; still accepted so callers compile. */
  db?: Database;
  /** Folder for checkpoints (`<dataDir>/rl/<run id>/`); the database's folder in practice. */
  dataDir: string;
  appVersion: string;
}

export interface RlCallOptions {
  signal?: AbortSignal;
  onProgress?: (p: Omit<JobProgress, 'jobId' | 'kind'>) => void;
}

/** The deterministic end-of-run evaluation (snake_case: it is printed as is by --json). */
export interface RlEvalSummary {
  episodes: number;
  blue_goal_frac: number;
  blue_at_goal_end: number;
  red_trapped: number;
  /** Fraction of steps with red and blue within sight (0.125) of each other: how much red could follow blue. */
  in_sight_frac: number;
  reward_blue: number;
  reward_red: number;
  mean_soo_value: number;
  deceptive_candidates: number;
  /** The same worlds with blue acting uniformly at random. */
  random_blue_goal_frac: number;
}

export interface RlTrainResult {
  run_id: string;
  action: 'train' | 'soo';
  mode: AgentRole;
  seed: number;
  episodes: number;
  env_steps: number;
  updates: number;
  seconds: number;
  checkpoint: string;
  eval: RlEvalSummary | null;
}

export interface RlEvalInput {
  runIds: string[];
  /** Evaluation episodes per run. Defaults to 100. */
  episodes?: number;
  /** The evaluation worlds' seed. Defaults to each run's own seed. */
  seed?: number;
}

export interface RlEvalResult {
  run_id: string;
  episodes: number;
  agents: ({ run: string; role: AgentRole; seed: number } & RlEvalSummary)[];
}

export interface RlReportInput {
  /** Runs by role; when all are empty, every finished rl train/soo run, the newest per (role, seed). */
  honest?: string[];
  deceptive?: string[];
  soo?: string[];
  /** Evaluation episodes per agent. Defaults to 100 (published: 500-1000). */
  episodes?: number;
  /** Episode counts for the classification curve. Defaults to 1, 2, 5, 10, 20, 50, ... up to `episodes`. */
  episodeCounts?: number[];
}

export interface RlReportResult {
  run_id: string;
  episodes: number;
  seeds: number[];
  agents: { seed: number; role: AgentRole; run: string; blue_goal_frac: number; red_trapped: number; in_sight_frac: number; mean_soo_value: number; deceptive_candidates: number }[];
  /** Grid MSE per pair of roles: mean and SD over the seeds that have both. */
  behaviour: { pair: string; mean: number; sd: number; seeds: number; per_seed: number[] }[];
  classification: AccuracyPoint[];
}

export class RlService {
  readonly #o: RlServiceOptions;

  constructor(options: RlServiceOptions) {
    this.#o = options;
  }

  checkpointPath(runId: string): string {
    return path.join(this.#o.dataDir, 'rl', runId, 'checkpoint.json');
  }

  /** MADDPG training of a baseline (both agents from scratch). */
  async train(input: TrainConfigInput, call: RlCallOptions = {}): Promise<RlTrainResult> {
    const config = parseConfig(trainConfigSchema, input, 'rl train');
    const h = await loadHeavy();
    const run = this.#o.runs.create({ kind: 'rl', name: `rl train ${config.mode} seed ${config.seed}`, config: { action: 'train', ...config }, appVersion: this.#o.appVersion, seed: config.seed });
    const trainer = h.MaddpgTrainer.create(config);
    return this.#runTrainer(h, run.id, trainer, call);
  }

  /** SOO fine-tuning of a deceptive baseline's blue actor. */
  async soo(input: SooConfigInput, call: RlCallOptions = {}): Promise<RlTrainResult> {
    const parsed = parseConfig(sooConfigSchema, input, 'rl soo');
    const source = this.#requireRun(parsed.fromRunId, '--from');
    const sourceConfig = source.config as { action?: string } & Partial<TrainConfig>;
    if (sourceConfig.action !== 'train' || sourceConfig.mode !== 'deceptive') {
      throw badInput(`--from: run ${source.id} is not a deceptive baseline (action ${sourceConfig.action ?? '?'}, mode ${sourceConfig.mode ?? '-'})`, { hint: 'pass the run id of `soo-lab rl train --mode deceptive`' });
    }
    if (source.status !== 'done') throw badInput(`--from: run ${source.id} is ${source.status}, not done`, { hint: `finish it first: soo-lab rl resume ${source.id}` });
    const h = await loadHeavy();
    const c = readCheckpoint<MaddpgCheckpoint>(this.checkpointPath(source.id), h.MADDPG_CHECKPOINT);
    const config: SooConfig & { seed: number } = { ...parsed, seed: parsed.seed ?? c.config.seed, episodeLength: input.episodeLength ?? c.config.episodeLength };
    const run = this.#o.runs.create({ kind: 'rl', name: `rl soo from ${source.id.slice(0, 8)} seed ${config.seed}`, parentId: null, config: { action: 'soo', ...config }, appVersion: this.#o.appVersion, seed: config.seed });
    const tuner = new h.SooFineTuner(config, { blue: c.nets.blue.actor, red: c.nets.red.actor });
    return this.#runSoo(h, run.id, tuner, call);
  }

  /** Continues a cancelled, failed or finished run from its checkpoint; `episodes` may extend it. */
  async resume(runId: string, options: { episodes?: number } = {}, call: RlCallOptions = {}): Promise<RlTrainResult> {
    const run = this.#requireRun(runId, 'resume');
    const action = (run.config as { action?: string }).action;
    const h = await loadHeavy();
    const file = this.checkpointPath(runId);
    if (action === 'train') {
      const c = readCheckpoint<MaddpgCheckpoint>(file, h.MADDPG_CHECKPOINT);
      const episodes = options.episodes ?? c.config.episodes;
      if (episodes < c.state.episode) throw badInput(`--episodes ${episodes} is below the ${c.state.episode} episodes run ${runId} has done`);
      const trainer = await h.MaddpgTrainer.resume(c, episodes);
      this.#o.runs.reopen(runId, 'rl'); // a resumed run is the same run again: back to 'running'
      return this.#runTrainer(h, runId, trainer, call);
    }
    if (action === 'soo') {
      const c = readCheckpoint<SooCheckpoint>(file, h.SOO_CHECKPOINT);
      const tuner = await h.SooFineTuner.resume(c, options.episodes ?? c.config.episodes);
      this.#o.runs.reopen(runId, 'rl');
      return this.#runSoo(h, runId, tuner, call);
    }
    throw badInput(`run ${runId} is an rl ${action ?? '?'} run: only train and soo runs can be resumed`);
  }

  /** Evaluates finished runs' agents on the same worlds (per seed); records an 'eval' run. */
  async evaluate(input: RlEvalInput, call: RlCallOptions = {}): Promise<RlEvalResult> {
    const episodes = input.episodes ?? 100;
    if (input.runIds.length === 0) throw badInput('rl eval: give at least one run id (--run)');
    const h = await loadHeavy();
    const sources = input.runIds.map((id) => this.#loadActors(h, id));
    const run = this.#o.runs.create({ kind: 'rl', name: `rl eval ${input.runIds.length} run(s)`, config: { action: 'eval', runIds: input.runIds, episodes, seed: input.seed ?? null }, appVersion: this.#o.appVersion, seed: input.seed ?? null });
    try {
      const agents: RlEvalResult['agents'] = [];
      for (const [i, { id, actors }] of sources.entries()) {
        call.onProgress?.({ stage: `evaluate ${actors.role} seed ${actors.seed}`, done: i * episodes, total: sources.length * episodes, unit: 'episodes' });
        const summary = this.#evaluateActors(h, actors, episodes, input.seed ?? actors.seed, call.signal).summary;
        agents.push({ run: id, role: actors.role, seed: actors.seed, ...summary });
        this.#o.runs.setMetrics(run.id, Object.entries(summary).map(([k, v]) => ({ name: `${id}.${k}`, value: Number.isFinite(v) ? v : null })));
      }
      this.#o.runs.finish(run.id);
      return { run_id: run.id, episodes, agents };
    } catch (error) {
      this.#o.runs.fail(run.id, toErrorData(error));
      throw error;
    } finally {
      for (const s of sources) s.actors[Symbol.dispose]();
    }
  }

  /** Behavioural differences and SOO classification across seeds; records a 'report' run and saves its per-agent grids (gridsFile.ts). */
  async report(input: RlReportInput = {}, call: RlCallOptions = {}): Promise<RlReportResult> {
    const episodes = input.episodes ?? 100;
    const counts = (input.episodeCounts ?? [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]).filter((n) => n <= episodes);
    if (!counts.includes(episodes)) counts.push(episodes);
    const h = await loadHeavy();
    const picked = this.#pickReportRuns(input);
    if (picked.length === 0) throw notFound('rl report: no finished rl train/soo runs to report on', { hint: 'train baselines first: soo-lab rl train --mode honest|deceptive' });
    const run = this.#o.runs.create({ kind: 'rl', name: `rl report ${picked.length} agent(s)`, config: { action: 'report', runs: picked, episodes, episodeCounts: counts }, appVersion: this.#o.appVersion });
    try {
      const evals = new Map<string, { seed: number; role: AgentRole; run: string; e: AgentEvaluation; summary: RlEvalSummary }>();
      for (const [i, p] of picked.entries()) {
        call.onProgress?.({ stage: `evaluate ${p.role} seed ${p.seed}`, done: i * episodes, total: picked.length * episodes, unit: 'episodes' });
        const actors = this.#loadActors(h, p.run).actors;
        try {
          const r = this.#evaluateActors(h, actors, episodes, p.seed, call.signal);
          evals.set(`${p.role}:${p.seed}`, { seed: p.seed, role: p.role, run: p.run, ...r });
        } finally {
          actors[Symbol.dispose]();
        }
      }
      const seeds = [...new Set(picked.map((p) => p.seed))].sort((a, b) => a - b);
      const behaviour = (['soo:honest', 'soo:deceptive', 'honest:deceptive'] as const).map((pair) => {
        const [ra, rb] = pair.split(':') as [AgentRole, AgentRole];
        const perSeed = seeds.flatMap((s) => {
          const a = evals.get(`${ra}:${s}`);
          const b = evals.get(`${rb}:${s}`);
          return a && b ? [gridMse(a.e.grid, episodes, b.e.grid, episodes)] : [];
        });
        const ms = meanSd(perSeed);
        return { pair: `${ra}_vs_${rb}`, mean: ms.mean, sd: ms.sd, seeds: ms.n, per_seed: perSeed };
      });
      const classification = classifyAccuracy(
        seeds.flatMap((s) => {
          const h = evals.get(`honest:${s}`);
          const d = evals.get(`deceptive:${s}`);
          return h && d ? [{ seed: s, honest: h.e.sooValues, deceptive: d.e.sooValues }] : [];
        }),
        counts,
      );
      // the grids behind the contour plots and the HTML report, from this same evaluation (gridsFile.ts)
      const gridsFile = gridsPath(this.checkpointPath(run.id));
      const gridsBytes = writeGridsFile(gridsFile, {
        format: GRIDS_FORMAT,
        version: 1,
        episodes,
        agents: [...evals.values()].map((v) => ({ run: v.run, role: v.role, seed: v.seed, counts: Array.from(v.e.grid) })),
      });
      this.#o.runs.addArtifacts(run.id, [{ kind: 'rl-grids', path: gridsFile, bytes: gridsBytes }]);
      const agents = [...evals.values()].map((v) => ({ seed: v.seed, role: v.role, run: v.run, blue_goal_frac: v.summary.blue_goal_frac, red_trapped: v.summary.red_trapped, in_sight_frac: v.summary.in_sight_frac, mean_soo_value: v.summary.mean_soo_value, deceptive_candidates: v.summary.deceptive_candidates }));
      this.#o.runs.setMetrics(run.id, [
        ...behaviour.map((b) => ({ name: `behaviour.${b.pair}`, value: Number.isFinite(b.mean) ? b.mean : null, detail: b })),
        ...classification.map((c) => ({ name: `classification.episodes_${c.episodes}`, value: Number.isFinite(c.accuracy) ? c.accuracy : null, detail: c })),
        ...agents.map((a) => ({ name: `agent.${a.role}.seed_${a.seed}.mean_soo_value`, value: Number.isFinite(a.mean_soo_value) ? a.mean_soo_value : null, detail: a })),
      ]);
      this.#o.runs.finish(run.id);
      return { run_id: run.id, episodes, seeds, agents, behaviour, classification };
    } catch (error) {
      this.#o.runs.fail(run.id, toErrorData(error));
      throw error;
    }
  }

  async #runTrainer(h: Heavy, runId: string, trainer: MaddpgTrainer, call: RlCallOptions): Promise<RlTrainResult> {
    const config = trainer.config;
    const file = this.checkpointPath(runId);
    const started = performance.now();
    try {
      await trainer.run({
        signal: call.signal,
        onWindow: (w) => {
          this.#o.runs.addSteps(runId, [{ step: w.episode, loss: finite(w.losses.criticBlue), metrics: windowMetrics(w, { critic_red: w.losses.criticRed, critic_blue: w.losses.criticBlue, actor_red: w.losses.actorRed, actor_blue: w.losses.actorBlue }) }]);
          call.onProgress?.({ stage: `train ${config.mode} seed ${config.seed}`, done: w.episode, total: config.episodes, unit: 'episodes', metrics: { blue_goal_frac: w.blue_goal_frac, red_trapped: w.red_trapped, reward_blue: w.reward_blue } });
        },
        onCheckpoint: (c) => this.#saveCheckpoint(runId, file, h.MADDPG_CHECKPOINT, c),
      });
      const state = trainer.state;
      const actors = { role: config.mode, seed: config.seed, episodeLength: config.episodeLength, red: trainer.maddpg.red.actor, blue: trainer.maddpg.blue.actor };
      const summary = config.evalEpisodes > 0 ? this.#evaluateActors(h, actors, config.evalEpisodes, config.seed, call.signal).summary : null;
      const seconds = (performance.now() - started) / 1000;
      this.#recordEnd(runId, summary, { env_steps: state.totalSteps, updates: state.updates, episodes: state.episode, seconds });
      return { run_id: runId, action: 'train', mode: config.mode, seed: config.seed, episodes: state.episode, env_steps: state.totalSteps, updates: state.updates, seconds, checkpoint: file, eval: summary };
    } catch (error) {
      await this.#lastCheckpoint(runId, file, h.MADDPG_CHECKPOINT, () => trainer.checkpoint());
      this.#o.runs.fail(runId, toErrorData(error));
      throw error;
    } finally {
      trainer.dispose();
    }
  }

  async #runSoo(h: Heavy, runId: string, tuner: SooFineTuner, call: RlCallOptions): Promise<RlTrainResult> {
    const config = tuner.config;
    const file = this.checkpointPath(runId);
    const started = performance.now();
    try {
      const state = await tuner.run({
        signal: call.signal,
        onWindow: (w) => {
          this.#o.runs.addSteps(runId, [{ step: w.episode, loss: finite(w.sooTerm), metrics: windowMetrics(w, { soo_term: w.sooTerm, capability_term: w.capabilityTerm }) }]);
          call.onProgress?.({ stage: `soo seed ${config.seed}`, done: w.episode, total: config.episodes, unit: 'episodes', metrics: { soo_term: w.sooTerm, capability_term: w.capabilityTerm } });
        },
        onCheckpoint: (c) => this.#saveCheckpoint(runId, file, h.SOO_CHECKPOINT, c),
      });
      const actors = { role: 'soo' as const, seed: config.seed, episodeLength: config.episodeLength, red: tuner.red, blue: tuner.blue };
      const summary = config.evalEpisodes > 0 ? this.#evaluateActors(h, actors, config.evalEpisodes, config.seed, call.signal).summary : null;
      const seconds = (performance.now() - started) / 1000;
      this.#recordEnd(runId, summary, { env_steps: state.totalSteps, updates: state.updates, episodes: state.episode, seconds });
      return { run_id: runId, action: 'soo', mode: 'soo', seed: config.seed, episodes: state.episode, env_steps: state.totalSteps, updates: state.updates, seconds, checkpoint: file, eval: summary };
    } catch (error) {
      await this.#lastCheckpoint(runId, file, h.SOO_CHECKPOINT, () => tuner.checkpoint());
      this.#o.runs.fail(runId, toErrorData(error));
      throw error;
    } finally {
      tuner.dispose();
    }
  }

  #saveCheckpoint(runId: string, file: string, format: string, body: object): void {
    const bytes = writeCheckpoint(file, format, body);
    this.#o.runs.addArtifacts(runId, [{ kind: 'checkpoint', path: file, bytes }]);
  }

  /** Saves where a failed or cancelled run stopped, so `resume` continues from there; never throws. */
  async #lastCheckpoint(runId: string, file: string, format: string, take: () => Promise<object>): Promise<void> {
    try {
      this.#saveCheckpoint(runId, file, format, await take());
    } catch {
      // the run's own error is the one to report
    }
  }

  #recordEnd(runId: string, summary: RlEvalSummary | null, totals: Record<string, number>): void {
    const metrics = [
      ...Object.entries(totals).map(([k, v]) => ({ name: `train.${k}`, value: v })),
      ...(summary ? Object.entries(summary).map(([k, v]) => ({ name: `eval.${k}`, value: Number.isFinite(v) ? v : null })) : []),
    ];
    this.#o.runs.setMetrics(runId, metrics);
    this.#o.runs.finish(runId);
  }

  #evaluateActors(h: Heavy, actors: Omit<RunActors, typeof Symbol.dispose>, episodes: number, seed: number, signal?: AbortSignal): { e: AgentEvaluation; summary: RlEvalSummary } {
    const opts = { episodes, episodeLength: actors.episodeLength, seed, signal };
    const e = h.evaluatePolicies(h.actorPolicy(actors.red), h.actorPolicy(actors.blue), actors.blue, opts);
    const random = h.evaluatePolicies(h.actorPolicy(actors.red), h.randomPolicy(Rng.create(seed, 1002)), null, opts);
    const finiteSoo = e.sooValues.filter(Number.isFinite);
    return {
      e,
      summary: {
        episodes,
        blue_goal_frac: e.stats.blue_goal_frac,
        blue_at_goal_end: e.stats.blue_at_goal_end,
        red_trapped: e.stats.red_trapped,
        in_sight_frac: e.stats.in_sight_frac,
        reward_blue: e.stats.reward_blue,
        reward_red: e.stats.reward_red,
        mean_soo_value: finiteSoo.length ? meanOfFirst(finiteSoo, finiteSoo.length) : NaN,
        deceptive_candidates: e.candidates,
        random_blue_goal_frac: random.stats.blue_goal_frac,
      },
    };
  }

  #loadActors(h: Heavy, runId: string): { id: string; actors: RunActors } {
    const run = this.#requireRun(runId, '--run');
    const action = (run.config as { action?: string }).action;
    if (action !== 'train' && action !== 'soo') throw badInput(`run ${runId} is an rl ${action ?? '?'} run: it has no agents (give a train or soo run)`);
    if (run.status !== 'done') throw badInput(`run ${runId} is ${run.status}, not done`, { hint: `soo-lab rl resume ${runId}` });
    return { id: runId, actors: h.loadRunActors(action, this.checkpointPath(runId)) };
  }

  #pickReportRuns(input: RlReportInput): { run: string; role: AgentRole; seed: number }[] {
    const given = [...(input.honest ?? []), ...(input.deceptive ?? []), ...(input.soo ?? [])];
    const all = given.length > 0 ? given.map((id) => this.#requireRun(id, 'report')) : this.#o.runs.list({ kind: 'rl', status: 'done', limit: 100_000 });
    const newest = new Map<string, { run: string; role: AgentRole; seed: number }>();
    for (const r of all) {
      const c = r.config as { action?: string; mode?: RlMode };
      const role: AgentRole | null = c.action === 'soo' ? 'soo' : c.action === 'train' ? (c.mode ?? null) : null;
      if (!role || r.seed === null) continue;
      if (given.length > 0) {
        const expected = input.honest?.includes(r.id) ? 'honest' : input.deceptive?.includes(r.id) ? 'deceptive' : 'soo';
        if (expected !== role) throw badInput(`run ${r.id} was given as ${expected} but is a ${role} run`);
        if (r.status !== 'done') throw badInput(`run ${r.id} is ${r.status}, not done`);
      }
      const key = `${role}:${r.seed}`;
      if (!newest.has(key)) newest.set(key, { run: r.id, role, seed: r.seed }); // list() is newest first
    }
    return [...newest.values()].sort((a, b) => a.seed - b.seed || a.role.localeCompare(b.role));
  }

  #requireRun(id: string, flag: string): RunRecord {
    const run = this.#o.runs.get(id);
    if (!run || run.kind !== 'rl') throw notFound(`${flag}: no rl run with id "${id}"`, { hint: 'soo-lab runs list shows the runs there are' });
    return run;
  }
}

type RlMode = 'deceptive' | 'honest';

function finite(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function windowMetrics(w: TrainWindow | SooWindow, extra: Record<string, number>): Record<string, number> {
  const m: Record<string, number> = {
    reward_red: w.reward_red, reward_blue: w.reward_blue, blue_goal_frac: w.blue_goal_frac, blue_at_goal_end: w.blue_at_goal_end,
    red_trapped: w.red_trapped, in_sight_frac: w.in_sight_frac, updates: w.updates, sigma: w.sigma, seconds: w.seconds, ...extra,
  };
  for (const k of Object.keys(m)) if (!Number.isFinite(m[k])) delete m[k];
  return m;
}
