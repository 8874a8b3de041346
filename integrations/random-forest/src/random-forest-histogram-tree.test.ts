// Unit tests of the histogram engine's parts: binning, the tree builder, the forest arrays and
// their binary format.
import { createRng } from "@lolpop/core";
import { gaussian, syntheticClassification } from "../test/fixtures/datasets.js";
import { binColumn, binFeatures, binOf, binThresholds } from "./random-forest-histogram-binning.js";
import {
  accumulatePredictions,
  assembleForest,
  decodeForest,
  encodeForest,
  type ForestArrays,
  packForest,
} from "./random-forest-histogram-forest.js";
import {
  CRITERION_GINI,
  CRITERION_SQUARED_ERROR,
  type HistogramTree,
  HistogramTreeBuilder,
  type HistogramTreeData,
  type HistogramTreeParams,
  MISSING_BIN,
  TreeRandom,
} from "./random-forest-histogram-tree.js";

const BASE: HistogramTreeParams = {
  criterion: CRITERION_GINI,
  maxDepth: -1,
  minSamplesSplit: 2,
  minSamplesLeaf: 1,
  maxFeatures: 3,
  bootstrap: true,
  sampleSize: 0,
  classWeight: null,
  balancedSubsample: false,
};

function treeData(
  columns: Float64Array[],
  y: Int32Array | Float64Array,
  nClasses: number,
): HistogramTreeData {
  const binned = binFeatures(columns, 255, undefined, false);
  return {
    nRows: y.length,
    nFeatures: columns.length,
    ...binned,
    nClasses,
    ...(nClasses > 0 ? { yClass: y as Int32Array } : { yValue: y as Float64Array }),
  };
}

const synth = syntheticClassification({ n: 3000, features: 8, informative: 4, classes: 3, seed: 9 });
const synthData = treeData(synth.columns, synth.y as Int32Array, 3);

/** Depth of every leaf, and (for checks) each node's depth. */
function depths(t: HistogramTree): number[] {
  const out: number[] = [];
  const stack: Array<[number, number]> = [[0, 0]];
  while (stack.length) {
    const [node, d] = stack.pop()!;
    if (t.feature[node]! < 0) out.push(d);
    else stack.push([node + 1, d + 1], [t.right[node]!, d + 1]);
  }
  return out;
}

/** Rows of `data` reaching each node of `t` (walking the binned values). */
function rowsPerNode(t: HistogramTree, columns: Float64Array[]): number[] {
  const counts = new Array<number>(t.feature.length).fill(0);
  const n = columns[0]!.length;
  for (let i = 0; i < n; i++) {
    let node = 0;
    counts[0]!++;
    while (t.feature[node]! >= 0) {
      const x = columns[t.feature[node]!]![i]!;
      const left = Number.isNaN(x) ? t.missingLeft[node] === 1 : x <= t.threshold[node]!;
      node = left ? node + 1 : t.right[node]!;
      counts[node]!++;
    }
  }
  return counts;
}

describe("binning", () => {
  it("gives each of few distinct values its own bin, split at midpoints", () => {
    const col = Float64Array.from([3, 1, 2, 2, Number.NaN, 1, 3, 5]);
    const t = binThresholds(col, 255);
    expect(Array.from(t)).toEqual([1.5, 2.5, 4]);
    expect([1, 2, 3, 5, 0, 6, 1.5, 1.50001].map((x) => binOf(x, t, 0, t.length))).toEqual([
      0, 1, 2, 3, 0, 3, 0, 1,
    ]);
    expect(binOf(Number.NaN, t, 0, t.length)).toBe(MISSING_BIN);
  });

  it("makes equal-frequency bins when there are more distinct values than bins", () => {
    const rand = createRng(3);
    const normal = gaussian(rand);
    const col = Float64Array.from({ length: 20_000 }, () => normal());
    const t = binThresholds(col, 16);
    expect(t.length).toBe(15);
    const counts = new Array(16).fill(0);
    for (const x of col) counts[binOf(x, t, 0, t.length)]++;
    for (const c of counts) expect(Math.abs(c - 20_000 / 16)).toBeLessThan(20_000 / 16 / 10);
    for (let i = 1; i < t.length; i++) expect(t[i]!).toBeGreaterThan(t[i - 1]!);
  });

  it("keeps heavy ties in one bin", () => {
    const col = Float64Array.from({ length: 1000 }, (_, i) => (i < 900 ? 0 : i));
    const t = binThresholds(col, 8);
    const bins = Array.from(col, (x) => binOf(x, t, 0, t.length));
    expect(new Set(bins.slice(0, 900)).size).toBe(1);
    expect(t.length).toBeLessThanOrEqual(7);
  });

  it("bins whole columns exactly like a binary search, including ties, infinities and NaN", () => {
    const rand = createRng(5);
    const col = Float64Array.from({ length: 5000 }, () => Math.round(rand() * 1000) / 10);
    const t = binThresholds(col, 255);
    const probe = Float64Array.from([
      ...col,
      ...t,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -1e300,
      1e300,
    ]);
    const out = new Uint8Array(probe.length);
    binColumn(probe, t, 0, t.length, out, 0);
    probe.forEach((x, i) => expect(out[i]).toBe(binOf(x, t, 0, t.length)));
    expect(out[probe.length - 4]).toBe(t.length); // +Infinity: last bin
    expect(out[probe.length - 3]).toBe(0); // -Infinity: first bin
  });

  it("separates neighbouring floats and infinities", () => {
    const a = 1;
    const b = 1 + Number.EPSILON;
    const t = binThresholds(
      Float64Array.from([a, b, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]),
      255,
    );
    const bins = [Number.NEGATIVE_INFINITY, a, b, Number.POSITIVE_INFINITY].map((x) =>
      binOf(x, t, 0, t.length),
    );
    expect(bins).toEqual([0, 1, 2, 3]);
  });

  it("treats a constant or empty column as one bin", () => {
    expect(binThresholds(Float64Array.from([4, 4, 4]), 255).length).toBe(0);
    expect(binThresholds(Float64Array.from([Number.NaN, Number.NaN]), 255).length).toBe(0);
    const out = new Uint8Array(3);
    binColumn(Float64Array.from([4, Number.NaN, 7]), new Float64Array(0), 0, 0, out, 0);
    expect(Array.from(out)).toEqual([0, MISSING_BIN, 0]);
  });
});

describe("TreeRandom", () => {
  it("is deterministic for a seed and uniform enough", () => {
    const a = new TreeRandom(7);
    const b = new TreeRandom(7);
    const c = new TreeRandom(8);
    const xs = Array.from({ length: 20_000 }, () => a.below(10));
    expect(Array.from({ length: 20_000 }, () => b.below(10))).toEqual(xs);
    expect(Array.from({ length: 100 }, () => c.below(10))).not.toEqual(xs.slice(0, 100));
    const counts = new Array(10).fill(0);
    for (const x of xs) counts[x]++;
    for (const k of counts) expect(Math.abs(k - 2000)).toBeLessThan(200);
  });
});

describe("HistogramTreeBuilder", () => {
  const params = { ...BASE, sampleSize: synthData.nRows };

  it("is deterministic for a seed and differs between seeds", () => {
    const a = new HistogramTreeBuilder(synthData, params).build(1);
    const b = new HistogramTreeBuilder(synthData, params).build(1);
    const c = new HistogramTreeBuilder(synthData, params).build(2);
    expect(b).toEqual(a);
    expect(c.feature).not.toEqual(a.feature);
    // A builder reuses its buffers: the same tree again.
    const reused = new HistogramTreeBuilder(synthData, params);
    reused.build(5);
    expect(reused.build(1)).toEqual(a);
  });

  it("gives the same tree with the subtraction trick, with direct histograms and with sorted small nodes", () => {
    const all = { ...params, maxFeatures: 8 };
    const subtract = new HistogramTreeBuilder(synthData, { ...all, fullHistogramMinRows: 1 }).build(4);
    const direct = new HistogramTreeBuilder(synthData, {
      ...all,
      fullHistogramMinRows: Number.POSITIVE_INFINITY,
    }).build(4);
    const noSort = new HistogramTreeBuilder(synthData, {
      ...all,
      fullHistogramMinRows: Number.POSITIVE_INFINITY,
      smallNodeRows: 0,
    }).build(4);
    expect(subtract.feature.length).toBeGreaterThan(50);
    expect(direct).toEqual(subtract);
    expect(noSort).toEqual(subtract);
  });

  it("honours max_depth, min_samples_split and min_samples_leaf (rows counted without bootstrap)", () => {
    const p = { ...params, bootstrap: false, minSamplesSplit: 40, minSamplesLeaf: 15 };
    const t = new HistogramTreeBuilder(synthData, p).build(3);
    const counts = rowsPerNode(t, synth.columns);
    expect(counts[0]).toBe(synthData.nRows);
    t.feature.forEach((f, i) => {
      if (f >= 0) expect(counts[i]!).toBeGreaterThanOrEqual(40);
      else expect(counts[i]!).toBeGreaterThanOrEqual(15);
    });
    const shallow = new HistogramTreeBuilder(synthData, { ...params, maxDepth: 3 }).build(3);
    expect(Math.max(...depths(shallow))).toBe(3);
    const stump = new HistogramTreeBuilder(synthData, { ...params, maxDepth: 1 }).build(3);
    expect(stump.feature.length).toBe(3);
  });

  it("draws max_features at every split, not once per tree", () => {
    const t = new HistogramTreeBuilder(synthData, { ...params, maxFeatures: 1, maxDepth: 8 }).build(6);
    const used = new Set(Array.from(t.feature).filter((f) => f >= 0));
    expect(used.size).toBeGreaterThan(3);
  });

  it("grows pure leaves when unlimited, and leaf values are class shares", () => {
    const p = { ...params, bootstrap: false, maxFeatures: 8 };
    const t = new HistogramTreeBuilder(synthData, p).build(2);
    for (let leaf = 0; leaf < t.values.length / 3; leaf++) {
      const v = Array.from(t.values.subarray(leaf * 3, leaf * 3 + 3));
      expect(v.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
    // Training rows are fitted perfectly unless identical binned rows disagree.
    const forest = assembleForest([t], 8, 3);
    const out = new Float64Array(synthData.nRows * 3);
    accumulatePredictions(packForest(forest), synth.columns, 0, synthData.nRows, out);
    let wrong = 0;
    for (let i = 0; i < synthData.nRows; i++) if (out[i * 3 + synth.y[i]!]! < 0.5) wrong++;
    expect(wrong).toBe(0);
  });

  it("learns where missing values go, and sends unseen missing values to the heavier child", () => {
    // Class 0 is missing x0 60% of the time; class 1 never is. x0 itself is noise.
    const rand = createRng(11);
    const normal = gaussian(rand);
    const n = 2000;
    const y = Int32Array.from({ length: n }, (_, i) => i % 2);
    const x0 = Float64Array.from(y, (c) => (c === 0 && rand() < 0.6 ? Number.NaN : normal()));
    const x1 = Float64Array.from({ length: n }, () => normal());
    const data = treeData([x0, x1], y, 2);
    const t = new HistogramTreeBuilder(data, { ...BASE, sampleSize: n, maxFeatures: 2, maxDepth: 1 }).build(
      1,
    );
    expect(t.feature[0]).toBe(0);
    const forest = assembleForest([t], 2, 2);
    const out = new Float64Array(2 * 2);
    accumulatePredictions(
      packForest(forest),
      [Float64Array.from([Number.NaN, 0]), Float64Array.from([0, 0])],
      0,
      2,
      out,
    );
    expect(out[0]!).toBeGreaterThan(0.95); // a missing x0 is class 0
    expect(out[2]!).toBeLessThan(0.5); // a present x0 leans to class 1

    // No missing value in training: 70% of rows are left of the split, so NaN goes left.
    const z = Float64Array.from({ length: 1000 }, (_, i) => (i < 700 ? i / 1000 : 1 + i / 1000));
    const zy = Int32Array.from(z, (v) => (v > 1 ? 1 : 0));
    const stump = new HistogramTreeBuilder(treeData([z], zy, 2), {
      ...BASE,
      sampleSize: 1000,
      bootstrap: false,
      maxFeatures: 1,
      maxDepth: 1,
    }).build(1);
    expect(stump.missingLeft[0]).toBe(1);
    const o = new Float64Array(2);
    accumulatePredictions(
      packForest(assembleForest([stump], 1, 2)),
      [Float64Array.from([Number.NaN])],
      0,
      1,
      o,
    );
    expect(Array.from(o)).toEqual([1, 0]);
  });

  it("fits regression means with squared error", () => {
    const n = 500;
    const x = Float64Array.from({ length: n }, (_, i) => i);
    const y = Float64Array.from(x, (v) => (v < 250 ? 1 : 5));
    const t = new HistogramTreeBuilder(treeData([x], y, 0), {
      ...BASE,
      criterion: CRITERION_SQUARED_ERROR,
      sampleSize: n,
      bootstrap: false,
      maxFeatures: 1,
    }).build(1);
    // One split, two pure leaves.
    expect(t.feature.length).toBe(3);
    expect(t.threshold[0]).toBe(249.5);
    expect(Array.from(t.values)).toEqual([1, 5]);
    expect(t.importance[0]!).toBeGreaterThan(0);
  });

  it("weighs classes: with bootstrap through the draws, without bootstrap through the row weights", () => {
    const imbalanced = syntheticClassification({
      n: 4000,
      features: 6,
      informative: 3,
      classes: 2,
      seed: 4,
      weights: [0.9, 0.1],
    });
    const data = treeData(imbalanced.columns, imbalanced.y as Int32Array, 2);
    const share = (p: Partial<HistogramTreeParams>) => {
      const trees = [1, 2, 3, 4, 5].map((s) =>
        new HistogramTreeBuilder(data, { ...BASE, sampleSize: 4000, maxDepth: 4, ...p }).build(s),
      );
      const out = new Float64Array(4000 * 2);
      accumulatePredictions(packForest(assembleForest(trees, 6, 2)), imbalanced.columns, 0, 4000, out);
      let minority = 0;
      for (let i = 0; i < 4000; i++) if (out[i * 2 + 1]! > out[i * 2]!) minority++;
      return minority / 4000;
    };
    const plain = share({});
    const weighted = Float64Array.from([1, 9]);
    expect(share({ classWeight: weighted })).toBeGreaterThan(plain + 0.03);
    expect(share({ classWeight: weighted, bootstrap: false })).toBeGreaterThan(plain + 0.03);
    expect(share({ balancedSubsample: true })).toBeGreaterThan(plain + 0.03);
  });
});

describe("forest arrays and forest.bin", () => {
  const trees = [1, 2, 3].map((s) =>
    new HistogramTreeBuilder(synthData, { ...BASE, sampleSize: 3000, maxDepth: 6 }).build(s),
  );
  const forest = assembleForest(trees, 8, 3);

  it("round-trips through the binary layout", () => {
    const bytes = encodeForest(forest);
    expect(String.fromCharCode(...bytes.subarray(0, 8))).toBe("LPRFHIST");
    const back = decodeForest(bytes);
    expect(back).toEqual(forest);
    // Also from an unaligned copy.
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(decodeForest(shifted.subarray(3))).toEqual(forest);
  });

  it("predicts the average of its trees", () => {
    const out = new Float64Array(3000 * 3);
    accumulatePredictions(packForest(forest), synth.columns, 0, 3000, out);
    const single = trees.map((t) => {
      const o = new Float64Array(3000 * 3);
      accumulatePredictions(packForest(assembleForest([t], 8, 3)), synth.columns, 0, 3000, o);
      return o;
    });
    for (let i = 0; i < out.length; i += 997)
      expect(out[i]).toBeCloseTo(single[0]![i]! + single[1]![i]! + single[2]![i]!, 12);
    // A range of rows gives the same sums.
    const part = new Float64Array(100 * 3);
    accumulatePredictions(packForest(forest, true), synth.columns, 1000, 1100, part);
    expect(Array.from(part)).toEqual(Array.from(out.subarray(3000, 3300)));
  });

  it("packs only internal nodes, and every walk of the packed forest ends in the leaf the unpacked trees reach", () => {
    // Trees whose left and right children are leaves in every combination, a single-leaf tree, and
    // deep trees; rows with missing values (each split's learned direction) and without.
    const deep = Array.from({ length: 12 }, (_, s) =>
      new HistogramTreeBuilder(synthData, { ...BASE, sampleSize: 3000, maxDepth: 9 }).build(300 + s),
    );
    const single = {
      feature: Int32Array.from([-1]),
      threshold: new Float64Array(1),
      right: Int32Array.from([0]),
      missingLeft: new Uint8Array(1),
      values: Float64Array.from([0.25, 0.5, 0.25]),
      importance: new Float64Array(8),
      rootWeight: 1,
    };
    const forest = assembleForest([deep[0]!, single, ...deep.slice(1)], 8, 3);
    const packed = packForest(forest);
    const internal = forest.feature.filter((f) => f >= 0).length;
    expect(packed.num.length).toBe(2 * internal); // 16 bytes per internal node, none per leaf
    const reference = (columns: Float64Array[], i: number): number[] => {
      const sum = [0, 0, 0];
      for (let t = 0; t < forest.nTrees; t++) {
        let node = forest.treeStart[t]!;
        while (forest.feature[node]! >= 0) {
          const x = columns[forest.feature[node]!]![i]!;
          const goRight = Number.isNaN(x) ? !forest.missingLeft[node] : x > forest.threshold[node]!;
          node = goRight ? forest.right[node]! : node + 1;
        }
        for (let k = 0; k < 3; k++) sum[k]! += forest.values[forest.right[node]! * 3 + k]!;
      }
      return sum;
    };
    const withMissing = synth.columns.map((c, f) =>
      Float64Array.from(c, (v, i) => ((i + f) % 7 === 0 ? Number.NaN : v)),
    );
    for (const columns of [synth.columns, withMissing]) {
      const tiled = columns.map((c) => Float64Array.from({ length: 30_000 }, (_, i) => c[i % 3000]!));
      const blocked = new Float64Array(30_000 * 3); // 30,000 rows x 13 trees: the blocked walk
      accumulatePredictions(packed, tiled, 0, 30_000, blocked);
      for (let i = 0; i < 3000; i += 3) {
        const want = reference(columns, i);
        const one = new Float64Array(3); // one row: the plain walk
        accumulatePredictions(packed, columns, i, i + 1, one);
        for (let k = 0; k < 3; k++) {
          expect(one[k]).toBeCloseTo(want[k]!, 12);
          expect(blocked[(i + 6000) * 3 + k]).toBeCloseTo(want[k]!, 12);
        }
      }
    }
  });

  it("gives the same sums on the blocked four-row walk (large jobs) and the plain walk (small jobs)", () => {
    const many = Array.from({ length: 110 }, (_, s) =>
      new HistogramTreeBuilder(synthData, { ...BASE, sampleSize: 3000, maxDepth: 6 }).build(100 + s),
    );
    const packed = packForest(assembleForest(many, 8, 3));
    // Missing values take the learned directions on both paths.
    const columns = synth.columns.map((c, f) =>
      Float64Array.from(c, (v, i) => ((i + f) % 11 === 0 ? Number.NaN : v)),
    );
    const blocked = new Float64Array(3000 * 3); // 3000 rows x 110 trees: the blocked walk
    accumulatePredictions(packed, columns, 0, 3000, blocked);
    for (let i = 0; i < 3000; i += 7) {
      const one = new Float64Array(3); // one row: the plain walk
      accumulatePredictions(packed, columns, i, i + 1, one);
      expect(Array.from(one)).toEqual(Array.from(blocked.subarray(i * 3, i * 3 + 3)));
    }
    // A block without missing values takes the walk without the NaN test: same sums, also for
    // values equal to a split threshold (every fifth value of a feature is one of its thresholds).
    const ties = synth.columns.map((_, f) =>
      many.flatMap((t) => [...t.threshold].filter((_, j) => t.feature[j] === f)),
    );
    const complete = synth.columns.map((c, f) =>
      Float64Array.from(c, (v, i) =>
        i % 5 === 0 && ties[f]!.length ? ties[f]![i % ties[f]!.length]! : Number.isNaN(v) ? 0 : v,
      ),
    );
    const blockedComplete = new Float64Array(3000 * 3);
    accumulatePredictions(packed, complete, 0, 3000, blockedComplete);
    for (let i = 0; i < 3000; i += 7) {
      const one = new Float64Array(3);
      accumulatePredictions(packed, complete, i, i + 1, one);
      expect(Array.from(one)).toEqual(Array.from(blockedComplete.subarray(i * 3, i * 3 + 3)));
    }
    // Several blocks, starting past row 0: the rows repeated to 40,000, rows [5, 40,000) walked.
    const n = 40_000;
    const tiled = columns.map((c) => Float64Array.from({ length: n }, (_, i) => c[i % 3000]!));
    const long = new Float64Array((n - 5) * 3);
    accumulatePredictions(packed, tiled, 5, n, long);
    for (let i = 5; i < n; i += 97) {
      const r = i % 3000;
      expect(Array.from(long.subarray((i - 5) * 3, (i - 5) * 3 + 3))).toEqual(
        Array.from(blocked.subarray(r * 3, r * 3 + 3)),
      );
    }
  });

  it("rejects damaged files with a reason", () => {
    const bytes = encodeForest(forest);
    expect(() => decodeForest(bytes.subarray(0, 20))).toThrow(/shorter than the header/);
    const badMagic = bytes.slice();
    badMagic[0] = 0;
    expect(() => decodeForest(badMagic)).toThrow(/LPRFHIST/);
    expect(() => decodeForest(bytes.subarray(0, bytes.length - 1))).toThrow(/does not match its header/);
    const newer = bytes.slice();
    new DataView(newer.buffer).setUint32(8, 99, true);
    expect(() => decodeForest(newer)).toThrow(/upgrade/);
    // A right child pointing backwards would loop: refused.
    const broken: ForestArrays = { ...forest, right: forest.right.slice() };
    const internal = broken.feature.findIndex((f) => f >= 0);
    broken.right[internal] = internal;
    expect(() => decodeForest(encodeForest(broken))).toThrow(/points outside its tree/);
  });
});
