/**
 * `soo-lab scenario ...`: scenario packs from the command line (contract: shared/docs/cli.md).
 *
 * File commands (no database): `check FILE`, `pairs FILE`, `render FILE`. A FILE that does not exist
 * but is a pack id (`burglar-house`) is looked up among the built-in and saved packs.
 * Database commands: `import FILE`, `export ID --out FILE`, `list`. All of them call the scenarios
 * service's modules; nothing here decides what a valid pack or a rendered prompt is.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { SooError, badInput, toErrorData, type ErrorIssue } from '../../contract/errors.ts';
import { identifier, type PairOptions, type ScenarioPack } from '../../contract/scenario-pack.ts';
import { createServices, type Services } from '../../services/index.ts';
import { RESOURCES_DIR } from '../../services/paths.ts';
import { DEFAULT_PAIR_COUNT, generatePairs } from '../../services/scenarios/generate.ts';
import { parseJsonText, withLines } from '../../services/scenarios/jsonText.ts';
import { DEFAULT_PROMPT_COUNT, renderPrompts } from '../../services/scenarios/render.ts';
import { loadPackFile, validatePack } from '../../services/scenarios/validate.ts';
import { MAIN_VARIANT } from '../../services/scenarios/variant.ts';
import { EXIT_BAD_INPUT, parseNonNegativeInt, parsePositiveInt, resolveDbPath, runCommand, type GlobalOptions } from '../command-kit.ts';

/** Defaults, in one place: the published recipe's sizes. */
const DEFAULTS = {
  /** Training/probe pairs per call: the published ~52. */
  pairs: DEFAULT_PAIR_COUNT,
  /** Test prompts per call: the published 250. */
  prompts: DEFAULT_PROMPT_COUNT,
  seed: 0,
} as const;

interface PairsFlags {
  n: number;
  seed: number;
  set: PairOptions['set'];
}

interface RenderFlags {
  n: number;
  seed: number;
  variant?: string;
  mirror?: boolean;
  honestyPrompt?: boolean;
}

export function registerScenarioCommands(program: Command): void {
  const scenario = program.command('scenario').description('check, generate and manage scenario packs (docs/scenario-packs.md)');

  scenario
    .command('check')
    .description('validate a scenario pack file; every problem is listed with its JSON path')
    .argument('<file>', 'scenario pack JSON file')
    .action(async (file: string, _flags: object, command: Command) => {
      await runCommand(command, async (options) => checkFile(file, options));
    });

  scenario
    .command('pairs')
    .description('print self/other pairs as JSONL: {"self", "other", "template", "values"}')
    .argument('<file>', 'scenario pack JSON file (or the id of a built-in or saved pack)')
    .option('--n <n>', 'number of pairs', parsePositiveInt('--n'), DEFAULTS.pairs)
    .option('--seed <s>', 'random seed; the same seed prints the same bytes', parseNonNegativeInt('--seed'), DEFAULTS.seed)
    .addOption(new Option('--set <set>', 'train: training templates and train values; probe: test wording and test values').choices(['train', 'probe']).default('train'))
    .action(async (file: string, flags: PairsFlags, command: Command) => {
      await runCommand(command, async (options) => {
        const pack = loadPack(file, options);
        writeJsonl(generatePairs(pack, { n: flags.n, seed: flags.seed, set: flags.set }));
        return undefined;
      });
    });

  scenario
    .command('render')
    .description('print test prompts as JSONL: {"prompt", "deceptive", "honest", "variant", "values", "mirrored"}')
    .argument('<file>', 'scenario pack JSON file (or the id of a built-in or saved pack)')
    .option('--n <n>', 'number of prompts', parsePositiveInt('--n'), DEFAULTS.prompts)
    .option('--seed <s>', 'random seed; the same seed prints the same bytes', parseNonNegativeInt('--seed'), DEFAULTS.seed)
    .option('--variant <id>', `variant id (default: ${MAIN_VARIANT}, the pack itself)`)
    .option('--mirror', 'use the mirror template (the honest option named first)')
    .option('--honesty-prompt', "prepend the pack's honesty prompt")
    .action(async (file: string, flags: RenderFlags, command: Command) => {
      await runCommand(command, async (options) => {
        const pack = loadPack(file, options);
        const variant = flags.variant ?? MAIN_VARIANT;
        const known = [MAIN_VARIANT, ...pack.variants.map((v) => v.id)];
        if (!known.includes(variant)) throw badInput(`--variant: pack "${pack.id}" has no variant "${variant}" (it has: ${known.join(', ')})`);
        if (flags.mirror && pack.test.mirrorTemplate === undefined) throw badInput(`--mirror: pack "${pack.id}" has no test.mirrorTemplate`, { path: '$.test.mirrorTemplate' });
        if (flags.honestyPrompt && pack.test.honestyPrompt === undefined) throw badInput(`--honesty-prompt: pack "${pack.id}" has no test.honestyPrompt`, { path: '$.test.honestyPrompt' });
        writeJsonl(renderPrompts(pack, { n: flags.n, seed: flags.seed, variant, mirror: !!flags.mirror, honestyPrompt: !!flags.honestyPrompt }));
        return undefined;
      });
    });

  scenario
    .command('import')
    .description('validate a pack file and save it in the database (replacing a saved pack with the same id)')
    .argument('<file>', 'scenario pack JSON file')
    .action(async (file: string, _flags: object, command: Command) => {
      await runCommand(
        command,
        async (options) => withServices(options, (services) => ({ ...services.scenarios.importText(file, readText(file)), db: resolveDbPath(options) })),
        (r) => `imported ${r.id} ("${r.name}") into ${r.db}`,
      );
    });

  scenario
    .command('export')
    .description('write a built-in or saved pack to a JSON file')
    .argument('<id>', 'pack id')
    .requiredOption('--out <file>', 'JSON file to write')
    .action(async (id: string, flags: { out: string }, command: Command) => {
      await runCommand(
        command,
        async (options) =>
          withServices(options, (services) => {
            const { text } = services.scenarios.exportText(id);
            writeFileSync(flags.out, text);
            return { id, file: flags.out, bytes: Buffer.byteLength(text) };
          }),
        (r) => `exported ${r.id} to ${r.file} (${r.bytes} bytes)`,
      );
    });

  scenario
    .command('list')
    .description('list the built-in and saved packs')
    .action(async (_flags: object, command: Command) => {
      await runCommand(
        command,
        async (options) => withServices(options, (services) => ({ packs: services.scenarios.list() })),
        ({ packs }) =>
          packs.length === 0
            ? 'no scenario packs'
            : packs.map((p) => `${p.id.padEnd(24)} ${p.source.padEnd(7)} ${p.kind.padEnd(9)} ${String(p.trainPairs).padStart(2)} train templates, ${p.variants} variants  ${p.name}`).join('\n'),
      );
    });
}

// ---- helpers ------------------------------------------------------------------------------------

interface CheckResult {
  ok: boolean;
  file: string;
  id: string | null;
  issues: ErrorIssue[];
}

/** `scenario check`: prints a summary (exit 0) or every issue as "FILE: $.path: message" (exit 2). */
function checkFile(file: string, options: GlobalOptions): CheckResult | undefined {
  let input: unknown;
  let text = '';
  const result: CheckResult = { ok: false, file, id: null, issues: [] };
  try {
    text = readText(file);
    input = parseJsonText(file, text);
  } catch (error) {
    const data = toErrorData(error);
    result.issues = data.issues ?? [{ path: '$', message: data.message }];
    return reportCheckFailure(result, options);
  }
  const { pack, issues } = validatePack(input);
  const rawId = (input as { id?: unknown } | null)?.id;
  result.id = typeof rawId === 'string' ? rawId : null;
  result.issues = withLines(issues, text);
  if (!pack) return reportCheckFailure(result, options);
  result.ok = true;
  if (options.json) return result;
  process.stdout.write(`${summarise(file, pack)}\n`);
  return undefined;
}

function reportCheckFailure(result: CheckResult, options: GlobalOptions): undefined {
  if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  // JSON syntax issues say "line L, column C" in their message; others get "(line L)" after the path.
  const lines = result.issues.map((i) => `${result.file}: ${i.path}${i.line && i.path !== '$' ? ` (line ${i.line})` : ''}: ${i.message}`);
  process.stderr.write(`${lines.join('\n')}\n${result.file}: ${result.issues.length} problem${result.issues.length === 1 ? '' : 's'}\n`);
  process.exitCode = EXIT_BAD_INPUT;
  return undefined;
}

function summarise(file: string, pack: ScenarioPack): string {
  const lists = Object.entries(pack.lists).map(([name, l]) => `${name} ${l.train.length}/${l.test.length}`);
  const yes = (v: unknown) => (v ? 'yes' : 'no');
  return [
    `${file}: ok`,
    `  ${pack.id}: "${pack.name}" (${pack.kind})`,
    `  pairs: ${pack.pairs.train.length} train templates, ${pack.pairs.probe.length} probe templates`,
    `  lists (train/test values): ${lists.join(', ')}`,
    `  decision: deceptive {${pack.test.decision.deceptive}}, honest {${pack.test.decision.honest}}`,
    `  mirror template: ${yes(pack.test.mirrorTemplate)}; honesty prompt: ${yes(pack.test.honestyPrompt)}; answer format: ${yes(pack.test.answerFormat)}`,
    `  variants: ${pack.variants.length ? pack.variants.map((v) => v.id).join(', ') : 'none'}`,
  ].join('\n');
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw badInput(`cannot read: ${code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { file });
  }
}

/**
 * A pack from a file, or (when no such file exists) the built-in or saved pack with that id. A
 * built-in pack is read from resources/ without opening the database.
 */
function loadPack(file: string, options: GlobalOptions): ScenarioPack {
  if (existsSync(file) || !identifier.safeParse(file).success) return loadPackFile(file);
  const builtin = path.join(RESOURCES_DIR, 'scenarios', `${file}.json`);
  if (existsSync(builtin)) return loadPackFile(builtin);
  try {
    return withServices(options, (services) => services.scenarios.resolve(file));
  } catch (error) {
    if (error instanceof SooError && error.code === 'not_found') {
      throw badInput('no such file, and no built-in or saved pack has this id', { file, hint: 'soo-lab scenario list shows the packs there are' });
    }
    throw error;
  }
}

function withServices<T>(options: GlobalOptions, fn: (services: Services) => T): T {
  const services = createServices({ dbPath: resolveDbPath(options) });
  try {
    return fn(services);
  } finally {
    services.dispose();
  }
}

function writeJsonl(items: readonly unknown[]): void {
  process.stdout.write(items.map((item) => `${JSON.stringify(item)}\n`).join(''));
}
