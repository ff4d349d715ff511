/**
 * This process's peak resident set size in bytes. On Linux from /proc/self/status (VmHWM: this program's own
 * high-water mark), not getrusage's maxrss: the kernel carries maxrss over from before exec, when the forked child
 * still mapped its parent's pages, so a bench parent holding a gigabyte of decoded photos made every child it
 * started report at least that (a 44 MB child of a 600 MB parent reported 636 MB).
 */
import { readFileSync } from 'node:fs';

export function peakRssBytes(): number {
  try {
    const hwm = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (hwm) return Number(hwm[1]) * 1024;
  } catch {
    // Not Linux: getrusage's figure.
  }
  // maxRSS is in kilobytes.
  return process.resourceUsage().maxRSS * 1024;
}
