/**
 * `node --import dist/bench/peak-rss.preload.js ...`: writes the process's peak resident set size in bytes to
 * the file named by $LOOKALIKE_PEAK_RSS_FILE when it exits (the kernel's maxrss, so short peaks count too).
 */
import { writeFileSync } from 'node:fs';

const file = process.env['LOOKALIKE_PEAK_RSS_FILE'];
if (file) {
  process.on('exit', () => {
    // maxRSS is in kilobytes.
    writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
  });
}
