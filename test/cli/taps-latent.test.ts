/**
 * The real `soo-lab taps` and `soo-lab latent` binaries on a tiny random model (node bin/soo-lab.mjs):
 * - latent on identical self/other pairs gives 0 at every layer;
 * - latent --positions last/mean equals ActivationsService.latent on the same pairs (in this process,
 *   its own engine), and the run it records holds the same numbers;
 * - latent 'full' of one pair equals the MSE computed here from two `taps` files (an independent path:
 *   raw activations decoded from the file's base64 float32, plain loops);
 * - bad flags and bad files exit 2 with a message naming the flag, the file or the line.
 * Skipped only when the native addon is not built.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import Database from 'better-sqlite3';
import { ActivationsService } from '../../electron/services/activations/activationsService.ts';
import { EngineClient } from '../../electron/services/engine/engineClient.ts';
import { RunRepository } from '../../electron/services/store/runs.ts';
import { tinyModel } from '../helpers/tiny-models.ts';
import { addonBuilt, THREADS } from '../native/native-addon.ts';

const PAIRS = [
  { self: 'You want to steal the vase. Which room do you suggest to yourself?', other: 'Bob wants to steal the vase. Which room do you suggest to Bob?' },
  { self: 'You are looking for the painting in the hall.', other: 'Bob is looking for the painting in the hall.' },
  { self: 'The key is hidden; you need it.', other: 'The key is hidden; Bob needs it.' },
];
/** Float32 activations, sums in float64 on both sides: only summation order differs. */
const REL_TOL = 1e-9;
/** A CLI run starts tsx and the engine process: seconds each on the 2-core machine. */
const CLI_MS = 120_000;

const dir = mkdtempSync(path.join(os.tmpdir(), 'soo-cli-latent-'));
const db = path.join(dir, 'soo-lab.db');

const cli = (...args: string[]) => runCli(db, args, { threads: THREADS });

function writePairs(name: string, pairs: readonly { self: string; other: string }[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, pairs.map((p) => JSON.stringify({ ...p, template: 't' })).join('\n') + '\n');
  return file;
}

interface LatentJson {
  layers: { layer: number; mse: number; std: number }[];
  pairs: number;
  positions: string;
  run_id: string;
}

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at [^\n]*:\d+:\d+/);

describe.skipIf(!addonBuilt)('soo-lab latent and taps (real binary, tiny model)', () => {
  let modelPath: string;
  let engine: EngineClient;
  let activations: ActivationsService;

  beforeAll(async () => {
    modelPath = await tinyModel({ arch: 'llama', type: 'f32', layers: 3, kvHeads: 2 });
    engine = new EngineClient();
    activations = new ActivationsService(engine);
  }, CLI_MS);
  afterAll(async () => {
    await engine?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('identical self and other prompts give 0 at every layer', { timeout: CLI_MS }, async () => {
    const file = writePairs('same.jsonl', PAIRS.map((p) => ({ self: p.self, other: p.self })));
    const r = await cli('--json', 'latent', '--model', modelPath, '--pairs', file);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as LatentJson;
    expect(out.pairs).toBe(PAIRS.length);
    expect(out.positions).toBe('full');
    expect(out.layers.map((l) => l.layer)).toEqual([0, 1, 2]);
    for (const l of out.layers) expect(l.mse, `layer ${l.layer}`).toBeLessThanOrEqual(1e-12);
    expect(r.stderr).toMatch(/latent: base: layers 0-2 100% \(\d+\/\d+ tokens\)/); // plain progress lines
  });

  for (const positions of ['last', 'mean'] as const) {
    it(`--positions ${positions} equals ActivationsService.latent, and the recorded run holds the numbers`, { timeout: CLI_MS }, async () => {
      const file = writePairs(`pairs-${positions}.jsonl`, PAIRS);
      const r = await cli('--json', 'latent', '--model', modelPath, '--pairs', file, '--positions', positions, '--layers', '0,2');
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout) as LatentJson;
      expect(out.positions).toBe(positions);
      const ref = await activations.latent({ modelPath, pairs: PAIRS, layers: [0, 2], point: 'attn_out', positions, threads: THREADS });
      expect(out.layers.map((l) => l.layer)).toEqual([0, 2]);
      out.layers.forEach((l, i) => {
        expect(l.mse).toBeGreaterThan(0);
        expect(Math.abs(l.mse - ref.layers[i]!.mean) / ref.layers[i]!.mean).toBeLessThan(REL_TOL);
      });

      const database = new Database(db, { readonly: true });
      try {
        const runs = new RunRepository(database);
        const run = runs.get(out.run_id)!;
        expect(run.kind).toBe('latent');
        expect(run.status).toBe('done');
        expect(run.modelPath).toBe(modelPath);
        expect((run.config as { positions: string }).positions).toBe(positions);
        const metrics = new Map(runs.metrics(out.run_id).map((m) => [m.name, m.value]));
        expect(metrics.get('latent_mse.base.layer_0')).toBe(out.layers[0]!.mse);
        expect(metrics.get('latent_mse.base.layer_2')).toBe(out.layers[1]!.mse);
      } finally {
        database.close();
      }
    });
  }

  it("'full' of one pair equals the MSE of the activations in two taps files", { timeout: 3 * CLI_MS }, async () => {
    const pair = PAIRS[1]!;
    const read = async (name: string, prompt: string) => {
      const out = path.join(dir, name);
      const r = await cli('taps', '--model', modelPath, '--prompt', prompt, '--layers', '1', '--point', 'mlp_out', '--out', out);
      expect(r.code, r.stderr).toBe(0);
      const file = JSON.parse(readFileSync(out, 'utf8'));
      expect(file.format).toBe('soo-lab.taps');
      expect(file.tokens.length).toBe(file.pieces.length);
      const tap = file.taps[0];
      expect(tap.name).toBe('blocks.1.hook_mlp_out');
      expect(tap.shape).toEqual([file.tokens.length, 64]);
      const bytes = Buffer.from(tap.data, 'base64');
      expect(bytes.length).toBe(tap.shape[0] * tap.shape[1] * 4);
      return { shape: tap.shape as [number, number], values: Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(4 * i)) };
    };
    const self = await read('self.json', pair.self);
    const other = await read('other.json', pair.other);
    expect(self.shape).toEqual(other.shape); // the pair is written to align
    let sum = 0;
    for (let k = 0; k < self.values.length; k++) sum += (self.values[k]! - other.values[k]!) ** 2;
    const expected = sum / self.values.length;

    const r = await cli('--json', 'latent', '--model', modelPath, '--pairs', writePairs('one.jsonl', [pair]), '--layers', '1', '--point', 'mlp_out');
    expect(r.code, r.stderr).toBe(0);
    const mse = (JSON.parse(r.stdout) as LatentJson).layers[0]!.mse;
    expect(expected).toBeGreaterThan(0);
    expect(Math.abs(mse - expected) / expected).toBeLessThan(1e-6); // batched vs single-prompt decode
  });

  it('bad flags and files exit 2 naming the flag, the file or the line', { timeout: 3 * CLI_MS }, async () => {
    const good = writePairs('good.jsonl', PAIRS);
    const badLine = path.join(dir, 'bad.jsonl');
    writeFileSync(badLine, `${JSON.stringify(PAIRS[0])}\n{"self": "only self"}\n`);
    const notJson = path.join(dir, 'broken.jsonl');
    writeFileSync(notJson, `${JSON.stringify(PAIRS[0])}\n\n{oops\n`);
    const cases: [string[], RegExp][] = [
      [['latent', '--model', modelPath, '--pairs', good, '--positions', 'middle'], /--positions.*middle/],
      [['latent', '--model', modelPath, '--pairs', good, '--layers', '0,x'], /--layers must be comma-separated/],
      [['latent', '--model', modelPath, '--pairs', good, '--layers', '7'], /--layers: layer 7 is not a layer .* 0\.\.2/],
      [['latent', '--model', modelPath, '--pairs', badLine], new RegExp(`${badLine.replace(/[.]/g, '\\.')}:2: .*"other"`)],
      [['latent', '--model', modelPath, '--pairs', notJson], new RegExp(`${notJson.replace(/[.]/g, '\\.')}:3: not JSON`)],
      [['latent', '--model', path.join(dir, 'missing.gguf'), '--pairs', good], /model file not found: .*missing\.gguf/],
      [['latent', '--model', good, '--pairs', good], /not a readable GGUF model: .*good\.jsonl/],
      [['latent', '--model', modelPath, '--pairs', good, '--lora', path.join(dir, 'nope.gguf')], /--lora: no such file/],
      [['latent', '--model', modelPath], /--pairs/],
      [['taps', '--model', modelPath, '--prompt', 'hi', '--layers', '0', '--out', path.join(dir, 'x.txt')], /--out must name a \.json file/],
      [['taps', '--model', modelPath, '--prompt', 'hi', '--layers', '3', '--out', path.join(dir, 'x.json')], /--layers: layer 3/],
      [['taps', '--model', modelPath, '--prompt', 'hi', '--layers', '0', '--point', 'kqv', '--out', path.join(dir, 'x.json')], /--point/],
    ];
    for (const [args, message] of cases) {
      const r = await cli(...args);
      expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
      noStack(r.stderr);
    }
  });
});
