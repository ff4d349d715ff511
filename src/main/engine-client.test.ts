import { describe, expect, it, vi } from 'vitest';
import { createFakeEngine } from '../../test/support/fake-engine';
import { channels, eventNames } from '../shared/api';
import { fnName } from '../shared/bridge';
import { AppError } from '../shared/errors';
import { connectEngine } from './engine-client';
import { serveEngine } from './engine-worker-adapter';
import type { MessageEndpoint, WorkerRequest, WorkerResponse } from './worker-protocol';

/** Two endpoints wired like main and the utility process, with structured cloning in between. */
function pipe() {
  let toWorker: ((m: WorkerRequest) => void) | null = null;
  let toMain: ((m: WorkerResponse) => void) | null = null;
  const sent: WorkerRequest[] = [];
  const main: MessageEndpoint<WorkerResponse, WorkerRequest> = {
    postMessage: (m) => {
      sent.push(m);
      queueMicrotask(() => toWorker?.(structuredClone(m)));
    },
    onMessage: (l) => (toMain = l),
  };
  const worker: MessageEndpoint<WorkerRequest, WorkerResponse> = {
    postMessage: (m) => queueMicrotask(() => toMain?.(structuredClone(m))),
    onMessage: (l) => (toWorker = l),
  };
  return { main, worker, sent };
}

const channel = (name: string) => channels.find((c) => fnName(c) === name)!;

describe('engine in a utility process (tagged-union adapter)', () => {
  it('calls handlers, forwards events and media lookups, and closes', async () => {
    const fake = createFakeEngine({ thumbFile: '/cache/1.webp' });
    const { main, worker, sent } = pipe();
    const onClosed = vi.fn();
    const close = vi.fn(async () => undefined);
    serveEngine(worker, async (init) => {
      expect(init).toEqual({ dataDir: '/data', modelId: 'fast' });
      return { ...fake, close };
    }, onClosed);
    const proxy = connectEngine(main, { dataDir: '/data', modelId: 'fast' });
    await proxy.ready;
    expect(sent[0]).toEqual({ type: 'init', options: { dataDir: '/data', modelId: 'fast' } });

    const stats = await proxy.api[channel('libraryStats')]({} as never);
    expect(stats).toMatchObject({ modelId: 'fake', itemCount: 3 });
    expect(sent.at(-1)).toMatchObject({ type: 'call', channel: channel('libraryStats') });

    await expect(proxy.api[channel('itemsGet')]({ id: 99 } as never)).rejects.toMatchObject({ code: 'ITEM_NOT_FOUND' });
    await expect(proxy.api[channel('itemsGet')]({ id: 99 } as never)).rejects.toBeInstanceOf(AppError);
    expect(await proxy.thumbnail(1, 256)).toEqual({ path: '/cache/1.webp', contentType: 'image/webp' });
    expect(await proxy.imagePath(2)).toBe('/photos/item-2.jpg');

    const seen = vi.fn();
    proxy.events.on(eventNames[0]!, seen);
    const progress = { jobId: 'j', kind: 'index', phase: 'done', done: 2, total: 2, failed: 0, rate: 0, etaSeconds: null } as const;
    fake.emit(eventNames[0]!, progress);
    await vi.waitFor(() => expect(seen).toHaveBeenCalledWith(progress));

    await proxy.close();
    expect(close).toHaveBeenCalledTimes(1);
    expect(onClosed).toHaveBeenCalledTimes(1);
  });

  it('reports an engine that fails to open, and fails pending calls when the process dies', async () => {
    const { main, worker } = pipe();
    serveEngine(worker, async () => {
      throw new AppError('DATA_DIR_LOCKED', 'locked');
    }, () => undefined);
    const proxy = connectEngine(main, { dataDir: '/data' });
    await expect(proxy.ready).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });

    const { main: main2 } = pipe(); // nobody answers on this one
    const orphan = connectEngine(main2, { dataDir: '/data' });
    const pending = orphan.imagePath(1);
    orphan.fail({ code: 'INTERNAL', message: 'The engine process stopped.' });
    await expect(pending).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
