/**
 * `node --import build/bench/peak-rss.preload.js ...`: writes the process's peak resident set size in bytes (see
 * peak-rss.ts) to the file named by $LOOKALIKE_PEAK_RSS_FILE when it exits, so short peaks count too.
 */
import { writeFileSync } from 'node:fs';
import { peakRssBytes } from './peak-rss.js';

const file = process.env['LOOKALIKE_PEAK_RSS_FILE'];
if (file) {
  process.on('exit', () => {
    writeFileSync(file, String(peakRssBytes()));
  });
}
