/**
 * ModelLibrary (models folder + external paths, header metadata) and ModelHashCache (sha256 cached
 * by path + size + mtime) on generated tiny models. References: the options the models were made
 * with and the parameter count worked out from the llama tensor shapes by hand; node:crypto for hashes.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SooError } from '../../../electron/contract/errors.ts';
import { ModelHashCache } from '../../../electron/services/models/modelHash.ts';
import { ModelLibrary } from '../../../electron/services/models/modelLibrary.ts';
import { openDatabase, type Store } from '../../../electron/services/store/index.ts';
import { tinyModel } from '../../helpers/tiny-models.ts';
import { tempDir, writeLlamaLora } from '../evaluation/helpers.ts';

const dir = tempDir('soo-library-');
const modelsDir = path.join(dir, 'models');
let store: Store;

beforeAll(async () => {
  fs.mkdirSync(modelsDir);
  fs.copyFileSync(await tinyModel({ arch: 'llama', type: 'f32' }), path.join(modelsDir, 'b-llama-f32.gguf'));
  fs.copyFileSync(await tinyModel({ arch: 'qwen2', type: 'q8_0' }), path.join(modelsDir, 'a-qwen2-q8.gguf'));
  fs.writeFileSync(path.join(modelsDir, 'c-broken.gguf'), 'not a model at all');
  fs.writeFileSync(path.join(modelsDir, 'notes.txt'), 'ignored');
  store = openDatabase(path.join(dir, 'lab.db'));
});

afterAll(() => {
  store?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ModelLibrary', () => {
  it('lists the folder GGUFs sorted by name with their header metadata; a broken file carries its error', async () => {
    const library = new ModelLibrary({ db: store.db, modelsDir });
    const models = await library.list();
    expect(models.map((m) => m.fileName)).toEqual(['a-qwen2-q8.gguf', 'b-llama-f32.gguf', 'c-broken.gguf']);
    const [qwen, llama, broken] = models;
    // tinyModel defaults (test/helpers/tiny-models.ts): 2 layers, n_embd 64, 4 heads, ctx 512, n_ff 256
    expect(llama).toMatchObject({ source: 'library', architecture: 'llama', layers: 2, nEmbd: 64, heads: 4, contextLength: 512, fileType: 'ALL_F32', chatTemplate: true, type: 'model' });
    expect(qwen).toMatchObject({ architecture: 'qwen2', layers: 2, nEmbd: 64, heads: 4, fileType: 'MOSTLY_Q8_0', chatTemplate: true });
    // llama: token_embd + output (32000 x 64 each), output_norm 64, per layer 2 norms (64), q/k/v/o (64 x 64), gate/up/down (64 x 256)
    const perLayer = 2 * 64 + 4 * 64 * 64 + 3 * 64 * 256;
    expect(llama!.parameters).toBe(2 * 32000 * 64 + 64 + 2 * perLayer);
    expect(llama!.bytes).toBe(fs.statSync(path.join(modelsDir, 'b-llama-f32.gguf')).size);
    expect(broken!.error).toContain('not a GGUF file');
    expect(broken!.architecture).toBeNull();
  });

  it('registers external paths (checked first), lists them after the folder, and forgets them', async () => {
    const library = new ModelLibrary({ db: store.db, modelsDir });
    const adapter = await writeLlamaLora(path.join(dir, 'lora.gguf'), { layers: 2, nEmbd: 64 });
    const info = await library.addExternal(adapter);
    expect(info).toMatchObject({ source: 'external', type: 'adapter', architecture: 'llama', path: adapter });
    await library.addExternal(adapter); // idempotent
    expect(library.externalPaths()).toEqual([adapter]);
    expect((await library.list()).at(-1)!.path).toBe(adapter);
    // stored where the app keeps settings
    expect(store.db.prepare("SELECT value FROM app_settings WHERE key = 'models.external'").get()).toEqual({ value: JSON.stringify([adapter]) });

    const junk = path.join(dir, 'junk.gguf');
    fs.writeFileSync(junk, 'PK zip');
    const error = (await library.addExternal(junk).catch((e) => e)) as SooError;
    expect(error.code).toBe('bad_input');
    expect(error.message).toContain(junk);
    expect(library.removeExternal(adapter)).toBe(true);
    expect(library.removeExternal(adapter)).toBe(false);
    expect(library.externalPaths()).toEqual([]);
  });
});

describe('ModelHashCache', () => {
  it('hashes like node:crypto, serves the cache while size and mtime hold, rehashes when they change', async () => {
    const file = path.join(dir, 'hashme.gguf');
    fs.copyFileSync(path.join(modelsDir, 'b-llama-f32.gguf'), file);
    const cache = new ModelHashCache(store.db);
    const expected = createHash('sha256').update(fs.readFileSync(file)).digest('hex');
    expect(await cache.sha256(file)).toBe(expected);
    expect(await cache.sha256(file)).toBe(expected);
    expect(cache.hashedCount).toBe(1);
    // a new connection sees the cached row
    const again = new ModelHashCache(store.db);
    expect(await again.sha256(file)).toBe(expected);
    expect(again.hashedCount).toBe(0);

    // same size, other content, other mtime: hashed again
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0xff;
    fs.writeFileSync(file, bytes);
    fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
    const changed = createHash('sha256').update(bytes).digest('hex');
    expect(await again.sha256(file)).toBe(changed);
    expect(again.hashedCount).toBe(1);
    expect(store.db.prepare('SELECT sha256 FROM model_hashes WHERE path = ?').get(file)).toEqual({ sha256: changed });
    expect(((await cache.sha256(path.join(dir, 'missing.gguf')).catch((e) => e)) as SooError).code).toBe('bad_input');
  });
});
