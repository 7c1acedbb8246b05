/**
 * bench:eval: throughput of batched evaluation (several sequences of one context) vs one prompt at
 * a time, in ONE process, on the same prompts, model and threads (threads = cores unless given).
 *
 *   npm run bench:eval [-- --prompts 16 --max-tokens 75 --parallel 8 --reps 2 --layers 4 --embd 256 --type q8_0]
 *
 * The model is a random llama (default 4 layers, n_embd 256, n_ff 1024, Q8_0, the Llama-2/Mistral
 * vocab and chat template), generated with the project's GGUF writer into
 * os.tmpdir()/soo-lab-bench (reused by later runs). Prompts: the burglar-house pack's test prompts
 * (seed 0), through the chat template, greedy, at most `--max-tokens` new tokens each; speeds count
 * the tokens actually generated.
 *
 * The same evaluate() the app and `soo-lab eval` use (no store), once per side per rep after one
 * burn-in; reps interleave the two sides so a change in machine load hits both. Reported: best rep
 * per side in generated tokens per second, the ratio batched / one-at-a-time (goal >= 3 on 2 cores),
 * how many responses came out identical on both sides (batching changes float rounding: near-ties
 * can flip, generate.ts), and the load average, since a busy machine distorts everything. Also per
 * side: this process's CPU seconds (user + sys) per generated token, which a busy machine distorts
 * less than wall time, and the batch composition (llama.cpp batches, generating sequences per batch:
 * `parallel` when the lockstep in generate.ts keeps the sequences together).
 *
 * Reading the ratio: on this small model a one-token decode is a few hundred tiny ggml ops, each
 * ending in a barrier of the `threads` workers. When the machine has more runnable threads than
 * cores, every barrier waits for a descheduled worker, so one-at-a-time generation with 2 threads
 * costs ~100x more CPU per token than with 1 (measured 139 vs 1.6 ms at load ~10), and batching
 * mostly amortises those stalls. With `--threads 1` the ratio is bounded by the prompt tokens
 * (each prompt is evaluated once either way; ~170 prompt tokens per 75 generated here).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluate, type EvaluationResult } from '../../electron/services/evaluation/evaluate.ts';
import type { BatchStats } from '../../electron/services/evaluation/generate.ts';
import { makeRandomModel } from '../../electron/services/gguf/random-model.ts';
import type { GgmlTypeName } from '../../electron/services/gguf/ggml-types.ts';
import { configureLlamaRuntime, disposeSharedLlama, sharedLlama } from '../../electron/services/models/llamaRuntime.ts';
import { RESOURCES_DIR } from '../../electron/services/paths.ts';
import { loadPackFile } from '../../electron/services/scenarios/validate.ts';

const { values: args } = parseArgs({
  options: {
    prompts: { type: 'string', default: '16' },
    'max-tokens': { type: 'string', default: '75' },
    parallel: { type: 'string', default: '8' },
    reps: { type: 'string', default: '2' },
    layers: { type: 'string', default: '4' },
    embd: { type: 'string', default: '256' },
    type: { type: 'string', default: 'q8_0' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
  },
});
const n = Number(args.prompts);
const maxTokens = Number(args['max-tokens']);
const parallel = Number(args.parallel);
const reps = Number(args.reps);
const threads = Number(args.threads);
const layers = Number(args.layers);
const embd = Number(args.embd);
const type = args.type as GgmlTypeName;

const dir = path.join(os.tmpdir(), 'soo-lab-bench');
const modelPath = path.join(dir, `eval-llama-${layers}x${embd}-${type}.gguf`);
if (!fs.existsSync(modelPath)) {
  fs.mkdirSync(dir, { recursive: true });
  process.stderr.write(`bench:eval: writing ${modelPath}\n`);
  await makeRandomModel({ arch: 'llama', layers, embd, heads: Math.max(1, embd / 64), ff: 4 * embd, type, out: modelPath, seed: 1 });
}

configureLlamaRuntime({ gpu: false, threads });
const model = await (await sharedLlama()).loadModel({ modelPath, gpuLayers: 0 });
const pack = loadPackFile(path.join(RESOURCES_DIR, 'scenarios', 'burglar-house.json'));
let batches: BatchStats[] = [];
const run = (k: number, count = n) => evaluate(model, { pack, n: count, seed: 0, maxTokens, parallel: k, threads, onBatch: (b) => batches.push(b) });

interface Side {
  seconds: number[];
  /** Process CPU seconds (user + sys) per rep. */
  cpuSeconds: number[];
  tokens: number;
  batches: BatchStats[];
  last?: EvaluationResult;
}
const sides: Record<'sequential' | 'batched', Side> = { sequential: { seconds: [], cpuSeconds: [], tokens: 0, batches: [] }, batched: { seconds: [], cpuSeconds: [], tokens: 0, batches: [] } };
const generatedTokens = (r: EvaluationResult) => r.responses.reduce((sum, x) => sum + x.generatedTokens, 0);

try {
  await run(parallel, Math.min(n, parallel)); // burn-in: load pages, warm caches
  for (let rep = 0; rep < reps; rep++) {
    for (const [name, k] of [['sequential', 1], ['batched', parallel]] as const) {
      batches = [];
      const t = performance.now();
      const cpu = process.cpuUsage();
      const result = await run(k);
      sides[name].seconds.push((performance.now() - t) / 1000);
      const used = process.cpuUsage(cpu);
      sides[name].cpuSeconds.push((used.user + used.system) / 1e6);
      sides[name].batches = batches;
      sides[name].last = result;
      sides[name].tokens = generatedTokens(result);
      process.stderr.write(`bench:eval: rep ${rep + 1}/${reps} ${name}: ${sides[name].seconds.at(-1)!.toFixed(2)} s\n`);
    }
  }
  const best = (s: Side) => Math.min(...s.seconds);
  const tps = (s: Side) => s.tokens / best(s);
  const composition = (s: Side) => {
    const generating = s.batches.filter((b) => b.generating > 0);
    return {
      batches: s.batches.length,
      promptBatches: s.batches.filter((b) => b.tokens > b.generating).length,
      meanGeneratingPerBatch: generating.reduce((a, b) => a + b.generating, 0) / Math.max(1, generating.length),
    };
  };
  const cpuPerToken = (s: Side) => Math.min(...s.cpuSeconds) / s.tokens;
  const same = sides.sequential.last!.responses.filter((r, i) => r.response === sides.batched.last!.responses[i]!.response).length;
  const report = {
    model: { path: modelPath, layers, embd, type, bytes: fs.statSync(modelPath).size },
    prompts: n,
    maxTokens,
    parallel,
    threads,
    reps,
    chatTemplate: sides.batched.last!.chatTemplate,
    sequential: { bestSeconds: best(sides.sequential), seconds: sides.sequential.seconds, tokensPerSecond: tps(sides.sequential), cpuSeconds: sides.sequential.cpuSeconds, cpuMsPerToken: 1000 * cpuPerToken(sides.sequential), ...composition(sides.sequential) },
    batched: { bestSeconds: best(sides.batched), seconds: sides.batched.seconds, tokensPerSecond: tps(sides.batched), cpuSeconds: sides.batched.cpuSeconds, cpuMsPerToken: 1000 * cpuPerToken(sides.batched), ...composition(sides.batched) },
    speedup: tps(sides.batched) / tps(sides.sequential),
    cpuSpeedup: cpuPerToken(sides.sequential) / cpuPerToken(sides.batched),
    goal: 3,
    identicalResponses: `${same}/${n}`,
    loadAverage1m: os.loadavg()[0],
    cores: os.availableParallelism(),
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} finally {
  await model.dispose();
  await disposeSharedLlama();
}
