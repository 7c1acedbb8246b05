/**
 * Shared by the native tests: the built addon (or why it is missing), and small readers for the
 * weights the tests need to recompute things independently.
 *
 * Tests skip, with the reason printed once, ONLY when native/build/Release/soo_native.node is missing
 * (the postinstall build could not run) AND the environment is not CI. Under CI (env CI set, as every CI
 * service sets it) a missing addon fails every native test file at import: CI builds it in postinstall,
 * so a missing addon there is a broken build, not a reason to skip.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { addonPath } from '../../electron/engine-host/addon.ts';
import { readGgufHeader, readTensorBytes, type GgufHeader } from '../../electron/services/gguf/reader.ts';
import { dequantize } from '../../electron/services/gguf/quantize.ts';
import type { SooNativeAddon } from '../../native/index.d.ts';

export const ADDON_PATH = addonPath();
export const addonBuilt = fs.existsSync(ADDON_PATH);
if (!addonBuilt && isCi()) {
  throw new Error(`[native tests] ${ADDON_PATH} is not built, and CI is set: the native tests must run in CI (npm run build:native)`);
}
if (!addonBuilt) {
  console.warn(`[native tests] SKIPPED: ${ADDON_PATH} is not built; run \`npm run build:native\``);
}

/** True when running under CI (env CI set to anything but '', '0' or 'false'). */
export function isCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== '' && v !== '0' && v.toLowerCase() !== 'false';
}

export function loadTestAddon(): SooNativeAddon {
  return createRequire(import.meta.url)(ADDON_PATH) as SooNativeAddon;
}

/** Threads for every forward pass in the tests (the machines have 2 cores). */
export const THREADS = 2;

/** Reads F32/F16/Q8_0 tensors of a GGUF as float64, by name. */
export function tensorReader(file: string): { header: GgufHeader; get(name: string): Float64Array; has(name: string): boolean } {
  const header = readGgufHeader(file);
  const byName = new Map(header.tensors.map((t) => [t.name, t]));
  return {
    header,
    has: (name) => byName.has(name),
    get(name) {
      const t = byName.get(name);
      if (!t || !t.type) throw new Error(`${file}: tensor ${name} missing or of an unknown type`);
      return Float64Array.from(dequantize(t.type, readTensorBytes(file, t)));
    },
  };
}

/** A metadata number of the header (u32/f32/...). */
export function metaNumber(header: GgufHeader, key: string): number {
  const v = header.metadata.get(key);
  if (!v || typeof v.value !== 'number') throw new Error(`metadata ${key} missing or not a number`);
  return v.value;
}

/**
 * max_i |a_i - b_i| / max_i |b_i|: the largest error relative to the reference tensor's scale (an
 * elementwise ratio would blow up on values near 0). Also returns where it is, for the report.
 */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): { rel: number; at: number; scale: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  let at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (d > worst) [worst, at] = [d, i];
  }
  return { rel: scale > 0 ? worst / scale : worst, at, scale };
}

/** "attn_out L1: ours [..4] / ref [..4], max rel diff 3e-7 OK" (llm.c test_gpt2 style report line). */
export function report(label: string, ours: ArrayLike<number>, ref: ArrayLike<number>, tolerance: number): string {
  const { rel, at } = maxRelDiff(ours, ref);
  const head = (x: ArrayLike<number>) => Array.from({ length: 3 }, (_, i) => Number(x[i]).toFixed(5)).join(' ');
  return `${label}: ours [${head(ours)}] ref [${head(ref)}] max rel diff ${rel.toExponential(2)} at ${at} ${rel <= tolerance ? 'OK' : 'NOT OK'}`;
}
