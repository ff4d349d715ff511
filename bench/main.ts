/**
 * `npm run bench [-- SECTION... [section options]]`: one entry point for every benchmark. Each section is its own
 * script (so it can also run alone with its own options); this runner starts them one after another in child
 * processes, so one section's memory and native threads never skew the next one's figures.
 *
 *   npm run bench                       list the sections
 *   npm run bench -- dedupe-match       run one section (options after the name go to that section)
 *   npm run bench -- perf [--json]      the performance sections (indexing, search, cold start, dedupe, UI)
 *   npm run bench -- all [--json]       run every section with its defaults
 *
 * With --json, each section prints one JSON object as its last stdout line; perf/all gather them into one.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Section {
  script: string;
  what: string;
}

const SECTIONS: Record<string, Section> = {
  'dedupe-match': {
    script: 'dedupe-match.js',
    what: 'dupes precision/recall per alteration, findimagedupes beside it, match Recall@1 and false-same rate, 10k dupes time',
  },
  'near-dup': {
    script: 'near-dup.js',
    what: 'dupes on 29 alteration kinds and 3 hard negatives (rotations, screenshots, crops, colour variants), held-out half, findimagedupes beside it',
  },
  'dedupe-scale': {
    script: 'dedupe-scale.js',
    what: 'all near-duplicate groups of 10k/30k/100k items: time per stage, growth, precision/recall',
  },
  reliability: {
    script: 'reliability.js',
    what: 'SIGKILL soak of `lookalike index`, peak RSS on hostile files, doctor timings',
  },
  categories: {
    script: 'category-suggest.js',
    what: 'category-suggestion accuracy and coverage (hide 20% of labelled photos)',
  },
  ocr: { script: 'ocr.js', what: 'OCR character accuracy (English, Chinese) and images/s on rendered text' },
  pipeline: {
    script: 'index-pipeline.js',
    what: 'indexing images/s end to end with its stage split and peak RSS, beside raw inference, per built-in model',
  },
  'cold-start': {
    script: 'cold-start.js',
    what: 'createEngine + index open + first query on a 1M-item folder, model load, peak RSS (vs the old index open)',
  },
  'ui-latency': {
    script: 'ui-latency.js',
    what: 'local server: search round-trip and search + first page of thumbnails, as the renderer asks (100k items)',
  },
  'same-product': {
    script: 'same-product.js',
    what: 'store photo → catalog photo / labelled photos on grocery-dev: pooling, localisation, learned projection, ORB re-ranking, calibration',
  },
  search: {
    script: 'search-scale.js',
    what: 'usearch latency/recall/throughput at 10k-1M vectors vs exact search, RAM and disk per vector by quantization',
  },
};

const here = dirname(fileURLToPath(import.meta.url));

/** The performance sections (#6), in the order `perf` runs them: cheapest first. */
const PERF = ['search', 'ui-latency', 'cold-start', 'pipeline', 'dedupe-scale'];

function usage(): void {
  console.log(
    'usage: npm run bench -- <section|perf|all> [section options] [--json]\n\n' +
      '  perf   the performance sections: ' + PERF.join(', ') + '\n' +
      '  all    every section with its defaults\n' +
      '  --json with perf/all: each section runs with --json and one combined JSON object is printed at the end\n\nsections:',
  );
  for (const [name, s] of Object.entries(SECTIONS)) console.log(`  ${name.padEnd(14)} ${s.what}`);
}

/**
 * Runs one section in a child process. With `capture`, the section's stdout is kept (its tables are still shown on
 * stderr) and its last JSON line returned: the section's `--json` result.
 */
function run(name: string, args: string[], capture = false): { status: number; json?: unknown } {
  const section = SECTIONS[name];
  if (!section) {
    console.error(`bench: unknown section "${name}"`);
    usage();
    return { status: 2 };
  }
  const script = join(here, section.script);
  if (!existsSync(script)) {
    console.error(`bench: ${script} is missing; run \`npm run build:core\` first`);
    return { status: 1 };
  }
  (capture ? console.error : console.log)(`\n=== bench: ${name} ===`);
  const child = spawnSync(process.execPath, [script, ...args], {
    stdio: capture ? ['inherit', 'pipe', 'inherit'] : 'inherit',
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const status = child.status ?? 1;
  if (!capture) return { status };
  const lines = (child.stdout ?? '').split('\n');
  const last = [...lines].reverse().find((l) => l.trim().startsWith('{'));
  for (const l of lines) if (l !== last && l.trim() !== '') process.stderr.write(`${l}\n`);
  try {
    return { status, ...(last ? { json: JSON.parse(last) } : {}) };
  } catch {
    return { status };
  }
}

/** Runs several sections one after another; with --json, prints their results as one object. */
function runMany(names: readonly string[], json: boolean): number {
  let worst = 0;
  const results: Record<string, unknown> = {};
  for (const name of names) {
    const r = run(name, json ? ['--json'] : [], json);
    worst = Math.max(worst, r.status);
    results[name] = r.json ?? { failed: true, status: r.status };
  }
  if (json) console.log(JSON.stringify({ machine: { cpus: cpus().length, cpu: cpus()[0]?.model ?? null, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version }, sections: results }));
  return worst;
}

const [first, ...rest] = process.argv.slice(2);
if (!first || first === '--help' || first === '-h') {
  usage();
} else if (first === 'all' || first === 'perf') {
  process.exitCode = runMany(first === 'all' ? Object.keys(SECTIONS) : PERF, rest.includes('--json'));
} else {
  process.exitCode = run(first, rest).status;
}
