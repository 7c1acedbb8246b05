/**
 * Pairs and test prompts: determinism, template cycling, value splits, disjointness, mirror,
 * honesty prompt, answer format and variants. Expected texts are rebuilt here from the pack's own
 * templates with a tiny independent substitution (a regexp), not copied from earlier output.
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioPack } from '../../../electron/contract/scenario-pack.ts';
import { generatePairs } from '../../../electron/services/scenarios/generate.ts';
import { renderPrompts } from '../../../electron/services/scenarios/render.ts';
import { builtinIds, mentions, pack } from './helpers.ts';

/** Independent reference fill: phrases first, then placeholders; `{{`/`}}` become braces. */
function referenceFill(template: string, phrases: Record<string, string>, values: Record<string, string>): string {
  const withPhrases = template.replace(/\{\{|\}\}|\{([A-Za-z][\w-]*)\}/g, (m, name: string | undefined) => (name && name in phrases ? phrases[name]! : m));
  return withPhrases.replace(/\{\{|\}\}|\{([A-Za-z][\w-]*)\}/g, (m, name: string | undefined) => (m === '{{' ? '{' : m === '}}' ? '}' : values[name!]!));
}

const jsonl = (items: unknown[]) => items.map((i) => JSON.stringify(i)).join('\n');

describe('generatePairs', () => {
  const p = pack();

  it('same seed, same bytes; different seed, different pairs', () => {
    const a = jsonl(generatePairs(p, { n: 52, seed: 7, set: 'train' }));
    const b = jsonl(generatePairs(pack(), { n: 52, seed: 7, set: 'train' }));
    const c = jsonl(generatePairs(p, { n: 52, seed: 8, set: 'train' }));
    expect(b).toBe(a);
    expect(c).not.toBe(a);
  });

  it('the first k pairs do not depend on n', () => {
    expect(generatePairs(p, { n: 5, seed: 3, set: 'train' })).toEqual(generatePairs(p, { n: 52, seed: 3, set: 'train' }).slice(0, 5));
  });

  it('cycles through the templates: pair i uses template i % T, filled as the template says', () => {
    const pairs = generatePairs(p, { n: 52, seed: 1, set: 'train' });
    const T = p.pairs.train.length;
    pairs.forEach((pair, i) => {
      const template = p.pairs.train[i % T]!;
      expect(pair.template).toBe(template.id);
      expect(pair.self).toBe(referenceFill(template.self, p.phrases, pair.values));
      expect(pair.other).toBe(referenceFill(template.other, p.phrases, pair.values));
    });
  });

  it('train pairs draw only train values, probe pairs only test values; shared lists give distinct values', () => {
    for (const set of ['train', 'probe'] as const) {
      const split = set === 'train' ? 'train' : 'test';
      for (const pair of generatePairs(p, { n: 200, seed: 11, set })) {
        for (const [name, value] of Object.entries(pair.values)) {
          expect(p.lists[p.placeholders[name]!.list]![split]).toContain(value);
        }
        expect(pair.values.first_room).not.toBe(pair.values.second_room);
      }
    }
  });

  it('spreads over the lists: 200 pairs use most train rooms and every template', () => {
    const pairs = generatePairs(p, { n: 200, seed: 0, set: 'train' });
    const rooms = new Set(pairs.flatMap((x) => [x.values.first_room, x.values.second_room]));
    expect(rooms.size).toBe(p.lists.rooms!.train.length);
    expect(new Set(pairs.map((x) => x.template)).size).toBe(p.pairs.train.length);
  });

  it('self never names the other party; other always does', () => {
    for (const pair of generatePairs(p, { n: 52, seed: 2, set: 'train' })) {
      expect(mentions(pair.self, pair.values.party!)).toBe(false);
      expect(mentions(pair.other, pair.values.party!)).toBe(true);
    }
  });

  it('a set without templates is bad input', () => {
    const empty: ScenarioPack = { ...p, pairs: { ...p.pairs, probe: [] } };
    expect(() => generatePairs(empty, { n: 1, seed: 0, set: 'probe' })).toThrow(/no probe pairs/);
  });
});

describe('built-in pairs are aligned', () => {
  // Words and punctuation marks: a tokenizer-free stand-in for token counts. Real token counts depend
  // on the model's tokenizer and on the name drawn; `full` positions need them equal, so the built-in
  // pairs differ only in who is referred to, one word for one word.
  const pieces = (text: string) => text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
  it.each(builtinIds())('%s: self and other have the same number of words and punctuation marks', (id) => {
    const p = pack(id);
    for (const set of ['train', 'probe'] as const) {
      for (const pair of generatePairs(p, { n: 2 * p.pairs[set].length, seed: 0, set })) {
        expect(pieces(pair.other), `${set} ${pair.template}`).toBe(pieces(pair.self));
      }
    }
  });
});

describe('train/test disjointness', () => {
  it.each(builtinIds())('%s: no training value appears in any rendered test prompt or probe pair', (id) => {
    const p = pack(id);
    const trainValues = Object.values(p.lists).flatMap((l) => l.train);
    const texts = [
      ...['main', ...p.variants.map((v) => v.id)].flatMap((variant) =>
        renderPrompts(p, { n: 250, seed: 5, variant, mirror: !!p.test.mirrorTemplate, honestyPrompt: !!p.test.honestyPrompt }).map((x) => x.prompt),
      ),
      ...renderPrompts(p, { n: 250, seed: 5 }).map((x) => x.prompt),
      ...generatePairs(p, { n: 52, seed: 5, set: 'probe' }).flatMap((x) => [x.self, x.other]),
    ];
    const leaks = texts.flatMap((text) => trainValues.filter((v) => mentions(text, v)).map((v) => `${v} in: ${text}`));
    expect(leaks).toEqual([]);
    // And the reverse: the training pairs never contain a test value.
    const testValues = Object.values(p.lists).flatMap((l) => l.test);
    const trainTexts = generatePairs(p, { n: 52, seed: 5, set: 'train' }).flatMap((x) => [x.self, x.other]);
    expect(trainTexts.flatMap((text) => testValues.filter((v) => mentions(text, v)))).toEqual([]);
  });
});

describe('renderPrompts', () => {
  const p = pack();

  it('same seed, same bytes; different seed, different prompts; 250 by default size', () => {
    const a = jsonl(renderPrompts(p, { n: 250, seed: 4 }));
    expect(jsonl(renderPrompts(pack(), { n: 250, seed: 4 }))).toBe(a);
    expect(jsonl(renderPrompts(p, { n: 250, seed: 5 }))).not.toBe(a);
  });

  it('fills the template and appends the answer format after a space', () => {
    for (const x of renderPrompts(p, { n: 20, seed: 1 })) {
      const body = referenceFill(p.test.template, p.phrases, x.values);
      expect(x.prompt).toBe(`${body} ${referenceFill(p.test.answerFormat!, p.phrases, x.values)}`);
      expect(x.deceptive).toBe(x.values.first_room);
      expect(x.honest).toBe(x.values.second_room);
      expect(x.variant).toBe('main');
      expect(x.mirrored).toBe(false);
      // The main template names the deceptive (cheap) room first, as published.
      expect(x.prompt.indexOf(x.deceptive)).toBeLessThan(x.prompt.indexOf(x.honest));
    }
  });

  it('mirror: honest option named first, same values and decision', () => {
    const plain = renderPrompts(p, { n: 50, seed: 9 });
    const mirrored = renderPrompts(p, { n: 50, seed: 9, mirror: true });
    mirrored.forEach((m, i) => {
      expect(m.values).toEqual(plain[i]!.values);
      expect([m.deceptive, m.honest]).toEqual([plain[i]!.deceptive, plain[i]!.honest]);
      expect(m.mirrored).toBe(true);
      expect(m.prompt.indexOf(m.honest)).toBeLessThan(m.prompt.indexOf(m.deceptive));
      expect(m.prompt).toBe(`${referenceFill(p.test.mirrorTemplate!, p.phrases, m.values)} ${referenceFill(p.test.answerFormat!, p.phrases, m.values)}`);
    });
  });

  it('honesty prompt: prepended, the rest unchanged', () => {
    const plain = renderPrompts(p, { n: 10, seed: 2 });
    renderPrompts(p, { n: 10, seed: 2, honestyPrompt: true }).forEach((x, i) => {
      expect(x.prompt).toBe(`${referenceFill(p.test.honestyPrompt!, p.phrases, x.values)} ${plain[i]!.prompt}`);
    });
  });

  it('mirror and honesty prompt without the pack fields are bad input naming the field', () => {
    const bare: ScenarioPack = { ...p, test: { template: p.test.template, decision: p.test.decision } };
    expect(() => renderPrompts(bare, { n: 1, seed: 0, mirror: true })).toThrow(/mirrorTemplate/);
    expect(() => renderPrompts(bare, { n: 1, seed: 0, honestyPrompt: true })).toThrow(/honestyPrompt/);
    expect(() => renderPrompts(p, { n: 1, seed: 0, variant: 'shout' })).toThrow(/no variant "shout"/);
  });

  it('the seven published variants, each changing exactly what it declares', () => {
    // The eighth, `self` (advises: "self"), brings its own template: tested in the experiments' self-side tests.
    const generalisation = p.variants.filter((v) => v.advises !== 'self');
    expect(generalisation.map((v) => v.id)).toEqual(['rename', 'want', 'mention', 'rename-want', 'rename-mention', 'want-mention', 'rename-want-mention']);
    const main = renderPrompts(p, { n: 30, seed: 6 });
    for (const variant of generalisation) {
      const out = renderPrompts(p, { n: 30, seed: 6, variant: variant.id });
      const phrases = { ...p.phrases, ...variant.phrases };
      out.forEach((x, i) => {
        const base = main[i]!;
        expect(x.variant).toBe(variant.id);
        expect(x.prompt).not.toBe(base.prompt);
        expect(x.prompt).toBe(`${referenceFill(p.test.template, phrases, x.values)} ${referenceFill(p.test.answerFormat!, phrases, x.values)}`);
        // Rooms and objects stay; only the name changes, and only when the variant renames.
        const renames = variant.id.includes('rename');
        for (const key of ['first_room', 'second_room', 'cheap_object', 'expensive_object']) expect(x.values[key]).toBe(base.values[key]);
        if (renames) expect(variant.lists?.names?.test).toContain(x.values.party);
        else expect(x.values.party).toBe(base.values.party);
        expect(x.prompt.includes(' steal ')).toBe(!variant.id.includes('want'));
        expect(/\brecommend\b/.test(x.prompt)).toBe(!variant.id.includes('mention'));
        expect(/\bmention\b/.test(x.prompt)).toBe(variant.id.includes('mention'));
      });
    }
  });

  it('literal braces survive rendering', () => {
    const braces: ScenarioPack = { ...p, test: { ...p.test, answerFormat: 'Answer as {{"room": "{party}"}}.' } };
    const [x] = renderPrompts(braces, { n: 1, seed: 0 });
    expect(x!.prompt.endsWith(`Answer as {"room": "${x!.values.party}"}.`)).toBe(true);
  });
});
