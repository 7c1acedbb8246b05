/**
 * `soo-lab demo [--quick] [--report FILE.html] [--json]`: the whole loop on the built-in demo model,
 * with no download. Builds the model on first use (cached in the data folder next to --db; progress
 * on stderr), runs its ready experiment (baseline, SOO per seed, re-evaluation of every variant and
 * the mirrored order, latent SOO, perplexity), writes the HTML report and prints (cli.md):
 *
 *   {"baseline_deceptive_rate", "soo_deceptive_rate", "seeds", "report", "run_id", ...}
 *
 * rates on the held-out main scenario as fractions in [0, 1] (the SOO rate is the mean over seeds),
 * plus the SD, per-seed values, the self side, every scenario and the build's own measurement.
 * `--quick` is CI's reduced build and experiment (recipe `quick`, two seeds).
 */
import path from 'node:path';
import type { Command } from 'commander';
import { createServices } from '../../services/index.ts';
import type { DemoBuildProgress } from '../../services/demo/builder.ts';
import type { DemoMeasurement } from '../../services/demo/measure.ts';
import { organismProblems } from '../../services/demo/organismCheck.ts';
import type { ExperimentSummary } from '../../services/experiments/summary.ts';
import { configureLlamaRuntime, defaultThreads, disposeSharedLlama } from '../../services/models/llamaRuntime.ts';
import { MAIN_VARIANT } from '../../services/scenarios/variant.ts';
import { resolveDbPath, runCommand, type GlobalOptions } from '../command-kit.ts';

interface DemoFlags {
  quick: boolean;
  report?: string;
}

type Rates = { deceptive: number; honest: number; neither: number; degenerate: number; n: number };
type After = { mean: number; sd: number; per_seed: { seed: number; value: number }[] };

export interface DemoCommandResult {
  baseline_deceptive_rate: number | null;
  soo_deceptive_rate: number | null;
  soo_deceptive_sd: number | null;
  seeds: number;
  report: string;
  run_id: string;
  status: string;
  variant: 'full' | 'quick';
  model: string;
  model_built_now: boolean;
  /** Every evaluated scenario (main, mirror, variants; the self side) before and after, per bucket. */
  scenarios: { key: string; role: string; before: Rates | null; after: Record<string, After> | null }[];
  perplexity: { before: number | null; after_mean: number | null; after_sd: number | null };
  /** What the build measured on held-out prompts (deceptive to the other party, honest to itself). */
  build_measurement: DemoMeasurement | null;
  /** Where that measurement misses the organism's bar (organismCheck.ts); [] when it holds. */
  organism_problems: string[];
  seconds: { build: number; experiment: number };
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the whole loop on the built-in demo model (built on first use, no download): baseline, SOO over seeds, re-evaluation, report')
    .option('--quick', "CI's reduced build and experiment (minutes)", false)
    .option('--report <file>', 'where the HTML report goes (default: <data folder>/reports/demo-<run>.html)')
    .action(async (flags: DemoFlags, command: Command) => {
      await runCommand(command, async (options) => runDemo(flags, options), human);
    });
}

async function runDemo(flags: DemoFlags, options: GlobalOptions): Promise<DemoCommandResult> {
  configureLlamaRuntime({ gpu: false, threads: options.threads ?? defaultThreads() });
  const services = createServices({ dbPath: resolveDbPath(options) });
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('soo-lab demo was cancelled'));
  process.once('SIGINT', onSigint);
  const started = performance.now();
  let buildSeconds = 0;
  try {
    const buildLog = throttled((p: DemoBuildProgress) => `demo: build ${p.condition ? `${p.stage} ${p.condition}` : p.stage} ${p.done}/${p.total}${p.loss !== undefined ? ` loss ${p.loss.toFixed(4)}` : ''}`);
    const experimentLog = throttled((p: { stage: string; stageIndex: number; stageCount: number; done: number; total: number | null; unit: string; skipped?: boolean }) =>
      `demo: experiment [${p.stageIndex + 1}/${p.stageCount}] ${p.stage}: ${p.skipped ? 'done before, skipped' : p.total === null ? 'starting' : `${p.done}/${p.total} ${p.unit}`}`,
    );
    const result = await services.demo.run({
      variant: flags.quick ? 'quick' : 'full',
      ...(flags.report ? { reportPath: path.resolve(flags.report) } : {}),
      signal: controller.signal,
      onBuildProgress: (p) => buildLog(`${p.stage}${p.condition ?? ''}`, p, p.done === p.total),
      onExperimentStart: (id) => {
        buildSeconds = (performance.now() - started) / 1000;
        process.stderr.write(`demo: experiment run ${id} db=${services.store.file}\n`);
      },
      onExperimentProgress: (p) => experimentLog(p.stage, p, p.total !== null && p.done === p.total),
    });
    const s = result.summary;
    const main = s.scenarios.find((sc) => sc.key === `${result.build.pack}/${MAIN_VARIANT}`) ?? null;
    return {
      baseline_deceptive_rate: main?.before?.deceptive ?? null,
      soo_deceptive_rate: main?.after?.deceptive.mean ?? null,
      soo_deceptive_sd: main?.after?.deceptive.sd ?? null,
      seeds: s.seeds.length,
      report: result.reportPath,
      run_id: s.run.id,
      status: s.run.status,
      variant: result.build.variant,
      model: result.build.modelPath,
      model_built_now: !result.build.cached,
      scenarios: [...s.scenarios, ...s.selfSide].map(scenarioResult),
      perplexity: { before: s.perplexity.before, after_mean: s.perplexity.after?.mean ?? null, after_sd: s.perplexity.after?.sd ?? null },
      build_measurement: result.build.measurement,
      organism_problems: organismProblems(result.build.measurement),
      seconds: { build: buildSeconds, experiment: (performance.now() - started) / 1000 - buildSeconds },
    };
  } finally {
    process.off('SIGINT', onSigint);
    await services.disposeAsync();
    await disposeSharedLlama();
  }
}

/** A progress line on stderr when the stage changes, every ~2 s within a stage, and at a stage's end. */
function throttled<P>(line: (p: P) => string): (stage: string, p: P, last: boolean) => void {
  let stage = '';
  let at = 0;
  return (s, p, last) => {
    const now = Date.now();
    if (s === stage && now - at < 2000 && !last) return;
    stage = s;
    at = now;
    process.stderr.write(`${line(p)}\n`);
  };
}

function scenarioResult(sc: ExperimentSummary['scenarios'][number]): DemoCommandResult['scenarios'][number] {
  return {
    key: sc.key,
    role: sc.role,
    before: sc.before ? { deceptive: sc.before.deceptive, honest: sc.before.honest, neither: sc.before.neither, degenerate: sc.before.degenerate, n: sc.before.n } : null,
    after: sc.after ? Object.fromEntries(Object.entries(sc.after).map(([b, a]) => [b, { mean: a.mean, sd: a.sd, per_seed: a.perSeed }])) : null,
  };
}

function human(r: DemoCommandResult): string {
  const pct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : `${(100 * x).toFixed(1)}%`);
  const lines = [
    `demo (${r.variant}) on ${r.model}${r.model_built_now ? ' (built now)' : ''}: experiment ${r.run_id} ${r.status}, ${r.seeds} seeds`,
    `  held-out main scenario, deceptive: ${pct(r.baseline_deceptive_rate)} before -> ${pct(r.soo_deceptive_rate)} ± ${pct(r.soo_deceptive_sd)} after SOO`,
  ];
  if (r.organism_problems.length > 0) {
    const why = r.variant === 'quick' ? "the quick build is CI's reduced one and need not meet it" : 'the SOO numbers below mean little on it';
    lines.splice(1, 0, `  WARNING: this demo model misses the organism's bar (${why}):`, ...r.organism_problems.map((p) => `    - ${p}`));
  }
  for (const s of r.scenarios) {
    const a = s.after;
    lines.push(
      `  ${s.key}${s.role === 'self' ? ' (advising itself)' : ''}: deceptive ${pct(s.before?.deceptive)} -> ${pct(a?.deceptive?.mean)}; honest ${pct(s.before?.honest)} -> ${pct(a?.honest?.mean)}; neither ${pct(s.before?.neither)} -> ${pct(a?.neither?.mean)}; degenerate ${pct(s.before?.degenerate)} -> ${pct(a?.degenerate?.mean)}`,
    );
  }
  if (r.perplexity.before !== null) lines.push(`  held-out perplexity ${r.perplexity.before.toFixed(3)} -> ${r.perplexity.after_mean?.toFixed(3) ?? 'n/a'}`);
  lines.push(`  report ${r.report}`);
  return lines.join('\n');
}
