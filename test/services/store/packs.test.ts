/** PackRepository: save, list, get, update (created_at kept), delete, input checks. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PackRepository } from '../../../electron/services/store/index.ts';
import { thrown, useStoreSandbox } from './helpers.ts';

const sandbox = useStoreSandbox();

/** A clock that moves one second per call, so created_at and updated_at differ visibly. */
function steppingClock(start = Date.UTC(2026, 0, 1)) {
  let t = start;
  return () => new Date((t += 1000));
}

/** A migrated store and a repository on it; `using` closes the store. */
function setup() {
  const store = sandbox.open(path.join(sandbox.tempDir(), 'packs.db'));
  return { store, packs: new PackRepository(store.db, { now: steppingClock() }), [Symbol.dispose]: () => store.dispose() };
}

describe('PackRepository', () => {
  it('saves a pack and gets back the exact JSON text, its parse and the metadata', () => {
    using t = setup();
    const { store, packs } = t;
    const json = '{ "rooms" : ["kitchen",  "study"],\n  "n": 2 }';
    const saved = packs.save({ id: 'burglar', name: 'Burglar', description: 'the classic', json });
    expect(saved).toEqual({
      id: 'burglar',
      name: 'Burglar',
      description: 'the classic',
      createdAt: '2026-01-01T00:00:01.000Z',
      updatedAt: '2026-01-01T00:00:01.000Z',
    });
    const got = packs.get('burglar');
    expect(got).toEqual({ ...saved, json, pack: JSON.parse(json) });
    // What is on disk, read without the repository.
    expect(store.db.prepare('SELECT json FROM scenario_packs WHERE id = ?').get('burglar')).toEqual({ json });
    expect(packs.get('nope')).toBeUndefined();
  });

  it('lists summaries without JSON, sorted by name ignoring case, then id', () => {
    using t = setup();
    const { packs } = t;
    const names = ['beta', 'Alpha', 'gamma', 'alpha', 'Beta2'];
    names.forEach((name, i) => packs.save({ id: `p${i}`, name, json: '{}' }));
    const listed = packs.list();
    const expected = names
      .map((name, i) => ({ name, id: `p${i}` }))
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()) || a.id.localeCompare(b.id));
    expect(listed.map((p) => ({ name: p.name, id: p.id }))).toEqual(expected);
    expect(Object.keys(listed[0]!).sort()).toEqual(['createdAt', 'description', 'id', 'name', 'updatedAt']);
  });

  it('updates in place, keeping created_at and moving updated_at', () => {
    using t = setup();
    const { packs } = t;
    const first = packs.save({ id: 'p', name: 'First', json: '{"v":1}' });
    const second = packs.save({ id: 'p', name: 'Second', description: 'changed', json: '{"v":2}' });
    expect(second.createdAt).toBe(first.createdAt);
    expect(Date.parse(second.updatedAt)).toBeGreaterThan(Date.parse(first.updatedAt));
    expect(packs.list()).toHaveLength(1);
    expect(packs.get('p')).toMatchObject({ name: 'Second', description: 'changed', json: '{"v":2}', pack: { v: 2 } });
  });

  it('deletes, reporting whether the pack existed', () => {
    using t = setup();
    const { packs } = t;
    packs.save({ id: 'a', name: 'A', json: '[]' });
    packs.save({ id: 'b', name: 'B', json: '[]' });
    expect(packs.delete('a')).toBe(true);
    expect(packs.delete('a')).toBe(false);
    expect(packs.get('a')).toBeUndefined();
    expect(packs.list().map((p) => p.id)).toEqual(['b']);
  });

  it('rejects bad input as bad_input naming the pack and field, writing nothing', () => {
    using t = setup();
    const { packs } = t;
    const badJson = thrown(() => packs.save({ id: 'x', name: 'X', json: '{"rooms": [' }));
    expect(badJson.code).toBe('bad_input');
    expect(badJson.message).toMatch(/^pack x: json is not valid JSON/);
    expect(thrown(() => packs.save({ id: '', name: 'X', json: '{}' })).code).toBe('bad_input');
    expect(thrown(() => packs.save({ id: 'x', name: '   ', json: '{}' })).message).toContain('name');
    expect(packs.list()).toEqual([]);
  });
});
