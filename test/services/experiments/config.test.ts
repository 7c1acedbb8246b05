/**
 * The experiment config's training.point (the tapped node of layer L) and training.selfAnchor (the self
 * anchor term, native/src/train/self-anchor.h): published defaults, passed through as given, refused with
 * their JSON path when wrong, and an effective config stored before the fields existed still resolves (so
 * such runs still resume).
 */
import { describe, expect, it } from 'vitest';
import { resolveExperimentConfig } from '../../../electron/services/experiments/config.ts';

describe('experiment config: training.point', () => {
  it('defaults to attn_out (the published tap); latent SOO follows the training point unless set', () => {
    const c = resolveExperimentConfig({ model: 'm.gguf' });
    expect([c.training.point, c.latent.point]).toEqual(['attn_out', 'attn_out']);
    const r = resolveExperimentConfig({ model: 'm.gguf', training: { point: 'resid' } });
    expect([r.training.point, r.latent.point]).toEqual(['resid', 'resid']);
    expect(resolveExperimentConfig({ model: 'm.gguf', training: { point: 'resid' }, latent: { point: 'mlp_out' } }).latent.point).toBe('mlp_out');
  });

  it('refuses an unknown point, naming the field', () => {
    expect(() => resolveExperimentConfig({ model: 'm.gguf', training: { point: 'kqv_out' } }, 'exp.json')).toThrow(/exp\.json: \$\.training\.point: /);
  });
});

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
    delete stored.training.point;
    const again = resolveExperimentConfig(stored);
    expect(again.training.selfAnchor).toBe(0);
    expect(again.training.point).toBe('attn_out');
    expect(again.training.lr).toBe(5e-3);
  });
});
