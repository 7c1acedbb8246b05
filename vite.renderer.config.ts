/**
 * Builds the renderer (renderer/ -> .vite/renderer/main_window), the Electron Forge Vite plugin's
 * convention for a renderer named `main_window`. `base: './'` keeps asset URLs relative so the
 * built index.html loads from file:// in Electron as well as over HTTP in the browser harness.
 * Svelte styles are emitted as CSS files (emitCss), so the CSP needs no 'unsafe-inline'.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

const root = path.dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: path.join(root, 'renderer'),
  base: './',
  plugins: [svelte({ configFile: false, compilerOptions: { runes: true } })],
  build: {
    outDir: path.join(root, '.vite', 'renderer', 'main_window'),
    emptyOutDir: true,
    // Electron ships a current Chromium; no legacy targets needed.
    target: 'es2023',
    sourcemap: true,
    // A module preload polyfill would add nothing for Chromium.
    modulePreload: { polyfill: false },
    // Svelte compilation dominates the build on small CI machines; the timing report is only noise.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  clearScreen: false,
});
