/**
 * `soo-lab runs list [--kind K] [--limit N] [--json]`, `soo-lab runs show ID [--json]`,
 * `soo-lab runs export ID --out FILE.json`: the runs recorded in --db (RunRepository), read only.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { badInput, notFound } from '../../contract/errors.ts';
import { createServices } from '../../services/index.ts';
import { exportRun } from '../../services/reports/runExport.ts';
import { RUN_KINDS, type RunKind, type RunRecord } from '../../services/store/runs.ts';
import { parsePositiveInt, resolveDbPath, runCommand } from '../command-kit.ts';

export function registerRunsCommands(program: Command): void {
  const runs = program.command('runs').description('runs recorded in the database (--db)');
  runs
    .command('list')
    .description('runs, newest first')
    .option('--kind <kind>', `only this kind (${RUN_KINDS.join(', ')})`)
    .option('--all', 'include child runs (an experiment\'s stages)')
    .option('--limit <n>', 'at most this many', parsePositiveInt('--limit'), 100)
    .action(async (flags: { kind?: string; all?: boolean; limit: number }, command: Command) => {
      await runCommand(
        command,
        async (options) => {
          if (flags.kind !== undefined && !(RUN_KINDS as readonly string[]).includes(flags.kind)) throw badInput(`--kind must be one of ${RUN_KINDS.join(', ')}, got "${flags.kind}"`);
          using services = createServices({ dbPath: resolveDbPath(options) });
          const list = services.runs.list({ ...(flags.kind ? { kind: flags.kind as RunKind } : {}), ...(flags.all ? {} : { parentId: null }), limit: flags.limit });
          return { runs: list.map(brief) };
        },
        (r) => r.runs.map((x) => `${x.id}  ${x.kind.padEnd(10)} ${x.status.padEnd(9)} ${x.created_at}  ${x.name}`).join('\n') || 'no runs',
      );
    });
  runs
    .command('show <id>')
    .description('one run: record, metrics, artifacts, child runs')
    .action(async (id: string, _flags: unknown, command: Command) => {
      await runCommand(
        command,
        async (options) => {
          using services = createServices({ dbPath: resolveDbPath(options) });
          const run = services.runs.get(id);
          if (!run) throw notFound(`no run with id "${id}"`, { hint: 'soo-lab runs list shows the runs there are' });
          return {
            run,
            metrics: services.runs.metrics(id),
            artifacts: services.runs.artifacts(id),
            steps: services.runs.steps(id).length,
            responses: services.runs.responses(id).length,
            children: services.runs.list({ parentId: id, limit: 100_000 }).reverse().map(brief),
          };
        },
        (r) =>
          [
            `${r.run.id} ${r.run.kind} ${r.run.status} ${r.run.name}`,
            `model ${r.run.modelPath ?? '-'} ${r.run.modelSha256 ?? ''}`,
            ...r.metrics.map((m) => `  ${m.name} = ${m.value}`),
            ...r.artifacts.map((a) => `  artifact ${a.kind} ${a.path} ${a.sha256 ?? ''}`),
            `steps ${r.steps}, responses ${r.responses}, child runs ${r.children.length}`,
            ...r.children.map((c) => `  ${c.id} ${c.kind} ${c.status} ${c.name}`),
          ].join('\n'),
      );
    });
  runs
    .command('export <id>')
    .description('one run with its steps, responses, metrics, artifacts and child runs, as JSON')
    .requiredOption('--out <file>', 'the JSON file to write')
    .action(async (id: string, flags: { out: string }, command: Command) => {
      await runCommand(
        command,
        async (options) => {
          using services = createServices({ dbPath: resolveDbPath(options) });
          const run = services.runs.get(id);
          if (!run) throw notFound(`no run with id "${id}"`, { hint: 'soo-lab runs list shows the runs there are' });
          const out = path.resolve(flags.out);
          const data = exportRun(services.runs, run, (runId) => services.experiments.mtBenchJudgements(runId));
          writeFileSync(out, `${JSON.stringify(data, null, 1)}\n`);
          const count = (e: { children: unknown[] }): number => 1 + (e.children as { children: unknown[] }[]).reduce((s, c) => s + count(c), 0);
          return { out, runs: count(data), run_id: id };
        },
        (r) => `wrote ${r.out} (${r.runs} runs)`,
      );
    });
}

function brief(r: RunRecord) {
  return { id: r.id, kind: r.kind, status: r.status, name: r.name, seed: r.seed, parent_id: r.parentId, created_at: r.createdAt, finished_at: r.finishedAt, model: r.modelPath };
}
