/**
 * OCR end to end: PP-OCRv4 (ONNX) on images rendered with known text, and the per-collection OCR step feeding
 * the FTS5 index. Thresholds sit below what bench/ocr.ts measured (see the report), with margin.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../support/cli-run.js';
import type { Engine } from '../../src/core/app/engine.js';
import { writeScene } from '../support/synthetic.js';
import { characterAccuracy } from '../../src/core/ocr/ctc.js';
import { OcrEngine } from '../../src/core/ocr/ocr-engine.js';
import { CHINESE_LINES, ENGLISH_LINES, findCjkFont, renderText } from '../support/render-text.js';
import { openTestEngine, tempDir, TEST_MODEL, type TempDir } from './helpers.js';

const CJK_FONT = findCjkFont();
if (!CJK_FONT) console.warn('No CJK font installed (fc-list :lang=zh is empty): the Chinese OCR test is skipped. Install fonts-wqy-microhei.');

/** Mean character accuracy over images of two lines each, whitespace ignored and as read. */
async function accuracy(ocr: OcrEngine, lines: readonly string[], font: string, count: number) {
  let noSpace = 0;
  let raw = 0;
  for (let i = 0; i < count; i++) {
    const truth = [lines[i % lines.length]!, lines[(i * 5 + 3) % lines.length]!];
    const r = await ocr.recognize(await renderText(truth, font, i));
    expect(r.lines).toHaveLength(2);
    noSpace += characterAccuracy(truth.join('').replace(/\s/g, ''), r.text.replace(/\s/g, ''));
    raw += characterAccuracy(truth.join(' '), r.text.replace(/\n/g, ' '));
  }
  return { noSpace: noSpace / count, raw: raw / count };
}

describe('OCR (PP-OCRv4 det + rec on onnxruntime-node)', () => {
  const ocr = new OcrEngine();
  afterAll(() => ocr.close());

  it('reads rendered English text', async () => {
    const a = await accuracy(ocr, ENGLISH_LINES, 'DejaVu Sans', 6);
    expect(a.noSpace).toBeGreaterThanOrEqual(0.95);
    expect(a.raw).toBeGreaterThanOrEqual(0.85);
  });

  it.skipIf(!CJK_FONT)('reads rendered Chinese text (needs a CJK font)', async () => {
    const a = await accuracy(ocr, CHINESE_LINES, CJK_FONT!, 6);
    expect(a.noSpace).toBeGreaterThanOrEqual(0.9);
  });

  it('finds nothing on a blank image and boxes each line in reading order', async () => {
    const blank = await renderText([], 'DejaVu Sans');
    expect((await ocr.recognize(blank)).lines).toEqual([]);
    const r = await ocr.recognize(await renderText(['First line here', 'Second line'], 'DejaVu Sans'));
    expect(r.lines.map((l) => l.text.replace(/\s/g, ''))).toEqual(['Firstlinehere', 'Secondline']);
    const [a, b] = r.lines;
    expect(a!.box).toHaveLength(4);
    expect(a!.box[0]![1]).toBeLessThan(b!.box[0]![1]);
  });
});

describe('OCR as a per-collection indexing step', () => {
  let tmp: TempDir;
  let engine: Engine;

  beforeAll(async () => {
    tmp = tempDir('ocr');
    const dir = join(tmp.path, 'photos');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'label-en.png'), await renderText(['Organic cotton', 'Made in Portugal'], 'DejaVu Sans', 1));
    if (CJK_FONT) writeFileSync(join(dir, 'label-zh.png'), await renderText(['亚麻连衣裙'], CJK_FONT, 2));
    await writeScene(join(dir, 'no-text.jpg'), 7);
    engine = await openTestEngine(join(tmp.path, 'data'));
    engine.library.addFolder('labels', dir);
    await engine.indexer.run();
  });

  afterAll(async () => {
    await engine?.close();
    tmp?.remove();
  });

  it('is off by default, then reads each image once and feeds text search', async () => {
    expect(engine.ocr.isEnabled('labels')).toBe(false);
    await expect(engine.api['ocr:run']({ collection: 'labels' })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    expect(engine.search.byText({ text: 'portugal' }, { k: 5 }).hits).toEqual([]);

    await engine.api['ocr:configure']({ collection: 'labels', enabled: true });
    const first = await engine.api['ocr:run']({ collection: 'labels' });
    expect(first).toMatchObject({ processed: CJK_FONT ? 3 : 2, withText: CJK_FONT ? 2 : 1, failed: 0, skipped: 0 });
    expect((await engine.api['ocr:run']({ collection: 'labels' })).skipped).toBe(CJK_FONT ? 3 : 2);

    const hits = engine.search.byText({ text: 'portugal' }, { k: 5 }).hits;
    expect(hits.map((h) => h.path)).toEqual([join(tmp.path, 'photos', 'label-en.png')]);
    const text = await engine.api['items:text']({ id: hits[0]!.id });
    expect(text?.text.toLowerCase()).toContain('portugal');
    expect(text?.lines[0]?.box).toHaveLength(4);
    if (CJK_FONT) {
      // Chinese is indexed one character per token, so a phrase inside a longer run matches.
      expect(engine.search.byText({ text: '连衣裙' }, { k: 5 }).hits.map((h) => h.path)).toEqual([join(tmp.path, 'photos', 'label-zh.png')]);
    }

    await engine.api['ocr:configure']({ collection: 'labels', enabled: false });
    expect(engine.search.byText({ text: 'portugal' }, { k: 5 }).hits).toEqual([]);
    expect(await engine.api['items:text']({ id: hits[0]!.id })).toBeNull();
  });

  it('runs as part of `index --ocr` and answers `find --text` (CLI)', async () => {
    await engine.close();
    const data = join(tmp.path, 'data');
    const indexed = await cli(['--data', data, '--model', TEST_MODEL, 'index', '--collection', 'labels', '--ocr', '--json']);
    expect(indexed.code).toBe(0);
    expect(JSON.parse(indexed.stdout).ocr).toMatchObject({ processed: CJK_FONT ? 3 : 2, failed: 0 });
    const found = await cli(['--data', data, 'find', '--text', 'organic', '--json']);
    expect(JSON.parse(found.stdout).results.map((r: { path: string }) => r.path)).toEqual([join(tmp.path, 'photos', 'label-en.png')]);
    const off = await cli(['--data', data, 'ocr', '--collection', 'labels', '--disable']);
    expect(off.code).toBe(0);
    engine = await openTestEngine(data);
  });
});
