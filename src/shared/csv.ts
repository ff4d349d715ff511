/**
 * CSV for spreadsheets: RFC 4180 quoting (CRLF line ends, fields with a comma, quote or line break quoted and
 * quotes doubled), UTF-8 with a byte-order mark so Excel reads accents, and a guard against formula injection:
 * a text cell that starts with = + - @ (or a tab / carriage return) is prefixed with an apostrophe, as OWASP
 * recommends, so a competitor's file name such as `=HYPERLINK(...)` stays text. Numbers are written as numbers.
 */

export type CsvCell = string | number | boolean | null | undefined;

const BOM = '\uFEFF';
const FORMULA_START = /^[=+\-@\t\r]/;

/** One cell, escaped. */
export function csvCell(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A whole document: header row, then rows; starts with the UTF-8 BOM, lines end with CRLF. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [header.map(csvCell).join(','), ...rows.map((r) => r.map(csvCell).join(','))];
  return `${BOM}${lines.join('\r\n')}\r\n`;
}
