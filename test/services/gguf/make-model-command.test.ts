/**
 * `soo-lab make-model` through commander, as main.ts will wire it: --json output, the file it writes,
 * and bad input mapped to exit code 2 with the option named.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerMakeModelCommand } from '../../../electron/cli/commands/make-model.ts';
import { parsePositiveInt } from '../../../electron/cli/command-kit.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-make-model-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

/** Runs the command in-process; returns what it wrote and the exit code it set. */
async function run(args: string[]) {
  const program = new Command('soo-lab')
    .option('--json')
    .option('--db <path>')
    .option('--threads <n>', 'threads', parsePositiveInt('--threads'))
    .exitOverride()
    .configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerMakeModelCommand(program);
  let stdout = '';
  let stderr = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  let thrown: unknown;
  try {
    await program.parseAsync(['node', 'soo-lab', ...args]);
  } catch (error) {
    thrown = error;
  }
  vi.restoreAllMocks();
  return { stdout, stderr, exitCode: process.exitCode, thrown };
}

describe('soo-lab make-model', () => {
  it('writes the model and prints {"path","arch","params","bytes","type"} with --json', async () => {
    const out = path.join(dir, 'm.gguf');
    const r = await run(['--json', 'make-model', '--arch', 'qwen2', '--layers', '1', '--embd', '32', '--heads', '4', '--kv-heads', '2', '--ff', '64', '--type', 'q8_0', '--seed', '3', '--out', out]);
    expect(r.thrown).toBeUndefined();
    expect(r.exitCode).toBe(0);
    const result = JSON.parse(r.stdout.trim());
    expect(result).toEqual({ path: out, arch: 'qwen2', params: expect.any(Number), bytes: fs.statSync(out).size, type: 'q8_0' });
    expect(r.stderr).toContain('make-model: arch=qwen2 layers=1 embd=32 heads=4 kv_heads=2 ff=64');
    expect(r.stderr).toMatch(/make-model: 100% \(\d+\/\d+ tensors/);
    const info = await readGgufFileInfo(out, { logWarnings: false });
    const a = info.architectureMetadata as { block_count: number; attention: { head_count_kv: number } };
    expect([a.block_count, a.attention.head_count_kv]).toEqual([1, 2]);
    const params = info.tensorInfo!.reduce((n, t) => n + t.dimensions.map(Number).reduce((x, y) => x * y, 1), 0);
    expect(result.params).toBe(params);
  });

  it('exits with code 2 and names the problem on an impossible shape', async () => {
    const out = path.join(dir, 'bad.gguf');
    const r = await run(['--json', 'make-model', '--arch', 'llama', '--embd', '30', '--heads', '4', '--out', out]);
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout.trim()).error).toMatchObject({ code: 'bad_input', message: 'embd (30) must be a multiple of heads (4)' });
    expect(fs.existsSync(out)).toBe(false);
  });

  it('rejects an unknown --type and a missing --arch before doing anything', async () => {
    const badType = await run(['make-model', '--arch', 'llama', '--type', 'q5_0', '--out', path.join(dir, 'x.gguf')]);
    expect(String((badType.thrown as Error | undefined)?.message)).toMatch(/--type.*q5_0.*f32, f16, q8_0, q4_k/s);
    const noArch = await run(['make-model', '--out', path.join(dir, 'x.gguf')]);
    expect(String((noArch.thrown as Error | undefined)?.message)).toMatch(/--arch/);
    expect(fs.existsSync(path.join(dir, 'x.gguf'))).toBe(false);
  });
});
