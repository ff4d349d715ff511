/**
 * The desktop app's engine as electron-vite bundles it (out/main/engine.worker.js), run in plain Node under a stand-in
 * for Electron's utility process: the index job must decode on its worker thread there too. A bundle does not carry
 * the core's images/decode.worker.js beside file-decoder, and the job then silently decodes on the thread that runs
 * inference.
 */
import { fork, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeScene } from '../support/synthetic.js';
import { findPackageRoot } from '../../src/core/models/package-root.js';
import type { Progress } from '../../src/shared/types.js';
import { connectEngine } from '../../src/main/engine-client.js';
import type { WorkerRequest, WorkerResponse } from '../../src/main/worker-protocol.js';
import { openTestEngine, TEST_MODEL, tempDir, type TempDir } from './helpers.js';

const ROOT = findPackageRoot(import.meta.url);
/** More than one index batch (16): a single batch has no inference to overlap, and decodes on the calling thread. */
const PHOTOS = 20;

type Probe = { probe: 'thread-decode'; threadId: number };
const isProbe = (m: unknown): m is Probe => typeof m === 'object' && m !== null && 'probe' in m;

describe('desktop bundle (electron-vite main build, run in plain Node)', () => {
  let bundle: string;
  let tmp: TempDir;
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    // Inside the package: the bundle resolves node_modules and the built-in models by walking up from itself.
    mkdirSync(join(ROOT, '.cache'), { recursive: true });
    bundle = mkdtempSync(join(ROOT, '.cache', 'desktop-bundle-'));
    await promisify(execFile)(process.execPath, [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--outDir', bundle], {
      cwd: ROOT,
    });
    tmp = tempDir('desktop-bundle');
    await Promise.all(Array.from({ length: PHOTOS }, (_, i) => writeScene(join(tmp.path, 'photos', `p${i}.jpg`), i + 1)));
  });

  afterAll(() => {
    child?.kill();
    rmSync(bundle, { recursive: true, force: true });
    tmp?.remove();
  });

  it('the engine worker indexes with its decodes on a worker thread', async () => {
    const probes: Probe[] = [];
    let output = '';
    child = fork(join(bundle, 'main', 'engine.worker.js'), [], {
      cwd: tmp.path,
      execArgv: ['--import', join(ROOT, 'test', 'integration', 'utility-process.preload.mjs')],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child!.once('exit', resolve));
    const proc = child;
    const engine = connectEngine(
      {
        postMessage: (m: WorkerRequest) => proc.send(m),
        onMessage: (listener) => proc.on('message', (m) => (isProbe(m) ? probes.push(m) : listener(m as WorkerResponse))),
      },
      { dataDir: join(tmp.path, 'data'), modelId: TEST_MODEL },
    );
    try {
      await engine.ready;
      await engine.api['library:addFolder']({ collection: 'shop', path: join(tmp.path, 'photos') });
      const finished = new Promise<Progress>((resolve) =>
        engine.events.on('index:onProgress', (p) => {
          if (p.phase === 'done' || p.phase === 'failed' || p.phase === 'cancelled') resolve(p);
        }),
      );
      await engine.api['index:start']({ collection: 'shop' });
      expect((await finished).phase, output).toBe('done');
      const { last } = await engine.api['index:status']({});
      expect(last, output).toMatchObject({ collection: 'shop', indexed: PHOTOS, failed: 0 });
    } finally {
      await engine.close();
    }
    expect(await exited).toBe(0);

    // Every photo was decoded (the job decodes each new file once) and each decode was answered by a worker thread.
    expect(probes.length, output).toBe(PHOTOS);
    expect(probes.every((p) => p.threadId > 0)).toBe(true);
  });

  it('refuses a decode worker file that does not exist rather than decoding on the inference thread', async () => {
    const dataDir = join(tmp.path, 'refused');
    await expect(openTestEngine(dataDir, { decodeWorkerFile: join(bundle, 'no-such-worker.js') })).rejects.toThrow(/decode worker/);
  });
});
