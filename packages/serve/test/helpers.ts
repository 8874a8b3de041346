// Projects for the serve tests: the penguins quickstart in a temp folder whose node_modules links
// the workspace packages (a stand-in for `npm install`), the real `lolpop` binary, and a
// `lolpop serve` process that is stopped when the test ends.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type PenguinsConfig,
  penguinsYaml as sharedPenguinsYaml,
  writePenguinsData,
} from "../../../tests/penguins.js";

/** This package's folder. */
export const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
/** The repository's root folder. */
export const repoRoot = join(pkgDir, "..", "..");
const require = createRequire(join(pkgDir, "package.json"));

/** Folder of a package this one depends on (real path). */
export function packageFolder(name: string): string {
  if (name === "@lolpop/serve") return pkgDir;
  try {
    return dirname(realpathSync(require.resolve(`${name}/package.json`)));
  } catch {
    let dir = dirname(realpathSync(require.resolve(name)));
    while (
      !existsSync(join(dir, "package.json")) ||
      JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name !== name
    )
      dir = dirname(dir);
    return dir;
  }
}

const LINKED = [
  "@lolpop/cli",
  "@lolpop/core",
  "@lolpop/workflows",
  "@lolpop/local",
  "@lolpop/random-forest",
  "@lolpop/serve",
  "vega-datasets",
];

/**
 * The penguins quickstart config (local store unless `tracker`/`repository` say otherwise): the
 * tests' one builder, with serve's defaults (20 trees of depth 6, seed 7, a challenger promoted
 * when it beats the baseline).
 */
export function penguinsYaml(o: PenguinsConfig & { seed?: number } = {}) {
  return sharedPenguinsYaml({ trees: 20, depth: 6, seed: 7, requireBeatChampion: false, ...o });
}

/** A temp penguins project (data/train.csv, data/new.csv) with the workspace packages linked. */
export function servedProject(yaml = penguinsYaml()): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), "lolpop-serve-")));
  const deps: Record<string, string> = {};
  for (const name of LINKED) {
    const at = join(dir, "node_modules", name);
    mkdirSync(dirname(at), { recursive: true });
    symlinkSync(packageFolder(name), at);
    deps[name] = "*";
  }
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "serve-project", private: true, type: "module", dependencies: deps }),
  );
  writePenguinsData(dir);
  writeFileSync(join(dir, "lolpop.yaml"), yaml);
  return dir;
}

/** Runs the project's `lolpop`; never throws on a non-zero exit. */
export function lolpop(dir: string, args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(
    process.execPath,
    [join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js"), ...args],
    {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1", ...env },
      timeout: 300_000,
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Trains and deploys a version (`lolpop run --step all` without predict), throwing on failure. */
export function trainVersion(dir: string, env: Record<string, string> = {}): void {
  for (const step of ["process", "train", "deploy"]) {
    const r = lolpop(dir, ["run", "--step", step], env);
    if (r.code !== 0) throw new Error(`lolpop run --step ${step} failed:\n${r.stdout}\n${r.stderr}`);
  }
}

/** A running `lolpop serve`. */
export interface ServeProcess {
  url: string;
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Sends SIGTERM and waits for the exit code. */
  stop(): Promise<number | null>;
}

const running = new Set<ChildProcess>();

/** Kills every server a test left running (call in afterAll). */
export function killServers(): void {
  for (const p of running) p.kill("SIGKILL");
  running.clear();
}

/** Starts `lolpop serve <args> --port 0` in `dir` and waits until it listens. */
export function startServe(
  dir: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<ServeProcess> {
  const proc = spawn(
    process.execPath,
    [join(dir, "node_modules", "@lolpop", "cli", "bin", "lolpop.js"), "serve", "--port", "0", ...args],
    { cwd: dir, env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1", ...env } },
  );
  running.add(proc);
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d) => {
    out += d;
  });
  const exited = new Promise<number | null>((r) => proc.on("exit", (code) => r(code)));
  exited.then(() => running.delete(proc));
  return new Promise((resolveStart, reject) => {
    proc.stderr!.on("data", (d) => {
      err += d;
      const m = /listening on (http:\/\/[^\s]+)/.exec(err);
      if (m)
        resolveStart({
          url: m[1]!.replace(/\/$/, ""),
          proc,
          stdout: () => out,
          stderr: () => err,
          stop: () => {
            proc.kill("SIGTERM");
            return exited;
          },
        });
    });
    exited.then((code) => reject(new Error(`lolpop serve exited (${code}) before listening:\n${err}`)));
  });
}

/** Rows of a CSV file (header → text cells; empty → null). */
export function csvRows(file: string): Array<Record<string, string | null>> {
  const [header, ...lines] = readFileSync(file, "utf8").trimEnd().split("\n");
  const cols = header!.split(",");
  return lines.map((l) => {
    const cells = l.split(",");
    return Object.fromEntries(cols.map((c, j) => [c, cells[j] === "" ? null : cells[j]!]));
  });
}
