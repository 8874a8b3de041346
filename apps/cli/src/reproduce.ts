/**
 * Reproducible runs: what `lolpop run` records in each run (core's `ReproduceRecord`, the run
 * artifact `reproduce.json`) and `lolpop run --reproduce <run-id>`, which runs the recorded config
 * again (from the store, not the current file) with the recorded data, and says what drifted.
 *
 * Drift is whatever cannot be had as recorded: a data file that changed (or is gone) and has no
 * snapshot, a user module whose code changed, a plugin (or core) at another version, an
 * environment variable or config secret with another value (compared by SHA-256), a seed.
 * `--reproduce` refuses to run when anything drifted, unless `--allow-drift`. Every reproduction is
 * tagged `lolpop.reproduced_from` (and `lolpop.reproduce_drift` when it ran despite drift).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import type { DataFileRecord, LoadedProject, MetadataTracker, ReproduceRecord, Workflow } from "@lolpop/core";
import { ExitError } from "./format.js";
import { openStore, requireMethod } from "./models-store.js";

/** One thing that differs from the recorded run. */
export interface Drift {
  kind: "data" | "code" | "plugin" | "env" | "secret" | "seed";
  /** What: a file, a component path, a plugin, a variable... */
  what: string;
  recorded: string;
  now: string;
}

/** Tags of a reproduced run. */
export const REPRODUCE_TAGS = {
  from: "lolpop.reproduced_from",
  drift: "lolpop.reproduce_drift",
} as const;

/** A prepared `--reproduce`: the project to run, what drifted so far, and what to clean up. */
export interface Reproduction {
  runId: string;
  /** The step the recorded run ran (`all`, `train`...). */
  step: string;
  loaded: LoadedProject;
  record: ReproduceRecord;
  drift: Drift[];
  /** Removes the data restored from snapshots. */
  cleanup(): Promise<void>;
}

function short(sha: string): string {
  return `sha256 ${sha.slice(0, 12)}`;
}

/** Every component plan (global, then per pipeline) of a loaded project. */
function componentPlans(loaded: LoadedProject) {
  return [...loaded.plan.components, ...loaded.plan.pipelines.flatMap((p) => p.components)];
}

/** The user code of the project's data transformers (`code_tree_fingerprint`), by component path. */
async function codeOf(loaded: LoadedProject, workflow: Workflow): Promise<ReproduceRecord["code"]> {
  const out: ReproduceRecord["code"] = {};
  for (const c of componentPlans(loaded)) {
    if (c.kind !== "data_transformer") continue;
    const t = workflow.component<{
      code_tree_fingerprint?: () => Promise<ReproduceRecord["code"][string] | undefined>;
    }>(c.path);
    const fp = typeof t.code_tree_fingerprint === "function" ? await t.code_tree_fingerprint() : undefined;
    if (fp) out[c.path] = { source: fp.source, sha256: fp.sha256, files: fp.files };
  }
  return out;
}

/** What `lolpop run` records about a finished run of `loaded` (built as `workflow`). */
export async function reproduceRecordOf(
  loaded: LoadedProject,
  workflow: Workflow,
  step: string,
): Promise<ReproduceRecord> {
  const { DATA_FILES_LINEAGE_KEY, REPRODUCE_FORMAT, recordableConfig, secretHash } = await import(
    "@lolpop/core"
  );
  const names = new Set<string>();
  const data = recordableConfig(loaded.plan.source.data, names);
  const env: Record<string, string | null> = {};
  for (const n of [...names].sort()) {
    const v = process.env[n];
    env[n] = v === undefined ? null : secretHash(v);
  }
  const lineage = workflow.lineage();
  const plugins: Record<string, string> = { "@lolpop/core": lineage.core_version };
  for (const p of lineage.plugins) plugins[p.name] = p.version;
  const files = lineage.extra[DATA_FILES_LINEAGE_KEY];
  return {
    format: REPRODUCE_FORMAT,
    step,
    config: {
      file: relative(dirname(loaded.plan.file), loaded.plan.file).split("\\").join("/"),
      data,
    },
    env,
    plugins,
    code: await codeOf(loaded, workflow),
    seeds: { ...lineage.seeds },
    data: Array.isArray(files) ? (files as DataFileRecord[]) : [],
  };
}

/** The metadata tracker of a built workflow, if the config has one. */
export function trackerOf(loaded: LoadedProject, workflow: Workflow): MetadataTracker | undefined {
  const plan = componentPlans(loaded).find((c) => c.kind === "metadata_tracker");
  return plan ? workflow.component<MetadataTracker>(plan.path) : undefined;
}

/** Seeds that differ from the recorded run (known only once the run has drawn them). */
function seedDrift(record: ReproduceRecord, workflow: Workflow): Drift[] {
  const now = workflow.lineage().seeds;
  const out: Drift[] = [];
  for (const [path, seed] of Object.entries(record.seeds ?? {}))
    if (now[path] !== undefined && now[path] !== seed)
      out.push({ kind: "seed", what: path, recorded: String(seed), now: String(now[path]) });
  return out;
}

/** Plugins that differ from the recorded ones; `current`: name → version now. */
function pluginDrift(record: ReproduceRecord, current: Record<string, string>, final: boolean): Drift[] {
  const out: Drift[] = [];
  for (const [name, version] of Object.entries(record.plugins ?? {})) {
    const now = current[name];
    if (now === version) continue;
    if (now === undefined && !final) continue; // loaded on demand: checked after the run
    out.push({ kind: "plugin", what: name, recorded: version, now: now ?? "not used" });
  }
  return out;
}

/** One line per drift, for messages and the summary. */
export function describeDrift(drift: readonly Drift[]): string[] {
  return drift.map((d) => `${d.kind} ${d.what}: recorded ${d.recorded}; now ${d.now}`);
}

/**
 * After a successful `lolpop run`: records the run's `reproduce.json`, and for a reproduction tags
 * the run and adds `reproduced_from` and `drift` to the summary (checking seeds and on-demand plugins,
 * which are only known now). Returns the lines to print after the summary.
 */
export async function afterRun(
  loaded: LoadedProject,
  workflow: Workflow,
  summary: Record<string, unknown>,
  reproduction: Reproduction | undefined,
  step: string,
): Promise<string[]> {
  const runId = typeof summary.run_id === "string" ? summary.run_id : undefined;
  const tracker = trackerOf(loaded, workflow);
  if (!runId || !tracker) return [];
  const { REPRODUCE_ARTIFACT } = await import("@lolpop/core");
  let record: ReproduceRecord;
  try {
    record = await reproduceRecordOf(loaded, workflow, step);
    await tracker.log_artifact(runId, REPRODUCE_ARTIFACT, `${JSON.stringify(record, null, 2)}\n`);
  } catch (e) {
    // The run itself succeeded: say it cannot be reproduced rather than fail it.
    return [
      `warning: run ${runId} records no ${REPRODUCE_ARTIFACT} (${(e as Error).message}): it cannot be reproduced`,
    ];
  }
  if (!reproduction) return [];
  const drift = [
    ...reproduction.drift,
    ...seedDrift(reproduction.record, workflow),
    ...pluginDrift(reproduction.record, record.plugins, true).filter(
      (d) => !reproduction.drift.some((e) => e.kind === "plugin" && e.what === d.what),
    ),
  ];
  const lines = describeDrift(drift);
  await tracker.log_tags(runId, {
    [REPRODUCE_TAGS.from]: reproduction.runId,
    ...(drift.length ? { [REPRODUCE_TAGS.drift]: lines.join("; ") } : {}),
  });
  summary.reproduced_from = reproduction.runId;
  summary.drift = drift;
  return drift.length
    ? [`reproduced run ${reproduction.runId} with drift (--allow-drift):`, ...lines.map((l) => `  - ${l}`)]
    : [`reproduced run ${reproduction.runId}: config, data, code and plugins as recorded`];
}

type Json = Record<string, unknown>;

/** Puts the current config's values back where the record has a secret's hash, when they match. */
function restoreSecrets(recorded: unknown, current: unknown, path: string, drift: Drift[]): unknown {
  const { SECRET_PLACEHOLDER_KEY, secretHash } = coreSync!;
  if (recorded && typeof recorded === "object" && !Array.isArray(recorded)) {
    const o = recorded as Json;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === SECRET_PLACEHOLDER_KEY) {
      const want = String(o[SECRET_PLACEHOLDER_KEY]);
      if (current !== undefined && secretHash(current) === want) return current;
      drift.push({
        kind: "secret",
        what: `config ${path}`,
        recorded: short(want),
        now: current === undefined ? "absent from the current config" : "another value in the current config",
      });
      return current;
    }
    const cur = current && typeof current === "object" && !Array.isArray(current) ? (current as Json) : {};
    const out: Json = {};
    for (const k of keys) {
      const v = restoreSecrets(o[k], cur[k], path ? `${path}.${k}` : k, drift);
      if (v !== undefined) out[k] = v;
    }
    return out;
  }
  if (Array.isArray(recorded)) {
    const cur = Array.isArray(current) ? current : [];
    return recorded.map((v, i) => restoreSecrets(v, cur[i], `${path}[${i}]`, drift));
  }
  return recorded;
}

let coreSync: typeof import("@lolpop/core") | undefined;

/** The `code` of a lolpop error (wrapped component-call errors keep their cause's code). */
function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** Sets `<connector path>.config.path` in config data (creating the sections it needs). */
function setConnectorPath(data: Json, connector: string, file: string): void {
  let node = data;
  for (const key of [...connector.split("."), "config"]) {
    const next = node[key];
    if (!next || typeof next !== "object" || Array.isArray(next)) node[key] = {};
    node = node[key] as Json;
  }
  node.path = file;
}

/**
 * Prepares `lolpop run --reproduce <runId>`: reads the run's record from the store the current
 * config names, rebuilds its config (secrets from the current config and environment when their
 * hashes match), restores snapshotted data that changed since, and lists the drift. Throws an
 * {@link ExitError} naming the run when it is not in the store or has no record.
 */
export async function prepareReproduction(
  configArg: string | undefined,
  runId: string,
): Promise<Reproduction> {
  coreSync ??= await import("@lolpop/core");
  const { REPRODUCE_ARTIFACT, REPRODUCE_FORMAT, secretHash, sha256File } = coreSync;
  const store = await openStore(configArg);
  const where = `the store of ${store.workflow.plan.file} (${store.trackerLabel})`;
  let record: ReproduceRecord;
  let blobs: Awaited<ReturnType<NonNullable<MetadataTracker["blob_store"]>>> | undefined;
  try {
    if (!store.tracker)
      throw new ExitError(
        2,
        `--reproduce ${runId}: ${store.workflow.plan.file} configures no metadata_tracker, so it has no recorded runs`,
      );
    const readArtifact = requireMethod(
      store.tracker,
      "read_artifact",
      store.trackerLabel,
      "metadata_tracker",
      "lolpop run --reproduce",
    );
    try {
      await store.tracker.get_run(runId);
    } catch (e) {
      // The tracker's errors come wrapped in the component call's error, which keeps their code.
      if (errorCode(e) === "store_not_found" || errorCode(e) === "store_invalid_name")
        throw new ExitError(
          2,
          `--reproduce ${runId}: no run with that id in ${where}; \`lolpop runs list\` lists the runs`,
        );
      throw e;
    }
    let bytes: Uint8Array;
    try {
      bytes = await readArtifact(runId, REPRODUCE_ARTIFACT);
    } catch (e) {
      if (errorCode(e) === "store_not_found")
        throw new ExitError(
          2,
          `--reproduce ${runId}: the run has no ${REPRODUCE_ARTIFACT} (only workflow runs made by \`lolpop run\` record one; give the id of the workflow run \`lolpop run\` printed)`,
        );
      throw e;
    }
    try {
      record = JSON.parse(Buffer.from(bytes).toString("utf8")) as ReproduceRecord;
    } catch (e) {
      throw new ExitError(
        1,
        `--reproduce ${runId}: ${REPRODUCE_ARTIFACT} of the run is not valid JSON (${(e as Error).message})`,
      );
    }
    if (record.format !== REPRODUCE_FORMAT)
      throw new ExitError(
        1,
        `--reproduce ${runId}: ${REPRODUCE_ARTIFACT} has format ${String(record.format)}, this lolpop reads format ${REPRODUCE_FORMAT}: use the lolpop version that made the run`,
      );
    blobs = typeof store.tracker.blob_store === "function" ? await store.tracker.blob_store() : undefined;
  } finally {
    await store.close();
  }

  const drift: Drift[] = [];
  const configFile = store.workflow.plan.file;
  const root = dirname(configFile);
  const data = restoreSecrets(record.config.data, store.workflow.plan.source.data, "", drift) as Json;
  for (const [name, want] of Object.entries(record.env ?? {})) {
    const v = process.env[name];
    const now = v === undefined ? null : secretHash(v);
    if (now !== want)
      drift.push({
        kind: "env",
        what: `environment variable ${name}`,
        recorded: want === null ? "unset" : `set (${short(want)})`,
        now: now === null ? "unset" : `set (${short(now)})`,
      });
  }

  // Data: the file as it is when it still hashes the same, else its snapshot, else drift.
  let restoreDir: string | undefined;
  const seen = new Set<string>();
  for (const d of record.data ?? []) {
    const key = `${d.connector}\0${d.via}\0${d.file}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const abs = isAbsolute(d.file) ? d.file : resolve(root, d.file);
    const now = await sha256File(abs).catch(() => undefined);
    if (now === d.sha256) continue;
    const what = `${d.file} (${d.connector})`;
    const state = now === undefined ? "missing" : `${short(now)} (changed)`;
    if (d.snapshot && d.via === "path" && blobs && (await blobs.verify(d.sha256)) === "ok") {
      restoreDir ??= await mkdtemp(join(tmpdir(), "lolpop-reproduce-"));
      const target = join(restoreDir, `${seen.size}-${basename(d.file)}`);
      await blobs.restoreTo(d.sha256, target);
      setConnectorPath(data, d.connector, target);
      continue;
    }
    drift.push({
      kind: "data",
      what,
      recorded: short(d.sha256),
      now: d.snapshot
        ? `${state}, and its snapshot ${d.via === "path" ? "is not in the store (deleted by gc?)" : "cannot replace a file named by a caller"}`
        : `${state}, and the run kept no snapshot (set snapshot_data: true on the connector to keep one)`,
    });
  }
  const cleanup = async () => {
    if (restoreDir) await rm(restoreDir, { recursive: true, force: true });
  };

  try {
    const { openProject } = await import("./project.js");
    const loaded = await openProject(configFile, { text: `${JSON.stringify(data, null, 2)}\n` });
    const current: Record<string, string> = {};
    for (const p of loaded.plan.plugins) current[p.name] = p.version;
    const { CORE_VERSION } = coreSync;
    current["@lolpop/core"] = CORE_VERSION;
    drift.push(...pluginDrift(record, current, false));
    const { createLogger } = coreSync;
    const probe = await loaded.createWorkflow({ logger: createLogger({ level: "error" }) });
    const code = await codeOf(loaded, probe);
    for (const [path, was] of Object.entries(record.code ?? {})) {
      const now = code[path];
      if (now?.sha256 === was.sha256) continue;
      const changed = now
        ? now.files
            .filter((f) => !was.files.includes(f))
            .concat(was.files.filter((f) => !now.files.includes(f)))
        : [];
      drift.push({
        kind: "code",
        what: `${path} ${was.source}`,
        recorded: `${short(was.sha256)} over ${was.files.join(", ")}`,
        now: now
          ? `${short(now.sha256)}${changed.length ? ` (files added or removed: ${changed.join(", ")})` : " (a file's content changed)"}`
          : "no module",
      });
    }
    return { runId, step: record.step ?? "all", loaded, record, drift, cleanup };
  } catch (e) {
    await cleanup();
    throw e;
  }
}

/** The refusal of a reproduction with drift (without `--allow-drift`). */
export function driftRefusal(reproduction: Reproduction): ExitError {
  return new ExitError(
    1,
    `--reproduce ${reproduction.runId}: the run cannot be reproduced as recorded:\n${describeDrift(
      reproduction.drift,
    )
      .map((l) => `  - ${l}`)
      .join(
        "\n",
      )}\nRestore what differs, or pass --allow-drift to run anyway (the run is tagged with the drift).`,
  );
}

/** Options of `lolpop run`. */
export interface RunOptions {
  step: string;
  json?: boolean;
  force?: boolean;
  orchestrator?: string;
  set: string[];
  reproduce?: string;
  allowDrift?: boolean;
}

/**
 * `lolpop run`'s `--reproduce` / `--allow-drift`: undefined for a plain run; else the prepared
 * reproduction, or an {@link ExitError} (bad combination of options, drift without `--allow-drift`).
 */
export async function prepareRunReproduction(
  configArg: string | undefined,
  opts: RunOptions,
): Promise<Reproduction | undefined> {
  if (opts.reproduce === undefined) {
    if (opts.allowDrift) throw new ExitError(2, "--allow-drift goes with --reproduce <run-id>");
    return undefined;
  }
  if (opts.set.length)
    throw new ExitError(2, "--reproduce runs the recorded config: it cannot be combined with --set");
  if (opts.step !== "all")
    throw new ExitError(2, "--reproduce runs the step the recorded run ran: drop --step");
  const reproduction = await prepareReproduction(configArg, opts.reproduce);
  if (reproduction.drift.length && !opts.allowDrift) {
    await reproduction.cleanup();
    throw driftRefusal(reproduction);
  }
  return reproduction;
}
