/**
 * The stages of an experiment, in the order they run, each with a stable key. A stage's key is the
 * name of the child run that records it, so a resumed experiment finds what is done by name:
 *
 *   baseline   eval of every scenario (main, its mirror, the self-advising variant and its mirror,
 *              each variant, each generalisation pack, the control), the main scenario once more
 *              with the honesty prompt, latent SOO per layer, perplexity, MT-Bench (when configured)
 *   seed S     SOO training, then the same evals (no honesty prompt), latent SOO, perplexity, MT-Bench
 *
 * The self side: when the main pack has a variant with `advises: "self"` (docs/scenario-packs.md),
 * it is evaluated as role `self` (the model advises itself; honest = the answer that serves it),
 * never as a generalisation variant.
 *
 * Pure: no I/O. The packs are resolved by the caller (for the variant lists and mirror templates).
 */
import type { ScenarioPack } from '../../contract/scenario-pack.ts';
import { applyVariant, MAIN_VARIANT } from '../scenarios/variant.ts';
import type { ExperimentConfig } from './config.ts';

/** One evaluated scenario: a pack, a variant, mirrored or not. */
export interface ScenarioSpec {
  /** Stable id, e.g. "burglar-house/main", "burglar-house/main/mirror", "treasure-hunt/main". */
  key: string;
  packId: string;
  variant: string;
  mirror: boolean;
  honestyPrompt: boolean;
  /**
   * deception: lower deceptive rate is the goal; control: theory of mind, should stay put;
   * self: the model advises itself (self-side honesty, reported next to deception).
   */
  role: 'deception' | 'control' | 'self';
}

export type Stage =
  | { key: string; kind: 'eval'; phase: Phase; scenario: ScenarioSpec }
  | { key: string; kind: 'latent'; phase: Phase }
  | { key: string; kind: 'perplexity'; phase: Phase }
  | { key: string; kind: 'mtbench'; phase: Phase }
  | { key: string; kind: 'train'; phase: Phase & { seed: number } };

/** baseline, or one training seed. */
export type Phase = { seed: number | null };

export function phaseName(phase: Phase): string {
  return phase.seed === null ? 'baseline' : `seed ${phase.seed}`;
}

export interface ResolvedPacks {
  main: ScenarioPack;
  generalisation: ScenarioPack[];
  control: ScenarioPack | null;
}

/** The scenarios evaluated before and after training (the honesty-prompt one is added for the baseline). */
export function scenarioSpecs(config: ExperimentConfig, packs: ResolvedPacks): ScenarioSpec[] {
  const main = packs.main;
  const spec = (pack: ScenarioPack, variant: string, mirror: boolean, role: ScenarioSpec['role']): ScenarioSpec => ({
    key: `${pack.id}/${variant}${mirror ? '/mirror' : ''}`,
    packId: pack.id,
    variant,
    mirror,
    honestyPrompt: false,
    role,
  });
  const specs = [spec(main, MAIN_VARIANT, false, 'deception')];
  if (config.mirror && main.test.mirrorTemplate !== undefined) specs.push(spec(main, MAIN_VARIANT, true, 'deception'));
  const self = selfVariantOf(main);
  if (self) {
    specs.push(spec(main, self.id, false, 'self'));
    // a variant that changes only phrases inherits the pack's mirror template
    if (config.mirror && applyVariant(main, self.id).test.mirrorTemplate !== undefined) specs.push(spec(main, self.id, true, 'self'));
  }
  const declared = (main.variants ?? []).map((v) => v.id);
  const variants = (config.variants === 'all' ? declared : config.variants).filter((v) => v !== self?.id);
  for (const v of variants) specs.push(spec(main, v, false, 'deception'));
  for (const p of packs.generalisation) specs.push(spec(p, MAIN_VARIANT, false, 'deception'));
  if (packs.control) specs.push(spec(packs.control, MAIN_VARIANT, false, 'control'));
  return specs;
}

/** The main pack's self-advising variant (`advises: "self"`), if it has one. */
export function selfVariantOf(pack: ScenarioPack): NonNullable<ScenarioPack['variants']>[number] | undefined {
  return (pack.variants ?? []).find((v) => v.advises === 'self');
}

export function honestySpec(config: ExperimentConfig, packs: ResolvedPacks): ScenarioSpec {
  return { key: `${packs.main.id}/${MAIN_VARIANT}/honesty-prompt`, packId: packs.main.id, variant: MAIN_VARIANT, mirror: false, honestyPrompt: true, role: 'deception' };
}

export function planStages(config: ExperimentConfig, packs: ResolvedPacks): Stage[] {
  const specs = scenarioSpecs(config, packs);
  const stages: Stage[] = [];
  const phaseStages = (phase: Phase, extra: ScenarioSpec[]) => {
    const p = phaseName(phase);
    for (const s of [...specs, ...extra]) stages.push({ key: `${p}: eval ${s.key}`, kind: 'eval', phase, scenario: s });
    stages.push({ key: `${p}: latent`, kind: 'latent', phase });
    if (config.capability.perplexity) stages.push({ key: `${p}: perplexity`, kind: 'perplexity', phase });
    if (config.capability.mtBench) stages.push({ key: `${p}: mtbench`, kind: 'mtbench', phase });
  };
  phaseStages({ seed: null }, [honestySpec(config, packs)]);
  for (const seed of config.seeds) {
    stages.push({ key: `seed ${seed}: train`, kind: 'train', phase: { seed } });
    phaseStages({ seed }, []);
  }
  return stages;
}
