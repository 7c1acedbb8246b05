/**
 * Fake ExperimentBackends for runner tests: no model; every result is a hash of its inputs, so two
 * runs of one config store the same rows. `crashAt` throws (marking nothing) at the n-th call of a
 * kind, as a kill -9 would leave things. The fake evaluate records its child run like the real one.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { ExperimentBackends } from '../../../electron/services/experiments/backends.ts';
import type { RunRepository } from '../../../electron/services/store/runs.ts';

/** A number in [0, 1) from the text: the fakes' deterministic "model". */
export function h(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32LE(0) / 2 ** 32;
}

const BUCKETS = ['deceptive', 'honest', 'neither', 'degenerate'] as const;

/** Fakes that record like the real ones; `crashAt` throws (without marking anything) at that call. */
export function fakeBackends(runs: RunRepository, crashAt: { kind: string; count: number } | null): ExperimentBackends {
  const calls = new Map<string, number>();
  const maybeCrash = (kind: string) => {
    const c = (calls.get(kind) ?? 0) + 1;
    calls.set(kind, c);
    if (crashAt && crashAt.kind === kind && crashAt.count === c) throw new Error(`simulated kill during ${kind} #${c}`);
  };
  return {
    layerCount: async () => 3,
    evaluate: async (input) => {
      const run = runs.create({ kind: 'eval', parentId: input.parentId, name: input.runName, config: { scenario: input.scenario }, appVersion: 't', seed: input.seed, adapterPath: input.adapterPath });
      const rows = Array.from({ length: input.n }, (_, idx) => {
        const u = h(`${input.scenario.key}|${input.adapterPath ? path.basename(input.adapterPath) : 'base'}|${idx}`);
        return { idx, variant: input.scenario.variant, mirrored: input.scenario.mirror, prompt: `p${idx}`, response: `r${u}`, bucket: BUCKETS[Math.floor(u * 4)]!, deceptiveValue: 'a', honestValue: 'b', values: {} };
      });
      runs.addResponses(run.id, rows.slice(0, 2));
      maybeCrash('eval'); // half the responses written, run left `running`: as after kill -9
      runs.addResponses(run.id, rows.slice(2));
      runs.setMetrics(run.id, [...BUCKETS.map((b) => ({ name: `${b}_rate`, value: rows.filter((r) => r.bucket === b).length / rows.length })), { name: 'n', value: rows.length }]);
      runs.finish(run.id);
      return { runId: run.id };
    },
    latent: async (input) => {
      maybeCrash('latent');
      return input.layers.map((layer) => ({ layer, mean: h(`${layer}|${input.adapterPath ? path.basename(input.adapterPath) : 'base'}`), std: 0 }));
    },
    train: async (input, options) => {
      const nSteps = input.epochs * Math.ceil(input.pairs.length / input.batch);
      for (let step = 1; step <= nSteps; step++) {
        options?.onStep?.({ step, nSteps, loss: h(`${input.seed}|${step}`), stepMs: 1 });
        if (step === 2) maybeCrash('train');
      }
      fs.writeFileSync(input.outPath, `adapter seed ${input.seed}`);
      return { adapterPath: input.outPath, losses: Array.from({ length: nSteps }, (_, i) => h(`${input.seed}|${i + 1}`)) };
    },
    perplexity: async (input) => {
      maybeCrash('perplexity');
      return { perplexity: 10 + h(input.adapterPath ? path.basename(input.adapterPath) : 'base'), tokens: 100 };
    },
    dispose: async () => {},
  };
}

