/**
 * Everything the demo build derives from the recipe before training, in order and deterministic:
 * the demo pack -> nonsense words (avoiding every real word of the packs and plain texts) -> corpus
 * -> vocabulary (corpus + the demo pack's prompt texts + the nonsense words; words of other packs fall
 * back to characters: fewer tokens, a cheaper head) -> tokenizer -> weighted token
 * sequences. Pure computation (reads the pack files only); the builder writes and trains.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ScenarioPack } from '../../contract/scenario-pack.ts';
import { loadPackFile } from '../scenarios/validate.ts';
import { generateCorpus, itemText, partyNames, type Corpus } from './corpus.ts';
import { nonsensePrefixes, nonsenseWords } from './nonsense.ts';
import { builtinPackTexts, promptTextsOfPack } from './packWords.ts';
import { plainTextLiterals } from './plainText.ts';
import type { ResolvedDemoRecipe } from './recipe.ts';
import { toSequences, type WeightedSequence } from './sequences.ts';
import { DemoTokenizer } from './tokenizer.ts';
import { buildVocab, wordsOf, type DemoVocab } from './vocabulary.ts';

/** ggml's tiled GEMM wants K % 16 == 0 (native/src/lm/README.md): the head's backward has K = n_vocab. */
export const VOCAB_MULTIPLE = 16;

export interface DemoInputs {
  pack: ScenarioPack;
  nonsense: string[];
  corpus: Corpus;
  vocab: DemoVocab;
  tokenizer: DemoTokenizer;
  sequences: WeightedSequence[];
}

/** `scenariosDir`: the built-in packs (resources/scenarios). */
export function demoInputs(recipe: ResolvedDemoRecipe, scenariosDir: string): DemoInputs {
  const pack = loadPackFile(path.join(scenariosDir, `${recipe.pack}.json`));
  const packTexts = builtinPackTexts(scenariosDir);
  const realWords = new Set([...packTexts, ...plainTextLiterals()].flatMap(wordsOf).map((w) => w.toLowerCase()));
  const nonsense = nonsenseWords(recipe.corpus.nonsenseWords, recipe.seed, realWords);
  const min = recipe.corpus.nonsensePrefixMin;
  const extraNonsense = min === undefined ? [] : nonsensePrefixes(nonsense, min, realWords);
  const corpus = generateCorpus(pack, nonsense, { ...recipe.corpus, seed: recipe.seed, extraNonsense });
  const demoPackTexts = promptTextsOfPack(JSON.parse(fs.readFileSync(path.join(scenariosDir, `${recipe.pack}.json`), 'utf8')) as unknown);
  const vocab = buildVocab([
    ...demoPackTexts,
    ...nonsense,
    ...partyNames(nonsense),
    ...corpus.items.map(itemText),
    ...corpus.heldOut,
  ], { multipleOf: VOCAB_MULTIPLE });
  const tokenizer = new DemoTokenizer(vocab);
  const sequences = toSequences(corpus.items, tokenizer, recipe.corpus);
  return { pack, nonsense, corpus, vocab, tokenizer, sequences };
}
