/**
 * Greedy generation for many prompts at once, on several sequences of ONE node-llama-cpp context.
 *
 * `parallel` workers each own a sequence of the context and take the next prompt from a shared
 * queue; the sequences evaluate concurrently, and node-llama-cpp packs the tokens they queue in the
 * same tick into one llama.cpp batch (prompt tokens of several prompts, then one new token per
 * sequence per step). Greedy decoding (temperature 0: the argmax token) is deterministic, and each
 * sequence has its own KV cache stream, so `parallel: 1` and `parallel: 8` give the same tokens
 * (checked by test/services/evaluation/generate.test.ts).
 *
 * A prompt is formatted either as raw text (BOS + the prompt, as llama.cpp's CLI does) or through
 * the model's chat template (node-llama-cpp's chat wrapper for the GGUF's `tokenizer.chat_template`:
 * one user turn, then the start of the model's turn). Which one was used is returned, with the
 * exact formatted text of every prompt (method.md: baseline rates move with the format; log it).
 * Generation stops at an end-of-generation token or after `maxTokens` new tokens.
 *
 * Not here: loading the model (the caller owns it), classifying, storing.
 */
import { LlamaText, resolveChatWrapper, type LlamaModel, type Token } from 'node-llama-cpp';
import { badInput } from '../../contract/errors.ts';
import { defaultThreads } from '../models/llamaRuntime.ts';

/** The published evaluation generated about 75 new tokens. */
export const DEFAULT_MAX_TOKENS = 75;
/** Sequences per context when not given: enough to fill a batch, few enough to keep KV memory small. */
export const DEFAULT_PARALLEL = 8;

export type ChatTemplateChoice = 'auto' | 'none';

export interface GenerateOptions {
  /** Text prompts, already complete (honesty prefix and answer-format suffix included). */
  prompts: readonly string[];
  /** New tokens per prompt at most. Defaults to DEFAULT_MAX_TOKENS (75). */
  maxTokens?: number;
  /**
   * 'auto': use the model's chat template when its GGUF has one (else raw text); 'none': raw text.
   * Defaults to 'auto'.
   */
  chatTemplate?: ChatTemplateChoice;
  /** A LoRA adapter GGUF and its scale (default 1). node-llama-cpp caches adapters per path for the model's lifetime. */
  lora?: { path: string; scale?: number };
  /** Sequences evaluated together. Defaults to min(prompts, DEFAULT_PARALLEL); 1 = one prompt at a time. */
  parallel?: number;
  /** CPU threads. Defaults to defaultThreads() (the cores). */
  threads?: number;
  /** After each finished prompt: how many are done of the total, and which one finished. */
  onProgress?: (progress: { done: number; total: number; index: number }) => void;
  /** Each finished generation as soon as it is done (in completion order), e.g. to store it. */
  onGeneration?: (generation: Generation) => void;
  signal?: AbortSignal;
}

export interface Generation {
  /** Index of the prompt in `prompts`. */
  index: number;
  /** The prompt as the model saw it (after the chat template, if any). */
  formattedPrompt: string;
  /** The generated text (special tokens not rendered). */
  text: string;
  /** The generated token ids (the stopping end-of-generation token excluded). */
  tokens: number[];
  promptTokens: number;
  stopReason: 'eog' | 'maxTokens';
}

export interface GenerateResult {
  generations: Generation[];
  /** The chat wrapper used ("Mistral", "ChatML", "Jinja", ...), or null for raw text. */
  chatTemplate: string | null;
  parallel: number;
  threads: number;
  maxTokens: number;
  /** Wall time of the whole call, in seconds. */
  seconds: number;
}

/** True when the GGUF carries a chat template (tokenizer.chat_template). */
export function hasChatTemplate(model: LlamaModel): boolean {
  return typeof model.fileInfo.metadata?.tokenizer?.chat_template === 'string';
}

/** Formats and tokenizes prompts the way `generate` will. */
export function formatPrompts(model: LlamaModel, prompts: readonly string[], chatTemplate: ChatTemplateChoice): { wrapper: string | null; formatted: Array<{ text: string; tokens: Token[] }> } {
  if (chatTemplate === 'auto' && hasChatTemplate(model)) {
    const wrapper = resolveChatWrapper(model);
    const formatted = prompts.map((prompt) => {
      const { contextText } = wrapper.generateContextState({ chatHistory: [{ type: 'user', text: prompt }, { type: 'model', response: [] }] });
      return { text: contextText.toString(), tokens: contextText.tokenize(model.tokenizer) };
    });
    return { wrapper: wrapper.wrapperName, formatted };
  }
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  const formatted = prompts.map((prompt) => {
    const text = LlamaText(prompt);
    return { text: prompt, tokens: [...(bos !== null ? [bos] : []), ...text.tokenize(model.tokenizer)] };
  });
  return { wrapper: null, formatted };
}

/** Generates greedily for every prompt; see the header. Disposes the context it creates. */
export async function generate(model: LlamaModel, options: GenerateOptions): Promise<GenerateResult> {
  const { prompts, signal, onProgress, onGeneration } = options;
  const maxTokens = options.maxTokens ?? DEFAULT_MAX_TOKENS;
  if (!Number.isInteger(maxTokens) || maxTokens < 1) throw badInput(`maxTokens must be a positive integer, got ${maxTokens}`);
  const parallel = Math.max(1, Math.min(options.parallel ?? DEFAULT_PARALLEL, prompts.length || 1));
  const threads = options.threads ?? defaultThreads();
  signal?.throwIfAborted();
  const started = performance.now();

  const { wrapper, formatted } = formatPrompts(model, prompts, options.chatTemplate ?? 'auto');
  const longest = formatted.reduce((m, f) => Math.max(m, f.tokens.length), 0);
  const trainedContext = model.trainContextSize;
  if (longest + maxTokens > trainedContext) {
    throw badInput(`the longest prompt has ${longest} tokens; with ${maxTokens} new tokens that exceeds the model's context of ${trainedContext} tokens`);
  }

  const context = await model.createContext({
    sequences: parallel,
    contextSize: longest + maxTokens + 1,
    threads,
    ...(options.lora ? { lora: { adapters: [{ filePath: options.lora.path, scale: options.lora.scale ?? 1 }] } } : {}),
    createSignal: signal,
  });
  try {
    const generations: Generation[] = new Array(prompts.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      const sequence = context.getSequence();
      try {
        for (let index = next++; index < prompts.length; index = next++) {
          signal?.throwIfAborted();
          await sequence.clearHistory();
          const prompt = formatted[index]!;
          const generated: Token[] = [];
          let stopReason: Generation['stopReason'] = 'maxTokens';
          const iterator = sequence.evaluate(prompt.tokens, { temperature: 0 });
          try {
            for await (const token of iterator) {
              if (model.isEogToken(token)) {
                stopReason = 'eog';
                break;
              }
              generated.push(token);
              if (generated.length >= maxTokens || signal?.aborted) break;
            }
          } finally {
            await iterator.return();
          }
          signal?.throwIfAborted();
          const generation: Generation = {
            index,
            formattedPrompt: prompt.text,
            text: model.detokenize(generated, false, prompt.tokens),
            tokens: generated,
            promptTokens: prompt.tokens.length,
            stopReason,
          };
          generations[index] = generation;
          onGeneration?.(generation);
          onProgress?.({ done: ++done, total: prompts.length, index });
        }
      } finally {
        await sequence.dispose();
      }
    };
    await Promise.all(Array.from({ length: parallel }, () => worker()));
    return { generations, chatTemplate: wrapper, parallel, threads, maxTokens, seconds: (performance.now() - started) / 1000 };
  } finally {
    await context.dispose();
  }
}
