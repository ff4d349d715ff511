/** Launches Debian's Chromium for a test, with a fresh profile that is removed afterwards; how its tests wait. */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH, SCREENSHOT_DIR, VIEWPORT, freshUserDataDir } from '../../playwright.config.js';

/**
 * How long the page may take to show the result of engine work (a search after a drop, a whole duplicates run,
 * trash and undo, a filtered search) on a loaded two-core machine. vitest's `expect.poll` gives up after 1 s by
 * default: with two CPU hogs beside the suite one search already took 661 ms to show. A wait that runs out here is a
 * hang, not a slow answer.
 */
export const UI_WAIT_MS = 60_000;

/**
 * `expect.poll(read)` bounded by UI_WAIT_MS: retries `read` until the assertion chained on it holds. For what the
 * page shows once the engine has answered; `timeout` only to wait longer (indexing).
 */
export function eventually<T>(read: () => T, options: { timeout?: number } = {}) {
  return expect.poll(read, { timeout: options.timeout ?? UI_WAIT_MS });
}

/**
 * Records the page's uncaught exceptions and console errors into `errors` (the tests assert it stays empty). An
 * error envelope travels with a 4xx status, which Chromium also logs as "Failed to load resource" for /api/: that
 * one is expected.
 */
export function watchPageErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (err) => errors.push(err.message));
  page.on('console', (msg) => {
    const expectedEnvelope = msg.text().startsWith('Failed to load resource') && msg.location().url.includes('/api/');
    if (msg.type() === 'error' && !expectedEnvelope) errors.push(`${msg.text()} ${msg.location().url}`);
  });
}

/** An answer held back by holdAnswer(). */
export interface HeldAnswer {
  /** Whether the request to hold has come. */
  held(): boolean;
  /** Whether its answer has reached the page. */
  delivered(): boolean;
  release(): void;
  /** Releases it (if still held) and stops watching the channel. */
  dispose(): Promise<void>;
}

/**
 * Holds back the page's first request to `channel` that `when` picks (by its JSON body) until `release()`, as a
 * busy engine may answer it after later ones: a late answer is what the UI must not apply over a newer one. The
 * server's own answer (taken when the request came) is delivered, or `answer()`'s value as the reply's `value`.
 */
export async function holdAnswer(page: Page, channel: string, options: { when?: (body: unknown) => boolean; answer?: () => unknown } = {}): Promise<HeldAnswer> {
  const path = `/api/${encodeURIComponent(channel)}`;
  const matches = (url: URL) => url.pathname === path;
  let held = false;
  let delivered = false;
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  await page.route(matches, async (route) => {
    if (held || !(options.when?.(route.request().postDataJSON()) ?? true)) return route.continue();
    held = true;
    const response = options.answer ? undefined : await route.fetch();
    await released;
    await route.fulfill(response ? { response } : { json: { ok: true, value: options.answer!() } });
    delivered = true;
  });
  return {
    held: () => held,
    delivered: () => delivered,
    release: () => release(),
    dispose: async () => {
      release();
      await page.unroute(matches);
    },
  };
}

export interface TestBrowser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

export async function launchBrowser(options: { locale?: string; colorScheme?: 'light' | 'dark' } = {}): Promise<TestBrowser> {
  const profile = freshUserDataDir();
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    locale: options.locale ?? 'en-US',
    colorScheme: options.colorScheme ?? 'light',
  });
  // Locator waits, clicks and page functions get the same bound as eventually() (Playwright's default: 30 s).
  context.setDefaultTimeout(UI_WAIT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-window screenshot a person can look at: test-results/e2e/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path });
  return path;
}
