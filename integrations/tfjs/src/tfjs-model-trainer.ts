/**
 * TfjsModelTrainer: dense neural networks (multi-layer perceptrons) for binary and multiclass
 * classification and regression, trained with TensorFlow.js on the `tensorflow` (tfjs-node),
 * `wasm` or `cpu` backend.
 *
 * The training loop is this package's own (mini-batches from a seeded shuffle, a seeded dropout mask
 * per batch, class weights as per-row loss weights, early stopping on the validation loss with the
 * best weights restored), so a seed gives the same network on the same backend every time. tfjs's
 * `model.fit` is not used: it shuffles with `Math.random` and its seeded dropout repeats one mask.
 */
import {
  CancelledError,
  type ComponentContext,
  ConfigError,
  checkProblemType,
  classificationTarget,
  classWeightForRegression,
  classWeights,
  columnLength,
  configIssuesOf,
  DataError,
  defineComponent,
  encodeClasses,
  type FitInput,
  LolpopError,
  type ModelTrainer,
  permutation,
  pickSeed,
  readSavedModelFile,
  regressionTarget,
} from "@lolpop/core";
import {
  DEFAULT_SEED,
  DEFAULT_TRAINING_PARAMS,
  resolveTrainingParams,
  type TfjsTrainerConfig,
  tfjsConfigSchema,
} from "./tfjs-config.js";
import { columnMeans, numericFeatures, quote, seedStreams, toMatrix } from "./tfjs-data.js";
import {
  forward,
  loadLayersModel,
  META_FILE,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  TFJS_TRAINER_TYPE,
  TfjsModel,
  type TfjsModelMeta,
  type TfjsParams,
  type TfjsTrainingParams,
  type TrainingSummary,
} from "./tfjs-model.js";
import { createNativeStep, type NativeStep, nativeStepSupport } from "./tfjs-native-step.js";
import { createProgress, type EpochMetrics, epochMetrics, formatMetrics } from "./tfjs-progress.js";
import {
  activateBackend,
  type BackendName,
  type BackendResolution,
  BUILD_COMMAND,
  BUILD_TFJS_NODE_HINT,
  beginFit,
  loadTf,
  probeBackend,
  resolveBackend,
  TFJS_VERSION,
  type Tf,
} from "./tfjs-runtime.js";
import { createTrainStep, type TrainStep } from "./tfjs-train-step.js";

// ---------------------------------------------------------------- fitting

type Tensor = import("@tensorflow/tfjs").Tensor;
type LayersModel = import("@tensorflow/tfjs").LayersModel;
type Optimizer = import("@tensorflow/tfjs").Optimizer;

const EPSILON = 1e-7;

function makeOptimizer(tf: Tf, name: TfjsTrainingParams["optimizer"], lr: number): Optimizer {
  switch (name) {
    case "adam":
      return tf.train.adam(lr);
    case "sgd":
      return tf.train.sgd(lr);
    case "rmsprop":
      return tf.train.rmsprop(lr);
    case "adagrad":
      return tf.train.adagrad(lr);
    case "adamax":
      return tf.train.adamax(lr);
    case "adadelta":
      return tf.train.adadelta(lr);
  }
}

function checkAborted(signals: Array<AbortSignal | undefined>, path: string): void {
  for (const s of signals) if (s?.aborted) throw new CancelledError({ path, reason: s.reason });
}

/** Yields to the event loop (timers, signals, abort events) during long epochs. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Prepared {
  x: Float32Array;
  /** Target rows, `k` values each (one-hot for softmax, scaled for regression). */
  y: Float32Array;
  n: number;
}

function encodeTarget(
  output: "sigmoid" | "softmax" | "linear",
  codes: Int32Array | undefined,
  values: Float64Array | undefined,
  k: number,
  scaling: { mean: number; std: number } | undefined,
): Float32Array {
  if (output === "linear") {
    const { mean, std } = scaling ?? { mean: 0, std: 1 };
    return Float32Array.from(values!, (v) => (v - mean) / std);
  }
  const n = codes!.length;
  if (output === "sigmoid") return Float32Array.from(codes!);
  const y = new Float32Array(n * k);
  for (let i = 0; i < n; i++) y[i * k + codes![i]!] = 1;
  return y;
}

/** Validation metrics from raw outputs (no class weights). */
function validationMetrics(
  output: "sigmoid" | "softmax" | "linear",
  raw: Float32Array,
  valid: Prepared,
  k: number,
  scaling: { mean: number; std: number } | undefined,
): Pick<EpochMetrics, "val_loss" | "val_accuracy" | "val_rmse"> {
  const n = valid.n;
  let loss = 0;
  if (output === "linear") {
    const std = scaling?.std ?? 1;
    for (let i = 0; i < n; i++) loss += (raw[i]! - valid.y[i]!) ** 2;
    loss /= n;
    return { val_loss: loss, val_rmse: Math.sqrt(loss) * std };
  }
  let correct = 0;
  if (output === "sigmoid") {
    for (let i = 0; i < n; i++) {
      const p = Math.min(1 - EPSILON, Math.max(EPSILON, raw[i]!));
      const t = valid.y[i]!;
      loss -= t * Math.log(p) + (1 - t) * Math.log(1 - p);
      if ((raw[i]! > 0.5 ? 1 : 0) === t) correct++;
    }
  } else {
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 0; c < k; c++) {
        if (raw[i * k + c]! > raw[i * k + best]!) best = c;
        if (valid.y[i * k + c] === 1)
          loss -= Math.log(Math.min(1 - EPSILON, Math.max(EPSILON, raw[i * k + c]!)));
      }
      if (valid.y[i * k + best] === 1) correct++;
    }
  }
  return { val_loss: loss / n, val_accuracy: correct / n };
}

/** Mutable per-component state. */
interface TrainerState {
  backend?: Promise<BackendResolution>;
}

async function componentBackend(
  ctx: ComponentContext<TfjsTrainerConfig>,
  state: TrainerState,
): Promise<BackendName> {
  state.backend ??= resolveBackend(ctx.config.backend ?? "auto", ctx.path).then((r) => {
    ctx.logger.log(r.degraded ? "warn" : "info", `${TFJS_TRAINER_TYPE}: TensorFlow.js ${r.reason}`, {
      backend: r.backend,
    });
    return r;
  });
  try {
    return (await state.backend).backend;
  } catch (e) {
    state.backend = undefined;
    throw e;
  }
}

/**
 * The backend a saved model is loaded on. The configured backend (and the one the model was
 * trained on) is a preference when loading: weights are plain float32 and predict the same on
 * every backend (within float32 rounding), so when the configured backend cannot be used here,
 * loading falls back to the best available one (as `auto` would) and says so in a warning.
 * Training on an unusable configured backend stays an error.
 */
async function loadingBackend(
  ctx: ComponentContext<TfjsTrainerConfig>,
  state: TrainerState,
  trainedOn: BackendName | undefined,
): Promise<BackendName> {
  try {
    return await componentBackend(ctx, state);
  } catch (e) {
    const choice = ctx.config.backend ?? "auto";
    if (choice === "auto" || !LolpopError.isInstance(e) || e.code !== "backend_unavailable") throw e;
    const why = (await probeBackend(choice)).reason ?? "it does not initialize";
    const r = await resolveBackend("auto", ctx.path);
    ctx.logger.warn(
      `${TFJS_TRAINER_TYPE}: backend ${choice} (configured${trainedOn === choice ? ", the model was trained on it" : ""}) is not usable here: ${why}; loading the model on ${r.backend} instead (predictions agree across backends within float32 rounding)`,
      { backend: r.backend },
    );
    return r.backend;
  }
}

function pkgInfo(): { name: string; version: string } {
  return PACKAGE;
}

let PACKAGE = { name: "@lolpop/tfjs", version: "0.0.0" };

/** @internal Set by the entry module from package.json. */
export function setPackageInfo(info: { name: string; version: string }): void {
  PACKAGE = { name: info.name, version: info.version };
}

async function fitNetwork(
  ctx: ComponentContext<TfjsTrainerConfig>,
  state: TrainerState,
  input: FitInput,
): Promise<TfjsModel> {
  const started = Date.now();
  const path = ctx.path;
  // Per-epoch metrics go to the workflow's tracker run when there is one.
  const tracker = input.run_id ? ctx.optionalComponent("metadata_tracker") : undefined;
  const signals = [input.signal, ctx.signal];
  checkAborted(signals, path);
  const problem = input.problem_type;
  checkProblemType(problem);
  const { params, seed: paramSeed } = resolveTrainingParams(ctx.config.training_params, input.params, path);
  const seed = pickSeed(paramSeed, input.seed, ctx.config.seed, DEFAULT_SEED);

  // Features.
  const X = input.X;
  const featureNames = X.columnsWithRole("feature");
  if (featureNames.length === 0)
    throw new DataError({
      message: `${TFJS_TRAINER_TYPE} needs at least one feature column, X has none`,
      code: "no_features",
    });
  const columns = numericFeatures(X, featureNames, TFJS_TRAINER_TYPE, "fit");
  const n = X.numRows;
  const d = featureNames.length;
  if (n === 0)
    throw new DataError({ message: `${TFJS_TRAINER_TYPE} cannot fit on 0 rows`, code: "empty_data" });
  if (columnLength(input.y) !== n)
    throw new DataError({
      message: `X has ${n} rows but y has ${columnLength(input.y)} values`,
      code: "length_mismatch",
    });
  const stats = columnMeans(columns);
  if (stats.missing)
    ctx.logger.warn(
      `${stats.missing} missing feature value(s) replaced by the training mean of their column (a feature_transformer with imputation does this better)`,
    );
  const unscaled = featureNames.filter((_, j) => Math.abs(stats.means[j]!) > 10 || stats.stds[j]! > 10);
  if (unscaled.length)
    ctx.logger.warn(
      `feature(s) ${quote(unscaled.slice(0, 5))}${unscaled.length > 5 ? ` and ${unscaled.length - 5} more` : ""} look unscaled (|mean| or std > 10): networks train poorly on them; use a feature_transformer with scaling: standard`,
    );

  // Target and output layer.
  let classes: string[] | undefined;
  let codes: Int32Array | undefined;
  let values: Float64Array | undefined;
  let output: "sigmoid" | "softmax" | "linear";
  let k = 1;
  let scaling: { mean: number; std: number } | undefined;
  let classWeights32: Float32Array | undefined;
  if (problem === "classification") {
    ({ classes, codes } = classificationTarget(input.y, input.classes));
    output = classes.length === 2 ? "sigmoid" : "softmax";
    k = output === "sigmoid" ? 1 : classes.length;
    const weights = classWeights(
      params.class_weight,
      classes,
      codes,
      `${path}.config.training_params.class_weight`,
    );
    classWeights32 = weights && Float32Array.from(weights);
  } else {
    const issue = classWeightForRegression(
      params.class_weight,
      problem,
      `${path}.config.training_params.class_weight`,
    );
    if (issue) throw new ConfigError({ issues: [issue] });
    values = regressionTarget(input.y);
    output = "linear";
    if (params.standardize_target) {
      let mean = 0;
      for (const v of values) mean += v;
      mean /= n;
      let sq = 0;
      for (const v of values) sq += (v - mean) ** 2;
      const std = Math.sqrt(sq / n);
      scaling = { mean, std: std > 0 ? std : 1 };
    }
  }
  const train: Prepared = {
    x: toMatrix(columns, stats.means),
    y: encodeTarget(output, codes, values, k, scaling),
    n,
  };
  const rowWeights = classWeights32 ? Float32Array.from(codes!, (c) => classWeights32![c]!) : undefined;

  // Validation split (for early stopping and the per-epoch metrics).
  let valid: Prepared | undefined;
  if (input.valid && input.valid.X.numRows > 0) {
    const vX = input.valid.X;
    const missing = featureNames.filter((f) => !vX.has(f));
    if (missing.length)
      throw new DataError({
        message: `the validation split lacks feature column(s) ${quote(missing)} that the training split has`,
        code: "feature_mismatch",
      });
    const vCols = numericFeatures(vX, featureNames, TFJS_TRAINER_TYPE, "fit");
    const vCodes = classes ? encodeClasses(input.valid.y, classes, "the validation target") : undefined;
    const vValues = classes ? undefined : regressionTarget(input.valid.y, "the validation target");
    valid = {
      x: toMatrix(vCols, stats.means),
      y: encodeTarget(output, vCodes, vValues, k, scaling),
      n: vX.numRows,
    };
  }
  const early = params.early_stopping;
  if (early && !valid)
    ctx.logger.info(`no validation split: early stopping is off, training all ${params.epochs} epochs`);

  // Backend and network.
  const backend = await componentBackend(ctx, state);
  const tf = await loadTf();
  await activateBackend(tf, backend, ctx.logger);
  const release = beginFit(backend);
  const streams = seedStreams(seed);
  let net: LayersModel | undefined;
  let optimizer: Optimizer | undefined;
  let step: TrainStep | undefined;
  let native: NativeStep | undefined;
  let best: Tensor[] | undefined;
  const progress = createProgress({
    mode: ctx.config.progress ?? "auto",
    logger: ctx.logger,
    epochs: params.epochs,
    label: path,
  });
  try {
    const seq = tf.sequential();
    net = seq;
    params.layers.forEach((layer, i) => {
      seq.add(
        tf.layers.dense({
          units: layer.units,
          activation: layer.activation as "relu",
          kernelInitializer: tf.initializers.glorotUniform({ seed: streams.init() }),
          biasInitializer: "zeros",
          name: `dense_${i + 1}`,
          ...(i === 0 ? { inputShape: [d] } : {}),
        }),
      );
    });
    seq.add(
      tf.layers.dense({
        units: k,
        activation: output,
        kernelInitializer: tf.initializers.glorotUniform({ seed: streams.init() }),
        biasInitializer: "zeros",
        name: "output",
        ...(params.layers.length === 0 ? { inputShape: [d] } : {}),
      }),
    );
    const layers = net.layers;
    const dropouts = [...params.layers.map((l) => l.dropout), 0];
    if (layers.length !== dropouts.length)
      throw new LolpopError({
        message: `internal: the network has ${layers.length} layers, expected ${dropouts.length}`,
        code: "internal_error",
      });
    // The native step (raw libtensorflow ops, tensorflow backend) where it covers the network,
    // else the generic one: both give the same weights within float32 rounding.
    const nativeSpec = {
      output,
      activations: params.layers.map((l) => l.activation),
      dropouts,
      optimizer: params.optimizer,
      learningRate: params.learning_rate,
    };
    const support = nativeStepSupport(tf, nativeSpec);
    if (support.ok) {
      native = createNativeStep(tf, net, nativeSpec);
      ctx.logger.info(`training step: native (libtensorflow ops on ${backend})`);
    } else {
      optimizer = makeOptimizer(tf, params.optimizer, params.learning_rate);
      step = createTrainStep(tf, net, output, dropouts, optimizer);
      ctx.logger.info(
        `training step: generic (TensorFlow.js ops; the native step does not cover ${support.reason})`,
      );
    }

    const bs = Math.min(params.batch_size, n);
    const batches = Math.ceil(n / bs);
    const history: EpochMetrics[] = [];
    let bestLoss = Number.POSITIVE_INFINITY;
    let bestEpoch: number | undefined;
    let wait = 0;
    let stoppedEarly = false;
    let lastYield = Date.now();
    for (let epoch = 1; epoch <= params.epochs; epoch++) {
      checkAborted(signals, path);
      const epochStart = Date.now();
      const order = permutation(n, streams.order);
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        const s = b * bs;
        const m = Math.min(bs, n - s);
        const xb = new Float32Array(m * d);
        const yb = new Float32Array(m * k);
        const wb = rowWeights ? new Float32Array(m) : undefined;
        for (let r = 0; r < m; r++) {
          const row = order[s + r]!;
          xb.set(train.x.subarray(row * d, row * d + d), r * d);
          yb.set(train.y.subarray(row * k, row * k + k), r * k);
          if (wb) wb[r] = rowWeights![row]!;
        }
        let c: number;
        if (native) c = native.run(xb, yb, wb, m);
        else {
          const cost = tf.tidy(() =>
            step!.run(
              tf.tensor2d(xb, [m, d], "float32"),
              tf.tensor2d(yb, [m, k], "float32"),
              wb ? tf.tensor1d(wb, "float32") : undefined,
              streams.dropout,
            ),
          );
          c = (await cost.data())[0]!;
          cost.dispose();
        }
        if (!Number.isFinite(c)) {
          throw new DataError({
            message: `training diverged at epoch ${epoch}, batch ${b + 1}: the loss is ${c}. Lower learning_rate, scale the features (feature_transformer scaling: standard)${output === "linear" && !params.standardize_target ? ", or set standardize_target: true" : ""}.`,
            code: "training_diverged",
          });
        }
        lossSum += c * m;
        progress.batch(epoch, b + 1, batches, lossSum / (s + m));
        if (Date.now() - lastYield > 50) {
          await yieldToEventLoop();
          lastYield = Date.now();
          checkAborted(signals, path);
        }
      }
      native?.sync();
      const metrics: EpochMetrics = { epoch, loss: lossSum / n, ms: 0 };
      if (valid)
        Object.assign(
          metrics,
          validationMetrics(output, forward(tf, net, valid.x, valid.n, d), valid, k, scaling),
        );
      metrics.ms = Date.now() - epochStart;
      history.push(metrics);
      progress.epoch(metrics);
      if (tracker && input.run_id)
        await tracker.log_metrics(input.run_id, epochMetrics(metrics), { step: epoch });
      if (valid && metrics.val_loss !== undefined) {
        const minDelta = early ? early.min_delta : 0;
        if (metrics.val_loss < bestLoss - minDelta) {
          bestLoss = metrics.val_loss;
          bestEpoch = epoch;
          wait = 0;
          if (early !== false && early.restore_best_weights) {
            for (const t of best ?? []) t.dispose();
            best = net.getWeights().map((w) => tf.keep(w.clone()));
          }
        } else if (early) {
          wait++;
          if (wait >= early.patience) {
            stoppedEarly = epoch < params.epochs;
            break;
          }
        }
      }
    }
    let restored = false;
    if (best && bestEpoch !== undefined && bestEpoch !== history.length) {
      net.setWeights(best);
      restored = true;
    }
    const summary: TrainingSummary = {
      rows: n,
      epochs_trained: history.length,
      ...(bestEpoch !== undefined ? { best_epoch: bestEpoch } : {}),
      stopped_early: stoppedEarly,
      restored_best_weights: restored,
      backend,
      ms: Date.now() - started,
      history,
    };
    const last = history[history.length - 1]!;
    progress.done(
      `${TFJS_TRAINER_TYPE}: ${summary.epochs_trained} epoch(s) on ${backend} in ${(summary.ms / 1000).toFixed(1)} s` +
        `${stoppedEarly ? ` (early stop)` : ""}${bestEpoch !== undefined ? `, best epoch ${bestEpoch}${restored ? " (weights restored)" : ""}` : ""}: ${formatMetrics(bestEpoch !== undefined ? history[bestEpoch - 1]! : last)}`,
    );
    ctx.lineage.recordSeed(path, seed);
    // Per-epoch metrics also go to the lineage (saved with the workflow run) and into the saved
    // model's metadata.
    ctx.lineage.record(`tfjs:${path}`, {
      backend,
      epochs_trained: summary.epochs_trained,
      best_epoch: summary.best_epoch,
      stopped_early: stoppedEarly,
      history,
    });
    const pkg = pkgInfo();
    const meta: TfjsModelMeta = {
      format: MODEL_FORMAT,
      format_version: MODEL_FORMAT_VERSION,
      trainer: TFJS_TRAINER_TYPE,
      created_by: { package: pkg.name, version: pkg.version, tfjs: TFJS_VERSION },
      problem_type: problem,
      output,
      params: { ...params, seed } as TfjsParams,
      feature_names: featureNames,
      ...(classes ? { classes } : {}),
      impute_means: stats.means,
      ...(scaling ? { target_scaling: scaling } : {}),
      training: summary,
    };
    const model = new TfjsModel(tf, net, meta, backend, ctx.logger);
    net = undefined;
    return model;
  } finally {
    release();
    step?.dispose();
    native?.dispose();
    optimizer?.dispose();
    for (const t of best ?? []) t.dispose();
    net?.dispose();
  }
}

// ---------------------------------------------------------------- loading

async function loadNetwork(
  ctx: ComponentContext<TfjsTrainerConfig>,
  state: TrainerState,
  dir: string,
): Promise<TfjsModel> {
  const { data, invalid: corrupt } = await readSavedModelFile<TfjsModelMeta>(dir, {
    fileName: META_FILE,
    trainer: TFJS_TRAINER_TYPE,
    package: "@lolpop/tfjs",
    format: MODEL_FORMAT,
    maxVersion: MODEL_FORMAT_VERSION,
  });
  // Checked field by field below.
  const meta = data as TfjsModelMeta;
  const problem = meta.problem_type;
  if (problem !== "classification" && problem !== "regression")
    return corrupt(`unknown problem_type ${JSON.stringify(problem)}`);
  if (
    !Array.isArray(meta.feature_names) ||
    meta.feature_names.length === 0 ||
    !meta.feature_names.every((s) => typeof s === "string")
  )
    return corrupt("feature_names is missing");
  if (!Array.isArray(meta.impute_means) || meta.impute_means.length !== meta.feature_names.length)
    return corrupt("impute_means does not match feature_names");
  const expectedOutput =
    problem === "regression" ? "linear" : meta.classes?.length === 2 ? "sigmoid" : "softmax";
  if (problem === "classification" && (!Array.isArray(meta.classes) || meta.classes.length < 2))
    return corrupt("classes is missing");
  if (meta.output !== expectedOutput)
    return corrupt(`output is ${JSON.stringify(meta.output)}, expected "${expectedOutput}"`);
  const backend = await loadingBackend(ctx, state, meta.training?.backend);
  const tf = await loadTf();
  await activateBackend(tf, backend, ctx.logger);
  const net = await loadLayersModel(tf, dir);
  const inShape = net.inputs[0]?.shape;
  const outShape = net.outputs[0]?.shape;
  const k = expectedOutput === "softmax" ? meta.classes!.length : 1;
  if (inShape?.[1] !== meta.feature_names.length || outShape?.[1] !== k) {
    net.dispose();
    return corrupt(
      `the network takes ${String(inShape?.[1])} input(s) and gives ${String(outShape?.[1])} output(s), the metadata says ${meta.feature_names.length} and ${k}`,
    );
  }
  if (meta.created_by?.tfjs && meta.created_by.tfjs !== TFJS_VERSION)
    ctx.logger.warn(
      `${dir} was saved with TensorFlow.js ${meta.created_by.tfjs}, loading it with ${TFJS_VERSION}`,
    );
  const params = {
    ...structuredClone(DEFAULT_TRAINING_PARAMS),
    ...meta.params,
    seed: meta.params?.seed ?? DEFAULT_SEED,
  } as TfjsParams;
  return new TfjsModel(tf, net, { ...meta, params }, backend, ctx.logger);
}

/** `model_trainer` TfjsModelTrainer: dense neural networks on TensorFlow.js. */
export const tfjsModelTrainer = defineComponent<"model_trainer", TfjsTrainerConfig>({
  kind: "model_trainer",
  type: TFJS_TRAINER_TYPE,
  description:
    "Dense neural networks for classification and regression on TensorFlow.js (tfjs-node when installed, else wasm, else cpu)",
  configSchema: tfjsConfigSchema as unknown as Record<string, unknown>,
  uses: ["metadata_tracker"],
  // Bad training_params are config errors that validation finds (and create too, for direct use).
  checkConfig: (config, info) =>
    configIssuesOf(info.path, () => resolveTrainingParams(config.training_params, undefined, info.path)),
  // `lolpop doctor`: the configured backend is usable on this machine.
  checkEnvironment: async (config) => {
    const choice = config.backend ?? "auto";
    if (choice === "auto") {
      const r = await resolveBackend("auto", "backend");
      return r.degraded
        ? [{ level: "warn", message: `training runs on ${r.reason}`, fix: BUILD_TFJS_NODE_HINT }]
        : [];
    }
    const probe = await probeBackend(choice);
    if (probe.ok) return [];
    return [
      {
        message: `backend ${choice} (configured) is not usable: ${probe.reason}`,
        fix:
          choice === "tensorflow"
            ? `install and build @tensorflow/tfjs-node (npm install @tensorflow/tfjs-node@${TFJS_VERSION} --ignore-scripts && ${BUILD_COMMAND}), or set backend: auto (training then runs on wasm; saved models load on any backend)`
            : "reinstall @lolpop/tfjs, or set backend: auto",
      },
    ];
  },
  create: (ctx): ModelTrainer & { backend(): Promise<BackendName> } => {
    resolveTrainingParams(ctx.config.training_params, undefined, ctx.path);
    const state: TrainerState = {};
    return {
      fit: (input) => fitNetwork(ctx, state, input),
      load: (dir) => loadNetwork(ctx, state, dir),
      /** The backend this trainer uses (resolved, and logged, on first call). */
      backend: () => componentBackend(ctx, state),
    };
  },
});
