/**
 * TfjsModelTrainer's configuration: the config type, defaults, the JSON Schema, and the merge and
 * validation of training parameters (config, then a tuner's params).
 */
import {
  type ConfigIssue,
  checkClassWeight,
  mergeTrainingParams,
  type TrainingParamsSpec,
} from "@lolpop/core";
import { TFJS_TRAINER_TYPE, type TfjsTrainingParams } from "./tfjs-model.js";
import type { ProgressMode } from "./tfjs-progress.js";
import type { BackendChoice } from "./tfjs-runtime.js";

/** `training_params` as written in a config or passed by a tuner: every key optional, nested defaults filled in. */
export type TfjsTrainingParamsInput = Partial<
  Omit<TfjsTrainingParams, "layers" | "early_stopping"> & {
    layers: Array<{ units?: number; activation?: (typeof ACTIVATIONS)[number]; dropout?: number }>;
    early_stopping: false | Partial<TfjsTrainingParams["early_stopping"] & object>;
  }
>;

/** The component's config. */
export interface TfjsTrainerConfig {
  /** Network and training parameters (see {@link DEFAULT_TRAINING_PARAMS}). */
  training_params?: TfjsTrainingParamsInput;
  /** TensorFlow.js backend; default `auto`. */
  backend?: BackendChoice;
  /** Seed; default 42 (a workflow's or tuner's seed takes precedence). */
  seed?: number;
  /** Progress display; default `auto`. */
  progress?: ProgressMode;
}

/** Activation functions a hidden layer may use (available on every backend). */
export const ACTIVATIONS = [
  "relu",
  "elu",
  "selu",
  "relu6",
  "tanh",
  "sigmoid",
  "softplus",
  "softsign",
  "swish",
  "mish",
  "gelu",
  "linear",
] as const;

/** Optimizers (TensorFlow.js `tf.train.*`). */
export const OPTIMIZERS = ["adam", "sgd", "rmsprop", "adagrad", "adamax", "adadelta"] as const;

/** Default early stopping. */
export const DEFAULT_EARLY_STOPPING = Object.freeze({
  patience: 10,
  min_delta: 0,
  restore_best_weights: true,
});

/** Defaults of `training_params`. */
export const DEFAULT_TRAINING_PARAMS: Readonly<TfjsTrainingParams> = Object.freeze({
  layers: [
    { units: 64, activation: "relu", dropout: 0 },
    { units: 32, activation: "relu", dropout: 0 },
  ],
  optimizer: "adam",
  learning_rate: 0.001,
  epochs: 100,
  batch_size: 32,
  early_stopping: { ...DEFAULT_EARLY_STOPPING },
  class_weight: null,
  standardize_target: true,
});

/** Default seed. */
export const DEFAULT_SEED = 42;

const layerSchema = {
  type: "object",
  additionalProperties: false,
  description: "One hidden (dense) layer.",
  properties: {
    units: { type: "integer", minimum: 1, default: 64, description: "Number of units (neurons)." },
    activation: {
      enum: [...ACTIVATIONS],
      default: "relu",
      description: "Activation function of the layer.",
    },
    dropout: {
      type: "number",
      minimum: 0,
      exclusiveMaximum: 1,
      default: 0,
      description: "Share of this layer's outputs dropped at random while training (0 = no dropout).",
    },
  },
} as const;

const earlyStoppingSchema = {
  type: "object",
  additionalProperties: false,
  description: "Early stopping on the validation loss.",
  properties: {
    patience: {
      type: "integer",
      minimum: 1,
      default: DEFAULT_EARLY_STOPPING.patience,
      description: "Epochs without an improvement of at least min_delta before training stops.",
    },
    min_delta: {
      type: "number",
      minimum: 0,
      default: DEFAULT_EARLY_STOPPING.min_delta,
      description: "Smallest decrease of the validation loss that counts as an improvement.",
    },
    restore_best_weights: {
      type: "boolean",
      default: DEFAULT_EARLY_STOPPING.restore_best_weights,
      description: "When training ends, go back to the weights of the epoch with the lowest validation loss.",
    },
  },
} as const;

/** JSON Schema of the component's config. */
export const tfjsConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    training_params: {
      type: "object",
      additionalProperties: false,
      default: {},
      description:
        "Network and training parameters. A hyperparameter tuner's params (FitInput.params) override these key by key.",
      properties: {
        layers: {
          type: "array",
          items: layerSchema,
          default: DEFAULT_TRAINING_PARAMS.layers,
          description:
            "Hidden layers, input side first. The output layer is added for you: 1 sigmoid unit (binary), one softmax unit per class (multiclass, one-hot targets) or 1 linear unit (regression). [] gives a linear/logistic model.",
        },
        optimizer: {
          enum: [...OPTIMIZERS],
          default: DEFAULT_TRAINING_PARAMS.optimizer,
          description: "Optimizer (tf.train.*).",
        },
        learning_rate: {
          type: "number",
          exclusiveMinimum: 0,
          default: DEFAULT_TRAINING_PARAMS.learning_rate,
          description: "Learning rate of the optimizer.",
        },
        epochs: {
          type: "integer",
          minimum: 1,
          default: DEFAULT_TRAINING_PARAMS.epochs,
          description: "Maximum number of passes over the training rows (early stopping may end sooner).",
        },
        batch_size: {
          type: "integer",
          minimum: 1,
          default: DEFAULT_TRAINING_PARAMS.batch_size,
          description: "Rows per gradient step.",
        },
        early_stopping: {
          anyOf: [{ const: false }, earlyStoppingSchema],
          default: { ...DEFAULT_EARLY_STOPPING },
          description:
            "Stop when the validation loss has not improved for `patience` epochs (needs the workflow's valid split), or false to always train `epochs` epochs. Missing keys take their defaults (patience 10, min_delta 0, restore_best_weights true).",
        },
        class_weight: {
          anyOf: [
            { type: "null" },
            { const: "balanced" },
            { type: "object", additionalProperties: { type: "number", exclusiveMinimum: 0 } },
          ],
          default: null,
          description:
            "Classification only: weight of each class in the training loss. null = equal, 'balanced' = n_rows / (n_classes * rows_of_class), or {label: weight} (labels not named get 1).",
        },
        standardize_target: {
          type: "boolean",
          default: DEFAULT_TRAINING_PARAMS.standardize_target,
          description:
            "Regression only: train on the target scaled to mean 0 and standard deviation 1 (learned on the training rows, stored with the model and undone at predict).",
        },
      },
    },
    backend: {
      enum: ["auto", "tensorflow", "wasm", "cpu"],
      default: "auto",
      description:
        "TensorFlow.js backend: tensorflow (@tensorflow/tfjs-node, native), wasm, cpu (pure JS), or auto = tensorflow when @tensorflow/tfjs-node is installed and loads, else wasm, else cpu. The choice is logged. Training on a configured backend that is not usable is an error; loading a saved model falls back to the best available backend with a warning (predictions agree within float32 rounding).",
    },
    seed: {
      type: "integer",
      default: DEFAULT_SEED,
      description:
        "Seed of the weight initialization, the batch order and the dropout masks. A seed given by the workflow (FitInput.seed) or a tuner (params.seed) takes precedence. Same seed, data and backend give the same network.",
    },
    progress: {
      enum: ["auto", "bar", "log", "none"],
      default: "auto",
      description:
        "Training progress: bar (one redrawn line on stderr), log (one log line per epoch with its metrics), none, or auto = bar on a terminal, else log.",
    },
  },
} as const;

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Checks one training parameter: a message for the key itself, or issues at deeper paths. */
function checkParam(
  key: keyof TfjsTrainingParams,
  v: unknown,
  at: string,
  issues: ConfigIssue[],
): string | undefined {
  const got = JSON.stringify(v);
  const isInt = typeof v === "number" && Number.isSafeInteger(v);
  const bad = (path: string, message: string) => issues.push({ code: "invalid_value", path, message });
  switch (key) {
    case "layers": {
      if (!Array.isArray(v)) return `layers must be a list of {units, activation, dropout}, got ${got}`;
      for (const [i, layer] of v.entries()) {
        const p = `${at}.${i}`;
        if (!isPlainObject(layer)) {
          bad(
            at,
            `layer ${i} must be an object like {units: 64, activation: relu}, got ${JSON.stringify(layer)}`,
          );
          continue;
        }
        for (const k of Object.keys(layer))
          if (!["units", "activation", "dropout"].includes(k))
            issues.push({
              code: "unknown_key",
              path: `${p}.${k}`,
              message: `unknown layer key "${k}" (known: units, activation, dropout)`,
            });
        const { units, activation, dropout } = withLayerDefaults(layer);
        if (!(typeof units === "number" && Number.isSafeInteger(units) && units >= 1))
          bad(`${p}.units`, `units must be an integer >= 1, got ${JSON.stringify(units)}`);
        if (!(ACTIVATIONS as readonly unknown[]).includes(activation))
          bad(
            `${p}.activation`,
            `activation must be one of ${ACTIVATIONS.join(", ")}, got ${JSON.stringify(activation)}`,
          );
        if (!(typeof dropout === "number" && dropout >= 0 && dropout < 1))
          bad(`${p}.dropout`, `dropout must be a number in [0, 1), got ${JSON.stringify(dropout)}`);
      }
      return undefined;
    }
    case "optimizer":
      return (OPTIMIZERS as readonly unknown[]).includes(v)
        ? undefined
        : `optimizer must be one of ${OPTIMIZERS.join(", ")}, got ${got}`;
    case "learning_rate":
      return typeof v === "number" && v > 0 && Number.isFinite(v)
        ? undefined
        : `learning_rate must be a number > 0, got ${got}`;
    case "epochs":
      return isInt && (v as number) >= 1 ? undefined : `epochs must be an integer >= 1, got ${got}`;
    case "batch_size":
      return isInt && (v as number) >= 1 ? undefined : `batch_size must be an integer >= 1, got ${got}`;
    case "early_stopping": {
      if (v === false) return undefined;
      if (!isPlainObject(v))
        return `early_stopping must be false or {patience, min_delta, restore_best_weights}, got ${got}`;
      for (const k of Object.keys(v))
        if (!(k in DEFAULT_EARLY_STOPPING))
          issues.push({
            code: "unknown_key",
            path: `${at}.${k}`,
            message: `unknown early_stopping key "${k}" (known: patience, min_delta, restore_best_weights)`,
          });
      const es = { ...DEFAULT_EARLY_STOPPING, ...v } as Record<string, unknown>;
      if (!(typeof es.patience === "number" && Number.isSafeInteger(es.patience) && es.patience >= 1))
        bad(`${at}.patience`, `patience must be an integer >= 1, got ${JSON.stringify(es.patience)}`);
      if (!(typeof es.min_delta === "number" && es.min_delta >= 0))
        bad(`${at}.min_delta`, `min_delta must be a number >= 0, got ${JSON.stringify(es.min_delta)}`);
      if (typeof es.restore_best_weights !== "boolean")
        bad(
          `${at}.restore_best_weights`,
          `restore_best_weights must be true or false, got ${JSON.stringify(es.restore_best_weights)}`,
        );
      return undefined;
    }
    case "class_weight":
      checkClassWeight(v, at, issues);
      return undefined;
    case "standardize_target":
      return typeof v === "boolean" ? undefined : `standardize_target must be true or false, got ${got}`;
  }
}

/** A layer with the defaults of the keys it leaves out (64 units, relu, no dropout). */
function withLayerDefaults(layer: Record<string, unknown>): {
  units: unknown;
  activation: unknown;
  dropout: unknown;
} {
  return { units: layer.units ?? 64, activation: layer.activation ?? "relu", dropout: layer.dropout ?? 0 };
}

/** How `training_params` and a tuner's `params` are merged and checked (see `mergeTrainingParams`). */
const PARAMS_SPEC: TrainingParamsSpec<TfjsTrainingParams> = {
  trainer: TFJS_TRAINER_TYPE,
  defaults: DEFAULT_TRAINING_PARAMS,
  check: checkParam,
};

/**
 * Validates and merges training params: defaults, then config, then overrides (a tuner's params),
 * with the defaults of nested keys filled in (layer keys, early_stopping keys).
 * Every problem is reported at once, with its path.
 * @throws ConfigError
 */
export function resolveTrainingParams(
  config: Partial<Record<string, unknown>> | undefined,
  overrides: Record<string, unknown> | undefined,
  path = TFJS_TRAINER_TYPE,
): { params: TfjsTrainingParams; seed?: number } {
  const { params, seed } = mergeTrainingParams(
    PARAMS_SPEC,
    config as Record<string, unknown> | undefined,
    overrides,
    path,
  );
  params.layers = params.layers.map((l) =>
    withLayerDefaults(l as unknown as Record<string, unknown>),
  ) as TfjsTrainingParams["layers"];
  if (params.early_stopping !== false)
    params.early_stopping = { ...DEFAULT_EARLY_STOPPING, ...params.early_stopping };
  return { params, seed };
}
