/**
 * Near-duplicates beyond the nine known alterations (issue 16): real photos (clothes-train and grocery-dev) and
 * copies of 29 kinds (test/support/near-dup-generator.ts: the ten of src/core/eval/alterations.ts, small and quarter-turn
 * rotations, page screenshots, tight crops, stretch, blur, noise, greyscale, tiny, sticker, TIFF, AVIF and four
 * combinations of two), plus hard negatives (the same page template around two different products, two products on
 * one background, one product in another colour: "similar", not a duplicate). Indexed and deduplicated through the
 * real engine; findimagedupes on the same files in the same run.
 *
 *   npm run bench -- near-dup [--per-kind 16] [--model accurate] [--cache DIR]
 *     [--skip-findimagedupes]
 *
 * Split: every source photo is drawn into the tuning half or the held-out half (seeded); the thresholds in
 * src/core/dedupe/dedupe.service.ts and src/core/features/local-features.ts were set on the tuning half only.
 * Pair precision and recall: over pairs inside predicted groups against the families (a photo and its copy);
 * each kind's recall over its (original, copy) pairs; negatives: pairs that must not be grouped.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/core/app/engine.js';
import { createLogger } from '../src/core/base/logger.js';
import { findPackageRoot } from '../src/core/models/package-root.js';
import { sampleDeterministic, seededRandom } from '../src/core/eval/alterations.js';
import { ALL_KINDS, NEGATIVE_KINDS, generate, generateNegative, isKnownKind, meanChroma, type Kind, type NegativeKind } from '../test/support/near-dup-generator.js';

const { values: args } = parseArgs({
  options: {
    'per-kind': { type: 'string', default: '16' },
    model: { type: 'string', default: 'accurate' },
    cache: { type: 'string', default: '/tmp/lookalike-neardup-cache' },
    'skip-findimagedupes': { type: 'boolean', default: false },
  },
});
const root = findPackageRoot(import.meta.url);
const shared = join(root, '..', 'shared', 'datasets');
const cache = resolve(args.cache!);
const perKind = Number(args['per-kind']);
const log = (m: string) => process.stderr.write(`${m}\n`);
const logger = createLogger({ level: 'warn', sink: (l) => process.stderr.write(`${l}\n`) });

function listImages(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listImages(p));
    else if (/\.(jpe?g|png)$/i.test(e.name)) out.push(p);
  }
  return out.sort();
}

type Split = 'tune' | 'held-out';
interface Positive {
  kind: Kind;
  original: string;
  copy: string;
  split: Split;
}
interface Negative {
  kind: NegativeKind;
  a: string;
  b: string;
  split: Split;
}

const pairKey = (a: string, b: string) => (a < b ? `${a}\n${b}` : `${b}\n${a}`);

async function buildCorpus(): Promise<{ positives: Positive[]; negatives: Negative[]; files: string[]; splitOf: Map<string, Split> }> {
  const clothes = listImages(join(shared, 'clothes-train'));
  const grocery = listImages(join(shared, 'grocery-dev', 'train'));
  // Three clothes photos for every two grocery photos, interleaved, in a seeded order.
  const c = sampleDeterministic(clothes, clothes.length, 16);
  const g = sampleDeterministic(grocery, grocery.length, 61);
  const pool: string[] = [];
  for (let i = 0; pool.length < c.length + g.length && (i < c.length || i < g.length); i++) {
    if (i < c.length) pool.push(c[i]!);
    if (i % 3 !== 2 && i < g.length) pool.push(g[i]!);
  }
  const rand = seededRandom(2026);
  const split = (): Split => (rand() < 0.5 ? 'tune' : 'held-out');
  const dir = join(cache, 'corpus');
  mkdirSync(dir, { recursive: true });
  let next = 0;
  const take = () => pool[next++]!;
  const positives: Positive[] = [];
  const negatives: Negative[] = [];
  const splitOf = new Map<string, Split>();
  const write = (name: string, data: Buffer) => {
    const p = join(dir, name);
    if (!existsSync(p)) writeFileSync(p, data);
    return p;
  };
  for (const kind of ALL_KINDS) {
    for (let i = 0; i < perKind; i++) {
      const original = take();
      const s = split();
      const stem = `${kind.replace(/[^a-z0-9]+/g, '-')}-${i}`;
      const existing = readdirSync(dir).find((f) => f.startsWith(`${stem}.copy.`));
      let copy = existing ? join(dir, existing) : undefined;
      if (!copy) {
        const made = await generate(original, kind, i + 1);
        copy = write(`${stem}.copy.${made.ext}`, made.data);
      }
      positives.push({ kind, original, copy, split: s });
      splitOf.set(original, s);
      splitOf.set(copy, s);
    }
  }
  for (const kind of NEGATIVE_KINDS) {
    for (let i = 0; i < perKind; i++) {
      let a = take();
      // eslint-disable-next-line no-await-in-loop -- a handful of photos are skipped at most
      // A colour variant only makes sense for a coloured product.
      if (kind === 'colour-variant') while ((await meanChroma(a)) < 22) a = take();
      const b = take();
      const backdrop = take();
      const s = split();
      const stem = `neg-${kind}-${i}`;
      const ext = kind === 'same-template' ? 'png' : 'jpg';
      const pa = join(dir, `${stem}.a.${ext}`);
      const pb = join(dir, `${stem}.b.${ext}`);
      if (!existsSync(pa) || !existsSync(pb)) {
        const [ga, gb] = await generateNegative(kind, a, b, backdrop, 100 + i);
        writeFileSync(pa, ga.data);
        writeFileSync(pb, gb.data);
      }
      negatives.push({ kind, a: pa, b: pb, split: s });
      splitOf.set(pa, s);
      splitOf.set(pb, s);
    }
  }
  const files = [...new Set([...positives.flatMap((p) => [p.original, p.copy]), ...negatives.flatMap((n) => [n.a, n.b])])];
  return { positives, negatives, files, splitOf };
}

interface Scores {
  precision: number;
  recall: number;
  f1: number;
  perKind: Map<string, number>;
  falsePairs: string[];
  negativesGrouped: Map<string, number>;
}

function scoreGroups(groups: readonly (readonly string[])[], positives: readonly Positive[], negatives: readonly Negative[], splitOf: Map<string, Split>, split: Split): Scores {
  const truth = new Set(positives.filter((p) => p.split === split).map((p) => pairKey(p.original, p.copy)));
  const predicted = new Set<string>();
  for (const g of groups) {
    for (let i = 0; i < g.length; i++) {
      for (let j = i + 1; j < g.length; j++) {
        // A pair belongs to the split of either end (families never cross splits; a false pair may).
        if (splitOf.get(g[i]!) === split || splitOf.get(g[j]!) === split) predicted.add(pairKey(g[i]!, g[j]!));
      }
    }
  }
  let tp = 0;
  const falsePairs: string[] = [];
  for (const p of predicted) {
    if (truth.has(p)) tp++;
    else falsePairs.push(p);
  }
  const perKind = new Map<string, number>();
  for (const kind of ALL_KINDS) {
    const ps = positives.filter((p) => p.split === split && p.kind === kind);
    if (ps.length > 0) perKind.set(kind, ps.filter((p) => predicted.has(pairKey(p.original, p.copy))).length / ps.length);
  }
  const negativesGrouped = new Map<string, number>();
  for (const kind of NEGATIVE_KINDS) {
    const ns = negatives.filter((n) => n.split === split && n.kind === kind);
    negativesGrouped.set(kind, ns.filter((n) => predicted.has(pairKey(n.a, n.b))).length);
  }
  const precision = predicted.size > 0 ? tp / predicted.size : 1;
  const recall = truth.size > 0 ? tp / truth.size : 1;
  return { precision, recall, f1: precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0, perKind, falsePairs, negativesGrouped };
}

function findimagedupes(files: readonly string[]): string[][] | undefined {
  if (spawnSync('sh', ['-c', 'command -v findimagedupes']).status !== 0) return undefined;
  const db = join(cache, 'findimagedupes.db');
  const run = spawnSync('findimagedupes', ['-f', db, '-q', '-'], { input: files.join('\n'), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' });
  if (run.status !== 0) {
    log(`findimagedupes failed: ${run.stderr.slice(0, 300)}`);
    return undefined;
  }
  const known = new Set(files);
  return run.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split(' ').filter((p) => known.has(p)));
}

const pct = (x: number | undefined) => (x === undefined ? '–' : `${(100 * x).toFixed(1)}`);

async function main(): Promise<void> {
  const started = Date.now();
  const { positives, negatives, files, splitOf } = await buildCorpus();
  log(`corpus: ${files.length} files, ${positives.length} copies of ${ALL_KINDS.length} kinds, ${negatives.length} negative pairs`);
  const dataDir = join(cache, `data-${args.model}`);
  const engine = await createEngine({ dataDir, modelId: args.model!, logger });
  const rows: { name: string; s: Record<Split, Scores>; seconds: number; stats?: unknown }[] = [];
  try {
    // Only the corpus' own files: the originals are linked in by path, so a fresh folder holds the list.
    const linkDir = join(cache, 'files');
    mkdirSync(linkDir, { recursive: true });
    const linked = new Map<string, string>();
    files.forEach((f, i) => {
      const name = `${String(i).padStart(5, '0')}-${f.split('/').pop()}`;
      if (!existsSync(join(linkDir, name))) copyFileSync(f, join(linkDir, name));
      linked.set(join(linkDir, name), f);
    });
    try {
      engine.library.addFolder('neardup', linkDir);
    } catch {
      // Added by an earlier run: the index job below picks up what changed.
    }
    const [summary] = await engine.indexer.run(['neardup'], {});
    log(`indexed: ${summary?.indexed} new, ${summary?.unchanged} unchanged, ${summary?.failed} failed`);
    const t0 = performance.now();
    const result = await engine.dedupe.list({ collections: ['neardup'] });
    const seconds = (performance.now() - t0) / 1000;
    const real = (p: string) => linked.get(p) ?? p;
    const groups = result.groups.map((g) => g.items.map((i) => real(i.path)));
    rows.push({
      name: `lookalike dupes (${args.model})`,
      s: { tune: scoreGroups(groups, positives, negatives, splitOf, 'tune'), 'held-out': scoreGroups(groups, positives, negatives, splitOf, 'held-out') },
      seconds,
      stats: result.stats,
    });
    // Reasons given to copies of each kind (held-out and tuning together), for the README's table.
    const reasonByCopy = new Map<string, string>();
    for (const g of result.groups) for (const i of g.items) if (i.reason) reasonByCopy.set(real(i.path), `${i.reason.codes.join('+')}${i.reason.angle !== null ? ` ${i.reason.angle}°` : ''}`);
    const reasonLines = ALL_KINDS.map((k) => {
      const counts = new Map<string, number>();
      for (const p of positives.filter((x) => x.kind === k)) {
        const r = reasonByCopy.get(p.copy) ?? reasonByCopy.get(p.original);
        if (r) counts.set(r.replace(/ \d+°/, (m) => (Number(m.slice(1, -1)) % 90 === 0 ? m : ' n°')), (counts.get(r) ?? 0) + 1);
      }
      return `| ${k} | ${[...counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([r, n]) => `${r} (${n})`).join(', ')} |`;
    });
    writeFileSync(join(cache, 'reasons.md'), ['| kind | reasons given |', '|---|---|', ...reasonLines].join('\n'));
  } finally {
    await engine.close();
  }
  if (!args['skip-findimagedupes']) {
    const t0 = performance.now();
    const groups = findimagedupes(files);
    if (groups) rows.push({ name: 'findimagedupes (90%)', s: { tune: scoreGroups(groups, positives, negatives, splitOf, 'tune'), 'held-out': scoreGroups(groups, positives, negatives, splitOf, 'held-out') }, seconds: (performance.now() - t0) / 1000 });
  }
  const out: string[] = [];
  out.push(`# Near-duplicate generator (issue 16)`, '', `${files.length} files: ${positives.length} copies (${perKind} per kind, ${ALL_KINDS.length} kinds), ${negatives.length} negative pairs (${NEGATIVE_KINDS.join(', ')}).`, '');
  for (const split of ['held-out', 'tune'] as const) {
    out.push(`## ${split}`, '', '| | precision | recall | F1 | time | ' + NEGATIVE_KINDS.map((k) => `${k} grouped`).join(' | ') + ' |', '|---|---|---|---|---|' + NEGATIVE_KINDS.map(() => '---').join('|') + '|');
    for (const r of rows) {
      const s = r.s[split];
      const n = negatives.filter((x) => x.split === split);
      out.push(`| ${r.name} | ${pct(s.precision)} | ${pct(s.recall)} | ${pct(s.f1)} | ${r.seconds.toFixed(1)} s | ${NEGATIVE_KINDS.map((k) => `${s.negativesGrouped.get(k)} of ${n.filter((x) => x.kind === k).length}`).join(' | ')} |`);
    }
    out.push('', '| kind | ' + rows.map((r) => r.name).join(' | ') + ' |', '|---|' + rows.map(() => '---').join('|') + '|');
    for (const k of ALL_KINDS) out.push(`| ${k}${isKnownKind(k) ? ' (known)' : ''} | ${rows.map((r) => pct(r.s[split].perKind.get(k))).join(' | ')} |`);
    for (const r of rows) {
      const fp = r.s[split].falsePairs;
      if (fp.length > 0) out.push('', `${r.name}: ${fp.length} false pairs, e.g. ${fp.slice(0, 4).map((p) => p.replace('\n', ' ~ ')).join('; ')}`);
    }
    out.push('');
  }
  out.push(`stats: ${JSON.stringify(rows[0]?.stats)}`, '', `(${((Date.now() - started) / 60000).toFixed(1)} min in all)`);
  writeFileSync(join(cache, 'report.md'), out.join('\n'));
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
