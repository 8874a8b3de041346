/**
 * Quantile binning of numeric features for the histogram engine: each feature's values are mapped
 * once to at most 255 bins (one byte per value), missing values to {@link MISSING_BIN}.
 *
 * Thresholds come from the distinct values of the column (of a seeded sample of 200,000 rows when
 * the data is larger): with at most `maxBins` distinct values every value gets its own bin and the
 * thresholds are the midpoints between neighbours (so splits are exact, as in an exact-split
 * forest); with more, the bins hold about equal numbers of rows.
 */
import { MISSING_BIN } from "./random-forest-histogram-tree.js";

/** Rows used to place the thresholds when the data is larger. */
export const BINNING_SAMPLE_ROWS = 200_000;

/** A value strictly between `a` and `b` (`a < b`) that keeps `a` on the left: `a <= t < b`. */
function between(a: number, b: number): number {
  const mid = a / 2 + b / 2;
  return mid >= a && mid < b ? mid : a;
}

/**
 * Thresholds of one feature: ascending, at most `maxBins - 1`. A value `x` falls in bin `i`, the first
 * with `x <= thresholds[i]`, or in the last bin when it is above every threshold. NaN values are
 * ignored (they are missing); infinities are ordinary values.
 *
 * @param column the feature's values
 * @param maxBins bins for real values (2..255)
 * @param sample rows to use (all rows when absent)
 */
export function binThresholds(column: Float64Array, maxBins: number, sample?: Int32Array): Float64Array {
  const n = sample ? sample.length : column.length;
  const values = new Float64Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const v = column[sample ? sample[i]! : i]!;
    if (!Number.isNaN(v)) values[m++] = v;
  }
  const sorted = values.subarray(0, m).sort();
  // Distinct values and their counts.
  const distinct = new Float64Array(m);
  const counts = new Int32Array(m);
  let d = 0;
  for (let i = 0; i < m; i++) {
    const v = sorted[i]!;
    if (d > 0 && distinct[d - 1] === v) counts[d - 1]!++;
    else {
      distinct[d] = v;
      counts[d] = 1;
      d++;
    }
  }
  if (d <= 1) return new Float64Array(0);
  if (d <= maxBins) {
    const out = new Float64Array(d - 1);
    for (let i = 0; i + 1 < d; i++) out[i] = between(distinct[i]!, distinct[i + 1]!);
    return out;
  }
  // Equal-frequency bins over the distinct values: close a bin after value j once the running count
  // reaches the next quantile of the rows.
  const out: number[] = [];
  let cumulative = 0;
  let next = 1;
  for (let j = 0; j + 1 < d && out.length < maxBins - 1; j++) {
    cumulative += counts[j]!;
    if (cumulative >= (next * m) / maxBins) {
      out.push(between(distinct[j]!, distinct[j + 1]!));
      while (next < maxBins && cumulative >= (next * m) / maxBins) next++;
    }
  }
  return Float64Array.from(out);
}

/** Bin of `x` among `thresholds[start .. start + count)`. */
export function binOf(x: number, thresholds: Float64Array, start: number, count: number): number {
  if (Number.isNaN(x)) return MISSING_BIN;
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x <= thresholds[start + mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Writes the bins of `column` into `out[offset .. offset + column.length)` (`count` <= 254 thresholds). */
export function binColumn(
  column: Float64Array,
  thresholds: Float64Array,
  start: number,
  count: number,
  out: Uint8Array,
  offset: number,
): void {
  // Pad to 256 thresholds with +Infinity so that a branch-free search of 8 fixed steps counts the
  // thresholds below x, which is x's bin.
  const t = new Float64Array(256).fill(Number.POSITIVE_INFINITY);
  t.set(thresholds.subarray(start, start + count));
  const n = column.length;
  for (let i = 0; i < n; i++) {
    const x = column[i]!;
    if (Number.isNaN(x)) {
      out[offset + i] = MISSING_BIN;
      continue;
    }
    let p = 0;
    p += +(x > t[p + 127]!) << 7;
    p += +(x > t[p + 63]!) << 6;
    p += +(x > t[p + 31]!) << 5;
    p += +(x > t[p + 15]!) << 4;
    p += +(x > t[p + 7]!) << 3;
    p += +(x > t[p + 3]!) << 2;
    p += +(x > t[p + 1]!) << 1;
    p += +(x > t[p]!);
    out[offset + i] = p;
  }
}

/** Binned training features, as the tree builder reads them. */
export interface BinnedFeatures {
  /** Feature-major bin codes (`bins[f * n + i]`), on a SharedArrayBuffer when asked. */
  bins: Uint8Array;
  /** Real-value bins per feature. */
  numBins: Int32Array;
  /** Every feature's thresholds, concatenated. */
  edges: Float64Array;
  /** Offsets into `edges` (`nFeatures + 1`). */
  edgeStart: Int32Array;
}

/** Assembles per-feature thresholds into the concatenated `edges` / `edgeStart` / `numBins` layout. */
export function assembleBins(thresholds: readonly Float64Array[], bins: Uint8Array): BinnedFeatures {
  const F = thresholds.length;
  const numBins = new Int32Array(F);
  const edgeStart = new Int32Array(F + 1);
  let total = 0;
  thresholds.forEach((t, f) => {
    edgeStart[f] = total;
    total += t.length;
    numBins[f] = t.length + 1;
  });
  edgeStart[F] = total;
  const edges = new Float64Array(total);
  thresholds.forEach((t, f) => edges.set(t, edgeStart[f]!));
  return { bins, numBins, edges, edgeStart };
}

/**
 * Bins every feature column once, on the calling thread.
 * @param sample rows that place the thresholds (all rows when absent)
 * @param shared allocate `bins` on a SharedArrayBuffer (for worker threads)
 */
export function binFeatures(
  columns: readonly Float64Array[],
  maxBins: number,
  sample: Int32Array | undefined,
  shared: boolean,
): BinnedFeatures {
  const F = columns.length;
  const n = columns[0]?.length ?? 0;
  const bins = new Uint8Array(shared ? new SharedArrayBuffer(F * n) : new ArrayBuffer(F * n));
  const thresholds = columns.map((c, f) => {
    const t = binThresholds(c, maxBins, sample);
    binColumn(c, t, 0, t.length, bins, f * n);
    return t;
  });
  return assembleBins(thresholds, bins);
}
