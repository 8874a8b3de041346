/**
 * A thin, typed client of MLflow's REST API (tracking, artifacts through the server's proxy, model
 * registry), on Node's fetch. Every request goes through {@link MlflowTransport} (auth, TLS,
 * timeouts, retries, error mapping); inputs are checked against MLflow's limits before sending.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readdir, readFile, stat } from "node:fs/promises";
import { dirname, extname, join, relative, sep } from "node:path";
import { type Logger, LolpopError, RemoteServiceError } from "@lolpop/core";
import {
  chunkLogBatch,
  filterClause,
  invalidRequest,
  MLFLOW_LIMITS,
  quoteFilterValue,
  validateAlias,
  validateKey,
  validateLength,
  validateMetric,
  validateParam,
  validateRegistryTag,
  validateRunTag,
} from "./mlflow-limits.js";
import {
  type MlflowConnectionConfig,
  type MlflowConnectionSettings,
  type ResolveSettingsOptions,
  resolveConnectionSettings,
} from "./mlflow-settings.js";
import { type MlflowRequest, MlflowTransport } from "./mlflow-transport.js";
import {
  type MlflowDatasetInput,
  type MlflowExperiment,
  type MlflowFileInfo,
  type MlflowMetric,
  type MlflowModelVersion,
  type MlflowPage,
  type MlflowParam,
  type MlflowRegisteredModel,
  type MlflowRun,
  type MlflowRunStatus,
  type MlflowTag,
  type MlflowViewType,
  toMetricNumber,
} from "./mlflow-types.js";

const API = "/api/2.0/mlflow";
const ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts";

/** Tag holding the client-side id of a create request, used to find its result after an ambiguous failure. */
export const REQUEST_ID_TAG = "lolpop.request_id";

/** Options of {@link MlflowClient}. */
export interface MlflowClientOptions {
  /** Resolved settings; when absent they are resolved from `config` and the environment. */
  settings?: MlflowConnectionSettings;
  /** Connection config (snake_case keys as in YAML), used when `settings` is absent. */
  config?: MlflowConnectionConfig;
  /** Options of settings resolution (environment, credentials file). */
  resolve?: ResolveSettingsOptions;
  logger?: Logger;
  /** Cancels requests and retry waits. */
  signal?: AbortSignal;
  /** Replaces fetch (ignored when TLS options are set). */
  fetch?: typeof fetch;
  /** User agent header. */
  userAgent?: string;
}

/** True when `e` is an MLflow error with the given `error_code` (e.g. `RESOURCE_DOES_NOT_EXIST`). */
export function isMlflowError(e: unknown, code?: string): e is RemoteServiceError {
  return RemoteServiceError.isInstance(e) && (code === undefined || e.serviceCode === code);
}

/** True for "does not exist" answers (404 or `RESOURCE_DOES_NOT_EXIST`). */
export function isNotFound(e: unknown): boolean {
  return (
    RemoteServiceError.isInstance(e) && (e.serviceCode === "RESOURCE_DOES_NOT_EXIST" || e.status === 404)
  );
}

/** Converts `{k: v}` to MLflow's `[{key, value}]`. */
export function toTagList(tags: Record<string, string> | undefined): MlflowTag[] {
  return Object.entries(tags ?? {}).map(([key, value]) => ({ key, value }));
}

/** Converts MLflow's `[{key, value}]` to `{k: v}`. */
export function fromTagList(tags: MlflowTag[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (typeof t.key === "string") out[t.key] = t.value ?? "";
  return out;
}

const MIME: Record<string, string> = {
  ".json": "application/json",
  ".txt": "text/plain",
  ".log": "text/plain",
  ".md": "text/markdown",
  ".html": "text/html",
  ".htm": "text/html",
  ".csv": "text/csv",
  ".yaml": "text/yaml",
  ".yml": "text/yaml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".svg": "image/svg+xml",
  ".gif": "image/gif",
  ".pdf": "application/pdf",
};

/** MIME type of an artifact from its name (MLmodel and unknown extensions: text or octet-stream). */
export function contentTypeOf(path: string): string {
  const base = path.split("/").pop() ?? path;
  if (base === "MLmodel") return "text/yaml";
  return MIME[extname(base).toLowerCase()] ?? "application/octet-stream";
}

/** Checks an artifact path: relative, `/`-separated, no `.`/`..`/empty segment. Returns it normalized (no trailing `/`). */
export function checkArtifactPath(path: string, what = "artifact path"): string {
  if (typeof path !== "string") invalidRequest(`The ${what} must be a string, got ${typeof path}`);
  const p = path.replace(/\\/g, "/").replace(/\/+$/, "");
  if (p === "") return "";
  if (p.startsWith("/") || p.split("/").some((s) => s === "" || s === "." || s === ".."))
    invalidRequest(
      `Invalid ${what} ${JSON.stringify(path)}: use a relative path with no '.', '..' or empty segment (e.g. reports/drift.html)`,
    );
  return p;
}

/**
 * Path of an artifact root below the server's artifact proxy: `mlflow-artifacts:/1/<run>/artifacts`
 * (or `mlflow-artifacts://host:port/...`, or an `http(s)://host/api/2.0/mlflow-artifacts/artifacts/...`
 * URI) gives `1/<run>/artifacts`.
 * @throws LolpopError (`mlflow_unsupported_artifact_store`) for any other scheme.
 */
export function proxyPathOf(artifactUri: string): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?\/*(.*)$/.exec(artifactUri);
  if (m) return m[1]!.replace(/\/+$/, "");
  const h = /^https?:\/\/[^/]+(?:\/.*)?\/api\/2\.0\/mlflow-artifacts\/artifacts\/*(.*)$/.exec(artifactUri);
  if (h) return h[1]!.replace(/\/+$/, "");
  throw new LolpopError({
    code: "mlflow_unsupported_artifact_store",
    message: `unsupported artifact scheme in "${artifactUri}": @lolpop/mlflow moves artifacts through the MLflow server's artifact proxy, so runs need mlflow-artifacts:/ URIs. Start the server with --serve-artifacts (the default) and --artifacts-destination, without --default-artifact-root, and use a new experiment (existing experiments keep their artifact location).`,
    details: { artifactUri },
  });
}

/** Options of {@link MlflowClient.searchRuns}. */
export interface SearchRunsOptions {
  experimentIds: string[];
  /** e.g. `metrics.rmse < 1 and params.model = 'tree'` or ``tags.`lolpop.stage` = 'train'``. */
  filter?: string;
  runViewType?: MlflowViewType;
  /** Page size (MLflow's default 1000). */
  maxResults?: number;
  /** e.g. `["attributes.start_time DESC"]`. */
  orderBy?: string[];
  pageToken?: string;
}

/** Options of the registry searches. */
export interface SearchRegistryOptions {
  /** e.g. `name='m'`, `tags.k='v'`. */
  filter?: string;
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

/** Collects all pages of a paginated search (up to `limit` items). */
export async function collectPages<T>(
  fetchPage: (pageToken: string | undefined) => Promise<MlflowPage<T>>,
  limit = Number.POSITIVE_INFINITY,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    out.push(...page.items);
    token = page.next_page_token || undefined;
  } while (token && out.length < limit);
  return out.length > limit ? out.slice(0, limit) : out;
}

function decodeMetrics(list: MlflowMetric[] | undefined): MlflowMetric[] | undefined {
  return list?.map((m) => ({ ...m, value: toMetricNumber(m.value) }));
}

function decodeRun(run: MlflowRun | undefined): MlflowRun {
  if (!run) return {};
  if (run.data?.metrics) run.data.metrics = decodeMetrics(run.data.metrics);
  if (run.info && !run.info.run_id && run.info.run_uuid) run.info.run_id = run.info.run_uuid;
  return run;
}

/** Every regular file below `root` (symlinks followed), as sorted `/`-separated relative paths. */
export async function listFilesRecursive(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const p = join(dir, e.name);
      const s = e.isSymbolicLink() ? await stat(p) : e;
      if (s.isDirectory()) await walk(p);
      else if (s.isFile()) out.push(relative(root, p).split(sep).join("/"));
    }
  };
  await walk(root);
  return out;
}

/**
 * Typed MLflow REST client. Create one per server; it is cheap and keeps connections alive.
 *
 * ```ts
 * const client = new MlflowClient({ config: { tracking_uri: "http://127.0.0.1:5000" } });
 * const exp = await client.getOrCreateExperiment("demo");
 * const run = await client.createRun({ experimentId: exp.experiment_id!, runName: "first" });
 * await client.logBatch(run.info!.run_id!, { params: [{ key: "lr", value: "0.1" }] });
 * ```
 */
export class MlflowClient {
  /** The transport (settings, retries); exposed for advanced use. */
  readonly transport: MlflowTransport;

  constructor(options: MlflowClientOptions = {}) {
    const settings = options.settings ?? resolveConnectionSettings(options.config ?? {}, options.resolve);
    this.transport = new MlflowTransport({
      settings,
      logger: options.logger,
      signal: options.signal,
      fetch: options.fetch,
      userAgent: options.userAgent,
    });
  }

  /** The server URL (without credentials). */
  get trackingUri(): string {
    return this.transport.settings.trackingUri;
  }

  /** Closes kept-alive TLS connections. */
  close(): Promise<void> {
    return this.transport.close();
  }

  private get<T>(
    path: string,
    query: MlflowRequest["query"] = {},
    extra: Partial<MlflowRequest> = {},
  ): Promise<T> {
    return this.transport.request<T>({
      method: "GET",
      path: `${API}/${path}`,
      query,
      idempotent: true,
      ...extra,
    });
  }

  private post<T>(
    path: string,
    json: unknown,
    idempotent: boolean,
    extra: Partial<MlflowRequest> = {},
  ): Promise<T> {
    return this.transport.request<T>({ method: "POST", path: `${API}/${path}`, json, idempotent, ...extra });
  }

  private send<T>(method: "PATCH" | "DELETE", path: string, json: unknown): Promise<T> {
    return this.transport.request<T>({ method, path: `${API}/${path}`, json, idempotent: true });
  }

  // ------------------------------------------------------------------ server

  /** True when `GET /health` answers 200 (one attempt, no retries). */
  async health(): Promise<boolean> {
    try {
      await this.transport.request({
        method: "GET",
        path: "/health",
        idempotent: true,
        response: "none",
        maxRetries: 0,
      });
      return true;
    } catch (e) {
      if (RemoteServiceError.isInstance(e)) return false;
      throw e;
    }
  }

  /** The server's MLflow version (`GET /version`). */
  async serverVersion(): Promise<string> {
    const bytes = await this.transport.request<Uint8Array>({
      method: "GET",
      path: "/version",
      idempotent: true,
      response: "bytes",
    });
    return Buffer.from(bytes).toString("utf8").trim();
  }

  // ------------------------------------------------------------------ experiments

  /** An experiment by id. @throws RemoteServiceError `RESOURCE_DOES_NOT_EXIST` */
  async getExperiment(experimentId: string): Promise<MlflowExperiment> {
    const r = await this.get<{ experiment?: MlflowExperiment }>("experiments/get", {
      experiment_id: experimentId,
    });
    return r.experiment ?? {};
  }

  /** An experiment by name (also a deleted one: check `lifecycle_stage`), or undefined. */
  async getExperimentByName(name: string): Promise<MlflowExperiment | undefined> {
    try {
      const r = await this.get<{ experiment?: MlflowExperiment }>("experiments/get-by-name", {
        experiment_name: name,
      });
      return r.experiment;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** Creates an experiment; returns its id. @throws RemoteServiceError `RESOURCE_ALREADY_EXISTS` when the name is taken. */
  async createExperiment(options: {
    name: string;
    artifactLocation?: string;
    tags?: Record<string, string>;
  }): Promise<string> {
    if (typeof options.name !== "string" || options.name.trim() === "")
      invalidRequest("An MLflow experiment needs a non-empty name");
    validateLength(
      `MLflow experiment name "${options.name.slice(0, 40)}…"`,
      options.name,
      MLFLOW_LIMITS.experimentNameLength,
    );
    const r = await this.post<{ experiment_id?: string }>(
      "experiments/create",
      { name: options.name, artifact_location: options.artifactLocation, tags: toTagList(options.tags) },
      false,
    );
    if (!r.experiment_id)
      throw new RemoteServiceError({
        service: "mlflow",
        message: "MLflow experiments/create returned no experiment_id",
      });
    return r.experiment_id;
  }

  /**
   * The experiment named `name`, created when missing (safe against a concurrent creation). A
   * deleted experiment keeps its name in MLflow: it is restored when `restoreDeleted` is true,
   * otherwise this throws (code `mlflow_experiment_deleted`) with what to do.
   */
  async getOrCreateExperiment(
    name: string,
    options: { restoreDeleted?: boolean; tags?: Record<string, string>; artifactLocation?: string } = {},
  ): Promise<MlflowExperiment> {
    for (let round = 0; round < 3; round++) {
      const found = await this.getExperimentByName(name);
      if (found) {
        if (found.lifecycle_stage !== "deleted") return found;
        if (!options.restoreDeleted)
          throw new LolpopError({
            code: "mlflow_experiment_deleted",
            message: `MLflow experiment "${name}" (id ${found.experiment_id}) is deleted, and MLflow keeps the name of a deleted experiment. Restore it (set restore_deleted_experiment: true, or \`mlflow experiments restore --experiment-id ${found.experiment_id}\`), delete it permanently (\`mlflow gc\`), or choose another experiment_name.`,
            details: { experiment: name, experiment_id: found.experiment_id },
          });
        await this.restoreExperiment(found.experiment_id!);
        return { ...found, lifecycle_stage: "active" };
      }
      try {
        const id = await this.createExperiment({
          name,
          tags: options.tags,
          artifactLocation: options.artifactLocation,
        });
        return await this.getExperiment(id);
      } catch (e) {
        if (!isMlflowError(e, "RESOURCE_ALREADY_EXISTS")) throw e;
        // Created concurrently (or deleted meanwhile): look it up again.
      }
    }
    throw new RemoteServiceError({
      service: "mlflow",
      message: `MLflow experiment "${name}" could neither be found nor created (it keeps being created and deleted concurrently)`,
    });
  }

  /** One page of experiments. */
  async searchExperiments(
    options: {
      filter?: string;
      orderBy?: string[];
      viewType?: MlflowViewType;
      maxResults?: number;
      pageToken?: string;
    } = {},
  ): Promise<MlflowPage<MlflowExperiment>> {
    const r = await this.post<{ experiments?: MlflowExperiment[]; next_page_token?: string }>(
      "experiments/search",
      {
        filter: options.filter,
        order_by: options.orderBy,
        view_type: options.viewType,
        max_results: options.maxResults ?? 1000,
        page_token: options.pageToken,
      },
      true,
    );
    return { items: r.experiments ?? [], next_page_token: r.next_page_token };
  }

  /** Marks an experiment deleted. */
  async deleteExperiment(experimentId: string): Promise<void> {
    await this.post("experiments/delete", { experiment_id: experimentId }, true);
  }

  /** Restores a deleted experiment. */
  async restoreExperiment(experimentId: string): Promise<void> {
    await this.post("experiments/restore", { experiment_id: experimentId }, true);
  }

  /** Sets an experiment tag. */
  async setExperimentTag(experimentId: string, key: string, value: string): Promise<void> {
    validateKey("tag", key);
    validateLength(`MLflow experiment tag "${key}"`, value, 5000);
    await this.post("experiments/set-experiment-tag", { experiment_id: experimentId, key, value }, true);
  }

  // ------------------------------------------------------------------ runs

  /**
   * Creates a run. The request carries a `lolpop.request_id` tag, so after an ambiguous failure
   * (timeout, broken connection, 5xx) the run is looked up before creating it again: retries never
   * leave duplicate runs.
   */
  async createRun(options: {
    experimentId: string;
    runName?: string;
    /** Milliseconds since the epoch (default now). */
    startTime?: number;
    tags?: Record<string, string>;
  }): Promise<MlflowRun> {
    const requestId = randomUUID();
    const tags = { ...options.tags, [REQUEST_ID_TAG]: requestId };
    for (const t of toTagList(tags)) validateRunTag(t);
    const r = await this.post<{ run?: MlflowRun }>(
      "runs/create",
      {
        experiment_id: options.experimentId,
        run_name: options.runName,
        start_time: options.startTime ?? Date.now(),
        tags: toTagList(tags),
      },
      false,
      {
        recover: async () => {
          const page = await this.searchRuns({
            experimentIds: [options.experimentId],
            filter: filterClause("tags", REQUEST_ID_TAG, requestId),
            maxResults: 1,
          });
          return page.items[0] ? { run: page.items[0] } : undefined;
        },
      },
    );
    return decodeRun(r.run);
  }

  /** Updates status, end time or name of a run. */
  async updateRun(options: {
    runId: string;
    status?: MlflowRunStatus;
    /** Milliseconds since the epoch. */
    endTime?: number;
    runName?: string;
  }): Promise<void> {
    await this.post(
      "runs/update",
      { run_id: options.runId, status: options.status, end_time: options.endTime, run_name: options.runName },
      true,
    );
  }

  /** A run with its latest metrics, params, tags and inputs. @throws RemoteServiceError `RESOURCE_DOES_NOT_EXIST` */
  async getRun(runId: string): Promise<MlflowRun> {
    const r = await this.get<{ run?: MlflowRun }>("runs/get", { run_id: runId });
    return decodeRun(r.run);
  }

  /** One page of runs. */
  async searchRuns(options: SearchRunsOptions): Promise<MlflowPage<MlflowRun>> {
    const r = await this.post<{ runs?: MlflowRun[]; next_page_token?: string }>(
      "runs/search",
      {
        experiment_ids: options.experimentIds,
        filter: options.filter,
        run_view_type: options.runViewType,
        max_results: options.maxResults ?? 1000,
        order_by: options.orderBy,
        page_token: options.pageToken,
      },
      true,
    );
    return { items: (r.runs ?? []).map(decodeRun), next_page_token: r.next_page_token };
  }

  /** All runs matching (every page), up to `limit`. */
  searchAllRuns(options: Omit<SearchRunsOptions, "pageToken">, limit?: number): Promise<MlflowRun[]> {
    return collectPages(
      (pageToken) =>
        this.searchRuns({
          ...options,
          pageToken,
          maxResults: Math.min(options.maxResults ?? 1000, limit ?? Number.POSITIVE_INFINITY),
        }),
      limit,
    );
  }

  /** Marks a run deleted. */
  async deleteRun(runId: string): Promise<void> {
    await this.post("runs/delete", { run_id: runId }, true);
  }

  /** Restores a deleted run. */
  async restoreRun(runId: string): Promise<void> {
    await this.post("runs/restore", { run_id: runId }, true);
  }

  /** Logs one param (MLflow params are immutable: a different value for a logged key is an error). */
  async logParam(runId: string, key: string, value: string): Promise<void> {
    validateParam({ key, value });
    await this.post("runs/log-parameter", { run_id: runId, key, value }, true);
  }

  /** Logs one metric point. Not retried on ambiguous failures (a retry could append a duplicate point): prefer {@link logBatch}. */
  async logMetric(
    runId: string,
    key: string,
    value: number,
    options: { timestamp?: number; step?: number } = {},
  ): Promise<void> {
    const m: MlflowMetric = {
      key,
      value,
      timestamp: options.timestamp ?? Date.now(),
      step: options.step ?? 0,
    };
    validateMetric(m);
    await this.post("runs/log-metric", { run_id: runId, ...m }, false);
  }

  /** Sets a run tag. */
  async setTag(runId: string, key: string, value: string): Promise<void> {
    validateRunTag({ key, value });
    await this.post("runs/set-tag", { run_id: runId, key, value }, true);
  }

  /** Deletes a run tag. */
  async deleteTag(runId: string, key: string): Promise<void> {
    validateKey("tag", key);
    await this.post("runs/delete-tag", { run_id: runId, key }, true);
  }

  /**
   * Logs metrics, params and tags in as few `log-batch` requests as MLflow's limits allow (1,000
   * metrics, 100 params, 100 tags, 1,000 entities, 1 MB per request). Everything is validated
   * before the first request. Retried like idempotent calls: with client-side timestamps MLflow's
   * SQL store ignores a point it already has, a param with the same value, and a tag set twice.
   * @returns the number of requests sent.
   */
  async logBatch(
    runId: string,
    batch: { metrics?: MlflowMetric[]; params?: MlflowParam[]; tags?: MlflowTag[] },
  ): Promise<number> {
    const metrics = batch.metrics ?? [];
    const params = batch.params ?? [];
    const tags = batch.tags ?? [];
    for (const m of metrics) validateMetric(m);
    const seen = new Map<string, string>();
    for (const p of params) {
      validateParam(p);
      const before = seen.get(p.key);
      if (before !== undefined && before !== p.value)
        invalidRequest(`MLflow param "${p.key}" is given twice with different values in one batch`, {
          key: p.key,
        });
      seen.set(p.key, p.value);
    }
    for (const t of tags) validateRunTag(t as MlflowTag);
    const uniqueParams = [...seen].map(([key, value]) => ({ key, value }));
    const chunks = chunkLogBatch({ metrics, params: uniqueParams, tags }, { runIdLength: runId.length });
    for (const c of chunks)
      await this.post(
        "runs/log-batch",
        { run_id: runId, metrics: c.metrics, params: c.params, tags: c.tags },
        true,
      );
    return chunks.length;
  }

  /** Records datasets as inputs of a run (idempotent: MLflow keeps one input per dataset). */
  async logInputs(runId: string, datasets: MlflowDatasetInput[]): Promise<void> {
    for (const d of datasets) {
      const ds = d.dataset;
      if (!ds || typeof ds.name !== "string" || ds.name === "")
        invalidRequest("An MLflow dataset needs a name");
      validateLength(
        `MLflow dataset name "${ds.name.slice(0, 40)}"`,
        ds.name,
        MLFLOW_LIMITS.datasetNameLength,
      );
      validateLength(`MLflow dataset "${ds.name}" digest`, ds.digest, MLFLOW_LIMITS.datasetDigestLength);
      validateLength(`MLflow dataset "${ds.name}" source`, ds.source, MLFLOW_LIMITS.datasetSourceLength);
      if (ds.schema !== undefined)
        validateLength(`MLflow dataset "${ds.name}" schema`, ds.schema, MLFLOW_LIMITS.datasetSchemaLength);
      if (ds.profile !== undefined)
        validateLength(`MLflow dataset "${ds.name}" profile`, ds.profile, MLFLOW_LIMITS.datasetProfileLength);
      for (const t of d.tags ?? []) {
        validateLength(`MLflow dataset input tag key "${t.key}"`, t.key, MLFLOW_LIMITS.inputTagKeyLength);
        validateLength(
          `MLflow dataset input tag "${t.key}"`,
          t.value ?? "",
          MLFLOW_LIMITS.inputTagValueLength,
        );
      }
    }
    for (let i = 0; i < datasets.length; i += MLFLOW_LIMITS.datasetsPerRequest)
      await this.post(
        "runs/log-inputs",
        { run_id: runId, datasets: datasets.slice(i, i + MLFLOW_LIMITS.datasetsPerRequest) },
        true,
      );
  }

  /** Every point of one metric (all pages), in the server's order. */
  async getMetricHistory(runId: string, key: string): Promise<MlflowMetric[]> {
    return collectPages(async (pageToken) => {
      const r = await this.get<{ metrics?: MlflowMetric[]; next_page_token?: string }>(
        "metrics/get-history",
        {
          run_id: runId,
          metric_key: key,
          max_results: 25000,
          page_token: pageToken,
        },
      );
      return { items: decodeMetrics(r.metrics) ?? [], next_page_token: r.next_page_token };
    });
  }

  // ------------------------------------------------------------------ artifacts (server proxy)

  private artifactUrlPath(artifactUri: string, path: string): string {
    const root = proxyPathOf(artifactUri);
    const rel = checkArtifactPath(path);
    const full = [root, rel].filter((s) => s !== "").join("/");
    return `${ARTIFACTS}/${full.split("/").map(encodeURIComponent).join("/")}`;
  }

  /** Uploads one artifact (bytes or text) to `<artifactUri>/<path>`. */
  async uploadArtifact(
    artifactUri: string,
    path: string,
    content: string | Uint8Array,
    contentType?: string,
  ): Promise<void> {
    if (checkArtifactPath(path) === "")
      invalidRequest("An artifact upload needs a file path below the artifact root");
    const bytes = typeof content === "string" ? new TextEncoder().encode(content) : content;
    await this.transport.request({
      method: "PUT",
      path: this.artifactUrlPath(artifactUri, path),
      body: bytes,
      contentType: contentType ?? contentTypeOf(path),
      idempotent: true,
      response: "none",
    });
  }

  /** Uploads a local file to `<artifactUri>/<path>` (read again on each retry). */
  async uploadFile(artifactUri: string, path: string, file: string): Promise<void> {
    if (checkArtifactPath(path) === "")
      invalidRequest("An artifact upload needs a file path below the artifact root");
    await this.transport.request({
      method: "PUT",
      path: this.artifactUrlPath(artifactUri, path),
      body: async () => new Uint8Array(await readFile(file)),
      contentType: contentTypeOf(path),
      idempotent: true,
      response: "none",
    });
  }

  /** Uploads every file below `dir` to `<artifactUri>/<prefix>/...`; returns the uploaded paths (relative to `prefix`). */
  async uploadDirectory(artifactUri: string, prefix: string, dir: string): Promise<string[]> {
    const base = checkArtifactPath(prefix);
    const files = await listFilesRecursive(dir);
    for (const f of files)
      await this.uploadFile(artifactUri, base ? `${base}/${f}` : f, join(dir, ...f.split("/")));
    return files;
  }

  /** One level of the artifact folder `<artifactUri>/<path>`; entry paths are relative to that folder. Missing folder: []. */
  async listArtifacts(artifactUri: string, path = ""): Promise<MlflowFileInfo[]> {
    const root = proxyPathOf(artifactUri);
    const rel = checkArtifactPath(path);
    const r = await this.transport.request<{ files?: MlflowFileInfo[] }>({
      method: "GET",
      path: ARTIFACTS,
      query: { path: [root, rel].filter((s) => s !== "").join("/") },
      idempotent: true,
    });
    return (r.files ?? []).map((f) => ({ ...f, path: (f.path ?? "").split("/").pop() ?? "" }));
  }

  /** Every file below `<artifactUri>/<path>`, as paths relative to it, sorted. */
  async listArtifactsRecursive(artifactUri: string, path = ""): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string) => {
      for (const f of await this.listArtifacts(
        artifactUri,
        [checkArtifactPath(path), rel].filter(Boolean).join("/"),
      )) {
        const child = rel ? `${rel}/${f.path}` : f.path!;
        if (f.is_dir) await walk(child);
        else out.push(child);
      }
    };
    await walk("");
    return out.sort();
  }

  /** Downloads one artifact into memory. */
  async downloadArtifact(artifactUri: string, path: string): Promise<Uint8Array> {
    return this.transport.request<Uint8Array>({
      method: "GET",
      path: this.artifactUrlPath(artifactUri, path),
      idempotent: true,
      response: "bytes",
    });
  }

  /** Streams one artifact into a local file (atomic: a temp file renamed into place). */
  async downloadArtifactToFile(artifactUri: string, path: string, dest: string): Promise<void> {
    await mkdir(dirname(dest), { recursive: true });
    await this.transport.download({ method: "GET", path: this.artifactUrlPath(artifactUri, path) }, dest);
  }

  /** Downloads every file below `<artifactUri>/<path>` into `destDir`; returns the relative paths. */
  async downloadArtifacts(artifactUri: string, path: string, destDir: string): Promise<string[]> {
    const base = checkArtifactPath(path);
    const files = await this.listArtifactsRecursive(artifactUri, base);
    for (const f of files)
      await this.downloadArtifactToFile(
        artifactUri,
        base ? `${base}/${f}` : f,
        join(destDir, ...f.split("/")),
      );
    return files;
  }

  /** Deletes an artifact file or folder through the proxy. */
  async deleteArtifact(artifactUri: string, path: string): Promise<void> {
    await this.transport.request({
      method: "DELETE",
      path: this.artifactUrlPath(artifactUri, path),
      idempotent: true,
      response: "none",
    });
  }

  // ------------------------------------------------------------------ registered models

  /** Creates a registered model. @throws RemoteServiceError `RESOURCE_ALREADY_EXISTS` */
  async createRegisteredModel(options: {
    name: string;
    tags?: Record<string, string>;
    description?: string;
  }): Promise<MlflowRegisteredModel> {
    if (typeof options.name !== "string" || options.name === "")
      invalidRequest("A registered model needs a name");
    const tags = toTagList(options.tags);
    for (const t of tags) validateRegistryTag(t);
    const r = await this.post<{ registered_model?: MlflowRegisteredModel }>(
      "registered-models/create",
      { name: options.name, tags, description: options.description },
      false,
    );
    return r.registered_model ?? {};
  }

  /** A registered model with its aliases and latest versions. @throws RemoteServiceError `RESOURCE_DOES_NOT_EXIST` */
  async getRegisteredModel(name: string): Promise<MlflowRegisteredModel> {
    const r = await this.get<{ registered_model?: MlflowRegisteredModel }>("registered-models/get", { name });
    return r.registered_model ?? {};
  }

  /** A registered model, or undefined when there is none of that name. */
  async findRegisteredModel(name: string): Promise<MlflowRegisteredModel | undefined> {
    try {
      return await this.getRegisteredModel(name);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /** The registered model `name`, created when missing (safe against a concurrent creation). */
  async getOrCreateRegisteredModel(
    name: string,
    options: { description?: string } = {},
  ): Promise<MlflowRegisteredModel> {
    const found = await this.findRegisteredModel(name);
    if (found) return found;
    try {
      return await this.createRegisteredModel({ name, description: options.description });
    } catch (e) {
      if (isMlflowError(e, "RESOURCE_ALREADY_EXISTS")) return this.getRegisteredModel(name);
      throw e;
    }
  }

  /** One page of registered models. */
  async searchRegisteredModels(
    options: SearchRegistryOptions = {},
  ): Promise<MlflowPage<MlflowRegisteredModel>> {
    const r = await this.get<{ registered_models?: MlflowRegisteredModel[]; next_page_token?: string }>(
      "registered-models/search",
      {
        filter: options.filter,
        max_results: options.maxResults ?? 100,
        order_by: options.orderBy,
        page_token: options.pageToken,
      },
    );
    return { items: r.registered_models ?? [], next_page_token: r.next_page_token };
  }

  /** All registered models matching (every page), up to `limit`. */
  searchAllRegisteredModels(options: Omit<SearchRegistryOptions, "pageToken"> = {}, limit?: number) {
    return collectPages((pageToken) => this.searchRegisteredModels({ ...options, pageToken }), limit);
  }

  /** Sets a registered model's description. */
  async updateRegisteredModel(name: string, description: string): Promise<void> {
    await this.send("PATCH", "registered-models/update", { name, description });
  }

  /** Renames a registered model. */
  async renameRegisteredModel(name: string, newName: string): Promise<void> {
    await this.post("registered-models/rename", { name, new_name: newName }, false);
  }

  /** Deletes a registered model and its versions. */
  async deleteRegisteredModel(name: string): Promise<void> {
    await this.send("DELETE", "registered-models/delete", { name });
  }

  /** Sets a registered model tag. */
  async setRegisteredModelTag(name: string, key: string, value: string): Promise<void> {
    validateRegistryTag({ key, value });
    await this.post("registered-models/set-tag", { name, key, value }, true);
  }

  /** Deletes a registered model tag. */
  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    await this.send("DELETE", "registered-models/delete-tag", { name, key });
  }

  // ------------------------------------------------------------------ model versions

  /**
   * Registers a new version of `name` from `source` (e.g. `<run artifact_uri>/model`). The request
   * carries a `lolpop.request_id` tag so an ambiguous failure never leaves a duplicate version.
   */
  async createModelVersion(options: {
    name: string;
    source: string;
    runId?: string;
    tags?: Record<string, string>;
    runLink?: string;
    description?: string;
  }): Promise<MlflowModelVersion> {
    const requestId = randomUUID();
    const tags = toTagList({ ...options.tags, [REQUEST_ID_TAG]: requestId });
    for (const t of tags) validateRegistryTag(t);
    const nameQuoted = quoteFilterValue(options.name);
    const r = await this.post<{ model_version?: MlflowModelVersion }>(
      "model-versions/create",
      {
        name: options.name,
        source: options.source,
        run_id: options.runId,
        tags,
        run_link: options.runLink,
        description: options.description,
      },
      false,
      {
        recover: nameQuoted
          ? async () => {
              const page = await this.searchModelVersions({
                filter: `name = ${nameQuoted} and ${filterClause("tags", REQUEST_ID_TAG, requestId)}`,
                maxResults: 10,
              });
              return page.items[0] ? { model_version: page.items[0] } : undefined;
            }
          : undefined,
      },
    );
    return r.model_version ?? {};
  }

  /** One model version (with its aliases and tags). @throws RemoteServiceError `RESOURCE_DOES_NOT_EXIST` */
  async getModelVersion(name: string, version: number | string): Promise<MlflowModelVersion> {
    const r = await this.get<{ model_version?: MlflowModelVersion }>("model-versions/get", {
      name,
      version: String(version),
    });
    return r.model_version ?? {};
  }

  /** Polls a version until it leaves `PENDING_REGISTRATION`. @throws when it fails or `timeoutMs` passes. */
  async waitForModelVersion(
    name: string,
    version: number | string,
    options: { timeoutMs?: number; intervalMs?: number } = {},
  ): Promise<MlflowModelVersion> {
    const deadline = Date.now() + (options.timeoutMs ?? 300_000);
    for (;;) {
      const mv = await this.getModelVersion(name, version);
      if (mv.status === "FAILED_REGISTRATION")
        throw new RemoteServiceError({
          service: "mlflow",
          message: `MLflow could not register ${name} version ${version}: ${mv.status_message ?? "FAILED_REGISTRATION"}`,
          serviceCode: "FAILED_REGISTRATION",
        });
      if (mv.status !== "PENDING_REGISTRATION") return mv;
      if (Date.now() > deadline)
        throw new RemoteServiceError({
          service: "mlflow",
          message: `MLflow model ${name} version ${version} is still PENDING_REGISTRATION after ${Math.round((options.timeoutMs ?? 300_000) / 1000)} s`,
        });
      await new Promise((r) => setTimeout(r, options.intervalMs ?? 500));
    }
  }

  /** Sets a model version's description. */
  async updateModelVersion(name: string, version: number | string, description: string): Promise<void> {
    await this.send("PATCH", "model-versions/update", { name, version: String(version), description });
  }

  /** Deletes a model version. */
  async deleteModelVersion(name: string, version: number | string): Promise<void> {
    await this.send("DELETE", "model-versions/delete", { name, version: String(version) });
  }

  /** One page of model versions (search results carry no aliases). */
  async searchModelVersions(options: SearchRegistryOptions = {}): Promise<MlflowPage<MlflowModelVersion>> {
    const r = await this.get<{ model_versions?: MlflowModelVersion[]; next_page_token?: string }>(
      "model-versions/search",
      {
        filter: options.filter,
        max_results: options.maxResults ?? 1000,
        order_by: options.orderBy,
        page_token: options.pageToken,
      },
    );
    return { items: r.model_versions ?? [], next_page_token: r.next_page_token };
  }

  /** All model versions matching (every page), up to `limit`. */
  searchAllModelVersions(options: Omit<SearchRegistryOptions, "pageToken"> = {}, limit?: number) {
    return collectPages((pageToken) => this.searchModelVersions({ ...options, pageToken }), limit);
  }

  /** Where a version's files are (`artifact_uri`). */
  async getModelVersionDownloadUri(name: string, version: number | string): Promise<string> {
    const r = await this.get<{ artifact_uri?: string }>("model-versions/get-download-uri", {
      name,
      version: String(version),
    });
    if (!r.artifact_uri)
      throw new RemoteServiceError({
        service: "mlflow",
        message: `MLflow gave no download URI for ${name} version ${version}`,
      });
    return r.artifact_uri;
  }

  /** Sets a model version tag. */
  async setModelVersionTag(
    name: string,
    version: number | string,
    key: string,
    value: string,
  ): Promise<void> {
    validateRegistryTag({ key, value });
    await this.post("model-versions/set-tag", { name, version: String(version), key, value }, true);
  }

  /** Deletes a model version tag. */
  async deleteModelVersionTag(name: string, version: number | string, key: string): Promise<void> {
    await this.send("DELETE", "model-versions/delete-tag", { name, version: String(version), key });
  }

  // ------------------------------------------------------------------ aliases

  /** Points `alias` of `name` at `version` (moving it when it points elsewhere). */
  async setRegisteredModelAlias(name: string, alias: string, version: number | string): Promise<void> {
    validateAlias(alias);
    await this.post("registered-models/alias", { name, alias, version: String(version) }, true);
  }

  /** Removes an alias. */
  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateAlias(alias);
    await this.send("DELETE", "registered-models/alias", { name, alias });
  }

  /**
   * The version `alias` points at, or undefined when the model or the alias does not exist (MLflow
   * answers a missing alias with 400 `INVALID_PARAMETER_VALUE`; this checks the model's aliases
   * before treating that as "no alias").
   */
  async getModelVersionByAlias(name: string, alias: string): Promise<MlflowModelVersion | undefined> {
    validateAlias(alias);
    try {
      const r = await this.get<{ model_version?: MlflowModelVersion }>("registered-models/alias", {
        name,
        alias,
      });
      return r.model_version;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      if (isMlflowError(e, "INVALID_PARAMETER_VALUE")) {
        const model = await this.findRegisteredModel(name);
        if (!model || !(model.aliases ?? []).some((a) => a.alias === alias)) return undefined;
      }
      throw e;
    }
  }
}

/** Reads a metric value from a model version tag (numbers stored as text). */
export function parseNumberTag(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = toMetricNumber(value);
  return Number.isNaN(n) && value !== "NaN" ? undefined : n;
}
