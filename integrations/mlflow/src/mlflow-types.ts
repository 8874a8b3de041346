/**
 * Wire types of the MLflow REST API (`/api/2.0/mlflow/...` and `/api/2.0/mlflow-artifacts/...`),
 * written from MLflow's protos (`service.proto`, `model_registry.proto`). MLflow omits fields that
 * hold their default value, so every response field is optional. Ids are strings; timestamps are
 * milliseconds since the epoch; a model version's `version` is a string on the wire.
 */

/** `{key, value}` pair used for run, experiment, model and dataset-input tags. */
export interface MlflowTag {
  key: string;
  value?: string;
}

/** An experiment (`experiments/get`, `experiments/get-by-name`, `experiments/search`). */
export interface MlflowExperiment {
  experiment_id?: string;
  name?: string;
  artifact_location?: string;
  /** `active` or `deleted`. */
  lifecycle_stage?: "active" | "deleted" | string;
  last_update_time?: number;
  creation_time?: number;
  tags?: MlflowTag[];
}

/** Status of a run on the server. */
export type MlflowRunStatus = "RUNNING" | "SCHEDULED" | "FINISHED" | "FAILED" | "KILLED";

/** `run.info`. */
export interface MlflowRunInfo {
  run_id?: string;
  /** Deprecated alias of `run_id`, still sent by servers. */
  run_uuid?: string;
  run_name?: string;
  experiment_id?: string;
  user_id?: string;
  status?: MlflowRunStatus;
  start_time?: number;
  end_time?: number;
  /** `mlflow-artifacts:/<exp>/<run>/artifacts` when the server proxies artifacts. */
  artifact_uri?: string;
  lifecycle_stage?: "active" | "deleted" | string;
}

/**
 * One metric point. On the wire `value` is a number, or the string `"NaN"` (MLflow's JSON for a
 * NaN). The client decodes responses to numbers; see {@link toMetricNumber}.
 */
export interface MlflowMetric {
  key: string;
  value: number;
  /** Milliseconds since the epoch. Required by the server. */
  timestamp: number;
  step?: number;
}

/** One run parameter. */
export interface MlflowParam {
  key: string;
  value: string;
}

/** A dataset as MLflow records it (`runs/log-inputs`). `source`, `schema` and `profile` are free-form strings (usually JSON). */
export interface MlflowDataset {
  name: string;
  /** At most 36 characters. */
  digest: string;
  /** e.g. `local`, `http`, `s3`, `code`. */
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

/** A dataset used by a run, with its input tags (e.g. `mlflow.data.context`). */
export interface MlflowDatasetInput {
  tags?: MlflowTag[];
  dataset: MlflowDataset;
}

/** `run.data`. */
export interface MlflowRunData {
  /** Latest value of each metric. */
  metrics?: MlflowMetric[];
  params?: MlflowParam[];
  tags?: MlflowTag[];
}

/** A run (`runs/get`, `runs/create`, `runs/search`). */
export interface MlflowRun {
  info?: MlflowRunInfo;
  data?: MlflowRunData;
  inputs?: { dataset_inputs?: MlflowDatasetInput[]; model_inputs?: unknown[] };
  outputs?: { model_outputs?: unknown[] };
}

/** One entry of an artifact listing. `path` is relative to the listed folder (proxy) or to the run's root (`artifacts/list`). */
export interface MlflowFileInfo {
  path?: string;
  is_dir?: boolean;
  file_size?: number;
}

/** Status of a model version. */
export type MlflowModelVersionStatus = "PENDING_REGISTRATION" | "FAILED_REGISTRATION" | "READY";

/** A model version (`model-versions/*`). */
export interface MlflowModelVersion {
  name?: string;
  /** A decimal string: `"1"`, `"2"`... */
  version?: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  user_id?: string;
  current_stage?: string;
  description?: string;
  source?: string;
  run_id?: string;
  status?: MlflowModelVersionStatus;
  status_message?: string;
  tags?: MlflowTag[];
  run_link?: string;
  /** Present on `get` and alias lookups; absent from search results. */
  aliases?: string[];
  model_id?: string;
}

/** An alias of a registered model. */
export interface MlflowRegisteredModelAlias {
  alias?: string;
  version?: string;
}

/** A registered model (`registered-models/*`). */
export interface MlflowRegisteredModel {
  name?: string;
  creation_timestamp?: number;
  last_updated_timestamp?: number;
  user_id?: string;
  description?: string;
  latest_versions?: MlflowModelVersion[];
  tags?: MlflowTag[];
  aliases?: MlflowRegisteredModelAlias[];
}

/** One page of a paginated search. */
export interface MlflowPage<T> {
  items: T[];
  /** Absent on the last page. */
  next_page_token?: string;
}

/** `run_view_type` / `view_type` of searches. */
export type MlflowViewType = "ACTIVE_ONLY" | "DELETED_ONLY" | "ALL";

/** Error body MLflow sends with 4xx/5xx statuses. */
export interface MlflowErrorBody {
  error_code?: string;
  message?: string;
}

/** Decodes a metric value from the wire: numbers as-is, `"NaN"`/`"Infinity"`/`"-Infinity"` strings to numbers. */
export function toMetricNumber(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "string") {
    if (value === "NaN") return Number.NaN;
    if (value === "Infinity") return Number.POSITIVE_INFINITY;
    if (value === "-Infinity") return Number.NEGATIVE_INFINITY;
    const n = Number(value);
    if (value.trim() !== "" && !Number.isNaN(n)) return n;
  }
  return Number.NaN;
}
