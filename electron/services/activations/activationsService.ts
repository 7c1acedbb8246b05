/**
 * ActivationsService: activation taps, latent SOO and token counts on top of the engine client.
 *
 * Validates cheap before expensive: prompts are tokenized first (one engine call), 'full' alignment is
 * checked before any forward pass, layer ranges are checked by the engine before decoding.
 * Long calls take `onProgress` (tokens decoded / total) and `signal` (rejects with code 'cancelled').
 *
 * Does not: format chat templates (callers pass final prompt text or token ids), store results.
 */
import os from 'node:os';
import { badInput } from '../../contract/errors.ts';
import type { EngineClient, EngineCallOptions } from '../engine/engineClient.ts';
import type { NativeTapsResult } from '../engine/protocol.ts';
import { latentMse, perTokenMse, summarize, type PositionConvention, type TapRows } from './latent.ts';
import { countPairTokens, type TokenCountsReport } from './tokenCounts.ts';

export type TapPoint = 'attn_out' | 'mlp_out' | 'resid' | 'kqv_out';

/** A prompt as text (tokenized with the model, BOS added as the model wants) or as token ids. */
export type PromptInput = string | Int32Array | readonly number[];

export interface PromptPair {
  self: PromptInput;
  other: PromptInput;
}

export interface AdapterInput {
  /** LoRA GGUF for the model's architecture. */
  path: string;
  /** User scale. Defaults to 1. */
  scale?: number;
}

export interface TapsInput {
  modelPath: string;
  prompts: readonly PromptInput[];
  taps: readonly { layer: number; point: TapPoint }[];
  adapters?: readonly AdapterInput[];
  /** CPU threads. Defaults to the number of cores (os.availableParallelism()). */
  threads?: number;
  /** Stop each forward pass after the highest tapped layer. Defaults to true. */
  stopEarly?: boolean;
}

export interface LatentInput {
  modelPath: string;
  pairs: readonly PromptPair[];
  /** 0-based layers to measure. */
  layers: readonly number[];
  point: TapPoint;
  positions: PositionConvention;
  adapters?: readonly AdapterInput[];
  threads?: number;
  /** Also return per-token differences for this pair (needs aligned token counts). */
  perTokenPair?: number;
}

export interface LatentLayer {
  layer: number;
  /** Mean over pairs of the per-pair MSE. */
  mean: number;
  /** Sample standard deviation over pairs. */
  std: number;
  /** Per-pair MSE, in input order. */
  perPair: number[];
}

export interface LatentOutput {
  point: TapPoint;
  positions: PositionConvention;
  layers: LatentLayer[];
  /** For perTokenPair: per layer, the MSE of each token position (length = the pair's token count). */
  perToken?: { pair: number; layers: { layer: number; values: number[] }[] };
}

export interface ActivationsCallOptions {
  onProgress?: (progress: { done: number; total: number; unit: 'tokens' | 'steps' }) => void;
  signal?: AbortSignal;
}

export interface IActivationsService {
  taps(input: TapsInput, options?: ActivationsCallOptions): Promise<NativeTapsResult>;
  latent(input: LatentInput, options?: ActivationsCallOptions): Promise<LatentOutput>;
  tokenCounts(input: { modelPath: string; pairs: readonly PromptPair[] }, options?: ActivationsCallOptions): Promise<TokenCountsReport>;
}

export class ActivationsService implements IActivationsService {
  constructor(private readonly engine: EngineClient) {}

  async taps(input: TapsInput, options: ActivationsCallOptions = {}): Promise<NativeTapsResult> {
    const prompts = await this.tokenize(input.modelPath, input.prompts, options);
    return this.engine.call(
      'taps.run',
      {
        modelPath: input.modelPath,
        prompts,
        taps: input.taps.map((t) => ({ layer: t.layer, point: t.point })),
        threads: input.threads ?? os.availableParallelism(),
        ...(input.adapters ? { adapters: input.adapters.map((a) => ({ path: a.path, scale: a.scale ?? 1 })) } : {}),
        ...(input.stopEarly !== undefined ? { stopEarly: input.stopEarly } : {}),
      },
      callOptions(options),
    );
  }

  async tokenCounts(
    input: { modelPath: string; pairs: readonly PromptPair[] },
    options: ActivationsCallOptions = {},
  ): Promise<TokenCountsReport> {
    const tokens = await this.tokenize(input.modelPath, input.pairs.flatMap((p) => [p.self, p.other]), options);
    return countPairTokens(input.pairs.map((_, i) => ({ self: tokens[2 * i]!, other: tokens[2 * i + 1]! })));
  }

  async latent(input: LatentInput, options: ActivationsCallOptions = {}): Promise<LatentOutput> {
    if (input.pairs.length === 0) throw badInput('latent: no pairs given');
    if (input.layers.length === 0) throw badInput('latent: no layers given');
    if (input.perTokenPair !== undefined && !(input.perTokenPair >= 0 && input.perTokenPair < input.pairs.length)) {
      throw badInput(`latent: perTokenPair ${input.perTokenPair} is not a pair index (0..${input.pairs.length - 1})`);
    }
    const tokens = await this.tokenize(input.modelPath, input.pairs.flatMap((p) => [p.self, p.other]), options);
    const counts = countPairTokens(input.pairs.map((_, i) => ({ self: tokens[2 * i]!, other: tokens[2 * i + 1]! })));
    const needsAlignment = input.positions === 'full' ? counts.misaligned : [];
    if (input.perTokenPair !== undefined && !counts.pairs[input.perTokenPair]!.aligned) needsAlignment.push(input.perTokenPair);
    if (needsAlignment.length > 0) {
      const first = counts.pairs[needsAlignment[0]!]!;
      throw badInput(
        `latent: pair ${first.pair} has ${first.self} self tokens and ${first.other} other tokens; ` +
          `'full' positions and per-token differences need equal counts (${needsAlignment.length} pair(s) misaligned: ${needsAlignment.join(', ')})`,
        { hint: "reword the pairs, or use positions 'last' or 'mean'" },
      );
    }

    const result = await this.engine.call(
      'taps.run',
      {
        modelPath: input.modelPath,
        prompts: tokens,
        taps: input.layers.map((layer) => ({ layer, point: input.point })),
        threads: input.threads ?? os.availableParallelism(),
        ...(input.adapters ? { adapters: input.adapters.map((a) => ({ path: a.path, scale: a.scale ?? 1 })) } : {}),
      },
      callOptions(options),
    );

    const rows = (prompt: number, request: number): TapRows => ({
      data: result.activations[prompt]![request]!,
      nTokens: result.nTokens[prompt]!,
      width: result.widths[request]!,
    });
    const layers = input.layers.map((layer, r) => {
      const perPair = input.pairs.map((_, i) =>
        latentMse(rows(2 * i, r), rows(2 * i + 1, r), input.positions, `pair ${i} (layer ${layer} ${input.point})`),
      );
      return { layer, ...summarize(perPair), perPair };
    });
    const output: LatentOutput = { point: input.point, positions: input.positions, layers };
    if (input.perTokenPair !== undefined) {
      const i = input.perTokenPair;
      output.perToken = {
        pair: i,
        layers: input.layers.map((layer, r) => ({
          layer,
          values: Array.from(perTokenMse(rows(2 * i, r), rows(2 * i + 1, r), `pair ${i} (layer ${layer})`)),
        })),
      };
    }
    return output;
  }

  /** Token ids for each prompt: texts go through the model's tokenizer in one engine call. */
  private async tokenize(modelPath: string, prompts: readonly PromptInput[], options: ActivationsCallOptions): Promise<Int32Array[]> {
    const texts = prompts.filter((p): p is string => typeof p === 'string');
    const tokenized = texts.length > 0 ? await this.engine.call('model.tokenize', { modelPath, texts }, callOptions(options)) : [];
    let next = 0;
    return prompts.map((p) => (typeof p === 'string' ? tokenized[next++]! : p instanceof Int32Array ? p : Int32Array.from(p)));
  }
}

function callOptions(options: ActivationsCallOptions): EngineCallOptions {
  return {
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}
