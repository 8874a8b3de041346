/**
 * CatBoostModelTrainer's configuration: the common CatBoost parameters (validated here and by the
 * config schema), `extra_params` passed to CatBoost as they are, and the trainer's own settings.
 */
import {
  ConfigError,
  type ConfigIssue,
  type MergedTrainingParams,
  mergeTrainingParams,
  type ProblemType,
  type TrainingParamsSpec,
} from "@lolpop/core";
import { lossName, SUPPORTED_LOSSES } from "./catboost-json-scorer.js";

/** The component type name used in YAML. */
export const CATBOOST_TRAINER_TYPE = "CatBoostModelTrainer";

/** Common CatBoost parameters (`training_params`). `null` lets CatBoost choose. */
export interface CatBoostTrainingParams {
  iterations: number;
  learning_rate: number | null;
  depth: number;
  l2_leaf_reg: number;
  loss_function: string | null;
  eval_metric: string | null;
  early_stopping_rounds: number | null;
  use_best_model: boolean | null;
  border_count: number | null;
  one_hot_max_size: number | null;
  nan_mode: "Min" | "Max" | "Forbidden";
  grow_policy: "SymmetricTree" | "Depthwise" | "Lossguide";
  max_leaves: number | null;
  min_data_in_leaf: number | null;
  random_strength: number | null;
  bagging_temperature: number | null;
  subsample: number | null;
  bootstrap_type: "Bayesian" | "Bernoulli" | "MVS" | "No" | null;
  rsm: number | null;
  auto_class_weights: "Balanced" | "SqrtBalanced" | null;
  boosting_type: "Ordered" | "Plain" | null;
}

/** The component's config. */
export interface CatBoostTrainerConfig {
  training_params?: Partial<CatBoostTrainingParams>;
  extra_params?: Record<string, unknown>;
  cat_features?: string[];
  seed?: number;
  thread_count?: number;
  native_scoring?: "auto" | "always" | "never";
  python?: string | null;
  timeout_seconds?: number | null;
  verbose?: number;
}

/** Defaults of `training_params` (CatBoost's own defaults; `null` = CatBoost decides). */
export const DEFAULT_TRAINING_PARAMS: Readonly<CatBoostTrainingParams> = Object.freeze({
  iterations: 1000,
  learning_rate: null,
  depth: 6,
  l2_leaf_reg: 3,
  loss_function: null,
  eval_metric: null,
  early_stopping_rounds: null,
  use_best_model: null,
  border_count: null,
  one_hot_max_size: null,
  nan_mode: "Min",
  grow_policy: "SymmetricTree",
  max_leaves: null,
  min_data_in_leaf: null,
  random_strength: null,
  bagging_temperature: null,
  subsample: null,
  bootstrap_type: null,
  rsm: null,
  auto_class_weights: null,
  boosting_type: null,
});

/** Default seed (`random_seed`). */
export const DEFAULT_SEED = 42;

/** Parameters the trainer sets itself; giving them in `extra_params` or a tuner's params is an error. */
export const RESERVED_PARAMS = [
  "cat_features",
  "train_dir",
  "allow_writing_files",
  "class_names",
  "random_seed",
  "random_state",
  "thread_count",
  "verbose",
  "verbose_eval",
  "silent",
  "logging_level",
  "metric_period",
  "task_type",
  "devices",
  "save_snapshot",
  "snapshot_file",
] as const;

const LOSS_PATTERN = `^(${[...SUPPORTED_LOSSES.classification, ...SUPPORTED_LOSSES.regression].join("|")})(:.+)?$`;

const nullable = (schema: Record<string, unknown>) => ({ anyOf: [schema, { type: "null" }] });

/** JSON Schema of the component's config. */
export const catboostConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    training_params: {
      type: "object",
      description:
        "Common CatBoost parameters, validated. A hyperparameter tuner's params (FitInput.params) override them key by key. Other CatBoost parameters go in extra_params.",
      additionalProperties: false,
      default: {},
      properties: {
        iterations: {
          type: "integer",
          minimum: 1,
          default: DEFAULT_TRAINING_PARAMS.iterations,
          description: "Maximum number of trees.",
        },
        learning_rate: {
          ...nullable({ type: "number", exclusiveMinimum: 0 }),
          default: null,
          description: "Step size; null lets CatBoost pick one from the data size and iterations.",
        },
        depth: {
          type: "integer",
          minimum: 1,
          maximum: 16,
          default: DEFAULT_TRAINING_PARAMS.depth,
          description: "Depth of each tree (SymmetricTree and Depthwise).",
        },
        l2_leaf_reg: {
          type: "number",
          minimum: 0,
          default: DEFAULT_TRAINING_PARAMS.l2_leaf_reg,
          description: "L2 regularization of leaf values.",
        },
        loss_function: {
          ...nullable({ type: "string", pattern: LOSS_PATTERN }),
          default: null,
          description: `Loss function, optionally with parameters (e.g. Quantile:alpha=0.9). null: Logloss for two classes, MultiClass for more, RMSE for regression. Classification: ${SUPPORTED_LOSSES.classification.join(", ")}. Regression: ${SUPPORTED_LOSSES.regression.join(", ")}.`,
        },
        eval_metric: {
          ...nullable({ type: "string", minLength: 1 }),
          default: null,
          description:
            "Metric for early stopping and the best iteration on the valid split (any CatBoost metric name); null: the loss function.",
        },
        early_stopping_rounds: {
          ...nullable({ type: "integer", minimum: 1 }),
          default: null,
          description:
            "Stop when the valid split's eval_metric has not improved for this many iterations; null: train all iterations. Needs a valid split (the standard workflow passes one).",
        },
        use_best_model: {
          ...nullable({ type: "boolean" }),
          default: null,
          description:
            "Keep only the trees up to the best iteration on the valid split; null: CatBoost's default (true when there is a valid split).",
        },
        border_count: {
          ...nullable({ type: "integer", minimum: 1, maximum: 65535 }),
          default: null,
          description:
            "Number of splits considered per numeric feature; null: CatBoost's default (254 on CPU).",
        },
        one_hot_max_size: {
          ...nullable({ type: "integer", minimum: 1 }),
          default: null,
          description:
            "Categorical features with at most this many values are one-hot encoded inside CatBoost, the others use target statistics; null: CatBoost's default.",
        },
        nan_mode: {
          type: "string",
          enum: ["Min", "Max", "Forbidden"],
          default: DEFAULT_TRAINING_PARAMS.nan_mode,
          description:
            "Missing numeric values (NaN) go below every split (Min), above (Max), or are an error (Forbidden).",
        },
        grow_policy: {
          type: "string",
          enum: ["SymmetricTree", "Depthwise", "Lossguide"],
          default: DEFAULT_TRAINING_PARAMS.grow_policy,
          description:
            "Tree shape: symmetric (oblivious) trees, or depth-wise / loss-guided non-symmetric trees.",
        },
        max_leaves: {
          ...nullable({ type: "integer", minimum: 2, maximum: 65536 }),
          default: null,
          description: "Maximum leaves per tree (Lossguide only); null: CatBoost's default (31).",
        },
        min_data_in_leaf: {
          ...nullable({ type: "integer", minimum: 1 }),
          default: null,
          description:
            "Minimum training rows in a leaf (Depthwise and Lossguide only); null: CatBoost's default.",
        },
        random_strength: {
          ...nullable({ type: "number", minimum: 0 }),
          default: null,
          description: "Randomness added to split scores; null: CatBoost's default (1).",
        },
        bagging_temperature: {
          ...nullable({ type: "number", minimum: 0 }),
          default: null,
          description:
            "Bayesian bootstrap intensity (bootstrap_type Bayesian); null: CatBoost's default (1).",
        },
        subsample: {
          ...nullable({ type: "number", exclusiveMinimum: 0, maximum: 1 }),
          default: null,
          description:
            "Share of rows sampled per tree (bootstrap_type Bernoulli or MVS); null: CatBoost's default.",
        },
        bootstrap_type: {
          ...nullable({ type: "string", enum: ["Bayesian", "Bernoulli", "MVS", "No"] }),
          default: null,
          description: "Row sampling method; null: CatBoost's default.",
        },
        rsm: {
          ...nullable({ type: "number", exclusiveMinimum: 0, maximum: 1 }),
          default: null,
          description: "Share of features considered at each split; null: all features.",
        },
        auto_class_weights: {
          ...nullable({ type: "string", enum: ["Balanced", "SqrtBalanced"] }),
          default: null,
          description: "Class weights from the class frequencies (classification only); null: no weights.",
        },
        boosting_type: {
          ...nullable({ type: "string", enum: ["Ordered", "Plain"] }),
          default: null,
          description: "Ordered boosting (slower, better on small data) or plain; null: CatBoost's default.",
        },
      },
    },
    extra_params: {
      type: "object",
      additionalProperties: true,
      default: {},
      description: `Any other CatBoost parameters, passed to CatBoostClassifier / CatBoostRegressor as they are (CatBoost itself rejects unknown names). Not allowed here: ${RESERVED_PARAMS.join(", ")}.`,
    },
    cat_features: {
      type: "array",
      items: { type: "string", minLength: 1 },
      uniqueItems: true,
      default: [],
      description:
        "Numeric feature columns to treat as categorical (e.g. integer codes). Categorical (text) feature columns are always categorical features.",
    },
    seed: {
      type: "integer",
      default: DEFAULT_SEED,
      description:
        "CatBoost's random_seed. A seed given by the workflow (FitInput.seed) or a tuner (params.seed) takes precedence.",
    },
    thread_count: {
      type: "integer",
      minimum: -1,
      not: { const: 0 },
      default: -1,
      description: "Threads CatBoost uses for training and prediction; -1 = all cores.",
    },
    native_scoring: {
      type: "string",
      enum: ["auto", "always", "never"],
      default: "auto",
      description:
        "auto: score in TypeScript from the JSON export when the model allows it (no categorical features), else in Python; always: fail when a model cannot be scored natively; never: always score with CatBoost in Python.",
    },
    python: {
      ...nullable({ type: "string", minLength: 1 }),
      default: null,
      description:
        "Python interpreter (path or command). null: LOLPOP_PYTHON, then the project's .venv, then python3 on the PATH.",
    },
    timeout_seconds: {
      ...nullable({ type: "number", exclusiveMinimum: 0 }),
      default: null,
      description:
        "Time limit of each Python call (a fit or a prediction); the worker is stopped when it is exceeded. null: no limit.",
    },
    verbose: {
      type: "integer",
      minimum: 0,
      default: 0,
      description: "Write CatBoost's training log every N iterations to the debug log; 0: silent.",
    },
  },
} as const;

const PARAM_SCHEMAS = catboostConfigSchema.properties.training_params.properties as unknown as Record<
  string,
  Record<string, unknown>
>;

/** Checks one value against the small schema subset used above; returns a problem or undefined. */
function checkAgainst(schema: Record<string, unknown>, v: unknown): string | undefined {
  if (Array.isArray(schema.anyOf)) {
    if (v === null) return undefined;
    return checkAgainst(schema.anyOf[0] as Record<string, unknown>, v);
  }
  const type = schema.type;
  if (type === "integer" && !(typeof v === "number" && Number.isSafeInteger(v))) return "must be an integer";
  if (type === "number" && !(typeof v === "number" && Number.isFinite(v))) return "must be a number";
  if (type === "boolean" && typeof v !== "boolean") return "must be true or false";
  if (type === "string" && typeof v !== "string") return "must be a string";
  if (typeof v === "number") {
    if (typeof schema.minimum === "number" && v < schema.minimum) return `must be >= ${schema.minimum}`;
    if (typeof schema.maximum === "number" && v > schema.maximum) return `must be <= ${schema.maximum}`;
    if (typeof schema.exclusiveMinimum === "number" && v <= schema.exclusiveMinimum)
      return `must be > ${schema.exclusiveMinimum}`;
  }
  if (typeof v === "string") {
    if (Array.isArray(schema.enum) && !schema.enum.includes(v))
      return `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(", ")}`;
    if (typeof schema.pattern === "string" && !new RegExp(schema.pattern).test(v))
      return `is not a supported value (see the description: ${String(schema.description ?? "")})`;
    if (typeof schema.minLength === "number" && v.length < schema.minLength) return "must not be empty";
  }
  return undefined;
}

/** Resolved parameters of one fit. */
export interface ResolvedParams {
  /** Common parameters, defaults filled in. */
  params: CatBoostTrainingParams;
  /** Pass-through parameters (config `extra_params`, then a tuner's unknown keys). */
  extra: Record<string, unknown>;
  /** A seed from the tuner's params, if any. */
  seed?: number;
}

/** How `training_params` and a tuner's `params` are merged and checked (see `mergeTrainingParams`). */
const PARAMS_SPEC: TrainingParamsSpec<CatBoostTrainingParams> = {
  trainer: CATBOOST_TRAINER_TYPE,
  defaults: DEFAULT_TRAINING_PARAMS,
  check: (key, value) => {
    const problem = checkAgainst(PARAM_SCHEMAS[key]!, value);
    return problem ? `${key} ${problem}, got ${JSON.stringify(value)}` : undefined;
  },
  // A tuner may also pass any other CatBoost parameter: it goes to CatBoost as it is.
  passThrough: true,
  unknownHint: "put other CatBoost parameters in extra_params",
};

/** Why a key cannot be passed through to CatBoost, or undefined. */
function reservedProblem(key: string): string | undefined {
  if (!(RESERVED_PARAMS as readonly string[]).includes(key)) return undefined;
  const fix =
    key === "random_seed" || key === "random_state"
      ? "use seed"
      : key === "thread_count"
        ? "use the thread_count config key"
        : key === "cat_features"
          ? "use the cat_features config key"
          : key === "verbose" ||
              key === "logging_level" ||
              key === "silent" ||
              key === "metric_period" ||
              key === "verbose_eval"
            ? "use the verbose config key"
            : "it cannot be changed";
  return `${key} is set by ${CATBOOST_TRAINER_TYPE} itself (${fix})`;
}

/**
 * Merges training params: defaults, then the config's `training_params` and `extra_params`, then
 * `overrides` (a tuner's params: common keys are validated, `seed` is the seed, other keys are
 * passed through to CatBoost). Reports every problem at once.
 * @throws ConfigError naming each offending key.
 */
export function resolveParams(
  config: Pick<CatBoostTrainerConfig, "training_params" | "extra_params"> | undefined,
  overrides: Record<string, unknown> | undefined,
  path = CATBOOST_TRAINER_TYPE,
): ResolvedParams {
  const issues: ConfigIssue[] = [];
  let merged: MergedTrainingParams<CatBoostTrainingParams> | undefined;
  try {
    merged = mergeTrainingParams(
      PARAMS_SPEC,
      config?.training_params as Record<string, unknown> | undefined,
      overrides,
      path,
    );
  } catch (e) {
    if (!ConfigError.isInstance(e)) throw e;
    issues.push(...e.issues);
  }
  const extra: Record<string, unknown> = {};
  const addExtra = (at: string, key: string, value: unknown) => {
    const problem = reservedProblem(key);
    if (problem) issues.push({ code: "invalid_value", path: at, message: problem });
    else if (value !== undefined) extra[key] = value;
  };
  for (const [key, value] of Object.entries(config?.extra_params ?? {}))
    if (key in DEFAULT_TRAINING_PARAMS)
      issues.push({
        code: "invalid_value",
        path: `${path}.config.extra_params.${key}`,
        message: `${key} is a common parameter: set it in training_params, where it is validated`,
      });
    else addExtra(`${path}.config.extra_params.${key}`, key, value);
  // A tuner's keys that are neither common parameters nor the seed go to CatBoost as they are.
  for (const [key, value] of Object.entries(overrides ?? {}))
    if (!(key in DEFAULT_TRAINING_PARAMS) && key !== "seed") addExtra(`${path}.params.${key}`, key, value);
  if (issues.length || !merged) throw new ConfigError({ issues });
  return { params: merged.params, extra, ...(merged.seed !== undefined ? { seed: merged.seed } : {}) };
}

/** Checks that the loss function suits the problem type; returns a problem or undefined. */
export function lossProblem(loss: string | null, problem: ProblemType): string | undefined {
  if (loss === null) return undefined;
  const name = lossName(loss);
  // A model_trainer never fits `timeseries` (forecasters do): no loss suits it.
  const list: readonly string[] = problem === "timeseries" ? [] : SUPPORTED_LOSSES[problem];
  if (!list.includes(name))
    return `loss_function ${JSON.stringify(loss)} is not a ${problem} loss (use one of ${list.join(", ")})`;
  return undefined;
}

/** The CatBoost constructor parameters for one fit (nulls dropped: CatBoost then uses its defaults). */
export function catboostParams(
  resolved: ResolvedParams,
  options: { seed: number; threadCount: number; verbose: number; hasValid: boolean },
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(resolved.params)) if (v !== null) out[k] = v;
  if (!options.hasValid) {
    delete out.early_stopping_rounds;
    delete out.use_best_model;
  }
  Object.assign(out, resolved.extra);
  out.random_seed = options.seed;
  out.thread_count = options.threadCount;
  if (options.verbose > 0) out.verbose = options.verbose;
  else out.logging_level = "Silent";
  return out;
}
