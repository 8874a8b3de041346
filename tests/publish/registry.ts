// A throwaway npm registry (verdaccio) for the publishing tests: temporary storage and config,
// 127.0.0.1 only, a port picked by the OS, and an npm/pnpm environment that points at it without
// touching the user's own npm config, cache or pnpm store.
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, "..", "..");

/** A running local registry. */
export interface LocalRegistry {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  /** Process id of the registry (leader of its own process group). */
  pid: number;
  /** Token of the user the registry created for these tests (what `npm login` would store). */
  token: string;
  /** Verdaccio's storage folder (published packages and tarballs). */
  storage: string;
  /** The registry's log. */
  logFile: string;
  /** Stops the registry and waits until its process is gone. Safe to call twice. */
  stop(): Promise<void>;
}

/** Options of {@link startRegistry}. */
export interface RegistryOptions {
  /** Scopes published to this registry only, never looked up upstream (e.g. `@lolpop`, `@acme`). */
  localScopes: string[];
  /** Registry that every other package is proxied from (default: the npm registry configured here). */
  upstream?: string;
}

/** The registry npm uses outside these tests, where third-party packages come from. */
export function upstreamRegistry(): string {
  if (process.env.LOLPOP_E2E_UPSTREAM_REGISTRY) return process.env.LOLPOP_E2E_UPSTREAM_REGISTRY;
  try {
    const configured = execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).trim();
    if (/^https?:\/\//.test(configured) && !/127\.0\.0\.1|localhost/.test(configured)) return configured;
  } catch {
    // npm missing or broken: the public registry.
  }
  return "https://registry.npmjs.org/";
}

/**
 * Starts verdaccio with its config and storage under `dir`. Packages of `localScopes` can be
 * published by an authenticated user and are never proxied (nothing leaks to or from the public
 * registry); everything else is read through from upstream.
 */
export async function startRegistry(dir: string, options: RegistryOptions): Promise<LocalRegistry> {
  mkdirSync(dir, { recursive: true });
  const storage = join(dir, "storage");
  const logFile = join(dir, "verdaccio.log");
  const local = { access: "$all", publish: "$authenticated", unpublish: "$authenticated" };
  const config = {
    storage,
    auth: { htpasswd: { file: join(dir, "htpasswd"), max_users: 10 } },
    uplinks: {
      upstream: { url: options.upstream ?? upstreamRegistry(), timeout: "120s", max_fails: 5 },
    },
    packages: {
      ...Object.fromEntries(options.localScopes.map((s) => [`${s}/*`, local])),
      "**": { access: "$all", publish: "$authenticated", proxy: "upstream" },
    },
    // JWT tokens: checked by signature. Legacy tokens run the htpasswd (bcrypt) check on every
    // request, about 100 ms each: minutes over the thousand requests of an install.
    security: { api: { legacy: false, jwt: { sign: { expiresIn: "1d" } } } },
    web: { enable: false },
    max_body_size: "100mb",
    log: { type: "stdout", format: "pretty", level: "http" },
  };
  // JSON is YAML: verdaccio reads it as its config.yaml.
  const configFile = join(dir, "config.yaml");
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);

  const log = openSync(logFile, "a");
  const child: ChildProcess = fork(join(here, "registry-server.mjs"), [configFile], {
    cwd: dir,
    // Own process group, so stop() can end it and anything it started in one signal.
    detached: true,
    stdio: ["ignore", log, log, "ipc"],
    execArgv: [],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`verdaccio did not start in 60 s:\n${tail(logFile)}`)),
      60_000,
    );
    child.once("message", (m: unknown) => {
      clearTimeout(timer);
      resolve((m as { port: number }).port);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`verdaccio exited (${code}) before listening:\n${tail(logFile)}`));
    });
  });
  const pid = child.pid!;
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.connected) child.send({ stop: true });
      else killGroup(pid, "SIGTERM");
      const timeout = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000).unref());
      if ((await Promise.race([exited, timeout])) === "timeout") {
        killGroup(pid, "SIGKILL");
        await exited;
      }
      // Anything left in its process group (it starts none, but make sure).
      killGroup(pid, "SIGKILL");
    })();
    return stopped;
  };
  const url = `http://127.0.0.1:${port}/`;
  try {
    const token = await addUser(url, "lolpop-e2e", "e2e-password-not-secret");
    return { url, port, pid, token, storage, logFile, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Creates a user the way `npm adduser` does; returns its token. */
async function addUser(url: string, name: string, password: string): Promise<string> {
  const res = await fetch(`${url}-/user/org.couchdb.user:${encodeURIComponent(name)}`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name, password, type: "user", roles: [] }),
  });
  const body = (await res.json()) as { token?: string; error?: string };
  if (!res.ok || !body.token)
    throw new Error(`could not create a registry user: ${res.status} ${JSON.stringify(body)}`);
  return body.token;
}

/** The last lines of a file (for error messages). */
export function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return "";
  return readFileSync(file, "utf8").split("\n").slice(-lines).join("\n");
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Whether a process is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The environment of every npm, npx and pnpm command of the tests: a private npmrc (registry, scope
 * routes, token), npm cache, and pnpm store/cache/state folders under `home`, so neither the user's
 * config nor their caches are read or written. Variables of the surrounding `pnpm test` run
 * (npm_config_*, npm_package_*, the workspace's node_modules/.bin on PATH) are dropped so that each
 * command behaves as in a fresh shell.
 */
export function clientEnv(registry: LocalRegistry, home: string, scopes: string[]): NodeJS.ProcessEnv {
  mkdirSync(home, { recursive: true });
  const npmrc = join(home, "npmrc");
  const hostPath = registry.url.replace(/^https?:/, "");
  writeFileSync(
    npmrc,
    [
      `registry=${registry.url}`,
      ...scopes.map((s) => `${s}:registry=${registry.url}`),
      `${hostPath}:_authToken=${registry.token}`,
      "audit=false",
      "fund=false",
      "update-notifier=false",
      "",
    ].join("\n"),
  );
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined) continue;
    if (/^(npm|pnpm)_(config|package|lifecycle)_/i.test(k)) continue;
    if (["NODE_ENV", "NODE_OPTIONS", "INIT_CWD", "PNPM_SCRIPT_SRC_DIR", "LOLPOP_NO_HANDOFF"].includes(k))
      continue;
    if (k.startsWith("JEST_") || k.startsWith("TURBO_")) continue;
    env[k] = v;
  }
  env.PATH = (process.env.PATH ?? "")
    .split(":")
    .filter((p) => p && !p.startsWith(repoRoot))
    .join(":");
  return {
    ...env,
    NO_COLOR: "1",
    FORCE_COLOR: "0",
    npm_config_userconfig: npmrc,
    npm_config_cache: join(home, "npm-cache"),
    // changesets asks `npm info` on the registry named here (else the public one).
    npm_config_registry: registry.url,
    pnpm_config_registry: registry.url,
    // Answers npx's "Ok to proceed?" as a person would.
    npm_config_yes: "true",
    XDG_DATA_HOME: join(home, "xdg-data"),
    XDG_CACHE_HOME: join(home, "xdg-cache"),
    XDG_STATE_HOME: join(home, "xdg-state"),
    XDG_CONFIG_HOME: join(home, "xdg-config"),
  };
}

/** GET on a fresh connection (no keep-alive to race the server's idle timeout). */
export function httpGet(url: string, token?: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent: false, headers: token ? { authorization: `Bearer ${token}` } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end();
  });
}
