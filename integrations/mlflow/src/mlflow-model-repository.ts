/**
 * `MLflowModelRepository` (kind `model_repository`): lolpop model versions as MLflow registered
 * model versions.
 *
 * - `register_model` uploads the version's files through the artifact proxy to `model/` of the
 *   producing run (the train run, when the tracker is MLflow on the same server; otherwise a
 *   registration run of its own), writes an `MLmodel` file with a `lolpop` flavor, then creates the
 *   model version. The version is created last, so a failed or killed registration leaves no
 *   version (only orphan files, deleted when possible).
 * - Metrics at registration are model version tags `lolpop.metric.<name>`; approval and promotion
 *   history use the same tag names as `LocalModelRepository` (`lolpop.approved`, ...).
 * - `promote_model` moves the `champion` alias; the previous champion keeps its files and gets
 *   `lolpop.previous_champion=true`; who and why are version tags (`lolpop.promoted_by`,
 *   `lolpop.promotion_reason`). With `expected_champion` it is a compare-and-set as far as MLflow
 *   allows: the alias is read again right before it is set (MLflow has no conditional update, so
 *   two processes deciding within the few milliseconds between that read and the write can both move it).
 * - `download_model` downloads a version once into `download_dir` (a temp folder renamed into
 *   place), so a fresh process can load the champion.
 */
import { createHash, randomBytes } from "node:crypto";
import { readFile, rename, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import {
  type BundleHost,
  CHAMPION_ALIAS,
  checkModelExportPlan,
  defineComponent,
  type Logger,
  LolpopError,
  MODEL_EXPORT_CONFIG_PROPERTY,
  MODEL_TAGS,
  type ModelExportFormat,
  type ModelRepository,
  type ModelVersionInfo,
  osUserName,
  type PromotionEvent,
  RemoteServiceError,
  silentLogger,
} from "@lolpop/core";
import type { OnnxGraphValue } from "@lolpop/onnx";
import {
  fromTagList,
  isMlflowError,
  isNotFound,
  listFilesRecursive,
  type MlflowClient,
  parseNumberTag,
  REQUEST_ID_TAG,
} from "./mlflow-client.js";
import {
  checkConnectionConfig,
  clientFromContext,
  defaultExperimentName,
  mlflowConfigSchema,
  type PackageInfo,
} from "./mlflow-component-config.js";
import { invalidRequest, MLFLOW_LIMITS, quoteFilterValue, validateRegistryTag } from "./mlflow-limits.js";
import type { MlflowConnectionConfig } from "./mlflow-settings.js";
import type { MlflowModelVersion } from "./mlflow-types.js";
import {
  MLMODEL_FILE,
  ONNX_MODEL_FILE,
  type OnnxFlavors,
  type OnnxTensorInfo,
  onnxFlavors,
  renderMlmodel,
} from "./mlmodel.js";

/** Tags MLflowModelRepository writes on model versions besides the shared {@link MODEL_TAGS}. */
const MLFLOW_VERSION_TAGS = {
  /** Prefix of the metrics recorded at registration. */
  metricPrefix: "lolpop.metric.",
  /** The `run_id` given to register_model (may be a non-MLflow run id). */
  runId: "lolpop.run_id",
} as const;

/** Prefix of the registered-model tags that hold the promotion history (one tag per alias move). */
export const HISTORY_TAG_PREFIX = "lolpop.history.";

/** The JSON of one history tag, shortened to MLflow's tag value limit (the reason is cut first). */
function historyTagValue(event: PromotionEvent): string {
  let json = JSON.stringify(event);
  const max = MLFLOW_LIMITS.registryTagValueLength;
  if (json.length > max && event.reason !== undefined) {
    const over = json.length - max + 3;
    json = JSON.stringify({
      ...event,
      reason: `${event.reason.slice(0, Math.max(0, event.reason.length - over))}...`,
    });
  }
  return json.length > max
    ? JSON.stringify({ ...event, reason: undefined, by: event.by?.slice(0, 200) })
    : json;
}

/** A history tag's event, or undefined when the tag does not hold one. */
function parseHistoryTag(value: string): PromotionEvent | undefined {
  try {
    const o = JSON.parse(value) as Partial<PromotionEvent>;
    if (typeof o.alias !== "string" || !Number.isInteger(o.version) || typeof o.at !== "string")
      return undefined;
    return {
      alias: o.alias,
      version: o.version!,
      previous: Number.isInteger(o.previous) ? o.previous! : null,
      at: o.at,
      ...(typeof o.by === "string" ? { by: o.by } : {}),
      ...(typeof o.reason === "string" ? { reason: o.reason } : {}),
    };
  } catch {
    return undefined;
  }
}

/** Folder of a version below its run's artifacts (`model`, or `model-2`... when taken). */
export const MODEL_ARTIFACT_PATH = "model";

/** Format name recorded in the `lolpop` flavor. */
export const BUNDLE_FORMAT = "lolpop-model-bundle";

/** Config of {@link mlflowModelRepository}. */
export interface MlflowModelRepositoryConfig extends MlflowConnectionConfig {
  experiment_name?: string | null;
  restore_deleted_experiment?: boolean;
  download_dir?: string | null;
  registration_timeout_s?: number;
  /** Formats to export each version to at registration (`onnx`). Default none. */
  export?: ModelExportFormat[];
}

/** A file an export made from the folder being registered (`model.onnx`), with the model's tensors. */
export interface MlflowRegistrationFile {
  file: string;
  bytes: Uint8Array;
  /** Format of the file (`onnx`). */
  format: string;
  /** The exported model's inputs and outputs (for the signature). */
  inputs: OnnxTensorInfo[];
  outputs: OnnxTensorInfo[];
}

/** Options of {@link createMlflowModelRepository}. */
export interface MlflowModelRepositoryOptions {
  client: MlflowClient;
  /** Experiment of registration runs (used when `register_model` gets no MLflow run id). */
  experimentName: string;
  restoreDeletedExperiment?: boolean;
  /** Where `download_model` puts versions. */
  downloadDir: string;
  /** How long to wait for a version to leave `PENDING_REGISTRATION`. Default 300 s. */
  registrationTimeoutMs?: number;
  /** Version of @lolpop/mlflow written into MLmodel files. */
  lolpopVersion?: string;
  logger?: Logger;
  /**
   * Makes extra files from the folder being registered (the `export:` option). An ONNX file is
   * uploaded as `model.onnx` and recorded as the `onnx` and `python_function` flavors. A throw fails
   * the registration before anything is uploaded.
   */
  exportFiles?: (dir: string, name: string) => Promise<MlflowRegistrationFile[]>;
}

/** A model repository backed by an MLflow model registry. */
export type MlflowModelRepository = ModelRepository & {
  /** The REST client. */
  readonly client: MlflowClient;
  /** Folder of downloaded versions. */
  readonly download_dir: string;
  /** Releases connections. */
  close(): Promise<void>;
  list_models: NonNullable<ModelRepository["list_models"]>;
  get_promotion_history: NonNullable<ModelRepository["get_promotion_history"]>;
  archive_model: NonNullable<ModelRepository["archive_model"]>;
  delete_model_version: NonNullable<ModelRepository["delete_model_version"]>;
};

function checkVersion(version: number): string {
  if (!Number.isInteger(version) || version < 1)
    invalidRequest(`Invalid model version ${JSON.stringify(version)}: versions are integers from 1`);
  return String(version);
}

function checkName(name: unknown): string {
  if (typeof name !== "string" || name.trim() === "")
    invalidRequest(`Invalid registered model name ${JSON.stringify(name)}: use a non-empty name`);
  return name as string;
}

/** A file-system-safe folder name for a model name. */
function safeSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_.-]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  return s.startsWith(".") ? `_${s}` : s;
}

/** Maps an MLflow model version to lolpop's {@link ModelVersionInfo}. */
export function toModelVersionInfo(mv: MlflowModelVersion, aliases?: string[]): ModelVersionInfo {
  const all = fromTagList(mv.tags);
  const tags: Record<string, string> = {};
  const metrics: Record<string, number> = {};
  for (const [k, v] of Object.entries(all)) {
    if (k.startsWith(MLFLOW_VERSION_TAGS.metricPrefix)) {
      const n = parseNumberTag(v);
      if (n !== undefined) metrics[k.slice(MLFLOW_VERSION_TAGS.metricPrefix.length)] = n;
    } else if (k !== REQUEST_ID_TAG && k !== MLFLOW_VERSION_TAGS.runId) tags[k] = v;
  }
  const runId = all[MLFLOW_VERSION_TAGS.runId] ?? (mv.run_id || undefined);
  return {
    name: mv.name ?? "",
    version: Number(mv.version),
    created_at: new Date(mv.creation_timestamp ?? 0).toISOString(),
    ...(runId ? { run_id: runId } : {}),
    aliases: [...(aliases ?? mv.aliases ?? [])].sort(),
    tags,
    metrics,
    uri: mv.source ?? "",
  };
}

/**
 * Creates the repository. Exposed for library use; workflows use the {@link mlflowModelRepository}
 * component.
 */
export function createMlflowModelRepository(options: MlflowModelRepositoryOptions): MlflowModelRepository {
  const client = options.client;
  const logger = options.logger ?? silentLogger;
  const downloadDir = resolve(options.downloadDir);

  const nameFilter = (name: string): string => {
    const q = quoteFilterValue(name);
    if (!q)
      invalidRequest(
        `Registered model name ${JSON.stringify(name)} cannot hold both ' and " (MLflow's filter syntax cannot quote it)`,
      );
    return `name = ${q}`;
  };

  const getVersion = async (name: string, version: number): Promise<MlflowModelVersion> =>
    client.getModelVersion(checkName(name), checkVersion(version));

  /** The run that hosts a version's files: the given MLflow run, or a new registration run. */
  const hostRun = async (
    name: string,
    runId: string | undefined,
  ): Promise<{ runId: string; artifactUri: string; own: boolean }> => {
    if (runId && /^[\w-]{1,256}$/.test(runId)) {
      try {
        const run = await client.getRun(runId);
        if (run.info?.run_id && run.info.artifact_uri && run.info.lifecycle_stage !== "deleted")
          return { runId: run.info.run_id, artifactUri: run.info.artifact_uri, own: false };
      } catch (e) {
        if (!isNotFound(e) && !isMlflowError(e, "INVALID_PARAMETER_VALUE")) throw e;
        logger.debug(`run ${runId} is not an MLflow run on ${client.trackingUri}: using a registration run`);
      }
    }
    const exp = await client.getOrCreateExperiment(options.experimentName, {
      restoreDeleted: options.restoreDeletedExperiment,
    });
    const run = await client.createRun({
      experimentId: exp.experiment_id!,
      runName: `register-${name}`.slice(0, 250),
      tags: {
        "lolpop.stage": "model_registration",
        "lolpop.model_name": name.slice(0, 8000),
        ...(runId ? { "lolpop.source_run_id": runId.slice(0, 8000) } : {}),
      },
    });
    if (!run.info?.run_id || !run.info.artifact_uri)
      throw new RemoteServiceError({
        service: "mlflow",
        message: "MLflow runs/create returned no run id or artifact_uri",
      });
    return { runId: run.info.run_id, artifactUri: run.info.artifact_uri, own: true };
  };

  const freeArtifactPath = async (artifactUri: string): Promise<string> => {
    const taken = new Set((await client.listArtifacts(artifactUri)).map((f) => f.path));
    if (!taken.has(MODEL_ARTIFACT_PATH)) return MODEL_ARTIFACT_PATH;
    for (let k = 2; ; k++)
      if (!taken.has(`${MODEL_ARTIFACT_PATH}-${k}`)) return `${MODEL_ARTIFACT_PATH}-${k}`;
  };

  const setTags = async (name: string, version: string, tags: Record<string, string>) => {
    for (const [k, v] of Object.entries(tags)) await client.setModelVersionTag(name, version, k, v);
  };
  const deleteTags = async (
    name: string,
    version: string,
    present: Record<string, string>,
    keys: string[],
  ) => {
    for (const k of keys) if (k in present) await client.deleteModelVersionTag(name, version, k);
  };

  /** Throws when an alias of the registered model points at the version. */
  const refuseAliasTarget = async (name: string, version: number, what: string): Promise<void> => {
    const model = await client.findRegisteredModel(name);
    const aliases = (model?.aliases ?? []).filter((a) => a.version === String(version)).map((a) => a.alias);
    if (aliases.length)
      throw new LolpopError({
        code: "version_is_alias_target",
        message: `Cannot ${what} version ${version} of MLflow model "${name}": alias ${aliases.map((a) => `"${a}"`).join(", ")} points at it; promote another version first`,
      });
  };

  /** Appends one alias move to the registered model's history tags (one tag per move, never overwritten). */
  const recordMove = async (name: string, event: PromotionEvent): Promise<void> => {
    const key = `${HISTORY_TAG_PREFIX}${event.at.replace(/[-:.]/g, "")}.${randomBytes(4).toString("hex")}`;
    await client.setRegisteredModelTag(name, key, historyTagValue(event));
  };

  const repo: MlflowModelRepository = {
    client,
    download_dir: downloadDir,

    async register_model({ name, dir, run_id, metrics = {}, tags = {} }) {
      checkName(name);
      let info: Awaited<ReturnType<typeof stat>>;
      try {
        info = await stat(dir);
      } catch (e) {
        throw new LolpopError({
          code: "mlflow_invalid_request",
          message: `Cannot register model "${name}": ${dir} does not exist`,
          cause: e,
        });
      }
      if (!info.isDirectory()) invalidRequest(`Cannot register model "${name}": ${dir} is not a directory`);
      const files = await listFilesRecursive(dir);
      if (files.length === 0) invalidRequest(`Cannot register model "${name}": ${dir} is empty`);
      if (files.includes(MLMODEL_FILE))
        invalidRequest(
          `Cannot register model "${name}": ${dir} contains a file named ${MLMODEL_FILE}, which the MLflow repository writes itself; rename it`,
        );
      const versionTags: Record<string, string> = {};
      for (const [k, v] of Object.entries(tags)) versionTags[k] = String(v);
      for (const [k, v] of Object.entries(metrics)) {
        if (typeof v !== "number")
          invalidRequest(`Metric "${k}" of model "${name}" must be a number, got ${typeof v}`);
        versionTags[`${MLFLOW_VERSION_TAGS.metricPrefix}${k}`] = String(v);
      }
      if (run_id) versionTags[MLFLOW_VERSION_TAGS.runId] = run_id;
      for (const [key, value] of Object.entries(versionTags)) validateRegistryTag({ key, value });

      const extra = options.exportFiles ? await options.exportFiles(dir, name) : [];
      for (const x of extra)
        if (files.includes(x.file) || x.file === MLMODEL_FILE)
          invalidRequest(
            `Cannot register model "${name}": ${dir} already contains ${x.file}, which the export writes; rename it`,
          );
      const onnx = extra.find((x) => x.format === "onnx" && x.file === ONNX_MODEL_FILE);
      let flavors: OnnxFlavors | undefined;
      if (onnx) flavors = onnxFlavors(onnx);

      await client.getOrCreateRegisteredModel(name);
      const host = await hostRun(name, run_id);
      const artifactPath = await freeArtifactPath(host.artifactUri);
      let size = 0;
      try {
        for (const f of files) {
          const path = join(dir, ...f.split("/"));
          size += (await stat(path)).size;
          await client.uploadFile(host.artifactUri, `${artifactPath}/${f}`, path);
        }
        for (const x of extra) {
          size += x.bytes.byteLength;
          await client.uploadArtifact(host.artifactUri, `${artifactPath}/${x.file}`, x.bytes);
        }
        let meta: Record<string, unknown> = {};
        try {
          meta = JSON.parse(await readFile(join(dir, "lolpop-model.json"), "utf8")) as Record<
            string,
            unknown
          >;
        } catch {
          meta = {};
        }
        const typeOf = (k: string) => {
          const v = meta[k] as { type?: unknown } | undefined;
          return typeof v?.type === "string" ? v.type : undefined;
        };
        const mlmodel = renderMlmodel({
          artifact_path: artifactPath,
          run_id: host.runId,
          model_size_bytes: size,
          flavor: {
            lolpop_version: options.lolpopVersion ?? "0.0.0",
            format: BUNDLE_FORMAT,
            format_version: typeof meta.format === "number" ? meta.format : 1,
            runtime: "node",
            data: "lolpop-model.json",
            ...(typeOf("trainer") ? { trainer: typeOf("trainer") } : {}),
            ...(typeOf("feature_transformer") ? { feature_transformer: typeOf("feature_transformer") } : {}),
            ...(typeof meta.problem_type === "string" ? { problem_type: meta.problem_type } : {}),
            files: [...files, ...extra.map((x) => x.file)],
          },
          ...(flavors ? { onnx: flavors } : {}),
          metadata: { lolpop_metrics: metrics, ...(run_id ? { lolpop_run_id: run_id } : {}) },
        });
        await client.uploadArtifact(host.artifactUri, `${artifactPath}/${MLMODEL_FILE}`, mlmodel);
        const created = await client.createModelVersion({
          name,
          source: `${host.artifactUri}/${artifactPath}`,
          runId: host.runId,
          tags: versionTags,
        });
        const mv =
          created.status === "READY"
            ? created
            : await client.waitForModelVersion(name, created.version!, {
                timeoutMs: options.registrationTimeoutMs ?? 300_000,
              });
        if (host.own) await client.updateRun({ runId: host.runId, status: "FINISHED", endTime: Date.now() });
        logger.info(
          `registered ${name} version ${mv.version} in MLflow (${host.artifactUri}/${artifactPath})`,
        );
        return toModelVersionInfo(mv, []);
      } catch (e) {
        await client.deleteArtifact(host.artifactUri, artifactPath).catch(() => undefined);
        if (host.own)
          await client
            .updateRun({ runId: host.runId, status: "FAILED", endTime: Date.now() })
            .catch(() => undefined);
        throw e;
      }
    },

    async get_model_version(name, version) {
      return toModelVersionInfo(await getVersion(name, version));
    },

    async get_alias(name, alias) {
      const mv = await client.getModelVersionByAlias(checkName(name), alias);
      return mv ? toModelVersionInfo(mv) : undefined;
    },

    async list_versions(name) {
      checkName(name);
      const versions = await client.searchAllModelVersions({ filter: nameFilter(name) });
      if (versions.length === 0) return [];
      const model = await client.findRegisteredModel(name);
      const byVersion = new Map<string, string[]>();
      for (const a of model?.aliases ?? []) {
        if (!a.version || !a.alias) continue;
        byVersion.set(a.version, [...(byVersion.get(a.version) ?? []), a.alias]);
      }
      return versions
        .filter((v) => v.name === name)
        .map((v) => toModelVersionInfo(v, byVersion.get(v.version ?? "") ?? []))
        .sort((a, b) => a.version - b.version);
    },

    async download_model(name, version) {
      await getVersion(name, version);
      const uri = await client.getModelVersionDownloadUri(name, checkVersion(version));
      const key = createHash("sha256")
        .update(`${client.trackingUri}\n${name}\n${version}\n${uri}`)
        .digest("hex")
        .slice(0, 12);
      const target = join(downloadDir, safeSegment(name), `${version}-${key}`);
      const exists = await stat(target).then(
        (s) => s.isDirectory(),
        () => false,
      );
      if (exists) return target;
      const tmp = `${target}.tmp-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
      try {
        const files = await client.downloadArtifacts(uri, "", tmp);
        if (files.length === 0)
          throw new LolpopError({
            code: "mlflow_model_empty",
            message: `MLflow model ${name} version ${version} has no files at ${uri}: register a new version`,
          });
        if (!files.includes(MLMODEL_FILE))
          logger.warn(
            `MLflow model ${name} version ${version} has no ${MLMODEL_FILE} file: it was not registered by lolpop`,
          );
        try {
          await rename(tmp, target);
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== "EEXIST" && code !== "ENOTEMPTY") throw e; // another process finished first
        }
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
      return target;
    },

    async promote_model(name, version, opts = {}) {
      const v = checkVersion(version);
      const mv = await getVersion(name, version);
      const by = (opts.promoted_by || osUserName()).slice(0, MLFLOW_LIMITS.registryTagValueLength);
      const reason =
        opts.reason === undefined ? undefined : opts.reason.slice(0, MLFLOW_LIMITS.registryTagValueLength);
      // MLflow has no conditional alias update: the champion is read again right before the alias
      // is set, and compared with the one the decision was made against.
      const current = await client.getModelVersionByAlias(name, CHAMPION_ALIAS);
      const previous = current?.version ? Number(current.version) : null;
      if (opts.expected_champion !== undefined && previous !== opts.expected_champion)
        return { promoted: false, champion: previous, previous };
      if (previous === version) return { promoted: false, champion: version, previous };
      await client.setRegisteredModelAlias(name, CHAMPION_ALIAS, v);
      const at = new Date().toISOString();
      await recordMove(name, {
        alias: CHAMPION_ALIAS,
        version,
        previous,
        at,
        by,
        ...(reason !== undefined ? { reason } : {}),
      });
      const tags = fromTagList(mv.tags);
      await deleteTags(name, v, tags, [
        MODEL_TAGS.previousChampion,
        MODEL_TAGS.demotedAt,
        ...(reason === undefined ? [MODEL_TAGS.promotionReason] : []),
      ]);
      await setTags(name, v, {
        [MODEL_TAGS.promotedAt]: at,
        [MODEL_TAGS.promotedBy]: by,
        ...(reason !== undefined ? { [MODEL_TAGS.promotionReason]: reason } : {}),
      });
      if (current?.version)
        await setTags(name, current.version, {
          [MODEL_TAGS.previousChampion]: "true",
          [MODEL_TAGS.demotedAt]: at,
        });
      logger.info(
        `MLflow model ${name}: alias ${CHAMPION_ALIAS} -> version ${v}${current?.version ? ` (was ${current.version})` : ""}`,
      );
      return { promoted: true, champion: version, previous };
    },

    async approve_model(name, version, opts = {}) {
      const v = checkVersion(version);
      const mv = await getVersion(name, version);
      const who = opts.approved_by || osUserName();
      const tags: Record<string, string> = {
        [MODEL_TAGS.approved]: "true",
        [MODEL_TAGS.approvedBy]: who.slice(0, MLFLOW_LIMITS.registryTagValueLength),
        [MODEL_TAGS.approvedAt]: new Date().toISOString(),
      };
      if (opts.comment !== undefined) tags[MODEL_TAGS.approvalComment] = opts.comment;
      for (const [key, value] of Object.entries(tags)) validateRegistryTag({ key, value });
      await setTags(name, v, tags);
      if (opts.comment === undefined)
        await deleteTags(name, v, fromTagList(mv.tags), [MODEL_TAGS.approvalComment]);
    },

    async check_approval(name, version) {
      const mv = await getVersion(name, version);
      return fromTagList(mv.tags)[MODEL_TAGS.approved] === "true";
    },

    async list_models() {
      const models = await client.searchAllRegisteredModels();
      return models
        .map((m) => m.name ?? "")
        .filter((n) => n !== "")
        .sort();
    },

    async get_promotion_history(name) {
      const model = await client.findRegisteredModel(checkName(name));
      if (!model) return [];
      const events: PromotionEvent[] = [];
      for (const t of (model.tags ?? [])
        .filter((t) => t.key?.startsWith(HISTORY_TAG_PREFIX))
        .sort((a, b) => (a.key! < b.key! ? -1 : 1))) {
        const e = parseHistoryTag(t.value ?? "");
        if (e) events.push(e);
        else logger.warn(`MLflow model ${name}: tag ${t.key} is not a lolpop promotion event; skipped`);
      }
      return events;
    },

    async archive_model(name, version, opts = {}) {
      const v = checkVersion(version);
      const mv = await getVersion(name, version);
      await refuseAliasTarget(name, version, "archive");
      const tags: Record<string, string> = {
        [MODEL_TAGS.archived]: "true",
        [MODEL_TAGS.archivedBy]: (opts.archived_by || osUserName()).slice(
          0,
          MLFLOW_LIMITS.registryTagValueLength,
        ),
        [MODEL_TAGS.archivedAt]: new Date().toISOString(),
        ...(opts.reason !== undefined
          ? { [MODEL_TAGS.archiveReason]: opts.reason.slice(0, MLFLOW_LIMITS.registryTagValueLength) }
          : {}),
      };
      await setTags(name, v, tags);
      if (opts.reason === undefined)
        await deleteTags(name, v, fromTagList(mv.tags), [MODEL_TAGS.archiveReason]);
    },

    async delete_model_version(name, version) {
      const v = checkVersion(version);
      await getVersion(name, version);
      await refuseAliasTarget(name, version, "delete");
      await client.deleteModelVersion(name, v);
      logger.info(`MLflow model ${name}: deleted version ${v}`);
    },

    close: () => client.close(),
  };
  return repo;
}

/** JSON Schema of {@link mlflowModelRepository}'s config. */
export const mlflowModelRepositoryConfigSchema = mlflowConfigSchema(
  {
    experiment_name:
      "Experiment of the registration runs created when register_model gets no MLflow run (e.g. with LocalMetadataTracker). null: MLFLOW_EXPERIMENT_NAME, else the project folder's name.",
    restore: "When that experiment was deleted in MLflow, restore it instead of failing.",
  },
  {
    download_dir: {
      type: ["string", "null"],
      default: null,
      description:
        "Where download_model puts model versions (relative to the project folder). null: <project>/.lolpop/mlflow-models.",
    },
    registration_timeout_s: {
      type: "number",
      exclusiveMinimum: 0,
      default: 300,
      description: "How long to wait for a new model version to leave PENDING_REGISTRATION.",
    },
    export: MODEL_EXPORT_CONFIG_PROPERTY,
  },
);

/** The `export:` option: @lolpop/onnx, loaded when a version is registered. */
function exporter(
  host: BundleHost,
  formats: readonly ModelExportFormat[],
): (dir: string, name: string) => Promise<MlflowRegistrationFile[]> {
  return async (dir, name) => {
    const { exportForRegistration } = await import("@lolpop/onnx");
    const made = await exportForRegistration(host, dir, {
      formats,
      label: `the new version of ${name}`,
      name,
    });
    const info = (v: OnnxGraphValue): OnnxTensorInfo => {
      if (!("tensor" in v.type)) throw new Error(`exported value ${v.name} is not a tensor`);
      return { name: v.name, type: v.type.tensor, shape: [...(v.type.shape ?? [])] };
    };
    return made.map((m) => ({
      file: m.file,
      bytes: m.bytes,
      format: m.format,
      inputs: m.model.graph.inputs.map(info),
      outputs: m.model.graph.outputs.map(info),
    }));
  };
}

/**
 * Builds the `MLflowModelRepository` component definition (the package passes its name and version).
 * @internal
 */
export function defineMlflowModelRepository(pkg: PackageInfo) {
  return defineComponent<"model_repository", MlflowModelRepositoryConfig>({
    kind: "model_repository",
    type: "MLflowModelRepository",
    description:
      "Registers model versions in an MLflow model registry (MLmodel with a lolpop flavor), moves the champion alias, records approval as tags",
    configSchema: mlflowModelRepositoryConfigSchema,
    checkConfig: checkConnectionConfig,
    checkPlan: checkModelExportPlan,
    create: (ctx) => {
      const cfg = ctx.config;
      return createMlflowModelRepository({
        client: clientFromContext(ctx, pkg, { cancellable: true }),
        experimentName: defaultExperimentName(cfg.experiment_name, ctx.project.root),
        restoreDeletedExperiment: cfg.restore_deleted_experiment ?? false,
        downloadDir: cfg.download_dir
          ? resolve(ctx.project.root, cfg.download_dir)
          : join(ctx.project.stateDir, "mlflow-models"),
        registrationTimeoutMs: (cfg.registration_timeout_s ?? 300) * 1000,
        lolpopVersion: pkg.version,
        logger: ctx.logger,
        ...(cfg.export?.length ? { exportFiles: exporter(ctx, cfg.export) } : {}),
      });
    },
  });
}
