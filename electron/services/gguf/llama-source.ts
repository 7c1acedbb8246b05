/**
 * Finds the llama.cpp source tree that node-llama-cpp bundles (its vocab-only GGUFs, chat templates,
 * ggml headers), cloning it once from node_modules/node-llama-cpp/llama/gitRelease.bundle into
 * `<app root>/.cache/llama.cpp` when it is not there yet. Offline: the bundle is a local git bundle.
 *
 * Safe when several processes call it at once: each clones into its own temporary folder and renames
 * it into place; a loser of that race removes its copy and uses the winner's.
 * Not here: building anything from the source.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { SooError } from '../../contract/errors.ts';
import { APP_ROOT } from '../paths.ts';

const execFileAsync = promisify(execFile);

export interface LlamaSourceOptions {
  /** Where the clone lives. Defaults to env SOO_LAB_LLAMA_SOURCE, else `<app root>/.cache/llama.cpp`. */
  dir?: string;
  /** The git bundle to clone. Defaults to node-llama-cpp's `llama/gitRelease.bundle` under the app root. */
  bundle?: string;
}

/** A tree counts as present when it has the files we read from it. */
function isComplete(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'models', 'ggml-vocab-llama-spm.gguf')) && fs.existsSync(path.join(dir, 'ggml', 'include', 'ggml.h'));
}

/** Returns the path of the llama.cpp source tree, cloning it first if needed. */
export async function ensureLlamaSource(options: LlamaSourceOptions = {}): Promise<string> {
  const dir = path.resolve(options.dir ?? process.env.SOO_LAB_LLAMA_SOURCE ?? path.join(APP_ROOT, '.cache', 'llama.cpp'));
  if (isComplete(dir)) return dir;
  const bundle = options.bundle ?? path.join(APP_ROOT, 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
  if (!fs.existsSync(bundle)) {
    throw new SooError({
      code: 'internal',
      message: `the llama.cpp source is not at ${dir} and the git bundle to clone it from is missing: ${bundle}`,
      hint: 'run `npm ci` so node-llama-cpp is installed, or set SOO_LAB_LLAMA_SOURCE to a llama.cpp checkout',
    });
  }
  fs.mkdirSync(path.dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await execFileAsync('git', ['-c', 'advice.detachedHead=false', 'clone', '--quiet', bundle, tmp], { maxBuffer: 16 << 20 });
    try {
      fs.renameSync(tmp, dir);
    } catch (error) {
      // Another process finished first (rename onto a non-empty folder fails): use its tree.
      if (!isComplete(dir)) throw error;
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  if (!isComplete(dir)) throw new SooError({ code: 'internal', message: `cloned ${bundle} into ${dir} but models/ggml-vocab-llama-spm.gguf is missing` });
  return dir;
}
