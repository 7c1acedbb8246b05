/**
 * Runs the real `soo-lab` binary (bin/soo-lab.mjs) as a child process on a test database and
 * collects its output: what the CLI tests assert on (exit code, --json stdout, progress on stderr).
 */
import { spawn } from 'node:child_process';
import { APP_ROOT } from '../../electron/services/paths.ts';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** --threads N before the command (omitted when absent). */
  threads?: number;
  /** Own process group, so `process.kill(-pid, 'SIGKILL')` also reaches the engine process. */
  detached?: boolean;
  onSpawn?: (pid: number) => void;
}

/** `soo-lab --db <db> [--threads N] <args>` with stack traces off and the GPU off. */
export function runCli(db: string, args: string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const threads = options.threads === undefined ? [] : ['--threads', String(options.threads)];
    const child = spawn(process.execPath, ['bin/soo-lab.mjs', '--db', db, ...threads, ...args], {
      cwd: APP_ROOT,
      env: { ...process.env, SOO_LAB_DEBUG: '', SOO_LAB_GPU: 'off' },
      detached: options.detached ?? false,
    });
    options.onSpawn?.(child.pid!);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}
