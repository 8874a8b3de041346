// `lolpop runs list|show|compare`, `lineage`, `predict --input/--output`, `--set`, the config found
// from parent folders, `lolpop test` on a scratch copy of the store, and plugin subcommands of the
// `runs` group, on the local store of an `lolpop init` project. (The same commands against a real
// MLflow server: integrations/mlflow/src/mlflow-cli.test.ts.)
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { initProject } from "@lolpop/cli";
import { json, linkPackages, tempDir, writePackage } from "./cli-helpers.js";
import { lolpop } from "./helpers.js";

const dir = tempDir("lolpop-runs-");
const sub = join(dir, "reports", "deep");

/** A hash of every file and link below the given folders of the project (names, bytes, link targets). */
function treeHash(...folders: string[]): string {
  const h = createHash("sha256");
  const walk = (d: string) => {
    if (!existsSync(d)) return;
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      h.update(`${relative(dir, p)}\0`);
      if (st.isSymbolicLink()) h.update(`link:${readlinkSync(p)}\0`);
      else if (st.isDirectory()) walk(p);
      else h.update(readFileSync(p));
    }
  };
  for (const f of folders) walk(join(dir, f));
  return h.digest("hex");
}

type RunsDoc = {
  runs: Array<{ id: string; status: string; started_at: string; tags: Record<string, string> }>;
};
let workflowRuns: string[] = [];

beforeAll(() => {
  initProject({ dir, template: "classification", name: "demo", force: true });
  linkPackages(dir, ["@lolpop/core", "@lolpop/local", "@lolpop/workflows", "@lolpop/random-forest"]);
  // A plugin with a subcommand of the runs group, one that tries to take a built-in subcommand and
  // one under a group that takes none.
  writePackage(
    join(dir, "node_modules", "lolpop-fixture-runs"),
    {
      name: "lolpop-fixture-runs",
      version: "1.0.0",
      type: "module",
      exports: { ".": "./index.js", "./package.json": "./package.json" },
      lolpop: {
        apiVersion: 1,
        components: [],
        commands: [
          { name: "runs attach", description: "Attach to a run (fixture)", module: "./attach.js" },
          { name: "runs list", description: "Tries to replace a built-in", module: "./attach.js" },
          { name: "plugins extra", description: "Not an extensible group", module: "./attach.js" },
        ],
      },
    },
    {
      "index.js": "export {};\n",
      "attach.js": `export default function attach(args, ctx) {
  ctx.stdout(\`attached \${args.join(" ")} (\${ctx.command})\\n\`);
  return args.includes("--fail") ? 3 : 0;
}
`,
    },
  );
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  pkg.dependencies = {
    "@lolpop/workflows": "*",
    "@lolpop/local": "*",
    "@lolpop/random-forest": "*",
    "lolpop-fixture-runs": "*",
  };
  writeFileSync(join(dir, "package.json"), JSON.stringify(pkg));
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  mkdirSync(sub, { recursive: true });
  // Two runs from a subfolder (the config is found above it); the second with a --set override.
  for (const args of [["run"], ["run", "--set", "train.model_trainer.config.training_params.max_depth=1"]]) {
    const r = lolpop(args, sub);
    if (r.code !== 0) throw new Error(`lolpop ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  }
  const r = lolpop(["runs", "list", "--pipeline", "workflow", "--json"], sub);
  workflowRuns = json<RunsDoc>(r).runs.map((x) => x.id);
}, 180_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("config discovery and --set", () => {
  it("finds lolpop.yaml in a parent folder; without one the error says where it looked", () => {
    expect(lolpop(["validate"], sub).code).toBe(0);
    const outside = tempDir("lolpop-noconfig-");
    try {
      const r = lolpop(["validate"], outside);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("no lolpop.yaml in");
      expect(r.stderr).toContain("or any folder above it");
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it("an override reaches the run: the second run trained with max_depth 1", () => {
    expect(workflowRuns).toHaveLength(2);
    const r = lolpop(["runs", "show", workflowRuns[0]!, "--json"], dir);
    expect(r.code).toBe(0);
    expect(json(r).params.max_depth).toBe("1");
    expect(json(lolpop(["runs", "show", workflowRuns[1]!, "--json"], dir)).params.max_depth).toBe("8");
  });

  it("each workflow run keeps its log (log.jsonl: the logger's records, time, level and message)", () => {
    for (const id of workflowRuns) {
      const file = join(dir, ".lolpop", "runs", id, "artifacts", "log.jsonl");
      const records = readFileSync(file, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.length).toBeGreaterThan(0);
      for (const r of records)
        expect(r).toMatchObject({
          time: expect.any(String),
          level: expect.any(String),
          msg: expect.any(String),
        });
      expect(json(lolpop(["runs", "show", id, "--json"], dir)).artifacts).toContain("log.jsonl");
    }
  });

  it("values are typed as YAML; an unknown section, a bad value and bad syntax exit 2 naming the argument", () => {
    let r = lolpop(["validate", "--set", "trian.config.seed=1"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--set trian.config.seed=1: the config has no section "trian"');
    r = lolpop(["validate", "--set", "train.config.perf_metric=7"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/train\.config\.perf_metric: must be one of .*\(got 7\)/);
    r = lolpop(["validate", "--set", "train.config.perf_metrc=rmse"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Did you mean "perf_metric"');
    r = lolpop(["run", "--set", "novalue"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--set novalue: expected path=value");
    // Overrides never reach the file.
    expect(readFileSync(join(dir, "lolpop.yaml"), "utf8")).toMatch(/max_depth: 8\n/);
  });
});

describe("runs", () => {
  it("list: newest first, filters by status, stage and limit; --json shape", () => {
    const r = lolpop(["runs", "list", "--json"], dir);
    expect(r.code).toBe(0);
    const doc = json<RunsDoc>(r);
    // Two workflow runs, each with a train run and a prediction job.
    expect(doc.runs).toHaveLength(6);
    for (const run of doc.runs) expect(run).toMatchObject({ id: expect.any(String), status: "FINISHED" });
    const stages = doc.runs.map((x) => x.tags["lolpop.stage"]).sort();
    expect(stages).toEqual(["prediction_job", "prediction_job", "train", "train", "workflow", "workflow"]);
    expect(json<RunsDoc>(lolpop(["runs", "list", "--status", "RUNNING,FAILED", "--json"], dir)).runs).toEqual(
      [],
    );
    expect(json<RunsDoc>(lolpop(["runs", "list", "--status", "finished", "--json"], dir)).runs).toHaveLength(
      6,
    );
    const one = json<RunsDoc>(lolpop(["runs", "list", "--pipeline", "train", "--limit", "1", "--json"], dir));
    expect(one.runs).toHaveLength(1);
    expect(one.runs[0]!.tags["lolpop.stage"]).toBe("train");
    const text = lolpop(["runs", "list"], dir);
    expect(text.code).toBe(0);
    expect(text.stdout.split("\n")[0]).toMatch(/^ID\s+STATUS\s+STAGE\s+STARTED\s+TIME\s+MODEL\s+NAME$/);
    expect(text.stdout).toContain(workflowRuns[0]!);
  });

  it("list: --since and --until bound the start time (ISO times or ages)", () => {
    const all = json<RunsDoc>(lolpop(["runs", "list", "--json"], dir)).runs;
    const ids = (...args: string[]) =>
      json<RunsDoc>(lolpop(["runs", "list", "--json", ...args], dir)).runs.map((r) => r.id);
    const starts = all.map((r) => r.started_at).sort();
    const [oldest, newest] = [starts[0]!, starts.at(-1)!];
    expect(oldest < newest).toBe(true);
    // --since is inclusive, --until exclusive.
    expect(ids("--since", newest)).toEqual(all.filter((r) => r.started_at === newest).map((r) => r.id));
    expect(ids("--until", newest)).toEqual(all.filter((r) => r.started_at < newest).map((r) => r.id));
    expect(ids("--since", oldest, "--until", newest)).toEqual(
      all.filter((r) => r.started_at < newest).map((r) => r.id),
    );
    expect(ids("--since", "1d")).toEqual(all.map((r) => r.id));
    expect(ids("--until", "2000-01-01")).toEqual([]);
    expect(ids("--since", new Date(Date.now() + 60_000).toISOString())).toEqual([]);
  });

  it("list: bad options exit 2", () => {
    for (const args of [
      ["--status", "DONE"],
      ["--pipeline", "nope"],
      ["--limit", "0"],
      ["--since", "yesterday"],
      ["--until", "7x"],
      ["--since", "2026-12-02", "--until", "2026-12-01"],
    ]) {
      const r = lolpop(["runs", "list", ...args], dir);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--(status|pipeline|limit|since|until) (\(.*\) )?must/);
    }
  });

  it("show: a workflow run with its train run's params and metrics and its datasets; unknown id exits 1", () => {
    const r = lolpop(["runs", "show", workflowRuns[1]!, "--json"], dir);
    expect(r.code).toBe(0);
    const run = json(r);
    expect(run).toMatchObject({ id: workflowRuns[1], status: "FINISHED", merged: [expect.any(String)] });
    expect(run.metrics["test.f1_macro"]).toEqual(expect.any(Number));
    expect(run.datasets[0]).toMatchObject({ name: expect.any(String), rows: 500, source: "data/train.csv" });
    expect(run.tags["lolpop.config_hash"]).toMatch(/^[0-9a-f]{64}$/);
    const text = lolpop(["runs", "show", workflowRuns[1]!], dir);
    expect(text.stdout).toMatch(/^params:\n\s+PARAM\s+VALUE/m);
    expect(text.stdout).toMatch(/^\s+max_depth\s+8$/m);
    const missing = lolpop(["runs", "show", "no-such-run"], dir);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('"no-such-run" does not exist');
  });

  it("compare: params, metrics per split, data and code side by side; differences flagged", () => {
    const r = lolpop(["runs", "compare", ...workflowRuns, "--json"], dir);
    expect(r.code).toBe(0);
    const doc = json<{
      runs: Array<{ id: string }>;
      rows: Array<{ section: string; key: string; values: unknown[]; differs: boolean }>;
      differs: number;
    }>(r);
    expect(doc.runs.map((x) => x.id)).toEqual(workflowRuns);
    const row = (section: string, key: string) =>
      doc.rows.find((x) => x.section === section && x.key === key);
    expect(row("param", "max_depth")).toEqual({
      section: "param",
      key: "max_depth",
      values: ["1", "8"],
      differs: true,
    });
    expect(row("param", "n_estimators")).toMatchObject({ values: ["40", "40"], differs: false });
    expect(row("code", "config hash")!.differs).toBe(true);
    expect(row("code", "@lolpop/core")!.differs).toBe(false);
    expect(row("data", "training_data (training)")).toMatchObject({ differs: false });
    // Metrics grouped by split: every train.* before valid.* before test.*.
    const metricKeys = doc.rows.filter((x) => x.section === "metric").map((x) => x.key);
    const firstValid = metricKeys.findIndex((k) => k.startsWith("valid."));
    const lastTrain = metricKeys.map((k) => k.startsWith("train.")).lastIndexOf(true);
    expect(lastTrain).toBeLessThan(firstValid);
    expect(doc.differs).toBe(doc.rows.filter((x) => x.differs).length);
    // Text without a TTY: a marker column, lines that fit $COLUMNS.
    const text = lolpop(["runs", "compare", ...workflowRuns], dir, { COLUMNS: "90" });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^\*\s+param\s+max_depth\s+1\s+8$/m);
    expect(text.stdout).toMatch(/^\s+param\s+n_estimators\s+40\s+40$/m);
    for (const line of text.stdout.split("\n")) expect(line.length).toBeLessThanOrEqual(90);
    expect(text.stdout).not.toContain("\u001b[");
    const one = lolpop(["runs", "compare", workflowRuns[0]!], dir);
    expect(one.code).toBe(2);
  });

  it("a plugin's 'runs attach' is a subcommand of runs; a built-in name or another group is refused", () => {
    const help = lolpop(["runs", "--help"], dir);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(
      /attach \[args\.\.\.\]\s+Attach to a run \(fixture\) \[lolpop-fixture-runs\]/,
    );
    expect(help.stdout).not.toContain("Tries to replace a built-in");
    const r = lolpop(["runs", "attach", "abc", "--fail"], dir);
    expect(r.stdout).toBe("attached abc --fail (runs attach)\n");
    expect(r.code).toBe(3);
    expect(lolpop(["plugins", "--help"], dir).stdout).not.toContain("extra");
    const list = json(lolpop(["plugins", "list", "--json"], dir));
    const p = list.plugins.find((x: { name: string }) => x.name === "lolpop-fixture-runs");
    expect(p.warnings.join("\n")).toContain("command runs list is built into lolpop");
    expect(p.warnings.join("\n")).toContain(
      "command plugins extra: only these command groups take plugin subcommands: runs, schedule",
    );
  });
});

describe("predict a file and lineage", () => {
  it("predict scores a file with a version's bundle, keeps each job and links the latest; the config is untouched", () => {
    const config = readFileSync(join(dir, "lolpop.yaml"), "utf8");
    const before = readdirSync(join(dir, ".lolpop", "predictions")).filter((n) => n !== "latest");
    const r = lolpop(
      ["predict", "--input", "data/new.csv", "--output", "out/v2.csv", "--model", "demo/2", "--json"],
      dir,
    );
    expect(r.code).toBe(0);
    const doc = json(r);
    expect(doc).toMatchObject({
      ok: true,
      model: "demo",
      version: 2,
      rows: 100,
      output: join(dir, "out", "v2.csv"),
    });
    const lines = readFileSync(join(dir, "out", "v2.csv"), "utf8")
      .trim()
      .split("\n");
    expect(lines).toHaveLength(101);
    expect(lines[0]).toMatch(/^id,prediction,/);
    // One folder per job; latest points at this one and holds the same bytes.
    const after = readdirSync(join(dir, ".lolpop", "predictions")).filter((n) => n !== "latest");
    expect(after).toHaveLength(before.length + 1);
    expect(after).toContain(doc.job_id);
    expect(readlinkSync(join(dir, ".lolpop", "predictions", "latest"))).toBe(doc.job_id);
    expect(readFileSync(join(dir, ".lolpop", "predictions", "latest", "predictions.csv"), "utf8")).toBe(
      readFileSync(join(dir, "out", "v2.csv"), "utf8"),
    );
    expect(readFileSync(join(dir, "lolpop.yaml"), "utf8")).toBe(config);
    // The champion by default (v1: the second run did not beat it).
    const champ = json(
      lolpop(["predict", "-i", "../../data/new.csv", "-o", "../../out/champ.csv", "--json"], sub),
    );
    expect(champ.version).toBe(1);
  });

  it("predict: bad arguments exit 2, an unknown version exits 1", () => {
    let r = lolpop(["predict", "--input", "nope.csv", "--output", "x.csv"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--input nope.csv: no such file");
    r = lolpop(["predict", "--input", "data/new.csv"], dir);
    expect(r.code).toBe(2);
    r = lolpop(["predict", "--input", "data/new.csv", "--output", "x.csv", "--model", "demo/99"], dir);
    expect(r.code).toBe(1);
    expect(existsSync(join(dir, "x.csv"))).toBe(false);
  });

  it("lineage: data -> runs -> config hash -> version -> prediction jobs, as JSON and a tree", () => {
    const r = lolpop(["lineage", "demo/2", "--json"], dir);
    expect(r.code).toBe(0);
    const l = json(r);
    expect(l.model).toMatchObject({ name: "demo", version: 2 });
    expect(l.runs.map((x: { stage: string }) => x.stage)).toEqual(["workflow", "train"]);
    expect(l.runs[0].id).toBe(workflowRuns[0]);
    expect(l.data[0]).toMatchObject({ source: "data/train.csv", rows: 500 });
    expect(l.data[0].fingerprint).toBe(l.data_fingerprint);
    expect(l.config_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(l.code.plugins).toEqual(expect.arrayContaining([expect.stringMatching(/^@lolpop\/local@/)]));
    // v2 scored one file (lolpop predict --model demo/2); the runs predicted with the champion v1.
    expect(l.prediction_jobs).toHaveLength(1);
    expect(l.prediction_jobs[0].job_predictions_path).toContain(l.prediction_jobs[0].id);
    const champ = json(lolpop(["lineage", "demo@champion", "--json"], dir));
    expect(champ.model.version).toBe(1);
    expect(champ.prediction_jobs).toHaveLength(3);
    const text = lolpop(["lineage", "demo"], dir);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^demo v1 \(champion\)/);
    expect(text.stdout).toMatch(/├─ data \(1\)\n│ {2}└─ training_data \[training\]/);
    expect(text.stdout).toMatch(/└─ prediction jobs \(3\)/);
    expect(lolpop(["lineage", "demo@nope"], dir).code).toBe(1);
    expect(lolpop(["lineage", "demo/x"], dir).code).toBe(2);
    expect(lolpop(["lineage", "nomodel"], dir).code).toBe(1);
  });
});

describe("lolpop test", () => {
  it("runs on a scratch copy: the live store and the predictions stay byte-identical", () => {
    const scratchBefore = readdirSync(tmpdir()).filter((n) => n.startsWith("lolpop-test-store-"));
    const before = treeHash(".lolpop", "predictions");
    const r = lolpop(["test", "--json"], sub);
    expect(r.code).toBe(0);
    expect(json(r).ok).toBe(true);
    expect(treeHash(".lolpop", "predictions")).toBe(before);
    // The scratch copy is removed.
    expect(readdirSync(tmpdir()).filter((n) => n.startsWith("lolpop-test-store-"))).toEqual(scratchBefore);
  }, 120_000);

  it("--store live registers and predicts in the project's store", () => {
    const before = treeHash(".lolpop", "predictions");
    const r = lolpop(["test", "--store", "live"], dir);
    expect(r.code).toBe(0);
    expect(treeHash(".lolpop", "predictions")).not.toBe(before);
    expect(lolpop(["test", "--store", "elsewhere"], dir).code).toBe(2);
  }, 120_000);
});
