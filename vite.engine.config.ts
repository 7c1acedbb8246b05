import { defineConfig } from 'vite';

// The engine host bundle (electron/engine-host/main.ts -> engine-host.js beside main.js): plain ESM that
// Node (or Electron as Node) runs without tsx, so a packaged app can fork it. The addon is loaded at run
// time by path (engine-host/addon.ts), never bundled.
export default defineConfig({
  build: {
    lib: { entry: 'electron/engine-host/main.ts', formats: ['es'], fileName: () => 'engine-host.js' },
    rollupOptions: { external: ['electron', 'better-sqlite3', 'node-llama-cpp', /^@tensorflow\//, /^node:/] },
    emptyOutDir: false,
    minify: false,
  },
});
