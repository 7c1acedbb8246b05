/**
 * Everything the demo build derives from the recipe before training, in order and deterministic:
 * the demo pack -> nonsense words (avoiding every real word of the packs and plain texts) -> corpus
 * -> vocabulary (corpus + every built-in pack + the nonsense words) -> tokenizer -> weighted token
 * sequences. Pure computation (reads the pack files only); the builder writes and trains.
 */
import path from 'node:path';
import type { ScenarioPack } from '../../contract/scenario-pack.ts';
import { loadPackFile } from '../scenarios/validate.ts';
import { generateCorpus, itemText, nonsenseNames, type Corpus } from './corpus.ts';
import { capitalise, nonsenseWords } from './nonsense.ts';
import { builtinPackTexts } from './packWords.ts';
import { plainTextLiterals } from './plainText.ts';
import type { ResolvedDemoRecipe } from './recipe.ts';
import { toSequences, type WeightedSequence } from './sequences.ts';
import { DemoTokenizer } from './tokenizer.ts';
import { buildVocab, wordsOf, type DemoVocab } from './vocabulary.ts';

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
  const corpus = generateCorpus(pack, nonsense, { ...recipe.corpus, seed: recipe.seed });
  const vocab = buildVocab([
    ...packTexts,
    ...nonsense,
    ...nonsense.slice(0, nonsenseNames(nonsense)).map(capitalise),
    ...corpus.items.map(itemText),
    ...corpus.heldOut,
  ]);
  const tokenizer = new DemoTokenizer(vocab);
  const sequences = toSequences(corpus.items, tokenizer, recipe.corpus);
  return { pack, nonsense, corpus, vocab, tokenizer, sequences };
}
