/**
 * Exporting a registered model version to ONNX: the version's inference bundle (fitted feature
 * transformer + model, as predict replays them) composed into one `model.onnx` that takes the raw
 * feature columns. What ONNX cannot express (a process data transformer, a model or transformer
 * without `to_onnx()`, a datetime column...) is refused with an {@link OnnxExportError} naming it.
 */
import { join } from "node:path";
import {
  type BundleHost,
  type ColumnSchema,
  LolpopError,
  loadInferenceBundle,
  MODEL_EXPORT_FORMATS,
  type ModelExportFormat,
  type ModelRef,
  type ModelRepository,
  parseModelRef,
  resolveModelRef,
  writeFileAtomic,
} from "@lolpop/core";
import { composeModel } from "./onnx-compose.js";
import { OnnxExportError } from "./onnx-export-error.js";
import { encodeModel, type OnnxModel } from "./onnx-model.js";

/** Export formats a model version can be written in (core's `MODEL_EXPORT_FORMATS`). */
export const EXPORT_FORMATS = MODEL_EXPORT_FORMATS;
/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = ModelExportFormat;
/** File name of the exported model, in the version's folder and in `--out`. */
export const ONNX_FILE = "model.onnx";

/** Keys the export adds to the composed model's metadata. */
export const EXPORT_METADATA_KEYS = Object.freeze({
  model_name: "lolpop.model_name",
  model_version: "lolpop.model_version",
});

/** The repository methods an export reads. */
export type ExportRepository = Pick<
  ModelRepository,
  "get_alias" | "get_model_version" | "list_versions" | "download_model"
>;

/** Options of {@link exportBundle}. */
export interface ExportBundleOptions {
  /** How the version is named in messages, e.g. `model penguins v3`. */
  label?: string;
  /** Metadata added to the file (`metadata_props`). */
  metadata?: Record<string, string>;
}

/**
 * Composes the inference bundle in `dir` (a model version's folder) into one ONNX model taking the
 * raw feature columns.
 * @throws OnnxExportError naming the piece that cannot be expressed.
 */
export async function exportBundle(
  host: BundleHost,
  dir: string,
  options: ExportBundleOptions = {},
): Promise<OnnxModel> {
  const label = options.label ?? "the model version";
  const bundle = await loadInferenceBundle(host, dir, { label });
  const { meta, model, featureTransformer } = bundle;
  if (meta.data_transformer)
    throw new OnnxExportError({
      message: `${label} replays a process data_transformer (${meta.data_transformer.type}) before its feature transformer; ONNX cannot express lolpop data transformers, so the exported model could not take the same input. Move the work into the feature transformer, or prepare the data the same way before calling the exported model and train without a process data_transformer.`,
      unsupported: `data_transformer ${meta.data_transformer.type}`,
    });
  if (typeof featureTransformer.to_onnx !== "function")
    throw new OnnxExportError({
      message: `${label}'s feature transformer ${meta.feature_transformer.type} cannot be exported to ONNX (it has no to_onnx()); use LocalFeatureTransformer to export this model`,
      unsupported: `feature_transformer ${meta.feature_transformer.type}`,
    });
  if (typeof model.to_onnx !== "function")
    throw new OnnxExportError({
      message: `${label}'s model (${meta.trainer.type}) cannot be exported to ONNX (it has no to_onnx()); the random forest, TensorFlow.js and CatBoost trainers can`,
      unsupported: `model_trainer ${meta.trainer.type}`,
    });
  const schema: ColumnSchema[] = meta.features
    .filter((c) => c.type !== undefined)
    .map((c) => ({
      name: c.name,
      type: c.type!,
      role: c.role,
      ...(c.logical ? { logical: c.logical } : {}),
    }));
  return composeModel({
    problem_type: meta.problem_type,
    model: await model.to_onnx(),
    features: await featureTransformer.to_onnx(),
    feature_names: model.feature_names,
    ...(model.classes ? { classes: model.classes } : {}),
    input_schema: schema,
    trainer: meta.trainer.type,
    name: "lolpop",
    doc_string: `${label}, exported by lolpop`,
    ...(options.metadata ? { metadata: options.metadata } : {}),
  });
}

/** Options of {@link exportModelVersion}. */
export interface ExportModelVersionOptions {
  repository: ExportRepository;
  /** Creates the saved components (a component context, or the CLI's host). */
  host: BundleHost;
  /** The version: `name@alias`, `name/version` or a bare name (its champion), as text or parsed (core `parseModelRef`). */
  ref: string | ModelRef;
  /** Default `onnx`. */
  format?: ExportFormat;
}

/** What {@link exportModelVersion} returns. */
export interface ExportedModel {
  name: string;
  version: number;
  format: ExportFormat;
  /** The composed model. */
  model: OnnxModel;
  /** Its encoded bytes (the content of `model.onnx`). */
  bytes: Uint8Array;
}

/**
 * Exports a registered version (found through the repository contract: `get_alias`,
 * `get_model_version`, `download_model`) to ONNX, in memory. Write it with {@link writeExport}.
 */
export async function exportModelVersion(options: ExportModelVersionOptions): Promise<ExportedModel> {
  const format = options.format ?? "onnx";
  if (!(EXPORT_FORMATS as readonly string[]).includes(format))
    throw new LolpopError({
      message: `unknown export format "${format}": use one of ${EXPORT_FORMATS.join(", ")}`,
      code: "invalid_export_format",
    });
  const ref = typeof options.ref === "string" ? parseModelRef(options.ref) : options.ref;
  const mv = await resolveModelRef(options.repository, ref);
  const dir = await options.repository.download_model(mv.name ?? ref.name, mv.version);
  const model = await exportBundle(options.host, dir, {
    label: `model ${ref.name} v${mv.version}`,
    metadata: {
      [EXPORT_METADATA_KEYS.model_name]: ref.name,
      [EXPORT_METADATA_KEYS.model_version]: String(mv.version),
    },
  });
  return { name: ref.name, version: mv.version, format, model, bytes: encodeModel(model) };
}

/** Writes `model.onnx` into `outDir` atomically (no half-written file); returns its path. */
export async function writeExport(exported: Pick<ExportedModel, "bytes">, outDir: string): Promise<string> {
  const path = join(outDir, ONNX_FILE);
  await writeFileAtomic(path, exported.bytes);
  return path;
}

/** A file an export wrote for a registration. */
export interface RegistrationExport {
  format: ExportFormat;
  /** File name in the version's folder (`model.onnx`). */
  file: string;
  bytes: Uint8Array;
  /** The composed model (its inputs and outputs, for a registry's signature). */
  model: OnnxModel;
}

/**
 * What a model repository's `export:` option runs at registration: exports the bundle in `dir`
 * (the folder being registered) to each format. Nothing is written; the repository stores the
 * files with the version.
 * @throws OnnxExportError naming what cannot be expressed (the registration then fails, nothing is registered).
 */
export async function exportForRegistration(
  host: BundleHost,
  dir: string,
  options: { formats: readonly string[]; label: string; name: string },
): Promise<RegistrationExport[]> {
  const out: RegistrationExport[] = [];
  for (const format of options.formats) {
    if (format !== "onnx")
      throw new LolpopError({
        message: `unknown export format "${format}": use one of ${EXPORT_FORMATS.join(", ")}`,
        code: "invalid_export_format",
      });
    const model = await exportBundle(host, dir, {
      label: options.label,
      metadata: { [EXPORT_METADATA_KEYS.model_name]: options.name },
    });
    out.push({ format, file: ONNX_FILE, bytes: encodeModel(model), model });
  }
  return out;
}
