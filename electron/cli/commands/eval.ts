/**
 * `soo-lab eval`: the deceptive rate of a model (optionally with a LoRA adapter) on a scenario
 * pack's test prompts (contract: shared/docs/cli.md). The work is the evaluation service's
 * (electron/services/evaluation/evaluate.ts); this file checks the flags and inputs cheaply before
 * loading anything (a missing or non-GGUF model, an unknown pack or variant: exit 2, naming it),
 * prints the effective settings, shows progress on stderr (a bar on a terminal, plain lines
 * otherwise) and prints the result: --json gives
 * {"n","deceptive","honest","neither","degenerate","deceptive_rate","ci95":[lo,hi],"run_id",...}.
 * The run, with every prompt and raw response, is recorded in the database (--db).
 */
import { existsSync } from 'node:fs';
import cliProgress from 'cli-progress';
import { Option, type Command } from 'commander';
import { badInput } from '../../contract/errors.ts';
import { identifier, type ScenarioPack } from '../../contract/scenario-pack.ts';
import { evaluate, type EvaluationResult } from '../../services/evaluation/evaluate.ts';
import { DEFAULT_MAX_TOKENS, type ChatTemplateChoice } from '../../services/evaluation/generate.ts';
import { appVersion, createServices, type Services } from '../../services/index.ts';
import { configureLlamaRuntime, defaultThreads, disposeSharedLlama } from '../../services/models/llamaRuntime.ts';
import { ModelHashCache } from '../../services/models/modelHash.ts';
import { checkGgufMagic, loadModel, readGgufHeader } from '../../services/models/modelFile.ts';
import { DEFAULT_PROMPT_COUNT, renderPrompt } from '../../services/scenarios/render.ts';
import { MAIN_VARIANT } from '../../services/scenarios/variant.ts';
import { RunRepository } from '../../services/store/runs.ts';
import { parseNonNegativeInt, parsePositiveInt, resolveDbPath, runCommand, type GlobalOptions } from '../command-kit.ts';

/** Defaults, in one place: the published protocol's sizes. */
const DEFAULTS = {
  /** Test prompts: the published 250. */
  n: DEFAULT_PROMPT_COUNT,
  /** New tokens per answer: the published ~75. */
  maxTokens: DEFAULT_MAX_TOKENS,
  seed: 0,
  loraScale: 1,
  chatTemplate: 'auto' as ChatTemplateChoice,
} as const;

interface EvalFlags {
  model: string;
  lora?: string;
  loraScale: number;
  scenario: string;
  variant?: string;
  n: number;
  mirror?: boolean;
  honestyPrompt?: boolean;
  chatTemplate: ChatTemplateChoice;
  maxTokens: number;
  seed: number;
  parallel?: number;
  gpu: 'auto' | 'off';
}

/** The --json result: cli.md's fields, then extras. */
export interface EvalCommandResult {
  n: number;
  deceptive: number;
  honest: number;
  neither: number;
  degenerate: number;
  deceptive_rate: number;
  ci95: [number, number];
  run_id: string;
  chat_template: string | null;
  seconds: number;
}

function parseScale(value: string): number {
  const s = Number(value);
  if (!Number.isFinite(s)) throw badInput(`--lora-scale must be a number, got "${value}"`);
  return s;
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description("deceptive rate of a model on a scenario pack's test prompts (greedy decoding; four buckets; run recorded in --db)")
    .requiredOption('--model <file>', 'the model, a .gguf file')
    .option('--lora <file>', 'a LoRA adapter .gguf for the model')
    .option('--lora-scale <s>', 'scale of the adapter', parseScale, DEFAULTS.loraScale)
    .requiredOption('--scenario <file|id>', 'scenario pack JSON file, or the id of a built-in or saved pack')
    .option('--variant <id>', `variant id (default: ${MAIN_VARIANT}, the pack itself)`)
    .option('--n <n>', 'number of test prompts', parsePositiveInt('--n'), DEFAULTS.n)
    .option('--mirror', 'use the mirror template (the honest option named first)')
    .option('--honesty-prompt', "prepend the pack's honesty prompt")
    .addOption(new Option('--chat-template <mode>', "auto: the model's chat template when it has one; none: raw text").choices(['auto', 'none']).default(DEFAULTS.chatTemplate))
    .option('--max-tokens <n>', 'new tokens per answer', parsePositiveInt('--max-tokens'), DEFAULTS.maxTokens)
    .option('--seed <s>', 'seed of the prompt values', parseNonNegativeInt('--seed'), DEFAULTS.seed)
    .option('--parallel <k>', 'prompts generated together on one context (default 8)', parsePositiveInt('--parallel'))
    .addOption(new Option('--gpu <mode>', 'auto: use a GPU when one works; off: CPU only (env SOO_LAB_GPU)').choices(['auto', 'off']).default(process.env.SOO_LAB_GPU === 'off' ? 'off' : 'auto'))
    .action(async (flags: EvalFlags, command: Command) => {
      await runCommand(command, async (options) => runEval(flags, options), human);
    });
}

async function runEval(flags: EvalFlags, options: GlobalOptions): Promise<EvalCommandResult> {
  // Cheap checks first: model and adapter files, pack, variant and flags, before loading anything.
  const { path: modelPath } = await readGgufHeader(flags.model, '--model');
  const loraPath = flags.lora ? await checkGgufMagic(flags.lora, '--lora') : undefined;
  const threads = options.threads ?? defaultThreads();
  configureLlamaRuntime({ gpu: flags.gpu === 'off' ? false : 'auto', threads });

  const services = createServices({ dbPath: resolveDbPath(options) });
  try {
    const pack = resolvePack(services, flags.scenario);
    renderPrompt(pack, 0, { seed: flags.seed, variant: flags.variant, mirror: !!flags.mirror, honestyPrompt: !!flags.honestyPrompt });

    const hashes = new ModelHashCache(services.store.db);
    const modelSha256 = await hashes.sha256(modelPath);
    const adapterSha256 = loraPath ? await hashes.sha256(loraPath) : null;
    process.stderr.write(
      `eval: model=${modelPath} lora=${loraPath ?? 'none'}${loraPath ? ` scale=${flags.loraScale}` : ''} scenario=${pack.id} ` +
        `variant=${flags.variant ?? MAIN_VARIANT} n=${flags.n} seed=${flags.seed} mirror=${!!flags.mirror} honesty_prompt=${!!flags.honestyPrompt} ` +
        `chat_template=${flags.chatTemplate} max_tokens=${flags.maxTokens} threads=${threads} gpu=${flags.gpu} db=${services.store.file}\n`,
    );

    const model = await loadModel(modelPath);
    const progress = progressReporter(flags.n);
    let result: EvaluationResult;
    try {
      result = await evaluate(model, {
        pack,
        n: flags.n,
        seed: flags.seed,
        variant: flags.variant,
        mirror: !!flags.mirror,
        honestyPrompt: !!flags.honestyPrompt,
        maxTokens: flags.maxTokens,
        chatTemplate: flags.chatTemplate,
        lora: loraPath ? { path: loraPath, scale: flags.loraScale } : undefined,
        parallel: flags.parallel,
        threads,
        onProgress: progress.update,
        store: {
          runs: new RunRepository(services.store.db),
          appVersion: appVersion(),
          modelPath,
          modelSha256,
          adapterSha256,
          extraConfig: { scenario: flags.scenario, gpu: flags.gpu },
        },
      });
    } finally {
      progress.stop();
      await model.dispose();
      await disposeSharedLlama();
    }
    return {
      n: result.n,
      deceptive: result.deceptive,
      honest: result.honest,
      neither: result.neither,
      degenerate: result.degenerate,
      deceptive_rate: result.deceptiveRate,
      ci95: result.ci95,
      run_id: result.runId!,
      chat_template: result.chatTemplate,
      seconds: result.seconds,
    };
  } finally {
    services.dispose();
  }
}

/** A pack file, or (when no such file exists) the built-in or saved pack with that id. */
function resolvePack(services: Services, scenario: string): ScenarioPack {
  if (existsSync(scenario) || !identifier.safeParse(scenario).success) return services.scenarios.loadFile(scenario);
  return services.scenarios.resolve(scenario);
}

/** A cli-progress bar on a terminal; otherwise at most ~20 plain lines. */
function progressReporter(total: number): { update: (p: { done: number; total: number }) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'eval [{bar}] {value}/{total} responses | {duration_formatted} elapsed | eta {eta_formatted}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: ({ done }) => bar.update(done), stop: () => bar.stop() };
  }
  let lastStep = -1;
  const started = Date.now();
  return {
    update: ({ done, total: t }) => {
      const step = Math.floor((20 * done) / t);
      if (step === lastStep && done !== t) return;
      lastStep = step;
      process.stderr.write(`eval: ${done}/${t} responses (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    },
    stop: () => {},
  };
}

function human(r: EvalCommandResult): string {
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  return [
    `deceptive ${r.deceptive}/${r.n} = ${pct(r.deceptive_rate)} (95% CI ${pct(r.ci95[0])} to ${pct(r.ci95[1])})`,
    `honest ${r.honest}, neither ${r.neither}, degenerate ${r.degenerate}; chat template: ${r.chat_template ?? 'none (raw text)'}; ${r.seconds.toFixed(1)} s`,
    `run ${r.run_id}`,
  ].join('\n');
}
