/**
 * `soo-lab report RUN_ID --out FILE.html [--csv DIR]`: the self-contained HTML report of an
 * experiment (reports/html.ts: tables, inline SVG charts, config, environment), and optionally every
 * table as CSV. Given an `rl report` run, it writes that run's RL report (reports/rlHtml.ts; no CSV).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { createServices } from '../../services/index.ts';
import { experimentReportHtml } from '../../services/reports/html.ts';
import { experimentTables, tableToCsv } from '../../services/reports/tables.ts';
import { resolveDbPath, runCommand } from '../command-kit.ts';
import { badInput } from '../../contract/errors.ts';
import { environment } from './experiment.ts';

export function registerReportCommand(program: Command): void {
  program
    .command('report <run_id>')
    .description("an experiment's self-contained HTML report (tables, charts, config, environment)")
    .requiredOption('--out <file>', 'the HTML file to write')
    .option('--csv <dir>', 'also write every table as CSV into this folder')
    .action(async (runId: string, flags: { out: string; csv?: string }, command: Command) => {
      await runCommand(
        command,
        async (options) => {
          using services = createServices({ dbPath: resolveDbPath(options) });
          const out = path.resolve(flags.out);
          const run = services.runs.get(runId);
          if (run?.kind === 'rl') {
            if (flags.csv) throw badInput('--csv: an rl report has no CSV tables; leave --csv out (its numbers are in `soo-lab --json rl report`)');
            writeFileSync(out, (await services.rlViews.reportHtml(runId)).text);
            return { report: out, csv: [], run_id: runId, status: run.status };
          }
          const summary = services.experiments.summary(runId);
          writeFileSync(out, experimentReportHtml(summary, environment(services.store.file)));
          const csv: string[] = [];
          if (flags.csv) {
            mkdirSync(flags.csv, { recursive: true });
            for (const t of experimentTables(summary)) {
              const file = path.resolve(flags.csv, `${t.name}.csv`);
              writeFileSync(file, tableToCsv(t));
              csv.push(file);
            }
          }
          return { report: out, csv, run_id: runId, status: summary.run.status };
        },
        (r) => `wrote ${r.report}${r.csv.length ? ` and ${r.csv.length} CSV files` : ''}`,
      );
    });
}
