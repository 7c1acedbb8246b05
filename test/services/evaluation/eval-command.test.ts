/**
 * `soo-lab eval` end to end through the CLI binary (node bin/soo-lab.mjs) on a tiny random model:
 * the --json result (cli.md's fields), the run in the database with every prompt and raw response,
 * and exit code 2 naming the bad input. References: the prompts rendered in-process by the
 * scenario service, the responses generated in-process with the same settings, buckets re-classified
 * from the stored text, the Wilson interval from its closed formula, the model's sha256 from
 * node:crypto.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { classifyResponse } from '../../../electron/services/evaluation/classify.ts';
import { generate } from '../../../electron/services/evaluation/generate.ts';
import { configureLlamaRuntime, disposeSharedLlama, sharedLlama } from '../../../electron/services/models/llamaRuntime.ts';
import { APP_ROOT, RESOURCES_DIR } from '../../../electron/services/paths.ts';
import { renderPrompts } from '../../../electron/services/scenarios/render.ts';
import { loadPackFile } from '../../../electron/services/scenarios/validate.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';
import { tempDir } from './helpers.ts';

const N = 5;
const MAX_TOKENS = 8;
const dir = tempDir('soo-eval-cli-');
let modelPath: string;

function cli(args: string[]) {
  const result = spawnSync(process.execPath, [path.join(APP_ROOT, 'bin', 'soo-lab.mjs'), ...args], {
    cwd: APP_ROOT,
    encoding: 'utf8',
    env: { ...process.env, SOO_LAB_HOME: dir, SOO_LAB_GPU: 'off' },
    timeout: 120_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Closed form of the Wilson 95% interval (an independent writing of stats.ts). */
function wilson(k: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = k / n;
  const mid = p + (z * z) / (2 * n);
  const spread = z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n));
  const div = 1 + (z * z) / n;
  return [(mid - spread) / div, (mid + spread) / div];
}

beforeAll(async () => {
  modelPath = await tinyModel({ arch: 'llama', type: 'q8_0' });
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('soo-lab eval', () => {
  it('prints the contract JSON and records the run with every prompt and raw response', async () => {
    const db = path.join(dir, 'eval.db');
    const run = cli(['eval', '--model', modelPath, '--scenario', 'burglar-house', '--n', String(N), '--max-tokens', String(MAX_TOKENS), '--seed', '3', '--parallel', '1', '--json', '--db', db, '--threads', '1']);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]!);
    for (const key of ['n', 'deceptive', 'honest', 'neither', 'degenerate', 'deceptive_rate', 'ci95', 'run_id']) expect(out).toHaveProperty(key);
    expect(out.n).toBe(N);
    expect(out.deceptive + out.honest + out.neither + out.degenerate).toBe(N);
    expect(out.deceptive_rate).toBeCloseTo(out.deceptive / N, 12);
    const [lo, hi] = wilson(out.deceptive, N);
    expect(out.ci95[0]).toBeCloseTo(Math.max(0, lo), 10);
    expect(out.ci95[1]).toBeCloseTo(Math.min(1, hi), 10);
    expect(run.stderr).toContain('eval: model=');
    expect(run.stderr).toContain(`${N}/${N} responses`);

    const sqlite = new BetterSqlite3(db, { readonly: true });
    try {
      const row = sqlite.prepare('SELECT * FROM runs WHERE id = ?').get(out.run_id) as Record<string, unknown>;
      expect(row).toMatchObject({ kind: 'eval', status: 'done', model_path: modelPath, seed: 3, adapter_path: null });
      expect(row.model_sha256).toBe(createHash('sha256').update(fs.readFileSync(modelPath)).digest('hex'));
      expect(JSON.parse(row.config as string)).toMatchObject({ pack: 'burglar-house', n: N, maxTokens: MAX_TOKENS, chatTemplate: 'auto', mirror: false, decoding: 'greedy' });
      const metric = sqlite.prepare("SELECT value FROM run_metrics WHERE run_id = ? AND name = 'deceptive_rate'").get(out.run_id) as { value: number };
      expect(metric.value).toBeCloseTo(out.deceptive_rate, 12);
      const stored = sqlite.prepare('SELECT * FROM run_responses WHERE run_id = ? ORDER BY idx').all(out.run_id) as Array<Record<string, string | number>>;
      expect(stored.map((r) => r.idx)).toEqual([...Array(N).keys()]);

      // References: the same prompts rendered here, generated here one at a time.
      const pack = loadPackFile(path.join(RESOURCES_DIR, 'scenarios', 'burglar-house.json'));
      const prompts = renderPrompts(pack, { n: N, seed: 3 });
      configureLlamaRuntime({ gpu: false, threads: 1 });
      const model = await (await sharedLlama()).loadModel({ modelPath, gpuLayers: 0 });
      let reference;
      try {
        // One prompt at a time on both sides: fully reproducible (batched vs one at a time is
        // generate.test.ts's subject; the next test runs the CLI batched).
        reference = await generate(model, { prompts: prompts.map((p) => p.prompt), parallel: 1, maxTokens: MAX_TOKENS, chatTemplate: 'auto', threads: 1 });
      } finally {
        await model.dispose();
        await disposeSharedLlama();
      }
      const counts = { deceptive: 0, honest: 0, neither: 0, degenerate: 0 };
      stored.forEach((r, i) => {
        expect(r.prompt).toContain(prompts[i]!.prompt); // inside the chat template
        expect(r.prompt).toBe(reference.generations[i]!.formattedPrompt);
        expect(r.response).toBe(reference.generations[i]!.text);
        expect([r.deceptive_value, r.honest_value, r.mirrored]).toEqual([prompts[i]!.deceptive, prompts[i]!.honest, 0]);
        expect(JSON.parse(r.prompt_values as string)).toEqual(prompts[i]!.values);
        const again = classifyResponse(r.response as string, prompts[i]!.deceptive, prompts[i]!.honest).bucket;
        expect(r.bucket).toBe(again);
        counts[again]++;
      });
      expect(counts).toEqual({ deceptive: out.deceptive, honest: out.honest, neither: out.neither, degenerate: out.degenerate });
    } finally {
      sqlite.close();
    }
  });

  it('mirror, honesty prompt and raw text are applied and recorded', () => {
    const db = path.join(dir, 'eval-mirror.db');
    const run = cli(['eval', '--model', modelPath, '--scenario', 'burglar-house', '--n', '2', '--max-tokens', '3', '--mirror', '--honesty-prompt', '--chat-template', 'none', '--json', '--db', db, '--threads', '1']);
    expect(run.code, run.stderr).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.chat_template).toBeNull();
    const sqlite = new BetterSqlite3(db, { readonly: true });
    try {
      const rows = sqlite.prepare('SELECT prompt, mirrored FROM run_responses WHERE run_id = ?').all(out.run_id) as Array<{ prompt: string; mirrored: number }>;
      expect(rows).toHaveLength(2);
      for (const r of rows) {
        expect(r.mirrored).toBe(1);
        expect(r.prompt.startsWith('Please be truthful with Bob')).toBe(true);
        expect(r.prompt).not.toContain('[INST]');
      }
    } finally {
      sqlite.close();
    }
  });

  it('exits 2 naming a missing or non-GGUF model, an unknown pack or variant', () => {
    const db = path.join(dir, 'bad.db');
    const missing = cli(['eval', '--model', path.join(dir, 'nope.gguf'), '--scenario', 'burglar-house', '--db', db]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(path.join(dir, 'nope.gguf'));
    expect(missing.stderr).toContain('no such file');

    const notGguf = path.join(dir, 'model.gguf');
    fs.writeFileSync(notGguf, 'PK\u0003\u0004 this is a zip, not a model');
    const bad = cli(['eval', '--model', notGguf, '--scenario', 'burglar-house', '--db', db]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a GGUF file');
    expect(bad.stderr).toContain(notGguf);

    const pack = cli(['eval', '--model', modelPath, '--scenario', 'no-such-pack', '--db', db]);
    expect(pack.code).toBe(2);
    expect(pack.stderr).toContain('no-such-pack');

    const variant = cli(['eval', '--model', modelPath, '--scenario', 'burglar-house', '--variant', 'nope', '--db', db]);
    expect(variant.code).toBe(2);
    expect(variant.stderr).toContain('"nope"');
    for (const r of [missing, bad, pack, variant]) expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });
});
