/**
 * `LocalModelRepository`: numbered model versions, aliases and approval as files under the local
 * store (default `.lolpop/`).
 *
 * Layout:
 *
 * ```
 * <dir>/models/<name>/versions/<n>/              the model files, copied from the registered folder
 * <dir>/models/<name>/versions/<n>/version.json  {name, version, created_at, run_id?, metrics, files} (immutable)
 * <dir>/models/<name>/versions/<n>/tags.json     mutable tags (approval, previous champion...)
 * <dir>/models/<name>/aliases.json               {aliases: {champion: n}, history: [{alias, version, previous, at, by, reason?}]}
 * <dir>/models/<name>/.lock/                     held while a version number or an alias is chosen
 * ```
 *
 * Registration is atomic: files are copied into a private temp folder `versions/.tmp-<pid>-<hex>`,
 * then, under the model's lock, the next number is chosen, `version.json` is written last and
 * flushed, and the folder is renamed to `versions/<n>` in one step. A process killed at any point
 * leaves either no version or a complete one; temp folders of dead processes are ignored, and removed
 * by the next registration.
 *
 * Test-only: the environment variable `LOLPOP_TEST_CRASH_AT` makes the process SIGKILL itself at one
 * point (`register:mid-copy`, `register:after-lock`, `register:before-rename`,
 * `register:after-rename`, `promote:before-write`), and `LOLPOP_TEST_PAUSE_AT` makes it stop there
 * until a test kills it, so crash safety can be tested. Never set them otherwise.
 */
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  CHAMPION_ALIAS,
  checkModelExportPlan,
  defineComponent,
  MODEL_EXPORT_CONFIG_PROPERTY,
  MODEL_TAGS,
  type ModelExportFormat,
  type ModelRepository,
  type ModelVersionInfo,
  osUserName,
  type StepCacheStore,
  StoreError,
  writeJsonAtomic,
} from "@lolpop/core";
import { localBlobStore } from "./local-blob-store.js";
import { localStepCache } from "./local-step-cache.js";
import {
  copyTree,
  corruptedFileError,
  crashPoint,
  decodeNumber,
  encodeNumber,
  expectObject,
  fsyncDir,
  isNotFound,
  isProcessAlive,
  readJson,
  readJsonIfExists,
  resolveStoreDir,
  SAFE_SEGMENT,
  STORE_CONFIG_SCHEMA,
  type StoreConfig,
  tempName,
  tempOwnerPid,
  withLock,
  writeFileDurable,
} from "./local-store.js";

/** Config of {@link localModelRepository}. */
export interface LocalModelRepositoryConfig extends StoreConfig {
  /** Formats to export each version to at registration (`onnx`: `model.onnx`). Default none. */
  export?: ModelExportFormat[];
}

/** A file written beside a version's files at registration (an export such as `model.onnx`). */
export interface RegistrationFile {
  /** Name in the version folder. */
  file: string;
  bytes: Uint8Array;
}

/** Options of {@link createLocalModelRepository}. */
export interface LocalModelRepositoryOptions {
  /**
   * Makes extra files from the folder being registered (the `export:` option); they are stored
   * with the version. A throw fails the registration, and nothing is registered.
   */
  exportFiles?: (dir: string, name: string) => Promise<RegistrationFile[]>;
}

/** Content of `versions/<n>/version.json`. */
export interface VersionFile {
  name: string;
  version: number;
  created_at: string;
  run_id?: string;
  /** Metrics at registration (NaN and infinities stored as strings). */
  metrics: Record<string, number | string>;
  /** Registered files, relative to the version folder. */
  files: string[];
}

/** One change of an alias in `aliases.json`. */
export interface AliasChange {
  alias: string;
  version: number;
  /** Version the alias pointed at before, or null. */
  previous: number | null;
  /** ISO time. */
  at: string;
  /** Who moved it (`PromoteOptions.promoted_by`, else the OS user). */
  by?: string;
  /** Why (`PromoteOptions.reason`), when given. */
  reason?: string;
}

/** Content of `aliases.json`. */
export interface AliasesFile {
  aliases: Record<string, number>;
  history: AliasChange[];
}

/** File names inside a version folder that the repository owns; a registered folder must not contain them. */
const RESERVED = new Set(["version.json", "tags.json"]);

const VERSION_DIR = /^[1-9][0-9]*$/;

/** A local, file-based model repository. */
export type LocalModelRepository = ModelRepository & {
  /** Absolute store folder. */
  readonly dir: string;
  /** Names of the registered models, sorted. */
  list_models(): Promise<string[]>;
  /** The alias file of a model (aliases and their history). */
  get_aliases(name: string): Promise<AliasesFile>;
  get_promotion_history: NonNullable<ModelRepository["get_promotion_history"]>;
  archive_model: NonNullable<ModelRepository["archive_model"]>;
  delete_model_version: NonNullable<ModelRepository["delete_model_version"]>;
};

/**
 * Creates the repository for a store folder. Exposed for library use; workflows use the
 * {@link localModelRepository} component.
 */
export function createLocalModelRepository(
  root: string,
  options: LocalModelRepositoryOptions = {},
): LocalModelRepository {
  const modelsDir = join(root, "models");

  const modelDir = (name: string): string => {
    if (typeof name !== "string" || !SAFE_SEGMENT.test(name)) {
      throw new StoreError({
        message: `Invalid model name ${JSON.stringify(name)}: use letters, digits, ".", "_" and "-" (not starting with ".")`,
        code: "store_invalid_name",
      });
    }
    return join(modelsDir, name);
  };
  const versionsDir = (name: string) => join(modelDir(name), "versions");
  const versionDir = (name: string, version: number) => join(versionsDir(name), String(version));
  const aliasesPath = (name: string) => join(modelDir(name), "aliases.json");

  const listModels = async (): Promise<string[]> => {
    try {
      return (await readdir(modelsDir)).filter((n) => SAFE_SEGMENT.test(n)).sort();
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
  };

  /** Version numbers whose folder exists and holds a version.json, ascending. */
  const completeVersions = async (name: string): Promise<number[]> => {
    let names: string[];
    try {
      names = await readdir(versionsDir(name));
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    const out: number[] = [];
    for (const n of names) {
      if (!VERSION_DIR.test(n)) continue;
      try {
        await stat(join(versionsDir(name), n, "version.json"));
        out.push(Number(n));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    }
    return out.sort((a, b) => a - b);
  };

  const notFound = async (name: string, version?: number): Promise<StoreError> => {
    const versions = await completeVersions(name);
    if (versions.length === 0) {
      const models = await listModels();
      return new StoreError({
        message: `No model named "${name}" in ${modelsDir} (models: ${models.join(", ") || "none"})`,
        path: modelDir(name),
        code: "store_not_found",
      });
    }
    return new StoreError({
      message: `Model "${name}" has no version ${version} (versions: ${versions.join(", ")})`,
      path: versionDir(name, version ?? 0),
      code: "store_not_found",
    });
  };

  const checkVersionArg = (version: number): void => {
    if (!Number.isInteger(version) || version < 1) {
      throw new StoreError({
        message: `Invalid model version ${JSON.stringify(version)}: versions are integers from 1`,
        code: "store_invalid_name",
      });
    }
  };

  const readVersionFile = async (name: string, version: number): Promise<VersionFile> => {
    checkVersionArg(version);
    const path = join(versionDir(name, version), "version.json");
    let raw: unknown;
    try {
      raw = await readJson(path);
    } catch (e) {
      if (isNotFound(e)) throw await notFound(name, version);
      throw e;
    }
    const o = expectObject(raw, path);
    if (
      o.version !== version ||
      typeof o.created_at !== "string" ||
      typeof o.metrics !== "object" ||
      o.metrics === null
    ) {
      throw corruptedFileError(
        path,
        `it does not describe version ${version} of "${name}" (expected {name, version, created_at, metrics})`,
      );
    }
    return o as unknown as VersionFile;
  };

  const readTags = async (name: string, version: number): Promise<Record<string, string>> => {
    const path = join(versionDir(name, version), "tags.json");
    const raw = await readJsonIfExists(path);
    return raw === undefined ? {} : (expectObject(raw, path) as Record<string, string>);
  };

  const readAliases = async (name: string): Promise<AliasesFile> => {
    const path = aliasesPath(name);
    const raw = await readJsonIfExists(path);
    if (raw === undefined) return { aliases: {}, history: [] };
    const o = expectObject(raw, path);
    const aliases = o.aliases as Record<string, unknown> | undefined;
    const ok =
      typeof aliases === "object" &&
      aliases !== null &&
      !Array.isArray(aliases) &&
      Object.values(aliases).every((v) => Number.isInteger(v)) &&
      Array.isArray(o.history);
    if (!ok) throw corruptedFileError(path, "expected {aliases: {name: version}, history: [...]}");
    return o as unknown as AliasesFile;
  };

  const toInfo = (
    file: VersionFile,
    tags: Record<string, string>,
    aliases: AliasesFile,
    name: string,
  ): ModelVersionInfo => {
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(file.metrics)) {
      const n = decodeNumber(v);
      if (n !== undefined) metrics[k] = n;
    }
    return {
      name,
      version: file.version,
      created_at: file.created_at,
      ...(file.run_id !== undefined ? { run_id: file.run_id } : {}),
      aliases: Object.entries(aliases.aliases)
        .filter(([, v]) => v === file.version)
        .map(([k]) => k)
        .sort(),
      tags,
      metrics,
      uri: pathToFileURL(versionDir(name, file.version)).href,
    };
  };

  const getVersion = async (name: string, version: number): Promise<ModelVersionInfo> => {
    const file = await readVersionFile(name, version);
    return toInfo(file, await readTags(name, version), await readAliases(name), name);
  };

  /** Read-modify-write of a version's tags; call under the model's lock. */
  const updateTags = async (
    name: string,
    version: number,
    update: (tags: Record<string, string>) => void,
  ): Promise<void> => {
    const tags = await readTags(name, version);
    update(tags);
    await writeJsonAtomic(join(versionDir(name, version), "tags.json"), tags);
  };

  /** Throws when an alias points at the version. Call under the model's lock. */
  const refuseAliasTarget = async (name: string, version: number, what: string): Promise<void> => {
    const aliases = Object.entries((await readAliases(name)).aliases)
      .filter(([, v]) => v === version)
      .map(([a]) => a);
    if (aliases.length)
      throw new StoreError({
        message: `Cannot ${what} version ${version} of model "${name}": alias ${aliases.map((a) => `"${a}"`).join(", ")} points at it; promote another version first`,
        path: aliasesPath(name),
        code: "version_is_alias_target",
      });
  };

  /** Removes temp folders of registrations whose process is dead. Call under the model's lock. */
  const cleanupTemps = async (name: string, keep: string): Promise<void> => {
    for (const entry of await readdir(versionsDir(name))) {
      const pid = tempOwnerPid(entry);
      if (pid === undefined || entry === keep || pid === process.pid || isProcessAlive(pid)) continue;
      await rm(join(versionsDir(name), entry), { recursive: true, force: true });
    }
  };

  let stepCache: StepCacheStore | undefined;
  const repo: LocalModelRepository = {
    dir: root,

    /** The store's blobs (`<dir>/blobs`) and step cache (`<dir>/cache/steps`). */
    step_cache() {
      if (!stepCache) {
        const blobs = localBlobStore(root);
        stepCache = { blobs, cache: localStepCache(root, blobs) };
      }
      return stepCache;
    },

    async register_model({ name, dir, run_id, metrics = {}, tags = {} }) {
      const versions = versionsDir(name);
      let src: Awaited<ReturnType<typeof stat>>;
      try {
        src = await stat(dir);
      } catch (e) {
        throw new StoreError({
          message: `Cannot register model "${name}": ${dir} does not exist`,
          path: dir,
          code: "store_not_found",
          cause: e,
        });
      }
      if (!src.isDirectory())
        throw new StoreError({
          message: `Cannot register model "${name}": ${dir} is not a directory`,
          path: dir,
          code: "store_invalid_value",
        });
      const clash = (await readdir(dir)).filter((f) => RESERVED.has(f));
      if (clash.length) {
        throw new StoreError({
          message: `Cannot register model "${name}": ${dir} contains ${clash.join(" and ")}, names the model repository reserves for its own metadata; rename them`,
          path: dir,
          code: "store_invalid_value",
        });
      }
      for (const [k, v] of Object.entries(metrics)) {
        if (typeof v !== "number")
          throw new StoreError({
            message: `Metric "${k}" of model "${name}" must be a number`,
            code: "store_invalid_value",
          });
      }

      // 0. Exports (`export:`): made before anything is written, so a refused export leaves nothing.
      const extra = options.exportFiles ? await options.exportFiles(dir, name) : [];
      for (const x of extra)
        if (RESERVED.has(x.file))
          throw new StoreError({
            message: `an export cannot be named ${x.file}`,
            code: "store_invalid_value",
          });

      // 1. Copy outside the lock (the slow part), into a private temp folder invisible to readers.
      await mkdir(versions, { recursive: true });
      const tmpName = tempName();
      const tmp = join(versions, tmpName);
      let copied = 0;
      try {
        const files = await copyTree(dir, tmp, {
          onFile: () => {
            if (++copied === 1) crashPoint("register:mid-copy");
          },
        });
        for (const x of extra) {
          await writeFileDurable(join(tmp, x.file), x.bytes);
          if (!files.includes(x.file)) files.push(x.file);
        }
        const tagValues: Record<string, string> = {};
        for (const [k, v] of Object.entries(tags)) tagValues[k] = String(v);
        await writeFileDurable(join(tmp, "tags.json"), `${JSON.stringify(tagValues, null, 2)}\n`);

        // 2. Under the lock: choose the number, write version.json last, flush, rename (atomic).
        const version = await withLock(modelDir(name), async () => {
          crashPoint("register:after-lock");
          await cleanupTemps(name, tmpName);
          const taken = (await readdir(versions)).filter((n) => VERSION_DIR.test(n)).map(Number);
          const next = taken.reduce((m, n) => Math.max(m, n), 0) + 1;
          const file: VersionFile = {
            name,
            version: next,
            created_at: new Date().toISOString(),
            ...(run_id !== undefined ? { run_id } : {}),
            metrics: Object.fromEntries(Object.entries(metrics).map(([k, v]) => [k, encodeNumber(v)])),
            files,
          };
          await writeFileDurable(join(tmp, "version.json"), `${JSON.stringify(file, null, 2)}\n`);
          await fsyncDir(tmp);
          crashPoint("register:before-rename");
          await rename(tmp, versionDir(name, next));
          await fsyncDir(versions);
          crashPoint("register:after-rename");
          return next;
        });
        return await getVersion(name, version);
      } finally {
        await rm(tmp, { recursive: true, force: true });
      }
    },

    get_model_version: (name, version) => getVersion(name, version),

    async get_alias(name, alias) {
      const aliases = await readAliases(name);
      const version = aliases.aliases[alias];
      if (version === undefined) return undefined;
      try {
        return await getVersion(name, version);
      } catch (e) {
        if (StoreError.isInstance(e) && e.code === "store_not_found") {
          throw new StoreError({
            message: `Alias "${alias}" of model "${name}" points at version ${version}, which does not exist (${e.message}); fix ${aliasesPath(name)} or promote another version`,
            path: aliasesPath(name),
            code: "store_inconsistent",
            cause: e,
          });
        }
        throw e;
      }
    },

    async list_versions(name) {
      const numbers = await completeVersions(name);
      const aliases = numbers.length ? await readAliases(name) : { aliases: {}, history: [] };
      const out: ModelVersionInfo[] = [];
      for (const n of numbers)
        out.push(toInfo(await readVersionFile(name, n), await readTags(name, n), aliases, name));
      return out;
    },

    async download_model(name, version) {
      await readVersionFile(name, version);
      return versionDir(name, version);
    },

    async promote_model(name, version, options = {}) {
      await readVersionFile(name, version);
      const by = options.promoted_by ?? osUserName();
      return withLock(modelDir(name), async () => {
        await readVersionFile(name, version);
        const file = await readAliases(name);
        const previous = file.aliases[CHAMPION_ALIAS] ?? null;
        // Compare-and-set: decided and written under the model's lock, so no other process moves
        // the alias in between.
        if (options.expected_champion !== undefined && previous !== options.expected_champion)
          return { promoted: false, champion: previous, previous };
        if (previous === version) return { promoted: false, champion: version, previous };
        const at = new Date().toISOString();
        const change: AliasChange = {
          alias: CHAMPION_ALIAS,
          version,
          previous,
          at,
          by,
          ...(options.reason !== undefined ? { reason: options.reason } : {}),
        };
        const next: AliasesFile = {
          aliases: { ...file.aliases, [CHAMPION_ALIAS]: version },
          history: [...file.history, change],
        };
        crashPoint("promote:before-write");
        await writeJsonAtomic(aliasesPath(name), next);
        await updateTags(name, version, (tags) => {
          delete tags[MODEL_TAGS.previousChampion];
          delete tags[MODEL_TAGS.demotedAt];
          tags[MODEL_TAGS.promotedAt] = at;
          tags[MODEL_TAGS.promotedBy] = by;
          if (options.reason !== undefined) tags[MODEL_TAGS.promotionReason] = options.reason;
          else delete tags[MODEL_TAGS.promotionReason];
        });
        if (previous !== null) {
          const stillThere = await stat(join(versionDir(name, previous), "version.json")).then(
            () => true,
            () => false,
          );
          if (stillThere) {
            await updateTags(name, previous, (tags) => {
              tags[MODEL_TAGS.previousChampion] = "true";
              tags[MODEL_TAGS.demotedAt] = at;
            });
          }
        }
        return { promoted: true, champion: version, previous };
      });
    },

    async approve_model(name, version, options = {}) {
      await readVersionFile(name, version);
      const who = options.approved_by || osUserName();
      await withLock(modelDir(name), () =>
        updateTags(name, version, (tags) => {
          tags[MODEL_TAGS.approved] = "true";
          tags[MODEL_TAGS.approvedBy] = who;
          tags[MODEL_TAGS.approvedAt] = new Date().toISOString();
          if (options.comment !== undefined) tags[MODEL_TAGS.approvalComment] = options.comment;
          else delete tags[MODEL_TAGS.approvalComment];
        }),
      );
    },

    async check_approval(name, version) {
      await readVersionFile(name, version);
      return (await readTags(name, version))[MODEL_TAGS.approved] === "true";
    },

    list_models: listModels,
    get_aliases: readAliases,

    async get_promotion_history(name) {
      modelDir(name);
      const history = (await readAliases(name)).history;
      return history.map((h) => ({
        alias: h.alias,
        version: h.version,
        previous: h.previous ?? null,
        at: h.at,
        ...(h.by !== undefined ? { by: h.by } : {}),
        ...(h.reason !== undefined ? { reason: h.reason } : {}),
      }));
    },

    async archive_model(name, version, options = {}) {
      await readVersionFile(name, version);
      const who = options.archived_by || osUserName();
      await withLock(modelDir(name), async () => {
        await refuseAliasTarget(name, version, "archive");
        await updateTags(name, version, (tags) => {
          tags[MODEL_TAGS.archived] = "true";
          tags[MODEL_TAGS.archivedBy] = who;
          tags[MODEL_TAGS.archivedAt] = new Date().toISOString();
          if (options.reason !== undefined) tags[MODEL_TAGS.archiveReason] = options.reason;
          else delete tags[MODEL_TAGS.archiveReason];
        });
      });
    },

    async delete_model_version(name, version) {
      await readVersionFile(name, version);
      await withLock(modelDir(name), async () => {
        await refuseAliasTarget(name, version, "delete");
        // One rename makes the version disappear for readers; the files go after (a temp name, so
        // the next registration removes them if this process dies first).
        const doomed = join(versionsDir(name), tempName());
        await rename(versionDir(name, version), doomed);
        await fsyncDir(versionsDir(name));
        await rm(doomed, { recursive: true, force: true });
      });
    },
  };
  return repo;
}

/**
 * `LocalModelRepository` (kind `model_repository`): numbered versions of each model under
 * `<dir>/models/<name>/versions/<n>/` (default `<project>/.lolpop`), a `champion` alias with history,
 * approval as tags. Registration and promotion are atomic and safe across processes; a promotion
 * with `expected_champion` is a compare-and-set under the model's lock.
 */
export const localModelRepository = defineComponent<"model_repository", LocalModelRepositoryConfig>({
  kind: "model_repository",
  type: "LocalModelRepository",
  description: "Versions models, moves the champion alias and records approval as files under .lolpop/models",
  configSchema: {
    ...STORE_CONFIG_SCHEMA,
    properties: {
      ...(STORE_CONFIG_SCHEMA.properties as Record<string, unknown>),
      export: MODEL_EXPORT_CONFIG_PROPERTY,
    },
  },
  checkPlan: checkModelExportPlan,
  create: (ctx) => {
    const formats = ctx.config.export ?? [];
    return createLocalModelRepository(
      resolveStoreDir(ctx),
      formats.length
        ? {
            // @lolpop/onnx is loaded only when a version is exported.
            exportFiles: async (dir, name) => {
              const { exportForRegistration } = await import("@lolpop/onnx");
              return exportForRegistration(ctx, dir, { formats, label: `the new version of ${name}`, name });
            },
          }
        : {},
    );
  },
});
