/**
 * The dedupe and match benchmark: real photos plus generated copies (src/core/eval/alterations.ts), indexed and
 * searched through the real engine, scored against the known families of copies, and findimagedupes on the same
 * files beside it.
 *
 *   npm run build:core && npm run bench -- dedupe-match [--dataset DIR] [--models fast,accurate]
 *     [--cache DIR] [--ten-k-model accurate] [--skip-findimagedupes] [--skip-10k] [--skip-match]
 *
 * (or `node build/bench/dedupe-match.js ...`). Generated copies, data folders and findimagedupes' fingerprints are
 * cached under --cache (default /tmp/lookalike-dedupe-cache/bench), so a rerun only measures.
 *
 * Corpus (deterministic, seed 42): every photo of the dataset; one altered copy each, the alteration kinds taken
 * in turn; for every tenth photo a second copy of another kind (so groups of three and copy-to-copy pairs
 * occur). Ground truth: a photo and its copies form a family; every pair inside a family is a duplicate pair.
 *
 * dupes: precision and recall over all pairs inside predicted groups versus all family pairs, recall per
 * alteration kind over (original, copy) pairs; findimagedupes (default 90% threshold) on the same files.
 * match: ours = 1,000 photos with a copy in theirs + 500 without; theirs = those copies + all other photos as
 * distractors. Recall@1 = the copy is the first match; false-same rate = `same` verdicts that are not the copy.
 * thresholds: for each original, its nearest non-copy neighbour's cosine and whether it is of the same class;
 * the built-in match thresholds (src/core/match/thresholds.ts) are read off this table.
 * 10k: a catalog of 10,000 files (photos plus up to three copies each), dupes timed after indexing, with the
 * signatures first computed during the run (cold) and then read back (warm).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, linkSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine, type Engine } from '../src/core/app/engine.js';
import { ALTERATION_KINDS, ALTERATION_LABELS, alterImage, sampleDeterministic, type AlterationKind } from '../src/core/eval/alterations.js';
import { createLogger } from '../src/core/base/logger.js';
import { findPackageRoot } from '../src/core/models/package-root.js';
import { decodeF16 } from '../src/core/base/f16.js';
import { loadScope } from '../src/core/dedupe/catalog-view.js';
import { rawDatabase } from '../src/core/catalog/raw-database.js';

const { values: args } = parseArgs({
  options: {
    dataset: { type: 'string' },
    models: { type: 'string', default: 'fast,accurate' },
    cache: { type: 'string', default: '/tmp/lookalike-dedupe-cache/bench' },
    'ten-k-model': { type: 'string', default: 'accurate' },
    'skip-findimagedupes': { type: 'boolean', default: false },
    'skip-10k': { type: 'boolean', default: false },
    'skip-match': { type: 'boolean', default: false },
  },
});

const root = findPackageRoot(import.meta.url);
const dataset = resolve(args.dataset ?? join(root, '..', 'shared', 'datasets', 'clothes-train'));
const cache = resolve(args.cache!);

/** The cached data folder of a model, started afresh when it holds another version's vectors. */
async function openCachedEngine(dataDir: string, modelId: string): Promise<Engine> {
  const engine = await createEngine({ dataDir, modelId, logger });
  try {
    await engine.model.embedder();
    return engine;
  } catch (err) {
    await engine.close();
    if ((err as { code?: string }).code !== 'MODEL_MISMATCH') throw err;
    log(`${dataDir} holds vectors of an older ${modelId}: indexing afresh`);
    rmSync(dataDir, { recursive: true, force: true });
    return createEngine({ dataDir, modelId, logger });
  }
}
const altDir = join(cache, 'alt');
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const logger = createLogger({ level: 'warn', sink: (l) => process.stderr.write(`${l}\n`) });

interface Copy {
  path: string;
  source: string;
  kind: AlterationKind;
  round: number;
}

const IMAGE = /\.(jpe?g|png|webp)$/i;

function listImages(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listImages(p));
    else if (IMAGE.test(entry.name)) out.push(p);
  }
  return out.sort();
}

/** Copies for `round` (0: every photo; 1: every tenth; 2, 3: for the 10k catalog), cached on disk. */
async function makeCopies(originals: readonly string[], round: number, count: number): Promise<Copy[]> {
  const order = sampleDeterministic(originals, originals.length, 42);
  const copies: Copy[] = [];
  const shift = [0, 3, 5, 7][round] ?? round;
  const step = round === 1 ? 10 : 1;
  for (let i = 0; i < order.length && copies.length < count; i += step) {
    const source = order[i]!;
    const kind = ALTERATION_KINDS[(i + shift) % ALTERATION_KINDS.length]!;
    const stem = `${basename(dirname(source))}__${basename(source).replace(/\.[^.]+$/, '')}`;
    const dir = join(altDir, `r${round}`, kind);
    const existing = ['jpg', 'webp', 'png'].map((e) => join(dir, `${stem}.${e}`)).find((p) => existsSync(p));
    let path = existing;
    if (!path) {
      const altered = await alterImage(source, kind);
      mkdirSync(dir, { recursive: true });
      path = join(dir, `${stem}.${altered.ext}`);
      writeFileSync(path, altered.data);
    }
    copies.push({ path, source, kind, round });
  }
  return copies;
}

/** Hard-links (or copies) files into a folder, keeping a unique name per file. */
function linkInto(dir: string, files: readonly string[]): void {
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    const name = `${basename(dirname(f))}__${basename(f)}`;
    const dest = join(dir, name);
    if (existsSync(dest)) continue;
    try {
      linkSync(f, dest);
    } catch {
      copyFileSync(f, dest);
    }
  }
}

async function indexCollection(engine: Engine, collection: string, roots: readonly string[]): Promise<void> {
  for (const r of roots) engine.library.addFolder(collection, r);
  let last = 0;
  const [summary] = await engine.indexer.run([collection], {
    onProgress: (p) => {
      if (Date.now() - last > 15_000 || p.phase === 'done') {
        last = Date.now();
        log(`  [${collection}] ${p.phase} ${p.done}/${p.total} ${p.rate.toFixed(1)}/s`);
      }
    },
  });
  if (summary) log(`  [${collection}] ${summary.indexed} indexed, ${summary.unchanged} unchanged, ${summary.failed} failed in ${summary.seconds.toFixed(0)}s`);
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\n${b}` : `${b}\n${a}`);

function pairsOfGroups(groups: readonly (readonly string[])[]): Set<string> {
  const out = new Set<string>();
  for (const g of groups) for (let i = 0; i < g.length; i++) for (let j = i + 1; j < g.length; j++) out.add(pairKey(g[i]!, g[j]!));
  return out;
}

interface Truth {
  /** Every family pair. */
  pairs: Set<string>;
  /** (original, copy) pairs by kind, and copy↔copy pairs. */
  byKind: Map<string, Set<string>>;
  familyOf: Map<string, string>;
}

/**
 * Photos of clothes-train that are already duplicates of each other (found by this benchmark, checked by eye):
 * the same photo under two names, and the same photo re-framed. Reported separately, never hidden.
 */
const SOURCE_DUPLICATES: readonly (readonly [string, string])[] = [
  ['shorts/6075b4a5-5b1a-4ce0-aea0-9dbfbca7c35c.jpg', 'skirt/637a56e4-7fa6-4f75-8859-0f8902461554.jpg'],
  ['dress/e6a8b33f-279c-4072-8dba-229d94205e55.jpg', 'dress/b59e4d4a-a283-4868-8a81-2f24d8b9c8d8.jpg'],
];

/** Families of copies; with `merge`, pairs of source photos whose families are one (see SOURCE_DUPLICATES). */
function truthOf(copies: readonly Copy[], merge: readonly (readonly [string, string])[] = []): Truth {
  const families = new Map<string, string[]>();
  for (const c of copies) families.set(c.source, [...(families.get(c.source) ?? [c.source]), c.path]);
  for (const [a, b] of merge) {
    const fa = families.get(a);
    const fb = families.get(b);
    if (!fa || !fb) continue;
    families.set(a, [...fa, ...fb]);
    families.delete(b);
  }
  const byKind = new Map<string, Set<string>>();
  for (const c of copies) {
    const set = byKind.get(c.kind) ?? new Set();
    set.add(pairKey(c.source, c.path));
    byKind.set(c.kind, set);
  }
  const copyCopy = new Set<string>();
  for (const members of families.values()) {
    const cs = members.slice(1);
    for (let i = 0; i < cs.length; i++) for (let j = i + 1; j < cs.length; j++) copyCopy.add(pairKey(cs[i]!, cs[j]!));
  }
  byKind.set('copy↔copy', copyCopy);
  const familyOf = new Map<string, string>();
  for (const [src, members] of families) for (const m of members) familyOf.set(m, src);
  return { pairs: pairsOfGroups([...families.values()]), byKind, familyOf };
}

interface PairScores {
  precision: number;
  recall: number;
  predicted: number;
  truePositive: number;
  perKind: Record<string, number>;
  falsePairs: string[];
}

function score(predicted: Set<string>, truth: Truth): PairScores {
  let tp = 0;
  const falsePairs: string[] = [];
  for (const p of predicted) {
    if (truth.pairs.has(p)) tp++;
    else falsePairs.push(p);
  }
  const perKind: Record<string, number> = {};
  for (const [kind, set] of truth.byKind) {
    if (set.size === 0) continue;
    let hit = 0;
    for (const p of set) if (predicted.has(p)) hit++;
    perKind[kind] = hit / set.size;
  }
  return {
    precision: predicted.size > 0 ? tp / predicted.size : 1,
    recall: truth.pairs.size > 0 ? tp / truth.pairs.size : 1,
    predicted: predicted.size,
    truePositive: tp,
    perKind,
    falsePairs,
  };
}

function runFindimagedupes(files: readonly string[], db: string): (readonly string[])[] | undefined {
  const which = spawnSync('sh', ['-c', 'command -v findimagedupes']);
  if (which.status !== 0) return undefined;
  mkdirSync(dirname(db), { recursive: true });
  // File list on stdin (one per line); the fingerprint database makes reruns fast.
  const run = spawnSync('findimagedupes', ['-f', db, '-q', '-'], { input: files.join('\n'), maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  if (run.status !== 0) {
    log(`findimagedupes failed: ${run.stderr.slice(0, 500)}`);
    return undefined;
  }
  const known = new Set(files);
  // One group per line, paths separated by spaces (the corpus has no spaces in its paths).
  return run.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(' ').filter((p) => known.has(p)));
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

function kindTable(rows: { name: string; s: PairScores }[]): string[] {
  const kinds = [...ALTERATION_KINDS, 'copy↔copy'];
  const lines = [
    `| | precision | recall | ${kinds.join(' | ')} |`,
    `|---|---|---|${kinds.map(() => '---').join('|')}|`,
  ];
  for (const { name, s } of rows) {
    lines.push(`| ${name} | ${pct(s.precision)} | ${pct(s.recall)} | ${kinds.map((k) => (s.perKind[k] === undefined ? '–' : pct(s.perKind[k]!))).join(' | ')} |`);
  }
  return lines;
}

async function dupesFor(engine: Engine, collections: string[]): Promise<{ groups: string[][]; seconds: number; stats: unknown }> {
  const result = await engine.dedupe.list({ collections });
  return { groups: result.groups.map((g) => g.items.map((i) => i.path)), seconds: result.seconds, stats: result.stats };
}

function clearSignatures(engine: Engine): void {
  rawDatabase(engine.catalog).prepare('DELETE FROM image_signatures').run();
}

/** The nearest non-copy neighbour of every original: cosine and whether it is of the same class. */
function neighbourTable(engine: Engine, originals: readonly string[], truth: Truth): { score: number; sameClass: boolean }[] {
  const bench = engine.catalog.collections.require('bench');
  const items = loadScope(engine.catalog, [bench.id]);
  const byPath = new Map(items.map((i) => [i.path, i]));
  const byId = new Map(items.map((i) => [i.id as number, i]));
  const vectors = engine.model.vectors();
  const out: { score: number; sameClass: boolean }[] = [];
  if (!vectors) return out;
  const classOf = (p: string) => (truth.familyOf.get(p) ?? p).split('/').at(-2);
  for (const o of originals) {
    const item = byPath.get(o);
    if (!item) continue;
    const hits = vectors.search([bench.id], decodeF16(item.vector), 12);
    const other = hits.find((h) => {
      const p = byId.get(h.id)?.path;
      return p !== undefined && (truth.familyOf.get(p) ?? p) !== o && byId.get(h.id)!.hash.compare(item.hash) !== 0;
    });
    // The match verdict compares raw cosines (stable per model, whatever whitening the folder has learned): the
    // index only finds the neighbour, the score is recomputed on the stored embeddings.
    if (other) out.push({ score: dot(decodeF16(item.vector), decodeF16(byId.get(other.id)!.vector)), sameClass: classOf(byId.get(other.id)!.path) === classOf(o) });
  }
  return out;
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function quantile(sorted: readonly number[], q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** The lowest cosine at which nearest pairs above it are still ≥ `precision` same-class. */
function similarThreshold(rows: readonly { score: number; sameClass: boolean }[], precision: number): number {
  const sorted = [...rows].sort((a, b) => b.score - a.score);
  let same = 0;
  let best = sorted[0]?.score ?? 1;
  sorted.forEach((r, i) => {
    if (r.sameClass) same++;
    if (same / (i + 1) >= precision && i >= 20) best = r.score;
  });
  return best;
}

async function main(): Promise<void> {
  const started = Date.now();
  if (!existsSync(dataset)) throw new Error(`No dataset at ${dataset}; pass --dataset DIR.`);
  const originals = listImages(dataset);
  log(`dataset: ${originals.length} photos in ${dataset}`);
  const copies = [...(await makeCopies(originals, 0, originals.length)), ...(await makeCopies(originals, 1, Math.ceil(originals.length / 10)))];
  log(`copies: ${copies.length} in ${altDir}`);
  const truth = truthOf(copies);
  const known = SOURCE_DUPLICATES.map(([a, b]) => [join(dataset, a), join(dataset, b)] as const).filter(([a, b]) => existsSync(a) && existsSync(b));
  const truthWithSource = truthOf(copies, known);
  const corpus = [...originals, ...copies.map((c) => c.path)];
  const report: string[] = [];
  const results: Record<string, unknown> = { dataset, originals: originals.length, copies: copies.length };
  report.push(`# Dedupe & match benchmark`, '', `${originals.length} photos from ${dataset} + ${copies.length} generated copies (${corpus.length} files, ${truth.pairs.size} duplicate pairs).`, '');
  report.push(...ALTERATION_KINDS.map((k) => `- ${k}: ${ALTERATION_LABELS[k]}`), '');

  const dupesRows: { name: string; s: PairScores }[] = [];
  const matchLines: string[] = [];
  const calibLines: string[] = [];
  const matchNotes: string[] = [];
  const timeLines: string[] = [];
  for (const modelId of args.models!.split(',').map((m) => m.trim()).filter(Boolean)) {
    log(`model ${modelId}`);
    const engine = await openCachedEngine(join(cache, modelId, 'data'), modelId);
    try {
      await indexCollection(engine, 'bench', [dataset, join(altDir, 'r0'), join(altDir, 'r1')]);
      // Right after indexing (the index job has made the signatures), then as if it had not (cold).
      const warm = await dupesFor(engine, ['bench']);
      clearSignatures(engine);
      const cold = await dupesFor(engine, ['bench']);
      const s = score(pairsOfGroups(cold.groups), truth);
      dupesRows.push({ name: `lookalike dupes (${modelId})`, s });
      if (known.length > 0) {
        dupesRows.push({ name: `  the same, with the dataset's own ${known.length} duplicate pairs as duplicates`, s: score(pairsOfGroups(cold.groups), truthWithSource) });
      }
      results[`dupes-${modelId}`] = { ...s, falsePairs: s.falsePairs.slice(0, 200), seconds: { cold: cold.seconds, warm: warm.seconds }, stats: cold.stats };
      timeLines.push(`| ${modelId} | ${corpus.length} | ${warm.seconds.toFixed(1)} s | ${cold.seconds.toFixed(1)} s |`);
      log(`  dupes: precision ${pct(s.precision)}, recall ${pct(s.recall)}; ${cold.seconds.toFixed(1)}s cold, ${warm.seconds.toFixed(1)}s warm`);

      // Thresholds: nearest non-copy neighbours.
      const neighbours = neighbourTable(engine, originals, truth);
      const sorted = neighbours.map((n) => n.score).sort((a, b) => a - b);
      const sim80 = similarThreshold(neighbours, 0.8);
      const same999 = quantile(sorted, 0.999);
      results[`thresholds-${modelId}`] = { embedderId: engine.catalog.meta.get('embedder_id'), similar80: sim80, same999, q50: quantile(sorted, 0.5) };
      calibLines.push(`| ${modelId} (${engine.catalog.meta.get('embedder_id')}) | ${sim80.toFixed(4)} | ${same999.toFixed(4)} | ${quantile(sorted, 0.5).toFixed(4)} |`);
      for (const t of [sim80, quantile(sorted, 0.5), quantile(sorted, 0.25)]) {
        const above = neighbours.filter((n) => n.score >= t);
        calibLines.push(`|   similar ≥ ${t.toFixed(4)} | class precision ${pct(above.filter((n) => n.sameClass).length / Math.max(1, above.length))} | coverage ${pct(above.length / neighbours.length)} | |`);
      }

      if (!args['skip-match']) matchLines.push(...(await matchBench(engine, modelId, originals, copies.filter((c) => c.round === 0), results, matchNotes, known)));
    } finally {
      await engine.close();
    }
  }

  if (!args['skip-findimagedupes']) {
    log('findimagedupes');
    const t0 = Date.now();
    const groups = runFindimagedupes(corpus, join(cache, 'findimagedupes.db'));
    if (groups) {
      const s = score(pairsOfGroups(groups), truth);
      dupesRows.push({ name: 'findimagedupes (90%)', s });
      results['findimagedupes'] = { ...s, falsePairs: s.falsePairs.slice(0, 50), seconds: (Date.now() - t0) / 1000 };
    } else report.push('findimagedupes is not installed (apt install findimagedupes): skipped.', '');
  }

  report.push('## dupes', '', ...kindTable(dupesRows), '');
  report.push('Recall per kind is over (original, copy) pairs; copy↔copy over pairs of two copies of one photo.', '');
  for (const r of dupesRows) {
    const fp = r.s.falsePairs;
    if (fp.length > 0) report.push(`${r.name}: ${fp.length} false pairs, e.g. ${fp.slice(0, 3).map((p) => p.replace('\n', ' ~ ')).join('; ')}`);
  }
  const matchHeader = [
    `| | Recall@1 | ${ALTERATION_KINDS.join(' | ')} | same verdicts | false same | same on the dataset's own duplicates | copies called same | ours unmatched (of 500 without copy) | theirs unmatched | thresholds | time |`,
    `|---|---|${ALTERATION_KINDS.map(() => '---').join('|')}|---|---|---|---|---|---|---|---|`,
  ];
  report.push('', '## match', '', ...(matchLines.length > 0 ? [...matchHeader, ...matchLines] : []), '', ...matchNotes, '');
  report.push('## thresholds (nearest non-copy neighbour of each photo)', '', '| model | similar (class precision ≥ 80%) | same (99.9th pct) | median |', '|---|---|---|---|', ...calibLines, '');

  if (!args['skip-10k']) timeLines.push(...(await tenK(originals, args['ten-k-model']!, results)));
  report.push(
    '## dupes time',
    '',
    '| model | files | after indexing (signatures made by the index job) | cold (signatures computed by dupes) |',
    '|---|---|---|---|',
    ...timeLines,
    '',
  );
  report.push(`(${((Date.now() - started) / 60000).toFixed(1)} min in all)`);
  writeFileSync(join(cache, 'results.json'), JSON.stringify(results, null, 2));
  process.stdout.write(`${report.join('\n')}\n`);
}

async function matchBench(
  engine: Engine,
  modelId: string,
  originals: readonly string[],
  copies: readonly Copy[],
  results: Record<string, unknown>,
  notes: string[],
  sourceDuplicates: readonly (readonly [string, string])[],
): Promise<string[]> {
  const linkName = (f: string) => `${basename(dirname(f))}__${basename(f)}`;
  const knownPairs = new Set(sourceDuplicates.map(([a, b]) => pairKey(linkName(a), linkName(b))));
  const order = sampleDeterministic(copies, copies.length, 7);
  const withCopy = order.slice(0, 1000);
  const withCopySources = new Set(withCopy.map((c) => c.source));
  const rest = sampleDeterministic(
    originals.filter((o) => !withCopySources.has(o)),
    originals.length,
    9,
  );
  const withoutCopy = rest.slice(0, 500);
  const distractors = rest.slice(500);
  const oursDir = join(cache, 'match', 'ours');
  const theirsDir = join(cache, 'match', 'theirs');
  linkInto(oursDir, [...withCopy.map((c) => c.source), ...withoutCopy]);
  linkInto(theirsDir, [...withCopy.map((c) => c.path), ...distractors]);
  await indexCollection(engine, 'ours', [oursDir]);
  await indexCollection(engine, 'theirs', [theirsDir]);
  const linked = (dir: string, f: string) => join(dir, `${basename(dirname(f))}__${basename(f)}`);
  const copyOf = new Map(withCopy.map((c) => [linked(oursDir, c.source), { path: linked(theirsDir, c.path), kind: c.kind }]));
  const lines: string[] = [];
  for (const oneToOne of [false, true]) {
    const r = await engine.match.run({ ours: 'ours', theirs: 'theirs', k: 5, oneToOne });
    const perKind = new Map<string, { hit: number; n: number }>();
    let same = 0;
    let falseSame = 0;
    /** `same` verdicts on photos the dataset itself holds twice (SOURCE_DUPLICATES): right, though not our copies. */
    let knownSame = 0;
    const falseExamples: string[] = [];
    let copySame = 0;
    for (const row of r.rows) {
      const truthCopy = copyOf.get(row.ours.path);
      const matches = row.matches.filter((m) => m.decision !== 'rejected');
      for (const m of matches) {
        if (m.verdict !== 'same') continue;
        same++;
        if (m.item.path === truthCopy?.path) copySame++;
        else if (knownPairs.has(pairKey(basename(row.ours.path), basename(m.item.path)))) {
          knownSame++;
        } else {
          falseSame++;
          falseExamples.push(`${row.ours.path} ~ ${m.item.path} (cosine ${m.score.toFixed(4)}, ${m.agreement === null ? 'by cosine' : `agreement ${m.agreement.toFixed(2)}`})`);
        }
      }
      if (truthCopy) {
        const k = perKind.get(truthCopy.kind) ?? { hit: 0, n: 0 };
        k.n++;
        if (matches[0]?.item.path === truthCopy.path) k.hit++;
        perKind.set(truthCopy.kind, k);
      }
    }
    const all = [...perKind.values()].reduce((a, b) => ({ hit: a.hit + b.hit, n: a.n + b.n }), { hit: 0, n: 0 });
    const oursNoCopyUnmatched = r.unmatchedOurs.filter((i) => !copyOf.has(i.path)).length;
    const label = `${modelId}${oneToOne ? ', one-to-one' : ''}`;
    results[`match-${label}`] = {
      recallAt1: all.hit / all.n,
      perKind: Object.fromEntries([...perKind].map(([k, v]) => [k, v.hit / v.n])),
      same,
      falseSame,
      knownSame,
      copySame,
      unmatchedOurs: r.unmatchedOurs.length,
      unmatchedTheirs: r.unmatchedTheirs.length,
      thresholds: r.thresholds,
      seconds: r.seconds,
      falseSameExamples: falseExamples,
    };
    lines.push(
      `| ${label} | ${pct(all.hit / all.n)} | ${ALTERATION_KINDS.map((k) => {
        const v = perKind.get(k);
        return v ? pct(v.hit / v.n) : '–';
      }).join(' | ')} | ${same} | ${falseSame} (${pct(falseSame / Math.max(1, same))}) | ${knownSame} | ${pct(copySame / all.n)} | ${r.unmatchedOurs.length} (${oursNoCopyUnmatched}) | ${r.unmatchedTheirs.length} | same ≥ ${r.thresholds.same.toFixed(4)}, similar ≥ ${r.thresholds.similar.toFixed(4)} (${r.thresholds.source}) | ${r.seconds.toFixed(1)} s |`,
    );
    log(`  match ${label}: R@1 ${pct(all.hit / all.n)}, false same ${falseSame}/${same}`);
    if (!oneToOne) notes.push(...falseExamples.slice(0, 8).map((e) => `- false same (${label}): ${e}`));
  }
  return lines;
}

async function tenK(originals: readonly string[], modelId: string, results: Record<string, unknown>): Promise<string[]> {
  const target = 10_000;
  const files = [...originals];
  // Rounds 0, 2 and 3 copy every photo with a different alteration each time (round 1 is every tenth photo).
  for (const round of [0, 2, 3]) {
    if (files.length >= target) break;
    const copies = await makeCopies(originals, round, target - files.length);
    files.push(...copies.map((c) => c.path));
  }
  const dir = join(cache, 'tenk');
  linkInto(dir, files.slice(0, target));
  log(`10k catalog: ${Math.min(target, files.length)} files (model ${modelId})`);
  const engine = await openCachedEngine(join(cache, modelId, 'data'), modelId);
  try {
    await indexCollection(engine, 'tenk', [dir]);
    const warm = await dupesFor(engine, ['tenk']);
    clearSignatures(engine);
    const cold = await dupesFor(engine, ['tenk']);
    results['tenk'] = { files: Math.min(target, files.length), model: modelId, cold: cold.seconds, warm: warm.seconds, groups: cold.groups.length, stats: cold.stats };
    log(`  10k dupes: ${cold.seconds.toFixed(1)}s cold, ${warm.seconds.toFixed(1)}s warm, ${cold.groups.length} groups`);
    return [`| ${modelId} (10k catalog) | ${Math.min(target, files.length)} | ${warm.seconds.toFixed(1)} s | ${cold.seconds.toFixed(1)} s |`];
  } finally {
    await engine.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
