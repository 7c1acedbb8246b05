/**
 * ScenarioService on a real migrated SQLite file (through createServices): built-in and user packs,
 * save/get/delete, import/export round trip, preview of broken drafts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { previewInput } from '../../../electron/contract/api.ts';
import { SooError } from '../../../electron/contract/errors.ts';
import { createServices, type Services } from '../../../electron/services/index.ts';
import { builtinIds, rawPack } from './helpers.ts';

const opened: { services: Services; dir: string }[] = [];

function open(): Services {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'soo-scenarios-'));
  const services = createServices({ dbPath: path.join(dir, 'soo-lab.db') });
  opened.push({ services, dir });
  return services;
}

afterEach(() => {
  for (const { services, dir } of opened.splice(0)) {
    services.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A user pack: the main pack under another id and name. */
function userPack(id = 'my-burglar') {
  const p = rawPack();
  p.id = id;
  p.name = 'My burglar';
  return p;
}

function errorOf(fn: () => unknown): SooError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SooError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('ScenarioService', () => {
  it('lists the built-in packs, marked builtin, with their counts', () => {
    const { scenarios } = open();
    const list = scenarios.list();
    expect(list.map((p) => p.id).sort()).toEqual(builtinIds().sort());
    const main = list.find((p) => p.id === 'burglar-house')!;
    expect(main).toMatchObject({ source: 'builtin', kind: 'deception', updatedAt: null, trainPairs: 3, variants: 8 });
    expect(list.find((p) => p.id === 'theory-of-mind')?.kind).toBe('control');
  });

  it('saves a user pack, lists it after the built-ins, gets it back, deletes it', () => {
    const { scenarios } = open();
    const saved = scenarios.save(userPack());
    expect(saved.id).toBe('my-burglar');
    expect(Date.parse(saved.updatedAt)).not.toBeNaN();
    const list = scenarios.list();
    expect(list.at(-1)).toMatchObject({ id: 'my-burglar', source: 'user', name: 'My burglar', updatedAt: saved.updatedAt });
    expect(list.slice(0, -1).every((p) => p.source === 'builtin')).toBe(true);
    const doc = scenarios.get('my-burglar');
    expect(doc.source).toBe('user');
    expect(doc.pack).toEqual(userPack());
    expect(scenarios.delete('my-burglar')).toEqual({ deleted: true });
    expect(scenarios.delete('my-burglar')).toEqual({ deleted: false });
    expect(errorOf(() => scenarios.get('my-burglar')).code).toBe('not_found');
  });

  it('refuses an invalid pack with every issue, and a built-in id at $.id', () => {
    const { scenarios } = open();
    const broken = userPack();
    broken.lists.rooms.test.push('attic');
    const error = errorOf(() => scenarios.save(broken));
    expect(error.code).toBe('bad_input');
    expect(error.data.issues?.map((i) => i.path)).toContain('$.lists.rooms.test[12]');
    const taken = errorOf(() => scenarios.save(rawPack()));
    expect(taken.data.path).toBe('$.id');
    expect(errorOf(() => scenarios.delete('burglar-house')).code).toBe('bad_input');
    expect(scenarios.list().filter((p) => p.source === 'user')).toEqual([]);
  });

  it('validate returns ok and issues', () => {
    const { scenarios } = open();
    expect(scenarios.validate(rawPack())).toEqual({ ok: true, issues: [] });
    const result = scenarios.validate({ ...rawPack(), id: '9lives' });
    expect(result.ok).toBe(false);
    expect(result.issues[0]?.path).toBe('$.id');
  });

  it('import, export and import again: the same pack', () => {
    const { scenarios } = open();
    const text = JSON.stringify(userPack('round-trip'));
    expect(scenarios.importText('round-trip.json', text)).toEqual({ id: 'round-trip', name: 'My burglar' });
    const exported = scenarios.exportText('round-trip');
    expect(exported.fileName).toBe('round-trip.json');
    expect(exported.text).toBe(`${JSON.stringify(userPack('round-trip'), null, 2)}\n`);
    scenarios.delete('round-trip');
    scenarios.importText('again.json', exported.text);
    expect(scenarios.get('round-trip').pack).toEqual(userPack('round-trip'));
    // Built-ins export too, and stay valid when re-imported under a new id.
    const builtin = JSON.parse(scenarios.exportText('treasure-hunt').text);
    builtin.id = 'treasure-copy';
    expect(scenarios.importText('copy.json', JSON.stringify(builtin)).id).toBe('treasure-copy');
  });

  it('import names the file and line of a JSON error, and the file of an invalid pack', () => {
    const { scenarios } = open();
    const syntax = errorOf(() => scenarios.importText('pack.json', '{\n  "id": "a",\n  oops\n}'));
    expect(syntax.data.file).toBe('pack.json');
    expect(syntax.message).toMatch(/^pack\.json:3:3: /);
    const invalid = errorOf(() => scenarios.importText('bad.json', JSON.stringify({ ...userPack(), kind: 'comedy' })));
    expect(invalid.data).toMatchObject({ file: 'bad.json', path: '$.kind' });
  });

  it('preview renders a valid draft: n pairs of the chosen set and n prompts', () => {
    const { scenarios } = open();
    const result = scenarios.preview(previewInput.parse({ pack: rawPack(), n: 6, seed: 3, set: 'probe', variant: 'want', mirror: true }));
    expect(result.issues).toEqual([]);
    expect(result.pairs).toHaveLength(6);
    expect(result.pairs.map((p) => p.template)).toEqual(['share-house', 'share-house-asked', 'share-house', 'share-house-asked', 'share-house', 'share-house-asked']);
    expect(result.prompts).toHaveLength(6);
    expect(result.prompts.every((p) => p.variant === 'want' && p.mirrored)).toBe(true);
  });

  it('preview never throws for a broken draft: issues plus whatever still renders', () => {
    const { scenarios } = open();
    const draft = rawPack();
    draft.pairs.train[1].other += ' {ghost}'; // template 1 cannot render
    const result = scenarios.preview(previewInput.parse({ pack: draft, n: 6 }));
    expect(result.issues.map((i) => i.path)).toContain('$.pairs.train[1].other');
    expect(result.pairs.map((p) => p.template)).toEqual(['house-would', 'thief-intends', 'house-would', 'thief-intends']);
    expect(result.prompts).toHaveLength(6);
    // Shape errors: nothing renders, issues come back.
    const shapeless = scenarios.preview(previewInput.parse({ pack: { hello: 1 }, n: 2 }));
    expect(shapeless.issues.length).toBeGreaterThan(0);
    expect(shapeless).toMatchObject({ pairs: [], prompts: [] });
    // A flag the pack cannot serve is reported as an issue, not thrown.
    const noMirror = rawPack();
    delete noMirror.test.mirrorTemplate;
    const mirrored = scenarios.preview(previewInput.parse({ pack: noMirror, n: 2, mirror: true }));
    expect(mirrored.issues.map((i) => i.path)).toEqual(['$.test.mirrorTemplate']);
    expect(mirrored.prompts).toEqual([]);
    expect(mirrored.pairs).toHaveLength(2);
  });
});
