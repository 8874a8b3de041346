// The model lifecycle against a real MLflow server: the conformance checks of the optional
// lifecycle methods (@lolpop/testing), and the `lolpop models ...` / `lolpop gc` commands of the
// built CLI on the penguins quickstart configured with MLflowMetadataTracker and
// MLflowModelRepository: manual approval end to end, rollback, --json shapes, exit codes, and
// gc --dry-run == what gc deletes. One server for the file.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiateComponent, silentLogger } from "@lolpop/core";
import { behaviourChecks } from "@lolpop/testing";
import { penguinsYaml, writePenguinsData } from "../../../tests/penguins.js";
import {
  type MlflowTestServer,
  processesMatching,
  repoRoot,
  startMlflowServer,
} from "../test/fixtures/mlflow-server.mjs";
import { mlflowMetadataTracker, mlflowModelRepository } from "./index.js";
import type { MlflowMetadataTracker } from "./mlflow-metadata-tracker.js";
import type { MlflowModelRepository } from "./mlflow-model-repository.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");
const cliBin = join(repoRoot, "apps", "cli", "bin", "lolpop.js");
const SLOW = 240_000;

let server: MlflowTestServer;

beforeAll(async () => {
  server = await startMlflowServer();
}, 240_000);

afterAll(async () => {
  if (!server) return;
  const { leftover } = await server.stop();
  expect(leftover).toBe(false);
  expect(processesMatching(server.dir)).toEqual([]);
}, 60_000);

describe("conformance of the optional lifecycle methods against MLflow", () => {
  const tmp = () => mkdtempSync(join(tmpdir(), "lolpop-mlflow-conf-"));
  const envOf = (def: typeof mlflowModelRepository | typeof mlflowMetadataTracker, experiment: string) => ({
    type: def.type,
    tmp,
    problemTypes: ["classification" as const],
    create: async (root?: string) =>
      instantiateComponent(def, {
        config: { tracking_uri: server.uri, experiment_name: experiment },
        project: { root: root ?? tmp() },
        logger: silentLogger,
      }),
  });

  test("model_repository: list_models, promotion history, archive_model, delete_model_version", async () => {
    const checks = behaviourChecks("model_repository", envOf(mlflowModelRepository, "conformance-repo"));
    const check = checks.find((c) => c.name.startsWith("optional lifecycle methods"));
    expect(check).toBeDefined();
    const repo = (await envOf(mlflowModelRepository, "x").create()) as MlflowModelRepository;
    // The MLflow repository implements them all, so the check exercises every one.
    for (const m of [
      "list_models",
      "get_promotion_history",
      "archive_model",
      "delete_model_version",
    ] as const)
      expect(typeof repo[m]).toBe("function");
    await check!.run();
    await repo.close();
  });

  test("metadata_tracker: delete_run", async () => {
    const checks = behaviourChecks("metadata_tracker", envOf(mlflowMetadataTracker, "conformance-tracker"));
    const check = checks.find((c) => c.name.startsWith("optional delete_run"));
    expect(check).toBeDefined();
    const t = (await envOf(mlflowMetadataTracker, "x").create()) as MlflowMetadataTracker;
    expect(typeof t.delete_run).toBe("function");
    await t.close();
    await check!.run();
  });

  test("metadata_tracker: records and searches runs (tags, parent, status, start time)", async () => {
    const checks = behaviourChecks("metadata_tracker", envOf(mlflowMetadataTracker, "conformance-search"));
    const check = checks.find((c) => c.name.startsWith("records a run"));
    expect(check).toBeDefined();
    await check!.run();
  });

  test("metadata_tracker: search_runs with metrics (from MLflow's search, as get_run gives them)", async () => {
    const checks = behaviourChecks("metadata_tracker", envOf(mlflowMetadataTracker, "conformance-metrics"));
    const check = checks.find((c) => c.name.startsWith("search_runs({metrics: true})"));
    expect(check).toBeDefined();
    await check!.run();
  });

  test("metadata_tracker: get_metric_history and read_artifact", async () => {
    const checks = behaviourChecks("metadata_tracker", envOf(mlflowMetadataTracker, "conformance-history"));
    const check = checks.find((c) => c.name.startsWith("optional get_metric_history"));
    expect(check).toBeDefined();
    const t = (await envOf(mlflowMetadataTracker, "x").create()) as MlflowMetadataTracker;
    expect(typeof t.get_metric_history).toBe("function");
    expect(typeof t.read_artifact).toBe("function");
    await t.close();
    await check!.run();
  });
});

/** A temp project with the penguins data and the workspace plugins (MLflow included) as dependencies. */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-mlflow-models-"));
  const modules = join(dir, "node_modules");
  mkdirSync(join(modules, "@lolpop"), { recursive: true });
  const deps: Record<string, string> = {};
  for (const [name, folder] of [
    ["workflows", join(repoRoot, "packages", "workflows")],
    ["local", join(repoRoot, "packages", "local")],
    ["core", join(repoRoot, "packages", "core")],
    ["random-forest", join(repoRoot, "integrations", "random-forest")],
    ["mlflow", pkgDir],
  ] as const) {
    symlinkSync(folder, join(modules, "@lolpop", name));
    if (name !== "core") deps[`@lolpop/${name}`] = "*";
  }
  symlinkSync(join(pkgDir, "node_modules", "vega-datasets"), join(modules, "vega-datasets"));
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "tmp-mlflow-project", private: true, type: "module", dependencies: deps }),
  );
  writePenguinsData(dir);
  return dir;
}

const config = (experiment: string, trees: number, depth: number) =>
  penguinsYaml({
    tracker: "MLflowMetadataTracker",
    repository: "MLflowModelRepository",
    config: [`tracking_uri: ${server.uri}`, `experiment_name: ${experiment}`],
    trees,
    depth,
    deployConfig: ["approval: manual"],
  });

function lolpop(args: string[], cwd: string) {
  const r = spawnSync(process.execPath, [cliBin, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1", NO_COLOR: "1" },
    timeout: 300_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(args: string[], dir: string, code = 0): Record<string, any> {
  const r = lolpop([...args, "--json"], dir);
  if (r.code !== code)
    throw new Error(`lolpop ${args.join(" ")} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

describe("lolpop models and gc with MLflow", () => {
  let dir: string;
  const experiment = `models-cli-${Date.now()}`;
  beforeAll(() => {
    dir = project();
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test(
    "manual approval end to end: not promoted -> approve -> champion by the policy -> rollback; history records who and why",
    () => {
      writeFileSync(join(dir, "lolpop.yaml"), config(experiment, 1, 1));
      const run1 = json(["run", "--step", "deploy"], dir);
      expect(run1.train.version).toBe(1);
      expect(run1.deploy.promoted).toBe(false);
      const a1 = json(["models", "approve", "penguins", "1", "--by", "alice"], dir);
      expect(a1.deploy).toMatchObject({ version: 1, promoted: true, champion_version: 1 });

      writeFileSync(join(dir, "lolpop.yaml"), config(experiment, 30, 8));
      const run2 = json(["run", "--step", "deploy"], dir);
      expect(run2.train.version).toBe(2);
      expect(run2.deploy.promoted).toBe(false);
      const a2 = json(["models", "approve", "penguins", "2", "--by", "bob", "--comment", "better"], dir);
      expect(a2.deploy.promoted).toBe(true);
      expect(a2.deploy.reasons.join("; ")).toMatch(/approved by bob \(better\); beats champion v1/);

      const shown = json(["models", "show", "penguins@champion"], dir);
      expect(shown.version).toMatchObject({ name: "penguins", version: 2, aliases: ["champion"] });
      expect(shown.approved).toBe(true);
      expect(shown.version.tags["lolpop.approved_by"]).toBe("bob");

      const back = json(["models", "rollback", "penguins", "--by", "carol", "--reason", "drift"], dir);
      expect(back).toEqual({ name: "penguins", from: 2, to: 1, promoted: true, champion: 1 });
      const h = json(["models", "history", "penguins"], dir).history;
      expect(h.map((e: { previous: number | null; version: number }) => [e.previous, e.version])).toEqual([
        [null, 1],
        [1, 2],
        [2, 1],
      ]);
      expect(h[2]).toMatchObject({ alias: "champion", by: "carol", reason: "rollback from v2 to v1: drift" });
      expect(h[1].reason).toMatch(/approved by bob/);
    },
    SLOW,
  );

  test(
    "list, promote, archive, exit codes",
    () => {
      expect(json(["models", "list"], dir).models).toContainEqual({
        name: "penguins",
        versions: 2,
        champion: 1,
        latest: 2,
      });
      expect(json(["models", "promote", "penguins", "2", "--by", "dave"], dir)).toEqual({
        name: "penguins",
        version: 2,
        promoted: true,
        champion: 2,
        previous: 1,
      });
      const refused = lolpop(["models", "archive", "penguins", "2"], dir);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/alias "champion" points at it/);
      expect(lolpop(["models", "show", "penguins/7"], dir).code).toBe(1);
      expect(lolpop(["models", "promote", "penguins", "x"], dir).code).toBe(2);
    },
    SLOW,
  );

  test(
    "gc --dry-run lists exactly what gc deletes; the champion and the previous champion stay",
    () => {
      const run3 = json(["run", "--step", "deploy", "--force"], dir);
      expect(run3.train.version).toBe(3);
      expect(json(["models", "archive", "penguins", "3", "--reason", "duplicate"], dir).archived).toBe(true);
      const dry = json(["gc", "--keep", "0", "--dry-run"], dir);
      expect(dry.versions).toEqual([{ name: "penguins", version: 3, reason: "archived" }]);
      expect(dry.deleted).toEqual({ versions: 0, runs: 0 });
      expect(json(["models", "list", "penguins"], dir).versions).toHaveLength(3);
      const real = json(["gc", "--keep", "0"], dir);
      expect(real.versions).toEqual(dry.versions);
      expect(real.runs).toEqual(dry.runs);
      expect(real.deleted).toEqual({ versions: dry.versions.length, runs: dry.runs.length });
      const left = json(["models", "list", "penguins"], dir);
      expect(left.versions.map((v: { version: number }) => v.version)).toEqual([1, 2]);
      expect(left.champion).toBe(2);
      expect(json(["gc", "--keep", "0", "--dry-run"], dir)).toMatchObject({ versions: [], runs: [] });
    },
    SLOW,
  );
});
