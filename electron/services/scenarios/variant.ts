/**
 * A pack seen through one variant: the variant's phrases, lists and test fields replace the pack's.
 *
 * Variants only change what test prompts look like (render.ts); training and probe pairs always use
 * the pack itself. The id "main" means no variant.
 */
import { badInput } from '../../contract/errors.ts';
import type { Placeholder, ScenarioPack, TestScenario, ValueList } from '../../contract/scenario-pack.ts';
import { expandTemplate, referencesOf, type Token } from './template.ts';

export const MAIN_VARIANT = 'main';

/** What a test prompt is rendered from, after the variant's overrides. */
export interface Scenario {
  variant: string;
  phrases: Record<string, string>;
  lists: Record<string, ValueList>;
  test: TestScenario;
}

export function applyVariant(pack: ScenarioPack, variantId: string = MAIN_VARIANT): Scenario {
  if (variantId === MAIN_VARIANT) return { variant: MAIN_VARIANT, phrases: pack.phrases, lists: pack.lists, test: pack.test };
  const variant = pack.variants.find((v) => v.id === variantId);
  if (!variant) {
    const known = [MAIN_VARIANT, ...pack.variants.map((v) => v.id)].join(', ');
    throw badInput(`pack "${pack.id}" has no variant "${variantId}" (it has: ${known})`, { path: '$.variants' });
  }
  return {
    variant: variant.id,
    phrases: { ...pack.phrases, ...variant.phrases },
    lists: { ...pack.lists, ...variant.lists },
    test: { ...pack.test, ...variant.test },
  };
}

/** Placeholders referenced by any of the token lists, in the pack's declaration order. */
export function usedPlaceholders(tokenLists: readonly (readonly Token[])[], placeholders: Readonly<Record<string, Placeholder>>): string[] {
  const used = new Set(tokenLists.flatMap((tokens) => referencesOf(tokens)));
  return Object.keys(placeholders).filter((name) => used.has(name));
}

/** The test texts of a scenario (template, mirror, answer format, honesty prompt), expanded; absent ones skipped. */
export function testTexts(scenario: Scenario): { field: keyof TestScenario; tokens: Token[] }[] {
  const fields = ['template', 'mirrorTemplate', 'answerFormat', 'honestyPrompt'] as const;
  return fields.flatMap((field) => {
    const source = scenario.test[field];
    return source === undefined ? [] : [{ field, tokens: expandTemplate(source, scenario.phrases) }];
  });
}
