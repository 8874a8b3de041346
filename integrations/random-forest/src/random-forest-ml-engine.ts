/**
 * The `ml-random-forest` engine of RandomForestModelTrainer: ml-random-forest 2.1.0 (pure
 * JavaScript, no native code), kept for compatibility and for models saved with it. It is slow
 * (split search about O(features x rows^2) per node), so it suits small data only.
 *
 * The library has defects this engine works around (see the package README, "Limits"):
 * - out-of-bag scoring crashes with few trees: always trained with `noOOB: true`;
 * - `predictProbability` is off by one vote: probabilities are vote shares computed here from the
 *   per-tree predictions (`predictionValues`);
 * - labels must be integers 0..k-1: class labels are mapped in the order of `FitInput.classes`;
 * - no missing values (NaN goes down the "greater" branch): per-feature training means are learned at
 *   fit time, stored with the model and imputed before fit and predict;
 * - `featureImportance()` is wrong after `load()` (and not meaningful for regression): the mean
 *   decrease in impurity is computed here at fit time and stored with the model;
 * - `maxSamples` takes the first N rows (and treats 1.0 as "one row"): rows are shuffled with a
 *   seeded PRNG and subsampled here, the library never sees `maxSamples`;
 * - `maxFeatures` treats 1 as "all features" and samples features with replacement by default:
 *   `max_features` is resolved to a feature count here and passed in a form the library reads
 *   correctly, always without replacement.
 */
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  type ComponentContext,
  classificationPredictions,
  createRng,
  type FitInput,
  LolpopError,
  type OnnxGraphPiece,
  type Predictions,
  type ProblemType,
  permutation,
  regressionPredictions,
  type Table,
  type TrainedModel,
  writeFileAtomic,
} from "@lolpop/core";
import {
  checkAborted,
  fail,
  isNumberArray,
  isStringArray,
  MODEL_FILE,
  MODEL_FORMAT,
  modelFields,
  type PreparedData,
  predictColumns,
  quote,
} from "./random-forest-data.js";
import {
  DEFAULT_SEED,
  DEFAULT_TRAINING_PARAMS,
  RANDOM_FOREST_TRAINER_TYPE,
  type RandomForestParams,
  type RandomForestTrainerConfig,
  type RandomForestTrainingParams,
  resolveMaxFeatures,
} from "./random-forest-params.js";
import type { ForestTrees } from "./random-forest-trees.js";

/** `format_version` of the `model.json` files this engine writes (unchanged since the first release). */
export const ML_MODEL_FORMAT_VERSION = 1;

const LIBRARY_NAME = "ml-random-forest";

// ---------------------------------------------------------------- the library, loaded lazily

interface TreeNodeLike {
  splitColumn?: number;
  splitValue?: number;
  distribution?: unknown;
  left?: TreeNodeLike;
  right?: TreeNodeLike;
}

/** A leaf's `distribution`: a ml-matrix row vector (class shares) or a number (regression). */
interface DistributionLike {
  getRow?(row: number): number[];
  to1DArray?(): number[];
}

/** What a leaf contributes: the one-hot vote of its first most frequent class, or its value. */
function leafValue(node: TreeNodeLike, K: number): number[] {
  const d = node.distribution;
  if (K === 1) return [typeof d === "number" ? d : Number(d)];
  const shares: number[] = Array.isArray(d)
    ? (d as unknown[]).flat(2).map(Number)
    : ((d as DistributionLike).to1DArray?.() ?? (d as DistributionLike).getRow?.(0) ?? []);
  let best = 0;
  for (let c = 1; c < shares.length; c++) if (shares[c]! > shares[best]!) best = c;
  const vote = new Array<number>(K).fill(0);
  if (shares.length) vote[best] = 1;
  return vote;
}

interface PredictionMatrix {
  readonly rows: number;
  readonly columns: number;
  get(row: number, column: number): number;
}

interface ForestLike {
  n: number;
  nEstimators: number;
  indexes: number[][];
  estimators: Array<{ root: TreeNodeLike }>;
  train(X: number[][], y: number[]): void;
  predictionValues(X: number[][]): PredictionMatrix;
  toJSON(): LibraryModelJson;
}

interface ForestClass {
  new (options: Record<string, unknown>): ForestLike;
  load(model: LibraryModelJson): ForestLike;
}

interface LibraryModelJson {
  name: string;
  baseModel: { indexes: number[][]; nEstimators: number; estimators: unknown[]; [key: string]: unknown };
  [key: string]: unknown;
}

interface Library {
  RandomForestClassifier: ForestClass;
  RandomForestRegression: ForestClass;
  version: string;
}

let libraryPromise: Promise<Library> | undefined;

/** Imports ml-random-forest on first use (never at import of the plugin entry). */
function loadLibrary(): Promise<Library> {
  libraryPromise ??= (async () => {
    try {
      const mod = (await import("ml-random-forest")) as unknown as Partial<Library> & {
        default?: Partial<Library>;
      };
      const lib = mod.RandomForestClassifier ? mod : (mod.default ?? {});
      if (!lib.RandomForestClassifier || !lib.RandomForestRegression) {
        throw new Error("the module does not export RandomForestClassifier and RandomForestRegression");
      }
      const pkg = createRequire(import.meta.url)(`${LIBRARY_NAME}/package.json`) as { version: string };
      return {
        RandomForestClassifier: lib.RandomForestClassifier,
        RandomForestRegression: lib.RandomForestRegression,
        version: pkg.version,
      };
    } catch (cause) {
      libraryPromise = undefined;
      throw new LolpopError({
        message: `${RANDOM_FOREST_TRAINER_TYPE} could not load ${LIBRARY_NAME}: ${(cause as Error)?.message ?? String(cause)}. Reinstall @lolpop/random-forest (it depends on ${LIBRARY_NAME}).`,
        code: "dependency_missing",
        cause,
      });
    }
  })();
  return libraryPromise;
}

// ---------------------------------------------------------------- helpers

/** The `maxFeatures` value ml-random-forest turns into exactly `count` features (it reads 1 as "all"). */
function libraryMaxFeatures(count: number, numFeatures: number): number {
  if (count >= numFeatures) return 1.0;
  if (count >= 2) return count;
  return 1.5 / numFeatures; // floor(numFeatures * 1.5 / numFeatures) = 1
}

/** Rows (in `order`) as arrays with missing or infinite values replaced by `means`. */
function imputedRows(
  columns: readonly Float64Array[],
  means: ArrayLike<number>,
  order?: ArrayLike<number>,
): number[][] {
  const n = order ? order.length : (columns[0]?.length ?? 0);
  const rows = new Array<number[]>(n);
  for (let i = 0; i < n; i++) {
    const r = order ? order[i]! : i;
    const row = new Array<number>(columns.length);
    for (let j = 0; j < columns.length; j++) {
      const v = columns[j]![r]!;
      row[j] = Number.isFinite(v) ? v : means[j]!;
    }
    rows[i] = row;
  }
  return rows;
}

/** Per-feature mean of the finite values (0 when a column has none). */
function columnMeans(columns: readonly Float64Array[]): { means: number[]; allMissing: number[] } {
  const means: number[] = [];
  const allMissing: number[] = [];
  columns.forEach((col, j) => {
    let sum = 0;
    let count = 0;
    for (let i = 0; i < col.length; i++) {
      const v = col[i]!;
      if (Number.isFinite(v)) {
        sum += v;
        count++;
      }
    }
    if (count === 0) allMissing.push(j);
    means.push(count ? sum / count : 0);
  });
  return { means, allMissing };
}

/**
 * Mean decrease in impurity per feature (Gini for classification, squared error for regression),
 * measured by routing the training rows through each tree; each tree's decreases are normalized to
 * sum to 1, then averaged over trees and normalized again.
 */
function impurityImportance(
  forest: ForestLike,
  rows: number[][],
  y: ArrayLike<number>,
  numFeatures: number,
  numClasses: number,
): number[] {
  const total = new Float64Array(numFeatures);
  const impurity = (idx: Int32Array): number => {
    const n = idx.length;
    if (n === 0) return 0;
    if (numClasses > 0) {
      const counts = new Float64Array(numClasses);
      for (let i = 0; i < n; i++) counts[y[idx[i]!]!]!++;
      let s = 0;
      for (let k = 0; k < numClasses; k++) s += (counts[k]! / n) ** 2;
      return n * (1 - s);
    }
    let mean = 0;
    for (let i = 0; i < n; i++) mean += y[idx[i]!]!;
    mean /= n;
    let sse = 0;
    for (let i = 0; i < n; i++) sse += (y[idx[i]!]! - mean) ** 2;
    return sse;
  };
  const all = new Int32Array(rows.length);
  for (let i = 0; i < all.length; i++) all[i] = i;
  forest.estimators.forEach((tree, t) => {
    const used = forest.indexes[t]!;
    const perTree = new Float64Array(numFeatures);
    const stack: Array<[TreeNodeLike, Int32Array, number]> = [[tree.root, all, impurity(all)]];
    while (stack.length) {
      const [node, idx, imp] = stack.pop()!;
      if (!node.left || !node.right || node.splitColumn === undefined || node.splitValue === undefined)
        continue;
      const feature = used[node.splitColumn]!;
      const left: number[] = [];
      const right: number[] = [];
      for (const i of idx) (rows[i]![feature]! < node.splitValue ? left : right).push(i);
      const l = Int32Array.from(left);
      const r = Int32Array.from(right);
      const li = impurity(l);
      const ri = impurity(r);
      perTree[feature] += Math.max(0, imp - li - ri);
      stack.push([node.left, l, li], [node.right, r, ri]);
    }
    const sum = perTree.reduce((a, b) => a + b, 0);
    if (sum > 0) for (let j = 0; j < numFeatures; j++) total[j] += perTree[j]! / sum;
  });
  const sum = total.reduce((a, b) => a + b, 0);
  return Array.from(total, (v) => (sum > 0 ? v / sum : 0));
}

// ---------------------------------------------------------------- the model

/** What `model.json` holds for the ml-random-forest engine. */
export interface RandomForestModelFile {
  format: typeof MODEL_FORMAT;
  format_version: number;
  /** Absent in files written before engines existed. */
  engine?: "ml-random-forest";
  trainer: string;
  library: { name: string; version: string };
  problem_type: ProblemType;
  params: RandomForestParams;
  feature_names: string[];
  classes?: string[];
  /** Training mean of each feature, imputed for missing values. */
  impute_means: number[];
  /** Mean decrease in impurity by feature name (sums to 1). */
  feature_importance: Record<string, number>;
  /** Rows the forest was fitted on (after `max_samples`). */
  training_rows: number;
  /** ml-random-forest's `toJSON()`. */
  model: LibraryModelJson;
}

interface ModelState {
  problem_type: ProblemType;
  params: RandomForestParams;
  feature_names: string[];
  classes?: string[];
  impute_means: number[];
  importance: number[];
  training_rows: number;
  libraryVersion: string;
}

/** A random forest fitted by the ml-random-forest engine. */
export class RandomForestModel implements TrainedModel {
  readonly trainer = RANDOM_FOREST_TRAINER_TYPE;
  readonly problem_type: ProblemType;
  readonly params: Readonly<RandomForestParams>;
  readonly feature_names: string[];
  readonly classes?: string[];
  /** Training means imputed for missing feature values, in `feature_names` order. */
  readonly impute_means: readonly number[];
  /** Rows the forest was fitted on. */
  readonly training_rows: number;
  readonly #forest: ForestLike;
  readonly #importance: readonly number[];
  readonly #libraryVersion: string;

  /** @internal Built by {@link RandomForestModelTrainer} `fit` and `load`. */
  constructor(forest: ForestLike, state: ModelState) {
    this.#forest = forest;
    this.problem_type = state.problem_type;
    this.params = Object.freeze({ ...state.params });
    this.feature_names = [...state.feature_names];
    if (state.classes) this.classes = [...state.classes];
    this.impute_means = Object.freeze([...state.impute_means]);
    this.training_rows = state.training_rows;
    this.#importance = Object.freeze([...state.importance]);
    this.#libraryVersion = state.libraryVersion;
  }

  /** Number of trees. */
  get n_trees(): number {
    return this.#forest.estimators.length;
  }

  async predict(X: Table): Promise<Predictions> {
    const columns = predictColumns(X, this.feature_names);
    const n = X.numRows;
    if (this.problem_type === "classification") {
      const k = this.classes!.length;
      const proba = new Float64Array(n * k);
      if (n > 0) {
        // Probabilities are vote shares (the library's own predictProbability is off by one vote).
        const votes = this.#forest.predictionValues(imputedRows(columns, this.impute_means));
        const trees = votes.columns;
        for (let i = 0; i < n; i++) {
          for (let t = 0; t < trees; t++) {
            const c = votes.get(i, t);
            if (c >= 0 && c < k) proba[i * k + c]++;
          }
          for (let c = 0; c < k; c++) proba[i * k + c] /= trees;
        }
      }
      return classificationPredictions(this.classes!, proba, n);
    }
    const values = new Float64Array(n);
    if (n > 0) {
      const preds = this.#forest.predictionValues(imputedRows(columns, this.impute_means));
      const trees = preds.columns;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let t = 0; t < trees; t++) s += preds.get(i, t);
        values[i] = s / trees;
      }
    }
    return regressionPredictions(values);
  }

  /** Mean decrease in impurity by feature name (computed at fit time; sums to 1). */
  feature_importance(): Record<string, number> {
    return Object.fromEntries(this.feature_names.map((name, j) => [name, this.#importance[j]!]));
  }

  /**
   * The trees in the engine-neutral shape that exporters read. A classification leaf holds the
   * tree's vote (1 for the class it predicts, the first of its most frequent classes), so the mean
   * over trees is the vote share, as in {@link predict}.
   */
  trees(): ForestTrees {
    const K = this.problem_type === "classification" ? this.classes!.length : 1;
    const trees = this.#forest.estimators.map((estimator, t) => {
      const used = this.#forest.indexes[t]!;
      const nodes: TreeNodeLike[] = [];
      const feature: number[] = [];
      const threshold: number[] = [];
      const left: number[] = [];
      const right: number[] = [];
      const leaf: number[] = [];
      const values: number[] = [];
      // Pre-order walk; children get their indexes when they are visited.
      const visit = (node: TreeNodeLike): number => {
        const id = nodes.length;
        nodes.push(node);
        feature.push(-1);
        threshold.push(0);
        left.push(-1);
        right.push(-1);
        leaf.push(-1);
        if (node.left && node.right && node.splitColumn !== undefined && node.splitValue !== undefined) {
          feature[id] = used[node.splitColumn]!;
          threshold[id] = node.splitValue;
          left[id] = visit(node.left);
          right[id] = visit(node.right);
        } else {
          leaf[id] = values.length / K;
          values.push(...leafValue(node, K));
        }
        return id;
      };
      visit(estimator.root);
      const n = nodes.length;
      return {
        feature: Int32Array.from(feature),
        threshold: Float64Array.from(threshold),
        left: Int32Array.from(left),
        right: Int32Array.from(right),
        // Missing values are imputed before the trees (see `impute`); NaN would go right.
        missingLeft: new Uint8Array(n),
        leaf: Int32Array.from(leaf),
        values: Float64Array.from(values),
      };
    });
    return { split: "<", valueWidth: K, trees, impute: [...this.impute_means] };
  }

  /** The forest as a piece of an ONNX graph (imputation, then a TreeEnsembleClassifier or TreeEnsembleRegressor). */
  async to_onnx(): Promise<OnnxGraphPiece> {
    const { forestToOnnx } = await import("./random-forest-onnx.js");
    return forestToOnnx(this, this.trees());
  }

  /** The `model.json` content. */
  toJSON(): RandomForestModelFile {
    return {
      format: MODEL_FORMAT,
      format_version: ML_MODEL_FORMAT_VERSION,
      engine: "ml-random-forest",
      trainer: this.trainer,
      library: { name: LIBRARY_NAME, version: this.#libraryVersion },
      ...modelFields(this),
      impute_means: [...this.impute_means],
      feature_importance: this.feature_importance(),
      training_rows: this.training_rows,
      model: this.#forest.toJSON(),
    };
  }

  /** Writes `model.json` into `dir` atomically (temporary file, then rename). */
  async save(dir: string): Promise<void> {
    const { model, ...header } = this.toJSON();
    // Readable header, compact trees.
    const head = JSON.stringify(header, null, 2);
    const text = `${head.slice(0, head.lastIndexOf("}")).trimEnd()},\n  "model": ${JSON.stringify(model)}\n}\n`;
    await writeFileAtomic(join(dir, MODEL_FILE), text);
  }
}

/**
 * Fits a forest with ml-random-forest on checked data.
 * @internal Called by RandomForestModelTrainer when `engine: ml-random-forest`.
 */
export async function fitMlForest(
  ctx: ComponentContext<RandomForestTrainerConfig>,
  input: FitInput,
  data: PreparedData,
  params: RandomForestTrainingParams,
  seed: number,
): Promise<RandomForestModel> {
  const path = ctx.path;
  const { problem, featureNames, columns, n, classes, target } = data;

  // Rows: shuffle with the seed, then keep round(n * max_samples) of them.
  const keep = Math.max(1, Math.round(n * params.max_samples));
  if (keep < 2) {
    fail(
      `${RANDOM_FOREST_TRAINER_TYPE} needs at least 2 training rows, got ${keep} (rows: ${n}, max_samples: ${params.max_samples})`,
      "too_few_rows",
    );
  }
  const order = permutation(n, createRng((seed ^ 0x9e3779b9) >>> 0)).subarray(0, keep);
  const { means, allMissing } = columnMeans(columns);
  if (allMissing.length) {
    ctx.logger.warn(
      `feature column(s) ${quote(allMissing.map((j) => featureNames[j]!))} have no values; they are imputed with 0`,
    );
  }
  const rows = imputedRows(columns, means, order);
  const y = Array.from(order, (r) => target[r]!);

  const { rule, count } = resolveMaxFeatures(params.max_features, featureNames.length, problem);
  const used: RandomForestParams = {
    ...params,
    max_features: rule,
    criterion: problem === "classification" ? "gini" : "squared_error",
    seed,
    engine: "ml-random-forest",
  };
  const lib = await loadLibrary();
  checkAborted([input.signal, ctx.signal], path);
  const Forest = problem === "classification" ? lib.RandomForestClassifier : lib.RandomForestRegression;
  const forest = new Forest({
    nEstimators: params.n_estimators,
    maxFeatures: libraryMaxFeatures(count, featureNames.length),
    replacement: false,
    useSampleBagging: params.bootstrap,
    noOOB: true,
    seed: seed | 0,
    treeOptions: {
      maxDepth: params.max_depth ?? Number.POSITIVE_INFINITY,
      minNumSamples: params.min_samples_split - 1,
    },
    ...(problem === "regression" ? { selectionMethod: "mean" } : {}),
  });
  const started = Date.now();
  try {
    forest.train(rows, y);
  } catch (cause) {
    throw new LolpopError({
      message: `${LIBRARY_NAME} failed to train: ${(cause as Error)?.message ?? String(cause)}`,
      code: "training_failed",
      cause,
      details: { rows: keep, features: featureNames.length, params: used },
    });
  }
  if (forest.n !== count) {
    throw new LolpopError({
      message: `${LIBRARY_NAME} used ${forest.n} features per tree instead of ${count}`,
      code: "training_failed",
    });
  }
  checkAborted([input.signal, ctx.signal], path);
  const importance = impurityImportance(forest, rows, y, featureNames.length, classes ? classes.length : 0);
  ctx.logger.debug(`fitted ${params.n_estimators} trees on ${keep} rows x ${featureNames.length} features`, {
    ms: Date.now() - started,
    features_per_tree: count,
  });
  ctx.lineage.recordSeed(path, seed);
  return new RandomForestModel(forest, {
    problem_type: problem,
    params: used,
    feature_names: featureNames,
    classes,
    impute_means: means,
    importance,
    training_rows: keep,
    libraryVersion: lib.version,
  });
}

/**
 * Restores an ml-random-forest model from its parsed `model.json` (format and version already checked).
 * @internal Called by RandomForestModelTrainer's `load`.
 */
export async function loadMlForest(
  ctx: ComponentContext<RandomForestTrainerConfig>,
  file: string,
  data: Partial<RandomForestModelFile>,
  corrupt: (why: string, cause?: unknown) => never,
): Promise<RandomForestModel> {
  if (data.library?.name !== LIBRARY_NAME)
    return corrupt(`it was made with "${String(data.library?.name)}", not ${LIBRARY_NAME}`);
  const problem = data.problem_type;
  if (problem !== "classification" && problem !== "regression")
    return corrupt(`unknown problem_type ${JSON.stringify(problem)}`);
  if (!isStringArray(data.feature_names) || data.feature_names.length === 0)
    return corrupt("feature_names is missing");
  const names = data.feature_names;
  if (!isNumberArray(data.impute_means) || data.impute_means.length !== names.length)
    return corrupt("impute_means does not match feature_names");
  if (problem === "classification" && (!isStringArray(data.classes) || data.classes.length < 2))
    return corrupt("classes is missing");
  const fi = data.feature_importance ?? {};
  const importance = names.map((n) => (typeof fi[n] === "number" ? fi[n] : 0));
  const model = data.model;
  const expectedName = problem === "classification" ? "RFClassifier" : "RFRegression";
  if (!model || model.name !== expectedName || !Array.isArray(model.baseModel?.indexes))
    return corrupt(`"model" is not an ml-random-forest ${expectedName}`);
  const lib = await loadLibrary();
  if (data.library.version !== lib.version) {
    ctx.logger.warn(
      `${file} was saved with ${LIBRARY_NAME} ${data.library.version}, loading it with ${lib.version}`,
    );
  }
  let forest: ForestLike;
  try {
    forest = (problem === "classification" ? lib.RandomForestClassifier : lib.RandomForestRegression).load(
      model,
    );
  } catch (cause) {
    return corrupt(
      `${LIBRARY_NAME} could not load the trees (${(cause as Error)?.message ?? String(cause)})`,
      cause,
    );
  }
  for (const used of forest.indexes) {
    if (!used.every((j) => Number.isInteger(j) && j >= 0 && j < names.length))
      return corrupt("the trees use features that are not in feature_names");
  }
  return new RandomForestModel(forest, {
    problem_type: problem,
    params: {
      ...DEFAULT_TRAINING_PARAMS,
      seed: DEFAULT_SEED,
      ...data.params,
      engine: "ml-random-forest",
    } as RandomForestParams,
    feature_names: names,
    classes: problem === "classification" ? data.classes : undefined,
    impute_means: data.impute_means,
    importance,
    training_rows: typeof data.training_rows === "number" ? data.training_rows : 0,
    libraryVersion: data.library.version,
  });
}
