/**
 * Matching our collection against a competitor's, end to end on the real `fast` model: verdicts for copies,
 * gap lists, one-to-one assignment, decisions kept across a restart, CSV export, and the CLI contract.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../support/cli-run.js';
import type { Engine } from '../../src/core/app/engine.js';
import type { MatchResult } from '../../src/core/match/match.service.js';
import { alterImage } from '../../src/core/eval/alterations.js';
import { scene } from '../support/synthetic.js';
import { openTestEngine, TEST_MODEL, tempDir, type TempDir } from './helpers.js';
import { rawDatabase } from '../../src/core/catalog/raw-database.js';

describe('match (real model and catalog)', () => {
  let tmp: TempDir;
  let engine: Engine;
  let data: string;
  const ours = (n: number) => join(tmp.path, 'ours', `ours${n}.jpg`);
  const theirs = (name: string) => join(tmp.path, 'theirs', name);
  const oddName = 'we,ird "name".jpg';

  beforeAll(async () => {
    tmp = tempDir('match');
    data = join(tmp.path, 'data');
    mkdirSync(join(tmp.path, 'ours'));
    mkdirSync(join(tmp.path, 'theirs'));
    const src = await Promise.all([0, 1, 2, 3, 4].map((i) => scene(700 + i, 480, 360).jpeg({ quality: 92 }).toBuffer()));
    src.forEach((b, i) => writeFileSync(ours(i), b));
    // Their copies of ours 0..2, an identical file of ours 3 under an awkward name, and products we do not have.
    writeFileSync(theirs('copy0.jpg'), (await alterImage(src[0]!, 'resize')).data);
    writeFileSync(theirs('copy1.jpg'), (await alterImage(src[1]!, 'crop')).data);
    writeFileSync(theirs('copy2.jpg'), (await alterImage(src[2]!, 'watermark')).data);
    copyFileSync(ours(3), theirs(oddName));
    for (const i of [0, 1, 2]) writeFileSync(theirs(`other${i}.jpg`), await scene(800 + i, 480, 360).jpeg().toBuffer());

    engine = await openTestEngine(data);
    await engine.api['library:addFolder']({ collection: 'ours', path: join(tmp.path, 'ours') });
    await engine.api['library:addFolder']({ collection: 'theirs', path: join(tmp.path, 'theirs') });
    await engine.indexer.run();
  });

  afterAll(async () => {
    await engine?.close();
    tmp?.remove();
  });

  const row = (r: MatchResult, path: string) => r.rows.find((x) => x.ours.path === path)!;
  const idOf = (path: string) => rawDatabase(engine.catalog).prepare('SELECT id FROM items WHERE path = ?').pluck().get(path) as number;

  it('finds each copy first with a `same` verdict and lists what each side lacks', async () => {
    const r = await engine.match.run({ ours: 'ours', theirs: 'theirs' });
    expect(r.rows.map((x) => x.ours.path).sort()).toEqual([0, 1, 2, 3, 4].map(ours).sort());
    expect(row(r, ours(0)).matches[0]).toMatchObject({ item: { path: theirs('copy0.jpg') }, verdict: 'same', decision: null });
    expect(row(r, ours(1)).matches[0]).toMatchObject({ item: { path: theirs('copy1.jpg') }, verdict: 'same' });
    expect(row(r, ours(2)).matches[0]).toMatchObject({ item: { path: theirs('copy2.jpg') }, verdict: 'same' });
    expect(row(r, ours(3)).matches[0]).toMatchObject({ item: { path: theirs(oddName) }, verdict: 'same' });
    expect(row(r, ours(4)).matches.some((m) => m.verdict === 'same')).toBe(false);
    // Metadata for a side-by-side look.
    expect(row(r, ours(0)).matches[0]!.item).toMatchObject({ width: 192, height: 144, format: 'jpeg', collection: 'theirs' });
    // The gap lists are exactly the items without a `same` match: a lookalike is not the product (issue 20).
    const sameOf = (x: MatchResult['rows'][number]) => x.matches.filter((m) => m.verdict === 'same');
    expect(r.unmatchedOurs.map((i) => i.path).sort()).toEqual(r.rows.filter((x) => sameOf(x).length === 0).map((x) => x.ours.path).sort());
    expect(r.unmatchedOurs.map((i) => i.path)).toContain(ours(4));
    const matchedTheirs = new Set(r.rows.flatMap((x) => sameOf(x).map((m) => m.item.path)));
    for (const t of r.unmatchedTheirs) expect(matchedTheirs.has(t.path)).toBe(false);
    for (const copy of ['copy0.jpg', 'copy1.jpg', 'copy2.jpg', oddName]) expect(r.unmatchedTheirs.map((i) => i.path)).not.toContain(theirs(copy));
    expect(r.thresholds.modelId).toMatch(/^fast@/);
  });

  it('assigns one-to-one: each item of theirs serves at most one of ours', async () => {
    const r = await engine.match.run({ ours: 'ours', theirs: 'theirs', oneToOne: true });
    const used = r.rows.flatMap((x) => x.matches.map((m) => m.item.path));
    expect(new Set(used).size).toBe(used.length);
    expect(r.rows.every((x) => x.matches.length <= 1)).toBe(true);
    expect(row(r, ours(0)).matches[0]?.item.path).toBe(theirs('copy0.jpg'));
  });

  it('keeps accept / reject decisions, also after a restart', async () => {
    const before = await engine.match.run({ ours: 'ours', theirs: 'theirs' });
    const top = row(before, ours(0)).matches[0]!;
    expect(engine.match.setDecision(row(before, ours(0)).ours.id, top.item.id, 'rejected')).toBe('rejected');
    // An accepted pair is a match whatever the scores say.
    engine.match.setDecision(idOf(ours(4)), idOf(theirs('other0.jpg')), 'accepted');
    await engine.close();
    engine = await openTestEngine(data);
    const after = await engine.match.run({ ours: 'ours', theirs: 'theirs' });
    const rejected = row(after, ours(0)).matches.find((m) => m.item.path === theirs('copy0.jpg'));
    expect(rejected?.decision).toBe('rejected');
    // A rejected match sorts after every other match, and no longer counts: ours(0) is a gap when it was its only one.
    const list = row(after, ours(0)).matches;
    expect(list.at(-1)!.item.path).toBe(theirs('copy0.jpg'));
    expect(after.unmatchedOurs.map((i) => i.path).includes(ours(0))).toBe(list.length === 1);
    expect(row(after, ours(4)).matches[0]).toMatchObject({ item: { path: theirs('other0.jpg') }, decision: 'accepted' });
    expect(after.unmatchedOurs.map((i) => i.path)).not.toContain(ours(4));
    // The CLI leaves rejected matches out.
    const json = await cli(['--data', data, 'match', '--ours', 'ours', '--theirs', 'theirs', '--json']);
    const line = json.lines.map((l) => JSON.parse(l) as { ours: string; matches: { path: string }[] }).find((l) => l.ours === ours(0))!;
    expect(line.matches.map((m) => m.path)).not.toContain(theirs('copy0.jpg'));
    // Forgetting the decision brings the match back.
    engine.match.setDecision(row(after, ours(0)).ours.id, rejected!.item.id, null);
    expect(row(await engine.match.run({ ours: 'ours', theirs: 'theirs' }), ours(0)).matches[0]!.item.path).toBe(theirs('copy0.jpg'));
  });

  it('exports CSV for spreadsheets: BOM, CRLF, RFC 4180 quoting, both gap lists, product data', async () => {
    // Their product data names copy0.jpg: it travels with the match and into the CSV (a formula-like title too).
    await engine.api['catalog:importCsv']({
      collection: 'theirs',
      source: { kind: 'text', text: 'sku,title,price,image\r\nT-100,=cheap copy,9.5,copy0.jpg\r\n' },
      preview: false,
      previewRows: 10,
    });
    const r = await engine.match.run({ ours: 'ours', theirs: 'theirs' });
    expect(row(r, ours(0)).matches[0]!.item.product).toMatchObject({ sku: 'T-100', title: '=cheap copy', price: 9.5 });
    const { csv, rows } = await engine.match.exportCsv({ ours: 'ours', theirs: 'theirs' });
    expect(csv).toContain(`${theirs('copy0.jpg')},192,144,jpeg,`);
    expect(csv).toContain(",T-100,'=cheap copy,,9.5,");
    expect(csv.startsWith('\uFEFFours_path,ours_width,ours_height,ours_format,ours_bytes,ours_sku,ours_title,')).toBe(true);
    const lines = csv.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(rows).toBe(lines.length - 2);
    expect(csv).toContain(`"${theirs('we,ird ""name"".jpg')}"`);
    const unmatched = (await engine.match.run({ ours: 'ours', theirs: 'theirs' })).unmatchedTheirs;
    for (const t of unmatched) expect(lines.some((l) => l.startsWith(',,,,,,,,,,,') && l.includes(t.path) && l.includes(',none,'))).toBe(true);
    // Over the contract too (what the UI offers as a download).
    expect(await engine.api['match:exportCsv']({ ours: 'ours', theirs: 'theirs', k: 5, oneToOne: false })).toEqual({ csv, rows });
  });

  it('speaks the CLI contract: JSON lines, --csv, exit codes', async () => {
    await engine.close();
    const r = await cli(['--data', data, '--model', TEST_MODEL, 'match', '--ours', 'ours', '--theirs', 'theirs', '--json', '--csv', 'm.csv'], { cwd: tmp.path });
    expect(r.code).toBe(0);
    expect(r.lines).toHaveLength(5);
    for (const l of r.lines) {
      const o = JSON.parse(l) as { ours: string; matches: { path: string; score: number; verdict: string; product?: { sku: string } }[] };
      expect(Object.keys(o)).toEqual(['ours', 'matches']);
      for (const m of o.matches) {
        // Imported product data rides along where there is some (copy0.jpg has a product).
        expect(Object.keys(m)).toEqual(m.path === theirs('copy0.jpg') ? ['path', 'score', 'verdict', 'product'] : ['path', 'score', 'verdict']);
        expect(['same', 'similar']).toContain(m.verdict);
      }
    }
    expect(readFileSync(join(tmp.path, 'm.csv'), 'utf8').startsWith('\uFEFFours_path')).toBe(true);
    const plain = await cli(['--data', data, 'match', '--ours', 'ours', '--theirs', 'theirs']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toMatch(/Ours without a match \(\d+\):/);
    expect(plain.stdout).toMatch(/Theirs without a match \(\d+\):/);
    const same = await cli(['--data', data, 'match', '--ours', 'ours', '--theirs', 'ours']);
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/\(INVALID_INPUT\)/);
    expect((await cli(['--data', data, 'match', '--ours', 'ours'])).code).toBe(2);
    const missing = await cli(['--data', data, 'match', '--ours', 'ours', '--theirs', 'nope']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/COLLECTION_NOT_FOUND/);
    engine = await openTestEngine(data);
  });
});
