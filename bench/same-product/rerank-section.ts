/**
 * Issue 20, capability 3 (`--only rerank`): the first catalog candidates of the app's own ranking re-ranked by
 * evidence a global vector lacks, OCR text agreement (src/core/ocr/text-agreement.ts, the app's PP-OCR text of
 * the photos, cached by same-product-ocr.ts) and ORB + RANSAC inliers (src/core/features/local-features.ts), and
 * what the evidence does to the "same" verdict. Every weight and threshold is chosen on dev; val is reported
 * with them, never tuned on. The app's rankings are cached (`<cache>/rankings/`), as learning them takes minutes.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { extractFeatures, verifyFeatures, type LocalFeatures } from '../../src/core/features/local-features.js';
import { textAgreements, textGrams } from '../../src/core/ocr/text-agreement.js';
import { verdictOf, type Calibration } from '../../src/core/vectors/calibration.js';
import type { Photo, Product } from './data.js';
import { pct, recallAt, type Ranked } from './metrics.js';
import { readOcr } from './ocr-cache.js';

export interface RerankRun {
  split: 'dev' | 'val';
  name: string;
  queries: readonly Photo[];
  /** The labelled photos (the folder's store photos linked to their SKU; the store → labelled gallery). */
  fit: readonly Photo[];
  space: () => Promise<{ iconic: Ranked[]; labelled: Ranked[]; calibration: Calibration | undefined }>;
}

interface Ranking {
  iconic: Ranked[];
  labelled: Ranked[];
  calibration: Calibration | undefined;
}

type TextSource = 'own' | 'title' | 'title+own' | 'sku' | 'consensus';
const SOURCES: { id: TextSource; what: string }[] = [
  { id: 'own', what: "the catalog photo's own OCR text (OCR on, no product data)" },
  { id: 'title', what: 'the product title only' },
  { id: 'title+own', what: "title + the catalog photo's OCR" },
  { id: 'sku', what: 'title + OCR of every photo linked to the SKU' },
  { id: 'consensus', what: "title + catalog photo's OCR + trigrams read in ≥ 10% (≥ 2) of the SKU's photos" },
];

/** The trigrams of the title and own text, and those of the other photos' texts that recur in enough of them. */
function consensusGrams(base: string, others: readonly string[]): Set<string> {
  const out = textGrams(base);
  const count = new Map<string, number>();
  for (const t of others) for (const g of textGrams(t)) count.set(g, (count.get(g) ?? 0) + 1);
  const min = Math.max(2, Math.ceil(0.1 * others.length));
  for (const [g, c] of count) if (c >= min) out.add(g);
  return out;
}

interface Weights {
  k: number;
  text: number;
  orb: number;
  source: TextSource;
  /** Rarity over the k compared, the first 10 candidates, or every catalog product. */
  idf: 'k' | 'top10' | 'catalog';
  unmatched: boolean;
  /** cosine: score + w·agreement; logit: the calibration's a·score + b·margin + w·agreement (scale-free across spaces). */
  mode: 'cosine' | 'logit';
}
const ORB_CAP = 20;

interface Metrics {
  r1: number;
  packaged: number;
  r5: number;
  labelled: number;
  samePrecision: number;
  sameRecall: number;
  sameCoverage: number;
  /** Queries whose order changed. */
  moved: number;
}

const row = (cells: readonly (string | number)[]) => `| ${cells.join(' | ')} |`;
const sha = (s: string) => createHash('sha1').update(s).digest('hex').slice(0, 16);

function saveJson(file: string, value: unknown): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(value));
  renameSync(`${file}.tmp`, file);
}

export async function rerankSection(o: {
  runs: RerankRun[];
  products: readonly Product[];
  iconicPaths: readonly string[];
  cacheDir: string;
  log: (m: string) => void;
  orb: boolean;
  /** Combination modes to try (default cosine,logit). */
  modes?: string;
}): Promise<void> {
  const ocrDir = join(o.cacheDir, 'ocr');
  let missingOcr = 0;
  const ocrMs: number[] = [];
  const textOf = (path: string, query = false): string => {
    const r = readOcr(ocrDir, path);
    if (!r) return (missingOcr++, '');
    if (query) ocrMs.push(r.ms);
    return r.text;
  };
  const title = (p: Product) => p.name.replace(/[-_]+/g, ' ');
  const byId = new Map(o.products.map((p) => [p.id, p]));

  // Pair inliers, cached across runs.
  const pairFile = join(o.cacheDir, 'rerank', 'orb-inliers.json');
  const pairs: Record<string, number> = existsSync(pairFile) ? (JSON.parse(readFileSync(pairFile, 'utf8')) as Record<string, number>) : {};
  const feats = new Map<string, LocalFeatures>();
  const pairMs: number[] = [];
  const extractMs: number[] = [];
  let newPairs = 0;
  const inliersOf = async (a: string, b: string): Promise<number> => {
    const key = sha(`${a}\n${b}`);
    if (pairs[key] !== undefined) return pairs[key]!;
    const get = async (p: string) => {
      let f = feats.get(p);
      if (!f) {
        const t0 = performance.now();
        f = await extractFeatures(p);
        extractMs.push(performance.now() - t0);
        feats.set(p, f);
      }
      return f;
    };
    const fa = await get(a);
    const fb = await get(b);
    const t0 = performance.now();
    const v = await verifyFeatures(fa, fb);
    pairMs.push(performance.now() - t0);
    pairs[key] = v.inliers;
    if (++newPairs % 200 === 0) (saveJson(pairFile, pairs), o.log(`orb: ${newPairs} new pairs`));
    return v.inliers;
  };

  interface Prepared {
    run: RerankRun;
    ranking: Ranking;
    queryGrams: Set<string>[];
    /** Per source: grams of each catalog product's text, and of each labelled gallery photo's text. */
    iconicGrams: Map<TextSource, Map<number, Set<string>>>;
    labelledGrams: Map<TextSource, Set<string>[]>;
    inliers: number[][];
  }
  const prepared: Prepared[] = [];
  for (const run of o.runs) {
    const file = join(o.cacheDir, 'rankings', `${run.split}-${sha(run.name + run.queries.length + run.fit.length)}.json`);
    let ranking: Ranking;
    if (existsSync(file)) ranking = JSON.parse(readFileSync(file, 'utf8')) as Ranking;
    else {
      o.log(`rerank: learning the app's space for ${run.split} ${run.name}`);
      ranking = await run.space();
      saveJson(file, ranking);
    }
    const queryGrams = run.queries.map((q) => textGrams(textOf(q.path, true)));
    const skuText = new Map<number, string[]>();
    for (const p of run.fit) skuText.set(p.product, [...(skuText.get(p.product) ?? []), textOf(p.path)]);
    const iconicGrams = new Map<TextSource, Map<number, Set<string>>>();
    for (const s of SOURCES) {
      iconicGrams.set(
        s.id,
        new Map(
          o.products.map((p) => {
            const own = textOf(p.iconic);
            if (s.id === 'consensus') return [p.id, consensusGrams(`${title(p)}\n${own}`, skuText.get(p.id) ?? [])];
            const text = s.id === 'own' ? own : s.id === 'title' ? title(p) : s.id === 'title+own' ? `${title(p)}\n${own}` : [title(p), own, ...(skuText.get(p.id) ?? [])].join('\n');
            return [p.id, textGrams(text)];
          }),
        ),
      );
    }
    const labelledGrams = new Map<TextSource, Set<string>[]>();
    for (const s of SOURCES) {
      labelledGrams.set(
        s.id,
        run.fit.map((p) => {
          const pr = byId.get(p.product)!;
          const own = textOf(p.path);
          if (s.id === 'consensus') return consensusGrams(`${title(pr)}\n${own}\n${textOf(pr.iconic)}`, skuText.get(p.product) ?? []);
          const text = s.id === 'own' ? own : s.id === 'title' ? title(pr) : s.id === 'title+own' ? `${title(pr)}\n${own}` : [title(pr), textOf(pr.iconic), ...(skuText.get(p.product) ?? [])].join('\n');
          return textGrams(text);
        }),
      );
    }
    const inliers: number[][] = [];
    // ORB on the learned rankings only (~60 ms a pair; the study found nothing for it to add to the PCA ones either).
    if (o.orb && run.name.startsWith('learning from products on')) {
      for (const [q, r] of ranking.iconic.entries()) {
        const list: number[] = [];
        for (const c of r.top.slice(0, 5)) list.push(await inliersOf(run.queries[q]!.path, o.iconicPaths[c.index]!));
        inliers.push(list);
      }
      saveJson(pairFile, pairs);
    }
    prepared.push({ run, ranking, queryGrams, iconicGrams, labelledGrams, inliers });
  }
  if (missingOcr > 0) o.log(`rerank: ${missingOcr} photos not in the OCR cache (read as no text); run same-product-ocr.js first`);

  const agreementsOf = (p: Prepared, w: Weights, kind: 'iconic' | 'labelled', q: number, k: number): number[] => {
    const r = kind === 'iconic' ? p.ranking.iconic[q]! : p.ranking.labelled[q]!;
    const docOf = (c: Ranked['top'][number]) => (kind === 'iconic' ? p.iconicGrams.get(w.source)!.get(c.product) ?? new Set<string>() : p.labelledGrams.get(w.source)![c.index]!);
    const docs = r.top.slice(0, k).map(docOf);
    const context = w.idf === 'k' ? docs : w.idf === 'top10' ? r.top.slice(0, Math.max(k, 10)).map(docOf) : [...p.iconicGrams.get(w.source)!.values()];
    return textAgreements(p.queryGrams[q]!, docs, { context, unmatched: w.unmatched });
  };

  const rerankOne = (p: Prepared, w: Weights, kind: 'iconic' | 'labelled', r: Ranked, q: number): Ranked => {
    const k = Math.min(w.k, r.top.length);
    if (k < 2 || (w.text === 0 && w.orb === 0)) return r;
    const t = w.text === 0 ? [] : agreementsOf(p, w, kind, q, k);
    const inl = w.orb !== 0 && kind === 'iconic' ? p.inliers[q] ?? [] : [];
    const cal = p.ranking.calibration;
    const base = (c: Ranked['top'][number]) => {
      if (w.mode === 'cosine' || !cal) return c.score;
      const other = Math.max(...r.top.filter((x) => x.product !== c.product).map((x) => x.score));
      return cal.a * c.score + cal.b * (c.score - other);
    };
    const head = r.top.slice(0, k).map((c, i) => ({ c, s: base(c) + w.text * (t[i] ?? 0) + (w.orb * Math.min(inl[i] ?? 0, ORB_CAP)) / ORB_CAP }));
    head.sort((a, b) => b.s - a.s);
    return { ...r, top: [...head.map((h) => h.c), ...r.top.slice(k)] };
  };

  /** The verdict evidence of the (re-ranked) first catalog candidate: its text agreement and lead, its inliers. */
  const firstEvidence = (p: Prepared, w: Weights, q: number, reranked: Ranked) => {
    const first = reranked.top[0]!;
    const k = Math.max(2, Math.min(w.k, reranked.top.length));
    const originalIndex = p.ranking.iconic[q]!.top.findIndex((c) => c.index === first.index);
    const inliers = p.inliers[q]?.[originalIndex];
    let agreement: number | undefined;
    let lead: number | undefined;
    if (w.text !== 0 && originalIndex < k) {
      const t = agreementsOf(p, w, 'iconic', q, k);
      const top = p.ranking.iconic[q]!.top.slice(0, k);
      agreement = t[originalIndex]!;
      lead = agreement - Math.max(0, ...t.filter((_, i) => top[i]!.product !== first.product));
    }
    return { inliers, agreement, lead };
  };

  /** useInliers: the first candidate's ORB inliers join its verdict (calibration.ts: ≥ 5 inliers → 85%). */
  const evaluate = (p: Prepared, w: Weights, useInliers: boolean): Metrics => {
    const iconic = p.ranking.iconic.map((r, q) => rerankOne(p, w, 'iconic', r, q));
    const labelled = p.ranking.labelled.map((r, q) => rerankOne(p, w, 'labelled', r, q));
    let given = 0;
    let right = 0;
    const cal = p.ranking.calibration;
    iconic.forEach((r, q) => {
      if (!cal) return;
      const first = r.top[0]!;
      const other = Math.max(...r.top.filter((c) => c.product !== first.product).map((c) => c.score));
      const ev = firstEvidence(p, w, q, r);
      const { verdict } = verdictOf(
        {
          score: first.score,
          margin: first.score - other,
          ...(useInliers && ev.inliers !== undefined ? { inliers: ev.inliers } : {}),
        },
        cal,
      );
      if (verdict !== 'same') return;
      given++;
      if (first.product === r.product) right++;
    });
    const r1 = recallAt(iconic, 1);
    return {
      r1: r1.all,
      packaged: r1.Packages,
      r5: recallAt(iconic, 5).all,
      labelled: recallAt(labelled, 1).all,
      samePrecision: given === 0 ? NaN : right / given,
      sameRecall: right / iconic.length,
      sameCoverage: given / iconic.length,
      moved: iconic.filter((r, q) => r.top[0]!.index !== p.ranking.iconic[q]!.top[0]!.index).length,
    };
  };

  // Two regimes, as the app has them: a folder without product data ranks in its PCA-whitened space and knows
  // only the catalog photos' own text; one with product data ranks in the learned space and knows titles too.
  // Each is tuned on its own dev ranking, with the text sources it has.
  const regimeOf = (p: Prepared) => (p.run.name.startsWith('learning from products on') ? 'learned' : 'unsupervised');
  const better = (a: Metrics, b: Metrics) => a.r1 > b.r1 + 1e-9 || (Math.abs(a.r1 - b.r1) < 1e-9 && a.packaged > b.packaged + 1e-9);
  const tune = (dev: Prepared, grid: Weights[]): Weights => {
    let best = grid[0]!;
    let bestM: Metrics | undefined;
    for (const w of grid) {
      const m = evaluate(dev, w, false);
      if (!bestM || better(m, bestM)) (best = w), (bestM = m);
    }
    return best;
  };
  const ks = [2, 3, 5, 10];
  const modes = (o.modes ?? 'cosine,logit').split(',') as Weights['mode'][];
  const textWsOf = (mode: Weights['mode']) => (mode === 'cosine' ? [0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1] : [0.25, 0.5, 1, 1.5, 2, 3, 5, 8]);
  const orbWsOf = (mode: Weights['mode']) => (mode === 'cosine' ? [0.02, 0.05, 0.1, 0.2, 0.3] : [0.25, 0.5, 1, 2, 4]);
  // The engine compares a query with the hits it returns: rarity over them (k) or over the first 10.
  const shapes = modes.flatMap((mode) => (['k', 'top10'] as const).flatMap((idf) => [false, true].map((unmatched) => ({ mode, idf, unmatched }))));
  const off: Weights = { k: 1, text: 0, orb: 0, source: 'sku', idf: 'k', unmatched: false, mode: 'cosine' };
  const textGrid = (source: TextSource) => shapes.flatMap((sh) => ks.flatMap((k) => textWsOf(sh.mode).map((text) => ({ ...sh, k, text, orb: 0, source }))));
  console.log('\n## Re-ranking the first catalog candidates (issue 20, capability 3): base + w·text agreement (+ w·min(inliers, 20)/20) over the first k; base = cosine, or the calibration logit a·cosine + b·margin; every choice made on dev\n');
  console.log(row(['regime', 'evidence', 'k, w_text, w_orb (dev)', 'split', 'R@1', 'packaged', 'R@5', 'store → labelled', '"same" precision / recall (coverage)', 'first hit changed']));
  console.log(row(Array(10).fill('---')));
  const winners = new Map<string, Weights>();
  for (const regime of ['unsupervised', 'learned'] as const) {
    const runs = prepared.filter((p) => regimeOf(p) === regime);
    const dev = runs.find((p) => p.run.split === 'dev');
    if (!dev) continue;
    const sources: TextSource[] = regime === 'unsupervised' ? ['own'] : ['title', 'title+own', 'sku', 'consensus'];
    const rows: { name: string; w: Weights; useInliers: boolean }[] = [{ name: 'off (the app today)', w: off, useInliers: false }];
    const orbOk = o.orb && dev.inliers.length > 0;
    if (orbOk) {
      rows.push({ name: 'off, the first hit\'s ORB inliers as verdict evidence (≥ 5 → 85%)', w: off, useInliers: true });
      rows.push({ name: 'ORB only', w: tune(dev, modes.flatMap((mode) => ks.filter((k) => k <= 5).flatMap((k) => orbWsOf(mode).map((orb) => ({ ...off, mode, k, orb }))))), useInliers: false });
    }
    const best = new Map<TextSource, Weights>();
    for (const src of sources) {
      const w = tune(dev, textGrid(src));
      best.set(src, w);
      rows.push({ name: `OCR only: ${SOURCES.find((x) => x.id === src)!.what}`, w, useInliers: false });
    }
    const winner = [...best.values()].reduce((a, b) => (better(evaluate(dev, b, false), evaluate(dev, a, false)) ? b : a));
    winners.set(regime, winner);
    if (orbOk) {
      const both = tune(dev, ks.filter((k) => k <= 5).flatMap((k) => textWsOf(winner.mode).flatMap((text) => orbWsOf(winner.mode).map((orb) => ({ ...winner, k, text, orb })))));
      rows.push({ name: `both: OCR (${winner.source}, the dev winner) + ORB`, w: both, useInliers: false });
    }
    for (const r of rows) {
      for (const p of runs) {
        const m = evaluate(p, r.w, r.useInliers);
        console.log(
          row([
            regime === 'learned' ? 'product data (learned space)' : 'no product data (PCA-whitened)',
            r.name,
            r.w.text === 0 && r.w.orb === 0 ? '–' : `${Math.min(r.w.k, 10)}, ${r.w.text}, ${r.w.orb} (${r.w.mode}, rarity over ${r.w.idf}${r.w.unmatched ? ', unread counted' : ''})`,
            p.run.split,
            pct(m.r1),
            pct(m.packaged),
            pct(m.r5),
            pct(m.labelled),
            `${pct(m.samePrecision)} / ${pct(m.sameRecall)} (${pct(m.sameCoverage)})`,
            m.moved,
          ]),
        );
      }
    }
  }

  for (const [regime, winner] of winners) {
    const runs = prepared.filter((p) => regimeOf(p) === regime);
    // Text as verdict evidence: precision of the first candidate (after re-ranking) by agreement and lead.
    console.log(`\n## ${regime}: text agreement of the re-ranked first candidate as "same" evidence (${winner.source}, k ${winner.k}): share right among the first candidates passing\n`);
    console.log(row(['split', 'agreement ≥', 'lead ≥', 'right / passing', 'passing (share of queries)']));
    console.log(row(Array(5).fill('---')));
    for (const p of runs) {
      const pts = p.ranking.iconic.map((r, q) => {
        const rr = rerankOne(p, winner, 'iconic', r, q);
        const ev = firstEvidence(p, winner, q, rr);
        return { a: ev.agreement ?? 0, l: ev.lead ?? 0, right: rr.top[0]!.product === r.product };
      });
      for (const a of [0.3, 0.6, 0.9]) {
        for (const l of [0.1, 0.3, 0.5]) {
          const pass = pts.filter((x) => x.a >= a && x.l >= l);
          const right = pass.filter((x) => x.right).length;
          console.log(row([p.run.split, a, l, `${pct(pass.length === 0 ? NaN : right / pass.length)} (${right}/${pass.length})`, pct(pass.length / pts.length)]));
        }
      }
    }
    // What gating the query's OCR on the first hit's margin saves (the OCR is the cost).
    console.log(`\n## ${regime}: gating the query OCR: read the query only when the first hit leads the next product by less than m (plain cosines)\n`);
    console.log(row(['split', 'm', 'queries read', 'R@1', 'packaged']));
    console.log(row(Array(5).fill('---')));
    for (const p of runs) {
      for (const m of [Infinity, 0.2, 0.15, 0.1, 0.05]) {
        const lead = (r: Ranked) => r.top[0]!.score - Math.max(...r.top.filter((c) => c.product !== r.top[0]!.product).map((c) => c.score));
        const iconic = p.ranking.iconic.map((r, q) => (lead(r) < m ? rerankOne(p, winner, 'iconic', r, q) : r));
        const read = p.ranking.iconic.filter((r) => lead(r) < m).length;
        const r1 = recallAt(iconic, 1);
        console.log(row([p.run.split, m === Infinity ? '∞ (always)' : m, `${pct(read / iconic.length)}%`, pct(r1.all), pct(r1.Packages)]));
      }
    }
  }
  const winner = winners.get('learned') ?? [...winners.values()][0]!;
  const stat = (xs: number[]) => {
    if (xs.length === 0) return '–';
    const s = [...xs].sort((a, b) => a - b);
    return `${(s.reduce((a, b) => a + b, 0) / s.length).toFixed(0)} ms mean / ${s[Math.floor(s.length / 2)]!.toFixed(0)} median / ${s[Math.floor(s.length * 0.99)]!.toFixed(0)} p99 (n ${s.length})`;
  };
  const t0 = performance.now();
  let calls = 0;
  for (const p of prepared) for (let q = 0; q < p.run.queries.length; q++) (agreementsOf(p, winner, 'iconic', q, winner.k), calls++);
  console.log(`\n- cost per query: OCR of the query photo ${stat(ocrMs)} (PP-OCRv4, 1 thread, read while a second reader shared the 2 cores); text agreement of ${winner.k} candidates ${(((performance.now() - t0) / calls) * 1000).toFixed(0)} µs`);
  if (o.orb) console.log(`- ORB: extraction ${stat(extractMs)}, pair verification ${stat(pairMs)} (new this run; cached pairs cost nothing)`);
}
