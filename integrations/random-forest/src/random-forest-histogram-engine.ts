/**
 * The `histogram` engine of RandomForestModelTrainer (the default): features binned once into at
 * most 255 quantile bins, trees grown by histogram split search (see
 * `random-forest-histogram-tree.ts`), fitted in parallel on worker threads, saved as a compact
 * binary file next to a readable `model.json`.
 *
 * Determinism: every tree gets its own seed, drawn from the forest seed before any tree is fitted,
 * and trees are collected in order, so a seed gives the same forest whatever `n_jobs` is.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import { setImmediate as nextTurn } from "node:timers/promises";
import {
  CancelledError,
  type ComponentContext,
  classificationPredictions,
  classWeights,
  createRng,
  type FitInput,
  LolpopError,
  type OnnxGraphPiece,
  type Predictions,
  type ProblemType,
  regressionPredictions,
  StoreError,
  type Table,
  type TrainedModel,
  writeFileAtomic,
} from "@lolpop/core";
import {
  checkAborted,
  fail,
  isStringArray,
  MODEL_FILE,
  MODEL_FORMAT,
  modelFields,
  type PreparedData,
  predictColumns,
} from "./random-forest-data.js";
import {
  assembleBins,
  BINNING_SAMPLE_ROWS,
  type BinnedFeatures,
  binFeatures,
} from "./random-forest-histogram-binning.js";
import {
  accumulatePredictions,
  assembleForest,
  decodeForest,
  encodeForest,
  FOREST_BINARY_VERSION,
  type ForestArrays,
  type PackedForest,
  packForest,
} from "./random-forest-histogram-forest.js";
import { tasks, withPool } from "./random-forest-histogram-pool.js";
import {
  CRITERION_ENTROPY,
  CRITERION_GINI,
  CRITERION_SQUARED_ERROR,
  type HistogramTree,
  HistogramTreeBuilder,
  type HistogramTreeData,
  type HistogramTreeParams,
} from "./random-forest-histogram-tree.js";
import {
  checkEngineParams,
  DEFAULT_SEED,
  DEFAULT_TRAINING_PARAMS,
  RANDOM_FOREST_TRAINER_TYPE,
  type RandomForestParams,
  type RandomForestTrainerConfig,
  type RandomForestTrainingParams,
  resolveCriterion,
  resolveMaxFeatures,
} from "./random-forest-params.js";
import type { ForestTree, ForestTrees } from "./random-forest-trees.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** Binary file holding a histogram model's trees, next to `model.json`. */
export const FOREST_FILE = "forest.bin";
/** `format_version` of the `model.json` files the histogram engine writes. */
export const HISTOGRAM_MODEL_FORMAT_VERSION = 2;

/** Fits below this many sampled rows × trees run on the calling thread (starting workers costs more). */
const PARALLEL_MIN_ROW_TREES = 200_000;
/** Predictions below this many rows × trees run on the calling thread. */
const PARALLEL_PREDICT_MIN_ROW_TREES = 4_000_000;

/** The `model.json` of a histogram model (the trees are in {@link FOREST_FILE}). */
export interface HistogramModelFile {
  format: typeof MODEL_FORMAT;
  format_version: typeof HISTOGRAM_MODEL_FORMAT_VERSION;
  engine: "histogram";
  trainer: string;
  /** The package that wrote it. */
  library: { name: string; version: string };
  problem_type: ProblemType;
  params: RandomForestParams;
  feature_names: string[];
  classes?: string[];
  /** Mean decrease in impurity by feature name (sums to 1). */
  feature_importance: Record<string, number>;
  /** Rows the forest was fitted on. */
  training_rows: number;
  /** The trees' file: name, size, SHA-256, binary layout version and counts. */
  forest: {
    file: string;
    bytes: number;
    sha256: string;
    binary_version: number;
    trees: number;
    nodes: number;
    leaves: number;
  };
}

interface HistogramModelState {
  problem_type: ProblemType;
  params: RandomForestParams;
  feature_names: string[];
  classes?: string[];
  importance: number[];
  training_rows: number;
  /** Threads for large predictions. */
  n_jobs: number;
  /** Package version that wrote the model. */
  libraryVersion: string;
}

/** Worker threads for `n_jobs` (null/undefined = one per core). */
export function resolveJobs(nJobs: number | null | undefined): number {
  return nJobs ?? Math.max(1, availableParallelism());
}

/** A random forest fitted by the histogram engine. */
export class HistogramForestModel implements TrainedModel {
  readonly trainer = RANDOM_FOREST_TRAINER_TYPE;
  readonly problem_type: ProblemType;
  readonly params: Readonly<RandomForestParams>;
  readonly feature_names: string[];
  readonly classes?: string[];
  /** Rows the forest was fitted on. */
  readonly training_rows: number;
  readonly #forest: ForestArrays;
  #packed: PackedForest | undefined;
  readonly #importance: readonly number[];
  readonly #nJobs: number;
  readonly #libraryVersion: string;

  /** @internal Built by RandomForestModelTrainer `fit` and `load`. */
  constructor(forest: ForestArrays, state: HistogramModelState) {
    this.#forest = forest;
    this.problem_type = state.problem_type;
    this.params = Object.freeze({ ...state.params });
    this.feature_names = [...state.feature_names];
    if (state.classes) this.classes = [...state.classes];
    this.training_rows = state.training_rows;
    this.#importance = Object.freeze([...state.importance]);
    this.#nJobs = state.n_jobs;
    this.#libraryVersion = state.libraryVersion;
  }

  /** Number of trees. */
  get n_trees(): number {
    return this.#forest.nTrees;
  }

  /** Number of nodes of all trees. */
  get n_nodes(): number {
    return this.#forest.feature.length;
  }

  async predict(X: Table): Promise<Predictions> {
    const columns = predictColumns(X, this.feature_names);
    const n = X.numRows;
    const forest = this.#forest;
    const V = forest.valueWidth;
    const T = forest.nTrees;
    let sums: Float64Array;
    const threads = Math.min(this.#nJobs, Math.ceil(n / 10_000));
    if (threads > 1 && n * T >= PARALLEL_PREDICT_MIN_ROW_TREES) {
      sums = await this.#predictParallel(columns, n, threads).catch((cause) => {
        throw new LolpopError({
          message: `the histogram engine failed to predict on its worker threads: ${(cause as Error)?.message ?? String(cause)}. Try n_jobs: 1 to predict on the calling thread.`,
          code: "predict_failed",
          cause,
        });
      });
    } else {
      sums = new Float64Array(n * V);
      accumulatePredictions(this.#pack(false), columns, 0, n, sums);
    }
    for (let i = 0; i < sums.length; i++) sums[i]! /= T;
    return this.problem_type === "regression"
      ? regressionPredictions(sums)
      : classificationPredictions(this.classes!, sums, n);
  }

  #pack(shared: boolean): PackedForest {
    if (!this.#packed || (shared && !(this.#packed.num.buffer instanceof SharedArrayBuffer))) {
      this.#packed = packForest(this.#forest, shared);
    }
    return this.#packed;
  }

  async #predictParallel(columns: Float64Array[], n: number, threads: number): Promise<Float64Array> {
    const forest = this.#pack(true);
    const V = forest.valueWidth;
    // Each task gets its rows' values (copied, then moved to the worker), so at most a few chunks
    // of the table are duplicated at a time.
    const chunk = Math.max(5_000, Math.ceil(n / (threads * 4)));
    return withPool(threads, async (pool) => {
      const results = await pool.run(
        tasks(Math.ceil(n / chunk), (i) => {
          const start = i * chunk;
          const end = Math.min(n, start + chunk);
          const part = columns.map((c) => c.slice(start, end));
          return {
            message: { type: "predict", forest, columns: part, start: 0, end: end - start, offset: start },
            transfer: part.map((c) => c.buffer as ArrayBuffer),
          };
        }),
      );
      const sums = new Float64Array(n * V);
      for (const r of results) if (r.type === "predict") sums.set(r.out, r.offset * V);
      return sums;
    });
  }

  /** Mean decrease in impurity by feature name (computed at fit time; sums to 1). */
  feature_importance(): Record<string, number> {
    return Object.fromEntries(this.feature_names.map((name, j) => [name, this.#importance[j]!]));
  }

  /** The trees in the engine-neutral shape that exporters read (a copy). */
  trees(): ForestTrees {
    const f = this.#forest;
    const V = f.valueWidth;
    const trees: ForestTree[] = [];
    let leafOffset = 0;
    for (let t = 0; t < f.nTrees; t++) {
      const start = f.treeStart[t]!;
      const n = f.treeStart[t + 1]! - start;
      const tree: ForestTree = {
        feature: f.feature.slice(start, start + n),
        threshold: new Float64Array(n),
        left: new Int32Array(n).fill(-1),
        right: new Int32Array(n).fill(-1),
        missingLeft: f.missingLeft.slice(start, start + n),
        leaf: new Int32Array(n).fill(-1),
        values: new Float64Array(0),
      };
      let leaves = 0;
      for (let j = 0; j < n; j++) {
        if (tree.feature[j]! < 0) {
          // Leaf: `right` holds its global leaf index.
          tree.leaf[j] = f.right[start + j]! - leafOffset;
          leaves++;
        } else {
          // Pre-order: the left child follows its parent; `right` is a global node index.
          tree.threshold[j] = f.threshold[start + j]!;
          tree.left[j] = j + 1;
          tree.right[j] = f.right[start + j]! - start;
        }
      }
      tree.values = f.values.slice(leafOffset * V, (leafOffset + leaves) * V);
      leafOffset += leaves;
      trees.push(tree);
    }
    return { split: "<=", valueWidth: V, trees };
  }

  /** The forest as a piece of an ONNX graph (a TreeEnsembleClassifier or TreeEnsembleRegressor). */
  async to_onnx(): Promise<OnnxGraphPiece> {
    const { forestToOnnx } = await import("./random-forest-onnx.js");
    return forestToOnnx(this, this.trees());
  }

  /** The trees in the binary layout of {@link FOREST_FILE}. */
  toBinary(): Uint8Array {
    return encodeForest(this.#forest);
  }

  /** The `model.json` content for a given binary (see {@link toBinary}). */
  toJSON(binary: Uint8Array = this.toBinary()): HistogramModelFile {
    return {
      format: MODEL_FORMAT,
      format_version: HISTOGRAM_MODEL_FORMAT_VERSION,
      engine: "histogram",
      trainer: this.trainer,
      library: { name: pkg.name, version: this.#libraryVersion },
      ...modelFields(this),
      feature_importance: this.feature_importance(),
      training_rows: this.training_rows,
      forest: {
        file: FOREST_FILE,
        bytes: binary.length,
        sha256: createHash("sha256").update(binary).digest("hex"),
        binary_version: FOREST_BINARY_VERSION,
        trees: this.#forest.nTrees,
        nodes: this.#forest.feature.length,
        leaves: this.#forest.values.length / this.#forest.valueWidth,
      },
    };
  }

  /** Writes `forest.bin`, then `model.json`, into `dir`, each atomically (temporary file, then rename). */
  async save(dir: string): Promise<void> {
    const binary = this.toBinary();
    const header = this.toJSON(binary);
    await writeFileAtomic(join(dir, FOREST_FILE), binary);
    await writeFileAtomic(join(dir, MODEL_FILE), `${JSON.stringify(header, null, 2)}\n`);
  }
}

// ---------------------------------------------------------------- fit

/** `count` distinct rows of `0..n-1` drawn with `rand`, ascending. */
function sampleRows(n: number, count: number, rand: () => number): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(rand() * (n - i));
    const t = perm[i]!;
    perm[i] = perm[j]!;
    perm[j] = t;
  }
  return perm.slice(0, count).sort();
}

/** scikit-learn's forest importance: per tree normalized to 1, averaged, normalized again. */
function forestImportance(trees: readonly HistogramTree[], F: number): number[] {
  const total = new Float64Array(F);
  for (const t of trees) {
    if (t.feature.length <= 1) continue;
    let sum = 0;
    for (let f = 0; f < F; f++) sum += t.importance[f]!;
    if (sum > 0) for (let f = 0; f < F; f++) total[f]! += t.importance[f]! / sum;
  }
  let sum = 0;
  for (let f = 0; f < F; f++) sum += total[f]!;
  return Array.from(total, (v) => (sum > 0 ? v / sum : 0));
}

function sharedCopy<T extends Int32Array | Float64Array>(a: T, shared: boolean): T {
  if (!shared) return a;
  const Ctor = a.constructor as new (buf: SharedArrayBuffer) => T;
  const out = new Ctor(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

/**
 * Fits a histogram forest on checked data.
 * @internal Called by RandomForestModelTrainer when `engine: histogram`.
 */
export async function fitHistogramForest(
  ctx: ComponentContext<RandomForestTrainerConfig>,
  input: FitInput,
  data: PreparedData,
  params: RandomForestTrainingParams,
  seed: number,
  nJobs: number,
): Promise<HistogramForestModel> {
  const path = ctx.path;
  const signals = [input.signal, ctx.signal];
  const { problem, featureNames, columns, n, classes, target } = data;
  checkEngineParams("histogram", params, problem, path);
  if (n < 2) fail(`${RANDOM_FOREST_TRAINER_TYPE} needs at least 2 training rows, got ${n}`, "too_few_rows");
  const F = featureNames.length;
  const { rule, count: mtry } = resolveMaxFeatures(params.max_features, F, problem);
  const criterion = resolveCriterion(params.criterion, problem);
  const K = classes ? classes.length : 0;
  // `balanced_subsample` is computed per tree, on each tree's sample; the rest once, here.
  const balancedSubsample = params.class_weight === "balanced_subsample";
  const weights =
    classes && params.class_weight !== "balanced_subsample"
      ? (classWeights(
          params.class_weight,
          classes,
          target as Int32Array,
          `${path}.config.training_params.class_weight`,
        ) ?? null)
      : null;
  const sampleSize = Math.max(1, Math.round(n * params.max_samples));
  const nTrees = params.n_estimators;
  const threads = Math.max(1, Math.min(nJobs, nTrees));
  const parallel = threads > 1 && sampleSize * nTrees >= PARALLEL_MIN_ROW_TREES;
  const started = performance.now();

  // Bins (thresholds from a seeded sample of the rows when the data is large).
  const rand = createRng(seed);
  const sample = n > BINNING_SAMPLE_ROWS ? sampleRows(n, BINNING_SAMPLE_ROWS, rand) : undefined;
  // One seed per tree, drawn before any tree is fitted: the forest does not depend on the threads.
  const seeds = new Uint32Array(nTrees);
  for (let t = 0; t < nTrees; t++) seeds[t] = Math.floor(rand() * 4294967296);
  const signal = combine(signals);
  const onAbort = () => new CancelledError({ path, reason: signal?.reason });
  const treeParams: HistogramTreeParams = {
    criterion:
      criterion === "entropy"
        ? CRITERION_ENTROPY
        : criterion === "gini"
          ? CRITERION_GINI
          : CRITERION_SQUARED_ERROR,
    maxDepth: params.max_depth ?? -1,
    minSamplesSplit: params.min_samples_split,
    minSamplesLeaf: params.min_samples_leaf,
    maxFeatures: mtry,
    bootstrap: params.bootstrap,
    sampleSize,
    classWeight: weights,
    balancedSubsample,
  };
  const treeDataFrom = (binned: BinnedFeatures): HistogramTreeData => ({
    nRows: n,
    nFeatures: F,
    ...binned,
    nClasses: K,
    ...(classes
      ? { yClass: sharedCopy(target as Int32Array, parallel) }
      : { yValue: sharedCopy(target as Float64Array, parallel) }),
  });

  let trees: HistogramTree[];
  let binnedMs: number;
  let binMs = 0;
  if (parallel) {
    trees = await withPool(threads, async (pool) => {
      // Each worker bins whole features into the shared byte matrix.
      const bins = new Uint8Array(new SharedArrayBuffer(F * n));
      const sharedSample = sample ? sharedCopy(sample, true) : undefined;
      const binned = await pool.run(
        tasks(F, (feature) => {
          const column = columns[feature]!;
          return {
            type: "bin",
            feature,
            // A view into a larger buffer would be cloned whole: send a compact copy.
            column:
              column.byteOffset === 0 && column.buffer.byteLength === column.byteLength
                ? column
                : column.slice(),
            maxBins: params.max_bins,
            sample: sharedSample,
            bins,
          };
        }),
        { ...(signal ? { signal } : {}), onAbort },
      );
      const thresholds = binned.map((r) => (r as { thresholds: Float64Array }).thresholds);
      binMs = performance.now() - started;
      pool.broadcast({
        type: "init-trees",
        data: treeDataFrom(assembleBins(thresholds, bins)),
        params: treeParams,
      });
      const results = await pool.run(
        tasks(nTrees, (index) => ({ type: "tree", index, seed: seeds[index]! })),
        {
          ...(signal ? { signal } : {}),
          onAbort,
        },
      );
      pool.broadcast({ type: "release" });
      return results.map((r) => {
        if (r.type !== "tree") throw new Error(`unexpected worker reply ${r.type}`);
        return r.tree;
      });
    }).catch((cause) => {
      if (CancelledError.isInstance(cause)) throw cause;
      throw new LolpopError({
        message: `the histogram engine failed on its worker threads: ${(cause as Error)?.message ?? String(cause)}. Try n_jobs: 1 to fit on the calling thread.`,
        code: "training_failed",
        cause,
        details: { rows: n, features: F, threads },
      });
    });
    binnedMs = binMs;
  } else {
    const builder = new HistogramTreeBuilder(
      treeDataFrom(binFeatures(columns, params.max_bins, sample, false)),
      treeParams,
    );
    binnedMs = performance.now() - started;
    checkAborted(signals, path);
    trees = [];
    let lastYield = performance.now();
    for (let t = 0; t < nTrees; t++) {
      trees.push(builder.build(seeds[t]!));
      // Let abort signals and other work in; check them between trees.
      if (performance.now() - lastYield > 20) {
        await nextTurn();
        lastYield = performance.now();
      }
      checkAborted(signals, path);
    }
  }
  checkAborted(signals, path);
  const forest = assembleForest(trees, F, K > 0 ? K : 1);
  const importance = forestImportance(trees, F);
  ctx.logger.debug(`fitted ${nTrees} trees on ${n} rows x ${F} features`, {
    ms: Math.round(performance.now() - started),
    binning_ms: Math.round(binnedMs),
    threads: parallel ? threads : 1,
    nodes: forest.feature.length,
    features_per_split: mtry,
  });
  ctx.lineage.recordSeed(path, seed);
  const used: RandomForestParams = {
    ...params,
    max_features: rule,
    criterion,
    seed,
    engine: "histogram",
  };
  return new HistogramForestModel(forest, {
    problem_type: problem,
    params: used,
    feature_names: featureNames,
    classes,
    importance,
    training_rows: n,
    n_jobs: nJobs,
    libraryVersion: pkg.version,
  });
}

function combine(signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  if (list.length <= 1) return list[0];
  return AbortSignal.any(list);
}

// ---------------------------------------------------------------- load

/**
 * Restores a histogram model from its parsed `model.json` (format and version already checked) and
 * its `forest.bin` (size and SHA-256 checked).
 * @internal Called by RandomForestModelTrainer's `load`.
 */
export async function loadHistogramForest(
  dir: string,
  data: Partial<HistogramModelFile>,
  corrupt: (why: string, cause?: unknown) => never,
  nJobs: number,
): Promise<HistogramForestModel> {
  const problem = data.problem_type;
  if (problem !== "classification" && problem !== "regression")
    return corrupt(`unknown problem_type ${JSON.stringify(problem)}`);
  if (!isStringArray(data.feature_names) || data.feature_names.length === 0)
    return corrupt("feature_names is missing");
  const names = data.feature_names;
  if (problem === "classification" && (!isStringArray(data.classes) || data.classes.length < 2))
    return corrupt("classes is missing");
  const meta = data.forest;
  if (!meta || typeof meta !== "object" || meta.file !== FOREST_FILE)
    return corrupt(`"forest" does not point at ${FOREST_FILE}`);
  const binFile = join(dir, FOREST_FILE);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(binFile));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    throw new StoreError({
      message:
        code === "ENOENT"
          ? `${binFile} is missing: the model's trees are stored there, next to ${MODEL_FILE}; copy the whole model folder`
          : `cannot read ${binFile}: ${(cause as Error)?.message ?? String(cause)}`,
      path: binFile,
      cause,
      code: code === "ENOENT" ? "model_invalid" : "store_error",
    });
  }
  if (bytes.length !== meta.bytes || createHash("sha256").update(bytes).digest("hex") !== meta.sha256) {
    return corrupt(
      `${FOREST_FILE} does not match the size and SHA-256 recorded in ${MODEL_FILE} (the file is damaged or from another model)`,
    );
  }
  let forest: ForestArrays;
  try {
    forest = decodeForest(bytes);
  } catch (cause) {
    return corrupt(`${FOREST_FILE} is unreadable: ${(cause as Error).message}`, cause);
  }
  const width = problem === "classification" ? data.classes!.length : 1;
  if (forest.nFeatures !== names.length || forest.valueWidth !== width)
    return corrupt(`${FOREST_FILE} does not match feature_names and classes`);
  const fi = data.feature_importance ?? {};
  return new HistogramForestModel(forest, {
    problem_type: problem,
    params: {
      ...DEFAULT_TRAINING_PARAMS,
      seed: DEFAULT_SEED,
      ...data.params,
      engine: "histogram",
    } as RandomForestParams,
    feature_names: names,
    classes: problem === "classification" ? data.classes : undefined,
    importance: names.map((n) => (typeof fi[n] === "number" ? fi[n] : 0)),
    training_rows: typeof data.training_rows === "number" ? data.training_rows : 0,
    n_jobs: nJobs,
    libraryVersion: typeof data.library?.version === "string" ? data.library.version : "unknown",
  });
}
