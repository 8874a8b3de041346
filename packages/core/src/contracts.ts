/**
 * Component contracts: one interface per kind. Method names follow the original lolpop
 * (snake_case, e.g. `get_data`, `split_data`) so YAML paths, workflow-test hooks and logs read the
 * same as the config. Every method returns a Promise; the engine wraps each call in its middleware.
 *
 * Kinds are an open set: a plugin adds one by augmenting {@link ComponentKinds}:
 *
 * ```ts
 * declare module "@lolpop/core" {
 *   interface ComponentKinds { feature_store: FeatureStore }
 * }
 * ```
 */

import type { BlobStore } from "./blob-store.js";
import type { CodeFingerprint } from "./bundle/bundle-format.js";
import type { InputSchema } from "./bundle/input-schema.js";
import { LolpopError } from "./errors.js";
import type { Forecaster } from "./forecasting.js";
import type { LogFields, LogLevel } from "./logger.js";
import type { OnnxExportOptions, OnnxGraphPiece } from "./onnx-piece.js";
import type { StepCacheStore } from "./step-cache-run.js";
import type { Column, Table } from "./table.js";

/**
 * The problem a workflow solves; set by the runner and visible to every component. `timeseries`
 * workflows (the `TimeSeriesRunner`) use the `forecaster` kind instead of `model_trainer`.
 */
export type ProblemType = "classification" | "regression" | "timeseries";

/** Outcome of a check: `ERROR` can gate a workflow, `WARN` notifies. */
export type CheckStatus = "PASS" | "WARN" | "ERROR";

/** One check inside a {@link CheckReport}. */
export interface CheckResult {
  /** Short id, e.g. `dataset_drift` or `missing_values:age`. */
  name: string;
  status: CheckStatus;
  /** What was found, for people. */
  message: string;
  /** Structured values behind the result. */
  details?: Record<string, unknown>;
}

/** Result of a data, model or prediction check. `status` is the worst status of `checks`. */
export interface CheckReport {
  status: CheckStatus;
  checks: CheckResult[];
  /** Full machine readable report (e.g. an Evidently-shaped JSON). */
  report?: unknown;
  /** Files written for people (HTML reports...), tracked as artifacts by the pipeline. */
  artifacts?: Array<{ name: string; path: string }>;
}

/** Train/valid/test splits; each table keeps the target column with role `target`. */
export interface DataSplits {
  train: Table;
  valid: Table;
  /** Absent when the splitter was configured without a test split. */
  test?: Table;
}

/** Features and target of one split. */
export interface LabeledData {
  /** Feature columns only. */
  X: Table;
  /** Target values: categorical for classification, numeric for regression. */
  y: Column;
}

/** Predictions of a classifier. */
export interface ClassificationPredictions {
  problem_type: "classification";
  /** Class labels; `labels` and the columns of `proba` index this list. */
  classes: string[];
  /** Predicted class index per row. */
  labels: Int32Array;
  /** Class probabilities, row-major (`n * classes.length`), when the model provides them. */
  proba?: Float64Array;
}

/** Predictions of a regressor. */
export interface RegressionPredictions {
  problem_type: "regression";
  values: Float64Array;
}

/** Model output for a table of rows. */
export type Predictions = ClassificationPredictions | RegressionPredictions;

// ---------------------------------------------------------------- data

/** Where a connector wrote data. */
export interface SavedData {
  /** Path or URI of what was written. */
  uri: string;
  /** Rows written. */
  rows: number;
  /** Format, e.g. `csv`, `jsonl`. */
  format: string;
}

/** Options of {@link DataConnector.get_data}. */
export interface GetDataOptions {
  /**
   * The columns and typing the data is expected in: a model version's input schema, given when a
   * workflow reads data to predict with that version. A connector that can read a column as a
   * given type should (its errors then name the file's line, and the training connector's
   * `na_values` apply); the workflow checks and types the table against the schema either way, so
   * a connector may ignore it.
   */
  expected?: {
    schema: InputSchema;
    /** Who expects it, for messages, e.g. `model v3`. */
    label: string;
  };
}

/** `data_connector`: reads and writes tables (files, databases, object stores). */
export interface DataConnector {
  /**
   * Reads a table.
   * @param source Path, URI or name of what to read; defaults to the connector's configured source.
   * @param options What the data is expected to look like (see {@link GetDataOptions}).
   */
  get_data(source?: string, options?: GetDataOptions): Promise<Table>;
  /**
   * Writes a table atomically: readers never see a half-written target.
   * @param target Path or URI to write; defaults to the connector's configured target.
   */
  save_data(table: Table, target?: string): Promise<SavedData>;
}

/** `data_transformer`: turns raw data into the table the workflow trains on. */
export interface DataTransformer {
  /** Returns the transformed table (the input is never mutated). */
  transform(table: Table): Promise<Table>;
  /**
   * Optional: the code the transformer runs beyond its config (a user module), by content hash;
   * undefined when it runs none. Saved with each model version, so predict refuses to replay a
   * transformer whose code changed since training.
   */
  code_fingerprint?(): Promise<CodeFingerprint | undefined>;
  /**
   * Optional: like {@link code_fingerprint} but over the module and every local module it imports
   * (`files`, relative to the project root), so editing an imported helper changes `sha256`.
   * `lolpop run` records it for `--reproduce`; undefined when the transformer runs no module.
   */
  code_tree_fingerprint?(): Promise<(CodeFingerprint & { files: string[] }) | undefined>;
}

/** `data_splitter`: splits a table into train, valid and (optionally) test. */
export interface DataSplitter {
  /** Splits `table`; deterministic for the configured seed. */
  split_data(table: Table): Promise<DataSplits>;
}

/** `feature_transformer`: learns a feature encoding on train only and applies it anywhere. */
export interface FeatureTransformer {
  /** Learns the encoding from feature columns (columns with another role are ignored). */
  fit(table: Table): Promise<void>;
  /** Encodes feature columns into numeric columns; unknown categories are handled, never thrown on. */
  transform(table: Table): Promise<Table>;
  /** `fit` then `transform` on the same table. */
  fit_transform(table: Table): Promise<Table>;
  /** Writes the fitted state into `dir` (saved with the model version). */
  save(dir: string): Promise<void>;
  /** Restores a fitted state written by `save`. */
  load(dir: string): Promise<void>;
  /**
   * Optional: the fitted encoding as a piece of an ONNX graph (see `@lolpop/onnx`), so an exported
   * model takes raw feature columns. Inputs: one per raw feature column, named after it, shape
   * `[N, 1]`, `float` or `double` for a numeric column (NaN is missing) and `string` for a
   * categorical one (`""` is missing). Output: `features` (`float` or `double`, `[N, F]`; the type
   * the piece computes in, `double` to reproduce float64 arithmetic), whose columns are the piece's
   * `feature_names` in the order `transform` writes them. Throws an error naming what ONNX cannot express (e.g. a
   * column passed through as text).
   */
  to_onnx?(options?: OnnxExportOptions): Promise<OnnxGraphPiece>;
}

// ---------------------------------------------------------------- models

/** What a trainer gets to fit one model. */
export interface FitInput {
  problem_type: ProblemType;
  /** Training features (numeric after the feature transformer). */
  X: Table;
  /** Training target. */
  y: Column;
  /** Class labels in a fixed order, for classification. */
  classes?: string[];
  /** Validation split, for early stopping. */
  valid?: LabeledData;
  /** Trainer parameters; merged over the trainer's configured `training_params`. */
  params?: Record<string, unknown>;
  /** Seed for every random choice. */
  seed?: number;
  /** Aborts long fits. */
  signal?: AbortSignal;
  /**
   * The tracker run this fit belongs to, when the workflow tracks one. A trainer may log per-step
   * metrics (e.g. loss per epoch, with `step`) to it through the `metadata_tracker` in its scope.
   */
  run_id?: string;
}

/** A fitted model. */
export interface TrainedModel {
  /** Type name of the trainer that made it, e.g. `RandomForestModelTrainer`. */
  readonly trainer: string;
  readonly problem_type: ProblemType;
  /** Parameters actually used (defaults filled in). */
  readonly params: Record<string, unknown>;
  /** Feature names in training order. */
  readonly feature_names: string[];
  /** Class labels, for classification. */
  readonly classes?: string[];
  /** Predicts every row of `X` (same feature columns as in training). */
  predict(X: Table): Promise<Predictions>;
  /** Feature importance by feature name, when the model has one. */
  feature_importance?(): Record<string, number> | undefined;
  /** Writes the model's files into `dir`. */
  save(dir: string): Promise<void>;
  /**
   * Optional: the model as a piece of an ONNX graph (see `@lolpop/onnx`). Input: `features`
   * (`float` or `double`, as the model computes, `[N, feature_names.length]`, columns in
   * `feature_names` order; the composer casts between the two). Output:
   * `probabilities` (`float`, `[N, classes.length]`, columns in `classes` order) for
   * classification, `prediction` (`float`, `[N]`) for regression. Throws an error naming what
   * ONNX cannot express (e.g. categorical features inside the model).
   */
  to_onnx?(options?: OnnxExportOptions): Promise<OnnxGraphPiece>;
}

/** `model_trainer`: fits models of one library and loads saved ones. */
export interface ModelTrainer {
  /** Fits one model. */
  fit(input: FitInput): Promise<TrainedModel>;
  /** Loads a model written by `TrainedModel.save`. */
  load(dir: string): Promise<TrainedModel>;
}

/** One trial of a tuning search. */
export interface TrialResult {
  /** Trainer type name. */
  trainer: string;
  params: Record<string, unknown>;
  /** Metrics by split then name, e.g. `{valid: {f1_macro: 0.93}}`. */
  metrics: Record<string, Record<string, number>>;
  duration_ms: number;
  /** The worker that ran it, when an orchestrator ran it on another machine. */
  worker?: string;
}

/** What a tuner gets. */
export interface TuningInput {
  problem_type: ProblemType;
  train: LabeledData;
  valid: LabeledData;
  classes?: string[];
  /** Metric the winner is chosen by, on the valid split. */
  perf_metric: string;
  seed?: number;
  signal?: AbortSignal;
}

/** The tuner's answer: every trial and the winning model. */
export interface TuningResult {
  best: TrialResult & { model: TrainedModel };
  trials: TrialResult[];
}

/** `hyperparameter_tuner`: searches trainer types and parameters, picks the winner on valid. */
export interface HyperparameterTuner {
  run_experiment(input: TuningInput): Promise<TuningResult>;
}

// ---------------------------------------------------------------- tracking

/** State of a tracked run. */
export type RunStatus = "RUNNING" | "FINISHED" | "FAILED" | "KILLED";

/** Every {@link RunStatus}. */
export const RUN_STATUSES: readonly RunStatus[] = Object.freeze(["RUNNING", "FINISHED", "FAILED", "KILLED"]);

/**
 * The statuses a `search_runs` `status` filter asks for (undefined: any), each checked.
 * @throws LolpopError (`unknown_run_status`) naming the statuses there are.
 */
export function runStatusFilter(
  status: RunStatus | readonly RunStatus[] | undefined,
): RunStatus[] | undefined {
  if (status === undefined) return undefined;
  const list = (typeof status === "string" ? [status] : [...status]) as string[];
  const bad = list.find((s) => !(RUN_STATUSES as readonly string[]).includes(s));
  if (bad !== undefined)
    throw new LolpopError({
      code: "unknown_run_status",
      message: `unknown run status "${bad}" (expected ${RUN_STATUSES.join(", ")})`,
    });
  return list as RunStatus[];
}

/**
 * The start-time window of a `search_runs` filter as epoch milliseconds (`started_after` inclusive,
 * `started_before` exclusive; undefined: open), and the test a run's `started_at` must pass.
 * @throws LolpopError (`bad_time_filter`) when a bound is not an ISO 8601 time.
 */
export function runTimeFilter(filter: { started_after?: string; started_before?: string }): {
  after?: number;
  before?: number;
  accepts(startedAt: string): boolean;
} {
  const ms = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const t = Date.parse(v);
    if (!Number.isFinite(t))
      throw new LolpopError({
        code: "bad_time_filter",
        message: `${name} must be an ISO 8601 time such as 2026-12-01 or 2026-12-01T08:00:00Z (got "${v}")`,
      });
    return t;
  };
  const after = ms("started_after", filter.started_after);
  const before = ms("started_before", filter.started_before);
  return {
    ...(after !== undefined ? { after } : {}),
    ...(before !== undefined ? { before } : {}),
    accepts(startedAt) {
      if (after === undefined && before === undefined) return true;
      const t = Date.parse(startedAt);
      return (after === undefined || t >= after) && (before === undefined || t < before);
    },
  };
}

/** A tracked run (a workflow run, a pipeline stage, a tuning trial, a prediction job). */
export interface RunInfo {
  id: string;
  name: string;
  parent_id?: string;
  status: RunStatus;
  /** ISO time. */
  started_at: string;
  ended_at?: string;
  tags: Record<string, string>;
}

/** A run found by `search_runs({ metrics: true })`: with the latest value of each of its metrics. */
export interface RunSummary extends RunInfo {
  /** Latest value of each metric (the `metrics` of `get_run`). */
  metrics: Record<string, number>;
}

/** A run with everything logged to it. */
export interface RunRecord extends RunSummary {
  params: Record<string, string>;
  artifacts: string[];
  datasets: DatasetInfo[];
}

/** A dataset used or produced by a run. */
export interface DatasetInfo {
  /** Logical name, e.g. `train` or `penguins`. */
  name: string;
  /** Content hash ({@link Table.fingerprint}). */
  fingerprint: string;
  rows: number;
  columns: number;
  /** Where it came from (path or URI), when known. */
  source?: string;
  /** Why it was used. */
  context?: "training" | "validation" | "test" | "evaluation" | "prediction" | "raw";
  /** Column names and types. */
  schema?: Array<{ name: string; type: string; role: string }>;
}

/** Content of an artifact: text, bytes, or a file or directory on disk to copy. */
export type ArtifactContent = string | Uint8Array | { path: string };

/** `metadata_tracker`: records runs, params, metrics, datasets, artifacts and lineage. */
export interface MetadataTracker {
  /** Starts a run (nested under `parent_id` when given). */
  start_run(options: { name: string; parent_id?: string; tags?: Record<string, string> }): Promise<RunInfo>;
  /** Ends a run with its final status. */
  end_run(run_id: string, status: RunStatus): Promise<void>;
  /** Records parameters (values are stringified; secrets must already be redacted). */
  log_params(run_id: string, params: Record<string, unknown>): Promise<void>;
  /** Records metrics, e.g. `{"valid.f1_macro": 0.93}`. */
  log_metrics(run_id: string, metrics: Record<string, number>, options?: { step?: number }): Promise<void>;
  /** Sets tags. */
  log_tags(run_id: string, tags: Record<string, string>): Promise<void>;
  /** Stores an artifact under `name` (a relative path) and returns its URI. */
  log_artifact(run_id: string, name: string, content: ArtifactContent): Promise<string>;
  /** Records a dataset as an input or output of the run. */
  log_dataset(run_id: string, dataset: DatasetInfo): Promise<void>;
  /** Reads a run back. */
  get_run(run_id: string): Promise<RunRecord>;
  /**
   * Runs whose tags include every given tag, newest first. `status`: only runs in this status (or
   * one of these); omitted: any status. `started_after` (inclusive) / `started_before` (exclusive):
   * ISO 8601 times bounding `started_at` ({@link runTimeFilter}). `limit` counts the runs that match
   * every filter. `metrics: true`: each run found also has `metrics`, the latest value of each of its
   * metrics (as `get_run` gives them), read with the search (MLflow's search returns them; the local
   * store reads them for the runs returned only): a runs table with metric columns needs no `get_run`
   * per run. A tracker written before this option returns runs without `metrics`; a caller then
   * reads those runs with `get_run`.
   */
  search_runs(filter: {
    tags?: Record<string, string>;
    parent_id?: string;
    status?: RunStatus | readonly RunStatus[];
    started_after?: string;
    started_before?: string;
    limit?: number;
    metrics?: boolean;
  }): Promise<Array<RunInfo | RunSummary>>;
  /**
   * Deletes a run with its params, metrics, artifacts and its child runs (MLflow: moves them to
   * the deleted lifecycle stage, where MLflow's own garbage collection removes them). Refuses a
   * run that is still `RUNNING`. Whether a kept model version references the run is the caller's
   * check (`lolpop gc` never deletes such runs). Optional.
   */
  delete_run?(run_id: string): Promise<void>;
  /**
   * Every value logged for metric `key` of a run, in logging order (training curves: one point per
   * `step`); `[]` when the run has none. Optional: a tracker without it keeps only the latest value.
   */
  get_metric_history?(run_id: string, key: string): Promise<MetricPoint[]>;
  /**
   * Reads back an artifact logged with {@link log_artifact} (a file; `name` as logged).
   * @throws StoreError `store_not_found` when the run or the artifact does not exist. Optional.
   */
  read_artifact?(run_id: string, name: string): Promise<Uint8Array>;
  /** The store's content-addressed blobs (data snapshots, step cache outputs). Optional. */
  blob_store?(): Promise<BlobStore>;
  /**
   * Garbage-collects the store's blobs: removes the step cache entries of `deleted_runs` (with their
   * descendants) and of runs that no longer exist, then every blob no remaining entry, kept run
   * (its data snapshots) or running run needs. `dry_run`: only plans. Returns what goes. Optional.
   */
  collect_blobs?(options: { deleted_runs: readonly string[]; dry_run?: boolean }): Promise<BlobCollection>;
}

/** What {@link MetadataTracker.collect_blobs} removes (or would remove in a dry run). */
export interface BlobCollection {
  /** Step cache entries removed: their key and the run that recorded them. */
  entries: Array<{ key: string; run_id: string }>;
  /** Digests of the blobs removed, sorted. */
  blobs: string[];
  /** Bytes those blobs took. */
  bytes: number;
}

/** One logged value of a metric ({@link MetadataTracker.get_metric_history}). */
export interface MetricPoint {
  /** The `step` it was logged with (0 when none was given). */
  step: number;
  value: number;
  /** When it was logged, epoch milliseconds. */
  timestamp: number;
}

/** One registered version of a model. */
export interface ModelVersionInfo {
  /** Registered model name. */
  name: string;
  /** 1, 2, 3... */
  version: number;
  /** ISO time of registration. */
  created_at: string;
  /** Run that produced it. */
  run_id?: string;
  /** Aliases pointing at it, e.g. `["champion"]`. */
  aliases: string[];
  tags: Record<string, string>;
  /** Metrics recorded at registration, e.g. `{"test.f1_macro": 0.95}`. */
  metrics: Record<string, number>;
  /** Where its files are. */
  uri: string;
}

/** Options of {@link ModelRepository.promote_model}. */
export interface PromoteOptions {
  /**
   * Compare-and-set: move the alias only if the champion is still this version (`null`: only if
   * there is no champion). Checked atomically with the move where the store allows it (the local
   * store: under the model's lock), else re-read right before the move. Omitted: move it whatever
   * it points at.
   */
  expected_champion?: number | null;
  /** Who promotes, stored with the promotion. Default: the OS user. */
  promoted_by?: string;
  /** Why, stored with the promotion (e.g. the promotion policy's reasons). */
  reason?: string;
}

/** What {@link ModelRepository.promote_model} did. */
export interface PromoteResult {
  /** True when this call moved the alias to the version. */
  promoted: boolean;
  /** The champion after the call (`null`: none). */
  champion: number | null;
  /** The champion before the call (`null`: none). */
  previous: number | null;
}

/** `model_repository`: versions models, moves the `champion` alias, records approval. */
export interface ModelRepository {
  /**
   * Optional: the store's blobs and step cache, which `lolpop run` uses to skip unchanged steps
   * (the local store: `.lolpop/blobs`, `.lolpop/cache`). Without it, steps are never cached.
   */
  step_cache?(): StepCacheStore | Promise<StepCacheStore>;
  /**
   * Registers a new version from the files in `dir` (model, fitted feature transformer, metadata).
   * Atomic: a failed or killed registration leaves no half-registered version.
   */
  register_model(options: {
    name: string;
    dir: string;
    run_id?: string;
    metrics?: Record<string, number>;
    tags?: Record<string, string>;
  }): Promise<ModelVersionInfo>;
  /** One version; throws when it does not exist. */
  get_model_version(name: string, version: number): Promise<ModelVersionInfo>;
  /** The version an alias points at, or undefined. */
  get_alias(name: string, alias: string): Promise<ModelVersionInfo | undefined>;
  /** All versions, oldest first. */
  list_versions(name: string): Promise<ModelVersionInfo[]>;
  /** A local directory with the version's files (downloaded when remote). */
  download_model(name: string, version: number): Promise<string>;
  /**
   * Moves the `champion` alias to `version` (who, why and when are recorded; the previous champion
   * is kept and tagged). With `expected_champion` it is a compare-and-set: nothing moves when the
   * champion is no longer that version, and the result says which version is. Promoting the
   * current champion again moves nothing (`promoted: false`, `champion: version`).
   */
  promote_model(name: string, version: number, options?: PromoteOptions): Promise<PromoteResult>;
  /** Records approval of a version. */
  approve_model(
    name: string,
    version: number,
    options?: { approved_by?: string; comment?: string },
  ): Promise<void>;
  /** True when the version was approved. */
  check_approval(name: string, version: number): Promise<boolean>;
  /**
   * Names of the registered models, sorted. Optional: a repository written before it existed lacks
   * it, and `lolpop models list` without a name then says so.
   */
  list_models?(): Promise<string[]>;
  /**
   * Every move of the model's aliases, oldest first: who, when, why, from which version to which.
   * Kept forever (deleting or archiving versions does not shorten it). Optional.
   */
  get_promotion_history?(name: string): Promise<PromotionEvent[]>;
  /**
   * Marks a version archived (tags `lolpop.archived`, `lolpop.archived_by`, `lolpop.archived_at`,
   * `lolpop.archive_reason`): its files are kept, `lolpop gc` may delete it. Refuses a version an
   * alias points at (promote another version first). Optional.
   */
  archive_model?(
    name: string,
    version: number,
    options?: { archived_by?: string; reason?: string },
  ): Promise<void>;
  /**
   * Deletes a version and its files. Refuses (a `StoreError`/`LolpopError` with code
   * `version_is_alias_target`) a version an alias points at. The promotion history keeps its
   * entries. Optional.
   */
  delete_model_version?(name: string, version: number): Promise<void>;
}

/** One move of an alias, as {@link ModelRepository.get_promotion_history} returns it. */
export interface PromotionEvent {
  /** The alias moved, e.g. `champion`. */
  alias: string;
  /** The version it points at after the move. */
  version: number;
  /** The version it pointed at before, or null. */
  previous: number | null;
  /** ISO time of the move. */
  at: string;
  /** Who moved it, when recorded. */
  by?: string;
  /** Why, when recorded. */
  reason?: string;
}

// ---------------------------------------------------------------- checks and reports

/** `data_checker`: checks data quality and drift; ERROR can gate the workflow. */
export interface DataChecker {
  /** Checks `table`, against `reference` when given (drift). */
  check_data(table: Table, options?: { reference?: Table; name?: string }): Promise<CheckReport>;
}

/** A data profile or comparison. */
export interface DataReport {
  /** Machine readable result. */
  json: unknown;
  /** Key figures, e.g. `{rows: 344, missing_share: 0.01}` or `{drift_share: 0.2}`. */
  summary: Record<string, number | string | boolean>;
  /** Files written for people (HTML...). */
  artifacts?: Array<{ name: string; path: string }>;
}

/** `data_profiler`: describes a table and compares two. */
export interface DataProfiler {
  profile_data(table: Table, options?: { name?: string }): Promise<DataReport>;
  /** Compares `current` with `reference` (training vs new data, training vs serving). */
  compare_data(current: Table, reference: Table, options?: { name?: string }): Promise<DataReport>;
}

/** `model_checker`: checks a fitted model on labeled data. */
export interface ModelChecker {
  check_model(model: TrainedModel, data: LabeledData & { split: string }): Promise<CheckReport>;
}

/** `notifier`: tells people about things that need attention. */
export interface Notifier {
  notify(
    message: string,
    level?: "info" | "warn" | "error",
    details?: Record<string, unknown>,
  ): Promise<void>;
}

/** `logger`: receives the workflow's log lines (files, services...). */
export interface LoggerComponent {
  log(message: string, level: LogLevel, fields?: LogFields): Promise<void>;
}

/**
 * The map from kind name to contract. Augment it to add a kind (see the module doc); the registry
 * accepts any kind name at runtime.
 */
export interface ComponentKinds {
  data_connector: DataConnector;
  data_transformer: DataTransformer;
  data_splitter: DataSplitter;
  feature_transformer: FeatureTransformer;
  model_trainer: ModelTrainer;
  hyperparameter_tuner: HyperparameterTuner;
  metadata_tracker: MetadataTracker;
  model_repository: ModelRepository;
  data_checker: DataChecker;
  data_profiler: DataProfiler;
  model_checker: ModelChecker;
  notifier: Notifier;
  logger: LoggerComponent;
  /** Time-series forecasters (see forecasting.ts). */
  forecaster: Forecaster;
}

/** A component kind name. */
export type ComponentKind = keyof ComponentKinds & string;

/** The kinds core defines a contract for. */
export type BuiltinKind =
  | "data_connector"
  | "data_transformer"
  | "data_splitter"
  | "feature_transformer"
  | "model_trainer"
  | "hyperparameter_tuner"
  | "metadata_tracker"
  | "model_repository"
  | "data_checker"
  | "data_profiler"
  | "model_checker"
  | "notifier"
  | "logger";

/**
 * The methods each built-in kind's contract requires, by name (checked against the interfaces at
 * compile time). Used to scaffold components and to test that a component implements its kind.
 */
export const CONTRACT_METHODS: {
  readonly [K in BuiltinKind]: readonly (keyof ComponentKinds[K] & string)[];
} = Object.freeze({
  data_connector: ["get_data", "save_data"],
  data_transformer: ["transform"],
  data_splitter: ["split_data"],
  feature_transformer: ["fit", "transform", "fit_transform", "save", "load"],
  model_trainer: ["fit", "load"],
  hyperparameter_tuner: ["run_experiment"],
  metadata_tracker: [
    "start_run",
    "end_run",
    "log_params",
    "log_metrics",
    "log_tags",
    "log_artifact",
    "log_dataset",
    "get_run",
    "search_runs",
  ],
  model_repository: [
    "register_model",
    "get_model_version",
    "get_alias",
    "list_versions",
    "download_model",
    "promote_model",
    "approve_model",
    "check_approval",
  ],
  data_checker: ["check_data"],
  data_profiler: ["profile_data", "compare_data"],
  model_checker: ["check_model"],
  notifier: ["notify"],
  logger: ["log"],
});

/** The kinds core defines (a plugin may add more). */
export const BUILTIN_KINDS: readonly ComponentKind[] = Object.keys(CONTRACT_METHODS) as BuiltinKind[];
