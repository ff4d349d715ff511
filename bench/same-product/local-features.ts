/**
 * Local-feature geometric verification with OpenCV's WASM build (`@techstark/opencv-js`, Apache-2.0; loaded from
 * a path given on the command line, so the app never depends on it): ORB or AKAZE keypoints, brute-force Hamming
 * matching with Lowe's ratio test, then a RANSAC homography; the inlier count is the evidence that two photos
 * show the same printed surface (packaging, logo), which a global vector cannot give.
 */
import { createRequire } from 'node:module';
import sharp from 'sharp';

/* eslint-disable @typescript-eslint/no-explicit-any -- opencv.js ships no usable types for its emscripten API */
type Cv = any;

export type Detector = 'orb' | 'akaze';

export interface LocalFeatures {
  /** x, y per keypoint. */
  points: Float32Array;
  /** Binary descriptors, `bytes` per keypoint. */
  descriptors: Uint8Array;
  bytes: number;
  count: number;
  ms: number;
}

export interface Verification {
  matches: number;
  inliers: number;
  ms: number;
}

export interface LocalMatcher {
  detector: Detector;
  extract(path: string): Promise<LocalFeatures>;
  verify(a: LocalFeatures, b: LocalFeatures): Verification;
}

/** Loads opencv.js from `modulePath` (its dist/opencv.js) and waits for its runtime. */
export async function loadOpenCv(modulePath: string): Promise<{ cv: Cv }> {
  const req = createRequire(import.meta.url);
  const cv = req(modulePath) as Cv;
  // The emscripten module is itself a thenable whose then() hands back the module: returning it from an async
  // function would unwrap it forever, so it travels boxed.
  if (!cv.Mat) {
    await new Promise<void>((resolve) => {
      cv.onRuntimeInitialized = () => resolve();
    });
  }
  return { cv };
}

export interface MatcherOptions {
  detector: Detector;
  /** Longer side the photo is resized to (up or down) before detection. */
  side?: number;
  maxFeatures?: number;
  ratio?: number;
  /** RANSAC reprojection threshold in pixels. */
  ransacPx?: number;
}

export function createLocalMatcher(cv: Cv, options: MatcherOptions): LocalMatcher {
  const side = options.side ?? 480;
  const ratio = options.ratio ?? 0.8;
  const ransacPx = options.ransacPx ?? 6;
  const detector =
    options.detector === 'orb' ? new cv.ORB(options.maxFeatures ?? 1000) : new cv.AKAZE();
  const matcher = new cv.BFMatcher(cv.NORM_HAMMING, false);
  return {
    detector: options.detector,
    async extract(path) {
      const t0 = performance.now();
      const { data, info } = await sharp(path).rotate().greyscale().resize(side, side, { fit: 'inside' }).raw().toBuffer({ resolveWithObject: true });
      const img = new cv.Mat(info.height, info.width, cv.CV_8UC1);
      img.data.set(data.subarray(0, info.width * info.height));
      const kp = new cv.KeyPointVector();
      const desc = new cv.Mat();
      const none = new cv.Mat();
      try {
        detector.detectAndCompute(img, none, kp, desc);
        const count = kp.size();
        let n = count;
        if (options.detector === 'akaze' && n > (options.maxFeatures ?? 1000)) n = options.maxFeatures ?? 1000;
        const points = new Float32Array(2 * n);
        for (let i = 0; i < n; i++) {
          const k = kp.get(i);
          points[2 * i] = k.pt.x;
          points[2 * i + 1] = k.pt.y;
        }
        const bytes = desc.cols as number;
        const descriptors = Uint8Array.from((desc.data as Uint8Array).subarray(0, n * bytes));
        return { points, descriptors, bytes, count: n, ms: performance.now() - t0 };
      } finally {
        img.delete();
        kp.delete();
        desc.delete();
        none.delete();
      }
    },
    verify(a, b) {
      const t0 = performance.now();
      if (a.count < 8 || b.count < 8) return { matches: 0, inliers: 0, ms: performance.now() - t0 };
      const da = cv.matFromArray(a.count, a.bytes, cv.CV_8U, a.descriptors);
      const db = cv.matFromArray(b.count, b.bytes, cv.CV_8U, b.descriptors);
      const knn = new cv.DMatchVectorVector();
      try {
        matcher.knnMatch(da, db, knn, 2);
        const src: number[] = [];
        const dst: number[] = [];
        const usedB = new Set<number>();
        for (let i = 0; i < knn.size(); i++) {
          const m = knn.get(i);
          if (m.size() < 2) continue;
          const m0 = m.get(0);
          const m1 = m.get(1);
          if (m0.distance < ratio * m1.distance && !usedB.has(m0.trainIdx)) {
            usedB.add(m0.trainIdx);
            src.push(a.points[2 * m0.queryIdx]!, a.points[2 * m0.queryIdx + 1]!);
            dst.push(b.points[2 * m0.trainIdx]!, b.points[2 * m0.trainIdx + 1]!);
          }
        }
        const matches = src.length / 2;
        if (matches < 6) return { matches, inliers: 0, ms: performance.now() - t0 };
        const s = cv.matFromArray(matches, 1, cv.CV_32FC2, src);
        const d = cv.matFromArray(matches, 1, cv.CV_32FC2, dst);
        const mask = new cv.Mat();
        try {
          const h = cv.findHomography(s, d, cv.RANSAC, ransacPx, mask);
          let inliers = 0;
          if (!h.empty()) {
            const md = mask.data as Uint8Array;
            for (let i = 0; i < md.length; i++) if (md[i]) inliers++;
            // A homography that flips or collapses the picture is not a view of the same flat surface.
            const det = h.data64F[0] * h.data64F[4] - h.data64F[1] * h.data64F[3];
            if (!(det > 0.02 && det < 50)) inliers = 0;
          }
          h.delete();
          return { matches, inliers, ms: performance.now() - t0 };
        } finally {
          s.delete();
          d.delete();
          mask.delete();
        }
      } finally {
        da.delete();
        db.delete();
        knn.delete();
      }
    },
  };
}
