/**
 * The one replay path of a model version: load its bundle (rebuilding its own data transformer,
 * feature transformer and model from the types and configs saved with it), then for any input:
 * check it against the input schema and type its columns like at training → the process data
 * transformer → the feature transformer → the model → an output table with the index and
 * pass-through columns. Predict, evaluate, the champion comparison and serving all call
 * {@link loadInferenceBundle}; nothing re-reads the training config.
 */
import { join } from "node:path";
import type {
  ComponentKind,
  ComponentKinds,
  DataTransformer,
  FeatureTransformer,
  Predictions,
  TrainedModel,
} from "../contracts.js";
import { DataError } from "../errors.js";
import type { Logger } from "../logger.js";
import { resolveType } from "../registry.js";
import { Table } from "../table.js";
import {
  BUNDLE_FEATURE_TRANSFORMER_DIR,
  BUNDLE_MODEL_DIR,
  type BundleComponent,
  formatOneNotice,
  type InferenceBundleMeta,
  readBundleMeta,
} from "./bundle-format.js";
import { conformTable, type InputColumn } from "./input-schema.js";

/** What loading a bundle needs from its host: a way to create components (a context has one). */
export interface BundleHost {
  /** Creates a component of a registered type (`BaseContext.createComponent`). */
  createComponent<K extends ComponentKind>(
    kind: K,
    type: string,
    config?: Record<string, unknown>,
  ): Promise<ComponentKinds[K]>;
  /** Where notices go (a format-1 bundle, other plugin versions than at training). */
  logger?: Pick<Logger, "warn" | "info">;
}

/** Options of {@link loadInferenceBundle}. */
export interface LoadBundleOptions {
  /** How the version is named in messages. Default `the model version`. */
  label?: string;
}

/** Options of {@link InferenceBundle.predict}. */
export interface ReplayOptions {
  /** Input columns copied into the output after the index column. Default none. */
  passthrough?: readonly string[];
  /** Whether input must have the index column (the output then carries it). Default true. */
  requireIndex?: boolean;
  /** What the input is, in messages. Default `the input`. */
  what?: string;
  /** Added to the message when required columns are missing (e.g. how to make the index optional). */
  missingHint?: (missing: string[]) => string | undefined;
  /**
   * The input was already transformed by a data transformer identical to this bundle's (same
   * type, config and code): start at the feature transformer. Default false.
   */
  transformed?: boolean;
}

/** What {@link InferenceBundle.predict} returns. */
export interface BundlePrediction {
  predictions: Predictions;
  /** Index column (when there is one), pass-through columns, `prediction`, `proba_<class>`... */
  output: Table;
  /** The rows that were predicted: the typed input after the data transformer (other columns kept). */
  rows: Table;
}

/** A loaded model version, ready to replay. */
export interface InferenceBundle {
  /** Folder of the version's files. */
  readonly dir: string;
  /** How it is named in messages, e.g. `model v3`. */
  readonly label: string;
  readonly meta: InferenceBundleMeta;
  /** `format` of the stored file (1 or 2). */
  readonly storedFormat: number;
  /** What a format-1 bundle lacks (empty for format 2). */
  readonly missing: readonly string[];
  readonly model: TrainedModel;
  readonly featureTransformer: FeatureTransformer;
  /** The process data transformer saved with the version, rebuilt. */
  readonly dataTransformer?: DataTransformer;
  /** Replays the version on raw input (see the module doc). */
  predict(input: Table, options?: ReplayOptions): Promise<BundlePrediction>;
}

/** Notice when a component's plugin is not the version the bundle was trained with. */
function pluginNotice(label: string, c: BundleComponent, logger: BundleHost["logger"]): void {
  if (!c.plugin) return;
  const now = resolveType(c.type);
  if (now && now.plugin === c.plugin.name && now.pluginVersion !== c.plugin.version)
    logger?.info(
      `${label} was trained with ${c.plugin.name} ${c.plugin.version}; ${now.pluginVersion} is installed (${c.type})`,
    );
}

/**
 * Loads the model version in `dir` for replay: reads its bundle description (format 1 or 2),
 * rebuilds its process data transformer (refusing a user module whose content changed since
 * training), its fitted feature transformer and its model.
 * @throws StoreError for a damaged or newer bundle; DataError when the data transformer's code changed.
 */
export async function loadInferenceBundle(
  host: BundleHost,
  dir: string,
  options: LoadBundleOptions = {},
): Promise<InferenceBundle> {
  const label = options.label ?? "the model version";
  const { meta, storedFormat, missing } = await readBundleMeta(dir);
  if (storedFormat < 2) host.logger?.warn(formatOneNotice(label));
  let dataTransformer: DataTransformer | undefined;
  if (meta.data_transformer) {
    const saved = meta.data_transformer;
    pluginNotice(label, saved, host.logger);
    dataTransformer = await host.createComponent("data_transformer", saved.type, saved.config);
    if (saved.code) {
      const now =
        typeof dataTransformer.code_fingerprint === "function"
          ? await dataTransformer.code_fingerprint()
          : undefined;
      if (now?.sha256 !== saved.code.sha256)
        throw new DataError({
          message: `the data_transformer module ${saved.code.source} changed since ${label} was trained (sha256 ${saved.code.sha256.slice(0, 12)} then, ${now ? now.sha256.slice(0, 12) : "no module"} now): replaying it would not give the features the model learned from. Restore the module, or train a new version with it (lolpop run).`,
          code: "bundle_code_changed",
          details: { source: saved.code.source, trained: saved.code.sha256, now: now?.sha256 },
        });
    }
  }
  pluginNotice(label, meta.feature_transformer, host.logger);
  const featureTransformer = await host.createComponent(
    "feature_transformer",
    meta.feature_transformer.type,
    meta.feature_transformer.config,
  );
  await featureTransformer.load(join(dir, BUNDLE_FEATURE_TRANSFORMER_DIR));
  pluginNotice(label, meta.trainer, host.logger);
  const trainer = await host.createComponent("model_trainer", meta.trainer.type, meta.trainer.config);
  const model = await trainer.load(join(dir, BUNDLE_MODEL_DIR));

  const bundle: InferenceBundle = {
    dir,
    label,
    meta,
    storedFormat,
    missing,
    model,
    featureTransformer,
    ...(dataTransformer ? { dataTransformer } : {}),
    async predict(input, o = {}) {
      const what = o.what ?? "the input";
      const requireIndex = o.requireIndex ?? true;
      let typed = input;
      let rows = input;
      if (!o.transformed) {
        const columns: InputColumn[] = meta.input.columns.map((c) =>
          c.role === "index" && !requireIndex ? { ...c, required: false } : c,
        );
        typed = conformTable(input, columns, {
          label,
          what,
          ...(meta.input.typing.na_values ? { naValues: meta.input.typing.na_values } : {}),
          ...(o.missingHint ? { missingHint: o.missingHint } : {}),
        });
        rows = dataTransformer ? await dataTransformer.transform(typed) : typed;
      }
      rows = conformTable(rows, meta.features, {
        label,
        what: dataTransformer && !o.transformed ? `${what} after the data_transformer` : what,
      });
      const X = await featureTransformer.transform(rows.select(meta.feature_columns));
      const predictions = await model.predict(X);
      const output = outputTable(meta, predictions, rows, typed, o.passthrough ?? [], what);
      return { predictions, output, rows };
    },
  };
  return bundle;
}

/** Index column, pass-through columns, then the predictions (`prediction`, `proba_<class>`). */
function outputTable(
  meta: InferenceBundleMeta,
  p: Predictions,
  rows: Table,
  input: Table,
  passthrough: readonly string[],
  what: string,
): Table {
  const n = rows.numRows;
  const cols: Array<[string, ReturnType<Table["column"]> | Float64Array | Array<string | null>]> = [];
  const names = new Set<string>();
  const take = (name: string) => {
    if (names.has(name)) return;
    if (rows.has(name)) cols.push([name, rows.column(name)]);
    else if (input.has(name) && input.numRows === n) cols.push([name, input.column(name)]);
    else
      throw new DataError({
        message: input.has(name)
          ? `pass-through column "${name}" is not in the data_transformer's output, which changed the number of rows: keep the column in the transformer's output`
          : `${what} has no column "${name}" to pass through (it has ${input.columnNames.join(", ")})`,
        code: "missing_column",
      });
    names.add(name);
  };
  const hasIndex = meta.index !== undefined && (rows.has(meta.index) || input.has(meta.index));
  if (hasIndex) take(meta.index!);
  for (const name of passthrough) take(name);
  const predicted: Array<[string, Float64Array | Array<string | null>]> = [];
  if (p.problem_type === "regression") predicted.push(["prediction", p.values]);
  else {
    predicted.push(["prediction", Array.from(p.labels, (l) => p.classes[l] ?? null)]);
    if (p.proba) {
      const k = p.classes.length;
      p.classes.forEach((c, j) => {
        const col = new Float64Array(p.labels.length);
        for (let i = 0; i < col.length; i++) col[i] = p.proba![i * k + j]!;
        predicted.push([`proba_${c}`, col]);
      });
    }
  }
  for (const [name] of predicted)
    if (names.has(name))
      throw new DataError({
        message: `pass-through column "${name}" has the name of a prediction column: rename it in the input`,
        code: "duplicate_column",
      });
  return Table.fromColumns(
    [...cols, ...predicted] as never,
    hasIndex ? { roles: { [meta.index!]: "index" } } : {},
  );
}
