/**
 * Native scoring of CatBoost models from their JSON export (`save_model(..., format="json")`), so
 * predictions need no Python. Supported: float features only (no categorical features, no CTRs, no
 * text or embedding features), symmetric (oblivious) trees and non-symmetric trees (Depthwise,
 * Lossguide), any output dimension, the `scale_and_bias` of the model, and the output transforms of
 * the loss functions listed in {@link outputTransformFor}. Anything else is refused with a reason,
 * and the caller falls back to CatBoost in Python.
 *
 * How a model is applied (checked against CatBoost's own predictions in the tests):
 * - a split on float feature f with border b gives bit 1 when `float32(x[f]) > b`; a missing value
 *   (NaN) gives 1 when the feature's `nan_value_treatment` is `AsTrue` (nan_mode Max), else 0;
 * - an oblivious tree's leaf index is the sum of bit(split d) << d (split 0 is the lowest bit), and
 *   adds `leaf_values[index * dim + k]` to output k; in a non-symmetric tree bit 1 goes right;
 * - raw[k] = scale * sum[k] + bias[k], then the loss function's transform (sigmoid, softmax, exp...).
 *
 * Speed: rows go in blocks of 1024. Each feature value of a block is first turned into its bin (the
 * number of borders below it, by a branch-free binary search), once however many splits use it; then
 * each oblivious tree runs over the whole block with its splits as loop constants, computing four
 * rows' leaf indexes at once from 32-bit words of byte bins (see {@link LanePlan}). Each row still
 * adds its trees in order, so results are bit-identical to a one-row-at-a-time walk. Oblivious models
 * with one output, depth <= 8 and <= 255 borders per feature run the same steps in WebAssembly SIMD
 * (catboost-wasm-kernel.ts: 16 rows per step), unless {@link WASM_ENV} is `0`.
 */
import type { ProblemType } from "@lolpop/core";
import {
  SPLIT_RECORD_BYTES,
  TREE_RECORD_BYTES,
  type WasmKernel,
  wasmKernel,
} from "./catboost-wasm-kernel.js";

/** The parts of CatBoost's JSON model format this scorer reads. */
export interface CatBoostJsonModel {
  model_info?: Record<string, unknown>;
  features_info?: {
    float_features?: Array<{
      feature_index: number;
      flat_feature_index: number;
      borders?: number[] | null;
      nan_value_treatment?: string;
      feature_name?: string;
    }>;
    categorical_features?: unknown[];
    text_features?: unknown[];
    embedding_features?: unknown[];
    ctrs?: unknown[];
    [key: string]: unknown;
  };
  oblivious_trees?: Array<{ leaf_values: number[]; splits: JsonSplit[] }>;
  trees?: JsonNode[];
  scale_and_bias?: [number, number[] | number];
  [key: string]: unknown;
}

interface JsonSplit {
  split_type?: string;
  float_feature_index?: number;
  border?: number;
  split_index?: number;
}

type JsonNode = { split: JsonSplit; left: JsonNode; right: JsonNode } | { value: number | number[] };

/** How raw scores become predictions. */
export type OutputTransform = "sigmoid" | "softmax" | "raw" | "exp";

const CLASSIFICATION_TRANSFORMS: Record<string, OutputTransform> = {
  Logloss: "sigmoid",
  CrossEntropy: "sigmoid",
  MultiClass: "softmax",
  MultiClassOneVsAll: "sigmoid",
};

const REGRESSION_TRANSFORMS: Record<string, OutputTransform> = {
  RMSE: "raw",
  MAE: "raw",
  Quantile: "raw",
  MAPE: "raw",
  Huber: "raw",
  Expectile: "raw",
  LogCosh: "raw",
  Lq: "raw",
  Poisson: "exp",
  Tweedie: "exp",
};

/** Loss functions the trainer accepts, by problem type (parameters such as `Quantile:alpha=0.9` are allowed). */
export const SUPPORTED_LOSSES = {
  classification: Object.keys(CLASSIFICATION_TRANSFORMS),
  regression: Object.keys(REGRESSION_TRANSFORMS),
} as const;

/** The name of a loss function without its parameters (`Quantile:alpha=0.9` gives `Quantile`). */
export function lossName(loss: string): string {
  return loss.split(":")[0]!.trim();
}

/**
 * The transform CatBoost applies in `predict_proba` (classification) or `predict` (regression) for
 * a loss function, or undefined when the native scorer does not know it.
 */
export function outputTransformFor(loss: string, problem: ProblemType): OutputTransform | undefined {
  if (problem === "timeseries") return undefined; // a model_trainer never fits time series
  const name = lossName(loss);
  return problem === "classification" ? CLASSIFICATION_TRANSFORMS[name] : REGRESSION_TRANSFORMS[name];
}

/** A compiled model: raw scores of rows from feature columns in training order. */
export interface NativeScorer {
  /** Feature columns the model reads (its flat feature count). */
  readonly featureCount: number;
  /** Output dimension (1 for binary classification and regression, the class count for MultiClass). */
  readonly dimension: number;
  readonly treeCount: number;
  /** `oblivious` for symmetric trees, `non-symmetric` for Depthwise/Lossguide trees. */
  readonly treeKind: "oblivious" | "non-symmetric";
  /** `wasm-simd` when the WebAssembly SIMD kernel scores (see {@link WASM_ENV}), else `javascript`. */
  readonly engine: "wasm-simd" | "javascript";
  /** Raw scores (`scale * sum + bias`), row-major `n × dimension`. `columns[i]` is flat feature i. */
  raw(columns: readonly ArrayLike<number>[], n: number): Float64Array;
  /** The compiled model as plain data (typed arrays), to rebuild it in a worker thread with {@link scorerFromParts}. */
  parts(): ScorerParts;
}

/** A compiled scorer as structured-cloneable data (see {@link NativeScorer.parts}). */
export type ScorerParts =
  | {
      kind: "oblivious";
      featureCount: number;
      dimension: number;
      used: FloatFeature[];
      depth: Uint8Array;
      splitStart: Int32Array;
      splitSlot: Int32Array;
      splitBin: Int32Array;
      leafStart: Int32Array;
      leaves: Float64Array;
      scale: number;
      bias: Float64Array;
      /** Whether the scorer these parts came from ran the WebAssembly kernel (a worker then does too). */
      wasm: boolean;
    }
  | {
      kind: "non-symmetric";
      featureCount: number;
      dimension: number;
      used: FloatFeature[];
      roots: Int32Array;
      nodeSlot: Int32Array;
      nodeBin: Int32Array;
      left: Int32Array;
      right: Int32Array;
      leaves: Float64Array;
      scale: number;
      bias: Float64Array;
    };

/** Rebuilds a scorer from {@link NativeScorer.parts} (in a worker thread). */
export function scorerFromParts(p: ScorerParts): NativeScorer {
  return p.kind === "oblivious"
    ? new ObliviousScorer(
        p.featureCount,
        p.dimension,
        p.used,
        p.depth,
        p.splitStart,
        p.splitSlot,
        p.splitBin,
        p.leafStart,
        p.leaves,
        p.scale,
        p.bias,
        p.wasm,
      )
    : new NonSymmetricScorer(
        p.featureCount,
        p.dimension,
        p.used,
        p.roots,
        p.nodeSlot,
        p.nodeBin,
        p.left,
        p.right,
        p.leaves,
        p.scale,
        p.bias,
      );
}

/** The result of {@link compileCatBoostJson}: a scorer, or why the model cannot be scored natively. */
export type CompileResult = { ok: true; scorer: NativeScorer } | { ok: false; reason: string };

interface FloatFeature {
  flat: number;
  borders: Float64Array;
  nanBin: number;
}

function nonEmpty(v: unknown): boolean {
  return Array.isArray(v) && v.length > 0;
}

/** Compiles a CatBoost JSON model into a native scorer, or says why it cannot. Never throws on a valid CatBoost export. */
export function compileCatBoostJson(model: CatBoostJsonModel): CompileResult {
  const info = model.features_info ?? {};
  if (nonEmpty(info.categorical_features))
    return { ok: false, reason: "the model has categorical features (applied with CTRs in CatBoost)" };
  if (nonEmpty(info.ctrs)) return { ok: false, reason: "the model uses CTR features" };
  if (nonEmpty(info.text_features)) return { ok: false, reason: "the model has text features" };
  if (nonEmpty(info.embedding_features)) return { ok: false, reason: "the model has embedding features" };
  const floats = info.float_features ?? [];
  const byIndex = new Map<number, FloatFeature>();
  let featureCount = 0;
  for (const f of floats) {
    const borders = Float64Array.from(f.borders ?? []);
    for (let i = 1; i < borders.length; i++)
      if (!(borders[i]! > borders[i - 1]!))
        return { ok: false, reason: `the borders of float feature ${f.feature_index} are not increasing` };
    const nanBin = f.nan_value_treatment === "AsTrue" ? borders.length : 0;
    byIndex.set(f.feature_index, { flat: f.flat_feature_index, borders, nanBin });
    featureCount = Math.max(featureCount, f.flat_feature_index + 1);
  }
  // Bins are computed for used features only; `slot` maps a float feature index to its bin array.
  const slots = new Map<number, number>();
  const used: FloatFeature[] = [];
  const splitOf = (s: JsonSplit): { slot: number; bin: number } | string => {
    if (s.split_type !== undefined && s.split_type !== "FloatFeature")
      return `the model has ${s.split_type} splits`;
    const fi = s.float_feature_index;
    const f = fi === undefined ? undefined : byIndex.get(fi);
    if (!f || s.border === undefined) return "a split refers to an unknown float feature";
    const bin = f.borders.indexOf(s.border);
    if (bin < 0) return `a split border ${s.border} is not among the borders of float feature ${fi}`;
    let slot = slots.get(fi!);
    if (slot === undefined) {
      slot = used.length;
      slots.set(fi!, slot);
      used.push(f);
    }
    return { slot, bin };
  };

  const sb = model.scale_and_bias;
  const scale = Array.isArray(sb) && typeof sb[0] === "number" ? sb[0] : 1;
  const rawBias = Array.isArray(sb) ? sb[1] : undefined;
  const biasList = Array.isArray(rawBias) ? rawBias : typeof rawBias === "number" ? [rawBias] : [];

  if (model.oblivious_trees) {
    const trees = model.oblivious_trees;
    let dim = 0;
    const depth = new Uint8Array(trees.length);
    const splitStart = new Int32Array(trees.length + 1);
    const leafStart = new Int32Array(trees.length + 1);
    const splitSlot: number[] = [];
    const splitBin: number[] = [];
    let leafCount = 0;
    for (const [t, tree] of trees.entries()) {
      const d = tree.splits.length;
      if (d > 16) return { ok: false, reason: `tree ${t} has depth ${d} (more than 16)` };
      const leaves = 2 ** d;
      if (tree.leaf_values.length % leaves !== 0)
        return {
          ok: false,
          reason: `tree ${t} has ${tree.leaf_values.length} leaf values for ${leaves} leaves`,
        };
      const k = tree.leaf_values.length / leaves;
      if (dim === 0) dim = k;
      else if (k !== dim) return { ok: false, reason: `tree ${t} has output dimension ${k}, not ${dim}` };
      depth[t] = d;
      splitStart[t] = splitSlot.length;
      for (const s of tree.splits) {
        const r = splitOf(s);
        if (typeof r === "string") return { ok: false, reason: r };
        splitSlot.push(r.slot);
        splitBin.push(r.bin);
      }
      leafStart[t] = leafCount;
      leafCount += tree.leaf_values.length;
    }
    splitStart[trees.length] = splitSlot.length;
    leafStart[trees.length] = leafCount;
    const leaves = new Float64Array(leafCount);
    for (const [t, tree] of trees.entries()) leaves.set(tree.leaf_values, leafStart[t]!);
    if (dim === 0) dim = Math.max(1, biasList.length);
    const bias = biasVector(biasList, dim);
    if (typeof bias === "string") return { ok: false, reason: bias };
    return {
      ok: true,
      scorer: new ObliviousScorer(
        featureCount,
        dim,
        used,
        depth,
        splitStart,
        Int32Array.from(splitSlot),
        Int32Array.from(splitBin),
        leafStart,
        leaves,
        scale,
        bias,
      ),
    };
  }

  if (model.trees) {
    // Flatten nodes: node i has slot/bin and children; a child < 0 is leaf ~child.
    const nodeSlot: number[] = [];
    const nodeBin: number[] = [];
    const left: number[] = [];
    const right: number[] = [];
    const leafValues: number[] = [];
    const roots: number[] = [];
    let dim = 0;
    const addLeaf = (value: number | number[]): number | string => {
      const v = Array.isArray(value) ? value : [value];
      if (dim === 0) dim = v.length;
      else if (v.length !== dim) return `a leaf has ${v.length} values, not ${dim}`;
      const id = leafValues.length / dim;
      leafValues.push(...v);
      return ~id;
    };
    const walk = (node: JsonNode, depth: number): number | string => {
      if (depth > 64) return "a tree is deeper than 64";
      if ("value" in node) return addLeaf(node.value);
      const r = splitOf(node.split);
      if (typeof r === "string") return r;
      const id = nodeSlot.length;
      nodeSlot.push(r.slot);
      nodeBin.push(r.bin);
      left.push(0);
      right.push(0);
      const l = walk(node.left, depth + 1);
      if (typeof l === "string") return l;
      const rr = walk(node.right, depth + 1);
      if (typeof rr === "string") return rr;
      left[id] = l;
      right[id] = rr;
      return id;
    };
    for (const [t, tree] of model.trees.entries()) {
      const r = walk(tree, 0);
      if (typeof r === "string") return { ok: false, reason: `tree ${t}: ${r}` };
      roots.push(r);
    }
    if (dim === 0) dim = Math.max(1, biasList.length);
    const bias = biasVector(biasList, dim);
    if (typeof bias === "string") return { ok: false, reason: bias };
    return {
      ok: true,
      scorer: new NonSymmetricScorer(
        featureCount,
        dim,
        used,
        Int32Array.from(roots),
        Int32Array.from(nodeSlot),
        Int32Array.from(nodeBin),
        Int32Array.from(left),
        Int32Array.from(right),
        Float64Array.from(leafValues),
        scale,
        bias,
      ),
    };
  }
  return { ok: false, reason: "the model has neither oblivious_trees nor trees" };
}

function biasVector(list: number[], dim: number): Float64Array | string {
  if (list.length === 0) return new Float64Array(dim);
  if (list.length === 1 && dim > 1) return new Float64Array(dim).fill(list[0]!);
  if (list.length !== dim) return `scale_and_bias has ${list.length} biases for ${dim} outputs`;
  return Float64Array.from(list);
}

/** Rows per block: a block's bins (one byte per used feature and row) and sums stay in the L1/L2 cache. */
const BLOCK = 1024;

type Bins = Uint8Array | Uint16Array;

/**
 * Bins of a block of rows, column-major (`bins[slot * BLOCK + r]`): the number of borders below
 * float32(value), or the feature's NaN bin. Each value is binned once, however many splits use it.
 */
function binBlock(
  columns: readonly ArrayLike<number>[],
  used: readonly FloatFeature[],
  start: number,
  rows: number,
  bins: Bins,
): void {
  for (let slot = 0; slot < used.length; slot++)
    binColumn(columns[used[slot]!.flat]!, used[slot]!, start, rows, bins, slot * BLOCK);
}

/** Bins of rows `[start, start + rows)` of one feature's values into `bins[o ..]`. */
function binColumn(
  values: ArrayLike<number>,
  f: FloatFeature,
  start: number,
  rows: number,
  bins: Bins,
  o: number,
): void {
  const borders = f.borders;
  const m = borders.length;
  if (m === 0) {
    bins.fill(0, o, o + rows);
    return;
  }
  const nanBin = f.nanBin;
  for (let i = 0; i < rows; i++) {
    const v = values[start + i]!;
    // Branch-free binary search: the loop runs the same steps for every value (only m decides),
    // and each step is a conditional move rather than a mispredicted branch.
    const x = Math.fround(v);
    let base = 0;
    let len = m;
    while (len > 1) {
      const half = len >>> 1;
      base = borders[base + half - 1]! < x ? base + half : base;
      len -= half;
    }
    const bin = base + (borders[base]! < x ? 1 : 0);
    bins[o + i] = Number.isNaN(v) ? nanBin : bin;
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** The high bit of each byte of a 32-bit word. */
const HIGH_BITS = 0x80808080 | 0;

/**
 * How an oblivious model is scored four rows at a time: bins are kept in 7-bit "lanes" (bytes), so
 * one 32-bit word holds four rows' bins and `((word + (127 - thr) * 0x01010101) & 0x80808080)` sets
 * the high bit of each byte exactly where bin > thr (the sums stay below 256: no carry between
 * bytes). A feature with more than 127 borders gets a second lane, `max(bin - 127, 0)`, for the
 * splits with thr >= 127; its first lane holds `min(bin, 127)`.
 */
interface LanePlan {
  /** Lane count (bytes per row). */
  lanes: number;
  /** Per used feature: its low lane, and its high lane or -1. */
  lowLane: Int32Array;
  highLane: Int32Array;
  /** Per split: the word offset of its lane in a block (`lane * BLOCK / 4`) and `(127 - thr) * 0x01010101`. */
  splitWord: Int32Array;
  splitAdd: Int32Array;
}

/** The lane plan of an oblivious model, or undefined when a feature has more than 254 borders or a tree is deeper than 8. */
function lanePlan(
  used: readonly FloatFeature[],
  depth: Uint8Array,
  splitSlot: Int32Array,
  splitBin: Int32Array,
): LanePlan | undefined {
  if (!LITTLE_ENDIAN) return undefined;
  if (used.some((f) => f.borders.length > 254) || depth.some((d) => d > 8)) return undefined;
  const lowLane = new Int32Array(used.length);
  const highLane = new Int32Array(used.length).fill(-1);
  let lanes = 0;
  for (let slot = 0; slot < used.length; slot++) {
    lowLane[slot] = lanes++;
    if (used[slot]!.borders.length > 127) highLane[slot] = lanes++;
  }
  const splitWord = new Int32Array(splitSlot.length);
  const splitAdd = new Int32Array(splitSlot.length);
  for (let i = 0; i < splitSlot.length; i++) {
    const slot = splitSlot[i]!;
    const thr = splitBin[i]!;
    const high = thr >= 127;
    splitWord[i] = ((high ? highLane[slot]! : lowLane[slot]!) * BLOCK) >>> 2;
    splitAdd[i] = (127 - (high ? thr - 127 : thr)) * 0x01010101;
  }
  return { lanes, lowLane, highLane, splitWord, splitAdd };
}

/**
 * An oblivious model laid out in the memory of its own instance of the WebAssembly kernel (see
 * catboost-wasm-kernel.ts): tree and split records, leaf values, borders, and a block's bins, sums
 * and column values. Addresses are byte offsets.
 */
interface WasmPlan {
  kernel: WasmKernel;
  f64: Float64Array;
  u8: Uint8Array;
  trees: number;
  borders: Int32Array;
  bins: number;
  acc: number;
  col: number;
}

/**
 * Set `LOLPOP_CATBOOST_WASM=0` to score in JavaScript only (default: the WebAssembly SIMD kernel
 * wherever it applies: one output, trees of depth <= 8, features with <= 255 borders).
 */
export const WASM_ENV = "LOLPOP_CATBOOST_WASM";

/** The WebAssembly plan of an oblivious model, or undefined when the kernel does not apply (see {@link WASM_ENV}). */
function wasmPlan(
  used: readonly FloatFeature[],
  depth: Uint8Array,
  splitStart: Int32Array,
  splitSlot: Int32Array,
  splitBin: Int32Array,
  leafStart: Int32Array,
  leaves: Float64Array,
  dimension: number,
): WasmPlan | undefined {
  if (dimension !== 1 || depth.some((d) => d > 8) || used.some((f) => f.borders.length > 255))
    return undefined;
  const align = (x: number) => (x + 15) & ~15;
  const trees = 0;
  const splits = align(trees + depth.length * TREE_RECORD_BYTES);
  const leafAt = align(splits + splitSlot.length * SPLIT_RECORD_BYTES);
  let bordersEnd = align(leafAt + leaves.length * 8);
  const borders = new Int32Array(used.length);
  for (let slot = 0; slot < used.length; slot++) {
    borders[slot] = bordersEnd;
    bordersEnd = align(bordersEnd + used[slot]!.borders.length * 8);
  }
  const bins = bordersEnd;
  const acc = align(bins + used.length * BLOCK);
  const col = acc + BLOCK * 8;
  const kernel = wasmKernel(col + BLOCK * 8);
  if (!kernel) return undefined;
  const buffer = kernel.memory.buffer;
  const i32 = new Int32Array(buffer);
  const u8 = new Uint8Array(buffer);
  const f64 = new Float64Array(buffer);
  for (let t = 0; t < depth.length; t++) {
    const r = (trees + t * TREE_RECORD_BYTES) >>> 2;
    i32[r] = depth[t]!;
    i32[r + 1] = splits + splitStart[t]! * SPLIT_RECORD_BYTES;
    i32[r + 2] = leafAt + leafStart[t]! * 8;
    for (let j = 0; j < depth[t]!; j++) {
      const s = splitStart[t]! + j;
      const at = splits + s * SPLIT_RECORD_BYTES;
      u8.fill(splitBin[s]!, at, at + 16);
      u8.fill(1 << j, at + 16, at + 32);
      i32[(at + 32) >>> 2] = bins + splitSlot[s]! * BLOCK;
    }
  }
  f64.set(leaves, leafAt >>> 3);
  for (let slot = 0; slot < used.length; slot++) f64.set(used[slot]!.borders, borders[slot]! >>> 3);
  return { kernel, f64, u8, trees, borders, bins, acc, col };
}

abstract class BaseScorer implements NativeScorer {
  abstract readonly treeKind: "oblivious" | "non-symmetric";
  abstract readonly treeCount: number;
  abstract parts(): ScorerParts;
  get engine(): "wasm-simd" | "javascript" {
    return "javascript";
  }
  constructor(
    readonly featureCount: number,
    readonly dimension: number,
    protected readonly used: readonly FloatFeature[],
    protected readonly scale: number,
    protected readonly bias: Float64Array,
  ) {}

  /**
   * Adds every tree's leaf values of `rows` rows to `acc` (row-major, `rows × dimension`), trees in
   * order for each row (so sums are the same as one row at a time). `bins` is column-major (see binBlock).
   */
  protected abstract sumBlock(bins: Bins, rows: number, acc: Float64Array): void;

  /** The bins buffer of one block. */
  protected blockBins(): Bins {
    const width = this.used.length;
    const wide = this.used.some((f) => f.borders.length > 255);
    return wide ? new Uint16Array(BLOCK * width) : new Uint8Array(BLOCK * width);
  }

  /** Bins rows `[start, start + rows)` and adds their trees' leaf values to `acc`. */
  protected scoreBlock(
    columns: readonly ArrayLike<number>[],
    start: number,
    rows: number,
    bins: Bins,
    acc: Float64Array,
  ): void {
    binBlock(columns, this.used, start, rows, bins);
    this.sumBlock(bins, rows, acc);
  }

  raw(columns: readonly ArrayLike<number>[], n: number): Float64Array {
    if (columns.length < this.featureCount)
      throw new RangeError(`the model reads ${this.featureCount} feature columns, got ${columns.length}`);
    const dim = this.dimension;
    const out = new Float64Array(n * dim);
    const acc = new Float64Array(BLOCK * dim);
    const bins = this.blockBins();
    for (let start = 0; start < n; start += BLOCK) {
      const rows = Math.min(BLOCK, n - start);
      acc.fill(0);
      this.scoreBlock(columns, start, rows, bins, acc);
      const base = start * dim;
      for (let i = 0; i < rows * dim; i++) out[base + i] = this.scale * acc[i]! + this.bias[i % dim]!;
    }
    return out;
  }
}

class ObliviousScorer extends BaseScorer {
  readonly treeKind = "oblivious" as const;
  constructor(
    featureCount: number,
    dimension: number,
    used: readonly FloatFeature[],
    private readonly depth: Uint8Array,
    private readonly splitStart: Int32Array,
    private readonly splitSlot: Int32Array,
    private readonly splitBin: Int32Array,
    private readonly leafStart: Int32Array,
    private readonly leaves: Float64Array,
    scale: number,
    bias: Float64Array,
    /** Whether to run the WebAssembly kernel where it applies (default: unless {@link WASM_ENV} is `0`). */
    wasm = process.env[WASM_ENV] !== "0",
  ) {
    super(featureCount, dimension, used, scale, bias);
    this.#lanes = lanePlan(used, depth, splitSlot, splitBin);
    this.#wasm = wasm
      ? wasmPlan(used, depth, splitStart, splitSlot, splitBin, leafStart, leaves, dimension)
      : undefined;
  }

  readonly #lanes: LanePlan | undefined;
  readonly #wasm: WasmPlan | undefined;

  /** Whether this scorer runs the WebAssembly SIMD kernel (else JavaScript). */
  override get engine(): "wasm-simd" | "javascript" {
    return this.#wasm ? "wasm-simd" : "javascript";
  }

  override raw(columns: readonly ArrayLike<number>[], n: number): Float64Array {
    const w = this.#wasm;
    if (!w) return super.raw(columns, n);
    if (columns.length < this.featureCount)
      throw new RangeError(`the model reads ${this.featureCount} feature columns, got ${columns.length}`);
    const { kernel, f64, u8 } = w;
    const used = this.used;
    const out = new Float64Array(n);
    const col8 = w.col >>> 3;
    const acc8 = w.acc >>> 3;
    const scale = this.scale;
    const bias = this.bias[0]!;
    for (let start = 0; start < n; start += BLOCK) {
      const rows = Math.min(BLOCK, n - start);
      for (let slot = 0; slot < used.length; slot++) {
        const f = used[slot]!;
        const at = w.bins + slot * BLOCK;
        const m = f.borders.length;
        if (m === 0) {
          u8.fill(0, at, at + rows);
          continue;
        }
        const values = columns[f.flat]!;
        if (values instanceof Float64Array) f64.set(values.subarray(start, start + rows), col8);
        else for (let i = 0; i < rows; i++) f64[col8 + i] = values[start + i]!;
        kernel.bin(w.col, rows, w.borders[slot]!, m, f.nanBin, at);
      }
      f64.fill(0, acc8, acc8 + BLOCK);
      kernel.sum(w.trees, this.depth.length, (rows + 15) >>> 4, w.acc);
      for (let i = 0; i < rows; i++) out[start + i] = scale * f64[acc8 + i]! + bias;
    }
    return out;
  }

  get treeCount(): number {
    return this.depth.length;
  }

  protected override blockBins(): Bins {
    return this.#lanes ? new Uint8Array(BLOCK * this.#lanes.lanes) : super.blockBins();
  }

  protected override scoreBlock(
    columns: readonly ArrayLike<number>[],
    start: number,
    rows: number,
    bins: Bins,
    acc: Float64Array,
  ): void {
    const plan = this.#lanes;
    if (!plan) {
      super.scoreBlock(columns, start, rows, bins, acc);
      return;
    }
    const lanes = bins as Uint8Array;
    const used = this.used;
    for (let slot = 0; slot < used.length; slot++) {
      const lo = plan.lowLane[slot]! * BLOCK;
      binColumn(columns[used[slot]!.flat]!, used[slot]!, start, rows, lanes, lo);
      const hl = plan.highLane[slot]!;
      if (hl < 0) continue;
      const hi = hl * BLOCK;
      for (let i = 0; i < rows; i++) {
        const b = lanes[lo + i]!;
        lanes[hi + i] = Math.max(b - 127, 0);
        lanes[lo + i] = Math.min(b, 127);
      }
    }
    this.#sumLanes(new Int32Array(lanes.buffer, lanes.byteOffset, lanes.length >>> 2), rows, acc);
  }

  /** Quad-row words of the leaf indexes of the current block (one byte per row). */
  #quads = new Int32Array(BLOCK >>> 2);

  /**
   * {@link sumBlock} on lanes: per tree, four rows' leaf indexes at once, one byte each. Rows past
   * `rows` in the last quad read stale (valid) bins and go to `acc` slots past `rows`, never read.
   */
  #sumLanes(words: Int32Array, rows: number, acc: Float64Array): void {
    const { depth, splitStart, leafStart, leaves } = this;
    const { splitWord: w, splitAdd: c } = this.#lanes!;
    const dim = this.dimension;
    const trees = depth.length;
    const quads = (rows + 3) >>> 2;
    const qi = this.#quads;
    const H = HIGH_BITS;
    for (let t = 0; t < trees; t++) {
      const o = splitStart[t]!;
      const d = depth[t]!;
      const lv = leafStart[t]!;
      if (d === 6 && dim === 1) {
        const w0 = w[o]!;
        const w1 = w[o + 1]!;
        const w2 = w[o + 2]!;
        const w3 = w[o + 3]!;
        const w4 = w[o + 4]!;
        const w5 = w[o + 5]!;
        const c0 = c[o]!;
        const c1 = c[o + 1]!;
        const c2 = c[o + 2]!;
        const c3 = c[o + 3]!;
        const c4 = c[o + 4]!;
        const c5 = c[o + 5]!;
        for (let q = 0, r = 0; q < quads; q++, r += 4) {
          const idx =
            (((words[w0 + q]! + c0) & H) >>> 7) |
            (((words[w1 + q]! + c1) & H) >>> 6) |
            (((words[w2 + q]! + c2) & H) >>> 5) |
            (((words[w3 + q]! + c3) & H) >>> 4) |
            (((words[w4 + q]! + c4) & H) >>> 3) |
            (((words[w5 + q]! + c5) & H) >>> 2);
          acc[r]! += leaves[lv + (idx & 63)]!;
          acc[r + 1]! += leaves[lv + ((idx >>> 8) & 63)]!;
          acc[r + 2]! += leaves[lv + ((idx >>> 16) & 63)]!;
          acc[r + 3]! += leaves[lv + (idx >>> 24)]!;
        }
        continue;
      }
      qi.fill(0, 0, quads);
      for (let j = 0; j < d; j++) {
        const wj = w[o + j]!;
        const cj = c[o + j]!;
        const shift = 7 - j;
        for (let q = 0; q < quads; q++) qi[q]! |= ((words[wj + q]! + cj) & H) >>> shift;
      }
      for (let r = 0; r < rows; r++) {
        const idx = (qi[r >>> 2]! >>> ((r & 3) << 3)) & 0xff;
        if (dim === 1) acc[r]! += leaves[lv + idx]!;
        else {
          const a = r * dim;
          const l = lv + idx * dim;
          for (let k = 0; k < dim; k++) acc[a + k]! += leaves[l + k]!;
        }
      }
    }
  }

  parts(): ScorerParts {
    return {
      kind: "oblivious",
      featureCount: this.featureCount,
      dimension: this.dimension,
      used: [...this.used],
      depth: this.depth,
      splitStart: this.splitStart,
      splitSlot: this.splitSlot,
      splitBin: this.splitBin,
      leafStart: this.leafStart,
      leaves: this.leaves,
      scale: this.scale,
      bias: this.bias,
      wasm: this.#wasm !== undefined,
    };
  }

  /** Leaf index of each row of the current block (generic path). */
  #index = new Int32Array(BLOCK);

  protected sumBlock(bins: Bins, rows: number, acc: Float64Array): void {
    const { depth, splitStart, splitSlot: slot, splitBin: thr, leafStart, leaves } = this;
    const dim = this.dimension;
    const trees = depth.length;
    const index = this.#index;
    // Tree by tree over the whole block: the tree's splits are loop constants and each split reads
    // one contiguous run of bins. `(thr - bin) >>> 31` is 1 exactly when bin > thr (both small
    // non-negative integers). Each row still adds its trees in order.
    for (let t = 0; t < trees; t++) {
      const o = splitStart[t]!;
      const d = depth[t]!;
      const lv = leafStart[t]!;
      if (d === 6 && dim === 1) {
        const s0 = slot[o]! * BLOCK;
        const s1 = slot[o + 1]! * BLOCK;
        const s2 = slot[o + 2]! * BLOCK;
        const s3 = slot[o + 3]! * BLOCK;
        const s4 = slot[o + 4]! * BLOCK;
        const s5 = slot[o + 5]! * BLOCK;
        const t0 = thr[o]!;
        const t1 = thr[o + 1]!;
        const t2 = thr[o + 2]!;
        const t3 = thr[o + 3]!;
        const t4 = thr[o + 4]!;
        const t5 = thr[o + 5]!;
        for (let r = 0; r < rows; r++) {
          const idx =
            ((t0 - bins[s0 + r]!) >>> 31) |
            (((t1 - bins[s1 + r]!) >>> 31) << 1) |
            (((t2 - bins[s2 + r]!) >>> 31) << 2) |
            (((t3 - bins[s3 + r]!) >>> 31) << 3) |
            (((t4 - bins[s4 + r]!) >>> 31) << 4) |
            (((t5 - bins[s5 + r]!) >>> 31) << 5);
          acc[r]! += leaves[lv + idx]!;
        }
        continue;
      }
      index.fill(0, 0, rows);
      for (let j = 0; j < d; j++) {
        const s = slot[o + j]! * BLOCK;
        const th = thr[o + j]!;
        for (let r = 0; r < rows; r++) index[r]! |= ((th - bins[s + r]!) >>> 31) << j;
      }
      if (dim === 1) for (let r = 0; r < rows; r++) acc[r]! += leaves[lv + index[r]!]!;
      else
        for (let r = 0; r < rows; r++) {
          const a = r * dim;
          const l = lv + index[r]! * dim;
          for (let k = 0; k < dim; k++) acc[a + k]! += leaves[l + k]!;
        }
    }
  }
}

class NonSymmetricScorer extends BaseScorer {
  readonly treeKind = "non-symmetric" as const;
  constructor(
    featureCount: number,
    dimension: number,
    used: readonly FloatFeature[],
    private readonly roots: Int32Array,
    private readonly nodeSlot: Int32Array,
    private readonly nodeBin: Int32Array,
    private readonly left: Int32Array,
    private readonly right: Int32Array,
    private readonly leaves: Float64Array,
    scale: number,
    bias: Float64Array,
  ) {
    super(featureCount, dimension, used, scale, bias);
  }

  get treeCount(): number {
    return this.roots.length;
  }

  parts(): ScorerParts {
    return {
      kind: "non-symmetric",
      featureCount: this.featureCount,
      dimension: this.dimension,
      used: [...this.used],
      roots: this.roots,
      nodeSlot: this.nodeSlot,
      nodeBin: this.nodeBin,
      left: this.left,
      right: this.right,
      leaves: this.leaves,
      scale: this.scale,
      bias: this.bias,
    };
  }

  protected sumBlock(bins: Bins, rows: number, acc: Float64Array): void {
    const { roots, nodeSlot, nodeBin, left, right, leaves } = this;
    const dim = this.dimension;
    for (let r = 0; r < rows; r++) {
      const a = r * dim;
      for (let t = 0; t < roots.length; t++) {
        let node = roots[t]!;
        while (node >= 0)
          node = bins[nodeSlot[node]! * BLOCK + r]! > nodeBin[node]! ? right[node]! : left[node]!;
        const lv = ~node * dim;
        for (let k = 0; k < dim; k++) acc[a + k]! += leaves[lv + k]!;
      }
    }
  }
}

/**
 * Applies the output transform to raw scores (`n × dim`, row-major) and returns what CatBoost's
 * `predict_proba` (classification: `n × classes`) or `predict` (regression: `n`) returns.
 */
export function transformRaw(
  raw: Float64Array,
  n: number,
  dim: number,
  transform: OutputTransform,
): Float64Array {
  switch (transform) {
    case "raw":
      return raw;
    case "exp":
      return raw.map(Math.exp);
    case "sigmoid": {
      if (dim === 1) {
        const out = new Float64Array(n * 2);
        for (let i = 0; i < n; i++) {
          const p = 1 / (1 + Math.exp(-raw[i]!));
          out[2 * i] = 1 - p;
          out[2 * i + 1] = p;
        }
        return out;
      }
      return raw.map((x) => 1 / (1 + Math.exp(-x)));
    }
    case "softmax": {
      const out = new Float64Array(n * dim);
      for (let i = 0; i < n; i++) {
        const b = i * dim;
        let max = Number.NEGATIVE_INFINITY;
        for (let k = 0; k < dim; k++) if (raw[b + k]! > max) max = raw[b + k]!;
        let sum = 0;
        for (let k = 0; k < dim; k++) {
          const e = Math.exp(raw[b + k]! - max);
          out[b + k] = e;
          sum += e;
        }
        for (let k = 0; k < dim; k++) out[b + k]! /= sum;
      }
      return out;
    }
  }
}
