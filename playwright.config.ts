/**
 * How the e2e tests (test/e2e/*.test.ts, run by vitest) drive a browser: Debian's Chromium through
 * playwright-core, never a downloaded browser, headless and quiet (no network side-traffic, no first-run UI).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CHROMIUM_PATH = process.env['LOOKALIKE_CHROMIUM'] ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** A fresh profile per launch, so no cookie, storage or cache leaks between tests. */
export function freshUserDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'lookalike-chromium-'));
}

export const SCREENSHOT_DIR = 'test-results/e2e';
export const VIEWPORT = { width: 1360, height: 860 };
