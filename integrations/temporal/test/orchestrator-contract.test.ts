// The orchestrator contract without Temporal: the runner hands every stage to ctx.orchestrator (the
// in-process default gives today's summary), `run_stage` one stage at a time gives the same
// summary, the processed data survives its file round trip exactly, and the `orchestrator:`
// section and settings are checked with clear messages.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ConfigError,
  inProcessOrchestrator,
  loadProject,
  type Orchestrator,
  type OrchestratorStep,
  Table,
} from "@lolpop/core";
import "@lolpop/workflows";
import "@lolpop/local";
import "@lolpop/random-forest";
import { loadStepData, saveStepData, TemporalConfigError, temporalSettings } from "../src/index.js";
import { lolpop, penguinsProject } from "./harness.js";

const strip = (s: Record<string, unknown>) =>
  JSON.parse(JSON.stringify(s, (k, v) => (k === "run_id" || k === "job_id" || k === "path" ? undefined : v)));

describe("orchestrator contract", () => {
  test("the runner hands each stage to the orchestrator; in-process is the default and changes nothing", async () => {
    const a = penguinsProject();
    const loadedA = await loadProject({ configPath: a.config });
    const wfA = await loadedA.createWorkflow();
    const plain = (await wfA.run("run_step", "all")) as Record<string, unknown>;

    const b = penguinsProject();
    const seen: string[] = [];
    const recording: Orchestrator = {
      name: "recording",
      runStep: <O>(step: OrchestratorStep<O>) => {
        seen.push(step.name);
        return inProcessOrchestrator.runStep(step);
      },
    };
    const loadedB = await loadProject({ configPath: b.config });
    const wfB = await loadedB.createWorkflow({ orchestrator: recording });
    const viaOrchestrator = (await wfB.run("run_step", "all")) as Record<string, unknown>;
    expect(seen).toEqual(["process", "train", "deploy", "predict"]);
    expect(strip(viaOrchestrator)).toEqual(strip(plain));
  }, 120_000);

  test("run_stage one stage at a time, with the processed data through a file, gives the run_step summary", async () => {
    const a = penguinsProject();
    const plain = (await (
      await (await loadProject({ configPath: a.config })).createWorkflow()
    ).run("run_step", "all")) as Record<string, unknown>;

    const b = penguinsProject();
    const loaded = await loadProject({ configPath: b.config });
    const begun = (await (await loaded.createWorkflow()).run("begin_run", "all")) as { run_id?: string };
    let summary: Record<string, unknown> = { problem_type: "classification", run_id: begun.run_id };
    let uri: string | undefined;
    for (const stage of ["process", "train", "deploy", "predict"]) {
      const wf = await loaded.createWorkflow();
      const processed = uri ? await loadStepData(uri) : undefined;
      const out = (await wf.run("run_stage", stage, { summary, processed, run_id: begun.run_id })) as {
        summary: Record<string, unknown>;
        processed?: Record<string, unknown>;
      };
      summary = out.summary;
      if (stage === "process") {
        uri = await saveStepData(join(b.dir, ".lolpop"), out.processed!);
        const back = await loadStepData(uri);
        const t = out.processed!.table as Table;
        const u = back.table as Table;
        expect(u).toBeInstanceOf(Table);
        expect(u.fingerprint()).toBe(t.fingerprint());
        expect(u.schema).toEqual(t.schema);
      }
    }
    await (await loaded.createWorkflow()).run("end_run", begun.run_id, "succeeded");
    expect(strip(summary)).toEqual(strip(plain));
  }, 120_000);

  test("step data written in another format is refused with what to do, not read as a plain value", async () => {
    const p = penguinsProject();
    const file = join(p.dir, "old-step-data.json");
    writeFileSync(file, JSON.stringify({ table: { $table: { rows: 1, columns: [] } }, note: "kept" }));
    await expect(loadStepData(file)).rejects.toThrow(/written by an older @lolpop\/temporal worker/);
    writeFileSync(file, JSON.stringify({ note: "kept", n: 3 }));
    expect(await loadStepData(file)).toEqual({ note: "kept", n: 3 });
  });

  test("orchestrator: is checked by validate, and the Temporal settings name the bad key", async () => {
    const p = penguinsProject("\norchestrator: [1, 2]\n");
    await expect(loadProject({ configPath: p.config })).rejects.toThrow(ConfigError);
    await expect(loadProject({ configPath: p.config })).rejects.toThrow(/orchestrator must be a type name/);
    const q = penguinsProject("\norchestrator:\n  type: TemporalOrchestrator\n  task_queue: big\n");
    const loaded = await loadProject({ configPath: q.config });
    expect(loaded.plan.orchestrator).toEqual({ type: "TemporalOrchestrator", config: { task_queue: "big" } });

    expect(temporalSettings({}, {}, {})).toEqual({
      address: "127.0.0.1:7233",
      namespace: "default",
      task_queue: "lolpop",
      steps: {},
      shared_paths: [],
    });
    expect(
      temporalSettings({ task_queue: "a" }, { task_queue: "b" }, { LOLPOP_TASK_QUEUE: "c" }).task_queue,
    ).toBe("b");
    expect(() => temporalSettings({ steps: { train: { heartbeat_timeout: "soon" } } })).toThrow(
      'orchestrator.steps.train.heartbeat_timeout: "soon" is not a duration: write e.g. 500ms, 30s, 5m or 2h',
    );
    expect(() => temporalSettings({ steps: { trian: {} } })).toThrow(
      "orchestrator.steps.trian: unknown step; the steps are process, train, deploy, predict, evaluate",
    );
    expect(() => temporalSettings({ adress: "x" })).toThrow(TemporalConfigError);
  }, 60_000);

  test("lolpop validate: a machine-local path fails with why; the same path under shared_paths passes", () => {
    const orch = "\norchestrator:\n  type: TemporalOrchestrator\n  address: 127.0.0.1:1\n";
    const p = penguinsProject(orch);
    const f = join(p.dir, "lolpop.yaml");
    writeFileSync(
      f,
      readFileSync(f, "utf8").replace(
        "path: data/train.csv",
        `path: ${join(p.dir, "..", "elsewhere", "train.csv")}`,
      ),
    );
    const bad = lolpop(["validate", "--json"], p.dir);
    expect(bad.code).toBe(2);
    const issues = JSON.parse(bad.stdout).issues;
    expect(issues).toEqual([
      expect.objectContaining({
        code: "machine_local_path",
        path: "process.data_connector.config.path",
        line: 21,
        message: expect.stringContaining("steps run on other machines (orchestrator: TemporalOrchestrator)"),
      }),
    ]);
    writeFileSync(
      f,
      readFileSync(f, "utf8").replace(
        "address: 127.0.0.1:1\n",
        `address: 127.0.0.1:1\n  shared_paths: [${join(p.dir, "..", "elsewhere")}]\n`,
      ),
    );
    const ok = lolpop(["validate", "--json"], p.dir);
    expect({ code: ok.code, out: ok.code === 0 ? "" : ok.stdout }).toEqual({ code: 0, out: "" });
  }, 60_000);
});
