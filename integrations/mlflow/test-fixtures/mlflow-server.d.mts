/** Types of test-fixtures/mlflow-server.mjs (real MLflow server for tests and the benchmark). */

/** Root of the monorepo. */
export const repoRoot: string;

/** The venv's python; throws (never skips) when the venv or mlflow is missing. */
export function venvPython(): string;

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number>;

/** Creates a self-signed certificate for 127.0.0.1/localhost; returns the PEM paths. */
export function selfSignedCert(dir: string): { cert: string; key: string };

/** A running server. */
export interface MlflowTestServer {
  /** `http(s)://127.0.0.1:<port>`. */
  uri: string;
  port: number;
  /** Folder of mlflow.db, artifacts/ and the server logs. */
  dir: string;
  /** Process group id (the `mlflow server` process). */
  pgid: number;
  /** CA certificate when started with TLS. */
  ca?: Buffer;
  /** Milliseconds until /health answered. */
  startMs: number;
  /** The server's output so far. */
  log(): string;
  /** Kills the whole process group; `leftover` is true when a process survived. */
  stop(): Promise<{ leftover: boolean }>;
}

/** Starts `mlflow server` (sqlite backend, proxied artifacts) and waits for /health. */
export function startMlflowServer(options?: {
  /** Reuse a folder (same sqlite and artifacts), e.g. to restart a stopped server. */
  dir?: string;
  /** Reuse a port. */
  port?: number;
  tls?: { cert: string; key: string };
  timeoutMs?: number;
  /** Extra arguments of `mlflow server`. */
  args?: string[];
  /** Extra environment variables of the server. */
  env?: Record<string, string>;
  /** Runs MLflow's basic-auth app with this admin user. */
  basicAuth?: { username: string; password: string };
}): Promise<MlflowTestServer>;

/** Lines of `ps` (pid, pgid, args) whose command line contains `needle`. */
export function processesMatching(needle: string): string[];
