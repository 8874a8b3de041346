/**
 * The settings of the Temporal orchestrator: the `orchestrator:` section of a workflow config
 *
 * ```yaml
 * orchestrator:
 *   type: TemporalOrchestrator
 *   address: 127.0.0.1:7233      # default: $TEMPORAL_ADDRESS, else 127.0.0.1:7233
 *   namespace: default           # default: $TEMPORAL_NAMESPACE, else default
 *   task_queue: lolpop           # default: $LOLPOP_TASK_QUEUE, else lolpop
 *   steps:                       # per step (process, train, deploy, predict, evaluate), all optional
 *     train:
 *       task_queue: big-memory
 *       start_to_close_timeout: 2h       # default 1h
 *       heartbeat_timeout: 30s           # default 30s
 *       retry: { maximum_attempts: 3, initial_interval: 1s, backoff_coefficient: 2, maximum_interval: 1m }
 *   tls:                         # Temporal Cloud / mTLS (optional)
 *     cert_path: certs/client.pem        # client certificate and key: both or neither
 *     key_path: certs/client.key
 *     server_name: my-ns.tmprl.cloud     # optional: TLS server name override
 *     ca_path: certs/ca.pem              # optional: root CA of the server
 *   api_key_env: TEMPORAL_API_KEY  # optional: name of the env var holding an API key (implies TLS)
 * ```
 *
 * overridden by command-line options. Durations are Temporal's strings (`500ms`, `30s`, `5m`, `2h`).
 */
import { readFileSync } from "node:fs";
import { TemporalConfigError } from "./temporal-config-error.js";

/** The stages a run can have. */
export const TEMPORAL_STAGES = ["process", "train", "deploy", "predict", "evaluate"] as const;

/** Retry policy of one step (Temporal's, in snake_case). */
export interface TemporalRetrySettings {
  /** Attempts in all, 1 = no retry (default 3). */
  maximum_attempts?: number;
  /** Wait before the first retry (default `1s`). */
  initial_interval?: string;
  /** Growth of the wait between retries (default 2). */
  backoff_coefficient?: number;
  /** Longest wait between retries (default `1m`). */
  maximum_interval?: string;
}

/** Settings of one step's activity. */
export interface TemporalStepSettings {
  /** Task queue of the step's activity (default: the orchestrator's `task_queue`). */
  task_queue?: string;
  /** Longest one attempt may take (default `1h`). */
  start_to_close_timeout?: string;
  /** A worker that stops heartbeating for this long is taken as dead and the step retried (default `30s`). */
  heartbeat_timeout?: string;
  retry?: TemporalRetrySettings;
}

/** Settings of the Temporal orchestrator. */
export interface TemporalSettings {
  /** `host:port` of the Temporal frontend (default `$TEMPORAL_ADDRESS`, else `127.0.0.1:7233`). */
  address: string;
  /** Temporal namespace (default `$TEMPORAL_NAMESPACE`, else `default`). */
  namespace: string;
  /** Task queue of the run's workflow and of the steps without their own (default `$LOLPOP_TASK_QUEUE`, else `lolpop`). */
  task_queue: string;
  /** Per-step settings. */
  steps: Partial<Record<(typeof TEMPORAL_STAGES)[number], TemporalStepSettings>>;
  /**
   * Absolute folders outside the project that every worker mounts at the same path (default none):
   * paths in the config under them are accepted (see `sharedPathIssues`).
   */
  shared_paths: string[];
  /** TLS to the frontend (relative paths are from the current folder); absent: plain TCP unless `api_key_env`. */
  tls?: TemporalTlsSettings;
  /** Name of the environment variable holding an API key (Temporal Cloud); the key is read when connecting, never stored. */
  api_key_env?: string;
}

/** TLS settings (`orchestrator.tls`). */
export interface TemporalTlsSettings {
  /** Client certificate (PEM) for mTLS; with `key_path`. */
  cert_path?: string;
  /** Client private key (PEM) for mTLS; with `cert_path`. */
  key_path?: string;
  /** TLS server name override. */
  server_name?: string;
  /** Root CA certificate (PEM) of the server (default: the system's). */
  ca_path?: string;
}

const DURATION = /^\d+(\.\d+)?\s*(ms|s|m|h|d)$/;
const TOP_KEYS = ["address", "namespace", "task_queue", "steps", "shared_paths", "tls", "api_key_env"];
const TLS_KEYS = ["cert_path", "key_path", "server_name", "ca_path"];
const STEP_KEYS = ["task_queue", "start_to_close_timeout", "heartbeat_timeout", "retry"];
const RETRY_KEYS = ["maximum_attempts", "initial_interval", "backoff_coefficient", "maximum_interval"];

function fail(path: string, what: string): never {
  throw new TemporalConfigError({ message: `orchestrator.${path}: ${what}` });
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function unknownKeys(v: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(v))
    if (!allowed.includes(k))
      fail(`${path}${path ? "." : ""}${k}`, `unknown key; the keys here are ${allowed.join(", ")}`);
}

function str(v: unknown, path: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.trim() === "") fail(path, "must be a non-empty string");
  return v.trim();
}

function duration(v: unknown, path: string): string | undefined {
  const s = str(v, path);
  if (s !== undefined && !DURATION.test(s))
    fail(path, `"${s}" is not a duration: write e.g. 500ms, 30s, 5m or 2h`);
  return s;
}

function positive(v: unknown, path: string, integer: boolean): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
    fail(path, `must be a positive ${integer ? "integer" : "number"}`);
  return v;
}

/**
 * Reads and checks the `orchestrator:` section (without `type`) over the defaults and environment
 * variables; `overrides` (command-line options) win. Throws {@link TemporalConfigError} naming the key.
 */
export function temporalSettings(
  section: Record<string, unknown> = {},
  overrides: Partial<Pick<TemporalSettings, "address" | "namespace" | "task_queue">> = {},
  env: NodeJS.ProcessEnv = process.env,
): TemporalSettings {
  if (!isMapping(section)) fail("", "must be a mapping");
  unknownKeys(section, TOP_KEYS, "");
  const steps: TemporalSettings["steps"] = {};
  const rawSteps = section.steps;
  if (rawSteps !== undefined) {
    if (!isMapping(rawSteps))
      fail("steps", `must be a mapping of step name (${TEMPORAL_STAGES.join(", ")}) to settings`);
    for (const [name, raw] of Object.entries(rawSteps)) {
      const p = `steps.${name}`;
      if (!(TEMPORAL_STAGES as readonly string[]).includes(name))
        fail(p, `unknown step; the steps are ${TEMPORAL_STAGES.join(", ")}`);
      if (!isMapping(raw)) fail(p, "must be a mapping");
      unknownKeys(raw, STEP_KEYS, p);
      const step: TemporalStepSettings = {};
      const tq = str(raw.task_queue, `${p}.task_queue`);
      if (tq) step.task_queue = tq;
      const stc = duration(raw.start_to_close_timeout, `${p}.start_to_close_timeout`);
      if (stc) step.start_to_close_timeout = stc;
      const hb = duration(raw.heartbeat_timeout, `${p}.heartbeat_timeout`);
      if (hb) step.heartbeat_timeout = hb;
      if (raw.retry !== undefined) {
        if (!isMapping(raw.retry)) fail(`${p}.retry`, "must be a mapping");
        unknownKeys(raw.retry, RETRY_KEYS, `${p}.retry`);
        const r: TemporalRetrySettings = {};
        const ma = positive(raw.retry.maximum_attempts, `${p}.retry.maximum_attempts`, true);
        if (ma) r.maximum_attempts = ma;
        const ii = duration(raw.retry.initial_interval, `${p}.retry.initial_interval`);
        if (ii) r.initial_interval = ii;
        const bc = positive(raw.retry.backoff_coefficient, `${p}.retry.backoff_coefficient`, false);
        if (bc) {
          if (bc < 1) fail(`${p}.retry.backoff_coefficient`, "must be at least 1");
          r.backoff_coefficient = bc;
        }
        const mi = duration(raw.retry.maximum_interval, `${p}.retry.maximum_interval`);
        if (mi) r.maximum_interval = mi;
        step.retry = r;
      }
      steps[name as (typeof TEMPORAL_STAGES)[number]] = step;
    }
  }
  const shared = section.shared_paths;
  if (
    shared !== undefined &&
    (!Array.isArray(shared) || shared.some((x) => typeof x !== "string" || !x.startsWith("/")))
  )
    fail("shared_paths", "must be a list of absolute folder paths that every worker mounts at the same path");
  let tls: TemporalTlsSettings | undefined;
  if (section.tls !== undefined) {
    if (!isMapping(section.tls)) fail("tls", `must be a mapping with ${TLS_KEYS.join(", ")}`);
    unknownKeys(section.tls, TLS_KEYS, "tls");
    tls = {};
    for (const k of TLS_KEYS as Array<keyof TemporalTlsSettings>) {
      const v = str(section.tls[k], `tls.${k}`);
      if (v !== undefined) tls[k] = v;
    }
    if ((tls.cert_path === undefined) !== (tls.key_path === undefined))
      fail("tls", "give both cert_path and key_path (the client certificate and its key), or neither");
  }
  const apiKeyEnv = str(section.api_key_env, "api_key_env");
  if (apiKeyEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(apiKeyEnv))
    fail(
      "api_key_env",
      "must be the NAME of an environment variable holding the key (e.g. TEMPORAL_API_KEY), not the key itself",
    );
  return {
    ...(tls ? { tls } : {}),
    ...(apiKeyEnv ? { api_key_env: apiKeyEnv } : {}),
    address: overrides.address ?? str(section.address, "address") ?? env.TEMPORAL_ADDRESS ?? "127.0.0.1:7233",
    namespace:
      overrides.namespace ?? str(section.namespace, "namespace") ?? env.TEMPORAL_NAMESPACE ?? "default",
    task_queue:
      overrides.task_queue ?? str(section.task_queue, "task_queue") ?? env.LOLPOP_TASK_QUEUE ?? "lolpop",
    steps,
    shared_paths: (shared as string[] | undefined) ?? [],
  };
}

/** What `Connection.connect` / `NativeConnection.connect` take for TLS and API key. */
export interface TemporalConnectionSecurity {
  tls?: {
    clientCertPair?: { crt: Buffer; key: Buffer };
    serverNameOverride?: string;
    serverRootCACertificate?: Buffer;
  };
  apiKey?: string;
}

/**
 * The TLS and API-key options of a connection: reads the certificate files and the API key's
 * environment variable. Errors name the file or the variable, never the key.
 */
export function connectionSecurity(
  settings: Pick<TemporalSettings, "tls" | "api_key_env">,
  env: NodeJS.ProcessEnv = process.env,
): TemporalConnectionSecurity {
  const out: TemporalConnectionSecurity = {};
  const read = (path: string, key: string): Buffer => {
    try {
      return readFileSync(path);
    } catch (e) {
      return fail(
        `tls.${key}`,
        `cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
  };
  if (settings.tls) {
    const t = settings.tls;
    out.tls = {
      ...(t.cert_path && t.key_path
        ? { clientCertPair: { crt: read(t.cert_path, "cert_path"), key: read(t.key_path, "key_path") } }
        : {}),
      ...(t.server_name ? { serverNameOverride: t.server_name } : {}),
      ...(t.ca_path ? { serverRootCACertificate: read(t.ca_path, "ca_path") } : {}),
    };
  }
  if (settings.api_key_env) {
    const key = env[settings.api_key_env];
    if (!key)
      fail(
        "api_key_env",
        `the environment variable ${settings.api_key_env} is not set: export it with the API key`,
      );
    out.apiKey = key;
    out.tls ??= {};
  }
  return out;
}
