/**
 * `soo-lab rl ...`: the RL experiment (physical deception, MADDPG, SOO fine-tuning of blue, SOO as a
 * deception detector). Every subcommand calls RlService (electron/services/rl/service.ts), records an
 * 'rl' run, and with --json prints one object carrying "run_id". Settings left out take the published
 * defaults of electron/services/rl/config.ts (method.md); the effective settings go to stderr first.
 * Ctrl+C cancels: the run keeps its last checkpoint and `soo-lab rl resume RUN_ID` continues it.
 *
 *   rl train --mode deceptive|honest [--episodes 40000] [--seed 0] ...   -> RlTrainResult
 *   rl soo --from RUN_ID [--episodes 10000] [--soo-weight 1] [--capability-weight 1] ...
 *   rl resume RUN_ID [--episodes N]
 *   rl eval --run ID[,ID...] [--episodes 100] [--seed S]                -> per agent goal/trap/SOO numbers
 *   rl report [--honest IDS --deceptive IDS --soo IDS] [--episodes 100] [--out FILE.html]
 *                                                                       -> behaviour MSEs, classification
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { createServices, appVersion, type Services } from '../../services/index.ts';
import { RlService, type RlCallOptions, type RlEvalResult, type RlReportResult, type RlTrainResult } from '../../services/rl/service.ts';
import { RL_MODES, trainConfigSchema, sooConfigSchema, type RlMode } from '../../services/rl/config.ts';
import { badInput } from '../../contract/errors.ts';
import { parseNonNegativeInt, parsePositiveInt, resolveDbPath, runCommand, type GlobalOptions } from '../command-kit.ts';
import { progressLines } from './activations-kit.ts';

function parseFloatFlag(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n)) throw badInput(`${flag} must be a number, got "${value}"`);
    return n;
  };
}

function parseIdList(flag: string) {
  return (value: string, previous: string[] = []): string[] => {
    const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
    if (ids.length === 0) throw badInput(`${flag} must be run ids separated by commas, got "${value}"`);
    return [...previous, ...ids];
  };
}

function parseIntList(flag: string) {
  return (value: string): number[] => {
    const parts = value.split(',').map((s) => s.trim());
    const n = parts.map(Number);
    if (parts.some((p, i) => p === '' || !Number.isInteger(n[i]) || n[i]! <= 0)) throw badInput(`${flag} must be positive integers separated by commas, got "${value}"`);
    return n;
  };
}

/** Opens the store, builds the RL service, cancels on Ctrl+C, and closes everything after `fn`. */
async function withRl<T>(options: GlobalOptions, label: string, fn: (rl: RlService, call: RlCallOptions, services: Services) => Promise<T>): Promise<T> {
  const dbPath = resolveDbPath(options);
  const services = createServices({ dbPath });
  const controller = new AbortController();
  const onSigint = () => {
    process.stderr.write(`${label}: cancelling after the current episode (checkpoint kept)\n`);
    controller.abort(new Error(`${label} was cancelled`));
  };
  process.once('SIGINT', onSigint);
  try {
    const rl = new RlService({ runs: services.runs, db: services.store.db, dataDir: path.dirname(path.resolve(dbPath)), appVersion: appVersion() });
    return await fn(rl, { signal: controller.signal, onProgress: progressLines(label) }, services);
  } finally {
    process.off('SIGINT', onSigint);
    await services.disposeAsync();
  }
}

interface TrainFlags {
  mode: RlMode;
  episodes?: number;
  seed?: number;
  episodeLength?: number;
  batch?: number;
  updateEvery?: number;
  warmup?: number;
  replay?: number;
  lr?: number;
  gamma?: number;
  tau?: number;
  gradClip?: number;
  noiseStart?: number;
  noiseEnd?: number;
  checkpointEvery?: number;
  logEvery?: number;
  evalEpisodes?: number;
}

interface SooFlags extends Omit<TrainFlags, 'mode' | 'replay' | 'gamma' | 'tau'> {
  from: string;
  sooWeight?: number;
  capabilityWeight?: number;
  buffer?: number;
}

function addLoopOptions(cmd: Command): Command {
  return cmd
    .option('--episode-length <n>', 'steps per episode (default 50)', parsePositiveInt('--episode-length'))
    .option('--batch <n>', 'batch size per update (default 1024)', parsePositiveInt('--batch'))
    .option('--update-every <n>', 'environment steps between updates (default 100)', parsePositiveInt('--update-every'))
    .option('--warmup <n>', 'transitions collected before the first update', parsePositiveInt('--warmup'))
    .option('--lr <x>', 'Adam learning rate (default 0.01)', parseFloatFlag('--lr'))
    .option('--grad-clip <x>', 'per-variable gradient norm clip (default 0.5)', parseFloatFlag('--grad-clip'))
    .option('--noise-start <x>', 'OU noise sigma at the first episode (default 0.3)', parseFloatFlag('--noise-start'))
    .option('--noise-end <x>', 'OU noise sigma at the last episode (default 0)', parseFloatFlag('--noise-end'))
    .option('--checkpoint-every <n>', 'episodes between checkpoints (default 1000)', parsePositiveInt('--checkpoint-every'))
    .option('--log-every <n>', 'episodes per recorded step (default 100)', parsePositiveInt('--log-every'))
    .option('--eval-episodes <n>', 'deterministic evaluation episodes at the end (default 100; 0 skips)', parseNonNegativeInt('--eval-episodes'));
}

export function registerRlCommands(program: Command): void {
  const rl = program.command('rl').description('the RL experiment: physical deception, MADDPG baselines, SOO fine-tuning, SOO as a deception detector');

  addLoopOptions(
    rl
      .command('train')
      .description('train a baseline with MADDPG (both agents from scratch; records an rl run with checkpoints)')
      .addOption(new Option('--mode <mode>', 'deceptive: blue gets +10 per step while red is trapped; honest: no bonus').choices([...RL_MODES]).makeOptionMandatory())
      .option('--episodes <n>', 'episodes (default 40000, as published)', parsePositiveInt('--episodes'))
      .option('--seed <s>', 'seed (default 0)', parseNonNegativeInt('--seed'))
      .option('--replay <n>', 'replay capacity in transitions (default 1e6)', parsePositiveInt('--replay'))
      .option('--gamma <x>', 'discount (default 0.95)', parseFloatFlag('--gamma'))
      .option('--tau <x>', 'target update rate (default 0.01)', parseFloatFlag('--tau')),
  ).action(async (flags: TrainFlags, command: Command) => {
    await runCommand(command, (options) => withRl(options, 'rl train', (service, call) => {
      const input = {
        mode: flags.mode, seed: flags.seed, episodes: flags.episodes, episodeLength: flags.episodeLength, batchSize: flags.batch,
        updateEvery: flags.updateEvery, warmupSteps: flags.warmup, replaySize: flags.replay, lr: flags.lr, gamma: flags.gamma, tau: flags.tau,
        gradClip: flags.gradClip, noiseStart: flags.noiseStart, noiseEnd: flags.noiseEnd, checkpointEvery: flags.checkpointEvery,
        logEvery: flags.logEvery, evalEpisodes: flags.evalEpisodes,
      };
      process.stderr.write(`rl train: ${JSON.stringify(trainConfigSchema.parse(input))}\n`);
      return service.train(input, call);
    }), humanTrain);
  });

  addLoopOptions(
    rl
      .command('soo')
      .description("SOO fine-tuning of a deceptive baseline's blue agent (SOO term + capability term; its red stays frozen)")
      .requiredOption('--from <run>', 'the run id of a finished `rl train --mode deceptive`')
      .option('--episodes <n>', 'episodes (default 10000, as published)', parsePositiveInt('--episodes'))
      .option('--seed <s>', "seed (default: the source run's)", parseNonNegativeInt('--seed'))
      .option('--soo-weight <x>', 'weight of the SOO term (default 1)', parseFloatFlag('--soo-weight'))
      .option('--capability-weight <x>', "weight of the capability term towards the frozen deceptive policy's actions (default 1)", parseFloatFlag('--capability-weight'))
      .option('--buffer <n>', 'observation buffer capacity (default 100000)', parsePositiveInt('--buffer')),
  ).action(async (flags: SooFlags, command: Command) => {
    await runCommand(command, (options) => withRl(options, 'rl soo', (service, call) => {
      const input = {
        fromRunId: flags.from, seed: flags.seed, episodes: flags.episodes, episodeLength: flags.episodeLength, sooWeight: flags.sooWeight,
        capabilityWeight: flags.capabilityWeight, lr: flags.lr, batchSize: flags.batch, updateEvery: flags.updateEvery, bufferSize: flags.buffer,
        warmupSteps: flags.warmup, gradClip: flags.gradClip, noiseStart: flags.noiseStart, noiseEnd: flags.noiseEnd,
        checkpointEvery: flags.checkpointEvery, logEvery: flags.logEvery, evalEpisodes: flags.evalEpisodes,
      };
      process.stderr.write(`rl soo: ${JSON.stringify(sooConfigSchema.parse(input))}\n`);
      return service.soo(input, call);
    }), humanTrain);
  });

  rl.command('resume')
    .description('continue a cancelled, failed or finished rl train/soo run from its checkpoint')
    .argument('<run>', 'the run id')
    .option('--episodes <n>', 'train up to this many episodes in total (default: the recorded number)', parsePositiveInt('--episodes'))
    .action(async (runId: string, flags: { episodes?: number }, command: Command) => {
      await runCommand(command, (options) => withRl(options, 'rl resume', (service, call) => service.resume(runId, { episodes: flags.episodes }, call)), humanTrain);
    });

  rl.command('eval')
    .description("evaluate finished runs' agents without noise: goal and trap rates, SOO value, deceptive-action candidates, a random blue for reference")
    .requiredOption('--run <ids>', 'run ids (comma-separated or repeated)', parseIdList('--run'))
    .option('--episodes <n>', 'evaluation episodes per run (default 100)', parsePositiveInt('--episodes'))
    .option('--seed <s>', "seed of the evaluation worlds (default: each run's seed)", parseNonNegativeInt('--seed'))
    .action(async (flags: { run: string[]; episodes?: number; seed?: number }, command: Command) => {
      await runCommand(command, (options) => withRl(options, 'rl eval', (service, call) => service.evaluate({ runIds: flags.run, episodes: flags.episodes, seed: flags.seed }, call)), humanEval);
    });

  rl.command('report')
    .description('behavioural difference (grid MSE, mean +- SD over seeds) and SOO classification accuracy vs episodes per seed')
    .option('--honest <ids>', 'honest baseline runs (default: the newest finished run per seed)', parseIdList('--honest'))
    .option('--deceptive <ids>', 'deceptive baseline runs', parseIdList('--deceptive'))
    .option('--soo <ids>', 'SOO fine-tuned runs', parseIdList('--soo'))
    .option('--episodes <n>', 'evaluation episodes per agent (default 100; published 500-1000)', parsePositiveInt('--episodes'))
    .option('--episode-counts <list>', 'episode counts of the classification curve (default 1,2,5,10,20,50,...)', parseIntList('--episode-counts'))
    .option('--out <file>', "also write the report's self-contained HTML (contours, bars, curve) to this file")
    .action(async (flags: { honest?: string[]; deceptive?: string[]; soo?: string[]; episodes?: number; episodeCounts?: number[]; out?: string }, command: Command) => {
      await runCommand(
        command,
        (options) =>
          withRl(options, 'rl report', async (service, call, services): Promise<RlReportResult & { html?: string }> => {
            const r = await service.report(flags, call);
            if (!flags.out) return r;
            const html = path.resolve(flags.out);
            writeFileSync(html, (await services.rlViews.reportHtml(r.run_id)).text);
            return { ...r, html };
          }),
        humanReport,
      );
    });
}

const f3 = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '-');

function humanTrain(r: RlTrainResult): string {
  const lines = [`rl ${r.action} ${r.mode} seed ${r.seed}: ${r.episodes} episodes, ${r.env_steps} steps, ${r.updates} updates, ${r.seconds.toFixed(1)} s (run ${r.run_id})`, `checkpoint: ${r.checkpoint}`];
  if (r.eval) {
    lines.push(
      `eval (${r.eval.episodes} episodes, no noise): blue at goal ${f3(r.eval.blue_goal_frac)} of steps (random blue ${f3(r.eval.random_blue_goal_frac)}), ` +
        `red trapped ${f3(r.eval.red_trapped)} of episodes, red in sight ${f3(r.eval.in_sight_frac)} of steps, mean SOO value ${f3(r.eval.mean_soo_value)}, deceptive-action candidates ${r.eval.deceptive_candidates}`,
    );
  }
  return lines.join('\n');
}

function humanEval(r: RlEvalResult): string {
  return [
    `rl eval: ${r.episodes} episodes per agent (run ${r.run_id})`,
    'run                                   role       seed  blue@goal  random  trapped  in sight  SOO value  candidates',
    ...r.agents.map((a) => `${a.run.padEnd(38)}${a.role.padEnd(11)}${String(a.seed).padEnd(6)}${f3(a.blue_goal_frac).padEnd(11)}${f3(a.random_blue_goal_frac).padEnd(8)}${f3(a.red_trapped).padEnd(9)}${f3(a.in_sight_frac).padEnd(10)}${f3(a.mean_soo_value).padEnd(11)}${a.deceptive_candidates}`),
  ].join('\n');
}

function humanReport(r: RlReportResult & { html?: string }): string {
  return [
    ...(r.html ? [`wrote ${r.html}`] : []),
    `rl report: seeds ${r.seeds.join(', ')}, ${r.episodes} evaluation episodes per agent (run ${r.run_id})`,
    'behavioural difference (grid MSE, per-episode counts):',
    ...r.behaviour.map((b) => `  ${b.pair.padEnd(22)} ${b.seeds ? `${b.mean.toExponential(3)} +- ${b.sd.toExponential(3)} (${b.seeds} seeds)` : 'no seed has both'}`),
    'SOO classification (lower mean SOO value = honest), accuracy by episodes per seed:',
    ...r.classification.map((c) => `  ${String(c.episodes).padStart(5)}: ${f3(c.accuracy)} (${c.correct}/${c.seeds})`),
  ].join('\n');
}
