/**
 * Evidently 0.7's drift statistical tests (`evidently/legacy/calculations/stattests`), ported to
 * TypeScript: same scores, default thresholds and drift comparison directions, and the same
 * automatic choice of test by column type, reference size and number of distinct values.
 */
import { configError } from "./evidently-columns.js";
import { chiSquareSf, ks2Samp, normalCdf } from "./evidently-distributions.js";

/** Column types a drift test can run on. */
export type DriftColumnType = "numerical" | "categorical";

/** Per-key counts of a column on both sides (NaN and ±inf dropped). */
export interface KeyCounts {
  /** Distinct values of the union of reference and current. */
  keys: Array<number | string>;
  ref: Float64Array;
  cur: Float64Array;
}

/**
 * One column, reference and current, ready for a drift test: missing values (NaN, ±inf, empty
 * labels) removed on each side separately, as Evidently does before testing.
 */
export interface DriftSample {
  type: DriftColumnType;
  /** Rows left in the reference after dropping missing values. */
  nRef: number;
  /** Rows left in the current data after dropping missing values. */
  nCur: number;
  /** Distinct values in the reference. */
  refUnique: number;
  /** Distinct values in the current data. */
  curUnique: number;
  /** Distinct values in reference and current together. */
  unionUnique: number;
  /** Sorted values when the column is stored as numbers. */
  refSorted?: Float64Array;
  curSorted?: Float64Array;
  /** Per-key counts (computed on first use). */
  counts(): KeyCounts;
}

/** A drift test: Evidently's `StatTest` with its scoring function. */
export interface StatTest {
  /** Short name used in config (`ks`, `psi`...). */
  name: string;
  /** Evidently's display name (`K-S p_value`...), used in reports when the test was chosen automatically. */
  displayName: string;
  /** Column types a user may apply the test to. */
  allowed: readonly DriftColumnType[];
  defaultThreshold: number;
  /** Comparison that declares drift, as text (`p <= threshold`...). */
  rule: string;
  /** True when `score` means drift at `threshold`. */
  drifted(score: number, threshold: number): boolean;
  /** The score (p-value or distance). */
  score(sample: DriftSample): number;
}

// ---------------------------------------------------------------- helpers

function requireSorted(s: DriftSample, test: string): [Float64Array, Float64Array] {
  if (!s.refSorted || !s.curSorted)
    throw configError(
      "method",
      `drift test "${test}" needs numeric values; the column holds text labels (declare it numerical only if it holds numbers)`,
    );
  return [s.refSorted, s.curSorted];
}

/** Population standard deviation (numpy `std`, ddof = 0), two-pass. */
export function populationStd(values: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let ss = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    ss += d * d;
  }
  return Math.sqrt(ss / values.length);
}

/** ∫ |F_a − F_b|^p over the empirical CDFs of two sorted samples (scipy's `_cdf_distance` before the root). */
function cdfDistancePow(a: Float64Array, b: Float64Array, p: 1 | 2): number {
  const na = a.length;
  const nb = b.length;
  let i = 0;
  let j = 0;
  let prev = Math.min(a[0]!, b[0]!);
  let total = 0;
  while (i < na || j < nb) {
    const v = i < na && (j >= nb || a[i]! <= b[j]!) ? a[i]! : b[j]!;
    const diff = Math.abs(i / na - j / nb);
    total += (p === 1 ? diff : diff * diff) * (v - prev);
    while (i < na && a[i]! <= v) i++;
    while (j < nb && b[j]! <= v) j++;
    prev = v;
  }
  return total;
}

/** 1-Wasserstein distance between two sorted samples (scipy `wasserstein_distance`). */
export function wasserstein1(a: Float64Array, b: Float64Array): number {
  return cdfDistancePow(a, b, 1);
}

/** Energy distance between two sorted samples (scipy `energy_distance`). */
export function energyDistance(a: Float64Array, b: Float64Array): number {
  return Math.SQRT2 * Math.sqrt(cdfDistancePow(a, b, 2));
}

/** numpy `histogram_bin_edges(values, bins="sturges")` from the min, max and count of the values. */
export function sturgesEdges(min: number, max: number, n: number, integer = false): Float64Array {
  let first = min;
  let last = max;
  if (first === last) {
    first -= 0.5;
    last += 0.5;
  }
  let width = (max - min) / (Math.log2(n) + 1);
  if (integer && width < 1 && width > 0) width = 1;
  const bins = width ? Math.ceil((last - first) / width) : 1;
  const edges = new Float64Array(bins + 1);
  const step = (last - first) / bins;
  for (let k = 0; k < bins; k++) edges[k] = k * step + first;
  edges[bins] = last;
  return edges;
}

/** numpy `histogram(sorted, edges)` counts: half-open bins, the last one closed. */
export function histogramSorted(sorted: Float64Array, edges: Float64Array): Float64Array {
  const bins = edges.length - 1;
  const out = new Float64Array(bins);
  let b = 0;
  for (let i = 0; i < sorted.length; i++) {
    const v = sorted[i]!;
    if (v < edges[0]! || v > edges[bins]!) continue;
    while (b < bins - 1 && v >= edges[b + 1]!) b++;
    out[b]!++;
  }
  return out;
}

/** Evidently's `get_binned_data`: shares per bin (Sturges bins) or per value, optionally with zeros filled. */
export function binnedShares(s: DriftSample, fillZeros: boolean): [Float64Array, Float64Array] {
  let r: Float64Array;
  let c: Float64Array;
  if (s.type === "numerical" && s.refUnique > 20 && s.refSorted && s.curSorted) {
    const a = s.refSorted;
    const b = s.curSorted;
    const edges = sturgesEdges(
      Math.min(a[0]!, b[0]!),
      Math.max(a[a.length - 1]!, b[b.length - 1]!),
      a.length + b.length,
    );
    r = histogramSorted(a, edges);
    c = histogramSorted(b, edges);
  } else {
    const k = s.counts();
    r = Float64Array.from(k.ref);
    c = Float64Array.from(k.cur);
  }
  for (let i = 0; i < r.length; i++) {
    r[i] = r[i]! / s.nRef;
    c[i] = c[i]! / s.nCur;
  }
  if (fillZeros) {
    fillZeroShares(r);
    fillZeroShares(c);
  }
  return [r, c];
}

function fillZeroShares(v: Float64Array): void {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < v.length; i++) if (v[i]! !== 0 && v[i]! < min) min = v[i]!;
  const fill = min <= 0.0001 ? min / 1e6 : 0.0001;
  for (let i = 0; i < v.length; i++) if (v[i] === 0) v[i] = fill;
}

function relEntr(x: number, y: number): number {
  if (x > 0 && y > 0) return x * Math.log(x / y);
  if (x === 0 && y >= 0) return 0;
  return Number.POSITIVE_INFINITY;
}

function normalized(v: Float64Array): Float64Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]!;
  return v.map((x) => x / s);
}

/** Jensen-Shannon distance with natural log (scipy `distance.jensenshannon`). */
export function jensenShannonDistance(p0: Float64Array, q0: Float64Array): number {
  const p = normalized(p0);
  const q = normalized(q0);
  let js = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    js += relEntr(p[i]!, m) + relEntr(q[i]!, m);
  }
  return Math.sqrt(js / 2);
}

/** Key sort as Python sorts the keys: numbers ascending, strings by code point. */
function pythonLess(a: number | string, b: number | string): boolean {
  if (typeof a === "number" && typeof b === "number") return a < b;
  const sa = String(a);
  const sb = String(b);
  const ia = sa[Symbol.iterator]();
  const ib = sb[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done) return !y.done;
    if (y.done) return false;
    const cx = x.value.codePointAt(0)!;
    const cy = y.value.codePointAt(0)!;
    if (cx !== cy) return cx < cy;
  }
}

// ---------------------------------------------------------------- the tests

const pLE = (score: number, thr: number) => score <= thr;
const pLT = (score: number, thr: number) => score < thr;
const dGE = (score: number, thr: number) => score >= thr;
const dGT = (score: number, thr: number) => score > thr;

/** Two-sample Kolmogorov-Smirnov p-value (scipy `ks_2samp`, two-sided, method auto). */
export const ksTest: StatTest = {
  name: "ks",
  displayName: "K-S p_value",
  allowed: ["numerical"],
  defaultThreshold: 0.05,
  rule: "p_value <= threshold",
  drifted: pLE,
  score: (s) => {
    const [a, b] = requireSorted(s, "ks");
    return ks2Samp(a, b).pvalue;
  },
};

/** Chi-square goodness of fit of current counts against reference shares. */
export const chiSquareTest: StatTest = {
  name: "chisquare",
  displayName: "chi-square p_value",
  allowed: ["categorical"],
  defaultThreshold: 0.05,
  rule: "p_value < threshold",
  drifted: pLT,
  score: (s) => {
    const k = s.counts();
    const norm = s.nCur / s.nRef;
    let stat = 0;
    for (let i = 0; i < k.keys.length; i++) {
      const e = k.ref[i]! * norm;
      const o = k.cur[i]!;
      stat += e === 0 ? (o === 0 ? Number.NaN : Number.POSITIVE_INFINITY) : ((o - e) * (o - e)) / e;
    }
    return chiSquareSf(stat, k.keys.length - 1);
  },
};

/** Two-proportion Z-test of "equals the first key (sorted)" between reference and current. */
export const zTest: StatTest = {
  name: "z",
  displayName: "Z-test p_value",
  allowed: ["categorical"],
  defaultThreshold: 0.05,
  rule: "p_value < threshold",
  drifted: pLT,
  score: (s) => {
    const k = s.counts();
    if (s.refUnique === 1 && s.curUnique === 1 && s.unionUnique === 1) return 1;
    let first = 0;
    for (let i = 1; i < k.keys.length; i++) if (pythonLess(k.keys[i]!, k.keys[first]!)) first = i;
    const n1 = s.nRef;
    const n2 = s.nCur;
    const p1 = (n1 - k.ref[first]!) / n1;
    const p2 = (n2 - k.cur[first]!) / n2;
    const P = (p1 * n1 + p2 * n2) / (n1 + n2);
    const z = (p1 - p2) / Math.sqrt(P * (1 - P) * (1 / n1 + 1 / n2));
    return 2 * (1 - normalCdf(Math.abs(z)));
  },
};

/** Wasserstein distance normed by the reference's population std (at least 0.001). */
export const wassersteinTest: StatTest = {
  name: "wasserstein",
  displayName: "Wasserstein distance (normed)",
  allowed: ["numerical"],
  defaultThreshold: 0.1,
  rule: "distance >= threshold",
  drifted: dGE,
  score: (s) => {
    const [a, b] = requireSorted(s, "wasserstein");
    return wasserstein1(a, b) / Math.max(populationStd(a), 0.001);
  },
};

/** Jensen-Shannon distance (natural log) of binned shares. */
export const jensenShannonTest: StatTest = {
  name: "jensenshannon",
  displayName: "Jensen-Shannon distance",
  allowed: ["categorical", "numerical"],
  defaultThreshold: 0.1,
  rule: "distance >= threshold",
  drifted: dGE,
  score: (s) => {
    const [r, c] = binnedShares(s, false);
    return jensenShannonDistance(r, c);
  },
};

/** Population stability index of binned shares (zeros filled). */
export const psiTest: StatTest = {
  name: "psi",
  displayName: "PSI",
  allowed: ["categorical", "numerical"],
  defaultThreshold: 0.1,
  rule: "psi >= threshold",
  drifted: dGE,
  score: (s) => {
    const [r, c] = binnedShares(s, true);
    let psi = 0;
    for (let i = 0; i < r.length; i++) psi += (r[i]! - c[i]!) * Math.log(r[i]! / c[i]!);
    return psi;
  },
};

/** Kullback-Leibler divergence KL(reference ‖ current) of binned shares (zeros filled). */
export const klDivTest: StatTest = {
  name: "kl_div",
  displayName: "Kullback-Leibler divergence",
  allowed: ["categorical", "numerical"],
  defaultThreshold: 0.1,
  rule: "divergence >= threshold",
  drifted: dGE,
  score: (s) => {
    const [r0, c0] = binnedShares(s, true);
    const r = normalized(r0);
    const c = normalized(c0);
    let kl = 0;
    for (let i = 0; i < r.length; i++) kl += relEntr(r[i]!, c[i]!);
    return kl;
  },
};

/** Hellinger distance: of value shares (categorical) or of density histograms over Sturges bins of the distinct values (numerical). */
export const hellingerTest: StatTest = {
  name: "hellinger",
  displayName: "Hellinger distance",
  allowed: ["categorical", "numerical"],
  defaultThreshold: 0.1,
  rule: "distance >= threshold",
  drifted: dGE,
  score: (s) => {
    let bc = 0;
    if (s.type === "categorical" || !s.refSorted || !s.curSorted) {
      const k = s.counts();
      for (let i = 0; i < k.keys.length; i++) bc += Math.sqrt((k.ref[i]! / s.nRef) * (k.cur[i]! / s.nCur));
    } else {
      const a = s.refSorted;
      const b = s.curSorted;
      const edges = sturgesEdges(
        Math.min(a[0]!, b[0]!),
        Math.max(a[a.length - 1]!, b[b.length - 1]!),
        s.unionUnique,
      );
      const h1 = histogramSorted(a, edges);
      const h2 = histogramSorted(b, edges);
      const bins = edges.length - 1;
      const width = (edges[bins]! - edges[0]!) / bins;
      for (let i = 0; i < bins; i++) {
        const w = edges[i + 1]! - edges[i]!;
        const d1 = h1[i]! / (a.length * w);
        const d2 = h2[i]! / (b.length * w);
        bc += Math.sqrt(d1 * d2) * width;
      }
    }
    bc = Math.min(1, Math.max(0, bc));
    return Math.sqrt(1 - bc);
  },
};

/** Energy distance (scipy `energy_distance`). */
export const energyDistanceTest: StatTest = {
  name: "ed",
  displayName: "Energy-distance",
  allowed: ["numerical"],
  defaultThreshold: 0.1,
  rule: "distance > threshold",
  drifted: dGT,
  score: (s) => {
    const [a, b] = requireSorted(s, "ed");
    return energyDistance(a, b);
  },
};

/** Every test this port implements, by short name. */
export const STAT_TESTS: Readonly<Record<string, StatTest>> = Object.freeze({
  ks: ksTest,
  chisquare: chiSquareTest,
  z: zTest,
  wasserstein: wassersteinTest,
  jensenshannon: jensenShannonTest,
  psi: psiTest,
  kl_div: klDivTest,
  hellinger: hellingerTest,
  ed: energyDistanceTest,
});

/** Names accepted in `method`, `num_method`, `cat_method` and `per_column_method`. */
export const STAT_TEST_NAMES: readonly string[] = Object.keys(STAT_TESTS);

/**
 * Evidently's automatic choice (`registry._get_default_stattest`): by column type, reference size
 * (after dropping missing values) and distinct values of reference and current together.
 */
export function defaultStatTest(s: DriftSample): StatTest {
  if (s.nRef <= 1000) {
    if (s.type === "numerical") {
      if (s.unionUnique <= 5) return s.unionUnique > 2 ? chiSquareTest : zTest;
      return ksTest;
    }
    return s.unionUnique > 2 ? chiSquareTest : zTest;
  }
  if (s.type === "numerical") return s.unionUnique <= 5 ? jensenShannonTest : wassersteinTest;
  return jensenShannonTest;
}

/** The test named `name` for a column of `type`; a clear error for unknown names or types it does not accept. */
export function statTestByName(name: string, type: DriftColumnType, where: string): StatTest {
  const t = STAT_TESTS[name];
  if (!t)
    throw configError(where, `unknown drift method "${name}"; available: ${STAT_TEST_NAMES.join(", ")}`);
  if (!t.allowed.includes(type))
    throw configError(
      where,
      `drift method "${name}" does not apply to ${type} columns (it accepts ${t.allowed.join(", ")})`,
    );
  return t;
}
