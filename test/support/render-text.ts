/**
 * Test and benchmark images with known text: lines rendered by sharp from SVG (librsvg + fontconfig), so the
 * ground truth is exact. Fonts: DejaVu Sans for Latin text, a CJK font found by fontconfig for Chinese.
 */
import { execFileSync } from 'node:child_process';
import sharp from 'sharp';

export const ENGLISH_LINES: readonly string[] = [
  'Linen summer dress',
  'SALE 49.90 EUR',
  'Organic cotton T-shirt',
  'Waterproof hiking boots',
  'Made in Portugal',
  'Size M / 38',
  'Straw hat with ribbon',
  'Free shipping over $50',
  'Wool blend coat, navy',
  'Slim fit jeans 32x34',
  'Leather belt brown',
  'Running shoes Model X7',
];

export const CHINESE_LINES: readonly string[] = [
  '亚麻连衣裙',
  '限时特价九折',
  '纯棉短袖衬衫',
  '防水登山鞋',
  '产地葡萄牙',
  '草帽配丝带',
  '满五十元包邮',
  '羊毛大衣海军蓝',
];

/** The first font family fontconfig lists for Chinese, or null when none is installed. */
export function findCjkFont(): string | null {
  try {
    const out = execFileSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8', timeout: 10_000 });
    const family = out.split('\n').map((l) => l.split(',')[0]!.trim()).find(Boolean);
    return family ?? null;
  } catch {
    return null;
  }
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * A PNG with `lines` of dark text on a light background, one per row, at varying sizes and offsets chosen by
 * `seed` (deterministic).
 */
export async function renderText(lines: readonly string[], font: string, seed = 0): Promise<Buffer> {
  const size = 28 + (seed % 3) * 6;
  const width = 720;
  const height = 60 + lines.length * Math.round(size * 1.9);
  const rows = lines
    .map(
      (l, i) =>
        `<text x="${30 + ((seed * 7 + i * 13) % 40)}" y="${50 + i * Math.round(size * 1.9)}" font-family="${escapeXml(font)}" font-size="${size}" fill="#${['111', '222', '303050'][(seed + i) % 3]}">${escapeXml(l)}</text>`,
    )
    .join('');
  const bg = ['fff', 'f4f1e8', 'eef3f7'][seed % 3];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="#${bg}"/>${rows}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/**
 * A "packaged good" photo: one carton design (the design of `design`: panel colours, a logo disc, stripes) with
 * its variety printed in large letters, placed by `layout` (0, 1, 2: offsets and scale of the whole carton), as
 * PNG bytes. Two cartons of one design that differ only in `words` look alike to a global vector; their text
 * tells them apart.
 */
export async function cartonPhoto(words: readonly string[], design: number, layout = 0): Promise<Buffer> {
  const palette = [
    ['#1d4f91', '#f4f1e8', '#c8102e'],
    ['#2e7d32', '#fafafa', '#f9a825'],
  ][design % 2]!;
  const [ink, panel, accent] = palette as [string, string, string];
  const scale = [1, 0.92, 1.06][layout % 3]!;
  const dx = [0, 26, -14][layout % 3]!;
  const dy = [0, 18, -10][layout % 3]!;
  const text = words
    .map((w, i) => `<text x="60" y="${250 + i * 70}" font-family="DejaVu Sans" font-weight="bold" font-size="${i === 0 ? 46 : 38}" fill="${ink}">${escapeXml(w)}</text>`)
    .join('');
  const carton =
    `<rect x="30" y="30" width="420" height="420" rx="18" fill="${panel}" stroke="${ink}" stroke-width="6"/>` +
    `<rect x="30" y="30" width="420" height="120" rx="18" fill="${ink}"/>` +
    `<circle cx="370" cy="90" r="44" fill="${accent}"/>` +
    `<text x="60" y="112" font-family="DejaVu Sans" font-weight="bold" font-size="56" fill="${panel}">ARLA</text>` +
    [0, 1, 2].map((i) => `<rect x="30" y="${392 + i * 18}" width="420" height="8" fill="${accent}"/>`).join('') +
    text;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="480"><rect width="100%" height="100%" fill="#e9e6df"/><g transform="translate(${dx} ${dy}) scale(${scale})">${carton}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
