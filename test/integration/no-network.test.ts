/**
 * No network access unless the user asks to download a model: the CLI runs index, search, import (CSV), ocr,
 * dupes, match, models use, eval, stats, errors, doctor and forget in child processes whose every network entry point (sockets, TLS, HTTP(S), DNS, UDP,
 * fetch) records the attempt and fails; the record must stay empty. A self-test first proves that the stubs
 * catch each kind of attempt.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/cli-process.js';
import { writeScene } from '../support/synthetic.js';
import { ensureBuiltCli } from './built-cli.js';
import { TEST_MODEL, tempDir, type TempDir } from './helpers.js';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PRELOAD = fileURLToPath(new URL('./no-network.preload.mjs', import.meta.url));
let tmp: TempDir;
let record: string;

const attempts = (): { what: string; detail: string }[] =>
  existsSync(record) ? readFileSync(record, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];

beforeAll(async () => {
  tmp = tempDir('no-network');
  record = join(tmp.path, 'network-attempts.jsonl');
  await ensureBuiltCli();
});
afterAll(() => tmp?.remove());

describe('no network access', () => {
  it('the stubs record and fail every kind of attempt (self-test)', () => {
    const script = join(tmp.path, 'try-network.mjs');
    writeFileSync(
      script,
      `import net from 'node:net'; import { connect } from 'node:net'; import tls from 'node:tls'; import http from 'node:http';
       import https from 'node:https'; import dns from 'node:dns'; import dgram from 'node:dgram';
       const tries = [
         () => new net.Socket().connect(80, '127.0.0.1'), () => connect(80, '127.0.0.1'), () => tls.connect(443, 'example.com'),
         () => http.get('http://example.com/'), () => https.request('https://example.com/'), () => dgram.createSocket('udp4'),
         () => dns.lookup('example.com', () => {}), () => dns.promises.resolve4('example.com').catch(() => {}),
         () => fetch('https://example.com/').catch(() => {}),
       ];
       for (const t of tries) { try { t(); } catch {} }
       setTimeout(() => {}, 50);`,
    );
    spawnSync(process.execPath, ['--import', PRELOAD, script], { env: { ...process.env, LOOKALIKE_NET_RECORD: record } });
    expect(new Set(attempts().map((a) => a.what))).toEqual(
      new Set(['net.Socket.connect', 'net.connect', 'tls.connect', 'http.get', 'https.request', 'dgram.createSocket', 'dns.lookup', 'dns.promises.resolve4', 'fetch']),
    );
    rmSync(record);
  });

  it('indexes, searches, finds duplicates, matches and maintains without attempting a connection', async () => {
    const ours = Array.from({ length: 10 }, (_, i) => join(tmp.path, 'ours', `o${i}.jpg`));
    const theirs = Array.from({ length: 6 }, (_, i) => join(tmp.path, 'theirs', `t${i}.jpg`));
    await Promise.all([...ours.map((p, i) => writeScene(p, 1200 + i)), ...theirs.map((p, i) => writeScene(p, 1200 + i * 2))]);
    const data = join(tmp.path, 'data');
    const run = (...args: string[]) =>
      runCli(['--data', data, ...args], { imports: [PRELOAD], env: { LOOKALIKE_NET_RECORD: record } });
    const commands: string[][] = [
      ['--model', TEST_MODEL, 'index', join(tmp.path, 'ours'), '-c', 'ours'],
      ['index', join(tmp.path, 'theirs'), '-c', 'theirs'],
      ['search', ours[3]!, '-k', '3', '--json'],
      ['stats', '--json'],
      ['errors'],
      ['doctor'],
    ];
    if (existsSync(fileURLToPath(new URL('../../src/cli/commands/dupes.command.ts', import.meta.url)))) commands.push(['dupes', '--json']);
    if (existsSync(fileURLToPath(new URL('../../src/cli/commands/match.command.ts', import.meta.url)))) {
      commands.push(['match', '--ours', 'ours', '--theirs', 'theirs', '--json']);
    }
    const csv = join(tmp.path, 'products.csv');
    writeFileSync(csv, `sku,title,image\n${ours.map((p, i) => `A-${i},Shirt ${i},${basename(p)}`).join('\n')}\n`);
    const labeled = join(tmp.path, 'labeled');
    await Promise.all(Array.from({ length: 6 }, (_, i) => writeScene(join(labeled, `label${i % 2}`, `l${i}.jpg`), 1300 + i)));
    commands.push(
      ['import', csv, '-c', 'ours'],
      ['ocr', '-c', 'theirs', '--enable'],
      ['models', 'use', 'accurate'],
      ['--model', TEST_MODEL, 'eval', labeled, '--near-dup', '2', '--kinds', 'resize'],
    );
    commands.push(['forget', 'theirs']);
    for (const args of commands) {
      const r = await run(...args);
      expect({ args, code: r.code, stderr: r.code === 0 ? '' : r.stderr }).toEqual({ args, code: 0, stderr: '' });
    }
    expect(attempts()).toEqual([]);
  });
});
