/**
 * App responsiveness: what the renderer waits for after asking for results, against the real local server.
 *
 *   npm run build:core && npm run bench -- ui-latency [--items 100000] [--requests 200] [--page 24] [--json]
 *
 * (or `node build/bench/ui-latency.js ...`; `out/renderer` must exist, as for `lookalike serve`). The data folder is
 * bench-folder.ts's (cached under /tmp/lookalike-bench-cache/cold-<items>/): every item a real JPEG file, linked to
 * one of a few hundred clothes photos. The server is `lookalike serve --data <folder>` in its own process, with its
 * per-run token, on 127.0.0.1; this process is the browser:
 * - `POST api/search:byImage` with `{ image: { kind: 'item', id }, k: 50 }`, the renderer's own request for
 *   "similar to this result" (same headers: JSON body, session cookie, same-origin Origin). A dropped photo sends its
 *   bytes instead and is embedded first; searching by a stored item leaves the embedding out, which the `drop` row
 *   measures separately (the photo's bytes as base64, decoded and embedded by the server);
 * - then the first page's thumbnails, the URLs the results grid builds (`thumb/<id>?size=256` of the first
 *   `--page` hits; 24 fill a 1280×800 window), over at most 6 keep-alive connections as a browser does.
 * Passes, each over the same `--requests` queries (different stored items, spread over the catalog): (a) the search
 * alone; (b) search + thumbnails with none cached (the server renders them on first request and caches them in the
 * data folder: results never shown before); (b) again with all of them cached. Beside each, the server process's
 * CPU time per query (from /proc): on a shared machine wall times include waiting for a core, CPU time does not.
 * Baseline, in the same run: the same search called in-process on an engine (no HTTP, no JSON), to show what the
 * transport adds. Target: p99 ≤ 100 ms.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEngine } from '../src/core/app/engine.js';
import { THUMB_DIR } from '../src/core/thumbs/thumbnails.js';
import { thumbPath } from '../src/shared/web.js';
import { benchFolder } from './bench-folder.js';
import { CLI_BIN } from '../test/support/cli-process.js';
import { formatMs, summarize, type Summary } from './stats.js';

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '100000' },
    requests: { type: 'string', default: '200' },
    page: { type: 'string', default: '24' },
    drops: { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
    cache: { type: 'string' },
  },
});

const log = (line: string) => process.stderr.write(`${line}\n`);

interface Server {
  child: ChildProcess;
  origin: string;
  port: number;
  token: string;
}

/** `lookalike serve` on a free port; resolves once it printed its URL (with the token). */
function startServer(dataDir: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, '--data', dataDir, 'serve'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      const m = /(http:\/\/127\.0\.0\.1:(\d+))\/\?token=([\w-]+)/.exec(out);
      if (m) resolve({ child, origin: m[1]!, port: Number(m[2]), token: m[3]! });
    });
    child.on('error', reject);
    child.on('close', (code) => reject(new Error(`ui-latency: the server exited with ${code}: ${err.slice(-2000)}`)));
  });
}

/** A browser's connection pool towards one host: keep-alive, at most 6 connections. */
const agent = new Agent({ keepAlive: true, maxSockets: 6 });

function fetchBytes(server: Server, method: 'GET' | 'POST', path: string, body?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.origin}/${path}`,
      {
        method,
        agent,
        headers: {
          Cookie: `lookalike_token_${server.port}=${server.token}`,
          'Sec-Fetch-Site': 'same-origin',
          ...(method === 'POST' ? { 'Content-Type': 'application/json', Origin: server.origin, 'Content-Length': Buffer.byteLength(body ?? '') } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`ui-latency: ${method} ${path} answered ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
          else resolve(Buffer.concat(chunks));
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface SearchReply {
  ok: boolean;
  value?: { hits: { id: number }[] };
  error?: { code: string; message: string };
}

async function search(server: Server, image: unknown): Promise<number[]> {
  const reply = JSON.parse((await fetchBytes(server, 'POST', 'api/search%3AbyImage', JSON.stringify({ image, k: 50 }))).toString('utf8')) as SearchReply;
  if (!reply.ok || !reply.value) throw new Error(`ui-latency: search failed: ${JSON.stringify(reply.error)}`);
  return reply.value.hits.map((h) => h.id);
}

interface Timing {
  searchMs: number;
  pageMs: number;
  thumbBytes: number;
}

async function oneQuery(server: Server, itemId: number, page: number): Promise<Timing> {
  const t0 = performance.now();
  const ids = await search(server, { kind: 'item', id: itemId });
  const t1 = performance.now();
  const thumbs = await Promise.all(ids.slice(0, page).map((id) => fetchBytes(server, 'GET', thumbPath(id, 256))));
  const t2 = performance.now();
  return { searchMs: t1 - t0, pageMs: t2 - t0, thumbBytes: thumbs.reduce((s, b) => s + b.length, 0) / Math.max(1, thumbs.length) };
}

const items = Number(args.items);
const requests = Number(args.requests);
const page = Number(args.page);
const drops = Number(args.drops);
if (!Number.isInteger(items) || items < 1000 || !Number.isInteger(requests) || requests < 1 || !(page >= 1 && page <= 50)) {
  throw new Error('ui-latency: --items ≥ 1000, --requests ≥ 1, --page 1..50');
}
const folder = await benchFolder({ items, log, ...(args.cache ? { cacheDir: args.cache } : {}) });
// The cold pass starts without cached thumbnails.
rmSync(join(folder.dataDir, THUMB_DIR), { recursive: true, force: true });
const queries = Array.from({ length: requests }, (_, r) => 1 + Math.floor(((r + 0.5) * (items - 1)) / requests));

// Baseline: the same searches in-process, no transport.
const inProcess: number[] = [];
{
  const engine = await createEngine({ dataDir: folder.dataDir });
  try {
    for (const id of queries.slice(0, 5)) await engine.api['search:byImage']({ image: { kind: 'item', id: id + 1 }, k: 50 });
    for (const id of queries) {
      const t0 = performance.now();
      await engine.api['search:byImage']({ image: { kind: 'item', id }, k: 50 });
      inProcess.push(performance.now() - t0);
    }
  } finally {
    await engine.close();
  }
}

const loadAtStart = loadavg()[0]!;
const server = await startServer(folder.dataDir);
const cold: Timing[] = [];
const warm: Timing[] = [];
const searchOnly: number[] = [];
const drop: number[] = [];
/** The server's CPU time per query of each pass (Linux /proc; undefined elsewhere). */
const cpuPerQuery: Record<string, number | undefined> = {};
const pass = async <T>(name: string, run: () => Promise<T[]>): Promise<T[]> => {
  const before = cpuMsOf(server.child.pid!);
  const out = await run();
  const after = cpuMsOf(server.child.pid!);
  cpuPerQuery[name] = before !== undefined && after !== undefined ? (after - before) / out.length : undefined;
  return out;
};
try {
  // Warm-up: the server's engine opens the index on its first search (cold-start.ts measures that); these items'
  // thumbnails are not fetched.
  for (const id of queries.slice(0, 5)) await search(server, { kind: 'item', id: id + 1 });
  searchOnly.push(
    ...(await pass('search', async () => {
      const out: number[] = [];
      for (const id of queries) {
        const t0 = performance.now();
        await search(server, { kind: 'item', id });
        out.push(performance.now() - t0);
      }
      return out;
    })),
  );
  const pages = async (): Promise<Timing[]> => {
    const out: Timing[] = [];
    for (const id of queries) out.push(await oneQuery(server, id, page));
    return out;
  };
  // The same queries twice: first with no thumbnail cached, then with all of them cached.
  cold.push(...(await pass('cold', pages)));
  warm.push(...(await pass('warm', pages)));
  // A dropped photo: its bytes, decoded and embedded by the server (the model loads on the first one, not counted).
  const photos = folder.sources.map((p) => readFileSync(p).toString('base64'));
  await search(server, { kind: 'bytes', base64: photos[photos.length - 1]! });
  for (let i = 0; i < drops; i++) {
    const t0 = performance.now();
    await search(server, { kind: 'bytes', base64: photos[(i * 7) % photos.length]! });
    drop.push(performance.now() - t0);
  }
} finally {
  server.child.removeAllListeners('close');
  server.child.kill('SIGTERM');
  agent.destroy();
}

const rows: [string, Summary, number | undefined][] = [
  ['in-process search (no HTTP), baseline', summarize(inProcess), undefined],
  ['(a) search round-trip', summarize(searchOnly), cpuPerQuery['search']],
  [`(b) search + first ${page} thumbnails, none cached`, summarize(cold.map((t) => t.pageMs)), cpuPerQuery['cold']],
  [`(b) search + first ${page} thumbnails, cached`, summarize(warm.map((t) => t.pageMs)), cpuPerQuery['warm']],
  ...(drops > 0 ? [[`drop: search by a photo's bytes (+ decode, embed)`, summarize(drop), undefined] as [string, Summary, undefined]] : []),
];
console.log(`\nUI latency, ${items} items, local server on 127.0.0.1, ${requests} queries (k 50, by stored item), thumbnails 256 px`);
console.log(`machine load average (1 min) at start ${loadAtStart.toFixed(1)}, at end ${loadavg()[0]!.toFixed(1)} on ${cpus().length} cores`);
console.log(`${'request'.padEnd(52)} ${'median'.padStart(9)} ${'p99'.padStart(9)} ${'n'.padStart(5)} ${'server CPU/query'.padStart(17)}`);
for (const [label, s, cpu] of rows) {
  console.log(`${label.padEnd(52)} ${formatMs(s.median).padStart(9)} ${formatMs(s.p99).padStart(9)} ${String(s.n).padStart(5)} ${(cpu === undefined ? '' : formatMs(cpu)).padStart(17)}`);
}
console.log(`mean thumbnail size ${(cold.reduce((s, t) => s + t.thumbBytes, 0) / cold.length / 1024).toFixed(1)} KiB`);
console.log(`target p99 ≤ 100 ms: (a) ${formatMs(rows[1]![1].p99)}, (b) none cached ${formatMs(rows[2]![1].p99)}, (b) cached ${formatMs(rows[3]![1].p99)}`);
if (args.json) {
  const out = Object.fromEntries(rows.map(([label, s, cpu]) => [label, { ...s, serverCpuMsPerQuery: cpu ?? null }]));
  console.log(JSON.stringify({ section: 'ui-latency', items, requests, page, loadAverage: { start: loadAtStart, end: loadavg()[0] }, rows: out }));
}

/** User + system CPU milliseconds of a process so far, from /proc (Linux only). */
function cpuMsOf(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) "; in clock ticks (USER_HZ 100).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return undefined;
  }
}
