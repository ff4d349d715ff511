/**
 * Builds the desktop app: main (ESM, with the engine's utility-process entry), the sandboxed preload (one
 * CommonJS file, everything bundled) and the renderer. Works without the Electron binary installed.
 */
import { defineConfig } from 'electron-vite';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { rendererConfig } from './vite.renderer.config';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

// electron-vite picks its Node/Chrome targets from Electron's installed version. Electron is an optional
// dependency whose binary cannot always be downloaded; fall back to the major version package.json declares.
try {
  createRequire(import.meta.url).resolve('electron/package.json');
} catch {
  process.env.ELECTRON_MAJOR_VER ??= '45';
}

export default defineConfig({
  main: {
    build: {
      outDir: here('./out/main'),
      rolldownOptions: {
        input: { index: here('./src/main/index.ts'), 'engine.worker': here('./src/main/engine.worker.ts') },
      },
    },
  },
  preload: {
    build: {
      outDir: here('./out/preload'),
      // A sandboxed preload cannot require() from node_modules: bundle zod and the contract into the one file.
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: here('./src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: rendererConfig(here('./out/renderer')),
});
