import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'

/**
 * Three builds from the folders the design names (not src/):
 * - main: the Electron main process, the engine process, and the browser-mode host;
 * - preload: the contextBridge script (CommonJS, as sandboxed preloads require);
 * - renderer: the React + ProseMirror UI.
 */
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'main/index.ts'),
          'engine-process': resolve(__dirname, 'main/engine/engine-process.ts'),
          serve: resolve(__dirname, 'main/web/serve.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      // Sandboxed preloads can only require 'electron': bundle zod and the contract in.
      externalizeDeps: false,
      outDir: 'out/preload',
      rollupOptions: {
        input: { index: resolve(__dirname, 'main/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'renderer'),
    plugins: [react()],
    // window.__infill (the e2e tests' and benchmarks' handle on the session) only in test builds.
    define: { __INFILL_TEST_HOOKS__: JSON.stringify(process.env.INFILL_TEST_HOOKS === '1') },
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      rollupOptions: { input: resolve(__dirname, 'renderer/index.html') },
    },
  },
})
