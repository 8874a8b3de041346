import { readFile } from "node:fs/promises";
import { join } from "node:path";
import {
  checkPredictFeatures,
  classificationPredictions,
  DataError,
  type Logger,
  type OnnxGraphPiece,
  type Predictions,
  type ProblemType,
  regressionPredictions,
  StoreError,
  type Table,
  type TrainedModel,
  writeFileAtomic,
} from "@lolpop/core";
import { numericFeatures, toMatrix } from "./tfjs-data.js";
import type { EpochMetrics } from "./tfjs-progress.js";
import { activateBackend, type BackendName, type Tf } from "./tfjs-runtime.js";

/** The component type name used in YAML. */
export const TFJS_TRAINER_TYPE = "TfjsModelTrainer";
/** The TensorFlow.js layers model file. */
export const MODEL_JSON_FILE = "model.json";
/** The weights file referenced by `model.json`. */
export const WEIGHTS_FILE = "weights.bin";
/** lolpop's metadata file, written last (a folder without it is not a complete model). */
export const META_FILE = "lolpop-tfjs.json";
/** `format` field of the metadata file. */
export const MODEL_FORMAT = "lolpop.tfjs.model";
/** Version of the metadata layout this code writes (and the newest it reads). */
export const MODEL_FORMAT_VERSION = 1;

/** One hidden layer. */
export interface LayerSpec {
  /** Number of units. */
  units: number;
  /** Activation function name (TensorFlow.js spelling). */
  activation: string;
  /** Dropout rate applied to this layer's output while training (0 = none). */
  dropout: number;
}

/** Early stopping on the validation loss. */
export interface EarlyStopping {
  /** Epochs without an improvement of at least `min_delta` before training stops. */
  patience: number;
  /** Smallest decrease of the validation loss that counts as an improvement. */
  min_delta: number;
  /** Restore the weights of the best epoch when training ends. */
  restore_best_weights: boolean;
}

/** Training parameters (the `training_params` config section, or a tuner's `params`). */
export interface TfjsTrainingParams {
  layers: LayerSpec[];
  optimizer: "adam" | "sgd" | "rmsprop" | "adagrad" | "adamax" | "adadelta";
  learning_rate: number;
  epochs: number;
  batch_size: number;
  early_stopping: EarlyStopping | false;
  class_weight: "balanced" | Record<string, number> | null;
  standardize_target: boolean;
}

/** Parameters actually used by a fitted model: training params and the seed. */
export type TfjsParams = TfjsTrainingParams & { seed: number };

/** How the training went. */
export interface TrainingSummary {
  /** Rows trained on. */
  rows: number;
  /** Epochs run (fewer than `epochs` when early stopping stopped training). */
  epochs_trained: number;
  /** Epoch with the lowest validation loss (when there was a validation split). */
  best_epoch?: number;
  /** Whether early stopping ended training before `epochs`. */
  stopped_early: boolean;
  /** Whether the best epoch's weights were restored. */
  restored_best_weights: boolean;
  /** Backend it was trained on. */
  backend: BackendName;
  /** Wall time of the fit in milliseconds. */
  ms: number;
  /** Metrics of every epoch. */
  history: EpochMetrics[];
}

/** What `lolpop-tfjs.json` holds. */
export interface TfjsModelMeta {
  format: typeof MODEL_FORMAT;
  format_version: number;
  trainer: string;
  /** The lolpop package and TensorFlow.js version that wrote it. */
  created_by: { package: string; version: string; tfjs: string };
  problem_type: ProblemType;
  /** `sigmoid` (binary), `softmax` (multiclass, one-hot) or `linear` (regression). */
  output: "sigmoid" | "softmax" | "linear";
  params: TfjsParams;
  feature_names: string[];
  classes?: string[];
  /** Training mean of each feature, imputed for missing values. */
  impute_means: number[];
  /** Regression target standardization: prediction = output * std + mean. */
  target_scaling?: { mean: number; std: number };
  training: TrainingSummary;
}

/** Releases the network's tensors when a model is garbage collected without `dispose()`. */
const finalizer = new FinalizationRegistry<{ dispose(): void }>((net) => {
  try {
    net.dispose();
  } catch {
    // already disposed
  }
});

type LayersModel = import("@tensorflow/tfjs").LayersModel;

/** Rows per predict batch. */
const PREDICT_BATCH = 4096;

/** Runs `net` over a row-major matrix in batches; returns the outputs row-major. */
export function forward(tf: Tf, net: LayersModel, x: Float32Array, n: number, d: number): Float32Array {
  const k = (net.outputs[0]!.shape[1] as number) ?? 1;
  const out = new Float32Array(n * k);
  for (let s = 0; s < n; s += PREDICT_BATCH) {
    const e = Math.min(n, s + PREDICT_BATCH);
    const values = tf.tidy(() => {
      const t = tf.tensor2d(x.subarray(s * d, e * d), [e - s, d], "float32");
      return (net.predict(t) as import("@tensorflow/tfjs").Tensor).dataSync();
    });
    out.set(values, s * k);
  }
  return out;
}

/** Turns raw network outputs into lolpop predictions. */
export function toPredictions(
  meta: Pick<TfjsModelMeta, "output" | "classes" | "target_scaling">,
  raw: Float32Array,
  n: number,
): Predictions {
  if (meta.output === "linear") {
    const values = new Float64Array(n);
    const { mean, std } = meta.target_scaling ?? { mean: 0, std: 1 };
    for (let i = 0; i < n; i++) values[i] = raw[i]! * std + mean;
    return regressionPredictions(values);
  }
  const classes = meta.classes!;
  const k = classes.length;
  const proba = new Float64Array(n * k);
  if (meta.output === "sigmoid") {
    for (let i = 0; i < n; i++) {
      const p = Math.min(1, Math.max(0, raw[i]!));
      proba[i * 2] = 1 - p;
      proba[i * 2 + 1] = p;
    }
  } else {
    for (let i = 0; i < n; i++) {
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.max(0, raw[i * k + c]!);
      for (let c = 0; c < k; c++) proba[i * k + c] = sum > 0 ? Math.max(0, raw[i * k + c]!) / sum : 1 / k;
    }
  }
  // The label is the most probable class: for a sigmoid, classes[1] exactly when p > 0.5.
  return classificationPredictions(classes, proba, n);
}

/** A fitted TensorFlow.js network. */
export class TfjsModel implements TrainedModel {
  readonly trainer = TFJS_TRAINER_TYPE;
  readonly problem_type: ProblemType;
  readonly params: Readonly<TfjsParams>;
  readonly feature_names: string[];
  readonly classes?: string[];
  /** The backend predictions run on. */
  readonly backend: BackendName;
  /** How training went (epochs, best epoch, per-epoch metrics). */
  readonly training: Readonly<TrainingSummary>;
  readonly #tf: Tf;
  readonly #net: LayersModel;
  readonly #meta: TfjsModelMeta;
  readonly #logger?: Logger;
  #disposed = false;

  /** @internal Built by the trainer's `fit` and `load`. */
  constructor(tf: Tf, net: LayersModel, meta: TfjsModelMeta, backend: BackendName, logger?: Logger) {
    this.#tf = tf;
    this.#net = net;
    this.#meta = meta;
    this.#logger = logger;
    this.backend = backend;
    this.problem_type = meta.problem_type;
    this.params = Object.freeze(structuredClone(meta.params));
    this.feature_names = [...meta.feature_names];
    if (meta.classes) this.classes = [...meta.classes];
    this.training = Object.freeze(structuredClone(meta.training));
    finalizer.register(this, net, this);
  }

  /** The TensorFlow.js network (e.g. to inspect layers); do not dispose it yourself. */
  get network(): LayersModel {
    this.#alive();
    return this.#net;
  }

  /** The metadata saved with the model. */
  get meta(): Readonly<TfjsModelMeta> {
    return this.#meta;
  }

  #alive(): void {
    if (this.#disposed)
      throw new DataError({
        message: `this ${TFJS_TRAINER_TYPE} model was disposed`,
        code: "model_disposed",
      });
  }

  async predict(X: Table): Promise<Predictions> {
    this.#alive();
    checkPredictFeatures(X, this.feature_names, TFJS_TRAINER_TYPE);
    const columns = numericFeatures(X, this.feature_names, TFJS_TRAINER_TYPE, "predict");
    const n = X.numRows;
    await activateBackend(this.#tf, this.backend, this.#logger);
    const raw = n
      ? forward(this.#tf, this.#net, toMatrix(columns, this.#meta.impute_means), n, columns.length)
      : new Float32Array(0);
    return toPredictions(this.#meta, raw, n);
  }

  /**
   * Writes `model.json` + `weights.bin` (a TensorFlow.js layers model) and `lolpop-tfjs.json`
   * into `dir`. Each file is written atomically; the metadata file comes last.
   */
  async save(dir: string): Promise<void> {
    this.#alive();
    await saveLayersModel(this.#tf, this.#net, dir);
    await writeFileAtomic(join(dir, META_FILE), `${JSON.stringify(this.#meta, null, 2)}\n`);
  }

  /**
   * The network as a piece of an ONNX graph, from its layer weights: imputation of the training
   * means, MatMul + Add + activation per Dense layer, the output as lolpop reads it. Throws an
   * OnnxExportError naming a layer or activation it cannot translate.
   */
  async to_onnx(): Promise<OnnxGraphPiece> {
    this.#alive();
    const { denseLayers, tfjsToOnnx } = await import("./tfjs-onnx.js");
    return tfjsToOnnx(this.#meta, denseLayers(this.#net, TFJS_TRAINER_TYPE), TFJS_TRAINER_TYPE);
  }

  /** Frees the network's tensors. The model cannot predict or save afterwards. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    finalizer.unregister(this);
    this.#net.dispose();
  }
}

/** Saves a layers model as `model.json` + `weights.bin` in `dir` (no `file://` handler needed). */
export async function saveLayersModel(tf: Tf, net: LayersModel, dir: string): Promise<void> {
  await net.save({
    save: async (artifacts) => {
      const data = artifacts.weightData;
      const joined =
        data === undefined
          ? new ArrayBuffer(0)
          : Array.isArray(data)
            ? tf.io.CompositeArrayBuffer.join(data)
            : (data as ArrayBuffer);
      await writeFileAtomic(join(dir, WEIGHTS_FILE), new Uint8Array(joined));
      const json = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
      };
      await writeFileAtomic(join(dir, MODEL_JSON_FILE), `${JSON.stringify(json)}\n`);
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          weightDataBytes: joined.byteLength,
        },
      };
    },
  });
}

/** Loads a layers model written by {@link saveLayersModel} (or tfjs-node's `file://` save). */
export async function loadLayersModel(tf: Tf, dir: string): Promise<LayersModel> {
  const file = join(dir, MODEL_JSON_FILE);
  let json: import("@tensorflow/tfjs").io.ModelJSON;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (cause) {
    throw new StoreError({
      message: `cannot read ${file}: ${(cause as Error)?.message ?? String(cause)}`,
      path: file,
      cause,
      code: "model_invalid",
    });
  }
  const handler = {
    load: () =>
      tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: import("@tensorflow/tfjs").io.WeightsManifestEntry[] = [];
        const parts: Uint8Array[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const wfile = join(dir, p);
            if (p.includes("..") || p.startsWith("/"))
              throw new StoreError({
                message: `${file} references a weights file outside ${dir}: ${p}`,
                path: file,
                code: "model_invalid",
              });
            parts.push(await readFile(wfile));
          }
        }
        // A fresh buffer of this realm (Node's Buffers may be slices of a shared pool).
        const total = parts.reduce((s, b) => s + b.byteLength, 0);
        const out = new Uint8Array(total);
        let offset = 0;
        for (const b of parts) {
          out.set(b, offset);
          offset += b.byteLength;
        }
        return [specs, out.buffer];
      }),
  };
  try {
    return await tf.loadLayersModel(handler);
  } catch (cause) {
    if (StoreError.isInstance(cause)) throw cause;
    throw new StoreError({
      message: `${dir} does not hold a loadable TensorFlow.js layers model: ${(cause as Error)?.message ?? String(cause)}`,
      path: file,
      cause,
      code: "model_invalid",
    });
  }
}
