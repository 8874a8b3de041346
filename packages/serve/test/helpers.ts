// Projects for the serve tests: the penguins quickstart in a temp folder whose node_modules links
// the workspace packages (a stand-in for `npm install`), the real `lolpop` binary, and a
// `lolpop serve` process that is stopped when the test ends.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  copyFileSync,
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

/** The penguins quickstart config (local store), with `trees` trees. */
export function penguinsYaml(
  o: { trees?: number; depth?: number; seed?: number; extraComponents?: string[] } = {},
) {
  return `runner: ClassificationRunner
config:
  target: species
  index: id
  model_name: penguins
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
${(o.extraComponents ?? []).map((l) => `  ${l}\n`).join("")}pipelines:
  process: OfflineProcess
  train: OfflineTrain
  deploy: OfflineDeploy
  predict: OfflinePredict
process:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/train.csv
train:
  config:
    perf_metric: f1_macro
    seed: ${o.seed ?? 7}
  components:
    data_splitter: LocalDataSplitter
    feature_transformer: LocalFeatureTransformer
    model_trainer: RandomForestModelTrainer
  data_splitter:
    config:
      split_ratio: [0.7, 0.15, 0.15]
      seed: 42
  model_trainer:
    config:
      training_params:
        n_estimators: ${o.trees ?? 20}
        max_depth: ${o.depth ?? 6}
deploy:
  config:
    require_beat_champion: false
    require_beat_baseline: true
predict:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/new.csv
  config:
    output_path: predictions/penguins.csv
`;
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
  copyFileSync(
    join(repoRoot, "examples", "quickstart", "penguins", "prepare-data.mjs"),
    join(dir, "prepare-data.mjs"),
  );
  const r = spawnSync(process.execPath, ["prepare-data.mjs"], { cwd: dir, encoding: "utf8" });
  if (r.status !== 0) throw new Error(r.stderr);
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
