/**
 * `soo-lab taps`: the activations of one prompt at chosen layers, written to a file (contract:
 * shared/docs/cli.md). Runs ActivationsService.taps in the engine process, as the app does.
 *
 * --out FILE.json, format "soo-lab.taps" version 1:
 *   {"format": "soo-lab.taps", "version": 1, "model": "<abs path>", "adapter": null | "<abs path>",
 *    "adapter_scale": 1, "prompt": "...", "tokens": [ids, BOS included], "pieces": ["<s>", " You", ...],
 *    "taps": [{"name": "blocks.3.hook_attn_out", "layer": 3, "point": "attn_out",
 *              "shape": [n_tokens, width], "dtype": "float32", "byte_order": "little",
 *              "data": "<base64 of n_tokens * width float32 values, row-major: token t, feature k at t * width + k>"}]}
 * In Python: np.frombuffer(base64.b64decode(t["data"]), "<f4").reshape(t["shape"]).
 * Result (--json): {"out", "tokens", "taps": [{"name", "shape"}], "bytes"}.
 * Taps are not recorded as a run: the runs table has no kind for them (migrations/0002_runs.sql).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { TAP_POINTS, type TapPointName } from '../../contract/api.ts';
import { badInput } from '../../contract/errors.ts';
import { inspectModel } from '../../services/activations/modelSummary.ts';
import { tokenPieces } from '../../services/activations/tokenPieces.ts';
import { runCommand, type GlobalOptions } from '../command-kit.ts';
import { parseLayerList, parseNumber, withEngineServices } from './activations-kit.ts';

interface TapsFlags {
  model: string;
  lora?: string;
  loraScale: number;
  prompt: string;
  layers: number[];
  point: TapPointName;
  out: string;
}

export interface TapsCommandResult {
  out: string;
  tokens: number;
  taps: { name: string; shape: [number, number] }[];
  bytes: number;
}

export function registerTapsCommand(program: Command): void {
  program
    .command('taps')
    .description('write the activations of one prompt at chosen layers to a .json file (float32, base64; see --out)')
    .requiredOption('--model <file>', 'the GGUF model')
    .option('--lora <file>', 'a LoRA adapter GGUF applied while tapping')
    .option('--lora-scale <s>', 'adapter scale', parseNumber('--lora-scale'), 1)
    .requiredOption('--prompt <text>', 'the prompt text (tokenized with the model, BOS added as the model wants)')
    .requiredOption('--layers <list>', 'comma-separated 0-based layers, like 0,5,11', parseLayerList('--layers'))
    .addOption(new Option('--point <point>', 'attn_out: attention output projection before the residual add; mlp_out: MLP down projection before the residual add; resid: the layer output').choices([...TAP_POINTS]).default('attn_out'))
    .requiredOption(
      '--out <file>',
      'a .json file: {"format": "soo-lab.taps", "tokens", "pieces", "taps": [{"name", "layer", "point", "shape": [n_tokens, width], "dtype": "float32", "byte_order": "little", "data": base64}]} (row-major; numpy: np.frombuffer(b64decode(data), "<f4").reshape(shape))',
    )
    .action(async (flags: TapsFlags, command: Command) => {
      await runCommand(command, (options) => taps(flags, options), (r) =>
        `wrote ${r.out}: ${r.tokens} tokens, ${r.taps.map((t) => `${t.name} [${t.shape.join(' x ')}]`).join(', ')} (${r.bytes.toLocaleString('en-US')} bytes)`);
    });
}

async function taps(flags: TapsFlags, options: GlobalOptions): Promise<TapsCommandResult> {
  if (!flags.out.endsWith('.json')) throw badInput(`--out must name a .json file, got "${flags.out}"`);
  if (flags.prompt === '') throw badInput('--prompt is empty');
  const model = await inspectModel(flags.model);
  const bad = flags.layers.find((l) => l >= model.layers);
  if (bad !== undefined) throw badInput(`--layers: layer ${bad} is not a layer of ${path.basename(model.path)} (it has layers 0..${model.layers - 1})`, { file: model.path });
  const adapter = flags.lora ? path.resolve(flags.lora) : null;
  process.stderr.write(
    `taps: model=${model.path} lora=${adapter ?? '-'} layers=${flags.layers.join(',')} point=${flags.point} threads=${options.threads ?? 'all cores'} out=${flags.out}\n`,
  );
  return withEngineServices(options, async (services) => {
    const [ids] = await services.engine.call('model.tokenize', { modelPath: model.path, texts: [flags.prompt] });
    process.stderr.write(`taps: ${ids!.length} tokens, decoding\n`);
    const result = await services.activations.taps({
      modelPath: model.path,
      prompts: [ids!],
      taps: flags.layers.map((layer) => ({ layer, point: flags.point })),
      ...(adapter ? { adapters: [{ path: adapter, scale: flags.loraScale }] } : {}),
      ...(options.threads ? { threads: options.threads } : {}),
    });
    const nTokens = result.nTokens[0]!;
    const written = flags.layers.map((layer, r) => {
      const data = result.activations[0]![r]!;
      return {
        name: `blocks.${layer}.hook_${flags.point}`,
        layer,
        point: flags.point,
        shape: [nTokens, result.widths[r]!] as [number, number],
        dtype: 'float32',
        byte_order: 'little',
        data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
      };
    });
    const file = {
      format: 'soo-lab.taps',
      version: 1,
      model: model.path,
      adapter,
      adapter_scale: adapter ? flags.loraScale : null,
      prompt: flags.prompt,
      tokens: Array.from(ids!),
      pieces: await tokenPieces(model.path, ids!),
      taps: written,
    };
    const text = `${JSON.stringify(file)}\n`;
    writeFileSync(flags.out, text);
    return { out: path.resolve(flags.out), tokens: nTokens, taps: written.map((t) => ({ name: t.name, shape: t.shape })), bytes: Buffer.byteLength(text) };
  });
}
