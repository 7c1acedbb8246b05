import { describe, expect, it } from 'vitest';
import { apiNames } from '../../electron/contract/api.ts';
import { badInput } from '../../electron/contract/errors.ts';
import { dispatch, jsonPath, type ApiHandlers } from '../../electron/services/api/dispatch.ts';

/** Handlers that echo their parsed input, so the test sees exactly what passed the schema. */
const echo = Object.fromEntries(apiNames.map((name) => [name, (input: unknown) => ({ name, input })])) as unknown as ApiHandlers;

describe('dispatch', () => {
  it('refuses unknown names without calling anything', async () => {
    const result = await dispatch(echo, 'scenarios.rm -rf', {});
    expect(result).toEqual({ ok: false, error: { code: 'bad_input', message: 'unknown API call "scenarios.rm -rf"' } });
  });

  it('parses input with the entry schema and fills defaults', async () => {
    const result = await dispatch(echo, 'scenarios.preview', { pack: { any: 1 }, n: 3 });
    expect(result).toEqual({
      ok: true,
      value: { name: 'scenarios.preview', input: { pack: { any: 1 }, n: 3, seed: 0, set: 'train', mirror: false, honestyPrompt: false } },
    });
  });

  it('reports bad input with a JSON path per problem', async () => {
    const result = await dispatch(echo, 'scenarios.preview', { pack: {}, n: 0, set: 'test' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.code).toBe('bad_input');
    expect(result.error.issues?.map((i) => i.path).sort()).toEqual(['$.n', '$.set']);
    expect(result.error.message).toMatch(/^invalid input to scenarios\.preview: \$\./);
  });

  it('refuses extra fields on entries without input', async () => {
    const result = await dispatch(echo, 'app.info', { evil: true });
    expect(result.ok).toBe(false);
  });

  it('turns thrown errors into data', async () => {
    const failing = { ...echo, 'scenarios.get': () => { throw badInput('no such pack', { path: '$.id' }); } } as ApiHandlers;
    expect(await dispatch(failing, 'scenarios.get', { id: 'x' })).toEqual({ ok: false, error: { code: 'bad_input', message: 'no such pack', path: '$.id' } });
  });

  it('formats JSON paths', () => {
    expect(jsonPath(['lists', 'rooms', 'train', 3])).toBe('$.lists.rooms.train[3]');
    expect(jsonPath(['values', 'a b'])).toBe('$.values["a b"]');
  });
});
