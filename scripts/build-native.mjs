#!/usr/bin/env node
// Builds native/build/Release/soo_native.node: the SOO Lab addon with a private static llama.cpp + ggml.
//
// What it does, in order:
//   1. checks that cmake and a C++ compiler exist (clear message naming what is missing);
//   2. makes sure the llama.cpp source is at .cache/llama.cpp, cloning it offline from the git bundle that
//      node-llama-cpp ships (node_modules/node-llama-cpp/llama/gitRelease.bundle) when missing;
//   3. configures native/ with plain CMake against node-api-headers + node-addon-api (nothing is downloaded)
//      and builds the soo_native target (incl. the soo_train training library and the llama/ggml libraries
//      it needs) plus the small training test binaries the native tests run (test-train and test-lm: the
//      C++ suites of SOO and LM training; train-cli: trains from token ids). SOO_LAB_NATIVE_TARGETS=soo_native builds the addon only.
//
// Usage: node scripts/build-native.mjs [--postinstall] [--clean]
//   --postinstall  never fail: on any problem print why, record it in native/build/build-error.txt (the
//                  engine reports "native engine not built: <reason>"), and exit 0 so `npm ci` completes.
//   --clean        remove native/build first.
// Environment:
//   SOO_LAB_GPU=cuda|vulkan|metal   build a GPU backend in (default: CPU only)
//   SOO_LAB_SKIP_NATIVE=1           skip the build (postinstall on machines that never run the engine)
//   SOO_LAB_BUILD_JOBS=N            parallel compile jobs (default: number of CPUs)
//   SOO_LAB_NATIVE_TARGETS=a,b      CMake targets to build (default: soo_native,test-train,test-lm,train-cli)
//   CMAKE_GENERATOR                 as usual for CMake (Ninja is used when present)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NATIVE_DIR = path.join(ROOT, 'native');
const BUILD_DIR = path.join(NATIVE_DIR, 'build');
const ADDON_PATH = path.join(BUILD_DIR, 'Release', 'soo_native.node');
const ERROR_FILE = path.join(BUILD_DIR, 'build-error.txt');
const LLAMA_DIR = path.join(ROOT, '.cache', 'llama.cpp');
const require = createRequire(import.meta.url);
/** What the default tests need: the addon (taps, training) and the training test binaries. */
const DEFAULT_TARGETS = ['soo_native', 'test-train', 'test-lm', 'train-cli'];

const args = new Set(process.argv.slice(2));
const postinstall = args.has('--postinstall');

class BuildError extends Error {}

function has(cmd, versionArgs = ['--version']) {
  const r = spawnSync(cmd, versionArgs, { stdio: 'ignore', shell: process.platform === 'win32' });
  return r.status === 0;
}

function run(cmd, cmdArgs, what) {
  console.log(`[build-native] ${cmd} ${cmdArgs.join(' ')}`);
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: ROOT });
  if (r.error) throw new BuildError(`${what}: could not run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new BuildError(`${what} failed (${cmd} exited with ${r.status}); see the output above`);
}

function findCompiler() {
  if (process.env.CXX) return has(process.env.CXX) ? process.env.CXX : null;
  const candidates = process.platform === 'win32' ? ['cl'] : ['c++', 'g++', 'clang++'];
  for (const c of candidates) if (has(c, c === 'cl' ? [] : ['--version'])) return c;
  return null;
}

function resolvePackageDir(name) {
  // Not require.resolve(`${name}/package.json`): packages with an "exports" map (node-llama-cpp) do not
  // export their package.json. Walk up node_modules folders the way Node's resolver does instead.
  for (let dir = ROOT; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  try {
    return path.dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new BuildError(`the npm package ${name} is not installed (run npm ci first)`);
  }
}

function ensureLlamaSource() {
  if (fs.existsSync(path.join(LLAMA_DIR, 'CMakeLists.txt'))) return;
  const bundle = path.join(resolvePackageDir('node-llama-cpp'), 'llama', 'gitRelease.bundle');
  if (!fs.existsSync(bundle)) throw new BuildError(`llama.cpp source missing: neither ${LLAMA_DIR} nor ${bundle} exists`);
  if (!has('git')) throw new BuildError(`git is missing: needed once to clone the llama.cpp source from ${bundle}`);
  fs.mkdirSync(path.dirname(LLAMA_DIR), { recursive: true });
  run('git', ['clone', '--quiet', bundle, LLAMA_DIR], 'cloning llama.cpp from the node-llama-cpp bundle');
}

function build() {
  if (process.env.SOO_LAB_SKIP_NATIVE === '1') {
    throw new BuildError('skipped because SOO_LAB_SKIP_NATIVE=1');
  }
  if (!has('cmake')) throw new BuildError('cmake is missing: install CMake >= 3.18 and run `npm run build:native`');
  const compiler = findCompiler();
  if (!compiler) {
    throw new BuildError('no C++ compiler found (tried $CXX, c++, g++, clang++; cl on Windows): install one and run `npm run build:native`');
  }
  ensureLlamaSource();

  if (args.has('--clean')) fs.rmSync(BUILD_DIR, { recursive: true, force: true });
  fs.mkdirSync(BUILD_DIR, { recursive: true });
  fs.rmSync(ERROR_FILE, { force: true });

  const headersDir = resolvePackageDir('node-api-headers');
  const addonApiDir = resolvePackageDir('node-addon-api');
  const gpu = (process.env.SOO_LAB_GPU ?? 'none').toLowerCase();
  if (!['none', '', 'cuda', 'vulkan', 'metal'].includes(gpu)) {
    throw new BuildError(`SOO_LAB_GPU must be cuda, vulkan or metal (or unset for CPU); got '${process.env.SOO_LAB_GPU}'`);
  }

  const configure = [
    '-S', NATIVE_DIR,
    '-B', BUILD_DIR,
    '-DCMAKE_BUILD_TYPE=Release',
    `-DLLAMA_CPP_DIR=${LLAMA_DIR}`,
    `-DNODE_API_HEADERS_DIR=${path.join(headersDir, 'include')}`,
    `-DNODE_API_DEF_DIR=${path.join(headersDir, 'def')}`,
    `-DNODE_ADDON_API_DIR=${addonApiDir}`,
    `-DSOO_LAB_GPU=${gpu || 'none'}`,
  ];
  const cached = fs.existsSync(path.join(BUILD_DIR, 'CMakeCache.txt'));
  if (!cached && !process.env.CMAKE_GENERATOR && process.platform !== 'win32' && has('ninja')) configure.push('-G', 'Ninja');
  if (has('ccache')) configure.push('-DCMAKE_C_COMPILER_LAUNCHER=ccache', '-DCMAKE_CXX_COMPILER_LAUNCHER=ccache');
  run('cmake', configure, 'configuring native/ with CMake');

  const jobs = process.env.SOO_LAB_BUILD_JOBS ?? String(os.availableParallelism?.() ?? os.cpus().length);
  const targets = (process.env.SOO_LAB_NATIVE_TARGETS ?? DEFAULT_TARGETS.join(',')).split(',').map((t) => t.trim()).filter(Boolean);
  if (!targets.includes('soo_native')) targets.unshift('soo_native');
  run('cmake', ['--build', BUILD_DIR, '--target', ...targets, '--config', 'Release', '--parallel', jobs], `building ${targets.join(', ')}`);
  if (!fs.existsSync(ADDON_PATH)) throw new BuildError(`the build finished but ${ADDON_PATH} is missing`);
  console.log(`[build-native] built ${path.relative(ROOT, ADDON_PATH)}`);
}

try {
  build();
} catch (error) {
  const reason = error instanceof Error ? error.message : String(error);
  if (!(error instanceof BuildError)) console.error(error);
  if (postinstall) {
    try {
      fs.mkdirSync(BUILD_DIR, { recursive: true });
      fs.writeFileSync(ERROR_FILE, `${reason}\n`);
    } catch {
      // best effort: the engine then reports the addon as missing without a reason
    }
    console.warn(`[build-native] native engine not built: ${reason}`);
    console.warn('[build-native] the rest of SOO Lab installs normally; activations and training need the engine.');
    process.exit(0);
  }
  console.error(`[build-native] ${reason}`);
  process.exit(1);
}
