/** CPU cost of one local-feature check (extraction of two pictures + verification), and of a hue histogram. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractFeatures, verifyFeatures, loadOpenCv } from '../../src/core/features/local-features.js';
import { hueHistogram } from '../../src/core/features/hue-histogram.js';
import { generate } from '../../test/support/near-dup-generator.js';
const root = '/work/shared/datasets/clothes-train';
const files = readdirSync(root).filter((d) => d !== 'LICENSE').flatMap((d) => readdirSync(join(root, d)).slice(0, 3).map((f) => join(root, d, f)));
await loadOpenCv();
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let ex = 0, ver = 0, hue = 0, n = 0;
for (const f of files.slice(0, 20)) {
  const bytes = readFileSync(f);
  const copy = (await generate(f, 'rotate-small-crop', n + 1)).data;
  let t = cpu();
  const fa = await extractFeatures(bytes); const fb = await extractFeatures(copy);
  ex += cpu() - t; t = cpu();
  await verifyFeatures(fa, fb);
  ver += cpu() - t; t = cpu();
  await hueHistogram(bytes); await hueHistogram(copy);
  hue += cpu() - t; n++;
}
console.log(`per picture: extraction ${(ex / n / 2).toFixed(1)} ms CPU; per pair: verification ${(ver / n).toFixed(1)} ms CPU; hue histogram ${(hue / n / 2).toFixed(1)} ms CPU per picture`);
