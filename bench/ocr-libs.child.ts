/**
 * Child process of bench/ocr-libs.ts: reads PNG files with @gutenye/ocr-node installed in the folder given first,
 * one warm-up then one timed call per file, and prints [{ text, ms }] as JSON.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

interface GutenyeLine {
  text: string;
}
interface GutenyeOcr {
  detect(path: string): Promise<GutenyeLine[]>;
}

async function main(): Promise<void> {
  const [dir, ...files] = process.argv.slice(2);
  if (dir === undefined || files.length === 0) throw new Error('usage: ocr-libs.child.js <folder with @gutenye/ocr-node> <png>...');
  const entry = createRequire(join(dir, 'package.json')).resolve('@gutenye/ocr-node');
  const { default: Ocr } = (await import(pathToFileURL(entry).href)) as { default: { create(): Promise<GutenyeOcr> } };
  const ocr = await Ocr.create();
  await ocr.detect(files[0]!);
  const reads: { text: string; ms: number }[] = [];
  for (const file of files) {
    const started = performance.now();
    const lines = await ocr.detect(file);
    reads.push({ text: lines.map((l) => l.text).join('\n'), ms: performance.now() - started });
  }
  process.stdout.write(JSON.stringify(reads));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
