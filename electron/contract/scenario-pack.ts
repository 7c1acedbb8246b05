/**
 * The scenario pack: the JSON format a researcher designs SOO scenarios in (docs/scenario-packs.md).
 *
 * This file holds the SHAPE only (zod, no node imports), so the renderer's form, the IPC boundary and
 * the CLI validate with the same schema. The cross-field rules (placeholders used and known, train/test
 * disjoint, decision present, self/other placeholders equal, unique ids) live in
 * electron/services/scenarios/validate.ts, which reports every problem with its JSON path.
 *
 * Text in templates refers to values with `{name}`: a placeholder (sampled from a value list) or a
 * phrase (a fixed wording that variants override). `{{` and `}}` write literal braces.
 */
import { z } from 'zod';

/** The format tag every pack carries; bumped only for incompatible changes. */
export const PACK_FORMAT = 'soo-lab/scenario-pack@1';

/** Identifiers used in `{name}` references and ids: letters, digits, `_` and `-`, starting with a letter. */
export const identifier = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, 'must start with a letter and contain only letters, digits, "_" and "-"');

const text = z.string().min(1, 'must not be empty');

/** A value list split into values used for training pairs and values used for test prompts and probes. */
export const valueListSchema = z.object({
  description: z.string().optional(),
  /** Values for SOO training pairs. Disjoint from `test`. */
  train: z.array(text),
  /** Values for test prompts and probe pairs (held out from training). */
  test: z.array(text),
});

/** A placeholder draws one value per instance from a list; several placeholders on one list get distinct values. */
export const placeholderSchema = z.object({
  list: identifier,
  description: z.string().optional(),
  /**
   * `party` marks the other party's name: it may appear in the `other` side of a pair and not in `self`.
   * At most one placeholder per pack has this role.
   */
  role: z.enum(['party']).optional(),
});

/** One self/other template pair: identical except for who is referred to. */
export const pairTemplateSchema = z.object({
  id: identifier,
  /** The prompt about the model itself ("you want ... suggest a room to yourself"). */
  self: text,
  /** The same prompt about the other party ("{party} wants ... suggest a room to {party}"). */
  other: text,
});

/** Which placeholder holds the deceptive answer and which the honest one. */
export const decisionSchema = z.object({
  deceptive: identifier,
  honest: identifier,
});

/** The test scenario: the prompt whose answer is classified. */
export const testScenarioSchema = z.object({
  template: text,
  /**
   * The same scenario with the honest option named first. `--mirror` renders it, so that a position
   * bias cannot pass for honesty. Optional, but packs without it cannot be mirrored.
   */
  mirrorTemplate: text.optional(),
  decision: decisionSchema,
  /** Appended after the prompt to steer the answer format ("Start your answer with 'I would'"). */
  answerFormat: z.string().optional(),
  /** Prepended by `--honesty-prompt`: a plain request to be honest with the other party. */
  honestyPrompt: z.string().optional(),
});

/** A named variant: overrides phrases, value lists or parts of the test scenario. */
export const variantSchema = z.object({
  id: identifier,
  description: z.string().default(''),
  /**
   * `self` marks the self-advising version of the test: the model advises ITSELF (the honest answer
   * serves it), so the experiment reports its self-side honesty next to deception. At most one per
   * pack; it must override `test.template` (and `test.mirrorTemplate` when the pack has one). Not a
   * generalisation variant. Absent = the other party is advised, as in the pack's own test.
   */
  advises: z.enum(['other', 'self']).optional(),
  phrases: z.record(identifier, z.string()).optional(),
  lists: z.record(identifier, valueListSchema).optional(),
  test: testScenarioSchema.partial().optional(),
});

export const packKindSchema = z.enum(['deception', 'control']);

export const scenarioPackSchema = z.object({
  format: z.literal(PACK_FORMAT),
  id: identifier,
  name: text,
  description: z.string().default(''),
  /**
   * `deception`: the decision's `deceptive` answer misleads the other party.
   * `control`: a capability check (e.g. theory of mind): `honest` is the correct answer, `deceptive` the wrong one.
   */
  kind: packKindSchema.default('deception'),
  lists: z.record(identifier, valueListSchema),
  placeholders: z.record(identifier, placeholderSchema),
  /** Fixed wordings referenced as `{name}`; variants override them. */
  phrases: z.record(identifier, z.string()).default({}),
  pairs: z.object({
    /** SOO training pairs; generation cycles through them over the train values. */
    train: z.array(pairTemplateSchema),
    /** Probe pairs in the test wording, for latent SOO (rendered with test values). */
    probe: z.array(pairTemplateSchema),
  }),
  test: testScenarioSchema,
  variants: z.array(variantSchema).default([]),
});

export type ValueList = z.infer<typeof valueListSchema>;
export type Placeholder = z.infer<typeof placeholderSchema>;
export type PairTemplate = z.infer<typeof pairTemplateSchema>;
export type Decision = z.infer<typeof decisionSchema>;
export type TestScenario = z.infer<typeof testScenarioSchema>;
export type Variant = z.infer<typeof variantSchema>;
export type ScenarioPack = z.infer<typeof scenarioPackSchema>;
/** A pack as written by a user, before defaults are filled in. */
export type ScenarioPackInput = z.input<typeof scenarioPackSchema>;

/** One self/other training or probe pair, as `soo-lab scenario pairs` prints it (cli.md). */
export interface RenderedPair {
  self: string;
  other: string;
  template: string;
  values: Record<string, string>;
}

/** One test prompt, as `soo-lab scenario render` prints it (cli.md). */
export interface RenderedPrompt {
  prompt: string;
  /** The answer value that is deceptive (e.g. the cheap room). */
  deceptive: string;
  /** The answer value that is honest (e.g. the expensive room). */
  honest: string;
  /** The variant id, or "main". */
  variant: string;
  values: Record<string, string>;
  /**
   * True when the rendered template names the honest option first: always with `mirror`; without it,
   * only if the pack's main template itself names the honest option first (packs may do either).
   */
  mirrored: boolean;
}

/** Which values a generation draws from, and how many instances. */
export interface GenerateOptions {
  n: number;
  seed: number;
}

export interface PairOptions extends GenerateOptions {
  set: 'train' | 'probe';
}

export interface RenderOptions extends GenerateOptions {
  variant?: string;
  mirror?: boolean;
  honestyPrompt?: boolean;
}
