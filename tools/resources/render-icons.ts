/**
 * `npm run build:icons`: renders resources/icon.svg into resources/icons/<size>x<size>.png, the sizes a Linux
 * icon theme (hicolor) and the Electron window take. The PNGs are committed, so the app and a desktop install
 * need no build step; render-icons.test.ts fails when they no longer match the SVG.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import { findPackageRoot } from '../../src/core/models/package-root.js';

export const ICON_SIZES = [16, 32, 48, 64, 128, 256, 512] as const;
/** The SVG's own side (its viewBox), rendered at 72 dpi. */
const SVG_SIDE = 512;

export const resourcesDir = (): string => join(findPackageRoot(import.meta.url), 'resources');
export const iconPath = (size: number, dir = resourcesDir()): string => join(dir, 'icons', `${size}x${size}.png`);

/** The icon at `size` pixels, rasterised at that size (sharper than shrinking the 512 one). */
export async function renderIcon(svg: Buffer, size: number): Promise<Buffer> {
  return sharp(svg, { density: (72 * size) / SVG_SIDE })
    .resize(size, size)
    .png({ compressionLevel: 9 })
    .toBuffer();
}

/** Writes every size into `<dir>/icons/`. */
export async function renderIcons(dir = resourcesDir()): Promise<string[]> {
  const svg = await readFile(join(dir, 'icon.svg'));
  await mkdir(join(dir, 'icons'), { recursive: true });
  const written: string[] = [];
  for (const size of ICON_SIZES) {
    await writeFile(iconPath(size, dir), await renderIcon(svg, size));
    written.push(iconPath(size, dir));
  }
  return written;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  renderIcons().then(
    (files) => process.stdout.write(`${files.join('\n')}\n`),
    (err: unknown) => {
      process.stderr.write(`build:icons failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
