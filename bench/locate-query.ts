/**
 * A dropped photo's query cost with product regions (issue 20, capability 1): decode + embed + localise (+ the crop
 * average), then the search, on real photos, three ways interleaved per photo so that all see the same machine load:
 *   today      decodeForModel + embed() (the search path before this change)
 *   regions off decode + embedDetailed + locateObjects (what a search now does for a collection that has not opted in:
 *              the objects come from the same pass)
 *   regions on  the same + the main box's crop decoded from the bytes and embedded (plain view) + the unit mean
 * Each then searches a usearch index of `--items` vectors (random unit vectors of the model's size, f16, the app's
 * graph): the search's cost does not depend on which vector is asked.
 *
 *   npm run build:tools && node build/bench/locate-query.js [--data DIR] [--photos 40] [--items 100000]
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { nullLogger } from '../src/core/base/logger.js';
import { decodeForModel } from '../src/core/images/decode.js';
import { embedWithRegions, queryRegionInput } from '../src/core/locate/region-embedding.js';
import { openEmbedder } from '../src/core/models/registry.js';
import { AnnIndex } from '../src/core/vectors/ann-index.js';
import { GRAPH, searchBreadth } from '../src/core/vectors/vector-store.js';
import { formatMs, summarize } from './stats.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: '/work/shared/datasets/grocery-dev/val' },
    photos: { type: 'string', default: '40' },
    items: { type: 'string', default: '100000' },
  },
});

function photosUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.jpe?g$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

const all = photosUnder(args.data!);
const n = Number(args.photos);
const files = Array.from({ length: Math.min(n, all.length) }, (_, i) => all[Math.floor((i * all.length) / Math.min(n, all.length))]!);
const embedder = await openEmbedder({ modelId: 'accurate', logger: nullLogger, device: 'cpu' });

// The index: random unit vectors, the app's parameters (the search breadth of an index of that size).
const items = Number(args.items);
const dim = embedder.dim;
const index = AnnIndex.create({ dimensions: dim, quantization: 'f16', connectivity: GRAPH.connectivity, expansionAdd: GRAPH.expansionAdd });
{
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  const chunk = 2048;
  for (let start = 0; start < items; start += chunk) {
    const m = Math.min(chunk, items - start);
    const flat = new Float32Array(m * dim);
    for (let r = 0; r < m; r++) {
      let norm = 0;
      for (let j = 0; j < dim; j++) norm += (flat[r * dim + j] = rnd()) ** 2;
      norm = Math.sqrt(norm);
      for (let j = 0; j < dim; j++) flat[r * dim + j]! /= norm;
    }
    index.add(Array.from({ length: m }, (_, r) => start + r + 1), flat);
  }
}
const breadth = searchBreadth(items);
const search = (q: Float32Array) => index.search(q, 50, breadth);

type Way = 'today' | 'regions off' | 'regions on';
const WAYS: Way[] = ['today', 'regions off', 'regions on'];
const times: Record<Way, number[]> = { today: [], 'regions off': [], 'regions on': [] };
const bytesOf = files.map((f) => readFileSync(f));
// Warm-up: the session's first runs allocate its arena.
for (const w of WAYS) await run(w, bytesOf[0]!);

async function run(way: Way, bytes: Buffer): Promise<number> {
  const t0 = performance.now();
  const decoded = await decodeForModel(bytes, embedder.input);
  let q: Float32Array;
  if (way === 'today') q = (await embedder.embed([decoded.pixels]))[0]!;
  else {
    const [r] = await embedWithRegions(embedder, [queryRegionInput(bytes, decoded, embedder.input, {})], { cropAverage: way === 'regions on' });
    q = r!.vector;
    if (r!.objects.length === 0) throw new Error('no objects: the model has no saliency map');
  }
  search(q);
  return performance.now() - t0;
}

for (const bytes of bytesOf) for (const w of WAYS) times[w].push(await run(w, bytes));
await embedder.close();

const base = summarize(times.today);
console.log(`\n## Dropped photo, decode + embed (+ localise, + crop) + search of ${items.toLocaleString('en-US')} vectors: ${files.length} photos of ${args.data}\n`);
console.log('| way | median | p99 | p99 / today |');
console.log('| --- | --- | --- | --- |');
for (const w of WAYS) {
  const s = summarize(times[w]);
  console.log(`| ${w} | ${formatMs(s.median)} | ${formatMs(s.p99)} | ${(s.p99 / base.p99).toFixed(2)}× (median ${(s.median / base.median).toFixed(2)}×) |`);
}
