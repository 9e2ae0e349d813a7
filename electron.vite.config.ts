import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// Three bundles: the main process (engine, audio, IPC) with the engine worker as its own entry, the preload
// bridge (CommonJS, because sandboxed preloads cannot be ES modules), and the Svelte renderer.
// Native addons and onnxruntime-node stay external: they load from node_modules at run time.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: { index: resolve('main/app/index.ts'), 'engine-worker': resolve('main/app/engine-worker.ts') },
        external: ['naudiodon', 'midi', 'onnxruntime-node', 'electron'],
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        input: { index: resolve('preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'renderer',
    build: {
      rollupOptions: { input: { index: resolve('renderer/index.html') } },
    },
    plugins: [svelte()],
  },
})
