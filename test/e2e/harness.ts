/**
 * One e2e environment: the renderer built by the same Vite config as the desktop app, a temp data folder, the
 * real engine on the `fast` model, and `lookalike serve`'s server on a free loopback port; setupE2e() adds the
 * browser page every UI test file drives.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll } from 'vitest';
import { createEngine, type Engine, type EngineOptions } from '../../src/core/app/engine.js';
import { createLogger } from '../../src/core/base/logger.js';
import { toServedEngine } from '../../src/core/app/host/served-engine.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { rendererConfig } from '../../vite.renderer.config.js';
import { launchBrowser, watchPageErrors, type TestBrowser } from './browser.js';

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

/**
 * `modelId`: the built-in model the engine runs (default `fast`; `accurate` is the one with a saliency map);
 * `maxPixels`: the engine's pixel limit (a small one makes an oversized photo cheap to write).
 */
export async function startHarness(options: { modelId?: string; maxPixels?: number; index?: EngineOptions['index'] } = {}): Promise<Harness> {
  const root = mkdtempSync(join(tmpdir(), 'lookalike-e2e-'));
  const rendererDir = join(root, 'renderer');
  await buildRenderer(rendererDir);
  const errors: string[] = [];
  const logger = createLogger({ level: 'warn', sink: (line) => errors.push(line) });
  const engine = await createEngine({
    dataDir: join(root, 'data'),
    modelId: options.modelId ?? 'fast',
    device: 'cpu',
    logger,
    ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }),
    ...(options.index === undefined ? {} : { index: options.index }),
  });
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

export interface E2eSession {
  harness: Harness;
  browser: TestBrowser;
  page: Page;
  /** The page's uncaught errors and console errors (a test file ends by expecting none). */
  pageErrors: string[];
}

export interface E2eOptions {
  /** Writes the file's fixtures (photos, folders) under `harness.root` before the browser starts. */
  prepare?: (harness: Harness) => Promise<void>;
  /** Runs once the page is open (before the first test), e.g. to watch its requests. */
  ready?: (session: E2eSession) => void;
  /**
   * The engine runs in this process: with this, its freedesktop trash is a folder of the test (never the user's)
   * until the file's tests end.
   */
  ownTrash?: boolean;
  /** The engine's pixel limit (startHarness). */
  maxPixels?: number;
}

/**
 * The set-up of a UI test file: registers its beforeAll (harness, fixtures, browser, page-error watch) and its
 * afterAll (browser, server, engine and temp folder closed; the environment restored).
 * @returns the session, filled in by the beforeAll: read it inside hooks and tests.
 */
export function setupE2e(options: E2eOptions = {}): E2eSession {
  const session = { pageErrors: [] as string[] } as E2eSession;
  const savedXdg = process.env.XDG_DATA_HOME;
  let harness: Harness | undefined;
  let browser: TestBrowser | undefined;
  beforeAll(async () => {
    harness = await startHarness(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels });
    if (options.ownTrash) process.env.XDG_DATA_HOME = join(harness.root, 'xdg-data');
    await options.prepare?.(harness);
    browser = await launchBrowser();
    watchPageErrors(browser.page, session.pageErrors);
    Object.assign(session, { harness, browser, page: browser.page });
    options.ready?.(session);
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
    if (!options.ownTrash) return;
    if (savedXdg === undefined) delete process.env.XDG_DATA_HOME;
    else process.env.XDG_DATA_HOME = savedXdg;
  });
  return session;
}
