#!/usr/bin/env node
// Builds the Temporal CLI (which carries the single-binary Temporal dev server, `temporal server
// start-dev`) that @lolpop/temporal's tests and benchmarks start. Runs
// `go install github.com/temporalio/cli/cmd/temporal@<version>` with GOPATH, GOMODCACHE and GOCACHE
// inside a fixed cache folder, so a reused machine skips the build (~7+ minutes on 2 cores).
//
// Env: LOLPOP_TEMPORAL_CACHE (default ~/.cache/lolpop/go) moves the cache folder;
// LOLPOP_TEMPORAL_BIN points at an existing `temporal` binary and skips the build entirely.
// Prints the binary's path as its last stdout line.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export const TEMPORAL_CLI_VERSION = "v1.5.1";

/** Where the built binary lives (it may not exist yet). */
export function temporalBinaryPath() {
  if (process.env.LOLPOP_TEMPORAL_BIN) return process.env.LOLPOP_TEMPORAL_BIN;
  const cache = process.env.LOLPOP_TEMPORAL_CACHE ?? join(homedir(), ".cache", "lolpop", "go");
  return join(cache, TEMPORAL_CLI_VERSION, "bin", "temporal");
}

/** Builds the binary when it is missing; returns its path. Throws with the go output on failure. */
export function ensureTemporalBinary({ log = (m) => console.error(m) } = {}) {
  const bin = temporalBinaryPath();
  if (existsSync(bin)) return bin;
  if (process.env.LOLPOP_TEMPORAL_BIN) {
    throw new Error(`temporal-setup: LOLPOP_TEMPORAL_BIN=${bin} does not exist; unset it to build the CLI`);
  }
  const cache = process.env.LOLPOP_TEMPORAL_CACHE ?? join(homedir(), ".cache", "lolpop", "go");
  const gopath = join(cache, TEMPORAL_CLI_VERSION);
  const env = {
    ...process.env,
    GOPATH: gopath,
    GOBIN: join(gopath, "bin"),
    GOMODCACHE: join(cache, "mod"),
    GOCACHE: join(cache, "build"),
    GOFLAGS: "-modcacherw",
    CGO_ENABLED: "0",
  };
  for (const d of [env.GOBIN, env.GOMODCACHE, env.GOCACHE]) mkdirSync(d, { recursive: true });
  const started = Date.now();
  log(
    `temporal-setup: building the Temporal CLI ${TEMPORAL_CLI_VERSION} with go install (one time, several minutes)`,
  );
  const r = spawnSync("go", ["install", `github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}`], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  if (r.error) {
    throw new Error(
      `temporal-setup: could not run 'go' (${r.error.message}); install Go >= 1.23 or set LOLPOP_TEMPORAL_BIN to a temporal CLI binary`,
    );
  }
  if (r.status !== 0 || !existsSync(bin)) {
    throw new Error(
      `temporal-setup: 'go install github.com/temporalio/cli/cmd/temporal@${TEMPORAL_CLI_VERSION}' failed (exit ${r.status})`,
    );
  }
  log(`temporal-setup: built ${bin} in ${Math.round((Date.now() - started) / 1000)}s`);
  return bin;
}

/**
 * Starts `temporal server start-dev` (headless, on 127.0.0.1) and returns the child process and its
 * address once the port accepts connections. `dbFile` persists state (`--db-filename`). The caller
 * stops it (SIGKILL is fine: the dev server keeps nothing else).
 */
export async function startTemporalDevServer({ port, uiPort, dbFile } = {}) {
  const { createServer, connect } = await import("node:net");
  const free = () =>
    new Promise((resolve, reject) => {
      const s = createServer();
      s.unref();
      s.on("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
  const p = port ?? (await free());
  const ui = uiPort ?? (await free());
  const args = ["server", "start-dev", "--ip", "127.0.0.1", "--port", String(p), "--ui-port", String(ui)];
  args.push("--headless", "--log-level", "error", ...(dbFile ? ["--db-filename", dbFile] : []));
  const child = spawn(ensureTemporalBinary(), args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr += String(d);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited ${child.exitCode}: ${stderr}`);
    const open = await new Promise((resolve) => {
      const c = connect(p, "127.0.0.1");
      c.once("connect", () => {
        c.destroy();
        resolve(true);
      });
      c.once("error", () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) throw new Error(`temporal dev server did not open 127.0.0.1:${p}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { process: child, port: p, address: `127.0.0.1:${p}` };
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  try {
    console.log(ensureTemporalBinary());
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
