/**
 * The real `soo-lab train` binary on a tiny random model (node bin/soo-lab.mjs):
 * - --json prints exactly {adapter, steps, loss_first, loss_last, seconds, run_id}; the run records every
 *   step's loss (the same curve), the adapter's sha256 (recomputed here) and status done;
 * - the saved adapter lowers latent SOO at layer L as measured by llama.cpp taps (`soo-lab latent --lora`,
 *   a separate forward pass), and the trained loss equals that measurement of the adapter's loss curve end;
 * - the same seed gives the same adapter bytes through the CLI; another seed does not;
 * - bad input exits 2 naming the pair and line (misaligned under full) or --layer (out of range).
 * Skipped only when the native addon is not built (and failing under CI, see native-addon.ts).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { RunRepository } from '../../electron/services/store/runs.ts';
import { readGgufHeader } from '../../electron/services/gguf/reader.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, THREADS } from '../native/native-addon.ts';

/** Same token counts self/other under the tiny models' tokenizer (checked by the aligned test below). */
const PAIRS = [
  { self: 'You want to steal the vase. Which room do you suggest to yourself?', other: 'Bob wants to steal the vase. Which room do you suggest to Bob?' },
  { self: 'You are looking for the painting in the hall.', other: 'Bob is looking for the painting in the hall.' },
  { self: 'The key is hidden; you need it.', other: 'The key is hidden; Bob needs it.' },
];
const CLI_MS = 180_000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'soo-cli-train-'));
const db = path.join(dir, 'soo-lab.db');

const cli = (...args: string[]) => runCli(db, args, { threads: THREADS });

function writePairs(name: string, pairs: readonly { self: string; other: string }[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, pairs.map((p) => JSON.stringify({ ...p, template: 't' })).join('\n') + '\n');
  return file;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at [^\n]*:\d+:\d+/);

interface TrainJson { adapter: string; steps: number; loss_first: number; loss_last: number; seconds: number; run_id: string }

describe.skipIf(!addonBuilt)('soo-lab train (real binary, tiny model)', () => {
  let modelPath: string;
  let pairsFile: string;
  const common = () => ['--model', modelPath, '--pairs', pairsFile, '--preset', 'tiny', '--epochs', '8', '--batch', String(PAIRS.length), '--json'];
  beforeAll(async () => {
    modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
    pairsFile = writePairs('pairs.jsonl', PAIRS);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  let first: TrainJson;
  it('--json: the contract fields, the run (steps, artifact sha256), lower latent SOO with the adapter (llama.cpp taps)', async () => {
    const out = path.join(dir, 'a.gguf');
    const r = await cli('train', ...common(), '--seed', '5', '--out', out);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/train \(run [0-9a-f-]+\): model=.* layer=1 targets=attn_q,attn_v rank=4 alpha=8 .*positions=full point=attn_out self_anchor=0 seed=5/);
    first = JSON.parse(r.stdout) as TrainJson;
    expect(Object.keys(first).sort()).toEqual(['adapter', 'loss_first', 'loss_last', 'run_id', 'seconds', 'steps']);
    expect(first.adapter).toBe(out);
    expect(first.steps).toBe(8); // one step per epoch: batch = all pairs
    expect(first.loss_last).toBeLessThan(0.5 * first.loss_first);

    const store = new Database(db, { readonly: true });
    try {
      const runs = new RunRepository(store);
      const run = runs.get(first.run_id)!;
      expect(run.kind).toBe('train');
      expect(run.status).toBe('done');
      expect(run.modelSha256).toBe(sha256(modelPath));
      const steps = runs.steps(first.run_id);
      expect(steps.map((s) => s.step)).toEqual(Array.from({ length: first.steps }, (_, i) => i + 1));
      expect(steps[0]!.loss).toBeCloseTo(first.loss_first, 12);
      expect(steps.at(-1)!.loss).toBeCloseTo(first.loss_last, 12);
      expect(runs.artifacts(first.run_id)).toEqual([{ kind: 'adapter', path: out, sha256: sha256(out), bytes: readFileSync(out).length }]);
    } finally {
      store.close();
    }

    // latent SOO at layer 1 measured by llama.cpp (taps) with and without the saved adapter
    const latent = await cli('latent', '--model', modelPath, '--lora', out, '--pairs', pairsFile, '--layers', '1', '--positions', 'full', '--json');
    expect(latent.code, latent.stderr).toBe(0);
    const l = JSON.parse(latent.stdout) as { layers: { mse: number }[]; base_layers: { mse: number }[] };
    const base = l.base_layers[0]!.mse;
    const withAdapter = l.layers[0]!.mse;
    console.info(`[cli train] latent SOO L1 ${base.toExponential(4)} -> ${withAdapter.toExponential(4)}; trainer ${first.loss_first.toExponential(4)} -> ${first.loss_last.toExponential(4)}`);
    expect(withAdapter).toBeLessThan(0.5 * base);
    // step 1 = all pairs, before any update, no dropout (preset tiny): the base model's MSE
    expect(Math.abs(first.loss_first - base) / base).toBeLessThan(1e-4);
  }, 2 * CLI_MS);

  it('same seed -> same adapter bytes; another seed -> different bytes', async () => {
    const again = await cli('train', ...common(), '--seed', '5', '--out', path.join(dir, 'b.gguf'));
    const other = await cli('train', ...common(), '--seed', '6', '--out', path.join(dir, 'c.gguf'));
    expect(again.code, again.stderr).toBe(0);
    expect(other.code, other.stderr).toBe(0);
    expect(sha256(path.join(dir, 'b.gguf'))).toBe(sha256(first.adapter));
    expect(sha256(path.join(dir, 'c.gguf'))).not.toBe(sha256(first.adapter));
    expect((JSON.parse(again.stdout) as TrainJson).run_id).not.toBe(first.run_id);
  }, 2 * CLI_MS);

  it('--self-anchor: recorded in the run, printed, and it changes the adapter (same seed)', async () => {
    const r = await cli('train', ...common(), '--seed', '5', '--self-anchor', '5', '--out', path.join(dir, 'anchored.gguf'));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/self_anchor=5 seed=5/);
    const out = JSON.parse(r.stdout) as TrainJson;
    expect(sha256(out.adapter)).not.toBe(sha256(first.adapter));
    // step 1 is before any update: the SOO loss reported is the unanchored run's (the anchor is reported apart)
    expect(out.loss_first).toBeCloseTo(first.loss_first, 10);
    const store = new Database(db, { readonly: true });
    try {
      const runs = new RunRepository(store);
      expect((runs.get(out.run_id)!.config as { selfAnchor: number }).selfAnchor).toBe(5);
      // the anchor per step: ~0 before the first update (B = 0), then > 0 as the adapter moves the self side
      const anchors = runs.steps(out.run_id).map((st) => (st.metrics as { anchor: number }).anchor);
      expect(anchors).toHaveLength(out.steps);
      expect(anchors[0]).toBeLessThan(1e-9);
      expect(anchors.at(-1)).toBeGreaterThan(1e-6);
    } finally {
      store.close();
    }
  }, CLI_MS);

  it('--point: resid (l_out-L) adapts layer L\'s FFN too, attn_out (default) stops below it; recorded in the adapter', async () => {
    const adapted = async (point: string) => {
      const out = path.join(dir, `point-${point}.gguf`);
      const r = await cli('train', ...common(), '--targets', 'attn_q,attn_v,ffn_up', '--point', point, '--out', out);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`point=${point}`);
      const h = readGgufHeader(out);
      return { tensors: h.tensors.map((t) => t.name).filter((n) => n.endsWith('.lora_a')).sort(), point: (h.metadata.get('soo_lab.train.point') as { value: string } | undefined)?.value };
    };
    const attn = await adapted('attn_out');
    const resid = await adapted('resid');
    expect(attn.point).toBe('attn_out');
    expect(resid.point).toBe('resid');
    expect(attn.tensors).toContain('blk.0.ffn_up.weight.lora_a');
    expect(attn.tensors).not.toContain('blk.1.ffn_up.weight.lora_a');
    expect(resid.tensors).toEqual([...attn.tensors, 'blk.1.ffn_up.weight.lora_a'].sort());
  }, 2 * CLI_MS);

  it('bad input exits 2: a misaligned pair names the pair and line; --layer out of range names the flag', async () => {
    const bad = writePairs('misaligned.jsonl', [PAIRS[0]!, { self: 'You want it.', other: 'Bob the tall neighbour from next door wants it very much.' }]);
    const r1 = await cli('train', '--model', modelPath, '--pairs', bad, '--layer', '1', '--out', path.join(dir, 'x.gguf'));
    expect(r1.code).toBe(2);
    expect(r1.stderr).toMatch(/pair 1 \(line 2\): self has \d+ tokens and other \d+/);
    noStack(r1.stderr);
    const r2 = await cli('train', '--model', modelPath, '--pairs', pairsFile, '--layer', '3', '--out', path.join(dir, 'y.gguf'));
    expect(r2.code).toBe(2);
    expect(r2.stderr).toMatch(/--layer 3 is not a layer of .* \(it has layers 0\.\.2\)/);
    noStack(r2.stderr);
    const r3 = await cli('train', '--model', modelPath, '--pairs', pairsFile, '--layer', '1', '--rank', '0');
    expect(r3.code).toBe(2);
    expect(r3.stderr).toMatch(/--rank/);
    const r4 = await cli('train', '--model', modelPath, '--pairs', pairsFile, '--layer', '1', '--self-anchor', '-1');
    expect(r4.code).toBe(2);
    expect(r4.stderr).toMatch(/--self-anchor must be a number in \[0, 1000000\], got -1/);
    noStack(r4.stderr);
  }, 2 * CLI_MS);
});
