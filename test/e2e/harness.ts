/**
 * One e2e environment: the renderer built by the same Vite config as the desktop app, a temp data folder, the
 * real engine on the `fast` model, and `lookalike serve`'s server on a free loopback port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { createEngine, type Engine } from '../../src/core/app/engine.js';
import { createLogger } from '../../src/core/base/logger.js';
import { toServedEngine } from '../../src/core/app/host/served-engine.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { rendererConfig } from '../../vite.renderer.config.js';

export interface Harness {
  root: string;
  engine: Engine;
  server: RunningServer;
  errors: string[];
  close(): Promise<void>;
}

/** Builds the renderer into `outDir` (the tests exercise today's source, not a stale out/ folder). */
export async function buildRenderer(outDir: string): Promise<void> {
  await build({ ...rendererConfig(outDir), configFile: false, logLevel: 'warn' });
}

/** `modelId`: the built-in model the engine runs (default `fast`; `accurate` is the one with a saliency map). */
export async function startHarness(options: { modelId?: string } = {}): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'lookalike-e2e-'));
  const rendererDir = join(root, 'renderer');
  await buildRenderer(rendererDir);
  const errors: string[] = [];
  const logger = createLogger({ level: 'warn', sink: (line) => errors.push(line) });
  const engine = await createEngine({ dataDir: join(root, 'data'), modelId: options.modelId ?? 'fast', device: 'cpu', logger });
  const server = await startServer({ engine: toServedEngine(engine), rendererDir, logger });
  return {
    root,
    engine,
    server,
    errors,
    async close() {
      await server.close();
      await engine.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}
