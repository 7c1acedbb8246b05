import { defineConfig } from 'vite';

// The main process bundle: ESM (the package is "type": "module"), native and heavy modules external.
export default defineConfig({
  build: {
    lib: { entry: 'electron/main/main.ts', formats: ['es'], fileName: () => 'main.js' },
    rollupOptions: { external: ['electron', 'better-sqlite3', 'node-llama-cpp', /^@tensorflow\//, /^node:/] },
  },
});
