/**
 * Config of RandomForestModelTrainer: types, defaults, JSON Schema and the merge of
 * `training_params` with a tuner's `params`.
 */
import type { ProblemType } from "@lolpop/core";
// Core's checks entry: the package's checks module imports this file (see random-forest-config-checks.ts).
import {
  ConfigError,
  type ConfigIssue,
  checkClassWeight,
  classWeightForRegression,
  DataError,
  mergeTrainingParams,
  type ScoringEngine,
  type TrainingParamsSpec,
} from "@lolpop/core/checks";

/** The component type name used in YAML. */
export const RANDOM_FOREST_TRAINER_TYPE = "RandomForestModelTrainer";

/** Engines: `histogram` (default, fast, parallel) or `ml-random-forest` (the earlier pure-JS library, small data only). */
export type RandomForestEngine = "histogram" | "ml-random-forest";
/** Engine used when the config names none. */
export const DEFAULT_ENGINE: RandomForestEngine = "histogram";
/** Every engine name. */
export const ENGINES: readonly RandomForestEngine[] = ["histogram", "ml-random-forest"];

/** `max_features` values: a fraction in (0, 1], an integer count >= 2, or a rule. */
export type MaxFeatures = number | "auto" | "sqrt" | "log2";
/** Split criterion: `auto` = `gini` for classification, `squared_error` for regression. */
export type Criterion = "auto" | "gini" | "entropy" | "squared_error";
/** Class weights: none, `balanced`, `balanced_subsample`, or a weight per class label (others weigh 1). */
export type ClassWeight = null | "balanced" | "balanced_subsample" | Record<string, number>;

/** Training parameters (the `training_params` config section, or a tuner's `params`). */
export interface RandomForestTrainingParams {
  /** Number of trees. */
  n_estimators: number;
  /** Maximum tree depth (a stump is 1); null means unlimited. */
  max_depth: number | null;
  /** Features drawn at each split (histogram) or for each tree (ml-random-forest). */
  max_features: MaxFeatures;
  /** A node with fewer rows than this becomes a leaf. */
  min_samples_split: number;
  /** Each child of a split keeps at least this many rows (histogram engine). */
  min_samples_leaf: number;
  /** Each tree fits a bootstrap sample (rows drawn with replacement) instead of all rows. */
  bootstrap: boolean;
  /** Histogram: rows drawn per tree, as a fraction of the training rows. ml-random-forest: fraction of the (shuffled) rows the forest is fitted on. */
  max_samples: number;
  /** Split criterion (histogram engine; ml-random-forest always uses gini / squared error). */
  criterion: Criterion;
  /** Class weights for classification (histogram engine). */
  class_weight: ClassWeight;
  /** Bins per feature, 2..255 (histogram engine). */
  max_bins: number;
}

/** Parameters actually used by a fitted model: training params (`max_features` and `criterion` resolved), the seed and the engine. */
export type RandomForestParams = RandomForestTrainingParams & { seed: number; engine: RandomForestEngine };

/** The component's config. */
export interface RandomForestTrainerConfig {
  /** Engine that fits new models (saved models load with the engine that made them). */
  engine?: RandomForestEngine;
  training_params?: Partial<RandomForestTrainingParams>;
  seed?: number;
  /** Worker threads for the histogram engine; null or absent = every core. */
  n_jobs?: number | null;
  /** Engine that predicts: `lolpop` (default) or `onnx` (onnxruntime-node). */
  scoring_engine?: ScoringEngine;
}

/** Defaults of `training_params`. */
export const DEFAULT_TRAINING_PARAMS: Readonly<RandomForestTrainingParams> = Object.freeze({
  n_estimators: 50,
  max_depth: 10,
  max_features: "auto",
  min_samples_split: 2,
  min_samples_leaf: 1,
  bootstrap: true,
  max_samples: 1.0,
  criterion: "auto",
  class_weight: null,
  max_bins: 255,
});

/** Default seed. */
export const DEFAULT_SEED = 42;

/** JSON Schema of the component's config. */
export const randomForestConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    engine: {
      type: "string",
      enum: [...ENGINES],
      default: DEFAULT_ENGINE,
      description:
        "Engine that fits new models. 'histogram' (default): features binned once into up to 255 " +
        "quantile bins, histogram split search, trees fitted in parallel on worker threads; for " +
        "thousands to millions of rows. 'ml-random-forest': the earlier pure-JS library, for small " +
        "data only (a few thousand rows). A saved model loads with the engine that made it.",
    },
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
            "Features considered: a fraction in (0, 1] of the feature columns (1 = all), an integer " +
            "count >= 2, 'sqrt', 'log2', or 'auto' = 'sqrt' for classification and 1.0 (all features) " +
            "for regression. At least one feature is always used. The histogram engine draws them at " +
            "every split (like scikit-learn); ml-random-forest draws them once per tree.",
        },
        min_samples_split: {
          type: "integer",
          minimum: 2,
          default: DEFAULT_TRAINING_PARAMS.min_samples_split,
          description: "A node with fewer rows than this is not split further.",
        },
        min_samples_leaf: {
          type: "integer",
          minimum: 1,
          default: DEFAULT_TRAINING_PARAMS.min_samples_leaf,
          description:
            "A split is only taken when each child keeps at least this many (distinct) rows. Histogram engine only.",
        },
        bootstrap: {
          type: "boolean",
          default: DEFAULT_TRAINING_PARAMS.bootstrap,
          description:
            "Fit each tree on rows drawn with replacement. When false, each tree gets a subsample " +
            "drawn without replacement (histogram engine, max_samples < 1) or every row.",
        },
        max_samples: {
          type: "number",
          exclusiveMinimum: 0,
          maximum: 1,
          default: DEFAULT_TRAINING_PARAMS.max_samples,
          description:
            "Histogram engine: rows drawn for each tree, as a fraction of the training rows (with " +
            "replacement when bootstrap is true, without otherwise). ml-random-forest: the rows are " +
            "shuffled with the seed and only the first round(n * max_samples) are used.",
        },
        criterion: {
          type: "string",
          enum: ["auto", "gini", "entropy", "squared_error"],
          default: DEFAULT_TRAINING_PARAMS.criterion,
          description:
            "Split criterion: 'gini' or 'entropy' for classification, 'squared_error' for regression; " +
            "'auto' picks gini or squared_error. Only the histogram engine offers 'entropy'.",
        },
        class_weight: {
          anyOf: [
            { type: "null" },
            { type: "string", enum: ["balanced", "balanced_subsample"] },
            { type: "object", additionalProperties: { type: "number", minimum: 0 } },
          ],
          default: DEFAULT_TRAINING_PARAMS.class_weight,
          description:
            "Classification only, histogram engine: null (every row weighs 1), 'balanced' (weights " +
            "inversely proportional to class frequencies), 'balanced_subsample' (the same, computed on " +
            "each tree's sample), or a mapping from class label to weight (unlisted classes weigh 1).",
        },
        max_bins: {
          type: "integer",
          minimum: 2,
          maximum: 255,
          default: DEFAULT_TRAINING_PARAMS.max_bins,
          description:
            "Histogram engine: bins per feature. A feature with at most this many distinct values gets " +
            "one bin per value (exact splits); otherwise bins hold about equal numbers of rows.",
        },
      },
    },
    seed: {
      type: "integer",
      default: DEFAULT_SEED,
      description:
        "Seed for row samples and feature draws. A seed given by the workflow (FitInput.seed) or a " +
        "tuner (params.seed) takes precedence. The histogram engine gives the same forest for a seed " +
        "whatever n_jobs is.",
    },
    n_jobs: {
      type: ["integer", "null"],
      minimum: 1,
      default: null,
      description:
        "Histogram engine: worker threads that fit trees (and predict large tables) in parallel; " +
        "null = one per core (os.availableParallelism()). Small fits run on the calling thread.",
    },
    scoring_engine: {
      type: "string",
      enum: ["lolpop", "onnx"],
      default: "lolpop",
      description:
        "Engine that predicts. 'lolpop' (default): the forest's own code. 'onnx': onnxruntime-node on the " +
        "exported forest (needs onnxruntime-node installed); same predictions (labels identical, " +
        "probabilities within 1e-5), for portability: it was measured slower than 'lolpop' on deep " +
        "forests. Saved with the model version, so predict and serving use it.",
    },
  },
} as const;

/** What {@link resolveTrainingParams} returns. */
export interface ResolvedParams {
  params: RandomForestTrainingParams;
  /** From the tuner's `params.seed`. */
  seed?: number;
  /** From the tuner's `params.engine`. */
  engine?: RandomForestEngine;
  /** From the tuner's `params.n_jobs`. */
  n_jobs?: number | null;
}

/** How `training_params` and a tuner's `params` are merged and checked (see `mergeTrainingParams`). */
const PARAMS_SPEC: TrainingParamsSpec<RandomForestTrainingParams> = {
  trainer: RANDOM_FOREST_TRAINER_TYPE,
  defaults: DEFAULT_TRAINING_PARAMS,
  check: checkParam,
  tunerKeys: {
    engine: (v) =>
      (ENGINES as readonly unknown[]).includes(v)
        ? undefined
        : `engine must be one of ${ENGINES.map((e) => `"${e}"`).join(", ")}, got ${JSON.stringify(v)}`,
    n_jobs: (v) =>
      v === null || (typeof v === "number" && Number.isSafeInteger(v) && v >= 1)
        ? undefined
        : `n_jobs must be an integer >= 1 or null (one per core), got ${JSON.stringify(v)}`,
  },
};

/**
 * Validates and merges training params: defaults, then config, then a tuner's overrides (which may
 * also carry `seed`, `engine` and `n_jobs`). Every problem is reported at once.
 */
export function resolveTrainingParams(
  config: Partial<Record<string, unknown>> | undefined,
  overrides: Record<string, unknown> | undefined,
  path = RANDOM_FOREST_TRAINER_TYPE,
): ResolvedParams {
  const { params, seed, tuner } = mergeTrainingParams(
    PARAMS_SPEC,
    config as Record<string, unknown> | undefined,
    overrides,
    path,
  );
  return { params, ...(seed !== undefined ? { seed } : {}), ...tuner };
}

function checkParam(
  key: keyof RandomForestTrainingParams,
  v: unknown,
  at: string,
  issues: ConfigIssue[],
): string | undefined {
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
    case "min_samples_leaf":
      return isInt && (v as number) >= 1 ? undefined : `min_samples_leaf must be an integer >= 1, got ${got}`;
    case "bootstrap":
      return typeof v === "boolean" ? undefined : `bootstrap must be true or false, got ${got}`;
    case "max_samples":
      return typeof v === "number" && v > 0 && v <= 1
        ? undefined
        : `max_samples must be a fraction in (0, 1], got ${got}`;
    case "criterion":
      return v === "auto" || v === "gini" || v === "entropy" || v === "squared_error"
        ? undefined
        : `criterion must be "auto", "gini", "entropy" or "squared_error", got ${got}`;
    case "class_weight":
      checkClassWeight(v, at, issues, { modes: ["balanced_subsample"], allowZero: true });
      return undefined;
    case "max_bins":
      return isInt && (v as number) >= 2 && (v as number) <= 255
        ? undefined
        : `max_bins must be an integer from 2 to 255, got ${got}`;
  }
}

/**
 * Rejects parameters the engine cannot honour (non-default values of histogram-only keys with
 * ml-random-forest, a criterion of the wrong problem type).
 */
export function checkEngineParams(
  engine: RandomForestEngine,
  params: RandomForestTrainingParams,
  problem: ProblemType | undefined,
  path = RANDOM_FOREST_TRAINER_TYPE,
): void {
  const issues: ConfigIssue[] = [];
  const at = (key: string) => `${path}.config.training_params.${key}`;
  const c = params.criterion;
  if (problem === "classification" && c === "squared_error") {
    issues.push({
      code: "invalid_value",
      path: at("criterion"),
      message: `criterion "squared_error" is for regression; use "gini", "entropy" or "auto" for classification`,
    });
  }
  if (problem === "regression" && (c === "gini" || c === "entropy")) {
    issues.push({
      code: "invalid_value",
      path: at("criterion"),
      message: `criterion "${c}" is for classification; use "squared_error" or "auto" for regression`,
    });
  }
  const classWeightIssue = classWeightForRegression(params.class_weight, problem, at("class_weight"));
  if (classWeightIssue) issues.push(classWeightIssue);
  if (engine === "ml-random-forest") {
    const only = (key: string, value: unknown, fix: string) =>
      issues.push({
        code: "invalid_value",
        path: at(key),
        message: `${key} ${JSON.stringify(value)} is only supported by engine "histogram"; ${fix}`,
      });
    if (params.min_samples_leaf !== 1)
      only("min_samples_leaf", params.min_samples_leaf, "use 1 or engine: histogram");
    if (c === "entropy") only("criterion", c, "use gini (auto) or engine: histogram");
    if (params.class_weight !== null)
      only("class_weight", params.class_weight, "use null or engine: histogram");
    if (params.max_bins !== 255)
      only("max_bins", params.max_bins, "remove it (ml-random-forest does not bin)");
  }
  if (issues.length) throw new ConfigError({ issues });
}

/** Resolves `max_features` into the number of features drawn (per split or per tree). */
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

/** `criterion` with `auto` resolved for the problem type. */
export function resolveCriterion(value: Criterion, problem: ProblemType): Exclude<Criterion, "auto"> {
  if (value !== "auto") return value;
  return problem === "classification" ? "gini" : "squared_error";
}
