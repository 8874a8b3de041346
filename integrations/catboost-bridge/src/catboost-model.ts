/**
 * CatBoostModel: a fitted CatBoost model. Predictions come from the native TypeScript scorer when
 * the model allows it (numeric features only), else from CatBoost in the Python worker, which
 * loads the model's `.cbm` when it does not hold the model already.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  type ClassificationPredictions,
  checkPredictFeatures,
  classificationPredictions,
  DataError,
  type Logger,
  LolpopError,
  type OnnxExportOptions,
  type OnnxGraphPiece,
  type ProblemType,
  type RegressionPredictions,
  regressionPredictions,
  StoreError,
  type Table,
  type TrainedModel,
  writeFileAtomic,
  writeJsonAtomic,
} from "@lolpop/core";
import { encodeTable, PythonCallError, type PythonWorker } from "@lolpop/python-bridge";
import {
  type CatBoostJsonModel,
  compileCatBoostJson,
  type NativeScorer,
  type OutputTransform,
  outputTransformFor,
  transformRaw,
} from "./catboost-json-scorer.js";
import { CATBOOST_TRAINER_TYPE } from "./catboost-params.js";
import { rawOnWorkers, scoringThreads } from "./catboost-scoring-pool.js";

/** CatBoost's binary model file (full fidelity; what Python loads). */
export const CBM_FILE = "model.cbm";
/** CatBoost's JSON export (what the native scorer reads). */
export const JSON_FILE = "model.json";
/** lolpop's metadata next to them. */
export const META_FILE = "lolpop-catboost.json";
/** `format` of the metadata file. */
export const MODEL_FORMAT = "lolpop.catboost.model";
/** Version of the metadata layout written (and the newest read). */
export const MODEL_FORMAT_VERSION = 1;
/** The category a missing categorical value becomes (CatBoost accepts no missing categories). */
export const MISSING_CATEGORY = "__missing__";

/** What `lolpop-catboost.json` holds. */
export interface CatBoostModelMeta {
  format: typeof MODEL_FORMAT;
  format_version: number;
  trainer: string;
  /** CatBoost version that trained the model. */
  catboost_version: string;
  problem_type: ProblemType;
  /** Parameters used: common ones (CatBoost's choices filled in), pass-through ones, and `seed`. */
  params: Record<string, unknown>;
  /** Feature columns in training order. */
  feature_names: string[];
  /** Feature columns passed to CatBoost as categorical features. */
  cat_features: string[];
  /** Class labels (the model's classes are their indexes). */
  classes?: string[];
  /** CatBoost's loss function, e.g. `MultiClass`. */
  loss_function: string;
  /** PredictionValuesChange importance by feature name, as fractions summing to 1. */
  feature_importance: Record<string, number>;
  /** Trees in the model (fewer than `iterations` after early stopping with use_best_model). */
  tree_count: number;
  /** Best iteration on the valid split (0-based), when there was one. */
  best_iteration: number | null;
  /** CatBoost's `get_best_score()`: metric values on `learn` and `validation`. */
  best_score: Record<string, Record<string, number | null>>;
  /** Rows the model was trained on. */
  training_rows: number;
  /** Seconds CatBoost spent in `fit` (inside Python). */
  fit_seconds: number;
  missing_category: string;
  /** Whether the JSON export can be scored natively, and why not. */
  native: { supported: boolean; reason?: string };
}

/** How predictions are computed. */
export type ScoringEngine = "native" | "python";

/** What a model needs from its trainer to reach Python. */
export interface ModelRuntime {
  /** The worker (created on demand; starting it is deferred to the first call). */
  worker: () => PythonWorker;
  logger: Logger;
  /** Path used in messages and logs, e.g. `train.model_trainer`. */
  path: string;
  /** Timeout of each Python call, if any. */
  timeoutMs?: number;
  /** `thread_count` for Python predictions. */
  threadCount: number;
  /** The `native_scoring` setting. */
  nativeScoring: "auto" | "always" | "never";
}

/** Where the model's CatBoost files are: in memory after a fit, on disk after a load. */
export type ModelFiles = { cbm: Uint8Array; json: Uint8Array } | { dir: string };

function quote(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(", ");
}

/** A fitted CatBoost model. */
export class CatBoostModel implements TrainedModel {
  readonly trainer = CATBOOST_TRAINER_TYPE;
  readonly problem_type: ProblemType;
  readonly params: Record<string, unknown>;
  readonly feature_names: string[];
  readonly classes?: string[];
  /** Features passed to CatBoost as categorical. */
  readonly cat_features: readonly string[];
  /** How `predict` computes by default: `native` (TypeScript) or `python` (CatBoost). */
  readonly scoring: ScoringEngine;
  /** Why `scoring` is what it is. */
  readonly scoring_reason: string;
  /** The metadata saved with the model. */
  readonly meta: Readonly<CatBoostModelMeta>;
  readonly #files: ModelFiles;
  readonly #scorer: NativeScorer | undefined;
  readonly #transform: OutputTransform | undefined;
  readonly #runtime: ModelRuntime;
  readonly #modelId: string;
  /** Worker generation that holds this model (fit puts it there). */
  #loadedIn: { worker: PythonWorker; generation: number } | undefined;

  /** @internal Built by the trainer's `fit` and `load`. */
  constructor(
    meta: CatBoostModelMeta,
    files: ModelFiles,
    modelJson: CatBoostJsonModel | undefined,
    runtime: ModelRuntime,
    fittedIn?: { worker: PythonWorker; generation: number; modelId: string },
  ) {
    this.meta = meta;
    this.problem_type = meta.problem_type;
    this.params = { ...meta.params };
    this.feature_names = [...meta.feature_names];
    if (meta.classes) this.classes = [...meta.classes];
    this.cat_features = Object.freeze([...meta.cat_features]);
    this.#files = files;
    this.#runtime = runtime;
    this.#modelId = fittedIn?.modelId ?? randomUUID();
    if (fittedIn) {
      this.#loadedIn = { worker: fittedIn.worker, generation: fittedIn.generation };
    }
    this.#transform = outputTransformFor(meta.loss_function, meta.problem_type);
    let reason: string;
    let scorer: NativeScorer | undefined;
    if (runtime.nativeScoring === "never") reason = "native_scoring is never";
    else if (this.cat_features.length)
      reason = `the model has categorical features (${quote(this.cat_features)}), encoded by CatBoost with target statistics that the native scorer does not reimplement`;
    else if (!this.#transform)
      reason = `the loss function ${meta.loss_function} has no native output transform`;
    else if (!modelJson) reason = "the JSON export is missing";
    else {
      const compiled = compileCatBoostJson(modelJson);
      if (compiled.ok) {
        scorer = compiled.scorer;
        reason = `numeric features only, ${scorer.treeCount} ${scorer.treeKind} trees; no Python needed to predict`;
      } else reason = compiled.reason;
    }
    if (scorer && scorer.featureCount > this.feature_names.length) {
      reason = `the JSON export reads ${scorer.featureCount} features, the model has ${this.feature_names.length}`;
      scorer = undefined;
    }
    if (!scorer && runtime.nativeScoring === "always")
      throw new DataError({
        message: `${runtime.path}: native_scoring is "always" but this model cannot be scored natively: ${reason}. Use native_scoring: auto to fall back to CatBoost in Python.`,
        code: "native_scoring_unavailable",
      });
    this.#scorer = scorer;
    this.scoring = scorer ? "native" : "python";
    this.scoring_reason = scorer ? reason : `predictions use CatBoost in Python: ${reason}`;
    runtime.logger.info(
      scorer
        ? `${runtime.path}: predictions are computed natively in TypeScript (${reason})`
        : `${runtime.path}: ${this.scoring_reason}`,
      { scoring: this.scoring },
    );
  }

  /** Number of trees. */
  get tree_count(): number {
    return this.meta.tree_count;
  }

  #checkFeatures(X: Table): void {
    checkPredictFeatures(X, this.feature_names, CATBOOST_TRAINER_TYPE);
    const cats = new Set(this.cat_features);
    const wrong = this.feature_names.filter((n) => !cats.has(n) && X.column(n).type !== "numeric");
    if (wrong.length)
      throw new DataError({
        message: `${CATBOOST_TRAINER_TYPE} cannot predict: feature column(s) ${quote(wrong)} are categorical but were numeric in training.`,
        code: "feature_type_mismatch",
        details: { columns: wrong },
      });
  }

  /**
   * Predicts every row of `X` (same feature columns as in training, any order). Classification
   * gives class probabilities (`predict_proba`) and the most probable class; regression gives
   * CatBoost's `predict`. `options.scoring` forces an engine (`native` fails for models that need Python).
   */
  async predict(
    X: Table,
    options: { scoring?: ScoringEngine; signal?: AbortSignal } = {},
  ): Promise<ClassificationPredictions | RegressionPredictions> {
    this.#checkFeatures(X);
    const engine = options.scoring ?? this.scoring;
    const n = X.numRows;
    let out: Float64Array;
    if (engine === "native") {
      if (!this.#scorer)
        throw new DataError({
          message: `${this.#runtime.path}: this model cannot be scored natively: ${this.scoring_reason}`,
          code: "native_scoring_unavailable",
        });
      const raw = await this.#nativeRaw(X);
      out = transformRaw(raw, n, this.#scorer.dimension, this.#transform!);
    } else if (n === 0) {
      out = new Float64Array(0);
    } else {
      out = await this.#pythonPredict(X, undefined, options.signal);
    }
    return this.#predictions(out, n);
  }

  /** Raw scores (CatBoost's `RawFormulaVal`, `n × dimension`) from either engine; for checks and tools. */
  async raw_scores(X: Table, scoring: ScoringEngine = this.scoring): Promise<Float64Array> {
    this.#checkFeatures(X);
    if (scoring === "native") {
      if (!this.#scorer)
        throw new DataError({
          message: `${this.#runtime.path}: this model cannot be scored natively: ${this.scoring_reason}`,
          code: "native_scoring_unavailable",
        });
      return this.#nativeRaw(X);
    }
    return this.#pythonPredict(X, "RawFormulaVal");
  }

  /** Native raw scores: on worker threads (up to `thread_count`) for large inputs, else on this thread. */
  async #nativeRaw(X: Table): Promise<Float64Array> {
    const scorer = this.#scorer!;
    const n = X.numRows;
    const columns = this.feature_names.map((name) => X.numeric(name));
    const threads = scoringThreads(scorer, n, this.#runtime.threadCount);
    if (threads <= 1) return scorer.raw(columns, n);
    return rawOnWorkers(scorer, columns, n, threads).catch((cause) => {
      throw new LolpopError({
        message: `${this.#runtime.path}: native scoring failed on its worker threads: ${(cause as Error)?.message ?? String(cause)}. Set thread_count: 1 to score on the calling thread.`,
        code: "predict_failed",
        cause,
      });
    });
  }

  #predictions(out: Float64Array, n: number): ClassificationPredictions | RegressionPredictions {
    if (this.problem_type === "regression") return regressionPredictions(out);
    const classes = this.classes!;
    const k = classes.length;
    if (out.length !== n * k)
      throw new DataError({
        message: `${this.#runtime.path}: CatBoost returned ${out.length / Math.max(n, 1)} probabilities per row for ${k} classes`,
        code: "model_invalid",
      });
    return classificationPredictions(classes, out, n);
  }

  async #cbmBytes(): Promise<Uint8Array> {
    if ("cbm" in this.#files) return this.#files.cbm;
    const file = join(this.#files.dir, CBM_FILE);
    try {
      return await readFile(file);
    } catch (cause) {
      throw new StoreError({
        message: `cannot read ${file} (${(cause as Error).message}): this model needs CatBoost in Python to predict, and its .cbm file is gone`,
        path: file,
        cause,
      });
    }
  }

  /** Calls a worker method on this model, loading the model into the worker first when it is not there. */
  async #callModel<T>(method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<T> {
    const worker = this.#runtime.worker();
    const callOptions = { timeoutMs: this.#runtime.timeoutMs, signal };
    const load = async () => {
      await worker.call(
        "catboost.load_model",
        { model_id: this.#modelId, cbm: await this.#cbmBytes(), problem_type: this.problem_type },
        callOptions,
      );
      this.#loadedIn = { worker, generation: worker.generation };
    };
    if (this.#loadedIn?.worker !== worker || this.#loadedIn.generation !== worker.generation) {
      await worker.start();
      if (this.#loadedIn?.worker !== worker || this.#loadedIn.generation !== worker.generation) await load();
    }
    const call = { model_id: this.#modelId, ...params };
    try {
      return await worker.call<T>(method, call, callOptions);
    } catch (e) {
      if (!(PythonCallError.isInstance(e) && e.pythonType === "UnknownModelError")) throw e;
      await load();
      return await worker.call<T>(method, call, callOptions);
    }
  }

  async #pythonPredict(X: Table, predictionType?: string, signal?: AbortSignal): Promise<Float64Array> {
    const params = {
      table: encodeTable(X, this.feature_names),
      features: this.feature_names,
      cat_features: this.cat_features,
      missing_category: this.meta.missing_category,
      problem_type: this.problem_type,
      thread_count: this.#runtime.threadCount,
      ...(predictionType ? { prediction_type: predictionType } : {}),
    };
    const result = await this.#callModel<{ values: Float64Array }>("catboost.predict", params, signal);
    return result.values;
  }

  /**
   * The model as a piece of an ONNX graph: CatBoost's own ONNX export (through the Python worker),
   * with its input renamed `features`, its probabilities exposed as a tensor (no ZipMap) and the
   * regression output flattened. Throws an OnnxExportError for categorical features (CatBoost's
   * ONNX export has none), for a model whose scale is not 1 (the export drops the scale), and for
   * losses whose output transform the export does not apply.
   */
  async to_onnx(options: OnnxExportOptions = {}): Promise<OnnxGraphPiece> {
    const { checkCatBoostOnnx, catboostOnnxPiece } = await import("./catboost-onnx.js");
    checkCatBoostOnnx(this, this.#runtime.path);
    const result = await this.#callModel<{ onnx: Uint8Array; scale: number; bias: Float64Array }>(
      "catboost.export_onnx",
      {},
      options.signal,
    );
    return catboostOnnxPiece(this, result, this.#runtime.path);
  }

  /** PredictionValuesChange importance by feature name (fractions summing to 1), computed by CatBoost at fit. */
  feature_importance(): Record<string, number> {
    return { ...this.meta.feature_importance };
  }

  /** Writes `model.cbm`, `model.json` and `lolpop-catboost.json` into `dir`, each atomically. */
  async save(dir: string): Promise<void> {
    await mkdir(dir, { recursive: true });
    let cbm: Uint8Array;
    let json: Uint8Array;
    if ("cbm" in this.#files) {
      cbm = this.#files.cbm;
      json = this.#files.json;
    } else {
      cbm = await readFile(join(this.#files.dir, CBM_FILE));
      json = await readFile(join(this.#files.dir, JSON_FILE));
    }
    await writeFileAtomic(join(dir, CBM_FILE), cbm);
    await writeFileAtomic(join(dir, JSON_FILE), json);
    await writeJsonAtomic(join(dir, META_FILE), this.meta);
  }
}
