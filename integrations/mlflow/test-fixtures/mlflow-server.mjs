/**
 * Test and benchmark helper: starts a real MLflow server from the project's venv on 127.0.0.1 (a
 * free port, a sqlite backend and an artifact folder under the OS temp folder), waits for
 * `/health`, and stops it by killing its whole process group, checking that no process is left.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
/** Root of the monorepo. */
export const repoRoot = join(here, "..", "..", "..");

/** The venv's python; throws (never skips) when the venv is missing. */
export function venvPython() {
  const venv = process.env.LOLPOP_VENV ?? join(repoRoot, ".venv");
  const python = join(venv, "bin", "python");
  if (!existsSync(python))
    throw new Error(
      `The Python venv ${venv} is missing: run \`pnpm python:setup\` at the repo root (it installs mlflow from integrations/mlflow/python/requirements.txt).`,
    );
  const check = spawnSync(python, ["-c", "import mlflow, sys; sys.stdout.write(mlflow.__version__)"], {
    encoding: "utf8",
  });
  if (check.status !== 0)
    throw new Error(
      `mlflow is not installed in ${venv}: run \`pnpm python:setup\` at the repo root (${check.stderr.trim().split("\n").pop()})`,
    );
  return python;
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Creates a self-signed certificate for 127.0.0.1/localhost with openssl; returns the PEM paths. */
export function selfSignedCert(dir) {
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  const r = spawnSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "2",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { cert, key };
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (e) {
    return e.code === "EPERM";
  }
}

const live = new Set();
process.on("exit", () => {
  for (const pgid of live) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {}
  }
});

function get(url, ca) {
  return new Promise((resolve) => {
    const req = (url.startsWith("https:") ? httpsRequest : httpRequest)(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode));
    });
    req.on("error", () => resolve(0));
    req.on("timeout", () => {
      req.destroy();
      resolve(0);
    });
    req.end();
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `mlflow server` and resolves when `/health` answers 200.
 * @param {{dir?: string, port?: number, tls?: {cert: string, key: string}, timeoutMs?: number, args?: string[], env?: Record<string, string>, basicAuth?: {username: string, password: string}}} options
 */
export async function startMlflowServer(options = {}) {
  const python = venvPython();
  const mlflowBin = join(dirname(python), "mlflow");
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "lolpop-mlflow-server-"));
  mkdirSync(join(dir, "artifacts"), { recursive: true });
  const port = options.port ?? (await freePort());
  const scheme = options.tls ? "https" : "http";
  const uri = `${scheme}://127.0.0.1:${port}`;
  const ca = options.tls ? readFileSync(options.tls.cert) : undefined;
  const args = [
    "server",
    "--backend-store-uri",
    `sqlite:///${join(dir, "mlflow.db")}`,
    "--artifacts-destination",
    join(dir, "artifacts"),
    "--serve-artifacts",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--workers",
    "1",
    ...(options.tls
      ? ["--uvicorn-opts", `--ssl-keyfile ${options.tls.key} --ssl-certfile ${options.tls.cert}`]
      : []),
    ...(options.args ?? []),
  ];
  const logFile = join(dir, `server-${port}-${Date.now()}.log`);
  const fd = openSync(logFile, "a");
  const env = {
    ...process.env,
    MLFLOW_DISABLE_TELEMETRY: "true",
    DO_NOT_TRACK: "1",
    MLFLOW_SERVER_ENABLE_JOB_EXECUTION: "false",
  };
  for (const k of Object.keys(env)) if (k.startsWith("MLFLOW_TRACKING_")) delete env[k];
  if (options.basicAuth) {
    // MLflow's basic-auth app: users in a sqlite file next to the tracking database.
    const ini = join(dir, "basic_auth.ini");
    writeFileSync(
      ini,
      [
        "[mlflow]",
        "default_permission = READ",
        `database_uri = sqlite:///${join(dir, "basic_auth.db")}`,
        `admin_username = ${options.basicAuth.username}`,
        `admin_password = ${options.basicAuth.password}`,
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
        "auth_cache_ttl_seconds = 60",
        "",
      ].join("\n"),
    );
    env.MLFLOW_AUTH_CONFIG_PATH = ini;
    env.MLFLOW_FLASK_SERVER_SECRET_KEY = "lolpop-test-csrf-key";
    args.push("--app-name", "basic-auth");
  }
  Object.assign(env, options.env ?? {});
  const child = spawn(mlflowBin, args, { cwd: dir, detached: true, stdio: ["ignore", fd, fd], env });
  closeSync(fd);
  const pgid = child.pid;
  live.add(pgid);
  let exited = null;
  child.on("exit", (code, signal) => {
    exited = { code, signal };
  });
  const log = () => {
    try {
      return readFileSync(logFile, "utf8");
    } catch {
      return "";
    }
  };
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 180_000;
  for (;;) {
    if (exited) {
      await killGroup(pgid, () => true);
      live.delete(pgid);
      throw new Error(`mlflow server exited early (${JSON.stringify(exited)}):\n${log().slice(-3000)}`);
    }
    if ((await get(`${uri}/health`, ca)) === 200) break;
    if (Date.now() - started > timeoutMs) {
      await killGroup(pgid, () => exited !== null);
      throw new Error(`mlflow server did not answer /health within ${timeoutMs} ms:\n${log().slice(-3000)}`);
    }
    await sleep(300);
  }
  const server = {
    uri,
    port,
    dir,
    pgid,
    ca,
    startMs: Date.now() - started,
    log,
    /** Stops the whole process group; resolves with whether any process of the group was left. */
    stop: async () => {
      const leftover = await killGroup(pgid, () => exited !== null);
      live.delete(pgid);
      return { leftover };
    },
  };
  return server;
}

/** SIGTERM to the group, SIGKILL after 15 s; resolves `true` when a process of the group survived both. */
async function killGroup(pgid, leaderExited = () => false) {
  const tryKill = (sig) => {
    try {
      process.kill(-pgid, sig);
    } catch {}
  };
  tryKill("SIGTERM");
  for (let waited = 0; waited < 15_000 && (groupAlive(pgid) || !leaderExited()); waited += 100)
    await sleep(100);
  if (groupAlive(pgid)) {
    tryKill("SIGKILL");
    for (let waited = 0; waited < 10_000 && groupAlive(pgid); waited += 100) await sleep(100);
  }
  return groupAlive(pgid);
}

/** Pids of processes whose command line mentions `needle` (to check that nothing is left over). */
export function processesMatching(needle) {
  const r = spawnSync("ps", ["-eo", "pid=,pgid=,args="], { encoding: "utf8" });
  return r.stdout
    .split("\n")
    .filter((l) => l.includes(needle) && !l.includes("ps -eo"))
    .map((l) => l.trim());
}
