/**
 * A fitted histogram forest as flat typed arrays: assembly from trees, prediction, and the binary
 * file format (`forest.bin`). No imports from `@lolpop/core`, so worker threads can use it.
 *
 * Binary layout (little-endian), version {@link FOREST_BINARY_VERSION}:
 *
 * | offset | type | content |
 * |---|---|---|
 * | 0 | 8 bytes | magic `LPRFHIST` |
 * | 8 | u32 | binary version |
 * | 12 | u32 | trees `T` |
 * | 16 | u32 | features `F` |
 * | 20 | u32 | values per leaf `V` (classes, or 1 for regression) |
 * | 24 | u32 | nodes `N` |
 * | 28 | u32 | leaves `L` |
 * | 32 | f64 × N | thresholds |
 * | … | f64 × L·V | leaf values |
 * | … | i32 × (T+1) | first node of each tree (last = N) |
 * | … | i32 × N | feature of each node (-1 = leaf) |
 * | … | i32 × N | right child (internal node) or leaf index (leaf), both global |
 * | … | u8 × N | 1 when missing values go left |
 *
 * Nodes are stored in pre-order: the left child of node `i` is `i + 1`, and every right child has a
 * larger index than its parent, so a walk always ends.
 */
import type { HistogramTree } from "./random-forest-histogram-tree.js";

/** Magic bytes at the start of `forest.bin`. */
export const FOREST_MAGIC = "LPRFHIST";
/** Version of the binary layout this code writes (and the newest it reads). */
export const FOREST_BINARY_VERSION = 1;
const HEADER_BYTES = 32;

/** All trees of a forest, concatenated. */
export interface ForestArrays {
  nTrees: number;
  nFeatures: number;
  /** Values per leaf. */
  valueWidth: number;
  treeStart: Int32Array;
  feature: Int32Array;
  threshold: Float64Array;
  right: Int32Array;
  missingLeft: Uint8Array;
  values: Float64Array;
}

/** Concatenates trees (in order) into one forest, offsetting child and leaf indices. */
export function assembleForest(
  trees: readonly HistogramTree[],
  nFeatures: number,
  valueWidth: number,
): ForestArrays {
  let nodes = 0;
  let leafValues = 0;
  for (const t of trees) {
    nodes += t.feature.length;
    leafValues += t.values.length;
  }
  const forest: ForestArrays = {
    nTrees: trees.length,
    nFeatures,
    valueWidth,
    treeStart: new Int32Array(trees.length + 1),
    feature: new Int32Array(nodes),
    threshold: new Float64Array(nodes),
    right: new Int32Array(nodes),
    missingLeft: new Uint8Array(nodes),
    values: new Float64Array(leafValues),
  };
  let nodeOffset = 0;
  let leafOffset = 0;
  trees.forEach((t, i) => {
    forest.treeStart[i] = nodeOffset;
    forest.feature.set(t.feature, nodeOffset);
    forest.threshold.set(t.threshold, nodeOffset);
    forest.missingLeft.set(t.missingLeft, nodeOffset);
    for (let j = 0; j < t.feature.length; j++) {
      forest.right[nodeOffset + j] = t.feature[j]! < 0 ? t.right[j]! + leafOffset : t.right[j]! + nodeOffset;
    }
    forest.values.set(t.values, leafOffset * valueWidth);
    nodeOffset += t.feature.length;
    leafOffset += t.values.length / valueWidth;
  });
  forest.treeStart[trees.length] = nodeOffset;
  return forest;
}

/**
 * The nodes of a forest packed for prediction: 24 bytes per node, so that a step down a tree reads
 * one record. Internal node `i`: `num[3i]` = threshold; `int[6i+2]` = `feature << 1 | missingRight`;
 * `int[6i+4]` / `int[6i+5]` = left / right child, each either a node index or `-1 - leafIndex`.
 * A step is branch-free: `child = int[6i + 4 + (x > threshold | isNaN(x) & missingRight)]`, which
 * avoids the mispredicted branch that dominates a naive walk.
 */
export interface PackedForest {
  nTrees: number;
  nFeatures: number;
  valueWidth: number;
  /** Each tree's root: a node index, or `-1 - leafIndex` for a single-leaf tree. */
  roots: Int32Array;
  num: Float64Array;
  int: Int32Array;
  values: Float64Array;
}

/** Packs a forest for {@link accumulatePredictions}; `shared` puts the arrays on SharedArrayBuffers (for worker threads). */
export function packForest(forest: ForestArrays, shared = false): PackedForest {
  const N = forest.feature.length;
  const alloc = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  const buf = alloc(24 * N);
  const num = new Float64Array(buf);
  const int = new Int32Array(buf);
  const { feature, right, threshold, missingLeft } = forest;
  const encode = (j: number) => (feature[j]! < 0 ? -1 - right[j]! : j);
  for (let i = 0; i < N; i++) {
    const f = feature[i]!;
    if (f < 0) continue;
    num[3 * i] = threshold[i]!;
    int[6 * i + 2] = (f << 1) | (missingLeft[i] ? 0 : 1);
    int[6 * i + 4] = encode(i + 1);
    int[6 * i + 5] = encode(right[i]!);
  }
  const values = new Float64Array(alloc(8 * forest.values.length));
  values.set(forest.values);
  const roots = new Int32Array(alloc(4 * forest.nTrees));
  for (let t = 0; t < forest.nTrees; t++) roots[t] = encode(forest.treeStart[t]!);
  return {
    nTrees: forest.nTrees,
    nFeatures: forest.nFeatures,
    valueWidth: forest.valueWidth,
    roots,
    num,
    int,
    values,
  };
}

/**
 * Sums the leaf values of every tree for rows `[start, end)` of `columns` (in the forest's feature
 * order) into `out[(i - start) * valueWidth + k]`. The caller divides by the number of trees.
 * Rows go in blocks of 16384: a block's values are copied row-major (2.6 MB for 20 features), then
 * every tree walks the whole block, four rows at a time (independent walks overlap their memory
 * latency). A deep tree's nodes (~400 kB at depth 16) do not fit in a core's cache, so the walk is
 * bound by node reads: the more rows per pass over a tree, the more of its nodes are reused while
 * cached (1024-row blocks took 1.3x and 256-row blocks 2x the CPU time of 4096; 16384 took 0.9x).
 * A block without missing values takes {@link walkBlockComplete} (no NaN test per step, ~0.86x). Small jobs take a plain loop instead, which the JIT optimizes sooner.
 */
export function accumulatePredictions(
  forest: PackedForest,
  columns: readonly Float64Array[],
  start: number,
  end: number,
  out: Float64Array,
): void {
  const { num, int, values, valueWidth: V, roots, nTrees } = forest;
  if ((end - start) * nTrees < 300_000) {
    accumulateSmall(forest, columns, start, end, out);
    return;
  }
  const F = columns.length;
  const BLOCK = 16384;
  const block = new Float64Array(Math.min(BLOCK, Math.max(0, end - start)) * F);
  for (let b0 = start; b0 < end; b0 += BLOCK) {
    const b1 = Math.min(end, b0 + BLOCK);
    let missing = false;
    for (let f = 0; f < F; f++) {
      const col = columns[f]!;
      for (let i = b0; i < b1; i++) {
        const v = col[i]!;
        if (Number.isNaN(v)) missing = true;
        block[(i - b0) * F + f] = v;
      }
    }
    if (!missing) {
      walkBlockComplete(forest, block, F, b0, b1, start, out);
      continue;
    }
    for (let t = 0; t < nTrees; t++) {
      const root = roots[t]!;
      let i = b0;
      for (; i + 4 <= b1; i += 4) {
        const r0 = (i - b0) * F;
        const r1 = r0 + F;
        const r2 = r1 + F;
        const r3 = r2 + F;
        let n0 = root;
        let n1 = root;
        let n2 = root;
        let n3 = root;
        // Until all four reached a leaf (a negative code).
        while ((n0 & n1 & n2 & n3) >= 0) {
          if (n0 >= 0) {
            const c = int[6 * n0 + 2]!;
            const x = block[r0 + (c >> 1)]!;
            n0 = int[6 * n0 + 4 + (+(x > num[3 * n0]!) | (+Number.isNaN(x) & c))]!;
          }
          if (n1 >= 0) {
            const c = int[6 * n1 + 2]!;
            const x = block[r1 + (c >> 1)]!;
            n1 = int[6 * n1 + 4 + (+(x > num[3 * n1]!) | (+Number.isNaN(x) & c))]!;
          }
          if (n2 >= 0) {
            const c = int[6 * n2 + 2]!;
            const x = block[r2 + (c >> 1)]!;
            n2 = int[6 * n2 + 4 + (+(x > num[3 * n2]!) | (+Number.isNaN(x) & c))]!;
          }
          if (n3 >= 0) {
            const c = int[6 * n3 + 2]!;
            const x = block[r3 + (c >> 1)]!;
            n3 = int[6 * n3 + 4 + (+(x > num[3 * n3]!) | (+Number.isNaN(x) & c))]!;
          }
        }
        const o = (i - start) * V;
        const l0 = (-1 - n0) * V;
        const l1 = (-1 - n1) * V;
        const l2 = (-1 - n2) * V;
        const l3 = (-1 - n3) * V;
        for (let k = 0; k < V; k++) {
          out[o + k]! += values[l0 + k]!;
          out[o + V + k]! += values[l1 + k]!;
          out[o + 2 * V + k]! += values[l2 + k]!;
          out[o + 3 * V + k]! += values[l3 + k]!;
        }
      }
      for (; i < b1; i++) {
        const row = (i - b0) * F;
        let node = root;
        while (node >= 0) {
          const c = int[6 * node + 2]!;
          const x = block[row + (c >> 1)]!;
          node = int[6 * node + 4 + (+(x > num[3 * node]!) | (+Number.isNaN(x) & c))]!;
        }
        const leaf = (-1 - node) * V;
        const o = (i - start) * V;
        for (let k = 0; k < V; k++) out[o + k]! += values[leaf + k]!;
      }
    }
  }
}

/**
 * The blocked walk of {@link accumulatePredictions} for a block without missing values: a step is
 * `child = int[6i + 4 + (x > threshold)]`, without the NaN test.
 */
function walkBlockComplete(
  forest: PackedForest,
  block: Float64Array,
  F: number,
  b0: number,
  b1: number,
  start: number,
  out: Float64Array,
): void {
  const { num, int, values, valueWidth: V, roots, nTrees } = forest;
  for (let t = 0; t < nTrees; t++) {
    const root = roots[t]!;
    let i = b0;
    for (; i + 4 <= b1; i += 4) {
      const r0 = (i - b0) * F;
      const r1 = r0 + F;
      const r2 = r1 + F;
      const r3 = r2 + F;
      let n0 = root;
      let n1 = root;
      let n2 = root;
      let n3 = root;
      while ((n0 & n1 & n2 & n3) >= 0) {
        if (n0 >= 0) n0 = int[6 * n0 + 4 + +(block[r0 + (int[6 * n0 + 2]! >> 1)]! > num[3 * n0]!)]!;
        if (n1 >= 0) n1 = int[6 * n1 + 4 + +(block[r1 + (int[6 * n1 + 2]! >> 1)]! > num[3 * n1]!)]!;
        if (n2 >= 0) n2 = int[6 * n2 + 4 + +(block[r2 + (int[6 * n2 + 2]! >> 1)]! > num[3 * n2]!)]!;
        if (n3 >= 0) n3 = int[6 * n3 + 4 + +(block[r3 + (int[6 * n3 + 2]! >> 1)]! > num[3 * n3]!)]!;
      }
      const o = (i - start) * V;
      const l0 = (-1 - n0) * V;
      const l1 = (-1 - n1) * V;
      const l2 = (-1 - n2) * V;
      const l3 = (-1 - n3) * V;
      for (let k = 0; k < V; k++) {
        out[o + k]! += values[l0 + k]!;
        out[o + V + k]! += values[l1 + k]!;
        out[o + 2 * V + k]! += values[l2 + k]!;
        out[o + 3 * V + k]! += values[l3 + k]!;
      }
    }
    for (; i < b1; i++) {
      const row = (i - b0) * F;
      let node = root;
      while (node >= 0)
        node = int[6 * node + 4 + +(block[row + (int[6 * node + 2]! >> 1)]! > num[3 * node]!)]!;
      const leaf = (-1 - node) * V;
      const o = (i - start) * V;
      for (let k = 0; k < V; k++) out[o + k]! += values[leaf + k]!;
    }
  }
}

/** {@link accumulatePredictions} for small jobs: one plain walk per row and tree. */
function accumulateSmall(
  forest: PackedForest,
  columns: readonly Float64Array[],
  start: number,
  end: number,
  out: Float64Array,
): void {
  const { num, int, values, valueWidth: V, roots, nTrees } = forest;
  for (let t = 0; t < nTrees; t++) {
    const root = roots[t]!;
    for (let i = start; i < end; i++) {
      let node = root;
      while (node >= 0) {
        const c = int[6 * node + 2]!;
        const x = columns[c >> 1]![i]!;
        node = int[6 * node + 4 + (+(x > num[3 * node]!) | (+Number.isNaN(x) & c))]!;
      }
      const leaf = (-1 - node) * V;
      const o = (i - start) * V;
      for (let k = 0; k < V; k++) out[o + k]! += values[leaf + k]!;
    }
  }
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Serializes a forest into the binary layout. */
export function encodeForest(forest: ForestArrays): Uint8Array {
  if (!isLittleEndian()) throw new Error("the binary forest format needs a little-endian platform");
  const N = forest.feature.length;
  const LV = forest.values.length;
  const T = forest.nTrees;
  const size = HEADER_BYTES + 8 * N + 8 * LV + 4 * (T + 1) + 4 * N + 4 * N + N;
  const buf = new ArrayBuffer(align8(size));
  const bytes = new Uint8Array(buf);
  const view = new DataView(buf);
  for (let i = 0; i < 8; i++) bytes[i] = FOREST_MAGIC.charCodeAt(i);
  view.setUint32(8, FOREST_BINARY_VERSION, true);
  view.setUint32(12, T, true);
  view.setUint32(16, forest.nFeatures, true);
  view.setUint32(20, forest.valueWidth, true);
  view.setUint32(24, N, true);
  view.setUint32(28, LV / forest.valueWidth, true);
  let o = HEADER_BYTES;
  new Float64Array(buf, o, N).set(forest.threshold);
  o += 8 * N;
  new Float64Array(buf, o, LV).set(forest.values);
  o += 8 * LV;
  new Int32Array(buf, o, T + 1).set(forest.treeStart);
  o += 4 * (T + 1);
  new Int32Array(buf, o, N).set(forest.feature);
  o += 4 * N;
  new Int32Array(buf, o, N).set(forest.right);
  o += 4 * N;
  bytes.set(forest.missingLeft, o);
  return bytes.subarray(0, size);
}

/** Parses and checks a serialized forest; throws an Error saying what is wrong. */
export function decodeForest(bytes: Uint8Array): ForestArrays {
  if (!isLittleEndian()) throw new Error("the binary forest format needs a little-endian platform");
  if (bytes.length < HEADER_BYTES) throw new Error(`it is ${bytes.length} bytes, shorter than the header`);
  for (let i = 0; i < 8; i++) {
    if (bytes[i] !== FOREST_MAGIC.charCodeAt(i)) throw new Error(`it does not start with "${FOREST_MAGIC}"`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version > FOREST_BINARY_VERSION) {
    throw new Error(
      `binary version ${version} is newer than this code reads (${FOREST_BINARY_VERSION}); upgrade @lolpop/random-forest`,
    );
  }
  const T = view.getUint32(12, true);
  const F = view.getUint32(16, true);
  const V = view.getUint32(20, true);
  const N = view.getUint32(24, true);
  const L = view.getUint32(28, true);
  const expected = HEADER_BYTES + 8 * N + 8 * L * V + 4 * (T + 1) + 9 * N;
  if (T < 1 || V < 1 || bytes.length !== expected) {
    throw new Error(`its size (${bytes.length} bytes) does not match its header (expected ${expected})`);
  }
  // Copy into aligned arrays.
  let o = bytes.byteOffset + HEADER_BYTES;
  const take = (len: number): ArrayBuffer => {
    const b = bytes.buffer.slice(o, o + len) as ArrayBuffer;
    o += len;
    return b;
  };
  const forest: ForestArrays = {
    nTrees: T,
    nFeatures: F,
    valueWidth: V,
    threshold: new Float64Array(take(8 * N)),
    values: new Float64Array(take(8 * L * V)),
    treeStart: new Int32Array(take(4 * (T + 1))),
    feature: new Int32Array(take(4 * N)),
    right: new Int32Array(take(4 * N)),
    missingLeft: new Uint8Array(take(N)),
  };
  checkForest(forest, L);
  return forest;
}

/** Structural checks that make every walk end inside the arrays. */
function checkForest(forest: ForestArrays, nLeaves: number): void {
  const { treeStart, feature, right, nTrees, nFeatures } = forest;
  const N = feature.length;
  if (treeStart[0] !== 0 || treeStart[nTrees] !== N) throw new Error("tree offsets do not cover the nodes");
  for (let t = 0; t < nTrees; t++) {
    const a = treeStart[t]!;
    const b = treeStart[t + 1]!;
    if (!(b > a)) throw new Error(`tree ${t} has no nodes`);
    for (let i = a; i < b; i++) {
      const f = feature[i]!;
      if (f < 0) {
        if (f !== -1 || right[i]! < 0 || right[i]! >= nLeaves) throw new Error(`node ${i} is a broken leaf`);
      } else if (f >= nFeatures || i + 1 >= b || right[i]! <= i || right[i]! >= b) {
        throw new Error(`node ${i} points outside its tree`);
      }
    }
  }
}

function isLittleEndian(): boolean {
  return new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
}
