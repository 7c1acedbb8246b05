/**
 * `soo-lab latent`: latent SOO per layer (mean self/other MSE over the pairs) of a model, with an adapter
 * when --lora is given (contract: shared/docs/cli.md). The computation and the run it records are
 * ActivationsJobs.runLatent's, the same as the Activations page; this file reads the pairs file and flags.
 *
 * --pairs FILE.jsonl: one JSON object per line with string fields "self" and "other" (what
 * `soo-lab scenario pairs` prints; other fields are ignored; blank lines are skipped).
 * Result (--json): {"layers": [{"layer": 0, "mse": ..., "std": ...}, ...], "pairs": N, "positions": "...",
 * "point": "...", "model": "...", "adapter": null | "...", "base_layers"?: [...], "run_id": "..."}.
 * With --lora, "layers" are measured with the adapter applied and "base_layers" without it.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { POSITIONS, TAP_POINTS, type LatentLayerStat, type PositionsName, type TapPointName } from '../../contract/api.ts';
import { badInput } from '../../contract/errors.ts';
import { inspectModel } from '../../services/activations/modelSummary.ts';
import { runCommand, type GlobalOptions } from '../command-kit.ts';
import { parseLayerList, parseNumber, progressLines, withEngineServices } from './activations-kit.ts';

interface LatentFlags {
  model: string;
  lora?: string;
  loraScale: number;
  pairs: string;
  positions: PositionsName;
  point: TapPointName;
  layers?: number[];
}

export interface LatentCommandResult {
  layers: { layer: number; mse: number; std: number }[];
  pairs: number;
  positions: PositionsName;
  point: TapPointName;
  model: string;
  adapter: string | null;
  base_layers?: { layer: number; mse: number; std: number }[];
  seconds: number;
  run_id: string | null;
}

export function registerLatentCommand(program: Command): void {
  program
    .command('latent')
    .description('latent SOO: mean self/other MSE of the activations per layer over a pairs file (records a run)')
    .requiredOption('--model <file>', 'the GGUF model')
    .option('--lora <file>', 'a LoRA adapter GGUF: measure the model with it applied (and report base_layers without it)')
    .option('--lora-scale <s>', 'adapter scale', parseNumber('--lora-scale'), 1)
    .requiredOption('--pairs <file>', 'JSONL file, one {"self": "...", "other": "..."} per line (soo-lab scenario pairs prints one)')
    .addOption(new Option('--positions <how>', "token positions compared: full (aligned positions), last (last token), mean (token mean)").choices([...POSITIONS]).default('full'))
    .addOption(new Option('--point <point>', 'tap point of each layer').choices([...TAP_POINTS]).default('attn_out'))
    .option('--layers <list>', 'comma-separated 0-based layers (default: every layer)', parseLayerList('--layers'))
    .action(async (flags: LatentFlags, command: Command) => {
      await runCommand(command, (options) => latent(flags, options), human);
    });
}

/** Reads a pairs JSONL file; bad input names the file and the line. */
export function readPairsFile(file: string): { self: string; other: string }[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw badInput(`--pairs: cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { file });
  }
  const pairs: { self: string; other: string }[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${file}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      throw badInput(`${where}: not JSON: ${(error as Error).message}`, { file, path: `line ${i + 1}` });
    }
    const pair = value as { self?: unknown; other?: unknown };
    for (const key of ['self', 'other'] as const) {
      if (typeof pair !== 'object' || pair === null || typeof pair[key] !== 'string' || pair[key] === '') {
        throw badInput(`${where}: expected an object with non-empty string "self" and "other", "${key}" is ${typeof pair === 'object' && pair !== null ? JSON.stringify(pair[key]) : 'missing'}`, { file, path: `line ${i + 1}` });
      }
    }
    pairs.push({ self: pair.self as string, other: pair.other as string });
  });
  if (pairs.length === 0) throw badInput(`--pairs: ${file} has no pairs`, { file });
  return pairs;
}

async function latent(flags: LatentFlags, options: GlobalOptions): Promise<LatentCommandResult> {
  const { threads } = options;
  const pairs = readPairsFile(flags.pairs);
  // The service checks these too; checked here first so the message names the flag.
  const model = await inspectModel(flags.model);
  const bad = flags.layers?.find((l) => l >= model.layers);
  if (bad !== undefined) throw badInput(`--layers: layer ${bad} is not a layer of ${path.basename(model.path)} (it has layers 0..${model.layers - 1})`, { file: model.path });
  if (flags.lora && !existsSync(flags.lora)) throw badInput(`--lora: no such file: ${path.resolve(flags.lora)}`, { file: path.resolve(flags.lora) });
  process.stderr.write(
    `latent: model=${flags.model} lora=${flags.lora ?? '-'}${flags.lora ? ` scale=${flags.loraScale}` : ''} pairs=${pairs.length} (${flags.pairs}) ` +
      `positions=${flags.positions} point=${flags.point} layers=${flags.layers?.join(',') ?? 'all'} threads=${threads ?? 'all cores'}\n`,
  );
  return withEngineServices(options, async (services) => {
    const r = await services.activationsJobs.runLatent(
      {
        modelPath: flags.model,
        adapterPath: flags.lora,
        adapterScale: flags.loraScale,
        pairs,
        positions: flags.positions,
        point: flags.point,
        layers: flags.layers,
        threads,
      },
      { onProgress: progressLines('latent') },
    );
    const rows = (stats: LatentLayerStat[]) => stats.map((s) => ({ layer: s.layer, mse: s.mean, std: s.std }));
    return {
      layers: rows(r.adapter ?? r.base),
      pairs: r.n,
      positions: r.positions,
      point: r.point,
      model: r.modelPath,
      adapter: r.adapterPath,
      ...(r.adapter ? { base_layers: rows(r.base) } : {}),
      seconds: r.seconds,
      run_id: r.runId,
    };
  });
}

function human(r: LatentCommandResult): string {
  const base = new Map(r.base_layers?.map((l) => [l.layer, l.mse]));
  const lines = [
    `latent SOO of ${path.basename(r.model)}${r.adapter ? ` + ${path.basename(r.adapter)}` : ''}: ${r.pairs} pairs, positions ${r.positions}, ${r.point} (run ${r.run_id ?? 'not recorded'})`,
    r.adapter ? 'layer  mse (adapter)  mse (base)' : 'layer  mse            std',
    ...r.layers.map((l) => `${String(l.layer).padStart(5)}  ${l.mse.toExponential(6).padEnd(13)}  ${r.adapter ? base.get(l.layer)!.toExponential(6) : l.std.toExponential(6)}`),
  ];
  return lines.join('\n');
}
