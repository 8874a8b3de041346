// The standard workflow's semantics, in process through the engine: what the feature transformer is
// fitted on, the champion scored with its own saved transformer, the promotion policy, tuning, refit.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  type CallInfo,
  createWorkflow,
  type Hook,
  silentLogger,
  type Table,
  validateConfigText,
} from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import type { RunStepOptions, WorkflowSummary } from "@lolpop/workflows";
import { repoRoot, tempProject } from "./helpers.js";

function project(): string {
  const dir = tempProject("lolpop-wf-");
  copyFileSync(
    join(repoRoot, "examples", "quickstart", "penguins", "prepare-data.mjs"),
    join(dir, "prepare-data.mjs"),
  );
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  return dir;
}

const yaml = (
  opts: { encoding?: string; scaling?: string; approval?: string; refit?: boolean; tuner?: boolean } = {},
) => `
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
process:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/train.csv
train:
  config:
    refit_on_all_data: ${opts.refit ?? false}
  components:
    data_splitter: LocalDataSplitter
    feature_transformer: LocalFeatureTransformer
    ${opts.tuner ? "hyperparameter_tuner: LocalHyperparameterTuner" : "model_trainer: RandomForestModelTrainer"}
  feature_transformer:
    config:
      encoding: ${opts.encoding ?? "onehot"}
      scaling: ${opts.scaling ?? "standard"}
${
  opts.tuner
    ? `  hyperparameter_tuner:
    config:
      training_params:
        RandomForestModelTrainer:
          n_estimators: [5, 15]
          max_depth: [3, 6]`
    : `  model_trainer:
    config:
      training_params:
        n_estimators: 15
        max_depth: 6`
}
deploy:
  config:
    approval: ${opts.approval ?? "automatic"}
`;

async function run(dir: string, text: string, hooks: Hook[] = [], options: RunStepOptions = {}) {
  const file = join(dir, "lolpop.yaml");
  writeFileSync(file, text);
  const { plan } = validateConfigText(text, file, {});
  const wf = await createWorkflow(plan, { logger: silentLogger, hooks });
  return { wf, summary: (await wf.run("build_all", options)) as WorkflowSummary };
}

describe("OfflineTrain", () => {
  it("fits the feature transformer on the train split only, and on all rows when refitting", async () => {
    const dir = project();
    const seen: Record<string, number[]> = { fit: [] };
    let trainRows = 0;
    let allRows = 0;
    const hooks: Hook[] = [
      {
        match: "process.process_data",
        after: (_c: CallInfo, r: unknown) => {
          allRows = (r as { table: Table }).table.numRows;
        },
      },
      {
        match: "train.data_splitter.split_data",
        after: (_c: CallInfo, r: unknown) => {
          trainRows = (r as { train: Table }).train.numRows;
        },
      },
      {
        match: "train.feature_transformer.fit",
        before: (c: CallInfo) => void seen.fit!.push((c.args[0] as Table).numRows),
      },
    ];
    await run(dir, yaml(), hooks);
    expect(trainRows).toBeGreaterThan(0);
    expect(seen.fit).toEqual([trainRows]);
    seen.fit = [];
    // Without the step cache (which would restore the encoder fitted by the first run).
    const { summary } = await run(dir, yaml({ refit: true }), hooks, { cache: false });
    expect(summary.train!.refit_on_all_data).toBe(true);
    // Rows with a missing target are dropped by the splitter before it splits.
    expect(seen.fit).toEqual([trainRows, expect.any(Number)]);
    expect(seen.fit[1]).toBeGreaterThan(trainRows);
    expect(seen.fit[1]).toBeLessThanOrEqual(allRows);
  });

  it("scores the champion on the same test split with its own saved transformer and model", async () => {
    const dir = project();
    const first = (await run(dir, yaml())).summary;
    // The challenger encodes differently; the champion must still be scored with its own one-hot transformer.
    const second = (await run(dir, yaml({ encoding: "ordinal", scaling: "none" }))).summary;
    expect(second.train!.champion!.version).toBe(1);
    expect(second.train!.champion!.metrics).toEqual(first.train!.metrics.test);
    expect(second.train!.comparison.champion).toBe(first.train!.comparison.challenger);
  });

  it("tunes over a grid and picks the winner on the valid split", async () => {
    const dir = project();
    const { summary } = await run(dir, yaml({ tuner: true }));
    expect(summary.train!.trials).toBe(4);
    expect([5, 15]).toContain(summary.train!.params.n_estimators);
    expect(summary.train!.metrics.test!.f1_macro).toBeGreaterThan(0.8);
  });

  it("registers nothing when the run is cancelled after the fit, before registration", async () => {
    const dir = project();
    const file = join(dir, "lolpop.yaml");
    const text = yaml();
    writeFileSync(file, text);
    const { plan } = validateConfigText(text, file, {});
    const cancel = new AbortController();
    const registered: unknown[] = [];
    const hooks: Hook[] = [
      // The cancel arrives once the model is fitted (e.g. lolpop runs cancel while it was scored).
      { match: "train.model_trainer.fit", after: () => cancel.abort(new Error("cancelled by the test")) },
      { match: "model_repository.register_model", before: (c: CallInfo) => void registered.push(c.args[0]) },
    ];
    const wf = await createWorkflow(plan, { logger: silentLogger, hooks, signal: cancel.signal });
    const e = (await wf.run("build_all").catch((x: unknown) => x)) as Error;
    expect(e).toBeInstanceOf(Error);
    expect(e.message).toMatch(/Cancelled/);
    expect(registered).toEqual([]);
    expect(existsSync(join(dir, ".lolpop", "models", "penguins", "versions"))).toBe(false);
  }, 120_000);
});

describe("OfflineDeploy", () => {
  it("manual approval blocks promotion until the version is approved", async () => {
    const dir = project();
    const { wf, summary } = await run(dir, yaml({ approval: "manual" }));
    expect(summary.deploy!.promoted).toBe(false);
    expect(summary.deploy!.reasons.join(" ")).toMatch(/manual approval required/);
    expect(summary.deploy!.champion_version).toBeUndefined();
    const repo = wf.component<{ approve_model(n: string, v: number, o?: object): Promise<void> }>(
      "model_repository",
    );
    await repo.approve_model("penguins", 1, { approved_by: "reviewer" });
    const runner = wf.runner as unknown as {
      deploy_model(t: unknown): Promise<{ promoted: boolean; champion_version?: number }>;
    };
    const again = await runner.deploy_model(summary.train);
    expect(again).toMatchObject({ promoted: true, champion_version: 1 });
  });

  it("with manual approval and no champion yet, the whole workflow skips predict and says why, instead of failing", async () => {
    const dir = project();
    const text = yaml({ approval: "manual" })
      .replace("  deploy: OfflineDeploy\n", "  deploy: OfflineDeploy\n  predict: OfflinePredict\n")
      .concat(`predict:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/new.csv
  config:
    output_path: predictions/penguins.csv
`);
    const { wf, summary } = await run(dir, text);
    expect(summary.deploy!.promoted).toBe(false);
    expect(summary.predict).toBeUndefined();
    expect(summary.predict_skipped).toBe(
      "no champion of penguins yet: v1 awaits approval (lolpop models approve penguins 1)",
    );
    expect(existsSync(join(dir, "predictions"))).toBe(false);
    // The predict step alone still fails: it was asked for.
    const runner = wf.runner as unknown as { run_step(s: string): Promise<WorkflowSummary> };
    await expect(runner.run_step("predict")).rejects.toThrow(/no champion of model "penguins" yet/);
  });

  it("records a baseline and refuses a model that does not beat it", async () => {
    const dir = project();
    const { wf, summary } = await run(dir, yaml());
    const t = summary.train!;
    expect(t.baseline.test!.accuracy).toBeLessThan(t.metrics.test!.accuracy!);
    const runner = wf.runner as unknown as {
      deploy_model(t: unknown): Promise<{ promoted: boolean; reasons: string[] }>;
    };
    const worse = { ...t, version: t.version, comparison: { ...t.comparison, beats_baseline: false } };
    const d = await runner.deploy_model(worse);
    expect(d.promoted).toBe(false);
    expect(d.reasons.join(" ")).toMatch(/does not beat the baseline/);
  });
});

describe("evaluate step", () => {
  it("joins the latest prediction job with ground truth by index and logs metrics on the job", async () => {
    const dir = project();
    const text = readFileSync(join(repoRoot, "examples", "quickstart", "penguins", "lolpop.yaml"), "utf8");
    const { wf, summary } = await run(dir, text);
    expect(summary.predict!.job_id).toBeDefined();
    const runner = wf.runner as unknown as { run_step(s: string): Promise<WorkflowSummary> };
    const evaluated = (await runner.run_step("evaluate")).evaluate!;
    expect(evaluated).toMatchObject({
      job_id: summary.predict!.job_id,
      model_version: 1,
      rows: 68,
      unmatched: 0,
    });
    expect(evaluated.metrics.accuracy).toBeGreaterThan(0.85);
    const tracker = wf.component<{ get_run(id: string): Promise<{ metrics: Record<string, number> }> }>(
      "metadata_tracker",
    );
    expect((await tracker.get_run(summary.predict!.job_id!)).metrics["ground_truth.accuracy"]).toBe(
      evaluated.metrics.accuracy,
    );
  });
});
