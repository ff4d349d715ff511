/**
 * `lookalike doctor [--repair]` on a data folder damaged in every way it checks: a corrupt SQLite index, a
 * missing, an unreadable and a stray vector index file, orphan and stale thumbnails, a dead process's temp file
 * and lock, a catalogued photo deleted, a root folder gone. Repair rebuilds what can be rebuilt and reports what
 * cannot; after the user acts on the rest, the folder is healthy again.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-run.js';
import type { DoctorCheck, DoctorReport } from '../../src/core/doctor/doctor.js';
import { toServedEngine } from '../../src/core/app/host/served-engine.js';
import { writeScene } from '../support/synthetic.js';
import { TEST_MODEL, openTestEngine, tempDir, type TempDir } from './helpers.js';

let tmp: TempDir;

async function doctor(data: string, ...flags: string[]): Promise<{ code: number; report: DoctorReport; byId: Map<DoctorCheck['id'], DoctorCheck> }> {
  const { code, stdout } = await runCli(['--data', data, 'doctor', '--json', ...flags]);
  const report = JSON.parse(stdout) as DoctorReport;
  return { code, report, byId: new Map(report.checks.map((c) => [c.id, c])) };
}

const statuses = (byId: Map<string, DoctorCheck>) => Object.fromEntries([...byId].map(([id, c]) => [id, c.status]));

/** A pid that surely belongs to no running process: one that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '0']).pid!;
}

/** Flips a byte of one key inside the `items_hash` index page, so the index disagrees with its table. */
function corruptHashIndex(file: string): void {
  const db = new Database(file);
  const page = db.pragma('page_size', { simple: true }) as number;
  const root = db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'items_hash'").pluck().get() as number;
  const hash = db.prepare('SELECT hash FROM items WHERE hash IS NOT NULL LIMIT 1').pluck().get() as Buffer;
  db.close();
  const fd = openSync(file, 'r+');
  try {
    const buf = Buffer.alloc(page);
    readSync(fd, buf, 0, page, (root - 1) * page);
    const at = buf.indexOf(hash);
    if (at < 0) throw new Error('hash not found in the index page');
    buf[at + 16] = buf[at + 16]! ^ 0xff;
    writeSync(fd, buf, 0, page, (root - 1) * page);
  } finally {
    closeSync(fd);
  }
}

beforeAll(() => {
  tmp = tempDir('doctor');
});
afterAll(() => tmp?.remove());

describe('lookalike doctor', () => {
  it('finds every kind of damage, repairs what can be rebuilt and reports the rest', async () => {
    const data = join(tmp.path, 'data');
    const shop = Array.from({ length: 12 }, (_, i) => join(tmp.path, 'shop', `s${i}.jpg`));
    const rival = Array.from({ length: 6 }, (_, i) => join(tmp.path, 'rival', `r${i}.jpg`));
    await Promise.all([...shop, ...rival].map((p, i) => writeScene(p, 700 + i)));
    await writeScene(join(tmp.path, 'gone', 'g.jpg'), 799);

    const engine = await openTestEngine(data);
    engine.library.addFolder('shop', join(tmp.path, 'shop'));
    engine.library.addFolder('rival', join(tmp.path, 'rival'));
    engine.library.addFolder('gone', join(tmp.path, 'gone'));
    await engine.indexer.run();
    const served = toServedEngine(engine);
    const thumbs = await Promise.all([1, 2, 3].map((id) => served.thumbnail(id, 256)));
    const shopId = engine.catalog.collections.require('shop').id;
    const rivalId = engine.catalog.collections.require('rival').id;
    const store = engine.model.vectors()!;
    const shopIndex = store.fileOf(shopId);
    const rivalIndex = store.fileOf(rivalId);
    await engine.close();

    expect((await doctor(data)).report.healthy).toBe(true);

    // The damage.
    corruptHashIndex(join(data, 'catalog.sqlite'));
    rmSync(shopIndex);
    writeFileSync(rivalIndex, 'not an index');
    writeFileSync(join(data, rivalIndex.replace(/.*vectors-c\d+-/, 'vectors-c99-')), 'stray');
    const thumbDir = join(thumbs[0]!.path, '..');
    writeFileSync(join(thumbDir, '999999-deadbeefdeadbeef.webp'), 'orphan');
    writeFileSync(join(thumbDir, '1-0000000000000000.webp'), 'stale content key');
    writeFileSync(join(thumbDir, `2-abc.webp.${deadPid()}.tmp`), 'half a thumbnail');
    writeFileSync(join(data, 'index.lock'), JSON.stringify({ pid: deadPid(), host: hostname(), purpose: 'index', since: 'yesterday' }));
    rmSync(shop[3]!);
    rmSync(join(tmp.path, 'gone'), { recursive: true });

    const found = await doctor(data);
    expect(found.code).toBe(1);
    expect(statuses(found.byId)).toEqual({
      lock: 'problem',
      integrity: 'problem',
      invariants: 'ok',
      vectors: 'problem',
      thumbnails: 'problem',
      'temp-files': 'problem',
      roots: 'unrepairable',
      files: 'unrepairable',
      failed: 'ok',
      pending: 'ok',
    });
    expect(found.byId.get('vectors')!.count).toBe(3);
    expect(found.byId.get('vectors')!.details.join('\n')).toMatch(/rival: the index is unreadable[\s\S]*shop: the index is missing[\s\S]*vectors-c99-/);
    expect(found.byId.get('thumbnails')!.count).toBe(2);
    expect(found.byId.get('files')!.details[0]).toBe(`shop: ${shop[3]}`);
    expect(found.byId.get('roots')!.details[0]).toContain(join(tmp.path, 'gone'));

    const repaired = await doctor(data, '--repair');
    expect(repaired.code).toBe(1);
    expect(statuses(repaired.byId)).toMatchObject({
      lock: 'repaired',
      integrity: 'repaired',
      vectors: 'repaired',
      thumbnails: 'repaired',
      'temp-files': 'repaired',
      roots: 'unrepairable',
      files: 'unrepairable',
    });
    expect(readdirSync(thumbDir).sort()).toEqual(thumbs.map((t) => t.path.slice(thumbDir.length + 1)).sort());
    expect(readdirSync(data).filter((f) => /vectors-c99-|\.tmp|index\.lock/.test(f))).toEqual([]);

    const after = await doctor(data);
    expect(Object.entries(statuses(after.byId)).filter(([, s]) => s !== 'ok')).toEqual([
      ['roots', 'unrepairable'],
      ['files', 'unrepairable'],
    ]);

    // What only the user can decide: forget the collection whose folder is gone, let `index` drop the deleted photo.
    expect((await runCli(['--data', data, 'forget', 'gone'])).code).toBe(0);
    expect((await runCli(['--data', data, '--model', TEST_MODEL, 'index', '-c', 'shop'])).code).toBe(0);
    const healthy = await doctor(data);
    expect(healthy.code).toBe(0);
    expect(healthy.report.healthy).toBe(true);
  });
});
