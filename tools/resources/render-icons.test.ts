/** resources/: the committed PNGs are the SVG's rendering, and the desktop entry launches and finds them. */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ICON_SIZES, iconPath, renderIcon, resourcesDir } from './render-icons.js';

async function rgba(png: Buffer): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

describe('resources/icons', () => {
  it.each(ICON_SIZES)('holds the SVG rendered at %i pixels (run `npm run build:icons` after editing icon.svg)', async (size) => {
    const committed = await rgba(await readFile(iconPath(size)));
    const fresh = await rgba(await renderIcon(await readFile(join(resourcesDir(), 'icon.svg')), size));
    expect([committed.width, committed.height]).toEqual([size, size]);
    let worst = 0;
    for (let i = 0; i < fresh.data.length; i++) worst = Math.max(worst, Math.abs(fresh.data[i]! - committed.data[i]!));
    // Exact with the locked sharp; the slack only absorbs another libvips build's antialiasing.
    expect(worst).toBeLessThanOrEqual(8);
  });
});

describe('resources/lookalike.desktop', () => {
  const entry = async () => {
    const text = await readFile(join(resourcesDir(), 'lookalike.desktop'), 'utf8');
    const lines = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(lines[0]).toBe('[Desktop Entry]');
    return new Map(lines.slice(1).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  };

  it('is an application entry with every key a launcher needs', async () => {
    const e = await entry();
    expect(e.get('Type')).toBe('Application');
    expect(e.get('Name')).toBe('Lookalike');
    expect(e.get('Terminal')).toBe('false');
    expect(e.get('Categories')).toMatch(/;$/);
    for (const key of e.keys()) expect(key).toMatch(/^[A-Za-z0-9-]+(\[[A-Za-z_@]+\])?$/);
    // The freedesktop validator where it is installed (.ci/run installs it): silent means valid.
    const validate = spawnSync('desktop-file-validate', [join(resourcesDir(), 'lookalike.desktop')], { encoding: 'utf8' });
    if (validate.error === undefined) expect(`${validate.stdout}${validate.stderr}`.trim()).toBe('');
  });

  it('launches a command the package installs, under the icon name and WM class the app has', async () => {
    const e = await entry();
    const pkg = JSON.parse(await readFile(join(resourcesDir(), '..', 'package.json'), 'utf8')) as { name: string; bin: Record<string, string> };
    const command = e.get('Exec')!.split(' ')[0]!;
    expect(pkg.bin[command], `Exec=${command} is not a bin of package.json`).toBe('scripts/start.mjs');
    // Icon theme name: the hicolor PNGs are installed as lookalike.png; Electron's WM class is the package name.
    expect(e.get('Icon')).toBe(pkg.name);
    expect(e.get('StartupWMClass')).toBe(pkg.name);
  });
});
