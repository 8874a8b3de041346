/**
 * `LocalMetadataTracker`: records runs as readable files under the local store (default `.lolpop/`).
 *
 * Layout (every JSON file is written atomically: temp file, fsync, rename):
 *
 * ```
 * <dir>/runs/<run_id>/run.json        {id, name, parent_id?, status, started_at, ended_at?, tags}
 * <dir>/runs/<run_id>/params.json     {param: "value"}
 * <dir>/runs/<run_id>/metrics.jsonl   one line per logged value: {key, value, step, timestamp}
 * <dir>/runs/<run_id>/datasets.json   [DatasetInfo & {version}]
 * <dir>/runs/<run_id>/artifacts/<name> text, bytes, or a copied file or folder
 * <dir>/datasets/<name>.json          {name, versions: [{version, fingerprint, rows, columns, ..., runs}]}
 * ```
 *
 * Run ids sort by start time. A run folder appears in one atomic rename, so readers never see a
 * half-created run. Read-modify-write updates of one run take that run's lock (`<run>/.lock`), so
 * processes and concurrent calls never lose each other's writes.
 */
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  type DatasetInfo,
  defineComponent,
  type MetadataTracker,
  type MetricPoint,
  RUN_STATUSES,
  type RunInfo,
  type RunRecord,
  type RunStatus,
  type RunSummary,
  redactText,
  runStatusFilter,
  runTimeFilter,
  StoreError,
  stringifyParam,
  writeFileAtomic,
  writeJsonAtomic,
} from "@lolpop/core";
import { collectStoreBlobs } from "./local-blob-gc.js";
import { localBlobStore } from "./local-blob-store.js";
import {
  copyTree,
  corruptedFileError,
  decodeNumber,
  encodeNumber,
  expectObject,
  fsyncDir,
  isNotFound,
  isProcessAlive,
  listFiles,
  newSortableId,
  readJson,
  readJsonIfExists,
  resolveStoreDir,
  SAFE_SEGMENT,
  STORE_CONFIG_SCHEMA,
  type StoreConfig,
  safeRelativePath,
  tempName,
  tempOwnerPid,
  withLock,
  writeFileDurable,
} from "./local-store.js";

/** Run files `search_runs` reads concurrently. */
const SEARCH_READ_BATCH = 64;

/** Config of {@link localMetadataTracker}. */
export interface LocalMetadataTrackerConfig extends StoreConfig {}

/** A dataset as stored in a run's `datasets.json`: the logged info plus its version in the dataset index. */
export type VersionedDatasetInfo = DatasetInfo & { version: number };

/** One version of a dataset in `<dir>/datasets/<name>.json`. */
export interface DatasetVersion {
  version: number;
  fingerprint: string;
  rows: number;
  columns: number;
  source?: string;
  schema?: DatasetInfo["schema"];
  /** ISO time this fingerprint was first logged. */
  created_at: string;
  /** Runs that logged this version, oldest first. */
  runs: string[];
}

/** Content of `<dir>/datasets/<name>.json`. */
export interface DatasetIndex {
  name: string;
  versions: DatasetVersion[];
}

/** Temp names left by {@link writeFileAtomic} (`.<name>.<pid>.<hex>.tmp`) or by copies (`.tmp-<pid>-<hex>`). */
function isTempName(name: string): boolean {
  return name.startsWith(".tmp-") || /^\..+\.\d+\.[0-9a-f]{12}\.tmp$/.test(name) || name === ".lock";
}

function toTags(tags: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(tags ?? {})) out[k] = redactText(stringifyParam(v));
  return out;
}

/** Validates the shape of a parsed `run.json`. */
function parseRunInfo(value: unknown, path: string): RunInfo {
  const o = expectObject(value, path);
  const ok =
    typeof o.id === "string" &&
    typeof o.name === "string" &&
    typeof o.started_at === "string" &&
    RUN_STATUSES.includes(o.status as RunStatus) &&
    typeof o.tags === "object" &&
    o.tags !== null &&
    (o.parent_id === undefined || typeof o.parent_id === "string");
  if (!ok) throw corruptedFileError(path, "it is not a run description (id, name, status, started_at, tags)");
  return o as unknown as RunInfo;
}

/** A local, file-based metadata tracker. */
export type LocalMetadataTracker = MetadataTracker & {
  /** Absolute store folder. */
  readonly dir: string;
  /** Reads the version index of a dataset, or undefined when it was never logged. */
  get_dataset_versions(name: string): Promise<DatasetIndex | undefined>;
  delete_run: NonNullable<MetadataTracker["delete_run"]>;
  get_metric_history: NonNullable<MetadataTracker["get_metric_history"]>;
  read_artifact: NonNullable<MetadataTracker["read_artifact"]>;
  blob_store: NonNullable<MetadataTracker["blob_store"]>;
  collect_blobs: NonNullable<MetadataTracker["collect_blobs"]>;
};

/**
 * Creates the tracker for a store folder. Exposed for library use; workflows use the
 * {@link localMetadataTracker} component.
 */
export function createLocalMetadataTracker(root: string): LocalMetadataTracker {
  const runsDir = join(root, "runs");
  const datasetsDir = join(root, "datasets");

  const runDir = (runId: string): string => {
    if (typeof runId !== "string" || !SAFE_SEGMENT.test(runId)) {
      throw new StoreError({
        message: `Invalid run id ${JSON.stringify(runId)}: run ids are made of letters, digits, ".", "_" and "-"`,
        code: "store_invalid_name",
      });
    }
    return join(runsDir, runId);
  };

  const readRunInfo = async (runId: string): Promise<RunInfo> => {
    const path = join(runDir(runId), "run.json");
    let raw: unknown;
    try {
      raw = await readJson(path);
    } catch (e) {
      if (isNotFound(e)) {
        throw new StoreError({
          message: `Run "${runId}" does not exist in ${runsDir}`,
          path,
          code: "store_not_found",
          cause: e,
        });
      }
      throw e;
    }
    return parseRunInfo(raw, path);
  };

  const updateRunInfo = async (runId: string, update: (info: RunInfo) => RunInfo): Promise<void> => {
    const dir = runDir(runId);
    await readRunInfo(runId); // fails before creating a lock folder in a missing run
    await withLock(dir, async () => {
      const info = await readRunInfo(runId);
      await writeJsonAtomic(join(dir, "run.json"), update(info));
    });
  };

  const cleanupTemps = async (): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(runsDir);
    } catch (e) {
      if (isNotFound(e)) return;
      throw e;
    }
    for (const name of names) {
      const pid = tempOwnerPid(name);
      if (pid !== undefined && pid !== process.pid && !isProcessAlive(pid))
        await rm(join(runsDir, name), { recursive: true, force: true });
    }
  };

  /** Every line of a run's metrics.jsonl, in logging order. */
  const readMetricLines = async (runId: string): Promise<Array<MetricPoint & { key: string }>> => {
    const path = join(runDir(runId), "metrics.jsonl");
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    const lines = text.split("\n");
    lines.pop(); // text after the last newline: empty, or a line still being written
    const out: Array<MetricPoint & { key: string }> = [];
    lines.forEach((line, i) => {
      if (line.trim() === "") return;
      let rec: unknown;
      try {
        rec = JSON.parse(line);
      } catch (e) {
        throw corruptedFileError(path, `line ${i + 1} is not valid JSON (${(e as Error).message})`, e);
      }
      const o = rec as { key?: unknown; value?: unknown; step?: unknown; timestamp?: unknown };
      const value = decodeNumber(o?.value);
      if (typeof o?.key !== "string" || value === undefined)
        throw corruptedFileError(path, `line ${i + 1} is not a metric record {key, value, step, timestamp}`);
      out.push({
        key: o.key,
        value,
        step: typeof o.step === "number" ? o.step : 0,
        timestamp: typeof o.timestamp === "number" ? o.timestamp : 0,
      });
    });
    return out;
  };

  const readMetrics = async (runId: string): Promise<Record<string, number>> => {
    const latest: Record<string, number> = {};
    for (const m of await readMetricLines(runId)) latest[m.key] = m.value;
    return latest;
  };

  const readDatasets = async (runId: string): Promise<VersionedDatasetInfo[]> => {
    const path = join(runDir(runId), "datasets.json");
    const list = await readJsonIfExists<unknown>(path);
    if (list === undefined) return [];
    if (!Array.isArray(list)) throw corruptedFileError(path, "expected a JSON array of datasets");
    return list as VersionedDatasetInfo[];
  };

  const datasetIndexPath = (name: string) => join(datasetsDir, `${encodeURIComponent(name)}.json`);

  const readDatasetIndex = async (name: string): Promise<DatasetIndex | undefined> => {
    const path = datasetIndexPath(name);
    const raw = await readJsonIfExists<unknown>(path);
    if (raw === undefined) return undefined;
    const o = expectObject(raw, path);
    if (!Array.isArray(o.versions)) throw corruptedFileError(path, "expected {name, versions: [...]}");
    return o as unknown as DatasetIndex;
  };

  const tracker: LocalMetadataTracker = {
    dir: root,

    async start_run({ name, parent_id, tags }) {
      if (typeof name !== "string" || name === "")
        throw new StoreError({ message: "start_run needs a non-empty run name", code: "store_invalid_name" });
      if (parent_id !== undefined) await readRunInfo(parent_id);
      await mkdir(runsDir, { recursive: true });
      await cleanupTemps();
      const id = newSortableId();
      const info: RunInfo = {
        id,
        name,
        ...(parent_id !== undefined ? { parent_id } : {}),
        status: "RUNNING",
        started_at: new Date().toISOString(),
        tags: toTags(tags),
      };
      const tmp = join(runsDir, tempName());
      await mkdir(tmp);
      try {
        await writeFileDurable(join(tmp, "params.json"), "{}\n");
        await writeFileDurable(join(tmp, "run.json"), `${JSON.stringify(info, null, 2)}\n`);
        await fsyncDir(tmp);
        await rename(tmp, join(runsDir, id));
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
      await fsyncDir(runsDir);
      return structuredClone(info);
    },

    async end_run(run_id, status) {
      if (!RUN_STATUSES.includes(status))
        throw new StoreError({
          message: `Unknown run status "${status}" (expected ${RUN_STATUSES.join(", ")})`,
          code: "store_invalid_value",
        });
      await updateRunInfo(run_id, (info) => ({ ...info, status, ended_at: new Date().toISOString() }));
    },

    async log_params(run_id, params) {
      const dir = runDir(run_id);
      await readRunInfo(run_id);
      await withLock(dir, async () => {
        const path = join(dir, "params.json");
        const current = expectObject((await readJsonIfExists(path)) ?? {}, path) as Record<string, string>;
        for (const [k, v] of Object.entries(params)) current[k] = redactText(stringifyParam(v));
        await writeJsonAtomic(path, current);
      });
    },

    async log_metrics(run_id, metrics, options = {}) {
      const dir = runDir(run_id);
      await readRunInfo(run_id);
      const step = options.step ?? 0;
      const timestamp = Date.now();
      const lines: string[] = [];
      for (const [key, value] of Object.entries(metrics)) {
        if (typeof value !== "number")
          throw new StoreError({
            message: `Metric "${key}" must be a number, got ${typeof value}`,
            code: "store_invalid_value",
          });
        lines.push(JSON.stringify({ key, value: encodeNumber(value), step, timestamp }));
      }
      if (lines.length === 0) return;
      await withLock(dir, async () => {
        const fh = await open(join(dir, "metrics.jsonl"), "a+");
        try {
          // A process killed mid-append can leave a partial last line: cut it before appending.
          const { size } = await fh.stat();
          if (size > 0) {
            const tail = Buffer.alloc(Math.min(size, 64 * 1024));
            await fh.read(tail, 0, tail.length, size - tail.length);
            if (tail[tail.length - 1] !== 0x0a) {
              const lastNewline = tail.lastIndexOf(0x0a);
              await fh.truncate(
                lastNewline < 0 ? (tail.length === size ? 0 : size) : size - tail.length + lastNewline + 1,
              );
            }
          }
          await fh.appendFile(`${lines.join("\n")}\n`);
          await fh.sync();
        } finally {
          await fh.close();
        }
      });
    },

    async log_tags(run_id, tags) {
      await updateRunInfo(run_id, (info) => ({ ...info, tags: { ...info.tags, ...toTags(tags) } }));
    },

    async log_artifact(run_id, name, content) {
      const dir = runDir(run_id);
      await readRunInfo(run_id);
      const parts = safeRelativePath(name, "Artifact name");
      if (parts.some((p) => isTempName(p)))
        throw new StoreError({
          message: `Artifact name "${name}" uses a name reserved for temporary files`,
          code: "store_invalid_name",
        });
      const target = join(dir, "artifacts", ...parts);
      await mkdir(dirname(target), { recursive: true });
      if (typeof content === "string" || content instanceof Uint8Array) {
        await withLock(dir, async () => {
          const existing = await stat(target).catch(() => undefined);
          if (existing?.isDirectory()) await rm(target, { recursive: true, force: true });
          await writeFileAtomic(target, content);
        });
      } else if (content && typeof (content as { path?: unknown }).path === "string") {
        const src = (content as { path: string }).path;
        try {
          await stat(src);
        } catch (e) {
          throw new StoreError({
            message: `Cannot log artifact "${name}": ${src} does not exist`,
            path: src,
            code: "store_not_found",
            cause: e,
          });
        }
        const tmp = join(dirname(target), tempName());
        try {
          await copyTree(src, tmp);
          await withLock(dir, async () => {
            const trash = join(dirname(target), tempName());
            const existed = await rename(target, trash).then(
              () => true,
              (e) => {
                if (isNotFound(e)) return false;
                throw e;
              },
            );
            await rename(tmp, target);
            if (existed) await rm(trash, { recursive: true, force: true });
          });
        } finally {
          await rm(tmp, { recursive: true, force: true });
        }
        await fsyncDir(dirname(target));
      } else {
        throw new StoreError({
          message: `Artifact "${name}" content must be a string, a Uint8Array or {path}`,
          code: "store_invalid_value",
        });
      }
      return pathToFileURL(target).href;
    },

    async log_dataset(run_id, dataset: DatasetInfo) {
      const dir = runDir(run_id);
      await readRunInfo(run_id);
      if (
        !dataset ||
        typeof dataset.name !== "string" ||
        dataset.name === "" ||
        typeof dataset.fingerprint !== "string"
      ) {
        throw new StoreError({
          message: "log_dataset needs a dataset with a name and a fingerprint",
          code: "store_invalid_value",
        });
      }
      await mkdir(datasetsDir, { recursive: true });
      const version = await withLock(datasetsDir, async () => {
        const index: DatasetIndex = (await readDatasetIndex(dataset.name)) ?? {
          name: dataset.name,
          versions: [],
        };
        let entry = index.versions.find((v) => v.fingerprint === dataset.fingerprint);
        if (!entry) {
          entry = {
            version: index.versions.reduce((m, v) => Math.max(m, v.version), 0) + 1,
            fingerprint: dataset.fingerprint,
            rows: dataset.rows,
            columns: dataset.columns,
            ...(dataset.source !== undefined ? { source: dataset.source } : {}),
            ...(dataset.schema !== undefined ? { schema: dataset.schema } : {}),
            created_at: new Date().toISOString(),
            runs: [],
          };
          index.versions.push(entry);
        }
        if (!entry.runs.includes(run_id)) entry.runs.push(run_id);
        await writeJsonAtomic(datasetIndexPath(dataset.name), index);
        return entry.version;
      });
      await withLock(dir, async () => {
        const list = await readDatasets(run_id);
        const record: VersionedDatasetInfo = { ...structuredClone(dataset), version };
        const at = list.findIndex((d) => d.name === dataset.name && d.context === dataset.context);
        if (at >= 0) list[at] = record;
        else list.push(record);
        await writeJsonAtomic(join(dir, "datasets.json"), list);
      });
    },

    async get_run(run_id): Promise<RunRecord> {
      const info = await readRunInfo(run_id);
      const dir = runDir(run_id);
      const paramsPath = join(dir, "params.json");
      const params = expectObject((await readJsonIfExists(paramsPath)) ?? {}, paramsPath) as Record<
        string,
        string
      >;
      return {
        ...info,
        params,
        metrics: await readMetrics(run_id),
        artifacts: await listFiles(join(dir, "artifacts"), isTempName),
        datasets: await readDatasets(run_id),
      };
    },

    async get_metric_history(run_id, key) {
      await readRunInfo(run_id);
      return (await readMetricLines(run_id))
        .filter((m) => m.key === key)
        .map(({ step, value, timestamp }) => ({ step, value, timestamp }));
    },

    async search_runs(filter = {}) {
      let names: string[];
      try {
        names = await readdir(runsDir);
      } catch (e) {
        if (isNotFound(e)) return [];
        throw e;
      }
      const statuses = runStatusFilter(filter.status);
      const timeWindow = runTimeFilter(filter);
      const found: RunInfo[] = [];
      const folders = names.filter((name) => !name.startsWith(".") && SAFE_SEGMENT.test(name));
      // Read SEARCH_READ_BATCH run files at a time: one at a time costs a round trip per run (a
      // store of 1,000 runs took ~0.5 s), all at once could open more files than the process may.
      for (let at = 0; at < folders.length; at += SEARCH_READ_BATCH) {
        const batch = folders
          .slice(at, at + SEARCH_READ_BATCH)
          .map((name) => join(runsDir, name, "run.json"));
        const raws = await Promise.all(batch.map((path) => readJsonIfExists(path)));
        raws.forEach((raw, i) => {
          if (raw === undefined) return; // not a run folder
          const info = parseRunInfo(raw, batch[i]!);
          if (filter.parent_id !== undefined && info.parent_id !== filter.parent_id) return;
          if (filter.tags && !Object.entries(filter.tags).every(([k, v]) => info.tags[k] === v)) return;
          if (statuses && !statuses.includes(info.status)) return;
          if (!timeWindow.accepts(info.started_at)) return;
          found.push(info);
        });
      }
      found.sort((a, b) =>
        a.started_at === b.started_at ? (a.id < b.id ? 1 : -1) : a.started_at < b.started_at ? 1 : -1,
      );
      const listed = filter.limit !== undefined && filter.limit >= 0 ? found.slice(0, filter.limit) : found;
      if (!filter.metrics) return listed;
      // The metrics of the runs returned only, SEARCH_READ_BATCH files at a time (as above).
      const out: RunSummary[] = [];
      for (let at = 0; at < listed.length; at += SEARCH_READ_BATCH) {
        const batch = listed.slice(at, at + SEARCH_READ_BATCH);
        const metrics = await Promise.all(batch.map((r) => readMetrics(r.id)));
        batch.forEach((r, i) => out.push({ ...r, metrics: metrics[i]! }));
      }
      return out;
    },

    get_dataset_versions: (name) => readDatasetIndex(name),

    async delete_run(run_id) {
      // The run and its descendants, children first; nothing is deleted when one is still running.
      const order: RunInfo[] = [];
      const visit = async (info: RunInfo): Promise<void> => {
        for (const child of await tracker.search_runs({ parent_id: info.id })) await visit(child);
        order.push(info);
      };
      await visit(await readRunInfo(run_id));
      const running = order.filter((r) => r.status === "RUNNING");
      if (running.length)
        throw new StoreError({
          message: `Cannot delete run "${run_id}": ${running.map((r) => `"${r.id}" (${r.name})`).join(", ")} ${running.length === 1 ? "is" : "are"} still RUNNING; end ${running.length === 1 ? "it" : "them"} first`,
          path: runDir(run_id),
          code: "run_is_running",
        });
      for (const r of order) {
        // One rename hides the run from readers; a temp name, so a crash leaves nothing visible.
        const doomed = join(runsDir, tempName());
        try {
          await rename(runDir(r.id), doomed);
        } catch (e) {
          if (isNotFound(e)) continue;
          throw e;
        }
        await rm(doomed, { recursive: true, force: true });
      }
      await fsyncDir(runsDir);
    },

    async read_artifact(run_id, name) {
      const dir = runDir(run_id);
      await readRunInfo(run_id);
      const path = join(dir, "artifacts", ...safeRelativePath(name, "Artifact name"));
      try {
        return new Uint8Array(await readFile(path));
      } catch (e) {
        if (isNotFound(e))
          throw new StoreError({
            message: `Run "${run_id}" has no artifact "${name}"`,
            path,
            code: "store_not_found",
            cause: e,
          });
        throw e;
      }
    },

    blob_store: async () => localBlobStore(root),

    collect_blobs: (options) => collectStoreBlobs(root, tracker, options),
  };
  return tracker;
}

/**
 * `LocalMetadataTracker` (kind `metadata_tracker`): runs, params, metrics, datasets and artifacts as
 * readable files under `<dir>/runs/` (default `<project>/.lolpop`), plus a version index per dataset
 * under `<dir>/datasets/`. Safe for concurrent processes; corrupted files are reported with their path.
 */
export const localMetadataTracker = defineComponent<"metadata_tracker", LocalMetadataTrackerConfig>({
  kind: "metadata_tracker",
  type: "LocalMetadataTracker",
  description: "Tracks runs, params, metrics, datasets and artifacts as files under .lolpop/runs",
  configSchema: STORE_CONFIG_SCHEMA,
  create: (ctx) => createLocalMetadataTracker(resolveStoreDir(ctx)),
});
