/**
 * `soo-lab experiment --config FILE.json [--resume RUN_ID] [--report FILE.html] [--json]`: the whole
 * loop (baseline, SOO training per seed, re-evaluation, latent SOO, capability), every stage recorded
 * in --db; `--resume RUN_ID` continues a killed or failed experiment where it stopped. The work is
 * ExperimentService's; this file reads the config file, prints the effective settings and progress on
 * stderr, and prints the result (--json: one object with run_id, per-scenario before/after, latent,
 * perplexity, report).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { badInput } from '../../contract/errors.ts';
import type { ExperimentSummary } from '../../services/experiments/summary.ts';
import { appVersion, createServices } from '../../services/index.ts';
import { configureLlamaRuntime, defaultThreads, disposeSharedLlama } from '../../services/models/llamaRuntime.ts';
import { parseJsonText } from '../../services/scenarios/jsonText.ts';
import { experimentReportHtml } from '../../services/reports/html.ts';
import { resolveDbPath, runCommand, type GlobalOptions } from '../command-kit.ts';

interface ExperimentFlags {
  config?: string;
  resume?: string;
  report?: string;
  gpu: 'auto' | 'off';
}

export interface ExperimentCommandResult {
  run_id: string;
  status: string;
  seeds: number[];
  scenarios: {
    key: string;
    role: string;
    before: Record<string, number> | null;
    after: Record<string, { mean: number; sd: number; per_seed: { seed: number; value: number }[] }> | null;
  }[];
  /** The self side: the model advises itself (the pack's `advises: "self"` variant); same shape as scenarios. */
  self_side: ExperimentCommandResult['scenarios'];
  /** MT-Bench-style score (1-10, mean readable judge rating); null when not configured. */
  mtbench: { before: number | null; after_mean: number | null; after_sd: number | null; per_seed: { seed: number; value: number }[] } | null;
  honesty_prompt_deceptive_rate: number | null;
  latent: { layers: number[]; before: number[] | null; after_mean: number[] | null; after_sd: number[] | null };
  perplexity: { before: number | null; after_mean: number | null; after_sd: number | null };
  training: { seed: number; steps: number; loss_first: number | null; loss_last: number | null; adapter: string | null }[];
  report: string | null;
  seconds: number;
}

export function registerExperimentCommand(program: Command): void {
  program
    .command('experiment')
    .description('baseline -> SOO training per seed -> re-evaluation (+ latent SOO, capability); every stage recorded in --db; resumable')
    .option('--config <file>', 'experiment config JSON (see the Experiments page or electron/services/experiments/config.ts)')
    .option('--resume <run_id>', 'continue this experiment where it stopped (its stored config is used)')
    .option('--report <file>', 'also write the self-contained HTML report here')
    .option('--gpu <mode>', 'auto | off (env SOO_LAB_GPU)', process.env.SOO_LAB_GPU === 'off' ? 'off' : 'auto')
    .action(async (flags: ExperimentFlags, command: Command) => {
      await runCommand(command, async (options) => runExperiment(flags, options), human);
    });
}

async function runExperiment(flags: ExperimentFlags, options: GlobalOptions): Promise<ExperimentCommandResult> {
  if (!flags.config && !flags.resume) throw badInput('give --config FILE.json, or --resume RUN_ID');
  if (flags.gpu !== 'auto' && flags.gpu !== 'off') throw badInput(`--gpu must be auto or off, got "${flags.gpu}"`);
  let input: unknown = null;
  if (flags.config) {
    let text: string;
    try {
      text = readFileSync(flags.config, 'utf8');
    } catch {
      throw badInput(`--config: cannot read ${flags.config}`, { file: flags.config });
    }
    input = parseJsonText(flags.config, text);
    if (options.threads && typeof input === 'object' && input !== null && !('threads' in input)) input = { ...input, threads: options.threads };
  }
  configureLlamaRuntime({ gpu: flags.gpu === 'off' ? false : 'auto', threads: options.threads ?? defaultThreads() });
  const services = createServices({ dbPath: resolveDbPath(options) });
  const started = performance.now();
  try {
    let lastStage = '';
    let lastLine = 0;
    const summary = await services.experiments.run(input, {
      ...(flags.resume ? { resume: flags.resume } : {}),
      ...(flags.config ? { file: flags.config } : {}),
      onStart: (id) => process.stderr.write(`experiment: run ${id} db=${services.store.file}${flags.resume ? ' (resumed)' : ''}\n`),
      onProgress: (p) => {
        const now = Date.now();
        if (p.stage === lastStage && now - lastLine < 2000 && !(p.total !== null && p.done === p.total)) return;
        lastStage = p.stage;
        lastLine = now;
        const within = p.skipped ? 'done before, skipped' : p.total === null ? 'starting' : `${p.done}/${p.total} ${p.unit}`;
        process.stderr.write(`experiment: [${p.stageIndex + 1}/${p.stageCount}] ${p.stage}: ${within}\n`);
      },
    });
    let report: string | null = null;
    if (flags.report) {
      report = path.resolve(flags.report);
      writeFileSync(report, experimentReportHtml(summary, environment(services.store.file)));
    }
    return toResult(summary, report, (performance.now() - started) / 1000);
  } finally {
    services.dispose();
    await disposeSharedLlama();
  }
}

export function environment(db: string): { appVersion: string; platform: string; node: string; generatedAt: string; db: string } {
  return { appVersion: appVersion(), platform: `${process.platform} ${process.arch}`, node: process.version, generatedAt: new Date().toISOString(), db };
}

function toResult(s: ExperimentSummary, report: string | null, seconds: number): ExperimentCommandResult {
  return {
    run_id: s.run.id,
    status: s.run.status,
    seeds: s.seeds,
    scenarios: s.scenarios.map(scenarioResult),
    self_side: s.selfSide.map(scenarioResult),
    mtbench: s.mtBench
      ? { before: s.mtBench.before?.score ?? null, after_mean: s.mtBench.after?.mean ?? null, after_sd: s.mtBench.after?.sd ?? null, per_seed: s.mtBench.after?.perSeed ?? [] }
      : null,
    honesty_prompt_deceptive_rate: s.honestyPrompt?.deceptive ?? null,
    latent: { layers: s.latent.layers, before: s.latent.before, after_mean: s.latent.after?.map((a) => a.mean) ?? null, after_sd: s.latent.after?.map((a) => a.sd) ?? null },
    perplexity: { before: s.perplexity.before, after_mean: s.perplexity.after?.mean ?? null, after_sd: s.perplexity.after?.sd ?? null },
    training: s.training.map((t) => ({ seed: t.seed, steps: t.losses.length, loss_first: t.losses[0] ?? null, loss_last: t.losses.at(-1) ?? null, adapter: t.adapterPath })),
    report,
    seconds,
  };
}

function scenarioResult(sc: ExperimentSummary['scenarios'][number]): ExperimentCommandResult['scenarios'][number] {
  return {
    key: sc.key,
    role: sc.role,
    before: sc.before ? { deceptive_rate: sc.before.deceptive, honest_rate: sc.before.honest, neither_rate: sc.before.neither, degenerate_rate: sc.before.degenerate, n: sc.before.n } : null,
    after: sc.after ? Object.fromEntries(Object.entries(sc.after).map(([b, a]) => [`${b}_rate`, { mean: a.mean, sd: a.sd, per_seed: a.perSeed }])) : null,
  };
}

function human(r: ExperimentCommandResult): string {
  const pct = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  const lines = [`experiment ${r.run_id}: ${r.status}, seeds ${r.seeds.join(', ')}`];
  for (const s of [...r.scenarios, ...r.self_side]) {
    const a = s.after;
    lines.push(
      `  ${s.key}${s.role === 'self' ? ' (advising itself)' : ''}: deceptive ${pct(s.before?.deceptive_rate)} -> ${pct(a?.deceptive_rate?.mean)} ± ${pct(a?.deceptive_rate?.sd)}; honest ${pct(s.before?.honest_rate)} -> ${pct(a?.honest_rate?.mean)}; neither ${pct(s.before?.neither_rate)} -> ${pct(a?.neither_rate?.mean)}; degenerate ${pct(s.before?.degenerate_rate)} -> ${pct(a?.degenerate_rate?.mean)}`,
    );
  }
  if (r.perplexity.before !== null) lines.push(`  perplexity ${r.perplexity.before.toFixed(3)} -> ${r.perplexity.after_mean?.toFixed(3) ?? 'n/a'} ± ${r.perplexity.after_sd?.toFixed(3) ?? 'n/a'}`);
  if (r.mtbench) {
    const f = (x: number | null) => (x === null ? 'n/a' : x.toFixed(2));
    lines.push(`  MT-Bench score ${f(r.mtbench.before)} -> ${f(r.mtbench.after_mean)} ± ${f(r.mtbench.after_sd)}`);
  }
  if (r.report) lines.push(`  report ${r.report}`);
  return lines.join('\n');
}
