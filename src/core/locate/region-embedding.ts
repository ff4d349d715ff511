/**
 * Embedding a photo together with its product region (issue 20, capability 1): one pass of the model gives the vector
 * and the saliency map; the map gives the objects in the photo (images/locate.ts), the largest of which is the
 * photo's main box. For a collection that opts in (`regions`), the main box is cut out, embedded once more (plain
 * view), and the unit mean of the photo's and the crop's vectors, both *before* the final power normalisation, is
 * the item's raw vector: one vector per item, so the index does not grow. Measured on grocery-dev
 * (docs/research/same-product.md, README "Product regions"), it costs one more inference and one more decode per
 * photo, which is why it is opt-in.
 */
import type { CropRect } from '../../shared/types.js';
import { cropForModel, decodeForModel, type DecodedImage } from '../images/decode.js';
import { locateObjects, type ObjectBox } from '../images/locate.js';
import type { EmbedTimings, Embedder, ModelInputSpec } from '../models/embedder.js';
import { l2NormalizeInPlace } from '../base/vector-norm.js';
import type { ItemRegion } from '../catalog/regions.repo.js';

/** One photo to embed: the model's input, the oriented photo's size, and how to get the model's input of a region. */
export interface RegionInput {
  pixels: Buffer;
  width: number;
  height: number;
  /** The model's input for a rectangle of the oriented photo. @throws AppError as decoding does. */
  crop(box: CropRect): Promise<Buffer>;
}

export interface RegionEmbedding {
  /** The raw vector to store or search with. */
  vector: Float32Array;
  /** The photo's own vector (what embed() gives): `vector` itself unless averaged. */
  photo: Float32Array;
  /** The objects found in the photo, main first; empty when the embedder cannot localise. */
  objects: ObjectBox[];
  /** True when `vector` is the photo-and-crop average. */
  averaged: boolean;
}

export interface RegionOptions {
  /** Average the main box's crop into the vector (the collection's `regions` setting). */
  cropAverage: boolean;
}

/** Whether `embedder` gives saliency maps, i.e. whether photos embedded by it can be localised. */
export function canLocate(embedder: Embedder): boolean {
  return embedder.embedDetailed !== undefined && embedder.saliency !== undefined;
}

/**
 * Embeds photos with their objects (and, with `cropAverage`, their main box's crop averaged in), in order.
 * An embedder without saliency maps embeds as embed() does: no objects, no average.
 * @throws as Embedder.embed, and AppError from a crop's decode.
 */
export async function embedWithRegions(embedder: Embedder, inputs: readonly RegionInput[], options: RegionOptions, timings?: EmbedTimings): Promise<RegionEmbedding[]> {
  if (inputs.length === 0) return [];
  if (!canLocate(embedder)) {
    const vectors = await embedder.embed(inputs.map((i) => i.pixels), timings);
    return vectors.map((vector) => ({ vector, photo: vector, objects: [], averaged: false }));
  }
  const grid = embedder.saliency!;
  const whole = await embedder.embedDetailed!(
    inputs.map((i) => i.pixels),
    {},
    timings,
  );
  const objects = whole.map((d, i) => locateObjects(d.saliency!, grid, inputs[i]!, embedder.input.resize));
  if (!options.cropAverage) return whole.map((d, i) => ({ vector: d.vector, photo: d.vector, objects: objects[i]!, averaged: false }));
  const cutStart = performance.now();
  const crops = await Promise.all(inputs.map((input, i) => input.crop(objects[i]![0]!)));
  if (timings) timings.preprocessMs += performance.now() - cutStart;
  const cropped = await embedder.embedDetailed!(crops, { views: 'plain' }, timings);
  return whole.map((d, i) => {
    const c = cropped[i]!.unpowered;
    // Without the final signed square root: it flattens the few strong channels that carry a product's print
    // (+1.4 R@1 over the powered mean once a projection is learned, research (a+b+c)).
    const mean = Float32Array.from(d.unpowered, (x, k) => x + c[k]!);
    return { vector: l2NormalizeInPlace(mean), photo: d.vector, objects: objects[i]!, averaged: true };
  });
}

/** A photo the index job decoded (with its detail picture when regions are on). */
export function indexedRegionInput(decoded: DecodedImage, spec: ModelInputSpec): RegionInput {
  return {
    pixels: decoded.pixels,
    width: decoded.width,
    height: decoded.height,
    crop: (box) => {
      if (!decoded.detail) throw new Error('a region crop was asked of a decode made without its detail picture');
      return cropForModel(decoded.detail, decoded.width, decoded.height, box, spec);
    },
  };
}

/**
 * A query photo, or the `region` of it the user cropped (then boxes are relative to that region): a crop is decoded
 * from the file's bytes, exactly as the research's crops were.
 */
export function queryRegionInput(bytes: Buffer, decoded: DecodedImage, spec: ModelInputSpec, options: { region?: CropRect; maxPixels?: number; downscale?: boolean }): RegionInput {
  const { region } = options;
  return {
    pixels: decoded.pixels,
    width: region?.width ?? decoded.width,
    height: region?.height ?? decoded.height,
    crop: async (box) => {
      const crop = region ? { ...box, x: box.x + region.x, y: box.y + region.y } : box;
      return (await decodeForModel(bytes, spec, { crop, ...(options.maxPixels === undefined ? {} : { maxPixels: options.maxPixels }), ...(options.downscale ? { downscale: true } : {}) })).pixels;
    },
  };
}

/** The catalog's record of an embedding's main box (or a copied item's), as a field of a new indexed item. */
export function regionField(r: RegionEmbedding | ItemRegion | undefined): { region?: ItemRegion } {
  if (r === undefined) return {};
  if ('box' in r) return { region: r };
  const main = r.objects[0];
  return main ? { region: { box: main, averaged: r.averaged } } : {};
}
