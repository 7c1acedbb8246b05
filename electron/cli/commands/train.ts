/**
 * `soo-lab train`: SOO LoRA training of a GGUF model into a llama.cpp LoRA adapter (contract:
 * shared/docs/cli.md). The work and the run it records are TrainingService's, the same as the Train page.
 *
 * Prints the effective settings (preset + flags) on stderr before starting; progress is a bar on a TTY
 * and plain lines otherwise (about one per 10% of the steps, with the loss). --resume RUN_ID continues a
 * cancelled/failed run from its checkpoint (its recorded settings; other flags are not needed).
 * Result (--json): {"adapter", "steps", "loss_first", "loss_last", "seconds", "run_id"} (the adapter's sha256 is
 * in the run's artifacts).
 * Exit 2 for bad input (a misaligned pair under --positions full names the pair and line; a layer out of
 * range names --layer).
 */
import { Option, type Command } from 'commander';
import cliProgress from 'cli-progress';
import type { JobProgress } from '../../contract/events.ts';
import { badInput } from '../../contract/errors.ts';
import { TAP_POINTS, type TapPointName } from '../../contract/api.ts';
import { TRAIN_TARGETS, type TrainPositions, type TrainTarget } from '../../services/training/presets.ts';
import type { TrainConfig, TrainResult } from '../../services/training/trainingService.ts';
import { parseNonNegativeInt, parsePositiveInt, runCommand, type GlobalOptions } from '../command-kit.ts';
import { parseNumber, withEngineServices } from './activations-kit.ts';

interface TrainFlags {
  model?: string;
  pairs?: string;
  layer?: number;
  targets?: TrainTarget[];
  rank?: number;
  alpha?: number;
  dropout?: number;
  lr?: number;
  epochs?: number;
  batch?: number;
  gradAccumulation?: number;
  positions?: TrainPositions;
  point?: TapPointName;
  selfAnchor?: number;
  seed?: number;
  preset?: string;
  resume?: string;
  checkpointEvery?: number;
  out?: string;
}

export interface TrainCommandResult {
  adapter: string;
  steps: number;
  loss_first: number;
  loss_last: number;
  seconds: number;
  run_id: string;
}

function parseTargets(value: string): TrainTarget[] {
  const list = value.split(',').map((t) => t.trim());
  const bad = list.find((t) => !TRAIN_TARGETS.includes(t as TrainTarget));
  if (bad !== undefined) throw badInput(`--targets: unknown target '${bad}' (known: ${TRAIN_TARGETS.join(', ')})`);
  return list as TrainTarget[];
}

export function registerTrainCommand(program: Command): void {
  program
    .command('train')
    .description('SOO LoRA training: make self/other attn_out-L activations overlap; writes a llama.cpp LoRA adapter (records a run)')
    .option('--model <file>', 'the GGUF base model (llama / qwen2 architectures; quantized is fine)')
    .option('--pairs <file>', 'JSONL file, one {"self": "...", "other": "..."} per line (soo-lab scenario pairs prints one)')
    .option('--layer <L>', 'the SOO layer L (0-based): loss on attn_out-L, LoRA on layers 0..L', parseNonNegativeInt('--layer'))
    .option('--targets <list>', `LoRA targets, comma-separated (${TRAIN_TARGETS.join(', ')}); default attn_q,attn_v`, parseTargets)
    .option('--rank <r>', 'LoRA rank (default 8)', parsePositiveInt('--rank'))
    .option('--alpha <a>', 'LoRA alpha: update = alpha/r * B(A x) (default 32)', parseNumber('--alpha'))
    .option('--dropout <p>', 'LoRA input dropout in [0, 1) (default 0.2)', parseNumber('--dropout'))
    .option('--lr <lr>', 'AdamW learning rate (default 1e-4)', parseNumber('--lr'))
    .option('--epochs <n>', 'passes over the pairs (default 15)', parsePositiveInt('--epochs'))
    .option('--batch <n>', 'pairs per optimizer step (default 4)', parsePositiveInt('--batch'))
    .option('--grad-accumulation <k>', 'batches per update (effective batch = batch x k; default 1)', parsePositiveInt('--grad-accumulation'))
    .addOption(new Option('--positions <how>', 'token positions compared: full (aligned), last, mean (default full)').choices(['full', 'last', 'mean']))
    .addOption(new Option('--point <node>', 'the node of layer L the loss compares: attn_out (published), mlp_out, resid (layer output) (default attn_out)').choices([...TAP_POINTS]))
    .option('--self-anchor <w>', 'weight of a term keeping the self prompts\' outputs at the base model\'s (0 = off, the published objective)', parseNumber('--self-anchor'))
    .option('--seed <s>', 'training seed: LoRA init, dropout, pair order (default 0)', parseNonNegativeInt('--seed'))
    .option('--preset <name>', 'published settings: mistral-7b, gemma-2-27b (or tiny); flags override them')
    .option('--checkpoint-every <n>', 'write a checkpoint every n steps (always on cancel)', parseNonNegativeInt('--checkpoint-every'))
    .option('--resume <runId>', 'continue a cancelled or failed training run from its checkpoint')
    .option('--out <file>', 'the adapter GGUF to write (default: a new file under the data folder adapters/)')
    .action(async (flags: TrainFlags, command: Command) => {
      await runCommand(command, (options) => train(flags, options), human);
    });
}

async function train(flags: TrainFlags, options: GlobalOptions): Promise<TrainCommandResult> {
  if (!flags.resume) {
    if (!flags.model) throw badInput('--model is required (the GGUF base model)');
    if (!flags.pairs) throw badInput('--pairs is required (a JSONL file of {"self", "other"} pairs)');
  }
  return withEngineServices(options, async (services) => {
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    process.once('SIGINT', onSigint);
    const progress = progressReporter();
    try {
      let result: TrainResult;
      if (flags.resume) {
        const run = services.runs.get(flags.resume);
        if (run?.kind === 'train') printSettings(run.config as TrainConfig, `resume ${flags.resume}`);
        result = await services.training.resume(flags.resume, { signal: abort.signal, onProgress: progress.update });
      } else {
        const prepared = await services.training.prepare({
          modelPath: flags.model!,
          pairsFile: flags.pairs!,
          layer: flags.layer,
          targets: flags.targets,
          rank: flags.rank,
          alpha: flags.alpha,
          dropout: flags.dropout,
          lr: flags.lr,
          epochs: flags.epochs,
          batch: flags.batch,
          gradAccumulation: flags.gradAccumulation,
          positions: flags.positions,
          point: flags.point,
          selfAnchor: flags.selfAnchor,
          seed: flags.seed,
          preset: flags.preset,
          threads: options.threads,
          checkpointEvery: flags.checkpointEvery,
          outPath: flags.out,
        });
        printSettings(prepared.config, `run ${prepared.runId}`);
        result = await services.training.runPrepared(prepared, { signal: abort.signal, onProgress: progress.update });
      }
      return {
        adapter: result.adapter,
        steps: result.steps,
        loss_first: result.loss_first,
        loss_last: result.loss_last,
        seconds: result.seconds,
        run_id: result.run_id,
      };
    } finally {
      progress.stop();
      process.off('SIGINT', onSigint);
    }
  });
}

function printSettings(c: TrainConfig, what: string): void {
  process.stderr.write(
    `train (${what}): model=${c.modelPath} pairs=${c.pairs.length} (${c.pairsOrigin}) layer=${c.layer} targets=${c.targets.join(',')} ` +
      `rank=${c.rank} alpha=${c.alpha} dropout=${c.dropout} lr=${c.lr} epochs=${c.epochs} batch=${c.batch} grad_accumulation=${c.gradAccumulation} ` +
      `positions=${c.positions} point=${c.point ?? 'attn_out'} self_anchor=${c.selfAnchor ?? 0} seed=${c.seed} threads=${c.threads}${c.preset ? ` preset=${c.preset}` : ''} out=${c.outPath}\n`,
  );
}

/** A cli-progress bar on a TTY, else a plain line per ~10% of the steps (and every stage change). */
function progressReporter(): { update: (p: Omit<JobProgress, 'jobId' | 'kind'>) => void; stop: () => void } {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: 'train [{bar}] {value}/{total} steps | loss {loss} | {tps} tok/s | ETA {eta_formatted}', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update: (p) => {
        if (!p.metrics || !p.total) return;
        const payload = { loss: p.metrics.loss!.toExponential(3), tps: Math.round(p.metrics.tokensPerS ?? 0) };
        if (!started) {
          bar.start(p.total, p.done, payload);
          started = true;
        } else bar.update(p.done, payload);
      },
      stop: () => started && bar.stop(),
    };
  }
  let lastDecile = -1;
  let lastStage = '';
  return {
    update: (p) => {
      if (!p.metrics || !p.total) {
        if (p.stage !== lastStage) process.stderr.write(`train: ${p.stage}\n`);
        lastStage = p.stage;
        return;
      }
      const decile = Math.floor((10 * p.done) / p.total);
      if (decile === lastDecile && p.done !== 1) return;
      lastDecile = decile;
      const m = p.metrics;
      process.stderr.write(
        `train: step ${p.done}/${p.total} (${p.stage}) loss ${m.loss!.toExponential(4)} ${Math.round(m.tokensPerS ?? 0)} tok/s ETA ${Math.round(m.etaS ?? 0)} s\n`,
      );
    },
    stop: () => {},
  };
}

function human(r: TrainCommandResult): string {
  return `adapter ${r.adapter}\nsteps ${r.steps}, loss ${r.loss_first.toExponential(4)} -> ${r.loss_last.toExponential(4)}, ${r.seconds.toFixed(1)} s\nrun ${r.run_id}`;
}
