/**
 * The inference bundle's files: a model version is a folder with `lolpop-model.json` (the
 * {@link InferenceBundleMeta}), `model/` (what `TrainedModel.save` wrote) and
 * `feature_transformer/` (the fitted feature transformer). `format` 2 adds the input schema and
 * typing, the process data transformer, the feature schema, plugin versions and the challenger's
 * identity to format 1; a format-1 file is still read, with what it lacks derived or listed.
 */
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FeatureTransformer, ProblemType, TrainedModel } from "../contracts.js";
import { StoreError } from "../errors.js";
import { writeJsonAtomic } from "../kit/fs-atomic.js";
import { fsPromises } from "../lazy-deps.js";
import type { InputColumn, InputSchema } from "./input-schema.js";

/** The bundle's description file in a model version's folder. */
export const BUNDLE_FILE = "lolpop-model.json";
/** The `format` this core writes. */
export const BUNDLE_FORMAT = 2;
/** Folder of the model's own files. */
export const BUNDLE_MODEL_DIR = "model";
/** Folder of the fitted feature transformer's files. */
export const BUNDLE_FEATURE_TRANSFORMER_DIR = "feature_transformer";

/** A component saved with a bundle: its type, validated config and the plugin that provided it. */
export interface BundleComponent {
  type: string;
  /** Validated config (redacted: a secret is `***`). */
  config: Record<string, unknown>;
  /** The plugin (npm package) and version that provided the type at training. */
  plugin?: { name: string; version: string };
}

/** The code a component runs beyond its config (a data transformer's user module), by content hash. */
export interface CodeFingerprint {
  /** The file as configured, e.g. `features.mjs`. */
  source: string;
  /** SHA-256 of its content, hex. */
  sha256: string;
}

/** What makes two challengers the same: data, resolved config and seeds. */
export interface ChallengerIdentity {
  /** SHA-256 over the three below: equal keys, identical challengers. */
  key: string;
  /** Fingerprint of the processed training data. */
  data_fingerprint: string;
  /** SHA-256 of the redacted resolved config (the lineage's `config_hash`). */
  config_hash: string;
  /** Seeds by component path. */
  seeds: Record<string, number>;
}

/**
 * `lolpop-model.json` (format 2): everything predict needs to turn raw input into a prediction,
 * besides the model's and feature transformer's own files.
 */
export interface InferenceBundleMeta {
  format: typeof BUNDLE_FORMAT;
  problem_type: ProblemType;
  target: string;
  /** Index column (written with every prediction). */
  index?: string;
  /** Class labels (classification). */
  classes?: string[];
  /** The data as read by the process data connector at training, and the connector's typing. */
  input: InputSchema;
  /** The process data transformer, replayed on input before the feature transformer. */
  data_transformer?: BundleComponent & { code?: CodeFingerprint };
  /** The columns the feature transformer gets (after the data transformer), with their types. */
  features: InputColumn[];
  /** Names of {@link features}, in order. */
  feature_columns: string[];
  feature_transformer: BundleComponent;
  trainer: BundleComponent;
  /** Parameters the model was fitted with. */
  params: Record<string, unknown>;
  /** Metrics at registration (`test.f1_macro`, `baseline.test.f1_macro`...). */
  metrics: Record<string, number>;
  datasets: Array<{ name: string; fingerprint: string; rows: number }>;
  identity?: ChallengerIdentity;
  /** Plugins of the training run, with versions. */
  plugins: Array<{ name: string; version: string }>;
  /** @lolpop/core version that wrote the bundle. */
  core_version: string;
  /** ISO time the bundle was written. */
  created_at: string;
  workflow_run_id?: string;
}

/** A bundle description as read: the format-2 view, the format it was stored in, and what it lacks. */
export interface ReadBundleMeta {
  meta: InferenceBundleMeta;
  /** `format` in the file (1 or 2). */
  storedFormat: number;
  /** What a format-1 file lacks (empty for format 2). */
  missing: string[];
}

/** What a format-1 bundle lacks, in the order the notice names them. */
const FORMAT_1_MISSING = ["input schema", "column typing", "process data_transformer", "plugin versions"];

/** The notice logged when a format-1 version is loaded: what it lacks and how to get a format-2 one. */
export function formatOneNotice(label: string): string {
  return `${label} was saved in inference bundle format 1 (before @lolpop/core 0.2): it has no input schema, column typing or record of a process data_transformer, so input is checked only for its feature columns and no data_transformer is replayed. It keeps working; to get a format 2 version, train again (lolpop run --force).`;
}

function invalid(file: string, why: string): StoreError {
  return new StoreError({
    message: `${file} is not a valid inference bundle (${why}): the model version is damaged, register a new one`,
    path: file,
    code: "store_corrupted",
  });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkComponent(file: string, v: unknown, key: string): void {
  if (!isObject(v) || typeof v.type !== "string") throw invalid(file, `${key}.type is missing`);
}

/**
 * Reads and checks the bundle description of a model version folder. A format-1 file is returned
 * in the format-2 shape: the input schema is its feature columns (and index) with types not
 * recorded, there is no data transformer, and `missing` lists what it lacks.
 * @throws StoreError when the file is missing, not JSON, damaged, or of a newer format.
 */
export async function readBundleMeta(dir: string): Promise<ReadBundleMeta> {
  const file = join(dir, BUNDLE_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await fsPromises().readFile(file, "utf8"));
  } catch (e) {
    throw new StoreError({
      message: `cannot read model metadata ${file}: ${(e as Error).message}. The model version is damaged: register a new one.`,
      path: file,
      code: "store_corrupted",
      cause: e,
    });
  }
  if (!isObject(raw)) throw invalid(file, "not a JSON object");
  const format = raw.format;
  if (typeof format !== "number" || !Number.isInteger(format) || format < 1)
    throw invalid(file, `format is ${JSON.stringify(format)}`);
  if (format > BUNDLE_FORMAT)
    throw new StoreError({
      message: `${file} is inference bundle format ${format}, written by a newer lolpop; this @lolpop/core reads formats 1 to ${BUNDLE_FORMAT}: upgrade @lolpop/core and the plugins`,
      path: file,
      code: "store_newer_format",
    });
  if (raw.problem_type !== "classification" && raw.problem_type !== "regression")
    throw invalid(file, "problem_type is missing");
  if (typeof raw.target !== "string") throw invalid(file, "target is missing");
  if (!Array.isArray(raw.feature_columns) || raw.feature_columns.some((c) => typeof c !== "string"))
    throw invalid(file, "feature_columns is missing");
  checkComponent(file, raw.trainer, "trainer");
  checkComponent(file, raw.feature_transformer, "feature_transformer");
  if (format === BUNDLE_FORMAT) {
    const input = raw.input as Record<string, unknown> | undefined;
    if (!isObject(input) || !Array.isArray(input.columns)) throw invalid(file, "input.columns is missing");
    if (!Array.isArray(raw.features)) throw invalid(file, "features is missing");
    if (raw.data_transformer !== undefined) checkComponent(file, raw.data_transformer, "data_transformer");
    return { meta: raw as unknown as InferenceBundleMeta, storedFormat: format, missing: [] };
  }
  // Format 1: derive what can be derived.
  const featureColumns = raw.feature_columns as string[];
  const index = typeof raw.index === "string" ? raw.index : undefined;
  const features: InputColumn[] = featureColumns.map((name) => ({ name, role: "feature", required: true }));
  const meta = {
    ...raw,
    format: BUNDLE_FORMAT,
    input: {
      columns: [
        ...(index && !featureColumns.includes(index) ? [{ name: index, role: "index", required: true }] : []),
        ...features,
      ],
      typing: {},
    },
    features,
    plugins: [],
    core_version: "unknown",
    created_at: "unknown",
  } as unknown as InferenceBundleMeta;
  return { meta, storedFormat: format, missing: [...FORMAT_1_MISSING] };
}

/**
 * Writes a new bundle into a temp folder (model, fitted feature transformer, `lolpop-model.json`)
 * and returns it, for `ModelRepository.register_model`; remove it with {@link removeBundle}.
 */
export async function writeBundle(parts: {
  model: TrainedModel;
  featureTransformer: FeatureTransformer;
  meta: InferenceBundleMeta;
}): Promise<string> {
  const dir = await fsPromises().mkdtemp(join(tmpdir(), "lolpop-model-"));
  try {
    await fsPromises().mkdir(join(dir, BUNDLE_MODEL_DIR));
    await fsPromises().mkdir(join(dir, BUNDLE_FEATURE_TRANSFORMER_DIR));
    await parts.model.save(join(dir, BUNDLE_MODEL_DIR));
    await parts.featureTransformer.save(join(dir, BUNDLE_FEATURE_TRANSFORMER_DIR));
    await writeJsonAtomic(join(dir, BUNDLE_FILE), parts.meta);
    return dir;
  } catch (e) {
    await removeBundle(dir);
    throw e;
  }
}

/** Removes a temp bundle folder made by {@link writeBundle}. */
export async function removeBundle(dir: string): Promise<void> {
  await fsPromises().rm(dir, { recursive: true, force: true });
}
