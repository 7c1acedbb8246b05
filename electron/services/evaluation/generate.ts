/**
 * Greedy generation for many prompts at once, on several sequences of ONE node-llama-cpp context.
 *
 * `parallel` slots each own a sequence of the context and take the next prompt from a shared queue.
 * They run in lockstep: every step asks all generating sequences for their next token at once, so
 * node-llama-cpp packs them into one llama.cpp batch: one new token per generating sequence per
 * step, plus at most one prompt (see `oneManyTokenItemLast`: a race in llama.cpp + node-llama-cpp
 * swapped tokens between sequences). A finished sequence takes the next prompt before the next step.
 *
 * Determinism. Greedy decoding picks the argmax token, but llama.cpp's numbers depend slightly on
 * how a batch is composed (other kernels and reduction orders for other batch shapes; an F16 KV
 * cache rounds those differences into 1e-3 steps), and node-llama-cpp composes batches from what
 * the sequences queued by the next event-loop turn, which depends on timing. So where two tokens
 * (nearly) tie, `parallel: 8` can pick another token than `parallel: 1`, and two batched runs can
 * differ. The tests check that every such divergence is at a float near-tie (against a float64
 * oracle); `parallel: 1` is fully reproducible. `kvCacheType: 'F32'` makes divergences rarer.
 *
 * A prompt is formatted either as raw text (BOS + the prompt, as llama.cpp's CLI does) or through
 * the model's chat template (node-llama-cpp's chat wrapper for the GGUF's `tokenizer.chat_template`:
 * one user turn, then the start of the model's turn). Which one was used is returned, with the
 * exact formatted text of every prompt (method.md: baseline rates move with the format; log it).
 * Generation stops at an end-of-generation token or after `maxTokens` new tokens.
 *
 * Not here: loading the model (the caller owns it), classifying, storing.
 */
import { LlamaText, resolveChatWrapper, type BatchItem, type LlamaContext, type LlamaContextSequence, type LlamaModel, type PrioritizedBatchItem, type Token } from 'node-llama-cpp';
import { badInput } from '../../contract/errors.ts';
import { defaultThreads } from '../models/llamaRuntime.ts';

/** The published evaluation generated about 75 new tokens. */
export const DEFAULT_MAX_TOKENS = 75;
/** Sequences per context when not given: enough to fill a batch, few enough to keep KV memory small. */
export const DEFAULT_PARALLEL = 8;

export type ChatTemplateChoice = 'auto' | 'none';

/**
 * A multi-turn prompt: the conversation so far, alternating user and model messages, ending with a
 * user message; the model writes the next reply. With a chat template each message is one turn;
 * as raw text the messages are joined by a blank line.
 */
export type ChatMessage = { role: 'user' | 'model'; text: string };
/** One prompt: a user message (text) or a conversation ending with a user message. */
export type PromptInput = string | readonly ChatMessage[];

export interface GenerateOptions {
  /** Prompts: user messages already complete (honesty prefix and answer-format suffix included), or conversations. */
  prompts: readonly PromptInput[];
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
  /**
   * KV cache element type. 'F16' (node-llama-cpp's default) halves the cache; 'F32' keeps keys and
   * values exact, which (with flashAttention false) makes batched and one-at-a-time generation
   * agree token for token: F16 rounding turns the tiny differences of another batch layout into
   * 1e-3 steps that can flip a greedy near-tie. Defaults to 'F16'.
   */
  kvCacheType?: 'F16' | 'F32';
  /** Flash attention: 'auto' (node-llama-cpp's default) or forced on/off. Defaults to 'auto'. */
  flashAttention?: 'auto' | boolean;
  /** After each finished prompt: how many are done of the total, and which one finished. */
  onProgress?: (progress: { done: number; total: number; index: number }) => void;
  /** Each finished generation as soon as it is done (in completion order), e.g. to store it. */
  onGeneration?: (generation: Generation) => void;
  /** Every llama.cpp batch as it is composed (profiling). */
  onBatch?: (batch: BatchStats) => void;
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

/**
 * The order of a node-llama-cpp batch: the single-token items (sequences generating) in sequence id
 * order, then at most ONE multi-token item (a prompt), last; the other prompts wait for the next
 * batch (node-llama-cpp loops until its queue is empty).
 *
 * Why: with several sequences llama.cpp splits a batch into ubatches per sequence, and when that
 * puts the outputs out of batch order it swaps the logit rows back LAZILY, on the first read
 * (llama_context::output_reorder, src/llama-context.cpp), without a lock. node-llama-cpp 3.21.1
 * samples the sequences of a batch on several threads at once, so two threads could apply the
 * swaps together and sequences got each other's tokens (measured: 3 of 40 runs of 8 prompts under
 * load had pairs of prompts swap their first tokens; a 16-token batch with a reversed queue did it
 * every time). With one prompt per batch, placed last, and the rest in id order, the outputs are
 * already in batch order: nothing to swap, nothing to race on.
 * Sequence ids come from the context's queue (`_queuedDecodes`, internal to the pinned version;
 * node-llama-cpp builds `items` from it in the same order); without it, queue order is kept.
 */
function oneManyTokenItemLast(context: LlamaContext, { items, size }: { items: readonly BatchItem[]; size: number }, onBatch?: (b: BatchStats) => void): PrioritizedBatchItem[] {
  const queued = (context as unknown as { _queuedDecodes?: Array<{ sequenceId: number }> })._queuedDecodes;
  const ids = items.map((_, i) => queued?.[i]?.sequenceId ?? i);
  const order = items.map((_, i) => i).sort((a, b) => ids[a]! - ids[b]! || a - b);
  const result: PrioritizedBatchItem[] = [];
  let left = size;
  for (const i of order) {
    if (items[i]!.tokens.length !== 1 || left <= 0) continue;
    result.push({ item: items[i]!, processAmount: 1 });
    left--;
  }
  const prompt = order.find((i) => items[i]!.tokens.length > 1);
  if (prompt !== undefined && left > 0) result.push({ item: items[prompt]!, processAmount: Math.min(items[prompt]!.tokens.length, left) });
  onBatch?.({ queued: items.length, generating: result.filter((r) => r.processAmount === 1 && r.item.tokens.length === 1).length, tokens: result.reduce((n, r) => n + r.processAmount, 0) });
  return result;
}

/** What one llama.cpp batch held (profiling: bench-eval prints the averages). */
export interface BatchStats {
  /** Decodes queued when the batch was composed. */
  queued: number;
  /** Sequences contributing one generated token. */
  generating: number;
  /** Tokens in the batch (generated + prompt tokens). */
  tokens: number;
}

/** True when the GGUF carries a chat template (tokenizer.chat_template). */
export function hasChatTemplate(model: LlamaModel): boolean {
  return typeof model.fileInfo.metadata?.tokenizer?.chat_template === 'string';
}

/** Formats and tokenizes prompts the way `generate` will. */
export function formatPrompts(model: LlamaModel, prompts: readonly PromptInput[], chatTemplate: ChatTemplateChoice): { wrapper: string | null; formatted: Array<{ text: string; tokens: Token[] }> } {
  const messagesOf = (prompt: PromptInput): readonly ChatMessage[] => {
    const messages = typeof prompt === 'string' ? [{ role: 'user' as const, text: prompt }] : prompt;
    if (messages.length === 0 || messages.at(-1)!.role !== 'user') throw badInput('a conversation prompt must end with a user message');
    return messages;
  };
  if (chatTemplate === 'auto' && hasChatTemplate(model)) {
    const wrapper = resolveChatWrapper(model);
    const formatted = prompts.map((prompt) => {
      const history = messagesOf(prompt).map((m) => (m.role === 'user' ? { type: 'user' as const, text: m.text } : { type: 'model' as const, response: [m.text] }));
      const { contextText } = wrapper.generateContextState({ chatHistory: [...history, { type: 'model', response: [] }] });
      return { text: contextText.toString(), tokens: contextText.tokenize(model.tokenizer) };
    });
    return { wrapper: wrapper.wrapperName, formatted };
  }
  const bos = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  const formatted = prompts.map((prompt) => {
    const raw = messagesOf(prompt).map((m) => m.text).join('\n\n');
    const text = LlamaText(raw);
    return { text: raw, tokens: [...(bos !== null ? [bos] : []), ...text.tokenize(model.tokenizer)] };
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

  // `let` declared first: the batching strategy closes over the context it is an option of.
  let context: LlamaContext | undefined = undefined;
  context = await model.createContext({
    sequences: parallel,
    contextSize: longest + maxTokens + 1,
    batching: { itemPrioritizationStrategy: (batch) => oneManyTokenItemLast(context!, batch, options.onBatch) },
    threads,
    flashAttention: options.flashAttention ?? 'auto',
    ...(options.kvCacheType === 'F32' ? { experimentalKvCacheKeyType: 'F32' as const, experimentalKvCacheValueType: 'F32' as const } : {}),
    ...(options.lora ? { lora: { adapters: [{ filePath: options.lora.path, scale: options.lora.scale ?? 1 }] } } : {}),
    createSignal: signal,
  });
  try {
    const generations: Generation[] = new Array(prompts.length);
    let next = 0;
    let done = 0;
    // Lockstep: each slot owns a sequence; every step asks ALL generating sequences for their next
    // token in the same tick, so their decodes land in one llama.cpp batch. Free-running sequences
    // (one async loop each) drift apart: their samplings finish at different times on the thread
    // pool, node-llama-cpp then decodes whoever has queued, and batches held about half of the
    // sequences (measured: 3.4 of 8 generating per batch, twice the batches needed).
    interface Slot {
      sequence: LlamaContextSequence;
      index: number;
      generated: Token[];
      iterator: AsyncGenerator<Token, void, void> | null;
    }
    const slots: Slot[] = Array.from({ length: parallel }, () => ({ sequence: context.getSequence(), index: -1, generated: [], iterator: null }));
    /** Gives the slot the next prompt (or nothing when none is left). */
    const start = async (slot: Slot) => {
      slot.iterator = null;
      if (next >= prompts.length) return;
      slot.index = next++;
      slot.generated = [];
      await slot.sequence.clearHistory();
      slot.iterator = slot.sequence.evaluate(formatted[slot.index]!.tokens, { temperature: 0 }) as AsyncGenerator<Token, void, void>;
    };
    const finish = async (slot: Slot, stopReason: Generation['stopReason']) => {
      await slot.iterator!.return();
      const prompt = formatted[slot.index]!;
      const generation: Generation = {
        index: slot.index,
        formattedPrompt: prompt.text,
        text: model.detokenize(slot.generated, false, prompt.tokens),
        tokens: slot.generated,
        promptTokens: prompt.tokens.length,
        stopReason,
      };
      generations[slot.index] = generation;
      onGeneration?.(generation);
      onProgress?.({ done: ++done, total: prompts.length, index: slot.index });
      await start(slot);
    };
    try {
      await Promise.all(slots.map(start));
      for (let active = slots.filter((s) => s.iterator); active.length > 0; active = slots.filter((s) => s.iterator)) {
        signal?.throwIfAborted();
        const results = await Promise.all(active.map((s) => s.iterator!.next()));
        signal?.throwIfAborted();
        const ended: Promise<void>[] = [];
        results.forEach((r, k) => {
          const slot = active[k]!;
          // The iterator ends by itself at an end-of-generation token (never yielded).
          if (r.done || model.isEogToken(r.value)) ended.push(finish(slot, 'eog'));
          else if (slot.generated.push(r.value) >= maxTokens) ended.push(finish(slot, 'maxTokens'));
        });
        await Promise.all(ended);
      }
    } finally {
      await Promise.allSettled(slots.map(async (s) => {
        await s.iterator?.return();
        await s.sequence.dispose();
      }));
    }
    return { generations, chatTemplate: wrapper, parallel, threads, maxTokens, seconds: (performance.now() - started) / 1000 };
  } finally {
    await context.dispose();
  }
}
