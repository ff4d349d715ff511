/**
 * Page templates and frames seen across a run's local checks. A shop-page template (header, search box, price
 * line, footer) is matched on the same keypoints of a page by every other page built on it; most of those pairs
 * are proven to be no duplicates (the product slot disagrees), but one whose product slot says nothing (a smooth
 * garment, uninformative blocks) would pass on the template alone. Keypoints of a picture that are inliers of
 * at least FRAME_WITNESSES rejected pairs with other pictures are frame, not content: a pair whose inliers lie
 * mostly on frame keypoints has shown only what it shares with many others. A family of copies (one photo and
 * its five edits) does not look like a frame: its pairs are accepted, so they witness nothing.
 */
import type { PairVerification } from '../features/local-features.js';

/**
 * Other pictures that must have matched a keypoint in pairs found not to be duplicates: two, so that with the pair
 * at hand three pictures share the region (one rejected pair alone may be a copy with a sticker the check disliked).
 * Measured on bench/near-dup (tuning half): 1, 2 and 3 drop the same false pairs.
 */
export const FRAME_WITNESSES = 2;
/**
 * Share of a pair's inliers on frame keypoints (of either picture) beyond which the pair is a shared frame.
 * Measured on bench/near-dup (tuning half): pages of different products in one template put 0.83–1.0 of their
 * inliers there, copies 0 (0.3, 0.5 and 0.7 drop the same pairs).
 */
export const FRAME_SHARE = 0.5;

/** Keypoints of each picture (node) that rejected pairs matched, with the other pictures that matched them. */
export class SharedFrames {
  private readonly witnesses = new Map<number, Map<number, Set<number>>>();

  /** Records a pair found not to be a duplicate although its transform is confident. */
  witness(a: number, b: number, v: PairVerification): void {
    this.add(a, b, v.inlierKeypoints.a);
    this.add(b, a, v.inlierKeypoints.b);
  }

  /** Share (0..1) of the pair's inliers on a keypoint of either picture that other pictures' rejected pairs matched. */
  share(a: number, b: number, v: PairVerification): number {
    const ka = v.inlierKeypoints.a;
    const kb = v.inlierKeypoints.b;
    if (ka.length === 0) return 0;
    let framed = 0;
    for (let i = 0; i < ka.length; i++) if (this.isFrame(a, ka[i]!, b) || this.isFrame(b, kb[i]!, a)) framed++;
    return framed / ka.length;
  }

  private isFrame(node: number, keypoint: number, other: number): boolean {
    const by = this.witnesses.get(node)?.get(keypoint);
    if (!by) return false;
    return by.size - (by.has(other) ? 1 : 0) >= FRAME_WITNESSES;
  }

  private add(node: number, other: number, keypoints: Int32Array): void {
    let m = this.witnesses.get(node);
    if (!m) this.witnesses.set(node, (m = new Map()));
    for (const k of keypoints) {
      let s = m.get(k);
      if (!s) m.set(k, (s = new Set()));
      s.add(other);
    }
  }
}
