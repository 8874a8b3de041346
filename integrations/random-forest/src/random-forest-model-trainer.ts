/**
 * RandomForestModelTrainer: random forests for classification and regression, built on
 * ml-random-forest 2.1.0 (pure JavaScript, no native code).
 *
 * The library has defects this trainer works around (see the package README, "Limits"):
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
import { randomBytes } from "node:crypto";
import { mkdir, open, readFile, rename, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { join } from "node:path";
import {
  CancelledError,
  type ClassificationPredictions,
  type Column,
  type ComponentContext,
  ConfigError,
  type ConfigIssue,
  createRng,
  DataError,
  defineComponent,
  type FitInput,
  LolpopError,
  type ModelTrainer,
  type Predictions,
  type ProblemType,
  type RegressionPredictions,
  StoreError,
  type Table,
  type TrainedModel,
} from "@lolpop/core";

/** The component type name used in YAML. */
export const RANDOM_FOREST_TRAINER_TYPE = "RandomForestModelTrainer";
/** File written by `TrainedModel.save`. */
export const MODEL_FILE = "model.json";
/** `format` field of `model.json`. */
export const MODEL_FORMAT = "lolpop.random-forest.model";
/** Version of the `model.json` layout this code writes (and the newest it reads). */
export const MODEL_FORMAT_VERSION = 1;

const LIBRARY_NAME = "ml-random-forest";

/** `max_features` values: a fraction in (0, 1], an integer count >= 2, or a rule. */
export type MaxFeatures = number | "auto" | "sqrt" | "log2";

/** Training parameters (the `training_params` config section, or a tuner's `params`). */
export interface RandomForestTrainingParams {
  /** Number of trees. */
  n_estimators: number;
  /** Maximum tree depth (a stump is 1); null means unlimited. */
  max_depth: number | null;
  /** Features drawn (without replacement) for each tree. */
  max_features: MaxFeatures;
  /** A node with fewer rows than this becomes a leaf. */
  min_samples_split: number;
  /** Each tree fits a bootstrap sample (rows drawn with replacement) instead of all rows. */
  bootstrap: boolean;
  /** Fraction of the (shuffled) training rows the forest is fitted on. */
  max_samples: number;
}

/** Parameters actually used by a fitted model: training params (with `max_features` resolved) and the seed. */
export type RandomForestParams = RandomForestTrainingParams & { seed: number };

/** The component's config. */
export interface RandomForestTrainerConfig {
  training_params?: Partial<RandomForestTrainingParams>;
  seed?: number;
}

/** Defaults of `training_params`. */
export const DEFAULT_TRAINING_PARAMS: Readonly<RandomForestTrainingParams> = Object.freeze({
  n_estimators: 50,
  max_depth: 10,
  max_features: "auto",
  min_samples_split: 2,
  bootstrap: true,
  max_samples: 1.0,
});

/** Default seed. */
export const DEFAULT_SEED = 42;

const PARAM_KEYS = Object.keys(DEFAULT_TRAINING_PARAMS) as Array<keyof RandomForestTrainingParams>;

/** JSON Schema of the component's config. */
export const randomForestConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    training_params: {
      type: "object",
      description:
        "Forest parameters. A hyperparameter tuner's params (FitInput.params) override these key by key.",
      additionalProperties: false,
      default: {},
      properties: {
        n_estimators: {
          type: "integer",
          minimum: 1,
          default: DEFAULT_TRAINING_PARAMS.n_estimators,
          description: "Number of trees in the forest. Fit time grows linearly with it.",
        },
        max_depth: {
          type: ["integer", "null"],
          minimum: 1,
          default: DEFAULT_TRAINING_PARAMS.max_depth,
          description: "Maximum depth of each tree (1 = a single split); null for unlimited depth.",
        },
        max_features: {
          anyOf: [
            { type: "number", exclusiveMinimum: 0, maximum: 1 },
            { type: "integer", minimum: 2 },
            { type: "string", enum: ["auto", "sqrt", "log2"] },
          ],
          default: DEFAULT_TRAINING_PARAMS.max_features,
          description:
            "Features drawn (without replacement) for each tree: a fraction in (0, 1] of the feature " +
            "columns (1 = all), an integer count >= 2, 'sqrt', 'log2', or 'auto' = 'sqrt' for " +
            "classification and 1.0 (all features) for regression. At least one feature is always used. " +
            "Note: ml-random-forest draws features once per tree, not at every split.",
        },
        min_samples_split: {
          type: "integer",
          minimum: 2,
          default: DEFAULT_TRAINING_PARAMS.min_samples_split,
          description: "A node with fewer rows than this is not split further.",
        },
        bootstrap: {
          type: "boolean",
          default: DEFAULT_TRAINING_PARAMS.bootstrap,
          description:
            "Fit each tree on a bootstrap sample (rows drawn with replacement). When false every " +
            "tree sees the same rows and only the feature draw differs between trees.",
        },
        max_samples: {
          type: "number",
          exclusiveMinimum: 0,
          maximum: 1,
          default: DEFAULT_TRAINING_PARAMS.max_samples,
          description:
            "Fraction of the training rows used: rows are shuffled with the seed and the first " +
            "round(n * max_samples) are kept (bootstrap samples are then drawn from those).",
        },
      },
    },
    seed: {
      type: "integer",
      default: DEFAULT_SEED,
      description:
        "Seed for the row shuffle, bootstrap samples and feature draws. A seed given by the workflow " +
        "(FitInput.seed) or a tuner (params.seed) takes precedence.",
    },
  },
} as const;

// ---------------------------------------------------------------- the library, loaded lazily

interface TreeNodeLike {
  splitColumn?: number;
  splitValue?: number;
  left?: TreeNodeLike;
  right?: TreeNodeLike;
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

/** A seeded Fisher-Yates permutation of 0..n-1. */
function shuffledIndices(n: number, seed: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const rand = createRng((seed ^ 0x9e3779b9) >>> 0);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx;
}

function quote(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(", ");
}

function checkAborted(signals: Array<AbortSignal | undefined>, path: string): void {
  for (const s of signals) if (s?.aborted) throw new CancelledError({ path, reason: s.reason });
}

/** Validates and merges training params: defaults, then config, then overrides. Every problem is reported at once. */
export function resolveTrainingParams(
  config: Partial<Record<string, unknown>> | undefined,
  overrides: Record<string, unknown> | undefined,
  path = RANDOM_FOREST_TRAINER_TYPE,
): { params: RandomForestTrainingParams; seed?: number } {
  const issues: ConfigIssue[] = [];
  const merged: Record<string, unknown> = { ...DEFAULT_TRAINING_PARAMS };
  let seed: number | undefined;
  const sources: Array<[string, Record<string, unknown> | undefined]> = [
    [`${path}.config.training_params`, config as Record<string, unknown> | undefined],
    [`${path}.params`, overrides],
  ];
  for (const [where, source] of sources) {
    for (const [key, value] of Object.entries(source ?? {})) {
      if (value === undefined) continue;
      const at = `${where}.${key}`;
      if (key === "seed" && where.endsWith(".params")) {
        if (typeof value !== "number" || !Number.isSafeInteger(value))
          issues.push({
            code: "invalid_value",
            path: at,
            message: `seed must be an integer, got ${JSON.stringify(value)}`,
          });
        else seed = value;
        continue;
      }
      if (!(PARAM_KEYS as string[]).includes(key)) {
        issues.push({
          code: "unknown_key",
          path: at,
          message: `unknown parameter "${key}" for ${RANDOM_FOREST_TRAINER_TYPE} (known: ${[...PARAM_KEYS, "seed"].join(", ")})`,
        });
        continue;
      }
      const problem = checkParam(key as keyof RandomForestTrainingParams, value);
      if (problem) issues.push({ code: "invalid_value", path: at, message: problem });
      else merged[key] = value;
    }
  }
  if (issues.length) throw new ConfigError({ issues });
  return { params: merged as unknown as RandomForestTrainingParams, seed };
}

function checkParam(key: keyof RandomForestTrainingParams, v: unknown): string | undefined {
  const got = JSON.stringify(v);
  const isInt = typeof v === "number" && Number.isSafeInteger(v);
  switch (key) {
    case "n_estimators":
      return isInt && (v as number) >= 1 ? undefined : `n_estimators must be an integer >= 1, got ${got}`;
    case "max_depth":
      return v === null || (isInt && (v as number) >= 1)
        ? undefined
        : `max_depth must be an integer >= 1 or null (unlimited), got ${got}`;
    case "max_features":
      if (v === "auto" || v === "sqrt" || v === "log2") return undefined;
      if (typeof v === "number" && ((v > 0 && v <= 1) || (Number.isSafeInteger(v) && v >= 2)))
        return undefined;
      return `max_features must be a fraction in (0, 1], an integer count >= 2, "sqrt", "log2" or "auto", got ${got}`;
    case "min_samples_split":
      return isInt && (v as number) >= 2
        ? undefined
        : `min_samples_split must be an integer >= 2, got ${got}`;
    case "bootstrap":
      return typeof v === "boolean" ? undefined : `bootstrap must be true or false, got ${got}`;
    case "max_samples":
      return typeof v === "number" && v > 0 && v <= 1
        ? undefined
        : `max_samples must be a fraction in (0, 1], got ${got}`;
  }
}

/** Resolves `max_features` into the number of features each tree draws. */
export function resolveMaxFeatures(
  value: MaxFeatures,
  numFeatures: number,
  problemType: ProblemType,
): { rule: MaxFeatures; count: number } {
  const rule: MaxFeatures = value === "auto" ? (problemType === "classification" ? "sqrt" : 1.0) : value;
  let count: number;
  if (rule === "sqrt") count = Math.floor(Math.sqrt(numFeatures));
  else if (rule === "log2") count = Math.floor(Math.log2(numFeatures));
  else if (rule <= 1) count = Math.floor(rule * numFeatures + 1e-9);
  else {
    if (rule > numFeatures) {
      throw new DataError({
        message: `max_features is ${rule} but the data has only ${numFeatures} feature column(s); use a count <= ${numFeatures} or a fraction in (0, 1]`,
        code: "invalid_params",
      });
    }
    count = rule;
  }
  return { rule, count: Math.min(numFeatures, Math.max(1, count)) };
}

/** The `maxFeatures` value ml-random-forest turns into exactly `count` features (it reads 1 as "all"). */
function libraryMaxFeatures(count: number, numFeatures: number): number {
  if (count >= numFeatures) return 1.0;
  if (count >= 2) return count;
  return 1.5 / numFeatures; // floor(numFeatures * 1.5 / numFeatures) = 1
}

/** Numeric feature columns of `X`, or a DataError naming the non-numeric ones. */
function numericFeatures(X: Table, names: readonly string[], action: string): Float64Array[] {
  const bad = names.filter((n) => X.column(n).type !== "numeric");
  if (bad.length) {
    throw new DataError({
      message: `${RANDOM_FOREST_TRAINER_TYPE} cannot ${action}: feature column(s) ${quote(bad)} are not numeric. Encode them first with a feature_transformer (such as LocalFeatureTransformer) or drop them.`,
      code: "non_numeric_features",
      details: { columns: bad },
    });
  }
  return names.map((n) => X.numeric(n));
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

/** Target of a classification as class indices in `classes` order. */
function encodeClasses(y: Column, classes: readonly string[]): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const n = y.type === "numeric" ? y.values.length : y.codes.length;
  const out = new Int32Array(n);
  const unknown = new Set<string>();
  let missing = 0;
  let firstMissing = -1;
  if (y.type === "categorical") {
    const map = y.dictionary.map((label) => index.get(label) ?? -1);
    for (let i = 0; i < n; i++) {
      const c = y.codes[i]!;
      if (c < 0) {
        missing++;
        if (firstMissing < 0) firstMissing = i;
        continue;
      }
      const k = map[c]!;
      if (k < 0) unknown.add(y.dictionary[c]!);
      out[i] = k;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const v = y.values[i]!;
      if (Number.isNaN(v)) {
        missing++;
        if (firstMissing < 0) firstMissing = i;
        continue;
      }
      const k = index.get(String(v)) ?? -1;
      if (k < 0) unknown.add(String(v));
      out[i] = k;
    }
  }
  if (missing) {
    throw new DataError({
      message: `the target has ${missing} missing value(s) (first at row ${firstMissing}); drop or fill those rows before training`,
      code: "missing_target",
    });
  }
  if (unknown.size) {
    throw new DataError({
      message: `the target has label(s) ${quote([...unknown].slice(0, 10))} that are not among the classes ${quote(classes)}`,
      code: "unknown_class",
      details: { labels: [...unknown], classes },
    });
  }
  return out;
}

/** Class labels present in `y`, sorted, when the caller gave none. */
function classesOf(y: Column): string[] {
  const seen = new Set<string>();
  if (y.type === "categorical") {
    for (const c of y.codes) if (c >= 0) seen.add(y.dictionary[c]!);
  } else {
    for (const v of y.values) if (!Number.isNaN(v)) seen.add(String(v));
  }
  return [...seen].sort((a, b) => a.localeCompare(b, "en"));
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

/** Writes `text` to `path` through a temporary file in the same folder and a rename. */
async function writeFileAtomic(path: string, dir: string, text: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${MODEL_FILE}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx");
  try {
    await fh.writeFile(text);
    await fh.sync();
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw e;
  }
}

// ---------------------------------------------------------------- the model

/** What `model.json` holds. */
export interface RandomForestModelFile {
  format: typeof MODEL_FORMAT;
  format_version: number;
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

/** A fitted random forest. */
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
    const expected = new Set(this.feature_names);
    const missing = this.feature_names.filter((n) => !X.has(n));
    const extra = X.columnsWithRole("feature").filter((n) => !expected.has(n));
    if (missing.length || extra.length) {
      const parts: string[] = [];
      if (missing.length) parts.push(`missing feature column(s) ${quote(missing)}`);
      if (extra.length) parts.push(`unexpected feature column(s) ${quote(extra)}`);
      throw new DataError({
        message: `${RANDOM_FOREST_TRAINER_TYPE} cannot predict: ${parts.join("; ")}. The model was trained on ${quote(this.feature_names)}; apply the same feature_transformer as in training.`,
        code: "feature_mismatch",
        details: { missing, extra, expected: this.feature_names },
      });
    }
    const columns = numericFeatures(X, this.feature_names, "predict");
    const n = X.numRows;
    if (this.problem_type === "classification") {
      const classes = this.classes!;
      const k = classes.length;
      const labels = new Int32Array(n);
      const proba = new Float64Array(n * k);
      if (n === 0) return { problem_type: "classification", classes: [...classes], labels, proba };
      const votes = this.#forest.predictionValues(imputedRows(columns, this.impute_means));
      const trees = votes.columns;
      for (let i = 0; i < n; i++) {
        const base = i * k;
        for (let t = 0; t < trees; t++) {
          const c = votes.get(i, t);
          if (c >= 0 && c < k) proba[base + c]++;
        }
        let best = 0;
        for (let c = 0; c < k; c++) {
          proba[base + c] /= trees;
          if (proba[base + c]! > proba[base + best]!) best = c;
        }
        labels[i] = best;
      }
      const out: ClassificationPredictions = {
        problem_type: "classification",
        classes: [...classes],
        labels,
        proba,
      };
      return out;
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
    const out: RegressionPredictions = { problem_type: "regression", values };
    return out;
  }

  /** Mean decrease in impurity by feature name (computed at fit time; sums to 1). */
  feature_importance(): Record<string, number> {
    const out: Record<string, number> = {};
    this.feature_names.forEach((name, j) => {
      out[name] = this.#importance[j]!;
    });
    return out;
  }

  /** The `model.json` content. */
  toJSON(): RandomForestModelFile {
    return {
      format: MODEL_FORMAT,
      format_version: MODEL_FORMAT_VERSION,
      trainer: this.trainer,
      library: { name: LIBRARY_NAME, version: this.#libraryVersion },
      problem_type: this.problem_type,
      params: { ...this.params },
      feature_names: [...this.feature_names],
      ...(this.classes ? { classes: [...this.classes] } : {}),
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
    await writeFileAtomic(join(dir, MODEL_FILE), dir, text);
  }
}

// ---------------------------------------------------------------- fit and load

function fail(message: string, code: string, details?: Record<string, unknown>): never {
  throw new DataError({ message, code, details });
}

async function fitForest(
  ctx: ComponentContext<RandomForestTrainerConfig>,
  input: FitInput,
): Promise<RandomForestModel> {
  const path = ctx.path;
  checkAborted([input.signal, ctx.signal], path);
  const problem = input.problem_type;
  if (problem !== "classification" && problem !== "regression") {
    fail(
      `problem_type must be "classification" or "regression", got ${JSON.stringify(problem)}`,
      "invalid_problem_type",
    );
  }
  const resolved = resolveTrainingParams(ctx.config.training_params, input.params, path);
  const seed = resolved.seed ?? input.seed ?? ctx.config.seed ?? DEFAULT_SEED;
  if (!Number.isSafeInteger(seed)) fail(`seed must be an integer, got ${String(seed)}`, "invalid_params");

  const X = input.X;
  const featureNames = X.columnsWithRole("feature");
  if (featureNames.length === 0) {
    fail(`${RANDOM_FOREST_TRAINER_TYPE} needs at least one feature column, X has none`, "no_features");
  }
  const columns = numericFeatures(X, featureNames, "fit");
  const n = X.numRows;
  const yLength = input.y.type === "numeric" ? input.y.values.length : input.y.codes.length;
  if (yLength !== n) fail(`X has ${n} rows but y has ${yLength} values`, "length_mismatch");

  // Target.
  let classes: string[] | undefined;
  let target: ArrayLike<number>;
  if (problem === "classification") {
    classes = input.classes ? [...input.classes] : classesOf(input.y);
    if (new Set(classes).size !== classes.length)
      fail(`classes contain duplicates: ${quote(classes)}`, "invalid_classes");
    if (classes.length < 2) {
      fail(
        `classification needs at least 2 classes, got ${classes.length} (${quote(classes)}); check the target column or use regression`,
        "too_few_classes",
      );
    }
    target = encodeClasses(input.y, classes);
    const present = new Set(target as Int32Array);
    if (present.size < 2) {
      fail(
        `classification needs at least 2 distinct classes in the training target, but every row is ${JSON.stringify(classes[(target as Int32Array)[0] ?? 0])}`,
        "too_few_classes",
      );
    }
  } else {
    if (input.y.type !== "numeric") {
      const sample = input.y.dictionary.slice(0, 3);
      fail(
        `regression needs a numeric target, but the target is categorical (values like ${quote(sample)}); use classification for labels or convert the column to numbers`,
        "non_numeric_target",
      );
    }
    const values = input.y.values;
    let bad = 0;
    let firstBad = -1;
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(values[i]!)) {
        bad++;
        if (firstBad < 0) firstBad = i;
      }
    }
    if (bad) {
      fail(
        `the target has ${bad} missing or infinite value(s) (first at row ${firstBad}); drop or fill those rows before training`,
        "missing_target",
      );
    }
    target = values;
  }

  // Rows: shuffle with the seed, then keep round(n * max_samples) of them.
  const params = resolved.params;
  const keep = Math.max(1, Math.round(n * params.max_samples));
  if (keep < 2) {
    fail(
      `${RANDOM_FOREST_TRAINER_TYPE} needs at least 2 training rows, got ${keep} (rows: ${n}, max_samples: ${params.max_samples})`,
      "too_few_rows",
    );
  }
  const order = shuffledIndices(n, seed).subarray(0, keep);
  const { means, allMissing } = columnMeans(columns);
  if (allMissing.length) {
    ctx.logger.warn(
      `feature column(s) ${quote(allMissing.map((j) => featureNames[j]!))} have no values; they are imputed with 0`,
    );
  }
  const rows = imputedRows(columns, means, order);
  const y = Array.from(order, (r) => target[r]!);

  const { rule, count } = resolveMaxFeatures(params.max_features, featureNames.length, problem);
  const used: RandomForestParams = { ...params, max_features: rule, seed };
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

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

function isNumberArray(v: unknown): v is number[] {
  return Array.isArray(v) && v.every((s) => typeof s === "number");
}

async function loadForest(
  ctx: ComponentContext<RandomForestTrainerConfig>,
  dir: string,
): Promise<RandomForestModel> {
  const file = join(dir, MODEL_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException)?.code;
    throw new StoreError({
      message:
        code === "ENOENT"
          ? `no ${MODEL_FILE} in ${dir}: it is not a model saved by ${RANDOM_FOREST_TRAINER_TYPE}`
          : `cannot read ${file}: ${(cause as Error)?.message ?? String(cause)}`,
      path: file,
      cause,
      code: code === "ENOENT" ? "model_not_found" : "store_error",
    });
  }
  const corrupt = (why: string, cause?: unknown): never => {
    throw new StoreError({
      message: `${file} is not a valid ${RANDOM_FOREST_TRAINER_TYPE} model: ${why}`,
      path: file,
      cause,
      code: "model_invalid",
    });
  };
  let data: Partial<RandomForestModelFile>;
  try {
    data = JSON.parse(text) as Partial<RandomForestModelFile>;
  } catch (cause) {
    return corrupt(`invalid JSON (${(cause as Error).message})`, cause);
  }
  if (typeof data !== "object" || data === null || data.format !== MODEL_FORMAT)
    return corrupt(`"format" is not "${MODEL_FORMAT}"`);
  if (typeof data.format_version !== "number" || data.format_version > MODEL_FORMAT_VERSION) {
    throw new StoreError({
      message: `${file} has format version ${String(data.format_version)}, this @lolpop/random-forest reads up to ${MODEL_FORMAT_VERSION}: upgrade @lolpop/random-forest`,
      path: file,
      code: "model_format_unsupported",
    });
  }
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
    params: { ...DEFAULT_TRAINING_PARAMS, seed: DEFAULT_SEED, ...data.params } as RandomForestParams,
    feature_names: names,
    classes: problem === "classification" ? data.classes : undefined,
    impute_means: data.impute_means,
    importance,
    training_rows: typeof data.training_rows === "number" ? data.training_rows : 0,
    libraryVersion: data.library.version,
  });
}

/** `model_trainer` RandomForestModelTrainer: random forests (ml-random-forest) for classification and regression. */
export const randomForestModelTrainer = defineComponent<"model_trainer", RandomForestTrainerConfig>({
  kind: "model_trainer",
  type: RANDOM_FOREST_TRAINER_TYPE,
  description: "Random forests for classification and regression (ml-random-forest, pure JS; for small data)",
  configSchema: randomForestConfigSchema as unknown as Record<string, unknown>,
  create: (ctx): ModelTrainer => {
    // Fail on bad training_params when the component is created, not at the first fit.
    resolveTrainingParams(ctx.config.training_params, undefined, ctx.path);
    return {
      fit: (input) => fitForest(ctx, input),
      load: (dir) => loadForest(ctx, dir),
    };
  },
});
