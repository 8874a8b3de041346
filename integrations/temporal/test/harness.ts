// The real Temporal dev server on a free loopback port, `lolpop worker` processes, and a penguins
// project that uses @lolpop/temporal. Everything started here is stopped by `stopAll()`.
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Connection } from "@temporalio/client";
// @ts-expect-error plain ESM script without types
import { startTemporalDevServer } from "../../../scripts/temporal-setup.mjs";

const here = dirname(fileURLToPath(import.meta.url));
export const pkgDir = join(here, "..");
export const repoRoot = join(pkgDir, "..", "..");
export const cliBin = join(repoRoot, "apps", "cli", "bin", "lolpop.js");
const children = new Set<ChildProcess>();

/** A free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A running dev server. */
export interface DevServer {
  address: string;
  port: number;
  process: ChildProcess;
  /** SIGKILLs it. */
  kill(): void;
}

/** Starts `temporal server start-dev` (headless, scripts/temporal-setup.mjs) and waits until it answers. */
export async function startDevServer(options: { port?: number; dbFile?: string } = {}): Promise<DevServer> {
  const started = (await (startTemporalDevServer as (o: object) => Promise<unknown>)(options)) as {
    process: ChildProcess;
    port: number;
    address: string;
  };
  children.add(started.process);
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const c = await Connection.connect({ address: started.address, connectTimeout: "1s" });
      await c.workflowService.getSystemInfo({});
      await c.close();
      break;
    } catch (e) {
      if (Date.now() > deadline)
        throw new Error(`temporal dev server did not answer on ${started.address}: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { ...started, kill: () => started.process.kill("SIGKILL") };
}

/** Links a package folder into node_modules. */
function link(nm: string, name: string, target: string): void {
  const dest = join(nm, name);
  mkdirSync(dirname(dest), { recursive: true });
  symlinkSync(realpathSync(target), dest);
}

/** A temp penguins project (the quickstart's data) that depends on @lolpop/temporal. */
export function penguinsProject(extraYaml = ""): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-temporal-"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "tmp-temporal-project",
      private: true,
      type: "module",
      dependencies: {
        "@lolpop/workflows": "*",
        "@lolpop/local": "*",
        "@lolpop/random-forest": "*",
        "@lolpop/temporal": "*",
      },
    }),
  );
  const nm = join(dir, "node_modules");
  const own = join(pkgDir, "node_modules", "@lolpop");
  for (const p of ["core", "workflows", "local", "random-forest", "cli"])
    link(nm, `@lolpop/${p}`, join(own, p));
  link(nm, "@lolpop/temporal", pkgDir);
  const penguins = join(repoRoot, "examples", "quickstart", "penguins");
  link(nm, "vega-datasets", join(penguins, "node_modules", "vega-datasets"));
  copyFileSync(join(penguins, "prepare-data.mjs"), join(dir, "prepare-data.mjs"));
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  copyFileSync(join(penguins, "lolpop.yaml"), join(dir, "lolpop.yaml"));
  if (extraYaml) writeFileSync(join(dir, "lolpop.yaml"), `${readText(join(dir, "lolpop.yaml"))}${extraYaml}`);
  return { dir, config: join(dir, "lolpop.yaml") };
}

function readText(f: string): string {
  return execFileSync("cat", [f], { encoding: "utf8" });
}

const baseEnv = (extra: Record<string, string>) => ({
  ...process.env,
  LOLPOP_NO_HANDOFF: "1",
  NO_COLOR: "1",
  LOLPOP_LOG_LEVEL: "warn",
  ...extra,
});

/** Starts `lolpop worker` in `cwd`; resolves once it polls. */
/**
 * Makes the project's train step take seconds: a big, deep forest. Fitting time per tree varies with
 * the forest code and the machine's load (40 000 trees took ~8 s here at load 2 after the forest got
 * faster), so a test that must act mid-fit waits for the fit to start, not for a fixed time.
 */
export function slowTrain(dir: string, trees: number): void {
  const f = join(dir, "lolpop.yaml");
  const yaml = readFileSync(f, "utf8");
  if (!yaml.includes("n_estimators: 30") || !yaml.includes("max_depth: 8"))
    throw new Error(`slowTrain: ${f} no longer has the quickstart's n_estimators: 30 and max_depth: 8`);
  writeFileSync(
    f,
    yaml.replace("n_estimators: 30", `n_estimators: ${trees}`).replace("max_depth: 8", "max_depth: 14"),
  );
}

export async function startWorker(
  cwd: string,
  address: string,
  extraArgs: string[] = [],
  env: Record<string, string> = {},
): Promise<ChildProcess & { output: () => string }> {
  const child = spawn(process.execPath, [cliBin, "worker", "--address", address, ...extraArgs], {
    cwd,
    env: baseEnv({ LOLPOP_LOG_LEVEL: "info", ...env }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let out = "";
  child.stdout?.on("data", (d) => {
    out += String(d);
  });
  child.stderr?.on("data", (d) => {
    out += String(d);
  });
  const deadline = Date.now() + 60_000;
  while (!out.includes("worker polling")) {
    if (child.exitCode !== null) throw new Error(`lolpop worker exited ${child.exitCode}: ${out}`);
    if (Date.now() > deadline) throw new Error(`lolpop worker did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return Object.assign(child, { output: () => out });
}

/** Runs the CLI to the end (never throws on a non-zero exit). */
export function lolpop(args: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cliBin, ...args], {
    cwd,
    encoding: "utf8",
    env: baseEnv(env),
    timeout: 280_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the CLI in the background. */
export function lolpopAsync(args: string[], cwd: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [cliBin, ...args], {
    cwd,
    env: baseEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => {
    stdout += String(d);
  });
  child.stderr?.on("data", (d) => {
    stderr += String(d);
  });
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

/** Stops every process this harness started (workers first, then servers). */
export async function stopAll(): Promise<void> {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  children.clear();
}

/**
 * The suite's dev server: started before its tests, stopped with every worker after them. Its
 * fields are filled in by the `beforeAll` this registers, so read them inside tests.
 */
export function suiteDevServer(): DevServer {
  const server = {} as DevServer;
  beforeAll(async () => {
    Object.assign(server, await startDevServer());
  }, 120_000);
  afterAll(() => stopAll(), 30_000);
  return server;
}

/** Polls `check` until it returns true (or throws after `ms`). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The registered version folders of model `penguins` in the project's local store. */
export function versions(dir: string): string[] {
  const d = join(dir, ".lolpop", "models", "penguins", "versions");
  return existsSync(d) ? readdirSync(d).sort() : [];
}
