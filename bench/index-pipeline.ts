/**
 * The indexing pipeline (performance issue #6, section 1): images/s of `lookalike index` end to end on real photos,
 * split into its stages, beside the model's raw inference throughput on the same images, for each built-in model.
 *
 *   npm run build:core && npm run bench -- pipeline [--model accurate,fast] [--images N] [--runs 3]
 *     [--dataset DIR] [--baseline-dist DIR[,DIR...]] [--regions] [--photos-12mp] [--json]
 *
 * --regions: each run also indexes with product regions on (the crop average of issue 20), interleaved with the run
 * without; a line per model gives both rates.
 *
 * --json: after the table, one line with the whole report as a JSON object.
 *
 * The limit (issue 18): on the CPU, decoding and inference share the cores, so indexing cannot go faster than
 * cores ÷ (decode CPU + inference CPU) per photo. Decode CPU: what the index job's decoder does per photo (read,
 * SHA-256, decode to the model's input, perceptual signature: LocalFileDecoder with the job's settings), on its own
 * on this thread, CPU time of the process (user + system, all threads, libvips' included) over all the photos.
 * Inference CPU: raw inference's CPU per photo (below), the cheaper of its two ways. Each run measures both again
 * beside its end-to-end runs; the limit is from their medians, and end to end and the index job are printed as a
 * percentage of it.
 *
 * --photos-12mp: the same figures on 12 MP JPEGs (4000 × 3000, quality 90, each from a bench photo upscaled, with
 * a little grain so that they weigh about what a phone photo does, 1.4–1.7 MB), generated once and cached under the
 * system's temporary folder (lookalike-bench-12mp-*), indexed in place (not copied). Default --images 1200 there (the job
 * runs its worker pool from 1,024 files).
 *
 * Raw inference: the images decoded beforehand (decodeForModel), then only `embed` timed, at the index job's batch
 * size, two ways: one session opened as the engine opens it for queries, and the index job's pool of single-threaded
 * sessions on workers (models/bulk-embedder.ts) with its `parallel` batches in flight, as the job keeps them; the
 * faster of the two is the baseline. Packing the input tensor, which embed() does, is part of both. End to end: a
 * child process per run (peak RSS from the kernel's maxrss, see peak-rss.preload.ts) that creates an engine from the
 * built app (dist/, `npm run build:core`: the engine with its decode and embedding workers, which build/ lacks, as
 * `lookalike index` runs it) on a fresh data folder, adds the photos' folder and runs the indexer, as
 * `lookalike index FOLDER` does: opening the catalog and the model, the index job, the perceptual
 * signatures it could not take from its own decode, and learning the folder's vector transform (PCA whitening,
 * from 1,000 photos on). Two end-to-end figures: the whole process (node's start to exit) and the index job alone
 * (its summary's seconds). Runs alternate raw and end to end per model, so both see the same machine load.
 *
 * Figures: median over runs; p99 is the rate at the 99th-percentile (slow) time: of the per-batch times for raw
 * inference (pooled over runs), of the per-run times for end to end (with fewer than 100 runs, the slowest run).
 * Stages are the job's own accounting (IndexStagesSchema), in ms per indexed image, medians over runs. CPU ms per
 * image (user + system, all threads) of raw inference and of the whole end-to-end process are printed too: on a
 * machine shared with other work, their ratio is what the wall-clock ratio would be on two idle cores if indexing
 * kept both busy.
 *
 * --baseline-dist DIR: also runs the end-to-end child on another build's engine (DIR is its dist/, e.g. the
 * previous commit's tree built with `tsc -p tsconfig.build.json`; its folder needs the package.json and models/ for
 * the models to resolve), interleaved with this build's runs: before/after figures measured under the same load.
 * Several, comma-separated, run in turn within each run (each labelled by the folder holding its dist/).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import type { createEngine as CreateEngine } from '../src/core/app/engine.js';
import type { IndexStages, IndexSummary } from '../src/core/jobs/index-collection.job.js';
import { decodeForModel } from '../src/core/images/decode.js';
import { LocalFileDecoder } from '../src/core/images/file-decoder.js';
import { nullLogger } from '../src/core/base/logger.js';
import type { Embedder, EmbedTimings, ModelInputSpec } from '../src/core/models/embedder.js';
import { findPackageRoot } from '../src/core/models/package-root.js';
import { openBulkEmbedder } from '../src/core/models/bulk-embedder.js';
import { openEmbedder } from '../src/core/models/registry.js';
import { PEAK_RSS_ENV, PEAK_RSS_PRELOAD } from '../test/support/cli-process.js';
import { summarize } from './stats.js';

/** The index job's default batch size (IndexJobOptions.batchSize), what raw inference is timed at. */
const JOB_BATCH = 16;
/** The index job's default decode concurrency (IndexJobOptions.concurrency), what the decode CPU is measured at. */
const JOB_DECODE_CONCURRENCY = 3;
/** Photos of the 12 MP set by default: above the 1,024 files from which the job embeds on its worker pool. */
const DEFAULT_12MP_IMAGES = 1200;
const IMAGE_EXT = /\.(jpe?g|png|webp|avif|heic|heif|tiff?|gif)$/i;

/** What one end-to-end child run reports. */
interface ChildReport {
  /** Node's start to the report (ms): startup, imports, engine, model, index job, signatures, transform, close. */
  processMs: number;
  openMs: number;
  modelMs: number;
  /** indexer.run(): the job, the signatures it left, the transform. */
  runMs: number;
  /** The process's CPU time, user + system, all threads (ms). */
  cpuMs: number;
  summaries: IndexSummary[];
}

interface E2eRun extends ChildReport {
  peakRssBytes: number | null;
  /** Cores the rest of the machine kept busy during the run (NaN where /proc/stat is not there). */
  othersCores: number;
}

/** Milliseconds of CPU the whole machine has been busy (all cores, /proc/stat's first line at USER_HZ 100), or NaN. */
function machineBusyMs(): number {
  try {
    const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).map(Number);
    return (user! + nice! + system! + irq! + softirq! + steal!) * 10;
  } catch {
    return NaN;
  }
}

/**
 * The built app's engine module under `dist` (a dist/ folder). build/ holds the engine's sources compiled for the
 * benches but not its worker modules (nothing imports them; tsconfig.build.json compiles them into dist/), and an
 * engine without them decodes on the main thread and embeds on one session: that measured a pipeline the app
 * does not run (109 images/s for `fast` instead of ~218).
 * @throws Error when the build or its workers are missing.
 */
function engineModule(dist: string): string {
  const engine = join(dist, 'core', 'app', 'engine.js');
  for (const f of [engine, join(dist, 'core', 'images', 'decode.worker.js'), join(dist, 'core', 'models', 'embed.worker.js')]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: build the engine first (npm run build:core)`);
  }
  return engine;
}

async function child(engineFile: string, dataDir: string, photos: string, modelId: string, regions: boolean): Promise<void> {
  const { createEngine } = (await import(pathToFileURL(engineFile).href)) as { createEngine: typeof CreateEngine };
  const t0 = performance.now();
  const engine = await createEngine({ dataDir, modelId, logger: nullLogger });
  engine.library.addFolder('default', photos);
  if (regions) engine.library.setRegions('default', true);
  const t1 = performance.now();
  await engine.model.forWriting();
  const t2 = performance.now();
  const summaries = await engine.indexer.run();
  const t3 = performance.now();
  await engine.close();
  const cpu = process.cpuUsage();
  const report: ChildReport = {
    processMs: performance.now(),
    openMs: t1 - t0,
    modelMs: t2 - t1,
    runMs: t3 - t2,
    cpuMs: (cpu.user + cpu.system) / 1000,
    summaries,
  };
  console.log(JSON.stringify(report));
}

/** Every image under `root`, sorted, then `n` of them spread evenly over the list (all classes when it is sorted). */
function pickImages(root: string, n: number | undefined): string[] {
  const all: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_EXT.test(e.name)) all.push(p);
    }
  };
  walk(root);
  if (n === undefined || n >= all.length) return all;
  return Array.from({ length: n }, (_, i) => all[Math.floor((i * all.length) / n)]!);
}

function runChild(engine: string, dataDir: string, photos: string, modelId: string, regions = false): Promise<E2eRun> {
  const rssFile = join(dataDir, '..', `peak-rss-${basename(dataDir)}`);
  const script = fileURLToPath(import.meta.url);
  const busy0 = machineBusyMs();
  const t0 = performance.now();
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(
      process.execPath,
      ['--import', pathToFileURL(PEAK_RSS_PRELOAD).href, script, '--child', engine, dataDir, photos, modelId, ...(regions ? ['regions'] : [])],
      { env: { ...process.env, [PEAK_RSS_ENV]: rssFile }, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the end-to-end run exited with ${code}: ${out.slice(-500)}`));
      let peakRssBytes: number | null = null;
      try {
        peakRssBytes = Number(readFileSync(rssFile, 'utf8'));
      } catch {
        // The preload could not write it: reported as unknown.
      }
      const report = JSON.parse(out.trim().split('\n').pop()!) as ChildReport;
      // The machine's busy time less the child's own: what other work took from the cores meanwhile.
      const othersCores = Math.max(0, (machineBusyMs() - busy0 - report.cpuMs) / (performance.now() - t0));
      resolvePromise({ ...report, peakRssBytes, othersCores });
    });
  });
}

interface ModelResult {
  model: string;
  images: number;
  raw: {
    /** Which way of running the model was faster here, and so is the baseline. */
    kind: 'one session' | 'worker pool';
    imagesPerSecond: { median: number; p99: number };
    /** Medians of both ways (the pool only where the job uses one). */
    oneSession: number;
    workerPool?: number;
    runs: number[];
    batchMs: { median: number; p99: number };
    preprocessShare: number;
    cpuMsPerImage: number;
  };
  jobOnly: { imagesPerSecond: { median: number; p99: number }; runs: number[] };
  endToEnd: { imagesPerSecond: { median: number; p99: number }; runs: number[]; cpuMsPerImage: number };
  /** End to end over raw (medians): the whole process, the index job alone, and raw CPU over end-to-end CPU. */
  ratio: { endToEnd: number; jobOnly: number; cpu: number };
  /**
   * cores ÷ (decode CPU + inference CPU) per photo (medians over runs; inference: the cheaper way's CPU per photo),
   * and end to end and the index job alone as a share of it.
   */
  limit: { decodeCpuMsPerImage: number; inferenceCpuMsPerImage: number; imagesPerSecond: number; endToEnd: number; jobOnly: number; othersCores: number };
  /** Medians over runs, ms per indexed image (the job's own figures are zero when its build does not report them). */
  stagesMsPerImage: IndexStages & { afterJob: number; startup: number };
  stagesReported: boolean;
  peakRssMiB: { median: number; max: number };
  failed: number;
  /** The same end-to-end figures for each --baseline-dist build. */
  baselines: (Omit<ModelResult, 'model' | 'images' | 'raw' | 'ratio' | 'baselines'> & { ratio: ModelResult['ratio']; label: string })[];
}

async function main(): Promise<void> {
  const { values: args, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      child: { type: 'boolean', default: false },
      model: { type: 'string', default: 'accurate,fast' },
      images: { type: 'string' },
      runs: { type: 'string', default: '3' },
      dataset: { type: 'string' },
      'baseline-dist': { type: 'string' },
      /** Also index each run with product regions on (the crop average, issue 20), interleaved: the opt-in's cost. */
      regions: { type: 'boolean', default: false },
      /** Run on 12 MP JPEGs made from the dataset's photos (cached under the temporary folder). */
      'photos-12mp': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  if (args.child) return child(positionals[0]!, positionals[1]!, positionals[2]!, positionals[3]!, positionals[4] === 'regions');

  const root = findPackageRoot();
  const dataset = resolve(args.dataset ?? join(root, '..', 'shared', 'datasets', 'clothes-train'));
  const models = args.model.split(',').filter(Boolean);
  const runs = Math.max(1, Number(args.runs));
  const big = args['photos-12mp'];
  const sources = pickImages(dataset, args.images === undefined ? (big ? DEFAULT_12MP_IMAGES : undefined) : Number(args.images));
  if (sources.length === 0) throw new Error(`no images under ${dataset}`);
  const engine = engineModule(join(root, 'dist'));
  const baselineEngines = (args['baseline-dist'] ?? '')
    .split(',')
    .filter(Boolean)
    .map((d) => ({ label: basename(resolve(d, '..')), engine: engineModule(resolve(d)) }));
  const out = (s = '') => console.log(s);

  const work = mkdtempSync(join(tmpdir(), 'lookalike-bench-pipeline-'));
  let photos = join(work, 'photos');
  if (big) {
    // Indexed where they are cached: the job only reads them, and a copy would double some gigabytes.
    photos = await twelveMegapixelPhotos(dataset, sources, out);
  } else {
    // The photos, copied once (the same bytes for every run; warm in the page cache like a folder just copied in).
    for (const f of sources) {
      const dir = join(photos, basename(join(f, '..')));
      mkdirSync(dir, { recursive: true });
      copyFileSync(f, join(dir, basename(f)));
    }
  }
  const files = pickImages(photos, undefined);
  const megapixels = await sharp(files[0]!).metadata().then((m) => ((m.width ?? 0) * (m.height ?? 0)) / 1e6);
  out(
    `pipeline: ${files.length} images (${megapixels.toFixed(1)} MP, ${(files.reduce((n, f) => n + statSync(f).size, 0) / files.length / 1e6).toFixed(2)} MB each) ` +
      `from ${big ? `${dataset}, upscaled into ${photos}` : dataset}, ${runs} run(s) per model, ${cpus().length} cores, load ${loadavg()[0]!.toFixed(2)}`,
  );

  const results: ModelResult[] = [];
  try {
    for (const model of models) {
      const embedder = await openEmbedder({ modelId: model, logger: nullLogger });
      // The index job's pool of single-threaded sessions, opened as the engine opens it (none on a GPU or one core).
      // build/ has no worker modules (see engineModule): the pool runs dist/'s, as the app's does.
      const bulk = await openBulkEmbedder(embedder, { modelId: model, dataDir: work, logger: nullLogger, workerFile: join(root, 'dist', 'core', 'models', 'embed.worker.js') });
      const pixels: Buffer[] = [];
      for (const f of files) pixels.push((await decodeForModel(readFileSync(f), embedder.input)).pixels);
      await embedder.embed(pixels.slice(0, JOB_BATCH)); // warm-up
      if (bulk) await Promise.all(Array.from({ length: bulk.embedder.parallel ?? 1 }, () => bulk.embedder.embed(pixels.slice(0, JOB_BATCH))));
      const session = newRawSeries();
      const pool = bulk ? newRawSeries() : undefined;
      const e2e: E2eRun[] = [];
      const baseline: E2eRun[][] = baselineEngines.map(() => []);
      const withRegions: E2eRun[] = [];
      const decodeCpu: number[] = [];
      const endToEnd = async (from: string, tag: string, r: number, regions = false): Promise<E2eRun> => {
        const dataDir = join(work, `data-${model}-${tag}-${r}`);
        try {
          return await runChild(from, dataDir, photos, model, regions);
        } finally {
          rmSync(dataDir, { recursive: true, force: true });
        }
      };
      for (let r = 0; r < runs; r++) {
        await timeRaw(embedder, pixels, session);
        if (bulk && pool) await timeRaw(bulk.embedder, pixels, pool);
        decodeCpu.push(await decodeCpuPerImage(files, embedder.input));

        const last = await endToEnd(engine, 'this', r);
        e2e.push(last);
        const rawNow = pool ? `raw ${session.runs[r]!.toFixed(1)} (one session) / ${pool.runs[r]!.toFixed(1)} (worker pool)` : `raw ${session.runs[r]!.toFixed(1)}`;
        let line = `  ${model} run ${r + 1}: ${rawNow} images/s, decode CPU ${decodeCpu[r]!.toFixed(2)} ms/image, end to end ${(indexed(last) / (last.processMs / 1000)).toFixed(1)} images/s`;
        for (const [i, { label, engine: other }] of baselineEngines.entries()) {
          const b = await endToEnd(other, `baseline-${i}`, r);
          baseline[i]!.push(b);
          line += `, ${label} ${(indexed(b) / (b.processMs / 1000)).toFixed(1)} images/s`;
        }
        if (args.regions) {
          const g = await endToEnd(engine, 'regions', r, true);
          withRegions.push(g);
          line += `, regions on ${(indexed(g) / (g.processMs / 1000)).toFixed(1)} images/s (job ${(indexed(g) / g.summaries.reduce((a, x) => a + x.seconds, 0)).toFixed(1)} vs ${(indexed(last) / last.summaries.reduce((a, x) => a + x.seconds, 0)).toFixed(1)})`;
        }
        out(line);
      }
      if (withRegions.length > 0) {
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        const rate = (rs: E2eRun[], job: boolean) => median(rs.map((x) => indexed(x) / (job ? x.summaries.reduce((a, y) => a + y.seconds, 0) : x.processMs / 1000)));
        out(
          `  ${model} product regions (crop average) on: end to end ${rate(withRegions, false).toFixed(1)} vs ${rate(e2e, false).toFixed(1)} images/s off ` +
            `(${((100 * rate(withRegions, false)) / rate(e2e, false)).toFixed(0)}%), index job ${rate(withRegions, true).toFixed(1)} vs ${rate(e2e, true).toFixed(1)} ` +
            `(${((100 * rate(withRegions, true)) / rate(e2e, true)).toFixed(0)}%)`,
        );
      }
      await bulk?.release();
      await embedder.close();
      const raws = { session, ...(pool ? { pool } : {}) };
      const result = summarizeModel(model, files.length, raws, e2e, decodeCpu);
      for (const [i, runsOf] of baseline.entries()) {
        const { model: _m, images: _i, raw: _r, baselines: _b, ...rest } = summarizeModel(model, files.length, raws, runsOf, decodeCpu);
        result.baselines.push({ ...rest, label: baselineEngines[i]!.label });
      }
      results.push(result);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  printTable(results, out);
  if (args.json) {
    console.log(JSON.stringify({ section: 'pipeline', dataset, photos12mp: big, megapixels, images: files.length, runs, cores: cpus().length, models: results }));
  }
}

/**
 * CPU per photo (ms, the process's user + system, all threads) of what the index job's decoder does for a new photo
 * (read, SHA-256, decode to the model's input, perceptual signature), with the job's settings and on its own.
 */
async function decodeCpuPerImage(files: string[], spec: ModelInputSpec): Promise<number> {
  const decoder = new LocalFileDecoder({ spec, concurrency: JOB_DECODE_CONCURRENCY, signatures: true });
  const cpu0 = process.cpuUsage();
  let next = 0;
  await Promise.all(
    Array.from({ length: JOB_DECODE_CONCURRENCY }, async () => {
      while (next < files.length) {
        const id = next++;
        await decoder.read(id, files[id]!, statSync(files[id]!).size);
        await decoder.decode(id);
      }
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  await decoder.close();
  return (cpu.user + cpu.system) / 1000 / files.length;
}

/** 12 MP, as a phone camera takes them. */
const BIG_LONG_SIDE = 4000;
const BIG_SHORT_SIDE = 3000;
/**
 * Grain (±) added to every channel of the upscaled picture: an upscaled JPEG alone is too smooth to weigh what a photo
 * does (entropy decoding, which shrink-on-load does not skip, is paid per byte); ±6 gives 1.4–1.7 MB at quality 90.
 */
const BIG_GRAIN = 6;

/**
 * A folder of 12 MP JPEGs, one per photo in `sources` (its class folders kept), made once and cached under the
 * temporary folder by the list of photos: each upscaled to cover 4000 × 3000 in its own orientation, grain added,
 * quality 90.
 */
async function twelveMegapixelPhotos(dataset: string, sources: string[], out: (s?: string) => void): Promise<string> {
  const key = createHash('sha256').update(JSON.stringify([BIG_LONG_SIDE, BIG_SHORT_SIDE, BIG_GRAIN, sources])).digest('hex').slice(0, 12);
  const dir = join(tmpdir(), `lookalike-bench-12mp-${sources.length}-${key}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  out(`making ${sources.length} 12 MP JPEGs in ${dir} (once)...`);
  const started = performance.now();
  let next = 0;
  let seed = 0x2545f491;
  const grain = () => {
    // xorshift32: the same grain every time the set is made.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return ((seed >>> 0) % (2 * BIG_GRAIN + 1)) - BIG_GRAIN;
  };
  await Promise.all(
    Array.from({ length: 2 }, async () => {
      while (next < sources.length) {
        const from = sources[next++]!;
        const meta = await sharp(from).metadata();
        const portrait = (meta.autoOrient?.height ?? meta.height ?? 0) > (meta.autoOrient?.width ?? meta.width ?? 0);
        const [w, h] = portrait ? [BIG_SHORT_SIDE, BIG_LONG_SIDE] : [BIG_LONG_SIDE, BIG_SHORT_SIDE];
        const { data, info } = await sharp(from).rotate().removeAlpha().toColourspace('srgb').resize(w, h, { fit: 'cover' }).raw().toBuffer({ resolveWithObject: true });
        for (let i = 0; i < data.length; i++) data[i] = Math.min(255, Math.max(0, data[i]! + grain()));
        const to = join(dir, relative(dataset, from)).replace(/\.[^./]+$/, '.jpg');
        mkdirSync(join(to, '..'), { recursive: true });
        await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } }).jpeg({ quality: 90 }).toFile(`${to}.tmp`);
        renameSync(`${to}.tmp`, to);
      }
    }),
  );
  writeFileSync(join(dir, '.complete'), '');
  out(`  made in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return dir;
}

function indexed(run: ChildReport): number {
  return run.summaries.reduce((n, s) => n + s.indexed, 0);
}

function jobSeconds(run: ChildReport): number {
  return run.summaries.reduce((n, s) => n + s.seconds, 0);
}

/** Median and slow-tail rate of `count` items done in each of `times` (ms). */
function rates(count: number, times: number[]): { median: number; p99: number } {
  const s = summarize(times);
  return { median: count / (s.median / 1000), p99: count / (s.p99 / 1000) };
}

/** Raw inference timings of one way of running the model, over the runs. */
interface RawSeries {
  /** Images/s per run. */
  runs: number[];
  /** Per batch, from its embed() call to its vectors (with several in flight, they overlap). */
  batchMs: number[];
  cpuMs: number;
  images: number;
  timings: EmbedTimings;
  /** Batches kept in flight. */
  parallel: number;
}

function newRawSeries(): RawSeries {
  return { runs: [], batchMs: [], cpuMs: 0, images: 0, timings: { preprocessMs: 0, inferenceMs: 0 }, parallel: 1 };
}

/** Embeds all `pixels` in batches of JOB_BATCH, keeping the embedder's `parallel` batches in flight, as the job does. */
async function timeRaw(embedder: Embedder, pixels: Buffer[], into: RawSeries): Promise<void> {
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  into.parallel = Math.max(1, embedder.parallel ?? 1);
  await Promise.all(
    Array.from({ length: into.parallel }, async () => {
      while (next < pixels.length) {
        const from = next;
        next += JOB_BATCH;
        const t = performance.now();
        await embedder.embed(pixels.slice(from, from + JOB_BATCH), into.timings);
        into.batchMs.push(performance.now() - t);
      }
    }),
  );
  into.runs.push(pixels.length / ((performance.now() - started) / 1000));
  const cpu = process.cpuUsage(cpu0);
  into.cpuMs += (cpu.user + cpu.system) / 1000;
  into.images += pixels.length;
}

function summarizeModel(model: string, images: number, raws: { session: RawSeries; pool?: RawSeries }, e2e: E2eRun[], decodeCpu: number[]): ModelResult {
  const n = indexed(e2e[0]!);
  // The baseline is the faster way to run the model here: the worker pool the job uses, or one session.
  const median = (r: RawSeries) => summarize(r.runs).median;
  const best: { kind: ModelResult['raw']['kind']; series: RawSeries } =
    raws.pool && median(raws.pool) > median(raws.session) ? { kind: 'worker pool', series: raws.pool } : { kind: 'one session', series: raws.session };
  const { runs: rawRuns, batchMs, timings } = best.series;
  const rawCpuPerImage = best.series.cpuMs / Math.max(1, best.series.images);
  const batch = summarize(batchMs);
  // With `parallel` batches in flight, each batch's time is shared by that many.
  const raw = { median: median(best.series), p99: (best.series.parallel * JOB_BATCH) / (batch.p99 / 1000) };
  const endToEnd = rates(n, e2e.map((r) => r.processMs));
  const jobOnly = rates(n, e2e.map((r) => jobSeconds(r) * 1000));
  const perImage = (f: (r: E2eRun) => number) => summarize(e2e.map((r) => f(r) / Math.max(1, indexed(r)))).median;
  const stage = (key: keyof IndexStages) => perImage((r) => r.summaries.reduce((t, s) => t + (s.stages?.[key] ?? 0), 0));
  const keys: (keyof IndexStages)[] = ['scanMs', 'diffMs', 'waitMs', 'preprocessMs', 'inferenceMs', 'writeMs', 'saveMs', 'otherMs', 'readMs', 'hashMs', 'decodeMs', 'signatureMs'];
  const stages = Object.fromEntries(keys.map((k) => [k, stage(k)])) as IndexStages;
  const cpuPerImage = summarize(e2e.map((r) => r.cpuMs / Math.max(1, indexed(r)))).median;
  // The limit takes the cheaper way to run the model in CPU: what inference must cost at least, as the job could run it.
  const cpuOf = (r: RawSeries) => r.cpuMs / Math.max(1, r.images);
  const inferenceCpu = Math.min(cpuOf(raws.session), ...(raws.pool ? [cpuOf(raws.pool)] : []));
  const decodeCpuMs = summarize(decodeCpu).median;
  const limit = (cpus().length * 1000) / (decodeCpuMs + inferenceCpu);
  const rss = e2e.map((r) => r.peakRssBytes).filter((b): b is number => b !== null && Number.isFinite(b)).map((b) => b / 2 ** 20);
  return {
    model,
    images,
    raw: {
      kind: best.kind,
      imagesPerSecond: raw,
      oneSession: median(raws.session),
      ...(raws.pool ? { workerPool: median(raws.pool) } : {}),
      runs: rawRuns,
      batchMs: { median: batch.median, p99: batch.p99 },
      preprocessShare: timings.preprocessMs / Math.max(1e-9, timings.preprocessMs + timings.inferenceMs),
      cpuMsPerImage: rawCpuPerImage,
    },
    jobOnly: { imagesPerSecond: jobOnly, runs: e2e.map((r) => n / jobSeconds(r)) },
    endToEnd: { imagesPerSecond: endToEnd, runs: e2e.map((r) => n / (r.processMs / 1000)), cpuMsPerImage: cpuPerImage },
    ratio: { endToEnd: endToEnd.median / raw.median, jobOnly: jobOnly.median / raw.median, cpu: rawCpuPerImage / cpuPerImage },
    limit: {
      decodeCpuMsPerImage: decodeCpuMs,
      inferenceCpuMsPerImage: inferenceCpu,
      imagesPerSecond: limit,
      endToEnd: endToEnd.median / limit,
      jobOnly: jobOnly.median / limit,
      othersCores: summarize(e2e.map((r) => (Number.isFinite(r.othersCores) ? r.othersCores : 0))).median,
    },
    stagesMsPerImage: {
      ...stages,
      afterJob: perImage((r) => r.runMs - jobSeconds(r) * 1000),
      startup: perImage((r) => r.processMs - r.runMs),
    },
    stagesReported: e2e.every((r) => r.summaries.every((s) => s.stages !== undefined)),
    peakRssMiB: rss.length > 0 ? { median: summarize(rss).median, max: Math.max(...rss) } : { median: NaN, max: NaN },
    failed: e2e[0]!.summaries.reduce((t, s) => t + s.failed, 0),
    baselines: [],
  };
}

function printTable(results: ModelResult[], out: (s?: string) => void): void {
  const f1 = (x: number) => x.toFixed(1);
  const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
  const pair = (r: { median: number; p99: number }) => `${f1(r.median)} / ${f1(r.p99)}`.padEnd(16);
  type Row = { label: string; raw?: ModelResult['raw']; e2e: ModelResult['endToEnd']; job: ModelResult['jobOnly']; ratio: ModelResult['ratio']; rss: number };
  const rows: Row[] = results.flatMap((r) => [
    { label: r.model, raw: r.raw, e2e: r.endToEnd, job: r.jobOnly, ratio: r.ratio, rss: r.peakRssMiB.max },
    ...r.baselines.map((b) => ({ label: `${r.model} (${b.label})`, e2e: b.endToEnd, job: b.jobOnly, ratio: b.ratio, rss: b.peakRssMiB.max })),
  ]);
  out();
  out('images/s, median / p99 (slow tail)  raw inference   end to end      index job only  e2e/raw  job/raw  CPU ms/img raw, e2e  CPU ratio  peak RSS');
  for (const r of rows) {
    out(
      r.label.padEnd(36) +
        (r.raw ? pair(r.raw.imagesPerSecond) : ''.padEnd(16)) +
        pair(r.e2e.imagesPerSecond) +
        pair(r.job.imagesPerSecond) +
        pct(r.ratio.endToEnd).padEnd(9) +
        pct(r.ratio.jobOnly).padEnd(9) +
        `${r.raw ? r.raw.cpuMsPerImage.toFixed(2) : '   '}, ${r.e2e.cpuMsPerImage.toFixed(2)}`.padEnd(21) +
        pct(r.ratio.cpu).padEnd(11) +
        `${f1(r.rss)} MiB`,
    );
  }
  out();
  out(`limit: ${cpus().length} cores ÷ CPU per photo   decode CPU ms  inference CPU ms  limit img/s  end to end  of limit  index job  of limit  others' cores`);
  const limitRows = results.flatMap((r) => [
    [r.model, r.limit, r.endToEnd, r.jobOnly] as const,
    ...r.baselines.map((b) => [`${r.model} (${b.label})`, b.limit, b.endToEnd, b.jobOnly] as const),
  ]);
  for (const [label, l, e2e, job] of limitRows) {
    out(
      label.padEnd(36) +
        l.decodeCpuMsPerImage.toFixed(2).padStart(13) +
        l.inferenceCpuMsPerImage.toFixed(2).padStart(18) +
        f1(l.imagesPerSecond).padStart(13) +
        f1(e2e.imagesPerSecond.median).padStart(12) +
        pct(l.endToEnd).padStart(10) +
        f1(job.imagesPerSecond.median).padStart(11) +
        pct(l.jobOnly).padStart(10) +
        l.othersCores.toFixed(2).padStart(15),
    );
  }
  out();
  out('ms per image, medians   main line: wait  preproc  infer  write  save  scan+diff  other | ahead: read  hash  decode  sign | after job  startup');
  const stageRows = results.flatMap((r) => [
    [r.model, r.stagesMsPerImage, r.stagesReported] as const,
    ...r.baselines.map((b) => [`${r.model} (${b.label})`, b.stagesMsPerImage, b.stagesReported] as const),
  ]);
  for (const [label, s, known] of stageRows) {
    // A build without stage accounting (an older baseline) has only the figures measured from outside the job.
    const c = (x: number, w: number, inside = true) => (known || !inside ? x.toFixed(2) : '-').padStart(w);
    out(
      `${label.padEnd(35)}${c(s.waitMs, 6)}${c(s.preprocessMs, 9)}${c(s.inferenceMs, 7)}${c(s.writeMs, 7)}${c(s.saveMs, 6)}` +
        `${c(s.scanMs + s.diffMs, 11)}${c(s.otherMs, 7)} |${c(s.readMs, 12)}${c(s.hashMs, 6)}${c(s.decodeMs, 8)}${c(s.signatureMs, 6)} |` +
        `${c(s.afterJob, 10, false)}${c(s.startup, 9, false)}`,
    );
  }
  out();
  out(
    'raw: embed() only, images decoded beforehand, batches of 16, on the faster of one session and the index job\'s worker pool (' +
      results.map((r) => `${r.model}: one session ${f1(r.raw.oneSession)}${r.raw.workerPool === undefined ? '' : `, pool ${f1(r.raw.workerPool)}`} images/s`).join('; ') +
      '); p99 from per-batch times (preprocessing share of embed: ' +
      results.map((r) => `${r.model} ${pct(r.raw.preprocessShare)}`).join(', ') +
      ')',
  );
  out('end to end: the whole `lookalike index` process on a fresh data folder; index job: its summary seconds; p99: the slowest run');
  out(
    'limit: decode CPU = read + hash + decode + signature on the job\'s decoder alone; inference CPU = raw embed() on the cheaper way; medians over runs; ' +
      "others' cores: what the rest of the machine kept busy during the end-to-end runs (median; the limit assumes none)",
  );
  out('main line stages add up to the job time; "ahead" stages are summed over files decoded concurrently (they overlap it)');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
