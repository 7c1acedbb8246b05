/**
 * ensureLlamaSource clones node-llama-cpp's git bundle when the tree is missing (what CI does), once,
 * even when two callers race; an existing tree is used as is.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureLlamaSource } from '../../../electron/services/gguf/llama-source.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soo-llama-source-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('ensureLlamaSource', () => {
  it('clones the bundle into a missing folder once, even with two concurrent callers', async () => {
    const target = path.join(dir, 'llama.cpp');
    const [a, b] = await Promise.all([ensureLlamaSource({ dir: target }), ensureLlamaSource({ dir: target })]);
    expect(a).toBe(target);
    expect(b).toBe(target);
    expect(fs.existsSync(path.join(target, 'models', 'ggml-vocab-qwen2.gguf.inp'))).toBe(true);
    expect(fs.readdirSync(dir)).toEqual(['llama.cpp']); // no temporary clones left
    const before = fs.statSync(target).mtimeMs;
    await ensureLlamaSource({ dir: target });
    expect(fs.statSync(target).mtimeMs).toBe(before);
  });

  it('says what to do when neither the tree nor the bundle exists', async () => {
    await expect(ensureLlamaSource({ dir: path.join(dir, 'none'), bundle: path.join(dir, 'missing.bundle') })).rejects.toMatchObject({
      message: expect.stringContaining('missing.bundle'),
      data: { hint: expect.stringContaining('npm ci') },
    });
  });
});
