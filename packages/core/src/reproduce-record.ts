/**
 * What a run records so that `lolpop run --reproduce <run-id>` can run it again: the run artifact
 * {@link REPRODUCE_ARTIFACT} (JSON, {@link ReproduceRecord}). Written by `lolpop run` when the run
 * ends; read by `--reproduce` and by the local store's blob gc (a kept run keeps its data snapshots).
 *
 * Secrets are never in it: the config is the parsed file before `${env:...}` interpolation (so an
 * environment variable appears by its name) with values under secret-looking keys replaced by
 * `{"$secret_sha256": ...}`; the environment variables it reads are recorded by name and SHA-256.
 */
import { createReadStream } from "node:fs";
import { nodeCrypto } from "./lazy-deps.js";
import { stableStringify } from "./lineage.js";
import { isSecretKey } from "./redact.js";

/** Artifact name of the record in a run. */
export const REPRODUCE_ARTIFACT = "reproduce.json";

/** Version of {@link ReproduceRecord}. */
export const REPRODUCE_FORMAT = 1;

/** Lineage key under which data connectors record the files they read ({@link DataFileRecord}[]). */
export const DATA_FILES_LINEAGE_KEY = "lolpop.data_files";

/** A data file a connector read during the run. */
export interface DataFileRecord {
  /** Config path of the connector, e.g. `process.data_connector`. */
  connector: string;
  /** `path` when the file was the connector's configured `path`, `source` when a caller named it. */
  via: "path" | "source";
  /** The file: relative to the project root (POSIX separators) when inside it, else absolute. */
  file: string;
  /** SHA-256 of the file's bytes. */
  sha256: string;
  bytes: number;
  /** True when the bytes were stored as the blob `sha256` (`snapshot_data: true`). */
  snapshot: boolean;
}

/** The content of {@link REPRODUCE_ARTIFACT}. */
export interface ReproduceRecord {
  format: number;
  /** The step `lolpop run` ran (`all`, `train`...). */
  step: string;
  /** The config file (relative to the project root) and its parsed data, secrets by hash. */
  config: { file: string; data: unknown };
  /** Environment variables the config reads (`${env:NAME}`): SHA-256 of the value, null when unset. */
  env: Record<string, string | null>;
  /** Plugins of the components in use (name → version), and `@lolpop/core`. */
  plugins: Record<string, string>;
  /** User code by component path: the module and its local imports. */
  code: Record<string, { source: string; sha256: string; files: string[] }>;
  /** Seeds by component path. */
  seeds: Record<string, number>;
  /** Data files read. */
  data: DataFileRecord[];
}

/** Placeholder of a secret value in {@link ReproduceRecord.config}. */
export const SECRET_PLACEHOLDER_KEY = "$secret_sha256";

/** SHA-256 (hex) of a config value's stable JSON, as secrets are recorded. */
export function secretHash(value: unknown): string {
  return nodeCrypto().createHash("sha256").update(stableStringify(value)).digest("hex");
}

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g;
const ONLY_ENV_REFS = /^(?:\s*\$\{env:[A-Za-z_][A-Za-z0-9_]*(?::-[^}]*)?\}\s*)+$/;

/**
 * The config data as recorded: values under secret-looking keys are replaced by their hash unless
 * they are made only of `${env:...}` references (kept: they name variables, not values); `env`
 * receives the names of every variable referenced.
 */
export function recordableConfig(data: unknown, env: Set<string>, secret = false): unknown {
  if (typeof data === "string") {
    for (const m of data.matchAll(ENV_REF)) env.add(m[1]!);
    if (secret && !ONLY_ENV_REFS.test(data)) return { [SECRET_PLACEHOLDER_KEY]: secretHash(data) };
    return data;
  }
  if (secret && data !== null && data !== undefined) return { [SECRET_PLACEHOLDER_KEY]: secretHash(data) };
  if (Array.isArray(data)) return data.map((v) => recordableConfig(v, env));
  if (data && typeof data === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) out[k] = recordableConfig(v, env, isSecretKey(k));
    return out;
  }
  return data;
}

/** Digests of the data snapshots a record references. */
export function snapshotDigestsOf(record: Partial<ReproduceRecord>): string[] {
  return (Array.isArray(record.data) ? record.data : [])
    .filter((d) => d && d.snapshot === true && typeof d.sha256 === "string")
    .map((d) => d.sha256);
}

/** SHA-256 (hex) of a file's bytes, streamed (how data files and blobs are named). */
export async function sha256File(path: string): Promise<string> {
  const h = nodeCrypto().createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}
