/**
 * Category-suggestion accuracy: a labelled image folder (one subfolder per category) is indexed through the real
 * engine, a product CSV gives 80% of the images their folder as category, and the hidden 20% (chosen by an FNV-1a
 * hash of the relative path, so the split is deterministic) get suggestions by neighbour vote
 * (src/core/products/categories.ts). Reports accuracy over all hidden images and, at confidence ≥ 0.8, accuracy
 * and coverage (share of hidden images with such a suggestion), for each model and k.
 *
 *   npm run build:core && npm run build:tools && node build/bench/category-suggest.js [--dataset DIR] [--models fast,accurate]
 *     [--k 5,10,20] [--hide 0.2] [--cache DIR] [--json FILE]
 */
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/core/app/engine.js';
import { createLogger } from '../src/core/base/logger.js';
import { suggestCategories } from '../src/core/products/categories.js';
import { hasImageExtension } from '../src/core/scan/walk.js';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string', default: '/work/shared/datasets/clothes-train' },
    models: { type: 'string', default: 'fast,accurate' },
    k: { type: 'string', default: '5,10,20' },
    hide: { type: 'string', default: '0.2' },
    cache: { type: 'string', default: '/tmp/lookalike-category-bench' },
    json: { type: 'string' },
  },
});

/** FNV-1a 32-bit: a stable hash for the deterministic split. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const csvCell = (s: string) => `"${s.replace(/"/g, '""')}"`;

async function main(): Promise<void> {
  const dataset = resolve(args.dataset);
  const hideShare = Number(args.hide);
  const ks = args.k.split(',').map(Number);
  const images: { rel: string; category: string }[] = [];
  for (const dir of readdirSync(dataset).sort()) {
    const full = join(dataset, dir);
    if (!statSync(full).isDirectory()) continue;
    for (const f of readdirSync(full).sort()) if (hasImageExtension(f)) images.push({ rel: `${dir}/${f}`, category: dir });
  }
  const hidden = new Set(images.filter((i) => fnv1a(i.rel) % 10_000 < hideShare * 10_000).map((i) => i.rel));
  const csv = ['sku,category,image', ...images.filter((i) => !hidden.has(i.rel)).map((i) => [i.rel, i.category, i.rel].map(csvCell).join(','))].join('\n');
  console.error(`${images.length} images in ${new Set(images.map((i) => i.category)).size} categories; ${hidden.size} hidden`);

  const results: Record<string, unknown>[] = [];
  for (const modelId of args.models.split(',')) {
    const dataDir = join(args.cache, modelId);
    const engine = await createEngine({ dataDir, modelId, logger: createLogger({ level: 'warn', sink: (l) => process.stderr.write(`${l}\n`) }) });
    try {
      if (!engine.library.listCollections().some((c) => c.name === 'clothes')) engine.library.addFolder('clothes', dataset);
      const started = performance.now();
      const [summary] = await engine.indexer.run(['clothes']);
      console.error(`${modelId}: indexed ${summary?.indexed} (${summary?.unchanged} unchanged) in ${((performance.now() - started) / 1000).toFixed(1)}s`);
      const imported = await engine.localApi['catalog:importCsv']({
        collection: 'clothes',
        source: { kind: 'text', text: csv },
        preview: false,
        previewRows: 0,
      });
      console.error(`${modelId}: ${imported.summary?.products} products imported, ${imported.summary?.unmatchedImages.length} images without a row`);
      const collectionId = engine.catalog.collections.require('clothes').id;
      const items = engine.catalog.items.getMany(engine.catalog.items.embeddedIds(collectionId, engine.catalog.meta.get('embedder_id') ?? modelId));
      for (const k of ks) {
        const t0 = performance.now();
        const { suggestions, uncategorized } = suggestCategories(engine.catalog, [collectionId], { k });
        const seconds = (performance.now() - t0) / 1000;
        let correct = 0;
        let confident = 0;
        let confidentCorrect = 0;
        for (const s of suggestions) {
          const path = items.get(s.id)?.path;
          if (!path) continue;
          const truth = basename(dirname(path));
          if (!hidden.has(relative(dataset, path).split('\\').join('/'))) throw new Error(`suggested for a labelled image: ${path}`);
          if (s.category === truth) correct += 1;
          if (s.confidence >= 0.8) {
            confident += 1;
            if (s.category === truth) confidentCorrect += 1;
          }
        }
        const row = {
          model: modelId,
          k,
          hidden: hidden.size,
          uncategorized,
          suggested: suggestions.length,
          accuracy: correct / hidden.size,
          accuracyAt08: confident > 0 ? confidentCorrect / confident : null,
          coverageAt08: confident / hidden.size,
          seconds,
        };
        results.push(row);
        console.log(JSON.stringify(row));
      }
    } finally {
      await engine.close();
    }
  }
  if (args.json) writeFileSync(args.json, JSON.stringify(results, null, 2));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
