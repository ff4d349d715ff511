/**
 * The text the app's OCR engine (PP-OCRv4, src/core/ocr) reads from each dataset photo, cached per image in
 * `<cache>/ocr/` (keyed by the absolute path, as the descriptor cache is) with the time the reading took.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OcrEngine, type OcrLine } from '../../src/core/ocr/ocr-engine.js';

export interface CachedOcr {
  text: string;
  lines: Pick<OcrLine, 'text' | 'confidence'>[];
  ms: number;
}

const keyOf = (path: string) => createHash('sha1').update(path).digest('hex');

export function readOcr(cacheDir: string, path: string): CachedOcr | undefined {
  const file = join(cacheDir, `${keyOf(path)}.json`);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CachedOcr) : undefined;
}

/** Reads every path not cached yet (in the order given) within `budgetMs`; returns how many are cached. */
export async function ocrAll(paths: readonly string[], cacheDir: string, budgetMs: number, onProgress?: (done: number, total: number) => void, threads = 1): Promise<number> {
  mkdirSync(cacheDir, { recursive: true });
  const todo = paths.filter((p) => !existsSync(join(cacheDir, `${keyOf(p)}.json`)));
  if (todo.length === 0) return paths.length;
  const engine = new OcrEngine({ threads });
  const t0 = performance.now();
  let done = 0;
  try {
    for (const p of todo) {
      if (performance.now() - t0 > budgetMs) break;
      const s = performance.now();
      const r = await engine.recognize(p);
      const entry: CachedOcr = { text: r.text, lines: r.lines.map((l) => ({ text: l.text, confidence: l.confidence })), ms: performance.now() - s };
      const file = join(cacheDir, `${keyOf(p)}.json`);
      writeFileSync(`${file}.tmp`, JSON.stringify(entry));
      renameSync(`${file}.tmp`, file);
      done++;
      onProgress?.(done, todo.length);
    }
  } finally {
    await engine.close();
  }
  return paths.length - todo.length + done;
}
