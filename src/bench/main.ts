/**
 * `npm run bench [-- SECTION... [section options]]`: one entry point for every benchmark. Each section is its own
 * script (so it can also run alone with its own options); this runner starts them one after another in child
 * processes, so one section's memory and native threads never skew the next one's figures.
 *
 *   npm run bench                       list the sections
 *   npm run bench -- dedupe-match       run one section (options after the name go to that section)
 *   npm run bench -- all                run every section with its defaults
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  reliability: {
    script: 'reliability.js',
    what: 'SIGKILL soak of `lookalike index`, peak RSS on hostile files, doctor timings',
  },
  categories: {
    script: 'category-suggest.js',
    what: 'category-suggestion accuracy and coverage (hide 20% of labelled photos)',
  },
  ocr: { script: 'ocr.js', what: 'OCR character accuracy (English, Chinese) and images/s on rendered text' },
};

const here = dirname(fileURLToPath(import.meta.url));

function usage(): void {
  console.log('usage: npm run bench -- <section|all> [section options]\n\nsections:');
  for (const [name, s] of Object.entries(SECTIONS)) console.log(`  ${name.padEnd(14)} ${s.what}`);
}

function run(name: string, args: string[]): number {
  const section = SECTIONS[name];
  if (!section) {
    console.error(`bench: unknown section "${name}"`);
    usage();
    return 2;
  }
  const script = join(here, section.script);
  if (!existsSync(script)) {
    console.error(`bench: ${script} is missing; run \`npm run build:core\` first`);
    return 1;
  }
  console.log(`\n=== bench: ${name} ===`);
  const child = spawnSync(process.execPath, [script, ...args], { stdio: 'inherit' });
  return child.status ?? 1;
}

const [first, ...rest] = process.argv.slice(2);
if (!first || first === '--help' || first === '-h') {
  usage();
} else if (first === 'all') {
  let worst = 0;
  for (const name of Object.keys(SECTIONS)) worst = Math.max(worst, run(name, []));
  process.exitCode = worst;
} else {
  process.exitCode = run(first, rest);
}
