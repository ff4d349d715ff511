/**
 * OCR character accuracy (1 − CER) and throughput on rendered images with known English and Chinese text
 * (test/support/render-text.ts): each image holds two lines; accuracy is the mean over images, both on the text
 * as read and with whitespace ignored (the PP-OCR Chinese recognizer often drops spaces between Latin words).
 *
 *   npm run build:core && npm run build:tools && node build/bench/ocr.js [--images 24] [--threads N]
 */
import { parseArgs } from 'node:util';
import { characterAccuracy } from '../src/core/ocr/ctc.js';
import { OcrEngine } from '../src/core/ocr/ocr-engine.js';
import { CHINESE_LINES, ENGLISH_LINES, findCjkFont, renderText } from '../test/support/render-text.js';

const { values: args } = parseArgs({ options: { images: { type: 'string', default: '24' }, threads: { type: 'string' } } });

async function measure(engine: OcrEngine, lines: readonly string[], font: string, count: number) {
  const images = await Promise.all(
    Array.from({ length: count }, (_, i) => {
      const text = [lines[i % lines.length]!, lines[(i * 5 + 3) % lines.length]!];
      return renderText(text, font, i).then((png) => ({ png, truth: text.join('\n') }));
    }),
  );
  await engine.recognize(images[0]!.png); // warm-up
  let raw = 0;
  let noSpace = 0;
  const started = performance.now();
  for (const img of images) {
    const r = await engine.recognize(img.png);
    raw += characterAccuracy(img.truth.replace(/\n/g, ' '), r.text.replace(/\n/g, ' '));
    noSpace += characterAccuracy(img.truth.replace(/\s/g, ''), r.text.replace(/\s/g, ''));
  }
  const seconds = (performance.now() - started) / 1000;
  return { images: count, accuracy: raw / count, accuracyIgnoringSpaces: noSpace / count, imagesPerSecond: count / seconds };
}

async function main(): Promise<void> {
  const n = Number(args.images);
  const engine = new OcrEngine(args.threads ? { threads: Number(args.threads) } : {});
  console.log(JSON.stringify({ language: 'en', font: 'DejaVu Sans', ...(await measure(engine, ENGLISH_LINES, 'DejaVu Sans', n)) }));
  const cjk = findCjkFont();
  if (cjk) console.log(JSON.stringify({ language: 'zh', font: cjk, ...(await measure(engine, CHINESE_LINES, cjk, n)) }));
  else console.error('No CJK font (fc-list :lang=zh is empty): Chinese skipped; install fonts-wqy-microhei.');
  await engine.close();
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
