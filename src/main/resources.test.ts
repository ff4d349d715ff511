import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { APP_ORIGIN } from '../shared/web';
import { appIconPath } from './resources';
import { createMainWindow } from './window';

describe('the window icon', () => {
  it('resolves from the bundled main (out/main) to the committed 512 px PNG', () => {
    const root = join(import.meta.dirname, '..', '..');
    const icon = appIconPath(join(root, 'out', 'main'));
    expect(icon).toBe(join(root, 'resources', 'icons', '512x512.png'));
    expect(existsSync(icon)).toBe(true);
  });

  it('is given to the window', () => {
    const created: { icon?: string }[] = [];
    class FakeWindow {
      webContents = { on: vi.fn(), setWindowOpenHandler: vi.fn() };
      constructor(options: { icon?: string }) {
        created.push(options);
      }
      once = vi.fn();
      loadURL = vi.fn(async () => undefined);
    }
    createMainWindow(FakeWindow as never, { preload: '/p.cjs', url: `${APP_ORIGIN}/index.html`, allowedOrigins: [APP_ORIGIN], icon: '/r/icon.png' });
    expect(created[0]?.icon).toBe('/r/icon.png');
  });
});
