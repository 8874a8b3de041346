// The penguins workflow in process through the engine with EvidentlyDataChecker configured: the
// process step checks the training data (quality only: the workflow passes no reference yet), the
// predict step compares prediction data with the training data (reference_source), reports are
// tracked as artifacts, and dataset drift gates the workflow.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CallInfo,
  type CheckReport,
  createWorkflow,
  type Hook,
  silentLogger,
  validateConfigText,
} from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import type { WorkflowSummary } from "@lolpop/workflows";
import "./index.js";
import { packageDir, repoRoot, tempDir } from "../test/helpers.js";

function project(): string {
  const dir = tempDir("lolpop-evidently-wf-");
  symlinkSync(join(packageDir, "node_modules"), join(dir, "node_modules"));
  copyFileSync(
    join(repoRoot, "examples", "quickstart", "penguins", "prepare-data.mjs"),
    join(dir, "prepare-data.mjs"),
  );
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  return dir;
}

const yaml = (processData = "data/train.csv", processReference = "null") => `
runner: ClassificationRunner
config:
  target: species
  index: id
  model_name: penguins
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
pipelines:
  process: OfflineProcess
  train: OfflineTrain
  deploy: OfflineDeploy
  predict: OfflinePredict
process:
  components:
    data_connector: LocalDataConnector
    data_checker: EvidentlyDataChecker
  data_connector:
    config:
      path: ${processData}
  data_checker:
    config:
      reference_source: ${processReference}
train:
  components:
    data_splitter: LocalDataSplitter
    feature_transformer: LocalFeatureTransformer
    model_trainer: RandomForestModelTrainer
  model_trainer:
    config:
      training_params:
        n_estimators: 10
        max_depth: 6
predict:
  components:
    data_connector: LocalDataConnector
    data_checker: EvidentlyDataChecker
  data_connector:
    config:
      path: data/new.csv
  data_checker:
    config:
      reference_source: data/train.csv
      gates:
        - { check: dataset_drift, status: ERROR }
        - { check: column_drift, status: WARN }
`;

async function run(dir: string, text: string) {
  const reports: Record<string, CheckReport> = {};
  const hooks: Hook[] = ["process", "predict"].map((p) => ({
    match: `${p}.data_checker.check_data`,
    after: (_c: CallInfo, r: unknown) => {
      reports[p] = r as CheckReport;
    },
  }));
  const file = join(dir, "lolpop.yaml");
  writeFileSync(file, text);
  const { plan } = validateConfigText(text, file, {});
  const wf = await createWorkflow(plan, { logger: silentLogger, hooks });
  return { wf, reports, run: () => wf.run("build_all") as Promise<WorkflowSummary> };
}

describe("penguins workflow with EvidentlyDataChecker", () => {
  it("checks training data, compares prediction data with training data, and tracks the reports", async () => {
    const dir = project();
    const { wf, reports, run: go } = await run(dir, yaml());
    const summary = await go();
    // process: no reference is passed by OfflineProcess, so only data quality is gated.
    expect(summary.process!.data_check).toBe(reports.process!.status);
    expect(reports.process!.status).not.toBe("ERROR");
    expect(reports.process!.checks.find((c) => c.name === "dataset_drift")!.message).toMatch(
      /no reference data/,
    );
    const processMetrics = (reports.process!.report as { metrics: Array<{ metric_name: string }> }).metrics;
    expect(processMetrics.map((m) => m.metric_name)).toContain("UniqueValueCount(column=species)");
    // predict: prediction data against data/train.csv, feature columns only; same distribution, no dataset drift.
    const predict = reports.predict!;
    expect(predict.checks.find((c) => c.name === "dataset_drift")!.status).toBe("PASS");
    const driftMetrics = (predict.report as { metrics: Array<{ metric_name: string }> }).metrics
      .map((m) => m.metric_name)
      .filter((n) => n.startsWith("ValueDrift("));
    expect(driftMetrics).toContain("ValueDrift(column=flipper_length_mm,method=K-S p_value,threshold=0.05)");
    expect(driftMetrics).toContain("ValueDrift(column=island,method=chi-square p_value,threshold=0.05)");
    expect(driftMetrics.some((n) => n.includes("column=species"))).toBe(false);
    expect(summary.predict!.rows).toBe(68);
    // The process check's reports are tracked as artifacts of the workflow run.
    const tracker = wf.component<{
      get_run(id: string): Promise<{ artifacts: string[]; tags: Record<string, string> }>;
    }>("metadata_tracker");
    const runRecord = await tracker.get_run(summary.run_id!);
    expect(runRecord.artifacts).toEqual(
      expect.arrayContaining(["checks/training_data.evidently.html", "checks/training_data.evidently.json"]),
    );
    expect(runRecord.tags["data_check.training_data"]).toBe(reports.process!.status);
    for (const a of predict.artifacts ?? []) expect(existsSync(a.path)).toBe(true);
  }, 180_000);

  it("stops the workflow when the training data drifted from a reference", async () => {
    const dir = project();
    // Shift the four measurements of the training data: 4 of 7 columns drift (the index, id, is left
    // out of every check), share 0.57 >= drift_share.
    const lines = readFileSync(join(dir, "data", "train.csv"), "utf8")
      .trimEnd()
      .split("\n");
    const header = lines[0]!.split(",");
    const shifted = new Set(["beak_length_mm", "beak_depth_mm", "flipper_length_mm", "body_mass_g"]);
    const out = [lines[0]!];
    for (const line of lines.slice(1)) {
      const cells = line.split(",");
      out.push(
        cells.map((v, j) => (shifted.has(header[j]!) && v !== "" ? String(Number(v) * 1.3) : v)).join(","),
      );
    }
    writeFileSync(join(dir, "data", "drifted.csv"), `${out.join("\n")}\n`);
    const { reports, run: go } = await run(dir, yaml("data/drifted.csv", "data/train.csv"));
    await expect(go()).rejects.toThrow(
      /data check of training_data failed: dataset drift: 4 of 7 columns drifted/,
    );
    expect(reports.process!.status).toBe("ERROR");
    expect(
      reports
        .process!.checks.filter((c) => c.name.startsWith("column_drift:"))
        .map((c) => c.name)
        .sort(),
    ).toEqual([...shifted].map((c) => `column_drift:${c}`).sort());
  }, 180_000);
});
