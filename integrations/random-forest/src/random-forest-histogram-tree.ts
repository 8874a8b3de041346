/**
 * One tree of the histogram engine: split search over pre-binned features.
 *
 * This module has no imports on purpose: it runs in worker threads, which must start fast and
 * must not load `@lolpop/core`. Everything here works on typed arrays.
 *
 * - Features come binned (`Uint8Array`, feature-major: `bins[f * nRows + i]`), real values in bins
 *   `0..numBins[f]-1`, missing values in {@link MISSING_BIN}.
 * - Rows of a node are a range of one `Int32Array`, kept in ascending order by a stable partition
 *   that also moves each row's class (or target) and multiplicity, so the hot loops read those in
 *   order instead of gathering them by row.
 * - Rows: a bootstrap sample (multiplicities), a subsample without replacement, or all rows.
 * - Features are drawn without replacement at every split until `maxFeatures` were tried and one of
 *   them was not constant in the node (scikit-learn's rule).
 * - Histograms hold, per bin, the number of distinct rows and either the row multiplicity per class
 *   (classification; class weights are applied when a split is scored) or the multiplicity and the
 *   multiplicity-weighted target sum (regression).
 * - When a split draws most of the features (`max_features` at least half of them), large nodes keep
 *   the histograms of every feature and the larger child of a split gets its histograms by
 *   subtraction (parent minus the smaller sibling). With few features per split (e.g. `sqrt`),
 *   building the drawn features' histograms directly is cheaper than maintaining full histograms, so
 *   every node builds only the features it draws. Nodes of at most 64 rows sort their rows by bin
 *   instead (cheaper than scanning 256 bins).
 * - Missing values: each candidate threshold is scored with the node's missing rows on the left and
 *   on the right, and the better side is stored with the split. A split whose node had no missing
 *   value sends them to the heavier child.
 */

/** Bin code of a missing value; real values use bins `0..254`. */
export const MISSING_BIN = 255;
/** Histogram slots per feature (255 real bins at most, plus the missing bin). */
export const HIST_BINS = 256;

/** Split criteria. */
export const CRITERION_GINI = 0;
export const CRITERION_ENTROPY = 1;
export const CRITERION_SQUARED_ERROR = 2;

/** The training data shared by every tree (read only). */
export interface HistogramTreeData {
  nRows: number;
  nFeatures: number;
  /** Feature-major bin codes: `bins[f * nRows + i]`. */
  bins: Uint8Array;
  /** Number of real-value bins of each feature (1..255). */
  numBins: Int32Array;
  /** Thresholds of every feature, concatenated: feature `f` uses `edges[edgeStart[f] .. edgeStart[f+1])`. */
  edges: Float64Array;
  /** Offsets into `edges`, `nFeatures + 1` long. Feature `f` has `numBins[f] - 1` thresholds. */
  edgeStart: Int32Array;
  /** Classification: class index of each row; `nClasses` > 0. */
  yClass?: Int32Array;
  /** Number of classes; 0 for regression. */
  nClasses: number;
  /** Regression: target value of each row. */
  yValue?: Float64Array;
}

/** Parameters of one tree, already resolved. */
export interface HistogramTreeParams {
  criterion: number;
  /** Maximum depth (root = 0); a negative value means unlimited. */
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** Features drawn at each split (at least 1). */
  maxFeatures: number;
  /** Draw the rows of each tree with replacement. */
  bootstrap: boolean;
  /** Rows drawn per tree (with replacement when `bootstrap`, else without; `nRows` = all rows). */
  sampleSize: number;
  /**
   * Weight of each class (classification), or null for 1. With `bootstrap`, rows are drawn with
   * probability proportional to their class weight and trees weigh rows by their count; without,
   * trees weigh rows by their class weight. Ignored when `balancedSubsample`.
   */
  classWeight: Float64Array | null;
  /** Class weights computed from each tree's own sample (`class_weight: balanced_subsample`). */
  balancedSubsample: boolean;
  /**
   * Nodes whose larger child has at least this many rows keep full histograms for the subtraction
   * trick (only when `maxFeatures * 2 >= nFeatures`). Default {@link DEFAULT_FULL_HISTOGRAM_MIN_ROWS}.
   */
  fullHistogramMinRows?: number;
  /**
   * Nodes with at most this many rows sort their rows by bin instead of building histograms
   * (faster for small nodes; same splits). Default {@link DEFAULT_SMALL_NODE_ROWS}, at most 65535.
   */
  smallNodeRows?: number;
}

/** Default of {@link HistogramTreeParams.smallNodeRows}. */
export const DEFAULT_SMALL_NODE_ROWS = 64;

/** Default of {@link HistogramTreeParams.fullHistogramMinRows}. */
export const DEFAULT_FULL_HISTOGRAM_MIN_ROWS = 1024;

/**
 * A fitted tree in pre-order: the left child of internal node `i` is `i + 1`.
 * Leaves have `feature = -1` and `right` = the leaf's index into `values`.
 */
export interface HistogramTree {
  feature: Int32Array;
  /** Rows with `x <= threshold` go left (`+Infinity`: every non-missing value goes left). */
  threshold: Float64Array;
  right: Int32Array;
  /** 1 when missing values go left. */
  missingLeft: Uint8Array;
  /** Leaf values, `valueWidth` per leaf: class probabilities, or the mean target. */
  values: Float64Array;
  /** Sum of the weighted impurity decreases of the splits on each feature. */
  importance: Float64Array;
  /** Weighted number of samples at the root (to scale `importance` like scikit-learn). */
  rootWeight: number;
}

/**
 * xoshiro128** seeded through splitmix32: fast 32-bit generator for the hot loops of a tree
 * (bootstrap draws, feature draws). Deterministic for a seed on every platform.
 */
export class TreeRandom {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  constructor(seed: number) {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
      z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
      return (z ^ (z >>> 15)) >>> 0;
    };
    this.#s0 = next();
    this.#s1 = next();
    this.#s2 = next();
    this.#s3 = next();
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 1;
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const s1 = this.#s1;
    const result = Math.imul(((Math.imul(s1, 5) << 7) | (Math.imul(s1, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = (this.#s3 << 11) | (this.#s3 >>> 21);
    return result;
  }

  /** Uniform integer in `[0, n)` for `n <= 2^32` (53-bit product, negligible bias). */
  below(n: number): number {
    const hi = this.nextU32() >>> 5; // 27 bits
    const lo = this.nextU32() >>> 6; // 26 bits
    return Math.floor(((hi * 67108864 + lo) / 9007199254740992) * n);
  }
}

interface PendingNode {
  start: number;
  end: number;
  depth: number;
  /** Pre-order id of the parent when this node is its right child, else -1. */
  rightOf: number;
  /** Totals: distinct rows, then per class multiplicities (classification) or [multiplicity, sum] (regression). */
  totals: Float64Array;
  /** Regression: smallest and largest target in the node (pure when equal). */
  yMin: number;
  yMax: number;
  /** Full histograms of every feature, or null. */
  hist: Float64Array | null;
}

/** Builds trees over one {@link HistogramTreeData}; reuses its buffers between trees (one per thread). */
export class HistogramTreeBuilder {
  readonly #data: HistogramTreeData;
  readonly #params: HistogramTreeParams;
  readonly #classification: boolean;
  /** Channels per histogram bin. */
  readonly #C: number;
  readonly #K: number;
  readonly #fullMode: boolean;
  readonly #fullMinRows: number;
  readonly #histSize: number;
  readonly #mult: Int32Array;
  /** In-bag rows; each node owns a range, kept ascending. */
  #rows: Int32Array;
  #scratch: Int32Array;
  /**
   * Per position of `#rows` (moved with it by the partition, so hot loops read them in order
   * instead of gathering by row): the class (classification) or target value (regression)...
   */
  #posY: Int32Array = new Int32Array(0);
  #posV: Float64Array = new Float64Array(0);
  /** ...the row's multiplicity... */
  #posW: Float64Array = new Float64Array(0);
  /** ...and multiplicity × target (regression). */
  #posWY: Float64Array = new Float64Array(0);
  #scratchY: Int32Array = new Int32Array(0);
  #scratchV: Float64Array = new Float64Array(0);
  #scratchW: Float64Array = new Float64Array(0);
  #scratchWY: Float64Array = new Float64Array(0);
  readonly #featPerm: Int32Array;
  /** One-feature histogram used by nodes without full histograms (kept zeroed between uses). */
  readonly #featHist: Float64Array;
  readonly #histPool: Float64Array[] = [];
  readonly #cw: Float64Array;
  readonly #left: Float64Array;
  readonly #miss: Float64Array;
  /** Totals of the node being split: [rows, class-weighted counts] or [rows, weight, weighted sum]. */
  readonly #scanTotals: Float64Array;
  #totalW = 0;
  readonly #keys: Int32Array;
  readonly #smallRows: number;
  // Best split of the current node.
  #bestProxy = Number.NEGATIVE_INFINITY;
  #bestFeature = -1;
  #bestBin = 0;
  #bestMissingLeft = false;
  #bestHasMissing = false;
  // Output (grown by doubling).
  #feature = new Int32Array(64);
  #threshold = new Float64Array(64);
  #right = new Int32Array(64);
  #missingLeft = new Uint8Array(64);
  #values = new Float64Array(64);
  #nNodes = 0;
  #nLeaves = 0;
  #importance: Float64Array;

  constructor(data: HistogramTreeData, params: HistogramTreeParams) {
    this.#data = data;
    this.#params = params;
    this.#classification = data.nClasses > 0;
    this.#K = data.nClasses;
    this.#C = this.#classification ? data.nClasses + 1 : 3;
    this.#fullMode = params.maxFeatures * 2 >= data.nFeatures && data.nFeatures > 1;
    this.#fullMinRows = params.fullHistogramMinRows ?? DEFAULT_FULL_HISTOGRAM_MIN_ROWS;
    this.#histSize = data.nFeatures * HIST_BINS * this.#C;
    this.#mult = new Int32Array(data.nRows);
    this.#rows = new Int32Array(0);
    this.#scratch = new Int32Array(0);
    this.#featPerm = new Int32Array(data.nFeatures);
    this.#featHist = new Float64Array(HIST_BINS * this.#C);
    this.#cw = new Float64Array(Math.max(1, this.#K));
    this.#left = new Float64Array(this.#C);
    this.#miss = new Float64Array(this.#C);
    this.#scanTotals = new Float64Array(this.#C);
    this.#smallRows = Math.min(65535, Math.max(0, params.smallNodeRows ?? DEFAULT_SMALL_NODE_ROWS));
    this.#keys = new Int32Array(this.#smallRows);
    this.#importance = new Float64Array(data.nFeatures);
  }

  /** Fits one tree with its own seed (bootstrap or subsample, feature draws). */
  build(seed: number): HistogramTree {
    const data = this.#data;
    const p = this.#params;
    const n = data.nRows;
    const rng = new TreeRandom(seed);
    const mult = this.#mult;
    mult.fill(0);

    // Rows of this tree.
    const m = Math.max(1, Math.min(p.sampleSize, p.bootstrap ? Number.MAX_SAFE_INTEGER : n));
    const weightedDraws = this.#weightedBootstrap();
    if (weightedDraws) {
      // Class weights with bootstrap: each draw picks a class with probability proportional to its
      // total weight, then a row of that class uniformly (a row's chance is proportional to its weight).
      const { cumulative, rowsByClass, classStart } = weightedDraws;
      const K = this.#K;
      const total = cumulative[K - 1]!;
      for (let i = 0; i < m; i++) {
        const u = (rng.nextU32() / 4294967296) * total;
        let k = 0;
        while (k < K - 1 && u >= cumulative[k]!) k++;
        const size = classStart[k + 1]! - classStart[k]!;
        if (size === 0) continue;
        mult[rowsByClass[classStart[k]! + rng.below(size)]!]!++;
      }
    } else if (p.bootstrap) {
      for (let i = 0; i < m; i++) mult[rng.below(n)]!++;
    } else if (m >= n) {
      mult.fill(1);
    } else {
      // Partial Fisher-Yates over 0..n-1 picks m distinct rows.
      const perm = this.#ensureScratch(n);
      for (let i = 0; i < n; i++) perm[i] = i;
      for (let i = 0; i < m; i++) {
        const j = i + rng.below(n - i);
        const t = perm[i]!;
        perm[i] = perm[j]!;
        perm[j] = t;
        mult[perm[i]!] = 1;
      }
    }
    let distinct = 0;
    for (let i = 0; i < n; i++) if (mult[i] !== 0) distinct++;
    const rows = this.#ensureRows(distinct);
    this.#ensureScratch(distinct);
    for (let i = 0, w = 0; i < n; i++) if (mult[i] !== 0) rows[w++] = i;
    this.#fillPositions(distinct);

    // Class weights.
    const K = this.#K;
    const cw = this.#cw;
    if (this.#classification) {
      if (p.balancedSubsample) {
        const counts = new Float64Array(K);
        const y = data.yClass!;
        for (let i = 0; i < distinct; i++) counts[y[rows[i]!]!]! += mult[rows[i]!]!;
        let present = 0;
        for (let k = 0; k < K; k++) if (counts[k]! > 0) present++;
        for (let k = 0; k < K; k++) cw[k] = counts[k]! > 0 ? m / (present * counts[k]!) : 0;
      } else if (p.classWeight && !p.bootstrap) cw.set(p.classWeight);
      else cw.fill(1); // no weights, or weights already used by the bootstrap draws
    }

    // Reset the output.
    this.#nNodes = 0;
    this.#nLeaves = 0;
    this.#importance = new Float64Array(data.nFeatures);
    const perm = this.#featPerm;
    for (let f = 0; f < perm.length; f++) perm[f] = f;

    const root: PendingNode = {
      start: 0,
      end: distinct,
      depth: 0,
      rightOf: -1,
      totals: new Float64Array(this.#C),
      yMin: Number.POSITIVE_INFINITY,
      yMax: Number.NEGATIVE_INFINITY,
      hist: null,
    };
    this.#rootTotals(root);
    const rootWeight = this.#nodeWeight(root.totals);
    if (this.#fullMode && distinct >= this.#fullMinRows) {
      root.hist = this.#takeHist();
      this.#buildFullHist(root.hist, 0, distinct);
    }

    const stack: PendingNode[] = [root];
    while (stack.length > 0) {
      const node = stack.pop()!;
      const id = this.#newNode();
      if (node.rightOf >= 0) this.#right[node.rightOf] = id;
      const nRowsNode = node.end - node.start;
      let leaf =
        (p.maxDepth >= 0 && node.depth >= p.maxDepth) ||
        nRowsNode < p.minSamplesSplit ||
        nRowsNode < 2 * p.minSamplesLeaf ||
        this.#isPure(node);
      if (!leaf) {
        this.#findSplit(node, rng);
        leaf = this.#bestFeature < 0;
      }
      if (leaf) {
        this.#makeLeaf(id, node.totals);
        if (node.hist) this.#histPool.push(node.hist);
        continue;
      }
      // Split.
      const f = this.#bestFeature;
      const bin = this.#bestBin;
      const edgeStart = data.edgeStart[f]!;
      const nEdges = data.edgeStart[f + 1]! - edgeStart;
      this.#feature[id] = f;
      this.#threshold[id] = bin < nEdges ? data.edges[edgeStart + bin]! : Number.POSITIVE_INFINITY;
      const left: PendingNode = {
        start: node.start,
        end: 0,
        depth: node.depth + 1,
        rightOf: -1,
        totals: new Float64Array(this.#C),
        yMin: Number.POSITIVE_INFINITY,
        yMax: Number.NEGATIVE_INFINITY,
        hist: null,
      };
      const right: PendingNode = {
        start: 0,
        end: node.end,
        depth: node.depth + 1,
        rightOf: id,
        totals: new Float64Array(this.#C),
        yMin: Number.POSITIVE_INFINITY,
        yMax: Number.NEGATIVE_INFINITY,
        hist: null,
      };
      const mid = this.#partition(node, f, bin, this.#bestMissingLeft, left, right);
      left.end = mid;
      right.start = mid;
      // Without missing values in the node, missing values follow the heavier child.
      const lw = this.#nodeWeight(left.totals);
      const rw = this.#nodeWeight(right.totals);
      this.#missingLeft[id] = (this.#bestHasMissing ? this.#bestMissingLeft : lw >= rw) ? 1 : 0;
      this.#importance[f]! += this.#impurityDecrease(node.totals, left.totals, right.totals);

      // Histograms of the children: the smaller one directly, the larger one by subtraction.
      const nl = mid - node.start;
      const nr = node.end - mid;
      if (this.#fullMode && Math.max(nl, nr) >= this.#fullMinRows) {
        const [small, large] = nl <= nr ? [left, right] : [right, left];
        small.hist = this.#takeHist();
        this.#buildFullHist(small.hist, small.start, small.end);
        let parentHist = node.hist;
        if (!parentHist) {
          parentHist = this.#takeHist();
          this.#buildFullHist(parentHist, node.start, node.end);
        }
        const sh = small.hist;
        for (let i = 0; i < parentHist.length; i++) parentHist[i]! -= sh[i]!;
        large.hist = parentHist;
      } else if (node.hist) {
        this.#histPool.push(node.hist);
      }
      node.hist = null;
      stack.push(right, left);
    }
    return {
      feature: this.#feature.slice(0, this.#nNodes),
      threshold: this.#threshold.slice(0, this.#nNodes),
      right: this.#right.slice(0, this.#nNodes),
      missingLeft: this.#missingLeft.slice(0, this.#nNodes),
      values: this.#values.slice(0, this.#nLeaves * this.valueWidth),
      importance: this.#importance,
      rootWeight,
    };
  }

  /** Values per leaf: the number of classes, or 1 for regression. */
  get valueWidth(): number {
    return this.#classification ? this.#K : 1;
  }

  #weightedDraws:
    | { cumulative: Float64Array; rowsByClass: Int32Array; classStart: Int32Array }
    | null
    | undefined;

  /**
   * With bootstrap and fixed class weights, rows are drawn with probability proportional to their
   * class weight and the tree then weighs rows by their count only (scikit-learn 1.9's semantics).
   * Returns the per-class row lists and cumulative class weights, or null when draws are uniform.
   */
  #weightedBootstrap() {
    if (this.#weightedDraws !== undefined) return this.#weightedDraws;
    const p = this.#params;
    if (!this.#classification || !p.bootstrap || p.balancedSubsample || !p.classWeight) {
      this.#weightedDraws = null;
      return null;
    }
    const K = this.#K;
    const y = this.#data.yClass!;
    const n = this.#data.nRows;
    const classStart = new Int32Array(K + 1);
    for (let i = 0; i < n; i++) classStart[y[i]! + 1]!++;
    for (let k = 0; k < K; k++) classStart[k + 1]! += classStart[k]!;
    const fill = classStart.slice(0, K);
    const rowsByClass = new Int32Array(n);
    for (let i = 0; i < n; i++) rowsByClass[fill[y[i]!]!++] = i;
    const cumulative = new Float64Array(K);
    let acc = 0;
    for (let k = 0; k < K; k++) {
      acc += p.classWeight[k]! * (classStart[k + 1]! - classStart[k]!);
      cumulative[k] = acc;
    }
    this.#weightedDraws = acc > 0 ? { cumulative, rowsByClass, classStart } : null;
    return this.#weightedDraws;
  }

  // ------------------------------------------------------------------ buffers

  #ensureRows(n: number): Int32Array {
    if (this.#rows.length < n) this.#rows = new Int32Array(n);
    return this.#rows;
  }

  /** Fills the per-position arrays for the first `count` rows. */
  #fillPositions(count: number): void {
    const rows = this.#rows;
    const mult = this.#mult;
    if (this.#posW.length < count) {
      const cap = Math.max(count, this.#rows.length);
      this.#posW = new Float64Array(cap);
      this.#scratchW = new Float64Array(cap);
      if (this.#classification) {
        this.#posY = new Int32Array(cap);
        this.#scratchY = new Int32Array(cap);
      } else {
        this.#posV = new Float64Array(cap);
        this.#posWY = new Float64Array(cap);
        this.#scratchV = new Float64Array(cap);
        this.#scratchWY = new Float64Array(cap);
      }
    }
    const posW = this.#posW;
    if (this.#classification) {
      const y = this.#data.yClass!;
      const posY = this.#posY;
      for (let i = 0; i < count; i++) {
        const r = rows[i]!;
        posW[i] = mult[r]!;
        posY[i] = y[r]!;
      }
    } else {
      const y = this.#data.yValue!;
      const posV = this.#posV;
      const posWY = this.#posWY;
      for (let i = 0; i < count; i++) {
        const r = rows[i]!;
        const m = mult[r]!;
        posW[i] = m;
        posV[i] = y[r]!;
        posWY[i] = m * y[r]!;
      }
    }
  }

  #ensureScratch(n: number): Int32Array {
    if (this.#scratch.length < n) this.#scratch = new Int32Array(n);
    return this.#scratch;
  }

  #takeHist(): Float64Array {
    return this.#histPool.pop() ?? new Float64Array(this.#histSize);
  }

  #newNode(): number {
    const id = this.#nNodes++;
    if (id >= this.#feature.length) {
      const cap = this.#feature.length * 2;
      const grow = <T extends Int32Array | Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
        const b = make(cap);
        b.set(a);
        return b;
      };
      this.#feature = grow(this.#feature, (c) => new Int32Array(c));
      this.#threshold = grow(this.#threshold, (c) => new Float64Array(c));
      this.#right = grow(this.#right, (c) => new Int32Array(c));
      this.#missingLeft = grow(this.#missingLeft, (c) => new Uint8Array(c));
    }
    this.#feature[id] = -1;
    this.#threshold[id] = 0;
    this.#right[id] = -1;
    this.#missingLeft[id] = 0;
    return id;
  }

  // ------------------------------------------------------------------ node totals and leaves

  #rootTotals(node: PendingNode): void {
    const t = node.totals;
    const posW = this.#posW;
    t[0] = node.end - node.start;
    if (this.#classification) {
      const posY = this.#posY;
      for (let i = node.start; i < node.end; i++) t[1 + posY[i]!]! += posW[i]!;
    } else {
      const posV = this.#posV;
      const posWY = this.#posWY;
      let w = 0;
      let s = 0;
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let i = node.start; i < node.end; i++) {
        const v = posV[i]!;
        w += posW[i]!;
        s += posWY[i]!;
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      t[1] = w;
      t[2] = s;
      node.yMin = lo;
      node.yMax = hi;
    }
  }

  /** Weighted number of samples (class weights applied). */
  #nodeWeight(t: Float64Array): number {
    if (!this.#classification) return t[1]!;
    const cw = this.#cw;
    let w = 0;
    for (let k = 0; k < this.#K; k++) w += t[1 + k]! * cw[k]!;
    return w;
  }

  #isPure(node: PendingNode): boolean {
    if (!this.#classification) return node.yMin === node.yMax;
    const t = node.totals;
    const cw = this.#cw;
    let present = 0;
    for (let k = 0; k < this.#K; k++) if (t[1 + k]! * cw[k]! > 0) present++;
    return present <= 1;
  }

  #makeLeaf(id: number, t: Float64Array): void {
    const width = this.valueWidth;
    const leaf = this.#nLeaves++;
    if ((leaf + 1) * width > this.#values.length) {
      const b = new Float64Array(Math.max(this.#values.length * 2, (leaf + 1) * width));
      b.set(this.#values);
      this.#values = b;
    }
    this.#feature[id] = -1;
    this.#right[id] = leaf;
    const base = leaf * width;
    if (this.#classification) {
      const cw = this.#cw;
      let sum = 0;
      for (let k = 0; k < width; k++) sum += t[1 + k]! * cw[k]!;
      // A node whose classes all weigh 0 falls back to unweighted shares.
      const weighted = sum > 0;
      if (!weighted) for (let k = 0; k < width; k++) sum += t[1 + k]!;
      for (let k = 0; k < width; k++)
        this.#values[base + k] = (t[1 + k]! * (weighted ? cw[k]! : 1)) / (sum > 0 ? sum : 1);
    } else {
      this.#values[base] = t[1]! > 0 ? t[2]! / t[1]! : 0;
    }
  }

  /** Weighted impurity decrease of a split (scikit-learn's node importance, before scaling). */
  #impurityDecrease(parent: Float64Array, left: Float64Array, right: Float64Array): number {
    if (!this.#classification) {
      const term = (t: Float64Array) => (t[1]! > 0 ? (t[2]! * t[2]!) / t[1]! : 0);
      return Math.max(0, term(left) + term(right) - term(parent));
    }
    const cw = this.#cw;
    const K = this.#K;
    const weightedImpurity = (t: Float64Array): number => {
      let w = 0;
      for (let k = 0; k < K; k++) w += t[1 + k]! * cw[k]!;
      if (w <= 0) return 0;
      if (this.#params.criterion === CRITERION_ENTROPY) {
        let s = 0;
        for (let k = 0; k < K; k++) {
          const c = t[1 + k]! * cw[k]!;
          if (c > 0) s -= c * Math.log2(c / w);
        }
        return s;
      }
      let sq = 0;
      for (let k = 0; k < K; k++) {
        const c = t[1 + k]! * cw[k]!;
        sq += c * c;
      }
      return w - sq / w;
    };
    return Math.max(0, weightedImpurity(parent) - weightedImpurity(left) - weightedImpurity(right));
  }

  // ------------------------------------------------------------------ histograms

  /** Histograms of every feature for rows `[start, end)` into `hist` (overwritten). */
  #buildFullHist(hist: Float64Array, start: number, end: number): void {
    hist.fill(0);
    const F = this.#data.nFeatures;
    const size = HIST_BINS * this.#C;
    for (let f = 0; f < F; f++) this.#accumulate(hist, f * size, f, start, end);
  }

  /** Adds rows `[start, end)` of feature `f` into the histogram at `hist[base..]`; returns the used bin range. */
  #accumulate(hist: Float64Array, base: number, f: number, start: number, end: number): number {
    const data = this.#data;
    const bins = data.bins;
    const off = f * data.nRows;
    const rows = this.#rows;
    const posW = this.#posW;
    let lo = MISSING_BIN;
    let hi = 0;
    if (this.#classification) {
      const C = this.#C;
      const posY = this.#posY;
      for (let i = start; i < end; i++) {
        const b = bins[off + rows[i]!]!;
        const h = base + b * C;
        hist[h]!++;
        hist[h + 1 + posY[i]!]! += posW[i]!;
        if (b < lo) lo = b;
        if (b > hi && b !== MISSING_BIN) hi = b;
      }
    } else {
      const posWY = this.#posWY;
      for (let i = start; i < end; i++) {
        const b = bins[off + rows[i]!]!;
        const h = base + b * 3;
        hist[h]!++;
        hist[h + 1]! += posW[i]!;
        hist[h + 2]! += posWY[i]!;
        if (b < lo) lo = b;
        if (b > hi && b !== MISSING_BIN) hi = b;
      }
    }
    return (lo << 8) | hi;
  }

  /** Clears the bins `[lo, hi]` and the missing bin of the one-feature histogram. */
  #clearFeatHist(lo: number, hi: number): void {
    const C = this.#C;
    const h = this.#featHist;
    if (lo <= hi) h.fill(0, lo * C, (hi + 1) * C);
    h.fill(0, MISSING_BIN * C, HIST_BINS * C);
  }

  // ------------------------------------------------------------------ split search

  #findSplit(node: PendingNode, rng: TreeRandom): void {
    this.#bestProxy = Number.NEGATIVE_INFINITY;
    this.#bestFeature = -1;
    const F = this.#data.nFeatures;
    const C = this.#C;
    const perm = this.#featPerm;
    const mtry = this.#params.maxFeatures;
    const size = HIST_BINS * C;
    const nRowsNode = node.end - node.start;
    // Totals used by every candidate (class-weighted for classification).
    const totals = this.#scanTotals;
    totals[0] = node.totals[0]!;
    if (this.#classification) {
      let w = 0;
      for (let k = 0; k < this.#K; k++) {
        const v = node.totals[1 + k]! * this.#cw[k]!;
        totals[1 + k] = v;
        w += v;
      }
      this.#totalW = w;
    } else {
      totals[1] = node.totals[1]!;
      totals[2] = node.totals[2]!;
      this.#totalW = node.totals[1]!;
    }
    const small = !node.hist && nRowsNode <= this.#smallRows;
    // Draw features without replacement until `mtry` were visited and one of them was not constant
    // in this node (scikit-learn's rule), or every feature was tried.
    let visited = 0;
    let nonConstant = 0;
    for (let i = 0; i < F; i++) {
      if (visited >= mtry && nonConstant > 0) break;
      const j = i + rng.below(F - i);
      const f = perm[j]!;
      perm[j] = perm[i]!;
      perm[i] = f;
      visited++;
      let constant: boolean;
      if (small) {
        constant = this.#scanSorted(node, f);
      } else if (node.hist) {
        const hist = node.hist;
        const base = f * size;
        const nb = this.#data.numBins[f]!;
        let lo = 0;
        while (lo < nb && hist[base + lo * C] === 0) lo++;
        let hi = nb - 1;
        while (hi >= lo && hist[base + hi * C] === 0) hi--;
        constant = lo > hi || (lo === hi && hist[base + MISSING_BIN * C] === 0);
        if (!constant) this.#scanHistogram(hist, base, f, lo, hi);
      } else {
        const hist = this.#featHist;
        const range = this.#accumulate(hist, 0, f, node.start, node.end);
        let lo = range >> 8;
        let hi = range & 0xff;
        if (lo === MISSING_BIN) {
          lo = 1; // only missing values
          hi = 0;
        }
        constant = lo > hi || (lo === hi && hist[MISSING_BIN * C] === 0);
        if (!constant) this.#scanHistogram(hist, 0, f, lo, hi);
        this.#clearFeatHist(lo, hi);
      }
      if (!constant) nonConstant++;
    }
  }

  /** Scores every threshold of feature `f` from its histogram at `hist[base..]` (real bins `lo..hi` used). */
  #scanHistogram(hist: Float64Array, base: number, f: number, lo: number, hi: number): void {
    const C = this.#C;
    const K = this.#K;
    const cw = this.#cw;
    const left = this.#left;
    const miss = this.#miss;
    left.fill(0);
    const mb = base + MISSING_BIN * C;
    miss[0] = hist[mb]!;
    if (this.#classification) {
      for (let k = 0; k < K; k++) miss[1 + k] = hist[mb + 1 + k]! * cw[k]!;
    } else {
      miss[1] = hist[mb + 1]!;
      miss[2] = hist[mb + 2]!;
    }
    let prev = -1;
    for (let bin = lo; bin <= hi; bin++) {
      const h = base + bin * C;
      const rowsHere = hist[h]!;
      if (rowsHere === 0) continue;
      // Candidate: bins <= prev go left; the threshold sits midway through the empty bins between.
      if (prev >= 0) this.#consider(f, (prev + bin - 1) >> 1);
      left[0]! += rowsHere;
      if (this.#classification) for (let k = 0; k < K; k++) left[1 + k]! += hist[h + 1 + k]! * cw[k]!;
      else {
        left[1]! += hist[h + 1]!;
        left[2]! += hist[h + 2]!;
      }
      prev = bin;
    }
    if (prev >= 0) this.#considerMissingApart(f);
  }

  /** Small nodes: sorts the node's rows by bin and scores the thresholds between distinct bins. Returns whether `f` is constant. */
  #scanSorted(node: PendingNode, f: number): boolean {
    const data = this.#data;
    const bins = data.bins;
    const off = f * data.nRows;
    const rows = this.#rows;
    const keys = this.#keys;
    const n = node.end - node.start;
    for (let i = 0; i < n; i++) {
      const key = (bins[off + rows[node.start + i]!]! << 16) | i;
      // Insertion sort (n is small).
      let j = i - 1;
      while (j >= 0 && keys[j]! > key) {
        keys[j + 1] = keys[j]!;
        j--;
      }
      keys[j + 1] = key;
    }
    const firstBin = keys[0]! >>> 16;
    let end = n;
    while (end > 0 && keys[end - 1]! >>> 16 === MISSING_BIN) end--;
    const lastBin = end > 0 ? keys[end - 1]! >>> 16 : -1;
    // Constant: only missing values, or one real bin and no missing value.
    if (end === 0 || (firstBin === lastBin && end === n)) return true;
    const left = this.#left;
    const miss = this.#miss;
    left.fill(0);
    miss.fill(0);
    for (let i = end; i < n; i++) this.#addRow(miss, node.start + (keys[i]! & 0xffff));
    let prev = -1;
    for (let i = 0; i < end; i++) {
      const bin = keys[i]! >>> 16;
      if (bin !== prev && prev >= 0) this.#consider(f, (prev + bin - 1) >> 1);
      this.#addRow(left, node.start + (keys[i]! & 0xffff));
      prev = bin;
    }
    this.#considerMissingApart(f);
    return false;
  }

  /** Adds the row at position `i` to `acc` ([rows, class-weighted counts] or [rows, weight, weighted sum]). */
  #addRow(acc: Float64Array, i: number): void {
    acc[0]!++;
    if (this.#classification) {
      const k = this.#posY[i]!;
      acc[1 + k]! += this.#posW[i]! * this.#cw[k]!;
    } else {
      acc[1]! += this.#posW[i]!;
      acc[2]! += this.#posWY[i]!;
    }
  }

  /**
   * Scores "left = the accumulated bins" with the node's missing rows on the right, then on the left.
   */
  #consider(f: number, thresholdBin: number): void {
    const minLeaf = this.#params.minSamplesLeaf;
    const totalRows = this.#scanTotals[0]!;
    const leftRows = this.#left[0]!;
    const missingRows = this.#miss[0]!;
    const hasMissing = missingRows > 0;
    if (leftRows >= minLeaf && totalRows - leftRows >= minLeaf) {
      const s = this.#score(0);
      if (s > this.#bestProxy) this.#setBest(s, f, thresholdBin, false, hasMissing);
    }
    if (hasMissing) {
      const l = leftRows + missingRows;
      if (l >= minLeaf && totalRows - l >= minLeaf) {
        const s = this.#score(1);
        if (s > this.#bestProxy) this.#setBest(s, f, thresholdBin, true, true);
      }
    }
  }

  /** Scores "every real value left, the missing ones right" once the whole feature was accumulated. */
  #considerMissingApart(f: number): void {
    const missingRows = this.#miss[0]!;
    const minLeaf = this.#params.minSamplesLeaf;
    if (missingRows > 0 && this.#left[0]! >= minLeaf && missingRows >= minLeaf) {
      const s = this.#score(0);
      if (s > this.#bestProxy) this.#setBest(s, f, this.#data.numBins[f]! - 1, false, true);
    }
  }

  /**
   * Proxy of the impurity decrease (larger is better) for left = accumulated bins (+ missing rows
   * when `addMissing` is 1), right = the rest of the node.
   */
  #score(addMissing: number): number {
    const left = this.#left;
    const miss = this.#miss;
    const totals = this.#scanTotals;
    if (!this.#classification) {
      const wl = left[1]! + addMissing * miss[1]!;
      const sl = left[2]! + addMissing * miss[2]!;
      const wr = totals[1]! - wl;
      const sr = totals[2]! - sl;
      if (wl <= 0 || wr <= 0) return Number.NEGATIVE_INFINITY;
      return (sl * sl) / wl + (sr * sr) / wr;
    }
    const K = this.#K;
    let wl = 0;
    for (let k = 1; k <= K; k++) wl += left[k]! + addMissing * miss[k]!;
    const wr = this.#totalW - wl;
    if (wl <= 0 || wr <= 0) return Number.NEGATIVE_INFINITY;
    let a = 0;
    let b = 0;
    if (this.#params.criterion === CRITERION_ENTROPY) {
      for (let k = 1; k <= K; k++) {
        const l = left[k]! + addMissing * miss[k]!;
        const r = totals[k]! - l;
        if (l > 0) a += l * Math.log(l);
        if (r > 0) b += r * Math.log(r);
      }
      return a - wl * Math.log(wl) + b - wr * Math.log(wr);
    }
    for (let k = 1; k <= K; k++) {
      const l = left[k]! + addMissing * miss[k]!;
      const r = totals[k]! - l;
      a += l * l;
      b += r * r;
    }
    return a / wl + b / wr;
  }

  #setBest(proxy: number, f: number, bin: number, missingLeft: boolean, hasMissing: boolean): void {
    this.#bestProxy = proxy;
    this.#bestFeature = f;
    this.#bestBin = bin;
    this.#bestMissingLeft = missingLeft;
    this.#bestHasMissing = hasMissing;
  }

  // ------------------------------------------------------------------ partition

  /**
   * Stable partition of the node's rows on `bin(f) <= threshold` (missing rows by `missingLeft`),
   * filling the children's totals. Returns the first index of the right child.
   */
  #partition(
    node: PendingNode,
    f: number,
    threshold: number,
    missingLeft: boolean,
    left: PendingNode,
    right: PendingNode,
  ): number {
    const data = this.#data;
    const bins = data.bins;
    const off = f * data.nRows;
    const rows = this.#rows;
    const scratch = this.#scratch;
    const posW = this.#posW;
    const scratchW = this.#scratchW;
    const lt = left.totals;
    const rt = right.totals;
    const start = node.start;
    const end = node.end;
    let w = start;
    let s = 0;
    if (this.#classification) {
      const posY = this.#posY;
      const scratchY = this.#scratchY;
      for (let i = start; i < end; i++) {
        const r = rows[i]!;
        const b = bins[off + r]!;
        const k = posY[i]!;
        const m = posW[i]!;
        if (b === MISSING_BIN ? missingLeft : b <= threshold) {
          rows[w] = r;
          posY[w] = k;
          posW[w] = m;
          w++;
          lt[1 + k]! += m;
        } else {
          scratch[s] = r;
          scratchY[s] = k;
          scratchW[s] = m;
          s++;
          rt[1 + k]! += m;
        }
      }
      posY.set(scratchY.subarray(0, s), w);
    } else {
      const posV = this.#posV;
      const posWY = this.#posWY;
      const scratchV = this.#scratchV;
      const scratchWY = this.#scratchWY;
      let lw = 0;
      let ls = 0;
      let rw = 0;
      let rs = 0;
      let lmin = Number.POSITIVE_INFINITY;
      let lmax = Number.NEGATIVE_INFINITY;
      let rmin = Number.POSITIVE_INFINITY;
      let rmax = Number.NEGATIVE_INFINITY;
      for (let i = start; i < end; i++) {
        const r = rows[i]!;
        const b = bins[off + r]!;
        const m = posW[i]!;
        const v = posV[i]!;
        const wy = posWY[i]!;
        if (b === MISSING_BIN ? missingLeft : b <= threshold) {
          rows[w] = r;
          posW[w] = m;
          posV[w] = v;
          posWY[w] = wy;
          w++;
          lw += m;
          ls += wy;
          if (v < lmin) lmin = v;
          if (v > lmax) lmax = v;
        } else {
          scratch[s] = r;
          scratchW[s] = m;
          scratchV[s] = v;
          scratchWY[s] = wy;
          s++;
          rw += m;
          rs += wy;
          if (v < rmin) rmin = v;
          if (v > rmax) rmax = v;
        }
      }
      posV.set(scratchV.subarray(0, s), w);
      posWY.set(scratchWY.subarray(0, s), w);
      lt[1] = lw;
      lt[2] = ls;
      rt[1] = rw;
      rt[2] = rs;
      left.yMin = lmin;
      left.yMax = lmax;
      right.yMin = rmin;
      right.yMax = rmax;
    }
    rows.set(scratch.subarray(0, s), w);
    posW.set(scratchW.subarray(0, s), w);
    lt[0] = w - start;
    rt[0] = s;
    return w;
  }
}
