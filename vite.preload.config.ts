import { defineConfig } from 'vite';

// The preload bundle: CommonJS, one file, named .cjs because the package is "type": "module"
// (sandboxed preloads cannot be ES modules).
export default defineConfig({
  build: {
    rollupOptions: { output: { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true } },
  },
});
