/** Small formatting helpers for human-readable CLI output. */

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A cosine score with fixed precision for JSON (six decimals is below the f16 index's resolution). */
export function roundScore(score: number): number {
  return Math.round(score * 1e6) / 1e6;
}

const ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };
// Control characters (C0, DEL, C1), the bidirectional overrides, embeddings and isolates that reorder what
// follows them on a terminal (U+202E shows "gpj.exe" for "exe.jpg"), and the Unicode line separators.
const UNPRINTABLE = /[\p{Cc}\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

/**
 * A path, a name or any text that came from outside (file names, CSV cells, error messages quoting them) for one
 * line of human-readable output: control and bidi characters become visible escapes (`\n`, `\x1b`, `\u202e`),
 * so a file name cannot break a line of `errors` or reverse what a terminal shows. JSON output stays exact.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const code = c.codePointAt(0)!;
    return ESCAPES[c] ?? (code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`);
  });
}
