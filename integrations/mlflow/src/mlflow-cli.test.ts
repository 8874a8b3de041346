// The store commands of the lolpop CLI against a real MLflow server (MLflowMetadataTracker and
// MLflowModelRepository): `runs list|show|compare`, `lineage`, `predict --input/--output`,
// `--set`, and `lolpop test`, which refuses to touch a server store unless `--store live`. The
// same commands on the local store: tests/cli-runs.test.ts. One server for the file.
import { spawnSync } from "node:child_process";
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { penguinsYaml, writePenguinsData } from "../../../tests/penguins.js";
import {
  type MlflowTestServer,
  processesMatching,
  repoRoot,
  startMlflowServer,
} from "../test/fixtures/mlflow-server.mjs";
import { createMlflowMetadataTracker, MlflowClient } from "./index.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");
const cliBin = join(repoRoot, "apps", "cli", "bin", "lolpop.js");

let server: MlflowTestServer;
let dir: string;
let workflowRuns: string[] = [];

/** Runs the workspace CLI in the project; never throws. */
function lolpop(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [cliBin, ...args], {
    cwd: dir,
    encoding: "utf8",
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1", ...env },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(r: { code: number | null; stdout: string; stderr: string }): any {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}

const config = (experiment: string) =>
  penguinsYaml({
    tracker: "MLflowMetadataTracker",
    repository: "MLflowModelRepository",
    config: [`tracking_uri: ${server.uri}`, `experiment_name: ${experiment}`],
    trees: 20,
    depth: 6,
    deployConfig: [],
    tests: `  train.train_model:
    post_hooks:
      - hook_file: hooks.mjs
        hook_method: registered`,
  });

beforeAll(async () => {
  server = await startMlflowServer();
  // A project whose dependencies are the plugins (linked from this package and its node_modules).
  dir = mkdtempSync(join(tmpdir(), "lolpop-mlflow-cli-"));
  mkdirSync(join(dir, "node_modules", "@lolpop"), { recursive: true });
  for (const name of readdirSync(join(pkgDir, "node_modules", "@lolpop")))
    symlinkSync(join(pkgDir, "node_modules", "@lolpop", name), join(dir, "node_modules", "@lolpop", name));
  symlinkSync(pkgDir, join(dir, "node_modules", "@lolpop", "mlflow"));
  symlinkSync(join(pkgDir, "node_modules", "vega-datasets"), join(dir, "node_modules", "vega-datasets"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "mlflow-cli-project",
      private: true,
      type: "module",
      dependencies: {
        "@lolpop/workflows": "*",
        "@lolpop/local": "*",
        "@lolpop/random-forest": "*",
        "@lolpop/mlflow": "*",
      },
    }),
  );
  writePenguinsData(dir);
  writeFileSync(join(dir, "lolpop.yaml"), config(`cli-${Date.now()}`));
  writeFileSync(
    join(dir, "hooks.mjs"),
    "export function registered({ output }) { return output.version > 0; }\n",
  );
  for (const args of [["run"], ["run", "--set", "train.model_trainer.config.training_params.max_depth=2"]]) {
    const r = lolpop(args);
    if (r.code !== 0) throw new Error(`lolpop ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  }
  workflowRuns = json(lolpop(["runs", "list", "--pipeline", "workflow", "--json"])).runs.map(
    (r: { id: string }) => r.id,
  );
}, 400_000);

afterAll(async () => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (!server) return;
  const { leftover } = await server.stop();
  expect(leftover).toBe(false);
  expect(processesMatching(server.dir)).toEqual([]);
}, 60_000);

describe("MLflowMetadataTracker.search_runs status filter", () => {
  it("one status (filtered by the server), several, with tags, parent and limit; an unknown status is refused", async () => {
    const client = new MlflowClient({ config: { tracking_uri: server.uri }, resolve: { env: {} } });
    const t = createMlflowMetadataTracker({ client, experimentName: `status-${Date.now()}` });
    try {
      const parent = await t.start_run({ name: "parent", tags: { suite: "status" } });
      const done = await t.start_run({ name: "done", parent_id: parent.id, tags: { suite: "status" } });
      const failed = await t.start_run({ name: "failed", parent_id: parent.id, tags: { suite: "status" } });
      await t.end_run(done.id, "FINISHED");
      await t.end_run(failed.id, "FAILED");
      const ids = (runs: Array<{ id: string }>) => runs.map((r) => r.id).sort();
      expect(ids(await t.search_runs({ status: "FINISHED" }))).toEqual([done.id]);
      expect(ids(await t.search_runs({ status: "RUNNING" }))).toEqual([parent.id]);
      expect(ids(await t.search_runs({ status: ["FAILED", "FINISHED"], parent_id: parent.id }))).toEqual(
        ids([done, failed]),
      );
      expect(await t.search_runs({ status: ["KILLED"], tags: { suite: "status" } })).toEqual([]);
      expect(await t.search_runs({ status: ["FINISHED", "FAILED"], limit: 1 })).toHaveLength(1);
      await expect(t.search_runs({ status: "DONE" as never })).rejects.toThrow(/unknown run status "DONE"/);
      await t.end_run(parent.id, "FINISHED");
    } finally {
      await t.close();
    }
  }, 60_000);
});

describe("lolpop runs on MLflow", () => {
  it("list: the runs of the experiment, newest first, with status, stage and limit filters", () => {
    const doc = json(lolpop(["runs", "list", "--json"]));
    expect(doc.runs).toHaveLength(6);
    expect(doc.runs.map((r: { tags: Record<string, string> }) => r.tags["lolpop.stage"]).sort()).toEqual([
      "prediction_job",
      "prediction_job",
      "train",
      "train",
      "workflow",
      "workflow",
    ]);
    expect(workflowRuns).toHaveLength(2);
    expect(doc.runs.findIndex((r: { id: string }) => r.id === workflowRuns[0])).toBeLessThan(
      doc.runs.findIndex((r: { id: string }) => r.id === workflowRuns[1]),
    );
    expect(json(lolpop(["runs", "list", "--status", "FINISHED", "--json"])).runs).toHaveLength(6);
    expect(json(lolpop(["runs", "list", "--status", "FAILED,KILLED", "--json"])).runs).toEqual([]);
    expect(
      json(lolpop(["runs", "list", "--pipeline", "predict", "--limit", "1", "--json"])).runs,
    ).toHaveLength(1);
    const text = lolpop(["runs", "list"]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(workflowRuns[0]);
    expect(lolpop(["runs", "list", "--status", "DONE"]).code).toBe(2);
  }, 60_000);

  it("show and compare: the train run's params and metrics merged, differences flagged", () => {
    const shown = json(lolpop(["runs", "show", workflowRuns[0]!, "--json"]));
    expect(shown.params.max_depth).toBe("2");
    expect(shown.datasets[0]).toMatchObject({ source: "data/train.csv", rows: expect.any(Number) });
    expect(lolpop(["runs", "show", "0123456789abcdef0123456789abcdef"]).code).toBe(1);
    const doc = json(lolpop(["runs", "compare", ...workflowRuns, "--json"]));
    const row = (section: string, key: string) =>
      doc.rows.find((r: { section: string; key: string }) => r.section === section && r.key === key);
    expect(row("param", "max_depth")).toEqual({
      section: "param",
      key: "max_depth",
      values: ["2", "6"],
      differs: true,
    });
    expect(row("param", "n_estimators")).toMatchObject({ values: ["20", "20"], differs: false });
    expect(row("code", "config hash").differs).toBe(true);
    const text = lolpop(["runs", "compare", ...workflowRuns]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\*\s+param\s+max_depth\s+2\s+6$/m);
  }, 60_000);

  it("lineage and predict: a version's chain and a scored file, as a prediction job of that version", () => {
    const out = join(dir, "out", "v2.csv");
    const p = lolpop([
      "predict",
      "--input",
      "data/new.csv",
      "--output",
      "out/v2.csv",
      "--model",
      "penguins/2",
      "--json",
    ]);
    expect(p.code).toBe(0);
    const doc = json(p);
    expect(doc).toMatchObject({ ok: true, model: "penguins", version: 2, output: out });
    expect(readFileSync(out, "utf8").trim().split("\n")).toHaveLength(doc.rows + 1);
    const l = json(lolpop(["lineage", "penguins/2", "--json"]));
    expect(l.model).toMatchObject({ name: "penguins", version: 2, run_id: expect.any(String) });
    expect(l.runs.map((r: { stage: string }) => r.stage)).toEqual(["workflow", "train"]);
    expect(l.runs[0].id).toBe(workflowRuns[0]);
    expect(l.data[0].fingerprint).toBe(l.data_fingerprint);
    expect(l.prediction_jobs.map((j: { id: string }) => j.id)).toEqual([doc.job_id]);
    const champ = json(lolpop(["lineage", "penguins@champion", "--json"]));
    expect(champ.model.aliases).toContain("champion");
    const tree = lolpop(["lineage", "penguins@champion"]);
    expect(tree.code).toBe(0);
    expect(tree.stdout).toMatch(new RegExp(`^penguins v${champ.model.version} \\(champion\\)`));
    expect(tree.stdout).toContain(`└─ prediction jobs (${champ.prediction_jobs.length})`);
    expect(lolpop(["lineage", "penguins@nope"]).code).toBe(1);
    expect(
      lolpop(["predict", "--input", "data/new.csv", "--output", "x.csv", "--model", "penguins"]).code,
    ).toBe(0);
  }, 120_000);

  it("lolpop test will not write to the MLflow server unless --store live", () => {
    const before = json(lolpop(["runs", "list", "--limit", "100", "--json"])).runs.length;
    const r = lolpop(["test"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("metadata_tracker (MLflowMetadataTracker)");
    expect(r.stderr).toContain("pass --store live");
    expect(json(lolpop(["runs", "list", "--limit", "100", "--json"])).runs).toHaveLength(before);
    const live = lolpop(["test", "--store", "live", "--json"]);
    expect(live.code).toBe(0);
    expect(json(live).ok).toBe(true);
    expect(json(lolpop(["runs", "list", "--limit", "100", "--json"])).runs.length).toBeGreaterThan(before);
  }, 180_000);
});
