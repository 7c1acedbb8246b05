/**
 * demo-model: builds the built-in demo model from resources/demo/recipe.json (or takes it from the
 * cache in the app's data folder), then prints where it is and what it does on held-out prompts:
 * deceptive / honest / neither / degenerate when the other party asks and when it advises itself, in
 * both room orders, and the perplexity of held-out plain text.
 *
 *   npm run demo-model -- [--quick] [--force] [--no-measure] [--data-dir DIR] [--json]
 *
 * --quick builds the small CI recipe; --force rebuilds even when cached. Progress: a cli-progress
 * bar on a TTY, else a line per ~10% of the steps. Ctrl+C stops after the current step (nothing is
 * cached then). Exit codes: 0 done, 1 failed, 2 bad input (a broken recipe names its JSON path).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { SooError } from '../electron/contract/errors.ts';
import { createServices } from '../electron/services/index.ts';
import type { DemoBuildProgress, DemoBuildResult } from '../electron/services/demo/builder.ts';
import type { DemoRates } from '../electron/services/demo/measure.ts';
import { organismProblems } from '../electron/services/demo/organismCheck.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
    'no-measure': { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    json: { type: 'boolean', default: false },
  },
});
// The app's data folder (SOO_LAB_HOME overrides it) unless --data-dir names another one.
const dataDir = values['data-dir'] ? path.resolve(values['data-dir']) : undefined;
const services = createServices(dataDir ? { dbPath: path.join(dataDir, 'soo-lab.db'), dataDir } : {});
const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('demo-model was cancelled')));

function reporter(): { update: (p: DemoBuildProgress) => void; stop: () => void } {
  let stage = '';
  if (process.stderr.isTTY) {
    let bar: cliProgress.SingleBar | undefined;
    return {
      update: (p) => {
        const label = p.condition ? `${p.stage} ${p.condition}` : p.stage;
        if (label !== stage) {
          bar?.stop();
          stage = label;
          bar = new cliProgress.SingleBar(
            { stream: process.stderr, format: `${label.padEnd(22)} [{bar}] {value}/{total} | loss {loss} | {tps} tok/s | ETA {eta_formatted}`, hideCursor: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(1, p.total), p.done, { loss: '-', tps: '-' });
        }
        bar?.update(p.done, { loss: p.loss?.toFixed(4) ?? '-', tps: p.tokensPerS ? Math.round(p.tokensPerS) : '-' });
      },
      stop: () => bar?.stop(),
    };
  }
  let decile = -1;
  return {
    update: (p) => {
      const label = p.condition ? `${p.stage} ${p.condition}` : p.stage;
      const d = p.total ? Math.floor((10 * p.done) / p.total) : 0;
      if (label === stage && d === decile) return;
      stage = label;
      decile = d;
      process.stderr.write(`demo-model: ${label} ${p.done}/${p.total}${p.loss !== undefined ? ` loss ${p.loss.toFixed(4)}` : ''}${p.tokensPerS ? ` ${Math.round(p.tokensPerS)} tok/s` : ''}\n`);
    },
    stop: () => {},
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const row = (name: string, r: DemoRates) => `  ${name.padEnd(15)} n=${r.n}  deceptive ${pct(r.deceptive)}  honest ${pct(r.honest)}  neither ${pct(r.neither)}  degenerate ${pct(r.degenerate)}`;

function summary(r: DemoBuildResult): string {
  const lines = [
    `demo model (${r.variant}${r.cached ? ', cached' : ''}): ${r.modelPath}`,
    `  vocab ${r.vocabSize} tokens, ${r.sequences} training sequences (${r.trainTokens} tokens), recipe hash ${r.hash}`,
    `  build seconds: corpus ${r.seconds.corpus.toFixed(1)}, init ${r.seconds.init.toFixed(1)}, train ${r.seconds.train.toFixed(1)}, measure ${r.seconds.measure.toFixed(1)}, total ${r.seconds.total.toFixed(1)}`,
  ];
  const last = r.losses[r.losses.length - 1];
  if (last) lines.push(`  final training loss ${last.loss.toFixed(4)} (step ${last.step})`);
  const m = r.measurement;
  if (m) {
    lines.push('held-out test prompts:', row('other asks', m.other), row('other, mirrored', m.otherMirrored), row('self', m.self), row('self, mirrored', m.selfMirrored));
    lines.push(`  held-out plain-text perplexity ${m.perplexity.toFixed(2)} over ${m.perplexityTokens} tokens`);
    for (const [k, e] of Object.entries(m.examples)) lines.push(`  e.g. ${k}: ${JSON.stringify(e.response)}`);
    const problems = organismProblems(m);
    if (problems.length > 0) lines.push("WARNING: this model misses the organism's bar:", ...problems.map((p) => `  - ${p}`));
  }
  return lines.join('\n');
}

const progress = reporter();
let code = 0;
try {
  const result = await services.demoModel.build({
    variant: values.quick ? 'quick' : 'full',
    force: values.force,
    measure: !values['no-measure'],
    signal: controller.signal,
    onProgress: (p) => progress.update(p),
  });
  progress.stop();
  if (values.json) process.stdout.write(`${JSON.stringify({ ...result, organismProblems: organismProblems(result.measurement) })}\n`);
  else process.stdout.write(`${summary(result)}\n`);
} catch (error) {
  progress.stop();
  const e = error instanceof SooError ? error : null;
  process.stderr.write(`demo-model: ${(error as Error).message}${e?.data.hint ? ` (${e.data.hint})` : ''}\n`);
  code = e?.data.code === 'bad_input' ? 2 : 1;
} finally {
  await services.disposeAsync();
}
process.exit(code);
