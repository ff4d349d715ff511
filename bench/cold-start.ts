/**
 * Cold start: how long the app takes from opening a large data folder to showing the first results.
 *
 *   npm run build:core && npm run bench -- cold-start [--items 1000000] [--runs 5] [--json]
 *
 * (or `node build/bench/cold-start.js ...`). The folder (bench-folder.ts: real catalog, whitening and index file,
 * synthetic embeddings shaped like the accurate model's) is built once and cached under
 * /tmp/lookalike-bench-cache/cold-<items>/.
 *
 * Each run is a fresh Node process (the page cache stays warm: a warm-up run of each kind goes first and is not
 * counted; a cold disk cache is not measured, it needs root to drop). It times:
 * - createEngine on the folder;
 * - opening the collection's vector index (what the first query triggers);
 * - the first query: search by a stored item, as the renderer's "similar to this result" does (k 50, default
 *   options), so no image is embedded;
 * - separately: loading the model and embedding one photo (a dropped photo's first query pays this on top);
 * - the process's peak RSS (its own high-water mark, see peak-rss.ts) after the first query and at the end.
 * Baseline, measured in the same run in its own processes: the index opened as before this change (SHA-256 of the
 * whole file, usearch `load` into RAM, every embedded id read from the catalog and looked up in the index), then
 * the same first query. Targets: open + first query ≤ 2 s at 10⁶ items.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import usearch from 'usearch';
import { benchFolder } from './bench-folder.js';
import { PEAK_RSS_ENV, PEAK_RSS_PRELOAD } from '../test/support/cli-process.js';
import { peakRssBytes } from './peak-rss.js';
import { formatMs, summarize, type Summary } from './stats.js';

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '1000000' },
    runs: { type: 'string', default: '5' },
    json: { type: 'boolean', default: false },
    cache: { type: 'string' },
    // Internal: one measured run in this process.
    child: { type: 'string' },
    data: { type: 'string' },
    item: { type: 'string' },
    image: { type: 'string' },
  },
});

type Mode = 'fast' | 'legacy';

/** What one child process reports (milliseconds, bytes). */
interface RunResult {
  mode: Mode;
  /** Process start to the benchmark's first line (Node and module loading). */
  startupMs: number;
  createEngineMs: number;
  openIndexMs: number;
  firstQueryMs: number;
  /** createEngine + index open + first query. */
  openAndQueryMs: number;
  /** CPU time (user + system, all threads) of the same span: what the machine's other load does not inflate. */
  openAndQueryCpuMs: number;
  secondQueryMs: number;
  /** What the library panel asks for when the window opens: library:listCollections + library:stats. */
  libraryPanelMs: number;
  modelLoadMs: number;
  firstEmbedMs: number;
  hits: number;
  rssAfterQuery: number;
  maxRssAfterQuery: number;
  peakRss?: number;
}

if (args.child) {
  await child(args.child as Mode);
} else {
  await parent();
}

async function child(mode: Mode): Promise<void> {
  const startupMs = performance.now();
  const { createEngine } = await import('../src/core/app/engine.js');
  const dataDir = args.data!;
  const itemId = Number(args.item);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const engine = await createEngine({ dataDir });
  const t1 = performance.now();
  const store = engine.model.vectors();
  if (!store) throw new Error('cold-start: the folder records no embedder');
  const cid = engine.catalog.collections.list()[0]!.id;
  let legacy: unknown;
  if (mode === 'legacy') {
    legacy = legacyOpen(engine, store.fileOf(cid), store.dimensions, cid);
  } else {
    store.open(cid);
  }
  const t2 = performance.now();
  // As the renderer asks after "similar to this result": k 50, no threshold, every collection.
  const first = await engine.api['search:byImage']({ image: { kind: 'item', id: itemId }, k: 50 });
  const t3 = performance.now();
  const cpu = process.cpuUsage(cpu0);
  const usage = process.memoryUsage().rss;
  const maxRss = peakRssBytes();
  const t4 = performance.now();
  await engine.api['search:byImage']({ image: { kind: 'item', id: itemId + 1 }, k: 50 });
  const t5 = performance.now();
  await Promise.all([engine.api['library:listCollections']({}), engine.api['library:stats']({})]);
  const t5b = performance.now();
  await engine.model.embedder();
  const t6 = performance.now();
  await engine.search.embedQuery({ kind: 'path', path: args.image! });
  const t7 = performance.now();
  if (first.hits.length === 0) throw new Error('cold-start: the first query found nothing');
  const result: RunResult = {
    mode,
    startupMs,
    createEngineMs: t1 - t0,
    openIndexMs: t2 - t1,
    firstQueryMs: t3 - t2,
    openAndQueryMs: t3 - t0,
    openAndQueryCpuMs: (cpu.user + cpu.system) / 1000,
    secondQueryMs: t5 - t4,
    libraryPanelMs: t5b - t5,
    modelLoadMs: t6 - t5b,
    firstEmbedMs: t7 - t6,
    hits: first.hits.length,
    rssAfterQuery: usage,
    maxRssAfterQuery: maxRss,
  };
  void legacy;
  await engine.close();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * The index open as it was before the trailer summarised ids and files were memory-mapped: SHA-256 of the whole
 * file, usearch `load` into RAM, then every embedded id read from the catalog and looked up. Returns the index
 * (kept alive, as the old store kept it).
 */
function legacyOpen(engine: Awaited<ReturnType<typeof import('../src/core/app/engine.js').createEngine>>, file: string, dimensions: number, cid: number): unknown {
  const fd = openSync(file, 'r');
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n <= 0) break;
      hash.update(buf.subarray(0, n));
      pos += n;
    }
    hash.digest();
  } finally {
    closeSync(fd);
  }
  const index = new usearch.Index({
    dimensions,
    metric: usearch.MetricKind.Cos,
    quantization: usearch.ScalarKind.F16,
    connectivity: 16,
    expansion_add: 0,
    expansion_search: 0,
    multi: false,
  });
  index.load(file);
  const embedderId = engine.catalog.meta.get('embedder_id')!;
  const ids = engine.catalog.items.embeddedIds(cid as never, embedderId);
  const found = index.contains(BigUint64Array.from(ids, (id) => BigInt(id)));
  if (Number(index.size()) !== ids.length || !(found as boolean[]).every(Boolean)) throw new Error('cold-start: legacy open found other ids');
  return index;
}

function runChild(mode: Mode, dataDir: string, item: number, image: string): Promise<RunResult> {
  const rssFile = join(tmpdir(), `lookalike-cold-rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const script = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', pathToFileURL(PEAK_RSS_PRELOAD).href, script, '--child', mode, '--data', dataDir, '--item', String(item), '--image', image],
      { env: { ...process.env, [PEAK_RSS_ENV]: rssFile }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`cold-start: the ${mode} run exited with ${code}`);
        const result = JSON.parse(out.trim().split('\n').pop()!) as RunResult;
        result.peakRss = Number(readFileSync(rssFile, 'utf8'));
        resolve(result);
      } catch (err) {
        reject(err as Error);
      } finally {
        rmSync(rssFile, { force: true });
      }
    });
  });
}

async function parent(): Promise<void> {
  const items = Number(args.items);
  const runs = Number(args.runs);
  if (!Number.isInteger(items) || items < 1000 || !Number.isInteger(runs) || runs < 1) throw new Error('cold-start: --items ≥ 1000 and --runs ≥ 1');
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const folder = await benchFolder({ items, log, ...(args.cache ? { cacheDir: args.cache } : {}) });
  // A photo that is not one of the items' (they link to the first few hundred), as a dropped photo would be.
  const image = folder.sources[0]!;
  const loadAtStart = loadavg()[0]!;
  const results: Record<Mode, RunResult[]> = { fast: [], legacy: [] };
  const modes: Mode[] = ['fast', 'legacy'];
  for (const mode of modes) await runChild(mode, folder.dataDir, 1, image); // warm-up, not counted
  for (let r = 0; r < runs; r++) {
    // Alternating, so drift in the machine's load hits both alike; each run queries another stored item.
    for (const mode of modes) {
      const item = 1 + Math.floor(((r + 0.5) * (items - 2)) / runs);
      const res = await runChild(mode, folder.dataDir, item, image);
      results[mode].push(res);
      log(`cold-start: ${mode} run ${r + 1}/${runs}: open + first query ${formatMs(res.openAndQueryMs)}`);
    }
  }

  const fields: [keyof RunResult, string][] = [
    ['startupMs', 'node + module loading'],
    ['createEngineMs', 'createEngine'],
    ['openIndexMs', 'open the vector index'],
    ['firstQueryMs', 'first query (k 50, by stored item)'],
    ['openAndQueryMs', 'createEngine + open + first query'],
    ['openAndQueryCpuMs', '  the same, CPU time'],
    ['secondQueryMs', 'second query'],
    ['libraryPanelMs', 'library panel (collections + stats)'],
    ['modelLoadMs', 'model load (accurate)'],
    ['firstEmbedMs', 'first image embedding'],
  ];
  const table: Record<string, Record<Mode, Summary>> = {};
  for (const [key, label] of fields) {
    table[label] = { fast: summarize(results.fast.map((r) => r[key] as number)), legacy: summarize(results.legacy.map((r) => r[key] as number)) };
  }
  const mb = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const rss = {
    afterQuery: { fast: summarize(results.fast.map((r) => r.maxRssAfterQuery)), legacy: summarize(results.legacy.map((r) => r.maxRssAfterQuery)) },
    atExit: { fast: summarize(results.fast.map((r) => r.peakRss ?? 0)), legacy: summarize(results.legacy.map((r) => r.peakRss ?? 0)) },
  };

  console.log(`\ncold start, ${items} items (accurate, 512-dim PCA-whitened index), ${runs} runs each, warm page cache`);
  console.log(`machine load average (1 min) at start ${loadAtStart.toFixed(1)}, at end ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
  console.log(`${'step'.padEnd(40)} ${'this change: median'.padStart(20)} ${'p99'.padStart(9)}   ${'before: median'.padStart(15)} ${'p99'.padStart(9)}`);
  for (const [label, s] of Object.entries(table)) {
    console.log(`${label.padEnd(40)} ${formatMs(s.fast.median).padStart(20)} ${formatMs(s.fast.p99).padStart(9)}   ${formatMs(s.legacy.median).padStart(15)} ${formatMs(s.legacy.p99).padStart(9)}`);
  }
  console.log(`${'peak RSS after the first query'.padEnd(40)} ${mb(rss.afterQuery.fast.median).padStart(20)} ${mb(rss.afterQuery.fast.p99).padStart(9)}   ${mb(rss.afterQuery.legacy.median).padStart(15)} ${mb(rss.afterQuery.legacy.p99).padStart(9)}`);
  console.log(`${'peak RSS with the model loaded'.padEnd(40)} ${mb(rss.atExit.fast.median).padStart(20)} ${mb(rss.atExit.fast.p99).padStart(9)}   ${mb(rss.atExit.legacy.median).padStart(15)} ${mb(rss.atExit.legacy.p99).padStart(9)}`);
  const total = table['createEngine + open + first query']!.fast;
  console.log(`target: createEngine + open + first query ≤ 2 s at 10⁶ items: p99 ${formatMs(total.p99)} ${total.p99 <= 2000 ? '(met)' : '(not met)'}`);
  console.log(
    'before = the index opened as before this change (whole-file SHA-256, usearch load into RAM, every id read and looked up), in its own processes; ' +
      'the other steps run the same code in both. A user whose first query is a dropped photo adds model load + first embedding.',
  );
  if (args.json) {
    console.log(JSON.stringify({ section: 'cold-start', items, runs, loadAverage: { start: loadAtStart, end: loadavg()[0] }, steps: table, peakRssBytes: rss, runsRaw: results }));
  }
}
