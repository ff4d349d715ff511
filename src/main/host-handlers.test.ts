import { describe, expect, it, vi } from 'vitest';
import type { BrowserWindow } from 'electron';
import { hostChannels } from '../shared/api';
import { fnName } from '../shared/bridge';
import { createHostHandlers } from './host-handlers';

const byName = (name: string) => hostChannels.find((c) => fnName(c) === name)!;

function setup(picked: { canceled: boolean; filePaths: string[] }) {
  const deps = {
    dialog: { showOpenDialog: vi.fn(async () => picked) },
    shell: { showItemInFolder: vi.fn() },
    engine: { imagePath: vi.fn(async (id: number) => `/catalog/item-${id}.jpg`) },
    window: () => ({}) as BrowserWindow,
  };
  const handlers = createHostHandlers(deps) as Record<string, (input: unknown) => Promise<unknown>>;
  return { deps, call: (name: string, input: unknown) => handlers[byName(name)]!(input) };
}

describe('desktop host operations', () => {
  it('returns the folder chosen in the native picker, or null when cancelled', async () => {
    const chosen = setup({ canceled: false, filePaths: ['/photos'] });
    expect(await chosen.call('hostPickFolder', {})).toEqual({ path: '/photos' });
    expect(chosen.deps.dialog.showOpenDialog).toHaveBeenCalledWith(expect.anything(), expect.objectContaining({ properties: expect.arrayContaining(['openDirectory']) }));
    const cancelled = setup({ canceled: true, filePaths: [] });
    expect(await cancelled.call('hostPickFolder', {})).toEqual({ path: null });
  });

  it('reveals the catalog path of an item id, never a path from the page', async () => {
    const { deps, call } = setup({ canceled: true, filePaths: [] });
    await call('hostShowInFolder', { id: 7 });
    expect(deps.engine.imagePath).toHaveBeenCalledWith(7);
    expect(deps.shell.showItemInFolder).toHaveBeenCalledWith('/catalog/item-7.jpg');
  });
});
