/**
 * CatBoostModelTrainer: CatBoost (Python, through @lolpop/python-bridge) for binary and multiclass
 * classification and regression. Categorical feature columns are passed to CatBoost as categorical
 * features; the valid split is the eval set (early stopping, best iteration); the model is saved as
 * `.cbm` and `.json`; predictions of numeric-only models are computed natively in TypeScript.
 */
import { randomUUID } from "node:crypto";
import { constants } from "node:fs";
import { access, readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  CancelledError,
  type Column,
  type ComponentContext,
  ConfigError,
  checkProblemType,
  classificationTarget,
  columnLength,
  configIssuesOf,
  DataError,
  defineComponent,
  encodeClasses,
  type FitInput,
  type LabeledData,
  type ModelTrainer,
  type ProblemType,
  pickSeed,
  readSavedModelFile,
  regressionTarget,
  type Table,
} from "@lolpop/core";
import { encodeTable } from "@lolpop/python-bridge";
import type { CatBoostJsonModel } from "./catboost-json-scorer.js";
import {
  CatBoostModel,
  type CatBoostModelMeta,
  CBM_FILE,
  JSON_FILE,
  META_FILE,
  MISSING_CATEGORY,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  type ModelRuntime,
} from "./catboost-model.js";
import {
  CATBOOST_TRAINER_TYPE,
  type CatBoostTrainerConfig,
  catboostConfigSchema,
  catboostParams,
  DEFAULT_SEED,
  lossProblem,
  resolveParams,
} from "./catboost-params.js";
import { catboostWorker } from "./catboost-worker.js";

function quote(names: readonly string[]): string {
  return names.map((n) => JSON.stringify(n)).join(", ");
}

function fail(message: string, code: string, details?: Record<string, unknown>): never {
  throw new DataError({ message, code, details });
}

function runtimeOf(ctx: ComponentContext<CatBoostTrainerConfig>): ModelRuntime {
  const cfg = ctx.config;
  return {
    worker: () =>
      catboostWorker({
        python: cfg.python,
        pythonOptionName: `${ctx.path}.config.python`,
        projectRoot: ctx.project.root,
        logger: ctx.logger,
      }),
    logger: ctx.logger,
    path: ctx.path,
    timeoutMs: cfg.timeout_seconds ? cfg.timeout_seconds * 1000 : undefined,
    threadCount: cfg.thread_count ?? -1,
    nativeScoring: cfg.native_scoring ?? "auto",
  };
}

function combinedSignal(signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const list = signals.filter((s): s is AbortSignal => s !== undefined);
  return list.length > 1 ? AbortSignal.any(list) : list[0];
}

interface FitResult {
  cbm: Uint8Array;
  json: Uint8Array;
  feature_importance: Float64Array;
  tree_count: number;
  best_iteration: number | null;
  best_score: Record<string, Record<string, number | null>>;
  fit_seconds: number;
  catboost_version: string;
  used_params: Record<string, unknown>;
}

async function fitCatBoost(
  ctx: ComponentContext<CatBoostTrainerConfig>,
  input: FitInput,
): Promise<CatBoostModel> {
  const path = ctx.path;
  const signal = combinedSignal([input.signal, ctx.signal]);
  if (signal?.aborted) throw new CancelledError({ path, reason: signal.reason });
  const problem = input.problem_type;
  checkProblemType(problem);
  const resolved = resolveParams(ctx.config, input.params, path);
  const lossIssue = lossProblem(resolved.params.loss_function, problem);
  if (lossIssue)
    throw new ConfigError({
      issues: [
        {
          code: "invalid_value",
          path: `${path}.${input.params?.loss_function !== undefined ? "params" : "config.training_params"}.loss_function`,
          message: lossIssue,
        },
      ],
    });
  const seed = pickSeed(resolved.seed, input.seed, ctx.config.seed, DEFAULT_SEED);

  const X = input.X;
  const features = X.columnsWithRole("feature");
  if (features.length === 0)
    fail(`${CATBOOST_TRAINER_TYPE} needs at least one feature column, X has none`, "no_features");
  const n = X.numRows;
  if (n < 2) fail(`${CATBOOST_TRAINER_TYPE} needs at least 2 training rows, got ${n}`, "too_few_rows");
  if (columnLength(input.y) !== n)
    fail(`X has ${n} rows but y has ${columnLength(input.y)} values`, "length_mismatch");
  const declared = ctx.config.cat_features ?? [];
  const unknownCats = declared.filter((c) => !features.includes(c));
  if (unknownCats.length)
    throw new ConfigError({
      issues: [
        {
          code: "invalid_value",
          path: `${path}.config.cat_features`,
          message: `cat_features names column(s) ${quote(unknownCats)} that are not feature columns of the training data (features: ${quote(features)})`,
        },
      ],
    });
  const catFeatures = features.filter((f) => X.column(f).type === "categorical" || declared.includes(f));

  let classes: string[] | undefined;
  let y: Int32Array | Float64Array;
  let valid: { table: Table; y: Int32Array | Float64Array } | undefined;
  const encodeY = (col: Column, split: string) =>
    problem === "classification"
      ? encodeClasses(col, classes!, `the ${split} target`)
      : regressionTarget(col, `the ${split} target`);
  if (problem === "classification") {
    let codes: Int32Array;
    ({ classes, codes } = classificationTarget(input.y, input.classes, "the train target"));
    y = codes;
  } else y = encodeY(input.y, "train");
  const v: LabeledData | undefined = input.valid && input.valid.X.numRows > 0 ? input.valid : undefined;
  if (v) {
    const missing = features.filter((f) => !v.X.has(f));
    if (missing.length)
      fail(
        `the valid split lacks feature column(s) ${quote(missing)} that the training split has`,
        "feature_mismatch",
      );
    const wrong = features.filter((f) => !catFeatures.includes(f) && v.X.column(f).type !== "numeric");
    if (wrong.length)
      fail(
        `feature column(s) ${quote(wrong)} are numeric in the training split but not in the valid split`,
        "feature_type_mismatch",
      );
    if (columnLength(v.y) !== v.X.numRows)
      fail(
        `the valid split has ${v.X.numRows} rows but ${columnLength(v.y)} target values`,
        "length_mismatch",
      );
    valid = { table: v.X, y: encodeY(v.y, "valid") };
  }
  if (resolved.params.early_stopping_rounds !== null && !valid)
    ctx.logger.warn(
      `${path}: early_stopping_rounds is set but there is no valid split: all iterations are trained`,
    );

  const cfg = ctx.config;
  const cbParams = catboostParams(resolved, {
    seed,
    threadCount: cfg.thread_count ?? -1,
    verbose: cfg.verbose ?? 0,
    hasValid: valid !== undefined,
  });
  const runtime = runtimeOf(ctx);
  const worker = runtime.worker();
  const modelId = randomUUID();
  const started = performance.now();
  const result = await worker.call<FitResult>(
    "catboost.fit",
    {
      model_id: modelId,
      problem_type: problem,
      num_classes: classes?.length ?? 0,
      features,
      cat_features: catFeatures,
      missing_category: MISSING_CATEGORY,
      table: encodeTable(X, features),
      y,
      ...(valid ? { valid_table: encodeTable(valid.table, features), valid_y: valid.y } : {}),
      catboost_params: cbParams,
    },
    { timeoutMs: runtime.timeoutMs, signal },
  );
  const generation = worker.generation;
  const used = result.used_params ?? {};
  const params: Record<string, unknown> = { ...resolved.params };
  for (const [k, val] of Object.entries(used))
    if (k in params && params[k] === null && val !== null) params[k] = val;
  Object.assign(params, resolved.extra, { seed });
  const importance = Array.from(result.feature_importance);
  const total = importance.reduce((a, b) => a + b, 0);
  const fi: Record<string, number> = {};
  features.forEach((f, i) => {
    fi[f] = total > 0 ? importance[i]! / total : 0;
  });
  const meta: CatBoostModelMeta = {
    format: MODEL_FORMAT,
    format_version: MODEL_FORMAT_VERSION,
    trainer: CATBOOST_TRAINER_TYPE,
    catboost_version: result.catboost_version,
    problem_type: problem,
    params,
    feature_names: features,
    cat_features: catFeatures,
    ...(classes ? { classes } : {}),
    loss_function: String(
      used.loss_function ??
        cbParams.loss_function ??
        (problem === "regression" ? "RMSE" : classes!.length === 2 ? "Logloss" : "MultiClass"),
    ),
    feature_importance: fi,
    tree_count: result.tree_count,
    best_iteration: result.best_iteration,
    best_score: result.best_score ?? {},
    training_rows: n,
    fit_seconds: result.fit_seconds,
    missing_category: MISSING_CATEGORY,
    native: { supported: false },
  };
  let modelJson: CatBoostJsonModel | undefined;
  if (!catFeatures.length && runtime.nativeScoring !== "never")
    modelJson = JSON.parse(Buffer.from(result.json).toString("utf8")) as CatBoostJsonModel;
  const model = new CatBoostModel(meta, { cbm: result.cbm, json: result.json }, modelJson, runtime, {
    worker,
    generation,
    modelId,
  });
  meta.native =
    model.scoring === "native" ? { supported: true } : { supported: false, reason: model.scoring_reason };
  ctx.lineage.recordSeed(path, seed);
  ctx.logger.debug(
    `${path}: fitted ${result.tree_count} trees on ${n} rows x ${features.length} features${catFeatures.length ? ` (${catFeatures.length} categorical)` : ""}`,
    {
      ms: Math.round(performance.now() - started),
      catboost_fit_seconds: result.fit_seconds,
      best_iteration: result.best_iteration,
    },
  );
  return model;
}

function isStringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === "string");
}

async function loadCatBoost(
  ctx: ComponentContext<CatBoostTrainerConfig>,
  dir: string,
): Promise<CatBoostModel> {
  const { data: meta, invalid: corrupt } = await readSavedModelFile<CatBoostModelMeta>(dir, {
    fileName: META_FILE,
    trainer: CATBOOST_TRAINER_TYPE,
    package: "@lolpop/catboost-bridge",
    format: MODEL_FORMAT,
    maxVersion: MODEL_FORMAT_VERSION,
  });
  if (meta.problem_type !== "classification" && meta.problem_type !== "regression")
    return corrupt(`unknown problem_type ${JSON.stringify(meta.problem_type)}`);
  if (!isStringArray(meta.feature_names) || meta.feature_names.length === 0)
    return corrupt("feature_names is missing");
  if (!isStringArray(meta.cat_features)) return corrupt("cat_features is missing");
  if (meta.problem_type === "classification" && (!isStringArray(meta.classes) || meta.classes.length < 2))
    return corrupt("classes is missing");
  if (typeof meta.loss_function !== "string") return corrupt("loss_function is missing");
  const defaults: Omit<
    CatBoostModelMeta,
    | "format"
    | "format_version"
    | "trainer"
    | "problem_type"
    | "feature_names"
    | "cat_features"
    | "loss_function"
  > = {
    catboost_version: "unknown",
    params: {},
    feature_importance: {},
    tree_count: 0,
    best_iteration: null,
    best_score: {},
    training_rows: 0,
    fit_seconds: 0,
    missing_category: MISSING_CATEGORY,
    native: { supported: false },
  };
  const full = { ...defaults, ...meta } as CatBoostModelMeta;
  const runtime = runtimeOf(ctx);
  let modelJson: CatBoostJsonModel | undefined;
  const wantsNative = runtime.nativeScoring !== "never" && full.cat_features.length === 0;
  if (wantsNative) {
    const jsonFile = join(dir, JSON_FILE);
    try {
      modelJson = JSON.parse(await readFile(jsonFile, "utf8")) as CatBoostJsonModel;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException)?.code !== "ENOENT")
        return corrupt(`${JSON_FILE} cannot be read (${(cause as Error).message})`, cause);
      ctx.logger.warn(`${dir} has no ${JSON_FILE}: predictions need CatBoost in Python`);
    }
  }
  if (!wantsNative || !modelJson) {
    try {
      await access(join(dir, CBM_FILE), constants.R_OK);
    } catch (cause) {
      return corrupt(`${CBM_FILE} cannot be read (${(cause as Error).message})`, cause);
    }
  }
  return new CatBoostModel(full, { dir }, modelJson, runtime);
}

/**
 * Checks `training_params` / `extra_params` and, when the problem type is known, that the loss
 * function fits it. @throws ConfigError at their YAML paths.
 */
function checkTrainerConfig(config: CatBoostTrainerConfig, path: string, problemType?: ProblemType): void {
  const resolved = resolveParams(config, undefined, path);
  const issue = problemType ? lossProblem(resolved.params.loss_function, problemType) : undefined;
  if (issue)
    throw new ConfigError({
      issues: [
        { code: "invalid_value", path: `${path}.config.training_params.loss_function`, message: issue },
      ],
    });
}

/** `model_trainer` CatBoostModelTrainer: CatBoost in Python for training, native TypeScript scoring for numeric models. */
export const catboostModelTrainer = defineComponent<"model_trainer", CatBoostTrainerConfig>({
  kind: "model_trainer",
  type: CATBOOST_TRAINER_TYPE,
  description:
    "CatBoost gradient boosting (Python catboost through @lolpop/python-bridge) for classification and regression, with categorical features; numeric models predict natively in TypeScript",
  configSchema: catboostConfigSchema as unknown as Record<string, unknown>,
  // Bad training_params / extra_params and a loss of the other problem type are config errors that
  // validation finds (and create too, for direct use).
  checkConfig: (config, info) =>
    configIssuesOf(info.path, () => checkTrainerConfig(config, info.path, info.problemType)),
  create: (ctx): ModelTrainer => {
    checkTrainerConfig(ctx.config, ctx.path, ctx.problemType);
    return {
      fit: (input) => fitCatBoost(ctx, input),
      load: (dir) => loadCatBoost(ctx, dir),
    };
  },
});
