/**
 * Scenario packs (docs/scenario-packs.md): validation, seeded pairs and test prompts, and the service
 * that keeps built-in and user packs. Other services import from here.
 */
export { validatePack, loadPackFile, requireValid } from './validate.ts';
export type { PackValidation } from './validate.ts';
export { generatePair, generatePairs, DEFAULT_PAIR_COUNT } from './generate.ts';
export { renderPrompt, renderPrompts, DEFAULT_PROMPT_COUNT } from './render.ts';
export { applyVariant, MAIN_VARIANT } from './variant.ts';
export type { Scenario } from './variant.ts';
export { parseJsonText } from './jsonText.ts';
export { ScenarioService } from './service.ts';
export type { ScenarioServiceOptions } from './service.ts';
