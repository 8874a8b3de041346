/**
 * Connection settings: the tracking URI, credentials, TLS and retry policy, from explicit options,
 * then the same environment variables as MLflow's Python client, then `~/.mlflow/credentials`.
 */
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { ConfigError, type JsonSchema, registerSecret } from "@lolpop/core";

/** How requests authenticate. */
export type MlflowAuth =
  | { type: "none" }
  | { type: "basic"; username: string; password: string }
  | { type: "bearer"; token: string }
  | {
      /** Any other scheme: returns headers for each request (e.g. a refreshed token). */
      type: "custom";
      headers: () => Record<string, string> | Promise<Record<string, string>>;
    };

/** Retry policy of idempotent requests (and of any request that never reached the server). */
export interface MlflowRetryPolicy {
  /** Retries after the first attempt. Default `MLFLOW_HTTP_REQUEST_MAX_RETRIES` or 7. */
  maxRetries: number;
  /** Backoff before retry n is `backoffFactorMs * 2^(n-1)` (capped by `maxBackoffMs`). Default `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR` (seconds) or 2 s. */
  backoffFactorMs: number;
  /** Random extra wait added to each backoff, up to this. Default `MLFLOW_HTTP_REQUEST_BACKOFF_JITTER` (seconds) or 1 s. */
  backoffJitterMs: number;
  /** Longest single wait (config `max_backoff_s`). Default 120 s. */
  maxBackoffMs: number;
  /**
   * Until the server has answered once, connection failures (refused, unknown host) are retried
   * for at most this long (config `connect_timeout_s`), not the full policy: a wrong host or port
   * fails fast instead of waiting minutes. Default 15 s.
   */
  connectTimeoutMs: number;
}

/** Everything the transport needs to reach a server. */
export interface MlflowConnectionSettings {
  /** Base URL without credentials or trailing slash, e.g. `http://127.0.0.1:5000`. */
  trackingUri: string;
  auth: MlflowAuth;
  /** Skip TLS certificate verification (`MLFLOW_TRACKING_INSECURE_TLS`). */
  insecureTls: boolean;
  /** PEM CA bundle to trust (`MLFLOW_TRACKING_SERVER_CERT_PATH`). */
  caBundlePath?: string;
  /** PEM client certificate, possibly with its key (`MLFLOW_TRACKING_CLIENT_CERT_PATH`). */
  clientCertPath?: string;
  /** PEM client key when it is not in `clientCertPath`. */
  clientKeyPath?: string;
  /** Per-attempt request timeout. Default `MLFLOW_HTTP_REQUEST_TIMEOUT` (seconds) or 120 s. */
  timeoutMs: number;
  retry: MlflowRetryPolicy;
  /**
   * Credentials set in the environment (or `~/.mlflow/credentials`) that were not used because
   * they are not paired with this server (see {@link resolveConnectionSettings}), e.g.
   * `MLFLOW_TRACKING_TOKEN`; a 401 names them.
   */
  unpairedCredentials?: string[];
}

/** The connection keys of both components' `config` (snake_case, as in YAML). */
export interface MlflowConnectionConfig {
  tracking_uri?: string | null;
  username?: string | null;
  password?: string | null;
  token?: string | null;
  insecure_tls?: boolean | null;
  ca_bundle?: string | null;
  client_cert?: string | null;
  client_key?: string | null;
  request_timeout_s?: number | null;
  max_retries?: number | null;
  backoff_factor_s?: number | null;
  backoff_jitter_s?: number | null;
  max_backoff_s?: number;
  connect_timeout_s?: number;
}

/** JSON Schema properties of {@link MlflowConnectionConfig}; `null` means "from the environment". */
export const CONNECTION_SCHEMA_PROPERTIES: Record<string, JsonSchema> = {
  tracking_uri: {
    type: ["string", "null"],
    default: null,
    description:
      "MLflow server URL (http:// or https://, optionally with a path prefix). null: MLFLOW_TRACKING_URI. Credentials in the URL are used for basic auth and never logged.",
  },
  username: {
    type: ["string", "null"],
    default: null,
    description:
      "Basic-auth user. null: MLFLOW_TRACKING_USERNAME, then mlflow_tracking_username in ~/.mlflow/credentials. Username and password win over a token.",
  },
  password: {
    type: ["string", "null"],
    default: null,
    description:
      "Basic-auth password; take it from the environment (an env interpolation) so it is redacted. null: MLFLOW_TRACKING_PASSWORD, then ~/.mlflow/credentials.",
  },
  token: {
    type: ["string", "null"],
    default: null,
    description:
      "Bearer token; take it from the environment (an env interpolation). null: MLFLOW_TRACKING_TOKEN.",
  },
  insecure_tls: {
    type: ["boolean", "null"],
    default: null,
    description:
      "Skip TLS certificate verification (testing only). null: MLFLOW_TRACKING_INSECURE_TLS, else false.",
  },
  ca_bundle: {
    type: ["string", "null"],
    default: null,
    description: "PEM file of CA certificates to trust. null: MLFLOW_TRACKING_SERVER_CERT_PATH.",
  },
  client_cert: {
    type: ["string", "null"],
    default: null,
    description:
      "PEM client certificate (may include its key) for mutual TLS. null: MLFLOW_TRACKING_CLIENT_CERT_PATH.",
  },
  client_key: {
    type: ["string", "null"],
    default: null,
    description: "PEM key of client_cert when it is a separate file.",
  },
  request_timeout_s: {
    type: ["number", "null"],
    exclusiveMinimum: 0,
    default: null,
    description: "Timeout of one HTTP attempt, in seconds. null: MLFLOW_HTTP_REQUEST_TIMEOUT, else 120.",
  },
  max_retries: {
    type: ["integer", "null"],
    minimum: 0,
    default: null,
    description:
      "Retries of idempotent requests on connection errors, timeouts, 408, 429 and 5xx (exponential backoff with jitter). null: MLFLOW_HTTP_REQUEST_MAX_RETRIES, else 7.",
  },
  backoff_factor_s: {
    type: ["number", "null"],
    minimum: 0,
    default: null,
    description:
      "Wait before retry n is backoff_factor_s * 2^(n-1), capped at max_backoff_s. null: MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR, else 2.",
  },
  backoff_jitter_s: {
    type: ["number", "null"],
    minimum: 0,
    default: null,
    description:
      "Random extra wait of up to this many seconds per retry. null: MLFLOW_HTTP_REQUEST_BACKOFF_JITTER, else 1.",
  },
  max_backoff_s: {
    type: "number",
    minimum: 0,
    default: 120,
    description: "Longest wait between two attempts (a server's Retry-After can extend it up to this).",
  },
  connect_timeout_s: {
    type: "number",
    minimum: 0,
    default: 15,
    description:
      "Until the server has answered once, a refused connection or unknown host is retried for at most this long (then the error says what to check); afterwards the full retry policy applies, so a server restart mid-run is waited for.",
  },
};

type Env = Record<string, string | undefined>;

function envBool(v: string | undefined): boolean | undefined {
  if (v === undefined || v.trim() === "") return undefined;
  return ["1", "true", "yes", "on"].includes(v.trim().toLowerCase());
}

function envNumber(env: Env, name: string, configPath: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0)
    throw new ConfigError({
      issues: [
        {
          code: "invalid_env",
          path: configPath,
          message: `environment variable ${name}=${JSON.stringify(raw)} is not a non-negative number: fix or unset it`,
        },
      ],
    });
  return n;
}

/** Reads `[mlflow]` `mlflow_tracking_username` / `mlflow_tracking_password` from an INI file; {} when absent. */
export function readCredentialsFile(path: string): { username?: string; password?: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return {};
  }
  const out: { username?: string; password?: string } = {};
  let section = "";
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      continue;
    }
    if (section !== "mlflow") continue;
    const kv = /^([^=:]+)[=:](.*)$/.exec(line);
    if (!kv) continue;
    const key = kv[1]!.trim().toLowerCase();
    const value = kv[2]!.trim();
    if (key === "mlflow_tracking_username") out.username = value;
    else if (key === "mlflow_tracking_password") out.password = value;
  }
  return out;
}

/** Whether two tracking URIs name the same server (scheme, host, port and path; credentials ignored). */
export function sameServer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b) return false;
  const norm = (u: string) => {
    try {
      const url = new URL(u.trim());
      return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, "")}`;
    } catch {
      return u.trim();
    }
  };
  return norm(a) === norm(b);
}

/** Options of {@link resolveConnectionSettings}. */
export interface ResolveSettingsOptions {
  /** Environment to read (default `process.env`). */
  env?: Env;
  /** YAML path of the config section, for error messages (e.g. `metadata_tracker.config`). */
  configPath?: string;
  /** Credentials file (default `~/.mlflow/credentials`). */
  credentialsFile?: string;
}

/**
 * Resolves connection settings: explicit config first, then MLflow's environment variables, then
 * `~/.mlflow/credentials` for username and password. Credentials from the environment or the
 * credentials file are used only when the tracking URI comes from `MLFLOW_TRACKING_URI` or names
 * the same server (an ambient token never goes to a server the config names on its own); explicit
 * credentials (config `username`/`password`, `token`, user info in `tracking_uri`) win over them.
 * Secrets found are registered so logs and errors scrub them.
 * @throws ConfigError when no tracking URI is set, or it is not an http(s) URL.
 */
export function resolveConnectionSettings(
  config: MlflowConnectionConfig = {},
  options: ResolveSettingsOptions = {},
): MlflowConnectionSettings {
  const env = options.env ?? process.env;
  const at = options.configPath ?? "config";
  const fail = (key: string, message: string): never => {
    throw new ConfigError({ issues: [{ code: "invalid_value", path: `${at}.${key}`, message }] });
  };
  const rawUri = config.tracking_uri ?? env.MLFLOW_TRACKING_URI;
  if (!rawUri || rawUri.trim() === "")
    fail(
      "tracking_uri",
      "no MLflow server: set tracking_uri (e.g. http://127.0.0.1:5000) or the MLFLOW_TRACKING_URI environment variable",
    );
  const uriText = rawUri!.trim();
  if (/^databricks(-uc)?(:|$)/i.test(uriText))
    fail(
      "tracking_uri",
      "Databricks tracking URIs are not supported by @lolpop/mlflow: use the URL of an MLflow server",
    );
  let url: URL;
  try {
    url = new URL(uriText);
  } catch {
    return fail(
      "tracking_uri",
      `"${uriText.replace(/\/\/[^@/]*@/, "//***@")}" is not a URL: use http://host:port or https://host:port of an MLflow server`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    fail(
      "tracking_uri",
      `${url.protocol} tracking URIs (local files, databases) are not supported: start \`mlflow server\` and use its http(s) URL`,
    );
  let uriUser: string | undefined;
  let uriPassword: string | undefined;
  if (url.username || url.password) {
    uriUser = decodeURIComponent(url.username);
    uriPassword = decodeURIComponent(url.password);
    registerSecret(uriPassword);
    url.username = "";
    url.password = "";
  }
  url.search = "";
  url.hash = "";
  const trackingUri = url.toString().replace(/\/+$/, "");

  // Credentials. Explicit ones win: the config's username/password, then its token, then user
  // info in the tracking URI. Ambient ones (MLFLOW_TRACKING_USERNAME/PASSWORD, then
  // MLFLOW_TRACKING_TOKEN, then ~/.mlflow/credentials, MLflow's precedence) are sent only to the
  // server they are paired with: the one MLFLOW_TRACKING_URI names. A config that names another
  // server never receives them.
  const file = () =>
    readCredentialsFile(options.credentialsFile ?? join(homedir(), ".mlflow", "credentials"));
  const basic = (username: string | undefined, password: string | undefined): MlflowAuth | undefined =>
    username !== undefined && password !== undefined && username !== ""
      ? { type: "basic", username, password }
      : undefined;
  const paired = config.tracking_uri == null || sameServer(config.tracking_uri, env.MLFLOW_TRACKING_URI);
  const ambient = (): MlflowAuth | undefined => {
    const fromFile =
      env.MLFLOW_TRACKING_USERNAME === undefined || env.MLFLOW_TRACKING_PASSWORD === undefined ? file() : {};
    return (
      basic(
        env.MLFLOW_TRACKING_USERNAME ?? fromFile.username,
        env.MLFLOW_TRACKING_PASSWORD ?? fromFile.password,
      ) ?? (env.MLFLOW_TRACKING_TOKEN ? { type: "bearer", token: env.MLFLOW_TRACKING_TOKEN } : undefined)
    );
  };
  let auth: MlflowAuth = { type: "none" };
  let unpairedCredentials: string[] | undefined;
  if (config.username != null || config.password != null) {
    if (config.username == null || config.password == null)
      fail(
        config.username == null ? "username" : "password",
        "set both username and password for basic auth",
      );
    auth = { type: "basic", username: config.username!, password: config.password! };
  } else if (config.token != null) {
    auth = { type: "bearer", token: config.token };
  } else if (uriUser) {
    auth = basic(uriUser, uriPassword ?? "") ?? { type: "none" };
  } else if (paired) {
    auth = ambient() ?? { type: "none" };
  } else {
    const found = [
      ...(env.MLFLOW_TRACKING_USERNAME !== undefined ? ["MLFLOW_TRACKING_USERNAME/PASSWORD"] : []),
      ...(env.MLFLOW_TRACKING_TOKEN ? ["MLFLOW_TRACKING_TOKEN"] : []),
      ...(Object.keys(file()).length ? ["~/.mlflow/credentials"] : []),
    ];
    if (found.length) unpairedCredentials = found;
  }
  if (auth.type === "basic") {
    registerSecret(auth.password);
    registerSecret(Buffer.from(`${auth.username}:${auth.password}`).toString("base64"));
  } else if (auth.type === "bearer") registerSecret(auth.token);

  const seconds = (cfg: number | null | undefined, envName: string, key: string, dflt: number) =>
    (cfg ?? envNumber(env, envName, `${at}.${key}`) ?? dflt) * 1000;
  const maxRetries =
    config.max_retries ?? envNumber(env, "MLFLOW_HTTP_REQUEST_MAX_RETRIES", `${at}.max_retries`) ?? 7;
  return {
    trackingUri,
    auth,
    insecureTls: config.insecure_tls ?? envBool(env.MLFLOW_TRACKING_INSECURE_TLS) ?? false,
    caBundlePath: config.ca_bundle ?? (env.MLFLOW_TRACKING_SERVER_CERT_PATH || undefined),
    clientCertPath: config.client_cert ?? (env.MLFLOW_TRACKING_CLIENT_CERT_PATH || undefined),
    clientKeyPath: config.client_key ?? undefined,
    timeoutMs: seconds(config.request_timeout_s, "MLFLOW_HTTP_REQUEST_TIMEOUT", "request_timeout_s", 120),
    ...(unpairedCredentials ? { unpairedCredentials } : {}),
    retry: {
      maxRetries: Math.floor(maxRetries),
      backoffFactorMs: seconds(
        config.backoff_factor_s,
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR",
        "backoff_factor_s",
        2,
      ),
      backoffJitterMs: seconds(
        config.backoff_jitter_s,
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER",
        "backoff_jitter_s",
        1,
      ),
      maxBackoffMs: (config.max_backoff_s ?? 120) * 1000,
      connectTimeoutMs: (config.connect_timeout_s ?? 15) * 1000,
    },
  };
}
