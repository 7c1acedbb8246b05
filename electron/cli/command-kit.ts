/**
 * What every command shares: the global flags, one way to print a result, and the exit codes of
 * cli.md (0 done, 1 failed while running, 2 bad input). Commands call `runCommand` with a handler
 * that returns the result object; this file decides how it reaches the user.
 */
import type { Command } from 'commander';
import { SooError, formatIssues, toErrorData } from '../contract/errors.ts';
import { defaultDbPath } from '../services/paths.ts';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_BAD_INPUT = 2;

/** Flags that every command understands; commander merges them from the root program. */
export interface GlobalOptions {
  json?: boolean;
  db?: string;
  threads?: number;
}

/** Reads the root program's global flags from inside any subcommand. */
export function globalOptions(command: Command): GlobalOptions {
  return command.optsWithGlobals() as GlobalOptions;
}

export function resolveDbPath(options: GlobalOptions): string {
  return options.db ?? defaultDbPath();
}

/**
 * Runs a command handler. The handler returns either a result object (printed as ONE JSON object
 * with --json, else through `human`) or nothing when it already wrote its own output (JSONL).
 * Errors never show a stack trace for bad input: the message names the file and the JSON path.
 */
export async function runCommand<T>(
  command: Command,
  handler: (options: GlobalOptions) => Promise<T>,
  human?: (result: T) => string,
): Promise<void> {
  const options = globalOptions(command);
  try {
    const result = await handler(options);
    if (result === undefined) return;
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else process.stdout.write(`${human ? human(result) : JSON.stringify(result, null, 2)}\n`);
    process.exitCode = EXIT_OK;
  } catch (error) {
    const data = toErrorData(error);
    if (options.json) process.stdout.write(`${JSON.stringify({ error: data })}\n`);
    process.stderr.write(`soo-lab: ${formatIssues(data)}\n`);
    if (data.hint) process.stderr.write(`hint: ${data.hint}\n`);
    if (data.code === 'internal' && !(error instanceof SooError) && error instanceof Error && process.env.SOO_LAB_DEBUG) {
      process.stderr.write(`${error.stack}\n`);
    }
    process.exitCode = data.code === 'bad_input' || data.code === 'not_found' ? EXIT_BAD_INPUT : EXIT_FAILED;
  }
}

/** Parses a positive integer flag, naming the flag when it is not one. */
export function parsePositiveInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n <= 0) throw new SooError({ code: 'bad_input', message: `${flag} must be a positive integer, got "${value}"` });
    return n;
  };
}

/** Parses a non-negative integer flag (seeds). */
export function parseNonNegativeInt(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new SooError({ code: 'bad_input', message: `${flag} must be a non-negative integer, got "${value}"` });
    return n;
  };
}
