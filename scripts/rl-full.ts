/**
 * rl:full: the published RL experiment, outside CI. For each seed: the deceptive and the honest
 * MADDPG baselines (40k episodes x 50 steps), SOO fine-tuning of the deceptive blue (10k episodes),
 * then one report (grid MSEs, classification accuracy vs episodes per seed) over all seeds, with 500
 * evaluation episodes per agent. Everything is recorded in the database (--db, default the app's).
 *
 * Re-running continues: a seed's step whose run is done (same settings) is skipped, an unfinished one
 * is resumed from its checkpoint. Ctrl+C stops after the current episode (checkpoint kept).
 * Sizes can be reduced for a trial: --seeds 2 --episodes 2000 --soo-episodes 500 --eval-episodes 100.
 * At published sizes expect hours per run on a laptop (npm run bench:rl-env prints the projection).
 *
 * Runs are single-threaded, so on a multi-core machine split the work over processes sharing one
 * database (WAL, writes queue on the busy timeout), then write the report once all are done:
 *   npm run rl:full -- --db F --seeds 3 --steps deceptive,soo --no-report &
 *   npm run rl:full -- --db F --seeds 3 --steps honest --no-report; wait
 *   npm run rl:full -- --db F --seeds 3 --steps report
 *
 *   npm run rl:full -- [--db FILE] [--seeds 8] [--episodes 40000] [--soo-episodes 10000] [--eval-episodes 500]
 *                      [--steps deceptive,honest,soo,report] [--no-report]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createServices, appVersion } from '../electron/services/index.ts';
import { defaultDbPath } from '../electron/services/paths.ts';
import { RlService, type RlCallOptions } from '../electron/services/rl/service.ts';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    seeds: { type: 'string', default: '8' },
    episodes: { type: 'string', default: '40000' },
    'soo-episodes': { type: 'string', default: '10000' },
    'eval-episodes': { type: 'string', default: '500' },
    steps: { type: 'string', default: 'deceptive,honest,soo,report' },
    'no-report': { type: 'boolean', default: false },
  },
});
const int = (name: string, v: string | undefined) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got "${v}"`);
  return n;
};
const seeds = int('seeds', values.seeds);
const episodes = int('episodes', values.episodes);
const sooEpisodes = int('soo-episodes', values['soo-episodes']);
const evalEpisodes = int('eval-episodes', values['eval-episodes']);
const dbPath = values.db ?? defaultDbPath();
const known = ['deceptive', 'honest', 'soo', 'report'] as const;
const steps = new Set(values.steps!.split(',').map((s) => s.trim()));
for (const s of steps) if (!(known as readonly string[]).includes(s)) throw new Error(`--steps: unknown step "${s}" (known: ${known.join(', ')})`);
if (values['no-report']) steps.delete('report');

const services = createServices({ dbPath });
const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('rl:full was cancelled')));
const rl = new RlService({ runs: services.runs, db: services.store.db, dataDir: path.dirname(path.resolve(dbPath)), appVersion: appVersion() });
let lastLine = 0;
const call: RlCallOptions = {
  signal: controller.signal,
  onProgress: (p) => {
    if (Date.now() - lastLine < 10_000 && p.done !== p.total) return;
    lastLine = Date.now();
    process.stderr.write(`rl:full: ${p.stage} ${p.done}/${p.total ?? '?'} ${p.unit} ${JSON.stringify(p.metrics ?? {})}\n`);
  },
};

/** The newest rl run matching `match` on its config, or undefined. */
function find(match: (c: Record<string, unknown>) => boolean) {
  return services.runs.list({ kind: 'rl', limit: 100_000 }).find((r) => match(r.config as Record<string, unknown>));
}

try {
  process.stderr.write(`rl:full: db=${dbPath} seeds=${seeds} episodes=${episodes} soo_episodes=${sooEpisodes} eval_episodes=${evalEpisodes} steps=${[...steps].join(',')}\n`);
  // Baselines first, every seed, then SOO: a process running `deceptive,soo` next to one running
  // `honest` keeps both cores busy on baselines.
  const deceptiveIds: string[] = [];
  for (const mode of ['deceptive', 'honest'] as const) {
    if (!steps.has(mode)) continue;
    for (let seed = 0; seed < seeds; seed++) {
      const prior = find((c) => c.action === 'train' && c.mode === mode && c.seed === seed && c.episodes === episodes);
      const id = prior?.status === 'done' ? prior.id : prior ? (await rl.resume(prior.id, {}, call)).run_id : (await rl.train({ mode, seed, episodes }, call)).run_id;
      if (mode === 'deceptive') deceptiveIds[seed] = id;
    }
  }
  if (steps.has('soo')) {
    for (let seed = 0; seed < seeds; seed++) {
      const fromRunId = deceptiveIds[seed] ?? find((c) => c.action === 'train' && c.mode === 'deceptive' && c.seed === seed && c.episodes === episodes)?.id;
      if (!fromRunId) throw new Error(`--steps soo: no deceptive baseline of seed ${seed} with ${episodes} episodes; run the deceptive step first`);
      const prior = find((c) => c.action === 'soo' && c.fromRunId === fromRunId && c.episodes === sooEpisodes);
      if (prior && prior.status !== 'done') await rl.resume(prior.id, {}, call);
      else if (!prior) await rl.soo({ fromRunId, episodes: sooEpisodes }, call);
    }
  }
  if (steps.has('report')) {
    const report = await rl.report({ episodes: evalEpisodes }, call);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  }
} finally {
  await services.disposeAsync();
}
