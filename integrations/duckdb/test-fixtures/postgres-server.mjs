/**
 * Test helper: a throwaway PostgreSQL cluster from Debian's server binaries (installed by
 * scripts/system-setup.mjs): `initdb` into a temp folder with password (SCRAM) authentication,
 * `postgres` on 127.0.0.1 and a free port (its socket in the same folder), stopped by `stop()` or,
 * at the latest, when the test process exits. As root, the server runs as the `postgres` user
 * (PostgreSQL refuses to run as root).
 */
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Folder of the newest installed PostgreSQL server binaries; throws (never skips) when there is none. */
export function postgresBin() {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error(
      "PostgreSQL server binaries are missing: run `node scripts/system-setup.mjs` as root (apt-get install postgresql)",
    );
  return join(root, versions[0], "bin");
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

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const live = new Set();
process.on("exit", () => {
  for (const pid of live) {
    try {
      process.kill(pid, "SIGQUIT");
    } catch {}
  }
});

/**
 * Starts a cluster with one database and a password user.
 * @returns {Promise<{url: string, host: string, port: number, user: string, password: string, database: string, dir: string, psql(sql: string): string, stop(): Promise<void>}>}
 */
export async function startPostgres() {
  const bin = postgresBin();
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const dir = mkdtempSync(join(tmpdir(), "lolpop-pg-"));
  const data = join(dir, "data");
  mkdirSync(data);
  const user = "lolpop";
  const password = `pw-${Math.random().toString(36).slice(2)}-secret`;
  const database = "lolpop_test";
  const pwfile = join(dir, "pwfile");
  writeFileSync(pwfile, `${password}\n`);
  let uid;
  let gid;
  if (asRoot) {
    const id = (flag) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
    uid = id("-u");
    gid = id("-g");
    if (!Number.isInteger(uid))
      throw new Error("running as root but there is no `postgres` user to run the server as");
    for (const p of [dir, data, pwfile]) chownSync(p, uid, gid);
  }
  chmodSync(data, 0o700);
  const run = (cmd, args, opts = {}) => {
    const r = spawnSync(cmd, args, { encoding: "utf8", uid, gid, cwd: dir, ...opts });
    if (r.status !== 0)
      throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
    return r.stdout;
  };
  run(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    user,
    `--pwfile=${pwfile}`,
    "--auth=scram-sha-256",
    "-E",
    "UTF8",
    "--no-locale",
  ]);
  rmSync(pwfile);
  const port = await freePort();
  const log = join(dir, "server.log");
  const child = spawn(
    join(bin, "postgres"),
    ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"],
    { uid, gid, cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += d;
  });
  live.add(child.pid);
  let exited = null;
  child.on("exit", (code, signal) => {
    exited = { code, signal };
    live.delete(child.pid);
  });
  const env = { ...process.env, PGPASSWORD: password };
  const psqlArgs = (db) => [
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-U",
    user,
    "-d",
    db,
    "-v",
    "ON_ERROR_STOP=1",
    "-q",
    "-A",
    "-t",
  ];
  const started = Date.now();
  for (;;) {
    if (exited) throw new Error(`postgres exited early (${JSON.stringify(exited)}): ${stderr}`);
    const r = spawnSync(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port)], {
      encoding: "utf8",
    });
    if (r.status === 0) break;
    if (Date.now() - started > 60_000)
      throw new Error(`postgres did not accept connections within 60 s: ${stderr}`);
    await sleep(200);
  }
  spawnSync("psql", [...psqlArgs("postgres"), "-c", `CREATE DATABASE ${database}`], {
    env,
    encoding: "utf8",
  });
  return {
    url: `postgresql://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    host: "127.0.0.1",
    port,
    user,
    password,
    database,
    dir,
    log: () => (existsSync(log) ? readFileSync(log, "utf8") : stderr),
    /** Runs SQL with psql (stdin), returns its unaligned output. */
    psql(sql) {
      const r = spawnSync("psql", psqlArgs(database), { env, input: sql, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`psql failed (${r.status}): ${r.stderr}`);
      return r.stdout;
    },
    async stop() {
      if (exited) return;
      child.kill("SIGINT"); // fast shutdown
      for (let waited = 0; waited < 20_000 && !exited; waited += 100) await sleep(100);
      if (!exited) {
        child.kill("SIGKILL");
        for (let waited = 0; waited < 5_000 && !exited; waited += 100) await sleep(100);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
