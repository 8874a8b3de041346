/**
 * The connection settings of `lolpop worker`: the `orchestrator:` section of a workflow config
 * (`-c config.yaml`, optional), then the command-line flags, which win key by key:
 *
 * | flag                       | config key                   |
 * | -------------------------- | ---------------------------- |
 * | `--address <host:port>`    | `orchestrator.address`       |
 * | `--namespace <ns>`         | `orchestrator.namespace`     |
 * | `--task-queue <q>`         | `orchestrator.task_queue`    |
 * | `--tls-cert <pem>`         | `orchestrator.tls.cert_path` |
 * | `--tls-key <pem>`          | `orchestrator.tls.key_path`  |
 * | `--tls-ca <pem>`           | `orchestrator.tls.ca_path`   |
 * | `--tls-server-name <name>` | `orchestrator.tls.server_name` |
 * | `--api-key-env <NAME>`     | `orchestrator.api_key_env`   |
 *
 * Defaults and environment variables are {@link temporalSettings}'s (`TEMPORAL_ADDRESS`,
 * `TEMPORAL_NAMESPACE`, `LOLPOP_TASK_QUEUE`). Relative certificate paths are from the folder the
 * worker runs in. The API key is read from the named variable when connecting, never printed.
 */
import { accessSync, constants } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { loadConfigFile } from "@lolpop/core";
import { TemporalConfigError } from "./temporal-config-error.js";
import {
  connectionSecurity,
  type TemporalConnectionSecurity,
  type TemporalSettings,
  temporalSettings,
} from "./temporal-settings.js";

/** The worker's flags as `parseArgs` gives them. */
export interface WorkerFlags {
  config?: string;
  address?: string;
  namespace?: string;
  "task-queue"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
  "tls-ca"?: string;
  "tls-server-name"?: string;
  "api-key-env"?: string;
}

/** The `parseArgs` options of the connection flags (shared by the command and its help). */
export const WORKER_CONNECTION_OPTIONS = {
  config: { type: "string", short: "c" },
  address: { type: "string" },
  namespace: { type: "string" },
  "task-queue": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "tls-ca": { type: "string" },
  "tls-server-name": { type: "string" },
  "api-key-env": { type: "string" },
} as const;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function flagError(flag: string, what: string): never {
  throw new TemporalConfigError({ message: `--${flag}: ${what}`, code: "temporal_worker_flag" });
}

/**
 * The worker's settings from `-c` (its `orchestrator:` section) and the flags. Throws
 * {@link TemporalConfigError} naming the flag (or the config key) and saying what to do; a value
 * given to `--api-key-env` is never repeated in an error.
 */
export async function workerSettings(
  flags: WorkerFlags,
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ settings: TemporalSettings; configFile?: string }> {
  for (const [k, v] of Object.entries(flags))
    if (typeof v === "string" && v.trim() === "") flagError(k, "needs a value");
  let section: Record<string, unknown> = {};
  let configFile: string | undefined;
  if (flags.config !== undefined) {
    const source = await loadConfigFile(flags.config, cwd);
    configFile = source.file;
    const raw = (source.data as { orchestrator?: unknown } | null)?.orchestrator;
    if (raw === undefined || typeof raw === "string")
      throw new TemporalConfigError({
        message: `${source.file} has no orchestrator: mapping to take the connection from: add one (type: TemporalOrchestrator, address, tls, ...) or drop -c`,
        code: "temporal_worker_flag",
      });
    if (typeof raw === "object" && raw !== null) section = { ...(raw as Record<string, unknown>) };
    delete section.type;
  }
  const tlsFlags = {
    cert_path: flags["tls-cert"],
    key_path: flags["tls-key"],
    ca_path: flags["tls-ca"],
    server_name: flags["tls-server-name"],
  };
  const fromConfig =
    section.tls && typeof section.tls === "object" ? (section.tls as Record<string, unknown>) : {};
  // A client certificate and its key go together; the flags may replace one of the config's.
  const hasCert = tlsFlags.cert_path !== undefined || fromConfig.cert_path !== undefined;
  const hasKey = tlsFlags.key_path !== undefined || fromConfig.key_path !== undefined;
  if (tlsFlags.cert_path !== undefined && !hasKey)
    flagError("tls-cert", "give --tls-key too (the client certificate's private key, PEM)");
  if (tlsFlags.key_path !== undefined && !hasCert)
    flagError("tls-key", "give --tls-cert too (the client certificate, PEM)");
  for (const [flag, path] of [
    ["tls-cert", tlsFlags.cert_path],
    ["tls-key", tlsFlags.key_path],
    ["tls-ca", tlsFlags.ca_path],
  ] as const) {
    if (path === undefined) continue;
    try {
      accessSync(resolve(cwd, path), constants.R_OK);
    } catch (e) {
      flagError(flag, `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const apiKeyEnv = flags["api-key-env"];
  if (apiKeyEnv !== undefined) {
    if (!ENV_NAME.test(apiKeyEnv))
      flagError(
        "api-key-env",
        "takes the NAME of the environment variable holding the API key (e.g. --api-key-env TEMPORAL_API_KEY), not the key itself",
      );
    if (!env[apiKeyEnv])
      flagError(
        "api-key-env",
        `the environment variable ${apiKeyEnv} is not set: export it with the API key`,
      );
  }
  const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolve(cwd, p));
  const tls = Object.fromEntries(
    Object.entries({
      ...fromConfig,
      ...(tlsFlags.cert_path !== undefined ? { cert_path: abs(tlsFlags.cert_path) } : {}),
      ...(tlsFlags.key_path !== undefined ? { key_path: abs(tlsFlags.key_path) } : {}),
      ...(tlsFlags.ca_path !== undefined ? { ca_path: abs(tlsFlags.ca_path) } : {}),
      ...(tlsFlags.server_name !== undefined ? { server_name: tlsFlags.server_name } : {}),
    }).filter(([, v]) => v !== undefined),
  );
  const merged: Record<string, unknown> = {
    ...section,
    ...(Object.keys(tls).length || section.tls !== undefined ? { tls } : {}),
    ...(apiKeyEnv !== undefined ? { api_key_env: apiKeyEnv } : {}),
  };
  const settings = temporalSettings(
    merged,
    {
      ...(flags.address !== undefined ? { address: flags.address } : {}),
      ...(flags.namespace !== undefined ? { namespace: flags.namespace } : {}),
      ...(flags["task-queue"] !== undefined ? { task_queue: flags["task-queue"] } : {}),
    },
    env,
  );
  return { settings, ...(configFile ? { configFile } : {}) };
}

/** What `NativeConnection.connect` / `Connection.connect` get for `settings`: address, TLS, API key. */
export function workerConnectionOptions(
  settings: Pick<TemporalSettings, "address" | "tls" | "api_key_env">,
  env: NodeJS.ProcessEnv = process.env,
): { address: string } & TemporalConnectionSecurity {
  return { address: settings.address, ...connectionSecurity(settings, env) };
}

/** A line for the worker's log: how it connects (never the key). */
export function describeSecurity(settings: Pick<TemporalSettings, "tls" | "api_key_env">): string {
  const parts: string[] = [];
  if (settings.tls || settings.api_key_env) parts.push("TLS");
  if (settings.tls?.cert_path) parts.push("client certificate");
  if (settings.api_key_env) parts.push(`API key from $${settings.api_key_env}`);
  return parts.length ? parts.join(", ") : "plain TCP";
}
