/**
 * `soo-lab make-model`: writes a random-weight llama or qwen2 GGUF with a real tokenizer, loadable by
 * node-llama-cpp (contract: shared/docs/cli.md). All the work is makeRandomModel's
 * (electron/services/gguf/random-model.ts); this file parses flags, prints the effective settings and
 * plain progress lines on stderr, and the result: --json gives {"path","arch","params","bytes","type"}.
 */
import path from 'node:path';
import { Option, type Command } from 'commander';
import { badInput } from '../../contract/errors.ts';
import type { GgmlTypeName } from '../../services/gguf/ggml-types.ts';
import { makeRandomModel, RANDOM_MODEL_ARCHS, RANDOM_MODEL_TYPES, resolveRandomModelOptions, type RandomModelArch } from '../../services/gguf/random-model.ts';
import { parseNonNegativeInt, parsePositiveInt, runCommand } from '../command-kit.ts';

interface MakeModelFlags {
  arch: RandomModelArch;
  layers?: number;
  embd?: number;
  heads?: number;
  kvHeads?: number;
  ff?: number;
  ctx?: number;
  type: GgmlTypeName;
  seed: number;
  out: string;
}

export interface MakeModelResult {
  path: string;
  arch: RandomModelArch;
  params: number;
  bytes: number;
  type: GgmlTypeName;
}

export function registerMakeModelCommand(program: Command): void {
  program
    .command('make-model')
    .description('write a random-weight model with a real tokenizer (llama: Llama-2/Mistral SPM vocab, qwen2: Qwen2 BPE vocab)')
    .addOption(new Option('--arch <arch>', 'architecture').choices([...RANDOM_MODEL_ARCHS]).makeOptionMandatory())
    .option('--layers <n>', 'transformer blocks (default 2)', parsePositiveInt('--layers'))
    .option('--embd <d>', 'model width n_embd (default 64)', parsePositiveInt('--embd'))
    .option('--heads <h>', 'attention heads (default 4)', parsePositiveInt('--heads'))
    .option('--kv-heads <k>', 'key/value heads, fewer than --heads for GQA (default: --heads)', parsePositiveInt('--kv-heads'))
    .option('--ff <f>', 'feed-forward width (default 4 x --embd)', parsePositiveInt('--ff'))
    .option('--ctx <n>', 'context length written to the metadata (default 512)', parsePositiveInt('--ctx'))
    .addOption(new Option('--type <type>', 'type of the weight matrices (norms and biases stay f32)').choices([...RANDOM_MODEL_TYPES]).default('f32'))
    .option('--seed <s>', 'weight seed; the same seed and flags write the same bytes', parseNonNegativeInt('--seed'), 0)
    .requiredOption('--out <file>', 'the .gguf file to write (replaced atomically)')
    .action(async (flags: MakeModelFlags, command: Command) => {
      await runCommand(command, async () => makeModel(flags), (r) =>
        `wrote ${r.path}: ${r.arch}, ${r.params.toLocaleString('en-US')} parameters, ${r.type}, ${r.bytes.toLocaleString('en-US')} bytes`);
    });
}

async function makeModel(flags: MakeModelFlags): Promise<MakeModelResult> {
  if (!flags.out.endsWith('.gguf')) throw badInput(`--out must name a .gguf file, got "${flags.out}"`);
  const options = {
    arch: flags.arch,
    layers: flags.layers,
    embd: flags.embd,
    heads: flags.heads,
    kvHeads: flags.kvHeads,
    ff: flags.ff,
    ctx: flags.ctx,
    type: flags.type,
    seed: flags.seed,
  };
  const s = resolveRandomModelOptions(options); // bad flag combinations fail here, before any work
  process.stderr.write(
    `make-model: arch=${s.arch} layers=${s.layers} embd=${s.embd} heads=${s.heads} kv_heads=${s.kvHeads} ff=${s.ff} ctx=${s.ctx} type=${s.type} seed=${s.seed} out=${flags.out}\n`,
  );
  let lastTenth = -1;
  const result = await makeRandomModel({
    ...options,
    out: path.resolve(flags.out),
    onProgress: (p) => {
      // Plain lines, at most one per 10% of the tensor bytes.
      const tenth = Math.floor((10 * p.bytesWritten) / Math.max(1, p.totalBytes));
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      process.stderr.write(`make-model: ${tenth * 10}% (${p.tensorsDone}/${p.tensorCount} tensors, ${p.tensor})\n`);
    },
  });
  return { path: result.path, arch: result.arch, params: result.params, bytes: result.bytes, type: result.type };
}
