/**
 * MLflow's request limits (from `mlflow/utils/validation.py`, MLflow 3.x) enforced on the client, so
 * a bad key or an over-long value is reported before anything is sent, and `log-batch` requests are
 * split to fit the server's per-request limits.
 */
import { LolpopError } from "@lolpop/core";
import type { MlflowMetric, MlflowParam, MlflowTag } from "./mlflow-types.js";

/** Limits of MLflow 3.x. Registry tag values use the 2.x limit (5,000), which 3.x servers also accept. */
export const MLFLOW_LIMITS = Object.freeze({
  /** Metrics per `log-batch` request. */
  metricsPerBatch: 1000,
  /** Params per `log-batch` request. */
  paramsPerBatch: 100,
  /** Tags per `log-batch` request. */
  tagsPerBatch: 100,
  /** Metrics + params + tags per `log-batch` request. */
  entitiesPerBatch: 1000,
  /** Size of a `log-batch` request body, in characters. */
  batchRequestBytes: 1_000_000,
  /** Datasets per `log-inputs` request. */
  datasetsPerRequest: 1000,
  /** Metric, param and run tag key length. */
  keyLength: 250,
  /** Param value length. */
  paramValueLength: 6000,
  /** Run tag value length. */
  runTagValueLength: 8000,
  /** Experiment name length. */
  experimentNameLength: 500,
  /** Registered model / model version tag key length. */
  registryTagKeyLength: 250,
  /** Registered model / model version tag value length (conservative: MLflow 2.x). */
  registryTagValueLength: 5000,
  /** Alias length. */
  aliasLength: 255,
  /** Dataset name length. */
  datasetNameLength: 500,
  /** Dataset digest length. */
  datasetDigestLength: 36,
  /** Dataset source length. */
  datasetSourceLength: 65_535,
  /** Dataset schema length. */
  datasetSchemaLength: 1_048_575,
  /** Dataset profile length. */
  datasetProfileLength: 16_777_215,
  /** Dataset input tag key length. */
  inputTagKeyLength: 255,
  /** Dataset input tag value length. */
  inputTagValueLength: 500,
});

/** Error code of {@link MlflowRequestError}-style validation failures raised before sending. */
export const MLFLOW_INVALID_REQUEST = "mlflow_invalid_request";

/** Throws a lolpop error (code `mlflow_invalid_request`) describing what is wrong and what to do. */
export function invalidRequest(message: string, details: Record<string, unknown> = {}): never {
  throw new LolpopError({ message, code: MLFLOW_INVALID_REQUEST, details });
}

// Python's `\w` on str matches letters and digits of any script plus `_`.
const KEY_CHARS = /^[/\p{L}\p{N}_.\- :]*$/u;

/** What a key names, for messages. */
export type KeyKind = "metric" | "param" | "tag" | "model tag";

/**
 * Why `key` is not a valid MLflow metric/param/tag key, or undefined when it is valid: at most 250
 * characters of letters, digits, `_ - . / : space`, and unchanged by path normalization (no leading
 * `/`, no `..` prefix, no empty, `.` or `..` segment, no trailing `/`).
 */
export function keyProblem(key: unknown, maxLength: number = MLFLOW_LIMITS.keyLength): string | undefined {
  if (typeof key !== "string") return `it must be a string, got ${typeof key}`;
  if (key.length === 0) return "it is empty";
  if (key.length > maxLength)
    return `it has ${key.length} characters, more than MLflow's limit of ${maxLength}`;
  if (!KEY_CHARS.test(key))
    return "MLflow keys may only contain letters, digits, underscores (_), dashes (-), periods (.), spaces, colons (:) and slashes (/)";
  if (
    key.startsWith("/") ||
    key.startsWith("..") ||
    key.split("/").some((s) => s === "" || s === "." || s === "..")
  )
    return "MLflow treats keys as file paths: no leading or trailing '/', no '//', and no '.' or '..' segment";
  return undefined;
}

/** Throws a clear error when `key` is not a valid MLflow key (see {@link keyProblem}). */
export function validateKey(kind: KeyKind, key: unknown, maxLength?: number): asserts key is string {
  const problem = keyProblem(key, maxLength);
  if (problem)
    invalidRequest(`Invalid MLflow ${kind} key ${JSON.stringify(key)}: ${problem}. Rename it.`, {
      key,
      kind,
    });
}

/** Throws when `value` is longer than `limit` characters. */
export function validateLength(what: string, value: string, limit: number): void {
  if (value.length > limit)
    invalidRequest(
      `${what} has ${value.length} characters, more than MLflow's limit of ${limit}: shorten it (or log it as an artifact).`,
      { limit, length: value.length },
    );
}

/** Validates one metric point: key, finite-or-not number value (never a boolean), integer timestamp and step. */
export function validateMetric(m: MlflowMetric): void {
  validateKey("metric", m.key);
  if (typeof m.value !== "number")
    invalidRequest(`MLflow metric "${m.key}" must be a number, got ${typeof m.value}`, { key: m.key });
  if (!Number.isSafeInteger(m.timestamp) || m.timestamp < 0)
    invalidRequest(
      `MLflow metric "${m.key}" needs a timestamp in milliseconds (a non-negative integer), got ${String(m.timestamp)}`,
      { key: m.key },
    );
  if (m.step !== undefined && !Number.isSafeInteger(m.step))
    invalidRequest(`MLflow metric "${m.key}" step must be an integer, got ${String(m.step)}`, { key: m.key });
}

/** Validates one param: key and a string value of at most 6,000 characters. */
export function validateParam(p: MlflowParam): void {
  validateKey("param", p.key);
  if (typeof p.value !== "string")
    invalidRequest(`MLflow param "${p.key}" value must be a string, got ${typeof p.value}`, { key: p.key });
  validateLength(`MLflow param "${p.key}"`, p.value, MLFLOW_LIMITS.paramValueLength);
}

/** Validates one run tag: key and a string value of at most 8,000 characters. */
export function validateRunTag(t: MlflowTag): void {
  validateKey("tag", t.key);
  if (typeof t.value !== "string")
    invalidRequest(`MLflow tag "${t.key}" value must be a string, got ${typeof t.value}`, { key: t.key });
  validateLength(`MLflow tag "${t.key}"`, t.value, MLFLOW_LIMITS.runTagValueLength);
}

/** Validates one registered model / model version tag. */
export function validateRegistryTag(t: MlflowTag): void {
  validateKey("model tag", t.key, MLFLOW_LIMITS.registryTagKeyLength);
  if (typeof t.value !== "string")
    invalidRequest(`MLflow model tag "${t.key}" value must be a string, got ${typeof t.value}`, {
      key: t.key,
    });
  validateLength(`MLflow model tag "${t.key}"`, t.value, MLFLOW_LIMITS.registryTagValueLength);
}

/** Validates a model alias: letters, digits, `_` and `-`, at most 255 characters, not `latest` or `v<digits>`. */
export function validateAlias(alias: unknown): asserts alias is string {
  if (
    typeof alias !== "string" ||
    alias === "" ||
    !/^[\w-]*$/.test(alias) ||
    alias.length > MLFLOW_LIMITS.aliasLength
  )
    invalidRequest(
      `Invalid MLflow model alias ${JSON.stringify(alias)}: use 1 to ${MLFLOW_LIMITS.aliasLength} letters, digits, '_' or '-'`,
      { alias },
    );
  if (alias.toLowerCase() === "latest" || /^v\d+$/i.test(alias))
    invalidRequest(`MLflow reserves the alias "${alias}" ("latest" and "v<number>"): choose another name`, {
      alias,
    });
}

/** JSON encoding used for every request body: non-finite numbers become MLflow's `"NaN"`, `"Infinity"`, `"-Infinity"`. */
export function encodeJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    typeof v === "number" && !Number.isFinite(v)
      ? Number.isNaN(v)
        ? "NaN"
        : v > 0
          ? "Infinity"
          : "-Infinity"
      : v,
  );
}

/** One `log-batch` request body (without `run_id`). */
export interface LogBatchChunk {
  metrics: MlflowMetric[];
  params: MlflowParam[];
  tags: MlflowTag[];
}

/**
 * Splits metrics, params and tags into `log-batch` requests that respect MLflow's limits: at most
 * 1,000 metrics, 100 params, 100 tags, 1,000 entities and `maxBytes` of JSON per request. Order is
 * kept within each kind. Params and tags go first so a run's configuration lands before its metrics.
 */
export function chunkLogBatch(
  input: { metrics?: MlflowMetric[]; params?: MlflowParam[]; tags?: MlflowTag[] },
  options: { maxBytes?: number; runIdLength?: number } = {},
): LogBatchChunk[] {
  const maxBytes = options.maxBytes ?? MLFLOW_LIMITS.batchRequestBytes;
  // `{"run_id":"<id>","metrics":[],"params":[],"tags":[]}` plus a margin.
  const overhead = 64 + (options.runIdLength ?? 32);
  const chunks: LogBatchChunk[] = [];
  let cur: LogBatchChunk = { metrics: [], params: [], tags: [] };
  let bytes = overhead;
  const count = () => cur.metrics.length + cur.params.length + cur.tags.length;
  const flush = () => {
    if (count() > 0) chunks.push(cur);
    cur = { metrics: [], params: [], tags: [] };
    bytes = overhead;
  };
  const add = <K extends keyof LogBatchChunk>(kind: K, item: LogBatchChunk[K][number], limit: number) => {
    const size = Buffer.byteLength(encodeJson(item)) + 1;
    if (size + overhead > maxBytes)
      invalidRequest(
        `An MLflow ${kind.slice(0, -1)} is ${size} bytes of JSON, more than a whole batch request may hold`,
      );
    if (cur[kind].length >= limit || count() >= MLFLOW_LIMITS.entitiesPerBatch || bytes + size > maxBytes)
      flush();
    (cur[kind] as Array<typeof item>).push(item);
    bytes += size;
  };
  for (const p of input.params ?? []) add("params", p, MLFLOW_LIMITS.paramsPerBatch);
  for (const t of input.tags ?? []) add("tags", t, MLFLOW_LIMITS.tagsPerBatch);
  for (const m of input.metrics ?? []) add("metrics", m, MLFLOW_LIMITS.metricsPerBatch);
  flush();
  return chunks;
}

/**
 * Builds a `filter` string clause `<prefix>.\`<key>\` = '<value>'`, or undefined when the key or
 * value cannot be quoted in MLflow's filter grammar (a key with a backtick, a value with both quote
 * characters): callers then filter on the client.
 */
export function filterClause(
  prefix: "tags" | "params" | "attributes",
  key: string,
  value: string,
): string | undefined {
  if (key.includes("`")) return undefined;
  const quoted = quoteFilterValue(value);
  return quoted === undefined ? undefined : `${prefix}.\`${key}\` = ${quoted}`;
}

/** Quotes a string for an MLflow filter (no escaping exists: `'…'`, else `"…"`; undefined with both quotes or a backslash). */
export function quoteFilterValue(value: string): string | undefined {
  if (value.includes("\\")) return undefined;
  if (!value.includes("'")) return `'${value}'`;
  if (!value.includes('"')) return `"${value}"`;
  return undefined;
}
