/**
 * Synthetic "product photos" for tests, the demo and benchmarks (no photo set needed): each seed draws a
 * distinct scene of coloured shapes on a tinted background, so embeddings of different seeds differ clearly and
 * a scene stays recognisable after resizing, recompression or cropping.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import sharp, { type Sharp } from 'sharp';

function rng(seed: number): () => number {
  let s = (seed * 2654435761) >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 0x100000000;
  };
}

const colour = (r: () => number) => `rgb(${Math.floor(r() * 256)},${Math.floor(r() * 256)},${Math.floor(r() * 256)})`;

/** An SVG scene of `width × height` for `seed`: a gradient backdrop, textured and solid shapes, outlines, soft edges. */
export function sceneSvg(seed: number, width = 320, height = 240, options: { crisp?: boolean } = {}): string {
  const r = rng(seed);
  const defs: string[] = [
    `<linearGradient id="bg" gradientTransform="rotate(${Math.floor(r() * 180)} 0.5 0.5)"><stop offset="0" stop-color="${colour(r)}"/><stop offset="1" stop-color="${colour(r)}"/></linearGradient>`,
  ];
  // Textures (stripes, dots, checks) at seed-specific scales and angles: what mid-level CNN features key on.
  for (let t = 0; t < 3; t++) {
    const size = 4 + Math.floor(r() * 18);
    const [a, b] = [colour(r), colour(r)];
    const kind = Math.floor(r() * 3);
    const body =
      kind === 0
        ? `<rect width="${size}" height="${size}" fill="${a}"/><rect width="${size / 2}" height="${size}" fill="${b}"/>`
        : kind === 1
          ? `<rect width="${size}" height="${size}" fill="${a}"/><circle cx="${size / 2}" cy="${size / 2}" r="${size / 4}" fill="${b}"/>`
          : `<rect width="${size}" height="${size}" fill="${a}"/><rect width="${size / 2}" height="${size / 2}" fill="${b}"/><rect x="${size / 2}" y="${size / 2}" width="${size / 2}" height="${size / 2}" fill="${b}"/>`;
    defs.push(
      `<pattern id="t${t}" width="${size}" height="${size}" patternUnits="userSpaceOnUse" patternTransform="rotate(${Math.floor(r() * 90)})">${body}</pattern>`,
    );
  }
  const shapes: string[] = [];
  const n = 5 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const x = r() * width;
    const y = r() * height;
    const s = (0.15 + r() * 0.4) * Math.min(width, height);
    const fill = r() < 0.5 ? `url(#t${Math.floor(r() * 3)})` : colour(r);
    const stroke = r() < 0.5 ? ` stroke="${colour(r)}" stroke-width="${1 + Math.floor(r() * 6)}"` : '';
    switch (Math.floor(r() * 4)) {
      case 0:
        shapes.push(`<circle cx="${x}" cy="${y}" r="${s / 2}" fill="${fill}"${stroke}/>`);
        break;
      case 1:
        shapes.push(
          `<rect x="${x - s / 2}" y="${y - s / 3}" width="${s}" height="${(s * 2) / 3}" fill="${fill}"${stroke} transform="rotate(${Math.floor(r() * 90)} ${x} ${y})"/>`,
        );
        break;
      case 2:
        shapes.push(`<polygon points="${x},${y - s / 2} ${x + s / 2},${y + s / 2} ${x - s / 2},${y + s / 2}" fill="${fill}"${stroke}/>`);
        break;
      default:
        for (let k = 0; k < 5; k++) {
          shapes.push(`<line x1="${x - s}" y1="${y + k * 8}" x2="${x + s}" y2="${y + k * 8 - s / 3}" stroke="${colour(r)}" stroke-width="${2 + Math.floor(r() * 4)}"/>`);
        }
    }
  }
  // Soft edges, as a lens gives: razor-sharp flat shapes would make JPEG blocking dominate what a model sees.
  const soft = (Math.min(width, height) / 120).toFixed(2);
  defs.push(`<filter id="soft" x="-10%" y="-10%" width="120%" height="120%"><feGaussianBlur stdDeviation="${soft}"/></filter>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs>${defs.join('')}</defs><rect width="100%" height="100%" fill="url(#bg)"/><g${options.crisp ? '' : ' filter="url(#soft)"'}>${shapes.join('')}</g></svg>`;
}

/**
 * The scene as a sharp pipeline (callers pick the output format). `crisp` leaves out the soft edges: local-feature
 * tests need the corners a real photo has (a soft scene gives ORB a dozen keypoints, a photo hundreds).
 */
export function scene(seed: number, width = 320, height = 240, options: { crisp?: boolean } = {}): Sharp {
  return sharp(Buffer.from(sceneSvg(seed, width, height, options)));
}

/** Writes the scene as a JPEG (default) or PNG file, creating folders. */
export async function writeScene(path: string, seed: number, options: { width?: number; height?: number } = {}): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const img = scene(seed, options.width, options.height);
  await (path.endsWith('.png') ? img.png() : img.jpeg({ quality: 90 })).toFile(path);
}

/** A 2×2 collage of four scenes (each `w × h`), returned as JPEG bytes. */
export async function collage(seeds: [number, number, number, number], w = 320, h = 240): Promise<Buffer> {
  const tiles = await Promise.all(seeds.map((s) => scene(s, w, h).png().toBuffer()));
  return sharp({ create: { width: 2 * w, height: 2 * h, channels: 3, background: '#ffffff' } })
    .composite(tiles.map((input, i) => ({ input, left: (i % 2) * w, top: Math.floor(i / 2) * h })))
    .jpeg({ quality: 92 })
    .toBuffer();
}

/**
 * A "product shot": the scene of `seed` (the product) on a plain background, at `box` of a `width × height` photo,
 * as JPEG bytes. Where the product is, is known: what localisation tests check a located box against.
 */
export async function productOnPlain(
  seed: number,
  box: { x: number; y: number; width: number; height: number },
  options: { width?: number; height?: number; background?: string } = {},
): Promise<Buffer> {
  const product = await scene(seed, box.width, box.height).png().toBuffer();
  return sharp({ create: { width: options.width ?? 480, height: options.height ?? 480, channels: 3, background: options.background ?? '#f2f2f0' } })
    .composite([{ input: product, left: box.x, top: box.y }])
    .jpeg({ quality: 90 })
    .toBuffer();
}
