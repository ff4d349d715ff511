/** Shared set-up for the integration tests: temp folders and an engine on the real `fast` model. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine, type EngineOptions } from '../../src/core/app/engine.js';
import { createLogger, type Logger } from '../../src/core/base/logger.js';

/** The small model, for speed; the catalog logic does not depend on which model runs. */
export const TEST_MODEL = 'fast';

export interface TempDir {
  path: string;
  remove(): void;
}

export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `lookalike-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A logger that keeps its lines, so tests can assert what was logged. */
export function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return Object.assign(createLogger({ level: 'debug', sink: (l) => lines.push(l) }), { lines });
}

export function openTestEngine(dataDir: string, options: Partial<EngineOptions> = {}): Promise<Engine> {
  return createEngine({ dataDir, modelId: TEST_MODEL, device: 'cpu', ...options });
}
