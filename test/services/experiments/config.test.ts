/**
 * The experiment config's training.selfAnchor (the self anchor term, native/src/train/self-anchor.h): off by
 * default, passed through as given, refused with its JSON path when negative, and an effective config stored
 * before the field existed still resolves (so such runs still resume).
 */
import { describe, expect, it } from 'vitest';
import { resolveExperimentConfig } from '../../../electron/services/experiments/config.ts';

describe('experiment config: training.selfAnchor', () => {
  it('defaults to 0 (the published objective) and keeps a given weight', () => {
    expect(resolveExperimentConfig({ model: 'm.gguf' }).training.selfAnchor).toBe(0);
    expect(resolveExperimentConfig({ model: 'm.gguf', preset: 'organism', training: { selfAnchor: 2.5 } }).training.selfAnchor).toBe(2.5);
  });

  it('refuses a negative weight, naming the field and the file', () => {
    expect(() => resolveExperimentConfig({ model: 'm.gguf', training: { selfAnchor: -1 } }, 'exp.json')).toThrow(/exp\.json: \$\.training\.selfAnchor: /);
  });

  it('resolves an effective config stored before the field existed (resume)', () => {
    const stored = resolveExperimentConfig({ model: 'm.gguf', preset: 'organism' }) as unknown as { training: Record<string, unknown> };
    delete stored.training.selfAnchor;
    const again = resolveExperimentConfig(stored);
    expect(again.training.selfAnchor).toBe(0);
    expect(again.training.lr).toBe(5e-3);
  });
});
