/**
 * `MLflowMetadataTracker` (kind `metadata_tracker`): lolpop runs as MLflow runs.
 *
 * - A workflow run is an MLflow run in the configured experiment; pipeline stages, tuning trials
 *   and prediction jobs are nested runs (tag `mlflow.parentRunId`).
 * - Params and tags go out at once through `log-batch` (split to MLflow's limits, values checked
 *   and redacted first). Metrics are buffered and sent in batches of up to 1,000 points: when the
 *   buffer holds 1,000 points, every `flush_interval_ms`, and before `end_run` (all runs' points)
 *   and `get_run` (that run's points) return. A point keeps the timestamp of its `log_metrics` call. When the server cannot be
 *   reached the points stay buffered and are sent later, so a run that ends after a short outage
 *   still has every metric.
 * - Datasets become MLflow dataset inputs (`runs/log-inputs`), with the full lolpop fingerprint,
 *   schema and roles; artifacts go through the server's artifact proxy; root runs carry lineage
 *   tags (`mlflow.source.*`, git commit, config hash).
 */
import { stat } from "node:fs/promises";
import { userInfo } from "node:os";
import {
  type ArtifactContent,
  type DatasetInfo,
  defineComponent,
  isSecretKey,
  type LineageRecorder,
  type Logger,
  LolpopError,
  type MetadataTracker,
  REDACTED,
  RemoteServiceError,
  RUN_STATUSES,
  type RunInfo,
  type RunRecord,
  type RunStatus,
  type RunSummary,
  redactText,
  runStatusFilter,
  runTimeFilter,
  silentLogger,
  stringifyParam,
} from "@lolpop/core";
import {
  checkArtifactPath,
  fromTagList,
  isNotFound,
  type MlflowClient,
  REQUEST_ID_TAG,
} from "./mlflow-client.js";
import {
  checkConnectionConfig,
  clientFromContext,
  defaultExperimentName,
  mlflowConfigSchema,
  type PackageInfo,
} from "./mlflow-component-config.js";
import { filterClause, MLFLOW_LIMITS, validateKey } from "./mlflow-limits.js";
import type { MlflowConnectionConfig } from "./mlflow-settings.js";
import type {
  MlflowDatasetInput,
  MlflowExperiment,
  MlflowMetric,
  MlflowRun,
  MlflowTag,
} from "./mlflow-types.js";

/** Tags lolpop reads back to rebuild {@link RunInfo} (MLflow's own names). */
export const MLFLOW_TAGS = {
  parentRunId: "mlflow.parentRunId",
  runName: "mlflow.runName",
  user: "mlflow.user",
  sourceName: "mlflow.source.name",
  sourceType: "mlflow.source.type",
  gitCommit: "mlflow.source.git.commit",
  datasetContext: "mlflow.data.context",
} as const;

/** Config of {@link mlflowMetadataTracker}. */
export interface MlflowMetadataTrackerConfig extends MlflowConnectionConfig {
  experiment_name?: string | null;
  restore_deleted_experiment?: boolean;
  flush_interval_ms?: number;
  max_buffered_points?: number;
  truncate_long_values?: boolean;
}

/** Options of {@link createMlflowMetadataTracker}. */
export interface MlflowMetadataTrackerOptions {
  client: MlflowClient;
  /** Experiment runs are created in (created when missing). */
  experimentName: string;
  /** Restore the experiment when it was deleted (else an error says what to do). Default false. */
  restoreDeletedExperiment?: boolean;
  /** Truncate param values over 6,000 and tag values over 8,000 characters (with a warning) instead of failing. Default true. */
  truncateLongValues?: boolean;
  /** Buffered metrics are sent at least this often, in ms. Default 2000. */
  flushIntervalMs?: number;
  /** Above this many buffered points, `log_metrics` waits for a flush. Default 100,000. */
  maxBufferedPoints?: number;
  logger?: Logger;
  /** Lineage of the workflow, recorded as tags of root runs. */
  lineage?: LineageRecorder;
}

/** A metadata tracker backed by an MLflow server. */
export type MlflowMetadataTracker = MetadataTracker & {
  /** The REST client (for anything the contract does not cover). */
  readonly client: MlflowClient;
  /** The tracker's experiment (created on first use). */
  experiment(): Promise<MlflowExperiment>;
  /** Sends buffered metrics now (of one run, or of all runs). */
  flush(run_id?: string): Promise<void>;
  /** Metric points still buffered (of one run, or of all runs). */
  pending_metrics(run_id?: string): number;
  /** Flushes every buffered metric and releases the timer and connections. */
  close(): Promise<void>;
  delete_run: NonNullable<MetadataTracker["delete_run"]>;
};

const HIDDEN_TAG = (k: string) => k.startsWith("mlflow.") || k === REQUEST_ID_TAG;

function iso(ms: number | undefined): string | undefined {
  return typeof ms === "number" && Number.isFinite(ms) && ms > 0 ? new Date(ms).toISOString() : undefined;
}

/** The latest value of each metric of an MLflow run (`data.metrics`, as get-run and search return it). */
function latestMetrics(run: MlflowRun): Record<string, number> {
  const metrics: Record<string, number> = {};
  for (const m of run.data?.metrics ?? []) metrics[m.key] = m.value;
  return metrics;
}

/** Maps an MLflow run to lolpop's {@link RunInfo} (MLflow's own `mlflow.*` tags hidden). */
export function toRunInfo(run: MlflowRun): RunInfo {
  const all = fromTagList(run.data?.tags);
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(all)) if (!HIDDEN_TAG(k)) tags[k] = v;
  const status = run.info?.status === "SCHEDULED" ? "RUNNING" : (run.info?.status ?? "RUNNING");
  const ended = iso(run.info?.end_time);
  return {
    id: run.info?.run_id ?? "",
    name: run.info?.run_name ?? all[MLFLOW_TAGS.runName] ?? "",
    ...(all[MLFLOW_TAGS.parentRunId] ? { parent_id: all[MLFLOW_TAGS.parentRunId] } : {}),
    status: status as RunStatus,
    started_at: iso(run.info?.start_time) ?? new Date(0).toISOString(),
    ...(ended ? { ended_at: ended } : {}),
    tags,
  };
}

/** Maps a lolpop dataset to an MLflow dataset input (digest: the fingerprint's first 36 characters; the full one is in the profile). */
export function toDatasetInput(d: DatasetInfo): MlflowDatasetInput {
  const source = d.source;
  const scheme = source ? /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase() : undefined;
  const sourceType = !source
    ? "code"
    : scheme === "file" || !scheme
      ? "local"
      : scheme === "https"
        ? "http"
        : scheme;
  const schema = d.schema
    ? JSON.stringify({
        mlflow_colspec: d.schema.map((c) => ({
          type: c.type === "numeric" ? "double" : "string",
          name: c.name,
          required: false,
        })),
        lolpop_schema: d.schema,
      })
    : undefined;
  const tags: MlflowTag[] = [{ key: "lolpop.fingerprint", value: d.fingerprint }];
  if (d.context) tags.unshift({ key: MLFLOW_TAGS.datasetContext, value: d.context });
  return {
    tags,
    dataset: {
      name: d.name,
      digest: d.fingerprint.slice(0, MLFLOW_LIMITS.datasetDigestLength),
      source_type: sourceType,
      source: JSON.stringify(source ? { uri: source } : { tags: { "lolpop.source": "in-memory" } }),
      ...(schema ? { schema } : {}),
      profile: JSON.stringify({
        num_rows: d.rows,
        num_columns: d.columns,
        num_elements: d.rows * d.columns,
        fingerprint: d.fingerprint,
      }),
    },
  };
}

/** Maps an MLflow dataset input back to lolpop's {@link DatasetInfo}. */
export function fromDatasetInput(input: MlflowDatasetInput): DatasetInfo {
  const tags = fromTagList(input.tags);
  const parse = (s: string | undefined): Record<string, unknown> => {
    try {
      const v = s ? JSON.parse(s) : {};
      return v && typeof v === "object" ? (v as Record<string, unknown>) : {};
    } catch {
      return {};
    }
  };
  const profile = parse(input.dataset.profile);
  const source = parse(input.dataset.source);
  const schema = parse(input.dataset.schema);
  const lolpopSchema = Array.isArray(schema.lolpop_schema)
    ? (schema.lolpop_schema as DatasetInfo["schema"])
    : undefined;
  const context = tags[MLFLOW_TAGS.datasetContext] as DatasetInfo["context"] | undefined;
  return {
    name: input.dataset.name,
    fingerprint:
      tags["lolpop.fingerprint"] ??
      (typeof profile.fingerprint === "string" ? profile.fingerprint : input.dataset.digest),
    rows: typeof profile.num_rows === "number" ? profile.num_rows : 0,
    columns: typeof profile.num_columns === "number" ? profile.num_columns : (lolpopSchema?.length ?? 0),
    ...(typeof source.uri === "string" ? { source: source.uri } : {}),
    ...(context ? { context } : {}),
    ...(lolpopSchema ? { schema: lolpopSchema } : {}),
  };
}

// Trackers with buffered points flush before the process exits on its own (once: when that
// flush fails too, the process is allowed to exit and the loss is reported).
interface PendingTracker {
  flushAllQuietly(): Promise<void>;
  pending(): number;
  logger: Logger;
}
const pendingTrackers = new Set<PendingTracker>();
const exitFlushed = new WeakSet<PendingTracker>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("beforeExit", () => {
    for (const t of [...pendingTrackers]) {
      if (t.pending() === 0) pendingTrackers.delete(t);
      else if (exitFlushed.has(t)) {
        pendingTrackers.delete(t);
        t.logger.error(`${t.pending()} MLflow metric points could not be sent before the process exited`);
      } else {
        exitFlushed.add(t);
        void t.flushAllQuietly();
      }
    }
  });
}

/**
 * Creates the tracker. Exposed for library use; workflows use the {@link mlflowMetadataTracker}
 * component.
 */
export function createMlflowMetadataTracker(options: MlflowMetadataTrackerOptions): MlflowMetadataTracker {
  const client = options.client;
  const logger = options.logger ?? silentLogger;
  const truncate = options.truncateLongValues ?? true;
  const interval = options.flushIntervalMs ?? 2000;
  const maxBuffered = options.maxBufferedPoints ?? 100_000;

  let experimentPromise: Promise<MlflowExperiment> | undefined;
  const experiment = (): Promise<MlflowExperiment> => {
    experimentPromise ??= client
      .getOrCreateExperiment(options.experimentName, { restoreDeleted: options.restoreDeletedExperiment })
      .catch((e) => {
        experimentPromise = undefined;
        throw e;
      });
    return experimentPromise;
  };

  /** artifact_uri by run id, for runs this tracker created or read. */
  const artifactUris = new Map<string, string>();
  const runArtifactUri = async (runId: string): Promise<string> => {
    const known = artifactUris.get(runId);
    if (known) return known;
    const run = await client.getRun(runId);
    const uri = run.info?.artifact_uri;
    if (!uri)
      throw new RemoteServiceError({ service: "mlflow", message: `MLflow run ${runId} has no artifact_uri` });
    artifactUris.set(runId, uri);
    return uri;
  };

  // ---------------------------------------------------------------- metric buffer
  const buffers = new Map<string, MlflowMetric[]>();
  const lost = new Map<string, { error: unknown; points: number }>();
  let total = 0;
  let queue: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  let sizeFlushQueued = false;
  let lastWarning = "";

  const enqueue = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = queue.then(fn);
    queue = p.catch(() => undefined);
    return p;
  };

  const requeue = (runId: string, points: MlflowMetric[]) => {
    if (points.length === 0) return;
    const cur = buffers.get(runId) ?? [];
    buffers.set(runId, [...points, ...cur]);
    total += points.length;
  };

  /** A failure no retry can fix: the points are dropped and reported by the next end_run/flush of the run. */
  const isPermanent = (e: unknown) =>
    LolpopError.isInstance(e) &&
    (!RemoteServiceError.isInstance(e) ||
      (e.status !== undefined && e.status >= 400 && e.status < 500 && e.status !== 408 && e.status !== 429));

  const sendRun = async (runId: string): Promise<void> => {
    const points = buffers.get(runId);
    if (!points || points.length === 0) return;
    buffers.delete(runId);
    total -= points.length;
    for (let i = 0; i < points.length; i += MLFLOW_LIMITS.metricsPerBatch) {
      try {
        await client.logBatch(runId, { metrics: points.slice(i, i + MLFLOW_LIMITS.metricsPerBatch) });
      } catch (e) {
        const rest = points.slice(i);
        if (isPermanent(e)) {
          const before = lost.get(runId);
          lost.set(runId, { error: e, points: (before?.points ?? 0) + rest.length });
          logger.error(
            `MLflow refused ${rest.length} metric points of run ${runId}: ${(e as Error).message}`,
          );
        } else requeue(runId, rest);
        throw e;
      }
    }
  };

  const throwIfLost = (runId: string) => {
    const l = lost.get(runId);
    if (!l) return;
    lost.delete(runId);
    throw new LolpopError({
      code: "mlflow_metrics_lost",
      message: `${l.points} metric points of MLflow run ${runId} were refused by the server: ${(l.error as Error).message}`,
      details: { run_id: runId, points: l.points },
      cause: l.error,
    });
  };

  const flushAllQuietly = async (): Promise<void> => {
    for (const runId of [...buffers.keys()]) {
      try {
        await sendRun(runId);
      } catch (e) {
        const msg = (e as Error).message;
        if (msg !== lastWarning) {
          lastWarning = msg;
          logger.warn(`MLflow metrics stay buffered (${total} points), will retry: ${msg}`);
        }
        if (!isPermanent(e)) return; // server unreachable: the next tick retries everything
      }
    }
    lastWarning = "";
  };

  const self: PendingTracker = {
    flushAllQuietly: () => enqueue(flushAllQuietly),
    pending: () => total,
    logger,
  };

  const schedule = () => {
    if (timer || total === 0) {
      if (total === 0) pendingTrackers.delete(self);
      return;
    }
    installExitHook();
    pendingTrackers.add(self);
    timer = setTimeout(() => {
      timer = undefined;
      void enqueue(flushAllQuietly).finally(schedule);
    }, interval);
    timer.unref();
  };

  const flushStrict = async (runId?: string): Promise<void> => {
    try {
      if (runId !== undefined) await enqueue(() => sendRun(runId));
      else
        await enqueue(async () => {
          for (const id of [...buffers.keys()]) await sendRun(id);
        });
    } finally {
      schedule(); // points that could not be sent are retried by the timer
    }
  };

  /**
   * Before a run ends: its own points (failures throw), then every other run's (failures are
   * logged), so a workflow that logged to an earlier run (e.g. ground-truth metrics on a
   * prediction job) has them recorded when it ends.
   */
  const flushForEnd = async (runId: string): Promise<void> => {
    try {
      await enqueue(async () => {
        await sendRun(runId);
        for (const id of [...buffers.keys()]) {
          try {
            await sendRun(id);
          } catch (e) {
            logger.warn(`MLflow metrics of run ${id} stay buffered: ${(e as Error).message}`);
            if (!isPermanent(e)) break;
          }
        }
      });
    } finally {
      schedule();
    }
  };

  // ---------------------------------------------------------------- value preparation
  const prepValue = (kind: "param" | "tag", key: string, value: unknown): string => {
    let text =
      isSecretKey(key) && value !== null && value !== undefined && typeof value !== "object"
        ? REDACTED
        : redactText(stringifyParam(value));
    const limit = kind === "param" ? MLFLOW_LIMITS.paramValueLength : MLFLOW_LIMITS.runTagValueLength;
    if (text.length > limit) {
      if (!truncate)
        throw new LolpopError({
          code: "mlflow_invalid_request",
          message: `MLflow ${kind} "${key}" has ${text.length} characters, more than MLflow's limit of ${limit}: shorten it, log it as an artifact, or set truncate_long_values: true`,
          details: { key, limit },
        });
      logger.warn(`MLflow ${kind} "${key}" (${text.length} characters) is truncated to ${limit} characters`);
      text = text.slice(0, limit);
    }
    return text;
  };

  const checkRunId = (runId: unknown): string => {
    if (typeof runId !== "string" || !/^[\w-]{1,256}$/.test(runId))
      throw new LolpopError({
        code: "mlflow_invalid_request",
        message: `Invalid MLflow run id ${JSON.stringify(runId)}: pass the id returned by start_run`,
      });
    return runId;
  };

  const lineageTags = (): Record<string, string> => {
    const out: Record<string, string> = { [MLFLOW_TAGS.sourceType]: "LOCAL" };
    try {
      const l = options.lineage?.snapshot();
      if (l) {
        if (l.config_file) out[MLFLOW_TAGS.sourceName] = l.config_file;
        if (l.git?.commit) out[MLFLOW_TAGS.gitCommit] = l.git.commit;
        if (l.config_hash) out["lolpop.config_hash"] = l.config_hash;
        if (l.core_version) out["lolpop.core_version"] = l.core_version;
        if (l.run_id) out["lolpop.lineage_id"] = l.run_id;
      }
    } catch (e) {
      logger.debug(`lineage unavailable for MLflow tags: ${(e as Error).message}`);
    }
    return out;
  };

  let user: string | undefined;
  try {
    user = userInfo().username;
  } catch {
    user = undefined;
  }

  const tracker: MlflowMetadataTracker = {
    client,
    experiment,

    async start_run({ name, parent_id, tags }) {
      if (typeof name !== "string" || name === "")
        throw new LolpopError({
          code: "mlflow_invalid_request",
          message: "start_run needs a non-empty run name",
        });
      const exp = await experiment();
      if (parent_id !== undefined) {
        checkRunId(parent_id);
        if (!artifactUris.has(parent_id)) {
          try {
            await runArtifactUri(parent_id);
          } catch (e) {
            if (isNotFound(e))
              throw new LolpopError({
                code: "mlflow_run_not_found",
                message: `Cannot start run "${name}": its parent run ${parent_id} does not exist on ${client.trackingUri}`,
                cause: e,
              });
            throw e;
          }
        }
      }
      const all: Record<string, string> = {};
      for (const [k, v] of Object.entries(tags ?? {})) {
        validateKey("tag", k);
        all[k] = prepValue("tag", k, v);
      }
      if (user) all[MLFLOW_TAGS.user] = user;
      if (parent_id !== undefined) all[MLFLOW_TAGS.parentRunId] = parent_id;
      else Object.assign(all, lineageTags());
      const run = await client.createRun({
        experimentId: exp.experiment_id!,
        runName: name,
        startTime: Date.now(),
        tags: all,
      });
      const id = run.info?.run_id;
      if (!id)
        throw new RemoteServiceError({ service: "mlflow", message: "MLflow runs/create returned no run id" });
      if (run.info?.artifact_uri) artifactUris.set(id, run.info.artifact_uri);
      return toRunInfo(run);
    },

    async end_run(run_id, status) {
      checkRunId(run_id);
      if (!RUN_STATUSES.includes(status))
        throw new LolpopError({
          code: "mlflow_invalid_request",
          message: `Unknown run status "${status}" (expected ${RUN_STATUSES.join(", ")})`,
        });
      try {
        await flushForEnd(run_id);
      } catch (e) {
        throwIfLost(run_id);
        throw new LolpopError({
          code: "mlflow_flush_failed",
          message: `MLflow run ${run_id} was not ended: ${tracker.pending_metrics(run_id)} metric points could not be sent (${(e as Error).message}). They stay buffered: call end_run again when the server is back.`,
          details: { run_id, pending: tracker.pending_metrics(run_id) },
          cause: e,
        });
      }
      throwIfLost(run_id);
      await client.updateRun({ runId: run_id, status, endTime: Date.now() });
    },

    async log_params(run_id, params) {
      checkRunId(run_id);
      const list = Object.entries(params ?? {}).map(([key, value]) => {
        validateKey("param", key);
        return { key, value: prepValue("param", key, value) };
      });
      if (list.length) await client.logBatch(run_id, { params: list });
    },

    async log_metrics(run_id, metrics, opts = {}) {
      checkRunId(run_id);
      const step = opts.step ?? 0;
      if (!Number.isSafeInteger(step))
        throw new LolpopError({
          code: "mlflow_invalid_request",
          message: `Metric step must be an integer, got ${String(step)}`,
        });
      const timestamp = Date.now();
      const points: MlflowMetric[] = [];
      for (const [key, value] of Object.entries(metrics ?? {})) {
        validateKey("metric", key);
        if (typeof value !== "number")
          throw new LolpopError({
            code: "mlflow_invalid_request",
            message: `Metric "${key}" must be a number, got ${typeof value}`,
          });
        points.push({ key, value, timestamp, step });
      }
      if (points.length === 0) return;
      const list = buffers.get(run_id);
      if (list) list.push(...points);
      else buffers.set(run_id, points);
      total += points.length;
      if (total > maxBuffered) {
        await flushStrict();
        return;
      }
      if (total >= MLFLOW_LIMITS.metricsPerBatch && !sizeFlushQueued) {
        sizeFlushQueued = true;
        void enqueue(async () => {
          sizeFlushQueued = false;
          await flushAllQuietly();
        }).finally(schedule);
      }
      schedule();
    },

    async log_tags(run_id, tags) {
      checkRunId(run_id);
      const list = Object.entries(tags ?? {}).map(([key, value]) => {
        validateKey("tag", key);
        return { key, value: prepValue("tag", key, value) };
      });
      if (list.length) await client.logBatch(run_id, { tags: list });
    },

    async log_artifact(run_id, name, content: ArtifactContent) {
      checkRunId(run_id);
      const path = checkArtifactPath(name, "artifact name");
      if (path === "")
        throw new LolpopError({
          code: "mlflow_invalid_request",
          message: "log_artifact needs a non-empty artifact name",
        });
      const root = await runArtifactUri(run_id);
      if (typeof content === "string" || content instanceof Uint8Array) {
        await client.uploadArtifact(root, path, content);
      } else if (content && typeof (content as { path?: unknown }).path === "string") {
        const src = (content as { path: string }).path;
        let info: Awaited<ReturnType<typeof stat>>;
        try {
          info = await stat(src);
        } catch (e) {
          throw new LolpopError({
            code: "mlflow_invalid_request",
            message: `Cannot log artifact "${name}": ${src} does not exist`,
            cause: e,
          });
        }
        if (info.isDirectory()) await client.uploadDirectory(root, path, src);
        else await client.uploadFile(root, path, src);
      } else {
        throw new LolpopError({
          code: "mlflow_invalid_request",
          message: `Artifact "${name}" content must be a string, a Uint8Array or {path}`,
        });
      }
      return `${root}/${path}`;
    },

    async log_dataset(run_id, dataset) {
      checkRunId(run_id);
      if (
        !dataset ||
        typeof dataset.name !== "string" ||
        dataset.name === "" ||
        typeof dataset.fingerprint !== "string"
      )
        throw new LolpopError({
          code: "mlflow_invalid_request",
          message: "log_dataset needs a dataset with a name and a fingerprint",
        });
      await client.logInputs(run_id, [toDatasetInput(dataset)]);
    },

    async get_run(run_id): Promise<RunRecord> {
      checkRunId(run_id);
      if (buffers.has(run_id)) await flushStrict(run_id);
      const run = await client.getRun(run_id);
      // A deleted run (delete_run, or deleted in MLflow's UI) is gone for lolpop, as in the local store.
      if (run.info?.lifecycle_stage === "deleted")
        throw new LolpopError({
          code: "mlflow_run_deleted",
          message: `MLflow run ${run_id} was deleted (it is in MLflow's trash until its garbage collection; restore it in MLflow to read it)`,
        });
      if (run.info?.artifact_uri) artifactUris.set(run_id, run.info.artifact_uri);
      const params: Record<string, string> = {};
      for (const p of run.data?.params ?? []) params[p.key] = p.value ?? "";
      const metrics = latestMetrics(run);
      let artifacts: string[] = [];
      if (run.info?.artifact_uri) {
        try {
          artifacts = await client.listArtifactsRecursive(run.info.artifact_uri);
        } catch (e) {
          if (!(LolpopError.isInstance(e) && e.code === "mlflow_unsupported_artifact_store")) throw e;
          logger.warn((e as Error).message);
        }
      }
      return {
        ...toRunInfo(run),
        params,
        metrics,
        artifacts,
        datasets: (run.inputs?.dataset_inputs ?? []).map(fromDatasetInput),
      };
    },

    async get_metric_history(run_id, key) {
      checkRunId(run_id);
      if (buffers.has(run_id)) await flushStrict(run_id);
      const points = await client.getMetricHistory(run_id, key);
      return points.map((m) => ({
        step: Number(m.step ?? 0),
        value: m.value,
        timestamp: Number(m.timestamp ?? 0),
      }));
    },

    async read_artifact(run_id, name) {
      checkRunId(run_id);
      return client.downloadArtifact(await runArtifactUri(run_id), name);
    },

    async search_runs(filter = {}) {
      const limit = filter.limit ?? Number.POSITIVE_INFINITY;
      if (limit <= 0) return [];
      // Reading never creates the experiment: no experiment, no runs.
      const exp = experimentPromise
        ? await experimentPromise
        : await client.getExperimentByName(options.experimentName);
      if (!exp) return [];
      if (exp.lifecycle_stage === "deleted") await experiment(); // throws what to do (or restores)
      const wanted = { ...(filter.tags ?? {}) };
      if (filter.parent_id !== undefined) wanted[MLFLOW_TAGS.parentRunId] = filter.parent_id;
      const statuses = runStatusFilter(filter.status);
      const timeWindow = runTimeFilter(filter);
      const clauses = Object.entries(wanted)
        .map(([k, v]) => filterClause("tags", k, v))
        .filter((c): c is string => c !== undefined);
      // One status is filtered by the server (RUNNING also matches SCHEDULED, read as RUNNING); every
      // status is checked again on the runs read.
      if (statuses?.length === 1 && statuses[0] !== "RUNNING")
        clauses.push(`attributes.status = '${statuses[0]}'`);
      if (timeWindow.after !== undefined) clauses.push(`attributes.start_time >= ${timeWindow.after}`);
      if (timeWindow.before !== undefined) clauses.push(`attributes.start_time < ${timeWindow.before}`);
      const out: Array<RunInfo | RunSummary> = [];
      let pageToken: string | undefined;
      do {
        const page = await client.searchRuns({
          experimentIds: [exp.experiment_id!],
          filter: clauses.length ? clauses.join(" and ") : undefined,
          orderBy: ["attributes.start_time DESC"],
          maxResults: Math.min(1000, Number.isFinite(limit) ? Math.max(limit, 10) : 1000),
          pageToken,
        });
        for (const run of page.items) {
          const tags = fromTagList(run.data?.tags);
          if (!Object.entries(wanted).every(([k, v]) => tags[k] === v)) continue;
          const info = toRunInfo(run);
          if ((!statuses || statuses.includes(info.status)) && timeWindow.accepts(info.started_at))
            // MLflow's search returns each run's latest metrics: no get_run per run.
            out.push(filter.metrics ? { ...info, metrics: latestMetrics(run) } : info);
        }
        pageToken = page.next_page_token || undefined;
      } while (pageToken && out.length < limit);
      return Number.isFinite(limit) ? out.slice(0, limit) : out;
    },

    async delete_run(run_id) {
      checkRunId(run_id);
      // The run and its descendants, children first; nothing is deleted when one is still running.
      const order: RunInfo[] = [];
      const visit = async (info: RunInfo): Promise<void> => {
        for (const child of await tracker.search_runs({ parent_id: info.id })) await visit(child);
        order.push(info);
      };
      await visit(toRunInfo(await client.getRun(run_id)));
      const running = order.filter((r) => r.status === "RUNNING");
      if (running.length)
        throw new LolpopError({
          code: "run_is_running",
          message: `Cannot delete MLflow run ${run_id}: ${running.map((r) => `${r.id} (${r.name})`).join(", ")} ${running.length === 1 ? "is" : "are"} still RUNNING; end ${running.length === 1 ? "it" : "them"} first`,
        });
      for (const r of order) await client.deleteRun(r.id);
    },

    flush: (run_id) => flushStrict(run_id),

    pending_metrics: (run_id) => (run_id === undefined ? total : (buffers.get(run_id)?.length ?? 0)),

    async close() {
      if (timer) clearTimeout(timer);
      timer = undefined;
      try {
        await flushStrict();
      } finally {
        if (timer) clearTimeout(timer);
        timer = undefined;
        if (total === 0) pendingTrackers.delete(self);
        await client.close();
      }
    },
  };
  return tracker;
}

/** JSON Schema of {@link mlflowMetadataTracker}'s config. */
export const mlflowMetadataTrackerConfigSchema = mlflowConfigSchema(
  {
    experiment_name:
      "MLflow experiment of the runs (created when missing). null: MLFLOW_EXPERIMENT_NAME, else the project folder's name.",
    restore:
      "When the experiment was deleted in MLflow (which keeps its name), restore it instead of failing.",
  },
  {
    flush_interval_ms: {
      type: "integer",
      minimum: 10,
      default: 2000,
      description: "Buffered metrics are sent at least this often (and whenever 1,000 points are buffered).",
    },
    max_buffered_points: {
      type: "integer",
      minimum: 1000,
      default: 100000,
      description: "Above this many buffered metric points, log_metrics waits until they are sent.",
    },
    truncate_long_values: {
      type: "boolean",
      default: true,
      description:
        "Truncate param values over 6,000 and tag values over 8,000 characters (with a warning), as MLflow's Python client does; false: fail instead.",
    },
  },
);

/**
 * Builds the `MLflowMetadataTracker` component definition (the package passes its name and version).
 * @internal
 */
export function defineMlflowMetadataTracker(pkg: PackageInfo) {
  return defineComponent<"metadata_tracker", MlflowMetadataTrackerConfig>({
    kind: "metadata_tracker",
    type: "MLflowMetadataTracker",
    description:
      "Tracks runs, params, metrics, datasets and artifacts on an MLflow server (nested runs for stages and trials)",
    configSchema: mlflowMetadataTrackerConfigSchema,
    checkConfig: checkConnectionConfig,
    create: (ctx) => {
      const cfg = ctx.config;
      return createMlflowMetadataTracker({
        client: clientFromContext(ctx, pkg, { cancellable: false }),
        experimentName: defaultExperimentName(cfg.experiment_name, ctx.project.root),
        restoreDeletedExperiment: cfg.restore_deleted_experiment ?? false,
        truncateLongValues: cfg.truncate_long_values ?? true,
        flushIntervalMs: cfg.flush_interval_ms ?? 2000,
        maxBufferedPoints: cfg.max_buffered_points ?? 100_000,
        logger: ctx.logger,
        lineage: ctx.lineage,
      });
    },
  });
}
