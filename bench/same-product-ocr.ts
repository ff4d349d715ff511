/**
 * `node build/bench/same-product-ocr.js --data <grocery-dev> --cache DIR [--budget-s N] [--threads N] [--part i/n]`:
 * fills the OCR cache the same-product bench's re-ranking section reads (catalog photos, then val/, the dev
 * queries, then the rest of train/), so the slow reading can run apart, in parts, and resume.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadGrocery } from './same-product/data.js';
import { ocrAll } from './same-product/ocr-cache.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    cache: { type: 'string' },
    'budget-s': { type: 'string', default: '3600' },
    threads: { type: 'string', default: '1' },
    part: { type: 'string', default: '0/1' },
  },
});
if (!args.data || !args.cache) {
  console.error('usage: node build/bench/same-product-ocr.js --data DIR --cache DIR [--budget-s N] [--threads N] [--part i/n]');
  process.exit(2);
}
const g = loadGrocery(args.data);
const dev = new Set(g.devQueries.map((p) => p.path));
const ordered = [...new Set([...g.products.map((p) => p.iconic), ...g.val.map((p) => p.path), ...g.devQueries.map((p) => p.path), ...g.train.filter((p) => !dev.has(p.path)).map((p) => p.path)])];
const [i, n] = args.part!.split('/').map(Number) as [number, number];
const mine = ordered.filter((_, k) => k % n === i);
const t0 = performance.now();
const cached = await ocrAll(mine, join(args.cache, 'ocr'), Number(args['budget-s']) * 1000, (d, t) => d % 25 === 0 && console.error(`[ocr] ${d}/${t} in ${((performance.now() - t0) / 1000).toFixed(0)} s`), Number(args.threads));
console.error(`[ocr] ${cached}/${mine.length} cached`);
