/**
 * The demo model before training: a random F32 llama GGUF with the demo vocabulary, the head tied to
 * the token embeddings (no output.weight; the trainer keeps token_embd frozen, organism-notes.md:
 * trainable embeddings push down words never seen in training, so held-out rooms could never be
 * named). Weights from gguf/random-model.ts (seeded per tensor: same recipe, same bytes).
 */
import { kv } from '../gguf/gguf-value.ts';
import { makeRandomModel, type RandomModelResult } from '../gguf/random-model.ts';
import type { ResolvedDemoRecipe } from './recipe.ts';
import { vocabMetadata, type DemoVocab } from './vocabulary.ts';

export async function makeDemoInitModel(out: string, recipe: ResolvedDemoRecipe, vocab: DemoVocab, signal?: AbortSignal): Promise<RandomModelResult> {
  const m = recipe.model;
  return makeRandomModel({
    arch: 'llama',
    out,
    layers: m.layers,
    embd: m.embd,
    heads: m.heads,
    ff: m.ff,
    ctx: m.ctx,
    type: 'f32',
    seed: recipe.seed,
    tieEmbeddings: true,
    init: m.init,
    vocab: { metadata: vocabMetadata(vocab), nVocab: vocab.pieces.length },
    extraMetadata: new Map([['soo_lab.demo.stage', kv.str('init')]]),
    signal,
  });
}
