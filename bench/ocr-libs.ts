/**
 * The app's PP-OCR pipeline (src/core/ocr) against @gutenye/ocr-node's pipeline for the same PP-OCRv4 models, on
 * the same rendered images as bench/ocr.ts (two lines of known English or Chinese text each): character accuracy
 * (1 − CER, as read and ignoring whitespace) and images per second after one warm-up image. Two more sets: the
 * English labels 4× larger on a 2880 × 2160 page (a phone photo's size), and stored sideways with EXIF orientation 6.
 *
 * @gutenye/ocr-node pins sharp ^0.33 and onnxruntime-node ^1.17 (the app has sharp 0.35: two libvips in one
 * process), so it is not a dependency: install it in a folder of its own and name that folder; it runs in a child
 * process (bench/ocr-libs.child.ts) on the PNG files this bench writes. --ignore-scripts: onnxruntime-node's install
 * script only fetches GPU add-ons, from nuget.org. About 1 minute of CPU.
 *
 *   mkdir /tmp/ocr-node && cd /tmp/ocr-node && npm init -y && npm install --ignore-scripts @gutenye/ocr-node
 *   npm run build:tools && node build/bench/ocr-libs.js --ocr-node /tmp/ocr-node [--images 12] [--large 2] [--exif 3]
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { characterAccuracy } from '../src/core/ocr/ctc.js';
import { OcrEngine } from '../src/core/ocr/ocr-engine.js';
import { CHINESE_LINES, ENGLISH_LINES, findCjkFont, renderText } from '../test/support/render-text.js';

const { values: args } = parseArgs({
  options: { images: { type: 'string', default: '12' }, large: { type: 'string', default: '2' }, exif: { type: 'string', default: '3' }, 'ocr-node': { type: 'string' } },
});

interface Image {
  file: string;
  png: Buffer;
  truth: string;
}

interface Read {
  text: string;
  ms: number;
}

function score(images: readonly Image[], reads: readonly Read[]) {
  let raw = 0;
  let noSpace = 0;
  images.forEach((img, i) => {
    const text = reads[i]!.text;
    raw += characterAccuracy(img.truth.replace(/\n/g, ' '), text.replace(/\n/g, ' '));
    noSpace += characterAccuracy(img.truth.replace(/\s/g, ''), text.replace(/\s/g, ''));
  });
  const seconds = reads.reduce((s, r) => s + r.ms, 0) / 1000;
  const round = (x: number) => Math.round(x * 1000) / 1000;
  return { accuracy: round(raw / images.length), accuracyIgnoringSpaces: round(noSpace / images.length), imagesPerSecond: round(images.length / seconds) };
}

async function ours(images: readonly Image[]): Promise<Read[]> {
  const engine = new OcrEngine();
  await engine.recognize(images[0]!.png); // warm-up
  const reads: Read[] = [];
  for (const img of images) {
    const started = performance.now();
    const r = await engine.recognize(img.png);
    reads.push({ text: r.text, ms: performance.now() - started });
  }
  await engine.close();
  return reads;
}

function ocrNode(dir: string, images: readonly Image[]): Read[] {
  const child = join(dirname(fileURLToPath(import.meta.url)), 'ocr-libs.child.js');
  const out = execFileSync(process.execPath, [child, dir, ...images.map((i) => i.file)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return JSON.parse(out) as Read[];
}

async function main(): Promise<void> {
  const n = Number(args.images);
  const dir = mkdtempSync(join(tmpdir(), 'ocr-libs-'));
  try {
    const cjk = findCjkFont();
    const sets: [string, readonly string[], string][] = [['en', ENGLISH_LINES, 'DejaVu Sans']];
    if (cjk) sets.push(['zh', CHINESE_LINES, cjk]);
    else console.error('No CJK font (fc-list :lang=zh is empty): Chinese skipped.');
    // 'large': the same labels as a phone photo shows them, 4× larger on a 2880 × 2160 page: PaddleOCR's
    // pipeline (and ours) detects at most 960 px on the longer side, @gutenye/ocr-node at full size.
    // 'exif': a phone photo held sideways: the pixels stored rotated, EXIF orientation 6 turning them upright.
    type Variant = 'plain' | 'large' | 'exif';
    const runs: [string, readonly string[], string, number, Variant][] = sets.map(([l, lines, font]) => [l, lines, font, n, 'plain']);
    if (Number(args.large) > 0) runs.push(['en-large', ENGLISH_LINES, 'DejaVu Sans', Number(args.large), 'large']);
    if (Number(args.exif) > 0) runs.push(['en-exif', ENGLISH_LINES, 'DejaVu Sans', Number(args.exif), 'exif']);
    for (const [language, lines, font, count, variant] of runs) {
      const images = await Promise.all(
        Array.from({ length: count }, async (_, i) => {
          const text = [lines[i % lines.length]!, lines[(i * 5 + 3) % lines.length]!];
          let png = await renderText(text, font, i);
          if (variant === 'exif') png = await sharp(png).rotate(270).withMetadata({ orientation: 6 }).png().toBuffer();
          if (variant === 'large') {
            const meta = await sharp(png).metadata();
            const up = await sharp(png).resize(meta.width * 4, meta.height * 4).png().toBuffer();
            png = await sharp({ create: { width: 2880, height: 2160, channels: 3, background: '#fff' } })
              .composite([{ input: up, top: 600, left: 0 }])
              .png()
              .toBuffer();
          }
          const file = join(dir, `${language}-${i}.png`);
          writeFileSync(file, png);
          return { file, png, truth: text.join('\n') };
        }),
      );
      console.log(JSON.stringify({ language, images: count, pipeline: 'lookalike', ...score(images, await ours(images)) }));
      if (args['ocr-node']) console.log(JSON.stringify({ language, images: count, pipeline: '@gutenye/ocr-node', ...score(images, ocrNode(args['ocr-node'], images)) }));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
