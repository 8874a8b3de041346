import type { DatasetInfo } from "./contracts.js";
import { childProcess, nodeCrypto } from "./lazy-deps.js";
import { redactValue } from "./redact.js";

/** A model version a run produced or changed (see {@link LineageRecorder.recordModel}). */
export interface LineageModel {
  name: string;
  version: number;
  /** True when this run registered it (false: an identical version was reused). */
  registered: boolean;
  /** True when this run made it the champion. */
  promoted: boolean;
}

/** What a run records about itself. Never contains secrets (config is redacted). */
export interface Lineage {
  /** Id of this run: the tracked workflow run's id once the runner started one, else a random UUID. */
  run_id: string;
  started_at: string;
  ended_at?: string;
  status?: "running" | "succeeded" | "failed" | "cancelled";
  /** Resolved config with secrets replaced by `***`. */
  config: unknown;
  /** SHA-256 of the redacted resolved config. */
  config_hash: string;
  config_file?: string;
  /** Plugins that provided the types in use. */
  plugins: Array<{ name: string; version: string }>;
  core_version: string;
  /** Git commit of the project, when it is a git checkout. */
  git?: { commit: string; dirty: boolean };
  /** Seeds by component path. */
  seeds: Record<string, number>;
  /** Datasets read, split or written. */
  datasets: DatasetInfo[];
  /** Wall time of each pipeline and component call, in call order. */
  timings: Array<{ path: string; ms: number; ok: boolean }>;
  /** Model versions the run registered, reused or promoted. */
  models: LineageModel[];
  /** Other facts components chose to record. */
  extra: Record<string, unknown>;
}

/** Records lineage facts during a run. */
export interface LineageRecorder {
  /** Records the seed a component used. */
  recordSeed(path: string, seed: number): void;
  /** Records a dataset read or produced. */
  recordDataset(dataset: DatasetInfo): void;
  /** Records any other (non-secret) fact; it is redacted anyway. */
  record(key: string, value: unknown): void;
  /**
   * Records a model version the run produced (`registered`) or reused, or promoted; calls for the
   * same name and version merge (a flag once true stays true).
   */
  recordModel(model: { name: string; version: number; registered?: boolean; promoted?: boolean }): void;
  /** Names the tracked run this lineage belongs to (the runner calls it when it starts the workflow run). */
  bindRun(runId: string): void;
  /** A snapshot of what was recorded. */
  snapshot(): Lineage;
}

/** Reads the git commit of `dir`, or undefined when it is not a checkout (or git is missing). */
export function gitInfo(dir: string): { commit: string; dirty: boolean } | undefined {
  try {
    const { execFileSync } = childProcess();
    const commit = execFileSync("git", ["rev-parse", "HEAD"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    })
      .toString()
      .trim();
    const status = execFileSync("git", ["status", "--porcelain"], {
      cwd: dir,
      stdio: ["ignore", "pipe", "ignore"],
      timeout: 5000,
    }).toString();
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return undefined;
  }
}

/** Stable JSON (sorted keys) for hashing. */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const obj = value as Record<string, unknown>;
  return `{${Object.keys(obj)
    .sort()
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stableStringify(obj[k])}`)
    .join(",")}}`;
}

/** SHA-256 hex of the stable JSON of `value`. */
export function hashValue(value: unknown): string {
  return nodeCrypto().createHash("sha256").update(stableStringify(value)).digest("hex");
}

/** Creates a recorder for one run. `config` must already be redacted. */
export function createLineageRecorder(init: {
  config: unknown;
  configFile?: string;
  plugins: Array<{ name: string; version: string }>;
  coreVersion: string;
  projectRoot?: string;
  runId?: string;
}): LineageRecorder & {
  timing(path: string, ms: number, ok: boolean): void;
  /** Adds a plugin used during the run (e.g. imported for a type created on demand). */
  usePlugin(plugin: { name: string; version: string }): void;
  finish(status: Lineage["status"]): Lineage;
} {
  const lineage: Lineage = {
    run_id: init.runId ?? nodeCrypto().randomUUID(),
    started_at: new Date().toISOString(),
    status: "running",
    config: init.config,
    config_hash: hashValue(init.config),
    ...(init.configFile ? { config_file: init.configFile } : {}),
    plugins: [...init.plugins],
    core_version: init.coreVersion,
    ...(init.projectRoot ? { git: gitInfo(init.projectRoot) } : {}),
    seeds: {},
    datasets: [],
    timings: [],
    models: [],
    extra: {},
  };
  if (!lineage.git) delete lineage.git;
  const snapshot = (): Lineage => redactValue(structuredClone(lineage));
  return {
    recordSeed: (path, seed) => {
      lineage.seeds[path] = seed;
    },
    recordDataset: (d) => {
      lineage.datasets.push({ ...d });
    },
    record: (key, value) => {
      lineage.extra[key] = redactValue(value);
    },
    recordModel: (m) => {
      let entry = lineage.models.find((x) => x.name === m.name && x.version === m.version);
      if (!entry) {
        entry = { name: m.name, version: m.version, registered: false, promoted: false };
        lineage.models.push(entry);
      }
      if (m.registered) entry.registered = true;
      if (m.promoted) entry.promoted = true;
    },
    bindRun: (runId) => {
      lineage.run_id = runId;
    },
    usePlugin: (p) => {
      if (!lineage.plugins.some((q) => q.name === p.name))
        lineage.plugins.push({ name: p.name, version: p.version });
    },
    timing: (path, ms, ok) => {
      lineage.timings.push({ path, ms: Math.round(ms * 1000) / 1000, ok });
    },
    finish: (status) => {
      lineage.status = status;
      lineage.ended_at = new Date().toISOString();
      return snapshot();
    },
    snapshot,
  };
}
