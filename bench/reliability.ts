/**
 * The reliability soak: the long variants of the crash-safety and hostile-input tests, with the figures for the
 * record.
 *
 *   npm run build:core && npm run build:tools && node build/bench/reliability.js [--kills 24] [--images 300] [--model fast]
 *     [--doctor-items 5000] [--rss-models fast,accurate] [--pool-kills 3] [--sections kills,doctor,rss,pool]
 *     [--seed N] [--work DIR] [--keep]
 *
 * 1. kills: `lookalike index` on a few hundred generated photos, killed with SIGKILL at random moments (during
 *    start-up, the scan, batches and saves) until `--kills` kills have landed mid-job, with photos added, deleted
 *    and renamed between some runs; then one run to the end. The data folder must then hold every image exactly once, an index file that matches the catalog,
 *    a clean SQLite integrity check, no temp file and no lock, and answer searches (verify-data-folder.ts).
 * 2. rss: peak resident memory of `lookalike index` on the hostile set (hostile-set.ts), per model.
 * 3. doctor: wall time of `lookalike doctor`, `doctor --repair` on a healthy catalog of `--doctor-items` items
 *    (hard links of the soaked photos), and `doctor --repair` rebuilding its deleted index.
 * 4. pool: the index job on its embedding workers at the real threshold (BULK_MIN_FILES photos and more), killed
 *    with SIGKILL `--pool-kills` times while the workers embed, then run to the end: every run must start the pool,
 *    the folder must pass the same checks as in 1, and its vectors must equal those of a run on one session.
 *
 * Exit code 0 when every check held; the summary is printed as text and as one JSON line.
 */
import { linkSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { EMBED_POOL_MIN_FILES_ENV, PROGRESSIVE_MIN_FILES_ENV } from '../src/cli/context.js';
import { createEngine } from '../src/core/app/engine.js';
import { toServedEngine } from '../src/core/app/host/served-engine.js';
import { writeScene } from '../test/support/synthetic.js';
import { BULK_MIN_FILES } from '../src/core/jobs/index-collection.job.js';
import { nullLogger } from '../src/core/base/logger.js';
import { runCli, startCli } from '../test/support/cli-process.js';
import { committedRows } from '../test/support/catalog-rows.js';
import { writeHostileSet } from '../test/support/hostile-set.js';
import { verifyDataFolder } from '../test/support/verify-data-folder.js';

const { values: args } = parseArgs({
  options: {
    kills: { type: 'string', default: '24' },
    'doctor-items': { type: 'string', default: '5000' },
    images: { type: 'string', default: '300' },
    model: { type: 'string', default: 'fast' },
    'rss-models': { type: 'string', default: 'fast,accurate' },
    'pool-kills': { type: 'string', default: '3' },
    sections: { type: 'string', default: 'kills,doctor,rss,pool' },
    seed: { type: 'string' },
    work: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});

const seed = Number(args.seed ?? Date.now() % 1_000_000);
let state = seed >>> 0 || 1;
const random = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 0x100000000;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`${line}\n`);

const work = args.work ?? mkdtempSync(join(tmpdir(), 'lookalike-soak-'));
mkdirSync(work, { recursive: true });
const summary: Record<string, unknown> = { seed, work };
const failures: string[] = [];

const pendingRows = (dataDir: string): number => committedRows(dataDir, 'pending');
const indexedRows = (dataDir: string): number => committedRows(dataDir, 'indexed');

function listImages(dir: string): string[] {
  return (readdirSync(dir, { recursive: true, encoding: 'utf8' }) as string[]).filter((f) => f.endsWith('.jpg')).map((f) => join(dir, f)).sort();
}

async function soakKills(): Promise<void> {
  const target = Number(args.kills);
  const images = Number(args.images);
  const photos = join(work, 'photos');
  const data = join(work, 'kill-data');
  rmSync(data, { recursive: true, force: true });
  rmSync(photos, { recursive: true, force: true });
  log(`kills: generating ${images} photos`);
  let nextSeed = 10_000;
  const add = async (n: number) => {
    const made: Promise<void>[] = [];
    for (let i = 0; i < n; i++) {
      const s = nextSeed++;
      made.push(writeScene(join(photos, `d${s % 7}`, `p${s}.jpg`), s, { width: 200, height: 150 }));
      if (made.length === 16) await Promise.all(made.splice(0));
    }
    await Promise.all(made);
  };
  await add(images);

  const cli = ['--data', data, '--model', String(args.model), 'index', photos, '--collection', 'soak'];
  let kills = 0;
  let midJob = 0;
  let runs = 0;
  let rows = 0;
  const started = Date.now();
  // Until `target` kills have landed in the middle of a job (work committed, work left), within a bound on rounds.
  for (let round = 0; midJob < target && round < target * 4; round++) {
    const total = listImages(photos).length;
    if (rows >= total || round % 5 === 4) {
      // The library changes between runs: a wave of new photos (so there is always work to interrupt),
      // deletions and renames (moves must survive crashes too).
      const files = listImages(photos);
      await add(rows >= total ? 60 : 5);
      for (let i = 0; i < 3; i++) rmSync(files[Math.floor(random() * files.length)]!, { force: true });
      for (let i = 0; i < 2; i++) {
        const mv = files[Math.floor(random() * files.length)]!;
        try {
          renameSync(mv, mv.replace(/\.jpg$/, `-r${round}.jpg`));
        } catch {
          // Deleted just above.
        }
      }
    }
    const left = listImages(photos).length - rows;
    // Every other run is progressive (both passes on a few files: the real threshold is PROGRESSIVE_MIN_FILES), so
    // kills land while cataloguing, while embedding what an earlier run catalogued, and in one-pass runs.
    const progressive = round % 2 === 1;
    const proc = startCli(cli, progressive ? { env: { [PROGRESSIVE_MIN_FILES_ENV]: '1' } } : {});
    runs += 1;
    if (random() < 0.25) {
      // Anywhere from start-up on: loading the model, opening and checking the index, scanning.
      await sleep(50 + random() * 1500);
    } else {
      await proc.waitForStderr(/(indexing|cataloguing \(hashes, signatures\)) \d+\/\d+/).catch(() => undefined);
      // Within the expected rest of the job (about 15 ms an image on two cores with the fast model).
      await sleep(random() * Math.min(3000, left * 15));
    }
    const alive = proc.child.exitCode === null && proc.child.signalCode === null;
    proc.child.kill('SIGKILL');
    const run = await proc.done;
    const before = rows;
    rows = indexedRows(data);
    const now = listImages(photos).length;
    if (alive && run.signal === 'SIGKILL') {
      kills += 1;
      if (rows < now) midJob += 1;
    }
    log(`  round ${round + 1}${progressive ? ' (progressive)' : ''}: ${run.signal ?? `exited ${run.code}`}, ${before} -> ${rows} of ${now} indexed, ${pendingRows(data)} pending`);
  }
  const final = await runCli(cli);
  runs += 1;
  if (final.code !== 0) failures.push(`final index run exited ${final.code}: ${final.stderr.slice(-300)}`);
  if (midJob < target) failures.push(`only ${midJob} kills landed mid-job (wanted ${target})`);
  const expected = listImages(photos);
  const verification = await verifyDataFolder(data, { collection: 'soak', indexed: expected, searches: 10 });
  failures.push(...verification.problems);
  summary['kills'] = {
    kills,
    killedMidJob: midJob,
    runs,
    images: expected.length,
    problems: verification.problems,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  log(
    `kills: ${kills} SIGKILLs (${midJob} mid-job), ${runs} runs, ${expected.length} images at the end: ` +
      (verification.problems.length === 0 ? 'every image indexed exactly once, vectors = rows, integrity ok, no temp files, searches answer' : verification.problems.join('; ')),
  );
}

async function soakDoctor(): Promise<void> {
  // A bigger catalog cheaply: hard links of the soaked photos are separate files of identical content, so
  // indexing them copies stored vectors instead of running the model.
  const photos = join(work, 'photos');
  const lib = join(work, 'doctor-library');
  const data = join(work, 'doctor-data');
  rmSync(lib, { recursive: true, force: true });
  rmSync(data, { recursive: true, force: true });
  const sources = listImages(photos);
  const want = Number(args['doctor-items']);
  for (let i = 0; i < want; i++) {
    const dir = join(lib, `copy${Math.floor(i / sources.length)}`);
    mkdirSync(dir, { recursive: true });
    linkSync(sources[i % sources.length]!, join(dir, `${i}.jpg`));
  }
  const indexed = await runCli(['--data', data, '--model', String(args.model), 'index', lib, '-c', 'big']);
  if (indexed.code !== 0) failures.push(`doctor catalog: index exited ${indexed.code}`);
  // Some thumbnails, so the orphan check has files to look at.
  const engine = await createEngine({ dataDir: data, logger: nullLogger });
  const served = toServedEngine(engine);
  for (let id = 1; id <= Math.min(300, want); id++) await served.thumbnail(id, 256).catch(() => undefined);
  await engine.close();

  const timed = async (...extra: string[]) => {
    const t0 = Date.now();
    const r = await runCli(['--data', data, 'doctor', '--json', ...extra]);
    const ms = Date.now() - t0;
    const report = JSON.parse(r.stdout) as { healthy: boolean; seconds: number; checks: { id: string; ms: number; status: string }[] };
    return { ms, inProcessMs: Math.round(report.seconds * 1000), healthy: report.healthy, checks: Object.fromEntries(report.checks.map((c) => [c.id, c.ms])) };
  };
  const check = await timed();
  const repairHealthy = await timed('--repair');
  for (const f of readdirSync(data)) if (f.endsWith('.usearch')) rmSync(join(data, f));
  const rebuild = await timed('--repair');
  const after = await timed();
  if (!check.healthy || !after.healthy || rebuild.healthy !== true) failures.push('doctor: the catalog was not healthy before or after the rebuild');
  summary['doctor'] = { items: want, thumbnails: Math.min(300, want), check, repairHealthy, repairRebuild: rebuild, after };
  log(
    `doctor on ${want} items: check ${check.ms} ms wall (${check.inProcessMs} ms in the engine), --repair with nothing to do ${repairHealthy.ms} ms, ` +
      `--repair rebuilding the deleted index ${rebuild.ms} ms (${rebuild.inProcessMs} ms in the engine)`,
  );
}


async function soakRss(): Promise<void> {
  const set = await writeHostileSet(join(work, 'hostile'));
  const out: Record<string, number> = {};
  for (const model of String(args['rss-models']).split(',').filter(Boolean)) {
    const data = join(work, `rss-${model}`);
    rmSync(data, { recursive: true, force: true });
    const run = await runCli(['--data', data, '--model', model, 'index', set.root, '-c', 'hostile', '--json'], { measureRss: true });
    if (run.code !== 0) {
      failures.push(`hostile set with ${model}: exit ${run.code}: ${run.stderr.slice(-300)}`);
      continue;
    }
    const s = JSON.parse(run.stdout) as { indexed: number; failed: number };
    if (s.indexed !== set.indexed.length || s.failed !== set.failed.size) {
      failures.push(`hostile set with ${model}: ${s.indexed} indexed / ${s.failed} failed, expected ${set.indexed.length} / ${set.failed.size}`);
    }
    out[model] = Math.round((run.peakRssBytes ?? 0) / 1024 / 1024);
    log(`rss: peak RSS indexing the hostile set (${set.indexed.length} images, ${set.failed.size} refused) with ${model}: ${out[model]} MiB`);
  }
  summary['peakRssMiB'] = out;
}

/** The index job's debug line when its embedding workers have started (bulk-embedder.ts). */
const POOL_LINE = /debug embedding on worker threads \{"workers":(\d+)/;

function storedVectors(dataDir: string): Map<string, Buffer> {
  const db = new Database(join(dataDir, 'catalog.sqlite'), { readonly: true });
  try {
    const rows = db.prepare('SELECT i.path, e.vector FROM items i JOIN embeddings e ON e.item_id = i.id').all() as { path: string; vector: Buffer }[];
    return new Map(rows.map((r) => [r.path, r.vector]));
  } finally {
    db.close();
  }
}

async function soakPool(): Promise<void> {
  const target = Number(args['pool-kills']);
  const photos = join(work, 'pool-photos');
  const data = join(work, 'pool-data');
  const solo = join(work, 'pool-one-session');
  for (const dir of [photos, data, solo]) rmSync(dir, { recursive: true, force: true });
  // Enough that every killed run leaves a pooled run's worth (a kill lands within a few batches of the pool's start).
  const images = BULK_MIN_FILES + 64 * (target + 1);
  log(`pool: generating ${images} photos`);
  for (let i = 0; i < images; i += 16) {
    await Promise.all(
      Array.from({ length: Math.min(16, images - i) }, (_, j) => writeScene(join(photos, `d${(i + j) % 5}`, `q${i + j}.jpg`), 50_000 + i + j, { width: 96, height: 72 })),
    );
  }
  const expected = listImages(photos);
  const cli = (dir: string) => ['--data', dir, '--model', String(args.model), '-v', 'index', photos, '--collection', 'pool'];
  const started = Date.now();
  let kills = 0;
  let runs = 0;
  let rows = 0;
  const workers = new Set<number>();
  for (let round = 0; kills < target && round < target * 3 && expected.length - rows >= BULK_MIN_FILES; round++) {
    const proc = startCli(cli(data));
    runs += 1;
    const pooled = await proc.waitForStderr(POOL_LINE).then(
      () => true,
      () => false,
    );
    if (!pooled) {
      proc.child.kill('SIGKILL');
      await proc.done;
      failures.push(`pool: run ${runs} with ${expected.length - rows} files to index did not start the embedding workers`);
      break;
    }
    workers.add(Number(proc.stderr().match(POOL_LINE)![1]));
    // After a batch embedded on the workers is committed, somewhere within the next few.
    const before = rows;
    const deadline = Date.now() + 120_000;
    while (indexedRows(data) <= before && proc.child.exitCode === null && Date.now() < deadline) await sleep(20);
    await sleep(random() * 300);
    proc.child.kill('SIGKILL');
    const run = await proc.done;
    rows = indexedRows(data);
    if (run.signal === 'SIGKILL' && rows > before && rows < expected.length) kills += 1;
    log(`  round ${round + 1}: ${run.signal ?? `exited ${run.code}`}, ${before} -> ${rows} of ${expected.length} indexed`);
  }
  const final = await runCli(cli(data));
  runs += 1;
  if (final.code !== 0) failures.push(`pool: final index run exited ${final.code}: ${final.stderr.slice(-300)}`);
  if (!POOL_LINE.test(final.stderr) && expected.length - rows >= BULK_MIN_FILES) failures.push('pool: the final run did not start the embedding workers');
  if (kills < target) failures.push(`pool: only ${kills} kills landed while the workers embedded (wanted ${target})`);
  const verification = await verifyDataFolder(data, { collection: 'pool', indexed: expected, searches: 10 });
  failures.push(...verification.problems.map((p) => `pool: ${p}`));

  // The same photos on one session (the threshold above the run): the workers must store the same vectors.
  const one = await runCli(cli(solo), { env: { [EMBED_POOL_MIN_FILES_ENV]: String(expected.length + 1) } });
  if (one.code !== 0 || POOL_LINE.test(one.stderr)) failures.push(`pool: the one-session run exited ${one.code}${POOL_LINE.test(one.stderr) ? ' on the workers' : ''}`);
  const pooledVectors = storedVectors(data);
  const soloVectors = storedVectors(solo);
  const differing = expected.filter((p) => !(pooledVectors.get(p)?.equals(soloVectors.get(p) ?? Buffer.alloc(0)) ?? false)).length;
  if (differing > 0) failures.push(`pool: ${differing} of ${expected.length} vectors differ from the one-session run's`);
  summary['pool'] = {
    images: expected.length,
    workers: [...workers],
    killedWhilePooled: kills,
    runs,
    differingVectors: differing,
    problems: verification.problems,
    seconds: Math.round((Date.now() - started) / 1000),
  };
  log(
    `pool: ${kills} SIGKILLs while ${[...workers].join('/')} workers embedded, ${runs} runs, ${expected.length} images: ` +
      (verification.problems.length === 0 ? 'every image indexed exactly once, vectors = rows, integrity ok, no temp files, searches answer' : verification.problems.join('; ')) +
      `; ${differing} vectors differ from one session's`,
  );
}

const SECTIONS: Record<string, () => Promise<void>> = { kills: soakKills, doctor: soakDoctor, rss: soakRss, pool: soakPool };
const chosen = String(args.sections).split(',').filter(Boolean);
for (const name of chosen) if (!SECTIONS[name]) throw new Error(`unknown section ${name}; choose from ${Object.keys(SECTIONS).join(', ')}`);

try {
  // The doctor section links the kill section's photos: it needs that section first.
  if (chosen.includes('doctor') && !chosen.includes('kills')) throw new Error('the doctor section needs the kills section (its photos)');
  for (const name of Object.keys(SECTIONS)) if (chosen.includes(name)) await SECTIONS[name]!();
} finally {
  if (!args.keep && !args.work) rmSync(work, { recursive: true, force: true });
}
summary['failures'] = failures;
process.stdout.write(`${JSON.stringify(summary)}\n`);
log(failures.length === 0 ? 'reliability soak: all checks held' : `reliability soak: ${failures.length} problems`);
process.exitCode = failures.length === 0 ? 0 : 1;
