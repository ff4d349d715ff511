/**
 * The catalog owns its SQL: outside src/core/catalog/ no app source opens SQLite, holds its connection or writes a
 * statement; features call the repositories. Tests (and benches, outside src/) may read the raw database through
 * catalog/raw-database.ts to check what was stored independently of the code that stored it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Not yet moved, each with the change that moves it (none left: the re-embed staging has its repository too). */
const PENDING = new Set<string>();

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** What a file does that only the catalog may do, one line each. */
function sqlOutsideCatalog(text: string): string[] {
  const found: string[] = [];
  const rules: [RegExp, string][] = [
    [/(?:from|import)\s*\(?\s*['"]better-sqlite3['"]/, 'imports better-sqlite3'],
    [/(?:from|import)\s*\(?\s*['"][^'"]*catalog\/(?:database|raw-database|migrations\/[^'"]*)(?:\.js)?['"]/, 'imports the catalog’s connection or migrations'],
    [/\.(?:prepare|exec)\(\s*[`'"]/, 'prepares or runs a statement'],
    [/\.pragma\(/, 'runs a pragma'],
    [/\.db\.\w+\(/, 'reaches into a database connection'],
    [/[`'"]\s*(?:SELECT\s[^`'"]*?\bFROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(?:TEMP\s+|VIRTUAL\s+)?(?:TABLE|INDEX|TRIGGER)|VACUUM|REINDEX|PRAGMA)\b/, 'writes SQL'],
  ];
  for (const [re, what] of rules) {
    const m = re.exec(text);
    if (m) found.push(`${what} (line ${text.slice(0, m.index).split('\n').length})`);
  }
  return found;
}

describe('the catalog owns every SQL statement', () => {
  it('finds no SQLite use in src/ outside core/catalog/', () => {
    const bad: string[] = [];
    for (const file of sources(SRC)) {
      const rel = relative(SRC, file).replaceAll('\\', '/');
      if (rel.startsWith('core/catalog/') || PENDING.has(rel)) continue;
      for (const what of sqlOutsideCatalog(readFileSync(file, 'utf8'))) bad.push(`${rel}: ${what}`);
    }
    expect(bad).toEqual([]);
  });

  it('recognises each way of reaching SQLite, and not look-alike calls', () => {
    expect(sqlOutsideCatalog("import Database from 'better-sqlite3';")).toHaveLength(1);
    expect(sqlOutsideCatalog("import type { Db } from '../catalog/database.js';")).toHaveLength(1);
    expect(sqlOutsideCatalog("import { rawDatabase } from '../catalog/raw-database.js';")).toHaveLength(1);
    expect(sqlOutsideCatalog("db.exec('VACUUM');")).toHaveLength(2);
    expect(sqlOutsideCatalog("catalog.db.prepare('SELECT id FROM items').all();")).toHaveLength(3);
    expect(sqlOutsideCatalog("db.pragma('secure_delete = ON');")).toHaveLength(1);
    expect(sqlOutsideCatalog('const sql = `DELETE FROM items WHERE id = ?`;')).toHaveLength(1);
    // A vector index preparing a query, a regex matching a name, and UI text that happens to hold SQL words.
    expect(sqlOutsideCatalog('const q = vectors.prepare(query); const m = FILE_RE.exec(name);')).toEqual([]);
    expect(sqlOutsideCatalog("const tags = ['INPUT', 'TEXTAREA', 'SELECT'];")).toEqual([]);
    expect(sqlOutsideCatalog("import { openCatalog } from '../catalog/catalog.js';")).toEqual([]);
  });
});
