/**
 * `node build/bench/same-product.js --data <grocery-dev> [--opencv <opencv.js>] [--clothes <dir> --distractors N]`:
 * what closes the same-product gap (a store photo → the product's catalog photo, or its other labelled photos),
 * measured on grocery-dev. Tuned on the dev split of train/ only; val/ reported. Prints markdown tables (see
 * docs/research/same-product.md). Research code: nothing in src/core imports it.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { clothesDistractors, FAMILIES, loadGrocery, type Photo, type Product } from './same-product/data.js';
import { describeAll, describeCrops, type CropDescriptors, type GlobalVariant, type ImageDescriptors } from './same-product/describe.js';
import { createLocalMatcher, loadOpenCv, type Detector, type LocalFeatures, type LocalMatcher } from './same-product/local-features.js';
import { buildMapsModel, openMapsRunner } from './same-product/maps-model.js';
import { operatingPoint, pct, recallAt, thresholdFor, type Ranked } from './same-product/metrics.js';
import { applyMany, closeMatMul, fitAppWhitening, fitLda, identity, powerNorm, similarities, type LdaOptions, type Projection } from './same-product/project.js';
import { l2 } from './same-product/pooling.js';
import { appSpace, policyWith, type AppSpace, type FolderPhoto } from './same-product/app-path.js';
import { rerankSection } from './same-product/rerank-section.js';
import { withProductEvidence } from '../src/core/search/product-evidence.js';
import { fitCalibration, verdictOf, type Calibration, type SameProductVerdict } from '../src/core/vectors/calibration.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string' },
    cache: { type: 'string', default: join(tmpdir(), 'lookalike-same-product') },
    opencv: { type: 'string' },
    detector: { type: 'string', default: 'orb' },
    clothes: { type: 'string' },
    distractors: { type: 'string', default: '0' },
    'top-k': { type: 'string', default: '5' },
    features: { type: 'string', default: '500' },
    'budget-s': { type: 'string', default: '420' },
    only: { type: 'string', default: 'global,local,calibration,disjoint,app' },
    /** Indices into CONFIGS to evaluate (default all); local/calibration need the baseline (1) and --best (default 21). */
    configs: { type: 'string' },
    /** The configuration local verification and calibration build on (index into CONFIGS). */
    best: { type: 'string' },
    'disjoint-configs': { type: 'string' },
    /** Indices into the app section's runs (default all). */
    'app-runs': { type: 'string' },
    /** The rerank section: also the PCA-whitened (no product data) rankings; ORB inliers too (slow: ~60 ms a pair). */
    'rerank-pca': { type: 'boolean' },
    'rerank-orb': { type: 'boolean' },
    /** The rerank section's dev split: random (the bench's, default) or block (each product's last 25% by file name). */
    'rerank-dev': { type: 'string', default: 'random' },
    /** The app section: also write each run's projected vectors (queries, iconic, labelled) to this folder (.f32 + .json). */
    dump: { type: 'string' },
    /** The app section's stored vector: the photo's (regions off, default) or the engine's regions-on average. */
    'app-vector': { type: 'string', default: 'photo' },
  },
});
const defaultData = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'datasets', 'grocery-dev');
if (!args.data && existsSync(defaultData)) args.data = defaultData;
if (!args.data) {
  console.error('usage: node build/bench/same-product.js --data DIR [--opencv PATH] [--clothes DIR --distractors N] [--cache DIR]');
  process.exit(2);
}
const only = new Set(args.only!.split(','));
const g = loadGrocery(args.data);
const productOf = new Map<number, Product>(g.products.map((p) => [p.id, p]));
const distractors = args.clothes ? clothesDistractors(args.clothes, Number(args.distractors)) : [];
const log = (m: string) => console.error(`[same-product] ${m}`);

// ---------------------------------------------------------------- descriptors (cached per image)
const runner = await openMapsRunner(await buildMapsModel(join(args.cache!, 'models'), 192), 192);
const allPaths = [...g.products.map((p) => p.iconic), ...g.val.map((p) => p.path), ...g.train.map((p) => p.path), ...distractors];
const descOpts = { runner, cacheDir: join(args.cache!, 'desc'), budgetMs: Number(args['budget-s']) * 1000, onProgress: (n: number, t: number) => n % 200 === 0 && log(`described ${n}/${t}`) };
const full = await describeAll(allPaths, descOpts);
const crops = await describeCrops([...full.keys()], new Map([...full].map(([k, v]) => [k, v.box])), descOpts);
await runner.close();
if (full.size < allPaths.length || crops.size < allPaths.length) {
  log(`only ${full.size}/${crops.size} of ${allPaths.length} images described within the budget; run again to continue`);
  process.exit(3);
}
const D = (p: string): ImageDescriptors => full.get(p)!;
const C = (p: string): CropDescriptors => crops.get(p)!;

// ---------------------------------------------------------------- configurations
type Regions = 'full' | 'crop' | 'multi' | 'avg';
type ProjKind = 'raw' | 'app' | 'lda' | 'wcw' | 'aug';
interface Config {
  group: string;
  name: string;
  variant: GlobalVariant;
  regions: Regions;
  proj: ProjKind;
  lda?: LdaOptions;
}

function descriptorsOf(path: string, c: Config): Float32Array[] {
  const f = D(path).full[c.variant];
  const r = C(path).crop[c.variant];
  switch (c.regions) {
    case 'full':
      return [f];
    case 'crop':
      return [r];
    case 'multi':
      return [f, r];
    case 'avg':
      return [l2(Float32Array.from(f, (x, i) => x + r[i]!))];
  }
}

interface Split {
  name: 'dev' | 'val';
  queries: Photo[];
  /** Labelled photos a projection may learn from, and the gallery of the store → labelled task. */
  fit: Photo[];
}
const SPLITS: Split[] = [
  { name: 'dev', queries: g.devQueries, fit: g.fit },
  { name: 'val', queries: g.val, fit: g.train },
];

async function learn(c: Config, fit: readonly Photo[], products: ReadonlySet<number> | undefined): Promise<Projection> {
  const labelled = fit.filter((p) => products === undefined || products.has(p.product));
  const iconics = g.products.filter((p) => products === undefined || products.has(p.id));
  if (c.proj === 'raw') return identity(0);
  if (c.proj === 'app') {
    // The app learns it from every photo in the data folder, labels unused.
    const samples = [...fit.map((p) => p.path), ...g.products.map((p) => p.iconic), ...distractors].flatMap((p) => descriptorsOf(p, c));
    return fitAppWhitening(samples);
  }
  if (c.proj === 'aug') {
    // No labels: each photo (store photos, catalog photos) is its own class of augmented views.
    const samples: Float32Array[] = [];
    const labels: number[] = [];
    [...fit.map((p) => p.path), ...g.products.map((p) => p.iconic)].forEach((p, i) => {
      const views = c.variant === 'acc' ? D(p).views.map(powerNorm) : [];
      for (const v of [...views, D(p).full[c.variant], C(p).crop[c.variant]]) {
        samples.push(v);
        labels.push(i);
      }
    });
    return fitLda(samples, labels, { whitenOnly: false, k: 384, ...c.lda });
  }
  const samples: Float32Array[] = [];
  const labels: number[] = [];
  for (const p of labelled) for (const v of descriptorsOf(p.path, c)) (samples.push(v), labels.push(p.product));
  // The catalog photo is a labelled photo of its product, too.
  for (const p of iconics) for (const v of descriptorsOf(p.iconic, c)) (samples.push(v), labels.push(p.id));
  return fitLda(samples, labels, { ...c.lda, whitenOnly: c.proj === 'wcw' });
}

interface Outcome {
  iconic: Ranked[];
  labelled: Ranked[];
  msProject: number;
}

/** Scores of each query against each gallery item: the max over their descriptors' cosines. */
async function rank(queries: readonly string[], qFamily: readonly Photo[], gallery: readonly string[], gProducts: readonly number[], c: Config, proj: Projection, keep: number): Promise<Ranked[]> {
  const qd = queries.map((p) => descriptorsOf(p, c));
  const gd = gallery.map((p) => descriptorsOf(p, c));
  const qv = await applyMany(proj, qd.flat());
  const gv = await applyMany(proj, gd.flat());
  const sims = await similarities(qv, gv);
  const qOwner = qd.flatMap((ds, i) => ds.map(() => i));
  const gOwner = gd.flatMap((ds, i) => ds.map(() => i));
  const best = Array.from({ length: queries.length }, () => new Float32Array(gallery.length).fill(-Infinity));
  for (let a = 0; a < qv.length; a++) {
    const row = best[qOwner[a]!]!;
    for (let b = 0; b < gv.length; b++) {
      const s = sims[a * gv.length + b]!;
      const j = gOwner[b]!;
      if (s > row[j]!) row[j] = s;
    }
  }
  return best.map((row, i) => {
    const order = Array.from(row.keys()).sort((x, y) => row[y]! - row[x]!).slice(0, keep);
    const q = qFamily[i]!;
    return { product: q.product, family: productOf.get(q.product)!.family, top: order.map((j) => ({ product: gProducts[j]!, score: row[j]!, index: j })) };
  });
}

const iconicGallery = [...g.products.map((p) => p.iconic), ...distractors];
const iconicProducts = [...g.products.map((p) => p.id), ...distractors.map(() => -1)];

async function evaluate(c: Config, split: Split, products?: ReadonlySet<number>): Promise<Outcome> {
  const proj = await learn(c, split.fit, products);
  const t0 = performance.now();
  const iconic = await rank(split.queries.map((q) => q.path), split.queries, iconicGallery, iconicProducts, c, proj, 20);
  const msProject = (performance.now() - t0) / split.queries.length;
  const labelled = await rank(split.queries.map((q) => q.path), split.queries, split.fit.map((p) => p.path), split.fit.map((p) => p.product), c, proj, 10);
  return { iconic, labelled, msProject };
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
/** Which photos of a SKU may lend their score to its catalog photo (search/product-evidence.ts `trust`). */
const EVIDENCE_RULES = ['every photo', 'photos judged similar or better', 'photos judged the same product (the engine)'] as const;
type EvidenceRule = (typeof EVIDENCE_RULES)[number];
const fam = (r: ReturnType<typeof recallAt>) => [pct(r.all), ...FAMILIES.map((f) => pct(r[f]))];

const CONFIGS: Config[] = [
  { group: 'baseline', name: 'accurate, raw cosine', variant: 'acc', regions: 'full', proj: 'raw' },
  { group: 'baseline', name: 'accurate + app PCA-whitening (the app today)', variant: 'acc', regions: 'full', proj: 'app' },
  { group: '(a) pooling', name: 'no power normalisation', variant: 'acc-nopow', regions: 'full', proj: 'app' },
  { group: '(a) pooling', name: 'GeM without centre prior', variant: 'flat', regions: 'full', proj: 'app' },
  { group: '(a) pooling', name: 'mixed5+6 only', variant: 'm56', regions: 'full', proj: 'app' },
  { group: '(a) pooling', name: 'mixed4+5+6 (no mixed8)', variant: 'm456', regions: 'full', proj: 'app' },
  { group: '(a) pooling', name: 'R-MAC mixed4/6 + GeM mixed8', variant: 'rmac', regions: 'full', proj: 'app' },
  { group: '(a) pooling', name: 'CroW-weighted GeM', variant: 'crow', regions: 'full', proj: 'app' },
  { group: '(b) localise', name: 'SCDA crop only', variant: 'acc', regions: 'crop', proj: 'app' },
  { group: '(b) localise', name: 'photo + SCDA crop, max over descriptors', variant: 'acc', regions: 'multi', proj: 'app' },
  { group: '(b) localise', name: 'photo + SCDA crop, averaged', variant: 'acc', regions: 'avg', proj: 'app' },
  { group: '(c) learn', name: 'no labels: augmentation whitening (views as classes)', variant: 'acc', regions: 'full', proj: 'aug' },
  { group: '(c) learn', name: 'labels: within-product whitening only', variant: 'acc', regions: 'full', proj: 'wcw' },
  { group: '(c) learn', name: 'labels: within-product whitening + LDA 80', variant: 'acc', regions: 'full', proj: 'lda' },
  { group: '(c) learn', name: 'labels: LDA 80, shrink 0.3', variant: 'acc', regions: 'full', proj: 'lda', lda: { shrink: 0.3 } },
  { group: '(c) learn', name: 'labels: LDA 80 on 256 PCA dims', variant: 'acc', regions: 'full', proj: 'lda', lda: { pcaDim: 256 } },
  { group: '(b+c)', name: 'LDA 80 + photo & SCDA crop (max)', variant: 'acc', regions: 'multi', proj: 'lda' },
  { group: '(b+c)', name: 'LDA 80 + photo & crop, averaged', variant: 'acc', regions: 'avg', proj: 'lda' },
  { group: '(a+c)', name: 'LDA 80 on mixed4+5+6', variant: 'm456', regions: 'full', proj: 'lda' },
  { group: '(a+c)', name: 'LDA 80 on CroW', variant: 'crow', regions: 'full', proj: 'lda' },
  { group: '(b+c)', name: 'within-product whitening, photo & crop averaged', variant: 'acc', regions: 'avg', proj: 'wcw' },
  { group: '(a+b+c)', name: 'LDA 80, no power normalisation, photo & crop averaged', variant: 'acc-nopow', regions: 'avg', proj: 'lda' },
  // What the engine's opt-in crop average stores (issue 20, capability 1), under the app's own whitening.
  { group: '(a+b)', name: 'app PCA-whitening, no power normalisation, photo & crop averaged', variant: 'acc-nopow', regions: 'avg', proj: 'app' },
];

const results = new Map<string, Map<string, Outcome>>();
if (only.has('global')) {
  const lines: string[] = [];
  lines.push(row(['group', 'configuration', 'split', 'store→iconic R@1 all', 'Fruit', 'Veg', 'Packages', 'R@5 all', 'R@5 Packages', 'store→labelled top-1 all', 'Fruit', 'Veg', 'Packages']));
  lines.push(row(Array(13).fill('---')));
  const picked = args.configs === undefined ? CONFIGS : args.configs.split(',').map((i) => CONFIGS[Number(i)]!);
  for (const c of picked) {
    const per = new Map<string, Outcome>();
    for (const split of SPLITS) {
      const t0 = performance.now();
      const o = await evaluate(c, split);
      per.set(split.name, o);
      const r1 = recallAt(o.iconic, 1);
      const r5 = recallAt(o.iconic, 5);
      const lab = recallAt(o.labelled, 1);
      lines.push(row([c.group, c.name, split.name, ...fam(r1), pct(r5.all), pct(r5.Packages), ...fam(lab)]));
      log(`${c.name} ${split.name}: R@1 ${pct(r1.all)} (P ${pct(r1.Packages)}), labelled ${pct(lab.all)} [${((performance.now() - t0) / 1000).toFixed(1)} s]`);
    }
    results.set(c.name, per);
  }
  console.log(`\n## Global descriptors (store → iconic gallery of ${iconicGallery.length}; store → labelled photos)\n`);
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------- costs of the descriptors
{
  const ms = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return `${(s.reduce((a, b) => a + b, 0) / s.length).toFixed(0)} mean / ${s[Math.floor(s.length * 0.99)]!.toFixed(0)} p99`;
  };
  const paths = [...g.val.map((p) => p.path), ...g.products.map((p) => p.iconic)];
  console.log('\n## Cost per image (ms; decode + inference + pooling, 2 shared cores, batch 4; timings are upper bounds)\n');
  console.log(`- whole photo, 3 views (the app's pass; every pooling variant comes from this one pass): ${ms(paths.map((p) => D(p).ms))}`);
  console.log(`- SCDA crop re-embedded, 1 view: ${ms(paths.map((p) => C(p).ms))}`);
}

// ---------------------------------------------------------------- local features
const featureCache = new Map<string, LocalFeatures>();
async function features(m: LocalMatcher, path: string): Promise<LocalFeatures> {
  let f = featureCache.get(path);
  if (!f) featureCache.set(path, (f = await m.extract(path)));
  return f;
}

interface Verified {
  ranked: Ranked;
  inliers: number[];
}

const BASE = 'accurate + app PCA-whitening (the app today)';
const BEST = CONFIGS[Number(args.best ?? 21)]!.name;
const verified = new Map<string, Map<string, Verified[]>>();
if (only.has('local') && args.opencv && results.size > 0) {
  const { cv } = await loadOpenCv(args.opencv);
  const topK = Number(args['top-k']);
  const lines: string[] = [];
  const costs: string[] = [];
  for (const detector of (args.detector!.split(',') as Detector[])) {
    featureCache.clear();
    const m = createLocalMatcher(cv, { detector, maxFeatures: Number(args.features) });
    const pairs = new Map<string, number>();
    const pairMs: number[] = [];
    for (const cfg of [BASE, BEST]) {
      const per = new Map<string, Verified[]>();
      for (const split of SPLITS) {
        const o = results.get(cfg)!.get(split.name)!;
        const v: Verified[] = [];
        for (let i = 0; i < o.iconic.length; i++) {
          const r = o.iconic[i]!;
          const qf = await features(m, split.queries[i]!.path);
          const inl: number[] = [];
          for (const c of r.top.slice(0, topK)) {
            const key = `${split.queries[i]!.path}|${c.index}`;
            let inliers = pairs.get(key);
            if (inliers === undefined) {
              const res = m.verify(qf, await features(m, iconicGallery[c.index]!));
              pairMs.push(res.ms);
              pairs.set(key, (inliers = res.inliers));
            }
            inl.push(inliers);
          }
          v.push({ ranked: r, inliers: inl });
        }
        per.set(split.name, v);
      }
      verified.set(`${detector}:${cfg}`, per);
    }
    // Re-rank: score + β · min(inliers, cap) / cap over the top K; β and cap tuned on dev.
    let bestParams = { beta: 0, cap: 20 };
    let bestR1 = -1;
    for (const beta of [0.05, 0.1, 0.2, 0.3, 0.5, 1, 2]) {
      for (const cap of [10, 20, 40, 80]) {
        const r1 = recallAt(rerank(verified.get(`${detector}:${BEST}`)!.get('dev')!, beta, cap, topK), 1).all;
        if (r1 > bestR1) (bestR1 = r1), (bestParams = { beta, cap });
      }
    }
    for (const cfg of [BASE, BEST]) {
      for (const split of SPLITS) {
        const v = verified.get(`${detector}:${cfg}`)!.get(split.name)!;
        const before = recallAt(v.map((x) => x.ranked), 1);
        const after = recallAt(rerank(v, bestParams.beta, bestParams.cap, topK), 1);
        const after5 = recallAt(rerank(v, bestParams.beta, bestParams.cap, topK), 5);
        lines.push(row([detector, cfg, split.name, ...fam(before), '→', ...fam(after), pct(after5.all)]));
      }
    }
    const ext = [...featureCache.values()].map((f) => f.ms);
    costs.push(`- ${detector}: β ${bestParams.beta}, cap ${bestParams.cap} (tuned on dev); extraction ${(ext.reduce((a, b) => a + b, 0) / ext.length).toFixed(1)} ms/image, ${(
      [...featureCache.values()].reduce((a, f) => a + f.count, 0) / featureCache.size
    ).toFixed(0)} keypoints; matching + RANSAC ${(pairMs.reduce((a, b) => a + b, 0) / pairMs.length).toFixed(2)} ms/pair (p99 ${[...pairMs].sort((a, b) => a - b)[Math.floor(pairMs.length * 0.99)]!.toFixed(1)}); ${topK} pairs per query`);
  }
  console.log(`\n## (d) Local-feature verification of the top ${topK} iconic candidates (score + β·min(inliers, cap)/cap)\n`);
  console.log(row(['detector', 'global ranking', 'split', 'R@1 before all', 'Fruit', 'Veg', 'Packages', '', 'R@1 after all', 'Fruit', 'Veg', 'Packages', 'R@5 after']));
  console.log(row(Array(13).fill('---')));
  console.log(lines.join('\n'));
  console.log(`\n${costs.join('\n')}`);
}

function rerank(v: readonly Verified[], beta: number, cap: number, topK: number): Ranked[] {
  return v.map(({ ranked, inliers }) => {
    const head = ranked.top.slice(0, topK).map((c, i) => ({ ...c, score: c.score + (beta * Math.min(inliers[i]!, cap)) / cap }));
    head.sort((a, b) => b.score - a.score);
    return { ...ranked, top: [...head, ...ranked.top.slice(topK)] };
  });
}

// ---------------------------------------------------------------- calibration of a "same product" verdict
if (only.has('calibration') && results.size > 0) {
  type Item = { signal: number; correct: boolean };
  const signals: { name: string; items: (split: 'dev' | 'val') => Item[] | undefined }[] = [];
  const cosine = (cfg: string) => (split: 'dev' | 'val') => results.get(cfg)?.get(split)?.iconic.map((r) => ({ signal: r.top[0]!.score, correct: r.top[0]!.product === r.product }));
  const margin = (cfg: string) => (split: 'dev' | 'val') =>
    results.get(cfg)?.get(split)?.iconic.map((r) => ({ signal: r.top[0]!.score - r.top[1]!.score, correct: r.top[0]!.product === r.product }));
  signals.push({ name: 'cosine, app today', items: cosine(BASE) });
  signals.push({ name: 'cosine, ' + BEST, items: cosine(BEST) });
  signals.push({ name: 'margin top1 − top2, ' + BEST, items: margin(BEST) });
  const det = args.detector!.split(',')[0]!;
  const v = (split: 'dev' | 'val') => verified.get(`${det}:${BEST}`)?.get(split);
  if (verified.size > 0) {
    signals.push({ name: `${det} inliers with the first candidate (LDA + crop)`, items: (s) => v(s)?.map((x) => ({ signal: x.inliers[0]!, correct: x.ranked.top[0]!.product === x.ranked.product })) });
    // After re-ranking, the first candidate's combined score: cosine + 0.02 · inliers (no cap).
    signals.push({
      name: `cosine + 0.02·inliers of the re-ranked first (LDA + crop + ${det})`,
      items: (s) =>
        v(s)?.map((x) => {
          const head = x.ranked.top.slice(0, x.inliers.length).map((c, i) => ({ c, s: c.score + 0.02 * Math.min(x.inliers[i]!, 40) }));
          head.sort((a, b) => b.s - a.s);
          return { signal: head[0]!.s, correct: head[0]!.c.product === x.ranked.product };
        }),
    });
  }
  console.log('\n## (f) Calibration: "same product" verdict on the first iconic candidate; threshold chosen on dev for a target precision, measured on val\n');
  console.log(row(['signal', 'target precision', 'threshold (dev)', 'val precision', 'val recall (correct verdicts / queries)', 'val coverage']));
  console.log(row(Array(6).fill('---')));
  for (const s of signals) {
    const dev = s.items('dev');
    const val = s.items('val');
    if (!dev || !val) continue;
    for (const target of [0.8, 0.9, 0.95]) {
      const t = thresholdFor(dev, target);
      if (t === undefined) {
        console.log(row([s.name, target, 'none reaches it', '–', '–', '–']));
        continue;
      }
      const op = operatingPoint(val, t);
      console.log(row([s.name, target, t.toFixed(3), pct(op.precision), pct(op.recall), pct(op.coverage)]));
    }
  }
}

// ---------------------------------------------------------------- product-disjoint check
if (only.has('disjoint')) {
  const unseen = g.products.filter((p) => !g.seenProducts.has(p.id)).map((p) => p.id);
  const seen = g.seenProducts;
  console.log(`\n## Product-disjoint check: labels of ${seen.size} products only; val queries of the ${unseen.length} other products (gallery: all ${iconicGallery.length})\n`);
  console.log(row(['configuration', 'labels from', 'R@1 unseen all', 'Fruit', 'Veg', 'Packages', 'labelled top-1 unseen', 'R@1 seen all']));
  console.log(row(Array(8).fill('---')));
  const val = SPLITS[1]!;
  const listed = args['disjoint-configs'] === undefined ? [1, 13, 16, 17, 12] : args['disjoint-configs'].split(',').map(Number);
  for (const c of listed.map((i) => CONFIGS[i]!)) {
    const from = c.proj === 'lda' || c.proj === 'wcw' ? `${seen.size} products` : 'none';
    const o = await evaluate(c, val, c.proj === 'lda' || c.proj === 'wcw' ? seen : undefined);
    const pick = (rs: Ranked[], set: (id: number) => boolean) => rs.filter((r) => set(r.product));
    const u = (id: number) => !seen.has(id);
    console.log(
      row([c.name, from, ...fam(recallAt(pick(o.iconic, u), 1)), pct(recallAt(pick(o.labelled, u), 1).all), pct(recallAt(pick(o.iconic, (id) => seen.has(id)), 1).all)]),
    );
  }
}
// ---------------------------------------------------------------- the app's code: capabilities 2 and 4 on/off
if (only.has('app') || only.has('rerank')) {
  // With regions on, the engine stores the unit mean of the photo's and its main box crop's unpowered vectors
  // (src/core/locate/region-embedding.ts), research configuration (a+b+c).
  const acc = args['app-vector'] === 'regions' ? (p: string) => l2(Float32Array.from(D(p).full['acc-nopow'], (x, i) => x + C(p).crop['acc-nopow'][i]!)) : (p: string) => D(p).full.acc;
  const sku = (id: number) => `P${id}`;
  const folderOf = (fit: readonly Photo[], labelled: (product: number) => boolean): FolderPhoto[] => [
    ...fit.map((p) => ({ path: p.path, vector: acc(p.path), sku: labelled(p.product) ? sku(p.product) : undefined })),
    ...g.products.map((p) => ({ path: p.iconic, vector: acc(p.iconic), sku: labelled(p.id) ? sku(p.id) : undefined })),
  ];
  interface Scored {
    iconic: Ranked[];
    labelled: Ranked[];
    /**
     * iconic, once each catalog photo may take the score of its SKU's best labelled photo (the engine's search), per
     * rule of which photos may lend; `judged`: the same order with each candidate's own cosine (its verdict).
     */
    evidence: Record<EvidenceRule, { ranked: Ranked[]; judged: Ranked[] }>;
  }
  /** For analysis outside the bench: one file of rows per gallery, and who is who. */
  const dumpSpace = (space: AppSpace, split: Split, q: Float32Array[], iconic: Float32Array[], fit: Float32Array[]) => {
    const stem = join(args.dump!, `${split.name}-${space.kind}`);
    mkdirSync(args.dump!, { recursive: true });
    const flat = (rows: Float32Array[]) => Buffer.from(Float32Array.from(rows.flatMap((r) => [...r])).buffer);
    writeFileSync(`${stem}.queries.f32`, flat(q));
    writeFileSync(`${stem}.iconic.f32`, flat(iconic));
    writeFileSync(`${stem}.fit.f32`, flat(fit));
    const fam = (id: number) => productOf.get(id)?.family ?? '';
    writeFileSync(
      `${stem}.json`,
      JSON.stringify({
        dim: space.transform.outputDim,
        queries: split.queries.map((p) => ({ product: p.product, family: fam(p.product), path: p.path })),
        iconic: iconicProducts,
        fit: split.fit.map((p) => ({ product: p.product, path: p.path })),
      }),
    );
  };
  const rankIn = async (space: AppSpace, split: Split, isLabelled: (product: number) => boolean = () => true): Promise<Scored> => {
    const t = space.transform;
    const apply = async (paths: readonly string[]) => {
      const x = new Float32Array(paths.length * t.inputDim);
      paths.forEach((p, i) => x.set(acc(p), i * t.inputDim));
      const y = t.applyMany ? await t.applyMany(x, paths.length) : x.map((v) => v);
      if (!t.applyMany) for (let i = 0; i < paths.length; i++) y.set(t.apply(x.subarray(i * t.inputDim, (i + 1) * t.inputDim)), i * t.outputDim);
      return Array.from({ length: paths.length }, (_, i) => y.slice(i * t.outputDim, (i + 1) * t.outputDim));
    };
    const q = await apply(split.queries.map((p) => p.path));
    if (args.dump) dumpSpace(space, split, q, await apply(iconicGallery), await apply(split.fit.map((p) => p.path)));
    const top = async (gallery: readonly string[], products: readonly number[], keep: number): Promise<Ranked[]> => {
      const gv = await apply(gallery);
      const sims = await similarities(q, gv);
      return q.map((_, i) => {
        const row = sims.subarray(i * gv.length, (i + 1) * gv.length);
        const order = Array.from(row.keys()).sort((a, b) => row[b]! - row[a]!).slice(0, keep);
        const qp = split.queries[i]!;
        return { product: qp.product, family: productOf.get(qp.product)!.family, top: order.map((j) => ({ product: products[j]!, score: row[j]!, index: j })) };
      });
    };
    // Every catalog photo's cosine (the hits' own, for verdicts below); the ranking keeps the first 10.
    const allIconic = await top(iconicGallery, iconicProducts, iconicGallery.length);
    const iconic = allIconic.map((r) => ({ ...r, top: r.top.slice(0, 10) }));
    const labelled = await top(split.fit.map((p) => p.path), split.fit.map((p) => p.product), 5);
    // The engine's evidence from a SKU's other photos (search/product-evidence.ts): the folder is the iconic photos
    // and the fit ones (ids: iconic i → i, fit j → iconic count + j), its first 16 hits per query as the engine asks.
    const folder = await top([...iconicGallery, ...split.fit.map((p) => p.path)], [...iconicProducts, ...split.fit.map((p) => p.product)], 16);
    const iconicOf = new Map<number, number[]>();
    iconicProducts.forEach((p, i) => p >= 0 && iconicOf.set(p, [...(iconicOf.get(p) ?? []), i]));
    const cal = space.calibration;
    const verdict = (score: number, margin: number | undefined) => (cal ? verdictOf({ score, ...(margin === undefined ? {} : { margin }) }, cal).verdict : 'different');
    const trusts: Record<EvidenceRule, ((score: number, margin: number | undefined) => boolean) | undefined> = {
      'every photo': undefined,
      'photos judged similar or better': (score, margin) => verdict(score, margin) !== 'different',
      // The engine lends only under the folder's own calibration (a built-in one was fitted on store → catalog pairs).
      'photos judged the same product (the engine)': (score, margin) => cal?.source === 'catalog' && verdict(score, margin) === 'same',
    };
    // Each candidate is judged on its own photo's cosine (what the engine's verdicts read), in the evidence's order.
    const own = allIconic.map((r) => new Map(r.top.map((c) => [c.index, c.score])));
    const evidence = {} as Record<EvidenceRule, { ranked: Ranked[]; judged: Ranked[] }>;
    for (const rule of EVIDENCE_RULES) {
      const trust = trusts[rule];
      const ranked = iconic.map((r, qi): Ranked => {
        const hits = folder[qi]!.top.map((c) => ({ id: c.index, score: c.score }));
        const productOfId = new Map(folder[qi]!.top.map((c) => [c.index, c.product]));
        const merged = withProductEvidence(
          r.top.map((c) => ({ id: c.index, score: c.score })),
          {
            folderHits: hits,
            // Two collections, as a user keeps them: the catalog's studio photos (0) and the labelled store photos (1).
            skuOf: (id) => (productOfId.get(id)! >= 0 && isLabelled(productOfId.get(id)!) ? { sku: sku(productOfId.get(id)!), collection: id < iconicGallery.length ? 0 : 1 } : undefined),
            itemsOfSkus: (skus) => skus.flatMap((s) => (iconicOf.get(Number(s.slice(1))) ?? []).map((id) => ({ id, sku: s, collection: 0 }))),
            ...(trust ? { trust } : {}),
          },
          10,
        );
        return { ...r, top: merged.map((m) => ({ product: iconicProducts[m.id]!, score: m.score, index: m.id })) };
      });
      evidence[rule] = { ranked, judged: ranked.map((r, qi) => ({ ...r, top: r.top.map((c) => ({ ...c, score: own[qi]!.get(c.index)! })) })) };
    }
    return { iconic, labelled, evidence };
  };
  /** The first candidate's evidence (margin to the next product) and whether it is right. */
  const firstPoints = (rs: readonly Ranked[]) => rs.map((r) => ({ score: r.top[0]!.score, margin: r.top[0]!.score - r.top[1]!.score, correct: r.top[0]!.product === r.product }));
  const verdictStats = (rs: readonly Ranked[], cal: Calibration | undefined) => {
    if (!cal) return undefined;
    const count = { given: 0, right: 0, similarRight: 0, similar: 0, wrongSimilar: 0, wrong: 0, rightAny: 0, right5: 0 };
    for (const r of rs) {
      r.top.slice(0, 5).forEach((c, i) => {
        const margin = i === 0 ? c.score - r.top[1]!.score : c.score - r.top[0]!.score;
        const v: SameProductVerdict = verdictOf({ score: c.score, margin }, cal).verdict;
        const right = c.product === r.product;
        if (i === 0 && v === 'same') (count.given++, right && count.right++);
        if (i === 0 && v === 'similar') (count.similar++, right && count.similarRight++);
        if (!right) (count.wrong++, v === 'similar' && count.wrongSimilar++);
        if (right) (count.right5++, v !== 'different' && count.rightAny++);
      });
    }
    const n = rs.length;
    return {
      samePrecision: count.given === 0 ? NaN : count.right / count.given,
      sameRecall: count.right / n,
      sameCoverage: count.given / n,
      similarFirstRight: count.similar === 0 ? NaN : count.similarRight / count.similar,
      wrongCalledSimilar: count.wrongSimilar / Math.max(1, count.wrong),
      rightNotDifferent: count.rightAny / Math.max(1, count.right5),
    };
  };
  const lines: string[] = [];
  const verdictLines: string[] = [];
  const builtin: Record<string, unknown> = {};
  const applyCost: string[] = [];
  const all = () => true;
  /**
   * A dev split by capture order: each product's last 25% of train photos (by file name, numbered as shot) are the
   * queries, the rest the fit set, so that dev queries come from other moments than what the projection learns
   * from, as val's do (the default dev split draws them at random, next to their near-twins).
   */
  const blockDev = (): Split => {
    const queries: Photo[] = [];
    const fit: Photo[] = [];
    for (const p of g.products) {
      const mine = g.train.filter((t) => t.product === p.id).sort((a, b) => (a.path < b.path ? -1 : 1));
      const k = Math.round(mine.length * 0.25);
      fit.push(...mine.slice(0, mine.length - k));
      queries.push(...mine.slice(mine.length - k));
    }
    return { name: 'dev', queries, fit };
  };
  const runs: { split: Split; name: string; labelled: (id: number) => boolean; policy: ReturnType<typeof policyWith>; builtinKind?: string; partial?: boolean }[] = [
    { split: SPLITS[0]!, name: 'identity (folder < 16 photos)', labelled: () => false, policy: policyWith(false, { centerMin: Infinity, pcaMin: Infinity }), builtinKind: 'identity' },
    { split: SPLITS[0]!, name: 'centring (16–999 photos)', labelled: () => false, policy: policyWith(false, { pcaMin: Infinity }), builtinKind: 'center' },
    { split: SPLITS[0]!, name: 'app today: PCA-whitening, learning from products off', labelled: all, policy: policyWith(false), builtinKind: 'pca' },
    { split: SPLITS[0]!, name: 'learning from products on, every SKU labelled', labelled: all, policy: policyWith(true) },
    { split: SPLITS[1]!, name: 'app today: PCA-whitening, learning from products off', labelled: all, policy: policyWith(false) },
    { split: SPLITS[1]!, name: 'learning from products on, every SKU labelled', labelled: all, policy: policyWith(true) },
    { split: SPLITS[1]!, name: `learning from products on, ${g.seenProducts.size} of ${g.products.length} SKUs labelled`, labelled: (id) => g.seenProducts.has(id), policy: policyWith(true), partial: true },
    { split: SPLITS[0]!, name: `learning from products on, ${g.seenProducts.size} of ${g.products.length} SKUs labelled`, labelled: (id) => g.seenProducts.has(id), policy: policyWith(true), partial: true },
  ];
  const pickedRuns = (!only.has('app') ? [] : args['app-runs'] === undefined ? runs : args['app-runs'].split(',').map((i) => runs[Number(i)]!)).map((r) =>
    r.split.name === 'dev' && args['rerank-dev'] === 'block' ? { ...r, split: blockDev(), name: `${r.name} [block dev]` } : r,
  );
  for (const run of pickedRuns) {
    const space = await appSpace(folderOf(run.split.fit, run.labelled), run.policy);
    const scored = await rankIn(space, run.split, run.labelled);
    const r1 = recallAt(scored.iconic, 1);
    const r5 = recallAt(scored.iconic, 5);
    const lab = recallAt(scored.labelled, 1);
    const sup = space.supervision;
    const check = sup ? `${sup.tried} ${sup.kept ? 'kept' : 'refused'} (held-out SKUs: ${pct(sup.current)} → ${pct(sup.candidate)}, ${sup.queries} queries)` : '–';
    const unseen = run.partial ? pct(recallAt(scored.iconic.filter((r) => !g.seenProducts.has(r.product)), 1).all) : '';
    lines.push(row([run.split.name, run.name, space.kind, check, ...fam(r1), pct(r5.all), ...fam(lab), unseen, space.seconds.toFixed(1)]));
    log(`app ${run.split.name} ${run.name}: ${space.kind}, R@1 ${pct(r1.all)} (P ${pct(r1.Packages)}), labelled ${pct(lab.all)} [${space.seconds.toFixed(1)} s]`);
    if (run.builtinKind) {
      const cal = fitCalibration(firstPoints(scored.iconic), { source: 'builtin' });
      builtin[run.builtinKind] = cal;
    }
    if (g.products.some((p) => run.labelled(p.id))) {
      for (const rule of EVIDENCE_RULES) {
        const { ranked, judged } = scored.evidence[rule];
        const e1 = recallAt(ranked, 1);
        const unseenEvidence = run.partial ? pct(recallAt(ranked.filter((r) => !g.seenProducts.has(r.product)), 1).all) : '';
        const name = `${run.name} + the SKU's other photos lend their score: ${rule}`;
        lines.push(row([run.split.name, name, space.kind, check, ...fam(e1), pct(recallAt(ranked, 5).all), ...fam(lab), unseenEvidence, '']));
        log(`app ${run.split.name} ${name}: R@1 ${pct(e1.all)} (P ${pct(e1.Packages)}) unseen ${unseenEvidence}`);
        // Verdicts two ways: a raised hit judged from the photo that lent its score, or from its own photo.
        for (const [how, list] of [['judged from the photo that lent', ranked], ['judged from its own photo', judged]] as const) {
          const es = verdictStats(list, space.calibration);
          if (es) verdictLines.push(row([run.split.name, `${name}, ${how}`, space.calibration!.source, pct(es.samePrecision), pct(es.sameRecall), pct(es.sameCoverage), pct(es.similarFirstRight), pct(es.wrongCalledSimilar), pct(es.rightNotDifferent)]));
        }
      }
    }
    const stats = verdictStats(scored.iconic, space.calibration);
    if (stats) {
      verdictLines.push(
        row([
          run.split.name,
          run.name,
          space.calibration!.source,
          pct(stats.samePrecision),
          pct(stats.sameRecall),
          pct(stats.sameCoverage),
          pct(stats.similarFirstRight),
          pct(stats.wrongCalledSimilar),
          pct(stats.rightNotDifferent),
        ]),
      );
    }
    // What the transform costs per query vector (the only new work a search does).
    const x = acc(run.split.queries[0]!.path);
    const t0 = performance.now();
    for (let i = 0; i < 200; i++) space.transform.apply(x);
    applyCost.push(`${run.split.name} ${space.kind} ${space.transform.outputDim}×${space.transform.inputDim}: ${(((performance.now() - t0) / 200) * 1000).toFixed(0)} µs`);
  }
  if (only.has('rerank')) {
    await rerankSection({
      runs: [runs[3]!, runs[5]!, ...(args['rerank-pca'] ? [runs[2]!, runs[4]!] : [])].map((r) => (r.split.name === 'dev' && args['rerank-dev'] === 'block' ? { ...r, split: blockDev(), name: `${r.name} [block dev]` } : r)).map((r) => ({ split: r.split.name, name: r.name, queries: r.split.queries, fit: r.split.fit, space: async () => {
        const s = await appSpace(folderOf(r.split.fit, r.labelled), r.policy);
        return { ...(await rankIn(s, r.split)), calibration: s.calibration };
      } })),
      products: g.products,
      iconicPaths: iconicGallery,
      cacheDir: args.cache!,
      log,
      orb: args['rerank-orb'] !== undefined,
    });
  }
  if (only.has('app')) {
  console.log(`\n## The app's code: learning from product data (capability 2) on/off, store → catalog (${iconicGallery.length}) and store → labelled\n`);
  console.log(row(['split', 'configuration', 'transform', 'product-data check', 'R@1 all', 'Fruit', 'Veg', 'Packages', 'R@5 all', 'labelled top-1 all', 'Fruit', 'Veg', 'Packages', 'R@1 unlabelled SKUs', 'learn s']));
  console.log(row(Array(15).fill('---')));
  console.log(lines.join('\n'));
  console.log('\n## Verdicts (capability 4) on the first 5 catalog candidates of each store photo, with the calibration the folder ends up with\n');
  console.log(row(['split', 'configuration', 'calibration', '"same" precision (1st)', '"same" recall', '"same" coverage', '"similar" 1st right', 'wrong candidates called "similar"', 'right candidates not "different"']));
  console.log(row(Array(9).fill('---')));
  console.log(verdictLines.join('\n'));
  console.log('\n## Built-in calibration, dev (paste into src/core/vectors/builtin-calibrations.ts)\n');
  console.log('```json\n' + JSON.stringify(builtin, null, 1) + '\n```');
  console.log(`\n- transform per query vector: ${applyCost.join('; ')}`);
  }
}
await closeMatMul();
