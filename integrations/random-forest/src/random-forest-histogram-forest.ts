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
 * The nodes of a forest packed for prediction: only the internal nodes, 16 bytes each (four to a
 * 64-byte cache line), in pre-order, so that a step down a tree reads one record and a deep tree
 * takes a third of the memory of one 24-byte record per node (leaves included) would.
 * Internal node `i`: `num[2i]` = threshold; `int[4i+2]` = `feature << 2 | leftIsLeaf << 1 |
 * missingRight`; `int[4i+3]` = right child, a node index or `-1 - leafSlot`. The left child is not
 * stored: it is node `i + 1` (pre-order), or, when it is a leaf, leaf slot `i` (leaves are numbered
 * so that the left leaf of node `i` has slot `i`; right leaves and single-leaf trees take the slots
 * after the last node). A step is branch-free:
 * `left = leftIsLeaf ? -1 - i : i + 1` (`i + 1 - ((w << 30 >> 31) & (2i + 2))`), then `child = left ^ ((right ^ left) & -goRight)`
 * with `goRight = x > threshold | isNaN(x) & missingRight`.
 */
export interface PackedForest {
  nTrees: number;
  nFeatures: number;
  valueWidth: number;
  /** Each tree's root: a node index, or `-1 - leafSlot` for a single-leaf tree. */
  roots: Int32Array;
  num: Float64Array;
  int: Int32Array;
  /** Leaf values by slot (`valueWidth` each; slots of nodes whose left child is a node are unused zeros). */
  values: Float64Array;
}

/** Packs a forest for {@link accumulatePredictions}; `shared` puts the arrays on SharedArrayBuffers (for worker threads). */
export function packForest(forest: ForestArrays, shared = false): PackedForest {
  const { feature, right, threshold, missingLeft, valueWidth: V } = forest;
  const N = feature.length;
  const alloc = (bytes: number) => (shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes));
  // Compact index of every internal node; leaf slots after the last one for right leaves.
  const index = new Int32Array(N);
  let internal = 0;
  for (let j = 0; j < N; j++) if (feature[j]! >= 0) index[j] = internal++;
  const slot = new Int32Array(N).fill(-1);
  let extra = internal;
  for (let j = 0; j < N; j++) {
    if (feature[j]! < 0) continue;
    if (feature[j + 1]! < 0) slot[j + 1] = index[j]!;
    const r = right[j]!;
    if (feature[r]! < 0) slot[r] = extra++;
  }
  for (let t = 0; t < forest.nTrees; t++) {
    const root = forest.treeStart[t]!;
    if (feature[root]! < 0) slot[root] = extra++;
  }
  const buf = alloc(16 * internal);
  const num = new Float64Array(buf);
  const int = new Int32Array(buf);
  const values = new Float64Array(alloc(8 * extra * V));
  const encode = (j: number) => (feature[j]! < 0 ? -1 - slot[j]! : index[j]!);
  for (let j = 0; j < N; j++) {
    const f = feature[j]!;
    if (f < 0) {
      values.set(forest.values.subarray(right[j]! * V, (right[j]! + 1) * V), slot[j]! * V);
      continue;
    }
    const i = index[j]!;
    num[2 * i] = threshold[j]!;
    int[4 * i + 2] = (f << 2) | (feature[j + 1]! < 0 ? 2 : 0) | (missingLeft[j] ? 0 : 1);
    int[4 * i + 3] = encode(right[j]!);
  }
  const roots = new Int32Array(alloc(4 * forest.nTrees));
  for (let t = 0; t < forest.nTrees; t++) roots[t] = encode(forest.treeStart[t]!);
  return {
    nTrees: forest.nTrees,
    nFeatures: forest.nFeatures,
    valueWidth: V,
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
 * latency). A deep tree's nodes do not fit in a core's L1/L2 cache, so the walk is bound by node
 * reads: the more rows per pass over a tree, the more of its nodes are reused while cached
 * (1024-row blocks took 1.3x and 256-row blocks 2x the CPU time of 4096; 16384 took 0.9x).
 * A block without missing values takes {@link walkBlockComplete} (no NaN test per step, ~0.86x).
 * Small jobs take a plain loop instead, which the JIT optimizes sooner.
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
            const w = int[4 * n0 + 2]!;
            const x = block[r0 + (w >> 2)]!;
            const left = n0 + 1 - (((w << 30) >> 31) & (2 * n0 + 2));
            n0 = left ^ ((int[4 * n0 + 3]! ^ left) & -(+(x > num[2 * n0]!) | (+Number.isNaN(x) & w)));
          }
          if (n1 >= 0) {
            const w = int[4 * n1 + 2]!;
            const x = block[r1 + (w >> 2)]!;
            const left = n1 + 1 - (((w << 30) >> 31) & (2 * n1 + 2));
            n1 = left ^ ((int[4 * n1 + 3]! ^ left) & -(+(x > num[2 * n1]!) | (+Number.isNaN(x) & w)));
          }
          if (n2 >= 0) {
            const w = int[4 * n2 + 2]!;
            const x = block[r2 + (w >> 2)]!;
            const left = n2 + 1 - (((w << 30) >> 31) & (2 * n2 + 2));
            n2 = left ^ ((int[4 * n2 + 3]! ^ left) & -(+(x > num[2 * n2]!) | (+Number.isNaN(x) & w)));
          }
          if (n3 >= 0) {
            const w = int[4 * n3 + 2]!;
            const x = block[r3 + (w >> 2)]!;
            const left = n3 + 1 - (((w << 30) >> 31) & (2 * n3 + 2));
            n3 = left ^ ((int[4 * n3 + 3]! ^ left) & -(+(x > num[2 * n3]!) | (+Number.isNaN(x) & w)));
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
          const w = int[4 * node + 2]!;
          const x = block[row + (w >> 2)]!;
          const left = node + 1 - (((w << 30) >> 31) & (2 * node + 2));
          node = left ^ ((int[4 * node + 3]! ^ left) & -(+(x > num[2 * node]!) | (+Number.isNaN(x) & w)));
        }
        const leaf = (-1 - node) * V;
        const o = (i - start) * V;
        for (let k = 0; k < V; k++) out[o + k]! += values[leaf + k]!;
      }
    }
  }
}

/**
 * The blocked walk of {@link accumulatePredictions} for a block without missing values (no NaN
 * test per step).
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
        if (n0 >= 0) {
          const w = int[4 * n0 + 2]!;
          const left = n0 + 1 - (((w << 30) >> 31) & (2 * n0 + 2));
          n0 = left ^ ((int[4 * n0 + 3]! ^ left) & -+(block[r0 + (w >> 2)]! > num[2 * n0]!));
        }
        if (n1 >= 0) {
          const w = int[4 * n1 + 2]!;
          const left = n1 + 1 - (((w << 30) >> 31) & (2 * n1 + 2));
          n1 = left ^ ((int[4 * n1 + 3]! ^ left) & -+(block[r1 + (w >> 2)]! > num[2 * n1]!));
        }
        if (n2 >= 0) {
          const w = int[4 * n2 + 2]!;
          const left = n2 + 1 - (((w << 30) >> 31) & (2 * n2 + 2));
          n2 = left ^ ((int[4 * n2 + 3]! ^ left) & -+(block[r2 + (w >> 2)]! > num[2 * n2]!));
        }
        if (n3 >= 0) {
          const w = int[4 * n3 + 2]!;
          const left = n3 + 1 - (((w << 30) >> 31) & (2 * n3 + 2));
          n3 = left ^ ((int[4 * n3 + 3]! ^ left) & -+(block[r3 + (w >> 2)]! > num[2 * n3]!));
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
        const w = int[4 * node + 2]!;
        const left = node + 1 - (((w << 30) >> 31) & (2 * node + 2));
        node = left ^ ((int[4 * node + 3]! ^ left) & -+(block[row + (w >> 2)]! > num[2 * node]!));
      }
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
        const w = int[4 * node + 2]!;
        const x = columns[w >> 2]![i]!;
        const left = node + 1 - (((w << 30) >> 31) & (2 * node + 2));
        node = left ^ ((int[4 * node + 3]! ^ left) & -(+(x > num[2 * node]!) | (+Number.isNaN(x) & w)));
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
