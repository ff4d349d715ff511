#!/usr/bin/env node
// The main job on the built-in defaults: index a folder of photos, then search it with a "phone photo" of one of
// them (resized, recompressed, slightly cropped) and print the best matches. Uses ../shared/datasets/clothes-train
// when it sits next to the repository, else generates a small synthetic photo set. Run again: only changes are indexed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(repo, '.cache', 'demo');
const cli = join(repo, 'bin', 'lookalike.js');

if (!existsSync(join(repo, 'dist', 'cli', 'main.js'))) {
  console.error('demo: the CLI is not built yet; run `npm run build` (npm install does it) and try again.');
  process.exit(1);
}
const { default: sharp } = await import('sharp');
const { scene } = await import(join(repo, 'dist', 'core', 'images', 'synthetic.js'));

let photos = resolve(repo, '..', 'shared', 'datasets', 'clothes-train');
if (!existsSync(photos)) {
  photos = join(cache, 'photos');
  const count = 60;
  mkdirSync(photos, { recursive: true });
  if (readdirSync(photos).length < count) {
    console.log(`demo: generating ${count} synthetic product photos in ${photos}`);
    await Promise.all(Array.from({ length: count }, (_, i) => scene(1000 + i).jpeg({ quality: 90 }).toFile(join(photos, `product-${i}.jpg`))));
  }
}

/** The first image file under `dir` in name order. */
function firstImage(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      const inner = firstImage(p);
      if (inner) return inner;
    } else if (/\.(jpe?g|png|webp)$/i.test(name)) return p;
  }
  return undefined;
}

const data = join(cache, 'data');
const run = (args) => {
  console.log(`\n$ lookalike ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [cli, ...args], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

// The demo folder is a cache: when the built-in model changed since the last run (a rebuild), start it afresh
// instead of failing with MODEL_MISMATCH as a real data folder must.
const { createEngine } = await import(join(repo, 'dist', 'core', 'engine.js'));
try {
  const engine = await createEngine({ dataDir: data });
  try {
    await engine.model.embedder();
  } finally {
    await engine.close();
  }
} catch (err) {
  if (err?.code !== 'MODEL_MISMATCH') throw err;
  console.log('demo: the model changed since the last demo run; starting a fresh demo data folder');
  rmSync(data, { recursive: true, force: true });
}

run(['--data', data, 'index', photos, '--collection', 'demo']);

const original = firstImage(photos);
const query = join(cache, 'phone-photo.jpg');
const meta = await sharp(original).metadata();
await sharp(original)
  .rotate()
  .extract({ left: Math.floor(meta.width * 0.05), top: Math.floor(meta.height * 0.05), width: Math.floor(meta.width * 0.9), height: Math.floor(meta.height * 0.9) })
  .resize(200)
  .jpeg({ quality: 45 })
  .toFile(query);
console.log(`\ndemo: the query is ${query}: ${original} cropped, shrunk and recompressed`);
run(['--data', data, 'search', query, '-k', '5']);
console.log(`\ndemo: data folder ${data}; try \`node bin/lookalike.js --data ${data} stats\``);
