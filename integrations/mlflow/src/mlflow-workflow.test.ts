// The penguins quickstart, in process through the engine, with MLflowMetadataTracker and
// MLflowModelRepository against a real MLflow server; read back with MLflow's Python client; the
// champion loaded from a fresh process. Also the components' own behaviour (registration without
// an MLflow run, promotion and approval tags, redaction, buffering). One server for the file.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  createWorkflow,
  instantiateComponent,
  LolpopError,
  RemoteServiceError,
  type RunInfo,
  registerSecret,
  silentLogger,
  validateConfigText,
} from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import type { WorkflowSummary } from "@lolpop/workflows";
import { addDateColumn, dropColumn, penguinsYaml, writePenguinsData } from "../../../tests/penguins.js";
import {
  type MlflowTestServer,
  processesMatching,
  startMlflowServer,
  venvPython,
} from "../test/fixtures/mlflow-server.mjs";
import { mlflowMetadataTracker, mlflowModelRepository } from "./index.js";
import { MlflowClient } from "./mlflow-client.js";
import type { MlflowMetadataTracker } from "./mlflow-metadata-tracker.js";
import type { MlflowModelRepository } from "./mlflow-model-repository.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");

let server: MlflowTestServer;
let client: MlflowClient;

beforeAll(async () => {
  server = await startMlflowServer();
  client = new MlflowClient({ config: { tracking_uri: server.uri }, resolve: { env: {} } });
}, 240_000);

afterAll(async () => {
  if (!server) return;
  const { leftover } = await server.stop();
  expect(leftover).toBe(false);
  expect(processesMatching(server.dir)).toEqual([]);
}, 60_000);

/** A temp project with the penguins data; its node_modules is this package's (plugins + vega-datasets). */
function project(): string {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-mlflow-wf-"));
  symlinkSync(join(pkgDir, "node_modules"), join(dir, "node_modules"));
  writePenguinsData(dir);
  return dir;
}

const yaml = (o: { experiment: string; tuner?: boolean; output?: string; downloadDir?: string }) =>
  penguinsYaml({
    tracker: "MLflowMetadataTracker",
    repository: "MLflowModelRepository",
    config: [`tracking_uri: ${server.uri}`, `experiment_name: ${o.experiment}`],
    sections: `metadata_tracker:
  config:
    flush_interval_ms: 500
model_repository:
  config:
    download_dir: ${o.downloadDir ?? ".lolpop/mlflow-models"}`,
    ...(o.tuner
      ? {
          tuner: `  hyperparameter_tuner:
    config:
      training_params:
        RandomForestModelTrainer:
          n_estimators: [5, 15]
          max_depth: [3, 6]`,
        }
      : {}),
    trees: 30,
    depth: 8,
    deployConfig: ["approval: automatic"],
    ...(o.output ? { output: o.output } : {}),
  });

async function build(dir: string, text: string, file = "lolpop.yaml") {
  const path = join(dir, file);
  writeFileSync(path, text);
  const { plan } = validateConfigText(text, path, {});
  return createWorkflow(plan, { logger: silentLogger });
}

describe("penguins quickstart with MLflow", () => {
  const experiment = `penguins-${Date.now()}`;
  let dir: string;
  let first: WorkflowSummary;
  let tracker: MlflowMetadataTracker;
  let repo: MlflowModelRepository;
  let trainRun: RunInfo;

  beforeAll(async () => {
    dir = project();
    const wf = await build(dir, yaml({ experiment }));
    first = (await wf.run("build_all")) as WorkflowSummary;
    tracker = wf.component<MlflowMetadataTracker>("metadata_tracker");
    repo = wf.component<MlflowModelRepository>("model_repository");
    const children = await tracker.search_runs({ parent_id: first.run_id });
    trainRun = children.find((r) => r.tags["lolpop.stage"] === "train")!;
  }, 180_000);

  it("tracks the workflow as an MLflow run with nested stage runs, params, metrics per split, dataset and lineage", async () => {
    expect(first.train!.version).toBe(1);
    expect(first.deploy).toMatchObject({ promoted: true, champion_version: 1 });
    expect(first.predict!.rows).toBe(68);
    const root = await tracker.get_run(first.run_id!);
    expect(root).toMatchObject({
      name: "workflow-all",
      status: "FINISHED",
      tags: { "lolpop.stage": "workflow", promoted: "true" },
    });
    expect(root.parent_id).toBeUndefined();
    expect(root.artifacts).toContain("lineage.json");
    expect(root.datasets).toEqual([
      expect.objectContaining({
        name: "training_data",
        fingerprint: first.process!.fingerprint,
        rows: first.process!.rows,
        columns: first.process!.columns,
        context: "training",
      }),
    ]);
    expect(root.datasets[0]!.schema!.find((c) => c.name === "species")).toEqual({
      name: "species",
      type: "categorical",
      role: expect.any(String),
    });

    const children = await tracker.search_runs({ parent_id: first.run_id });
    expect(children.map((r) => r.tags["lolpop.stage"]).sort()).toEqual(["prediction_job", "train"]);
    const train = await tracker.get_run(trainRun.id);
    expect(train).toMatchObject({
      status: "FINISHED",
      parent_id: first.run_id,
      tags: { model_name: "penguins", model_version: "1" },
    });
    expect(train.params).toMatchObject({
      trainer: "RandomForestModelTrainer",
      n_estimators: "30",
      max_depth: "8",
      perf_metric: "f1_macro",
    });
    for (const split of ["train", "valid", "test"] as const)
      expect(train.metrics[`${split}.f1_macro`]).toBe(first.train!.metrics[split]!.f1_macro);
    expect(train.metrics["baseline.test.accuracy"]).toBe(first.train!.baseline.test!.accuracy);
    expect(train.artifacts).toEqual(
      expect.arrayContaining(["model/MLmodel", "model/lolpop-model.json", "model/model/model.json"]),
    );

    const job = await tracker.get_run(first.predict!.job_id!);
    expect(job).toMatchObject({
      status: "FINISHED",
      parent_id: first.run_id,
      tags: { model_version: "1" },
      metrics: { rows: 68 },
    });
    // Root runs carry lineage as MLflow tags.
    const raw = await client.getRun(first.run_id!);
    const tags = Object.fromEntries(raw.data!.tags!.map((t) => [t.key, t.value]));
    expect(tags["mlflow.source.name"]).toBe(join(dir, "lolpop.yaml"));
    expect(tags["lolpop.config_hash"]).toMatch(/^[0-9a-f]{64}$/);
    expect(tags["mlflow.runName"]).toBe("workflow-all");
  });

  it("registers the model version with an MLmodel file, metrics, approval and the champion alias", async () => {
    const v = await repo.get_model_version("penguins", 1);
    expect(v).toMatchObject({
      name: "penguins",
      version: 1,
      run_id: trainRun.id,
      aliases: ["champion"],
      tags: {
        trainer: "RandomForestModelTrainer",
        problem_type: "classification",
        "lolpop.approved": "true",
      },
    });
    expect(v.metrics["test.f1_macro"]).toBe(first.train!.metrics.test!.f1_macro);
    expect(v.uri).toMatch(new RegExp(`^mlflow-artifacts:/\\d+/${trainRun.id}/artifacts/model$`));
    expect(await repo.check_approval("penguins", 1)).toBe(true);
    expect((await repo.get_alias("penguins", "champion"))!.version).toBe(1);
    expect((await repo.list_versions("penguins")).map((x) => x.version)).toEqual([1]);
    const mlmodel = Buffer.from(await client.downloadArtifact(v.uri, "MLmodel")).toString("utf8");
    expect(mlmodel).toMatch(/^artifact_path: "model"$/m);
    expect(mlmodel).toMatch(/^ {2}lolpop:$/m);
    expect(mlmodel).toMatch(/trainer: "RandomForestModelTrainer"/);
    expect(mlmodel).toContain(`run_id: "${trainRun.id}"`);
  });

  it("runs the evaluate step on the latest prediction job found through search_runs", async () => {
    const wf = await build(dir, yaml({ experiment }));
    const summary = (await wf.run("run_step", "evaluate")) as WorkflowSummary & {
      evaluate: { job_id: string; rows: number; metrics: Record<string, number> };
    };
    expect(summary.evaluate.job_id).toBe(first.predict!.job_id);
    expect(summary.evaluate.rows).toBe(68);
    const job = await tracker.get_run(first.predict!.job_id!);
    expect(job.metrics["ground_truth.accuracy"]).toBe(summary.evaluate.metrics.accuracy);
  });

  it("tunes in nested trial runs and compares with the champion downloaded from MLflow", async () => {
    const wf = await build(dir, yaml({ experiment, tuner: true, output: "predictions/second.csv" }));
    const second = (await wf.run("build_all")) as WorkflowSummary;
    expect(second.train!.version).toBe(2);
    expect(second.train!.trials).toBe(4);
    expect(second.train!.champion!.version).toBe(1);
    expect(second.train!.champion!.metrics).toEqual(first.train!.metrics.test);
    const t = wf.component<MlflowMetadataTracker>("metadata_tracker");
    const train = (await t.search_runs({ parent_id: second.run_id, tags: { "lolpop.stage": "train" } }))[0]!;
    const trials = await t.search_runs({ parent_id: train.id });
    expect(trials).toHaveLength(4);
    expect(trials.every((r) => r.tags["lolpop.stage"] === "tuning_trial" && r.status === "FINISHED")).toBe(
      true,
    );
    const trial = await t.get_run(trials[0]!.id);
    expect(Object.keys(trial.params).sort()).toEqual(expect.arrayContaining(["max_depth", "n_estimators"]));
    expect(trial.metrics["valid.f1_macro"]).toEqual(expect.any(Number));
    const champion = (await repo.get_alias("penguins", "champion"))!.version;
    expect(champion).toBe(second.deploy!.champion_version);
    const v1 = await repo.get_model_version("penguins", 1);
    if (champion === 2) expect(v1.tags["lolpop.previous_champion"]).toBe("true");
    // The champion (v1) was downloaded into the project's download folder to be scored.
    expect(
      readdirSync(join(dir, ".lolpop", "mlflow-models", "penguins")).filter((d) => d.startsWith("1-")),
    ).toHaveLength(1);
  }, 180_000);

  it("is read back by MLflow's Python client, and models:/penguins@champion is lolpop's champion", async () => {
    const python = venvPython();
    const out = mkdtempSync(join(tmpdir(), "lolpop-mlflow-py-"));
    const r = spawnSync(
      python,
      [
        join(pkgDir, "test", "fixtures", "read_back.py"),
        server.uri,
        first.run_id!,
        trainRun.id,
        "penguins",
        out,
      ],
      {
        encoding: "utf8",
        env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: "true", DO_NOT_TRACK: "1" },
        timeout: 120_000,
      },
    );
    if (r.status !== 0) throw new Error(`read_back.py failed (${r.status}): ${r.stderr}`);
    const py = JSON.parse(r.stdout);
    const train = await tracker.get_run(trainRun.id);
    const root = await tracker.get_run(first.run_id!);
    expect(py.mlflow_version).toBe("3.17.2");
    expect(py.train.params).toEqual(train.params);
    expect(py.train.metrics).toEqual(train.metrics);
    expect(py.train.status).toBe("FINISHED");
    expect(py.train.tags["mlflow.parentRunId"]).toBe(first.run_id);
    expect(py.train.artifacts).toEqual(train.artifacts);
    expect(py.workflow.artifacts).toEqual(root.artifacts);
    expect(py.workflow.inputs).toEqual([
      expect.objectContaining({
        name: "training_data",
        digest: first.process!.fingerprint.slice(0, 36),
        context: "training",
        profile: expect.objectContaining({
          num_rows: first.process!.rows,
          fingerprint: first.process!.fingerprint,
        }),
      }),
    ]);
    expect(py.children).toEqual(expect.arrayContaining(["train", "predict-penguins-v1"]));
    expect(py.lineage_config_hash).toMatch(/^[0-9a-f]{64}$/);
    const champion = (await repo.get_alias("penguins", "champion"))!;
    expect(Number(py.champion.version)).toBe(champion.version);
    expect(py.champion.aliases).toEqual(["champion"]);
    expect(py.champion.source).toBe(champion.uri);
    expect(py.flavors.lolpop).toMatchObject({
      format: "lolpop-model-bundle",
      runtime: "node",
      data: "lolpop-model.json",
    });
    // MLflow adds registered_model_meta to downloads of models:/ URIs.
    expect(py.downloaded.filter((f: string) => f !== "registered_model_meta")).toEqual(
      ["MLmodel", ...py.flavors.lolpop.files].sort(),
    );
    expect(py.downloaded).toEqual(expect.arrayContaining(["lolpop-model.json", "model/model.json"]));
    expect(py.bundle_trainer).toBe("RandomForestModelTrainer");
    expect(py.mlmodel_run_id).toBe(py.champion.run_id);
  }, 180_000);

  it("loads the champion back for prediction from a fresh process", async () => {
    const freshDownloads = mkdtempSync(join(tmpdir(), "lolpop-mlflow-fresh-"));
    const file = join(dir, "fresh.yaml");
    writeFileSync(file, yaml({ experiment, output: "predictions/fresh.csv", downloadDir: freshDownloads }));
    const r = spawnSync(process.execPath, [join(pkgDir, "test", "fixtures", "predict-fresh.mjs"), file], {
      cwd: dir,
      encoding: "utf8",
      timeout: 120_000,
    });
    if (r.status !== 0) throw new Error(`predict-fresh.mjs failed (${r.status}): ${r.stderr}`);
    const summary = JSON.parse(r.stdout) as WorkflowSummary;
    const champion = (await repo.get_alias("penguins", "champion"))!.version;
    expect(summary.predict).toMatchObject({ version: champion, rows: 68 });
    expect(readdirSync(join(freshDownloads, "penguins"))).toEqual([
      expect.stringMatching(new RegExp(`^${champion}-`)),
    ]);
    // Same champion, same data: the same predictions as the in-process run that used it.
    const inProcess = champion === 1 ? "penguins.csv" : "second.csv";
    expect(readFileSync(join(dir, "predictions", "fresh.csv"), "utf8")).toBe(
      readFileSync(join(dir, "predictions", inProcess), "utf8"),
    );
    const job = await tracker.get_run(summary.predict!.job_id!);
    expect(job).toMatchObject({ status: "FINISHED", tags: { "lolpop.stage": "prediction_job" } });
  }, 180_000);
});

describe("inference bundles and honest promotion with MLflowModelRepository", () => {
  /** A month feature derived from the datetime column `date` by a user module. */
  const MONTH_MODULE = `export function transform(table) {
  const date = table.numeric("date");
  return table.withColumn("month", Float64Array.from(date, (v) => (Number.isNaN(v) ? Number.NaN : new Date(v).getUTCMonth() + 1)));
}
`;
  /** yaml() for model `name`, the process connector typing `date` as datetime, and optionally the month module. */
  const datedYaml = (experiment: string, name: string, o: { module?: boolean } = {}) => {
    let text = yaml({ experiment })
      .replace("model_name: penguins", `model_name: ${name}`)
      .replace(
        "      path: data/train.csv\n",
        "      path: data/train.csv\n      columns: {date: datetime}\n",
      );
    if (o.module)
      text = text.replace(
        "process:\n  components:\n    data_connector: LocalDataConnector\n",
        "process:\n  components:\n    data_connector: LocalDataConnector\n    data_transformer: LocalDataTransformer\n  data_transformer:\n    config:\n      module: features.mjs\n",
      );
    return text;
  };

  it("a version registered in MLflow carries the typing and the data transformer, and predict replays them", async () => {
    const dir = project();
    for (const f of ["train.csv", "new.csv", "new_truth.csv"]) addDateColumn(dir, f);
    writeFileSync(join(dir, "features.mjs"), MONTH_MODULE);
    const name = `bundle-${Date.now()}`;
    const text = datedYaml(`bundle-${Date.now()}`, name, { module: true });
    const wf = await build(dir, text);
    const s = (await wf.run("run_step", "all")) as WorkflowSummary;
    expect(s.deploy).toMatchObject({ promoted: true, champion_version: 1 });
    expect(s.predict).toMatchObject({ version: 1, rows: 68 });
    expect(readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")).toMatch(/^id,prediction,proba_/);
    // The bundle as MLflow stores it: format 2, the connector's typing, the module's hash.
    const repo = wf.component<MlflowModelRepository>("model_repository");
    const meta = JSON.parse(
      readFileSync(join(await repo.download_model(name, 1), "lolpop-model.json"), "utf8"),
    );
    expect(meta).toMatchObject({
      format: 2,
      input: { typing: { columns: { date: "datetime" } } },
      data_transformer: {
        type: "LocalDataTransformer",
        code: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      },
    });
    expect(meta.feature_columns).toContain("month");
    // The module changed after training: predict refuses to replay it.
    writeFileSync(join(dir, "features.mjs"), MONTH_MODULE.replace("getUTCMonth() + 1", "getUTCMonth()"));
    const again = await build(dir, text);
    await expect(again.run("run_step", "predict")).rejects.toThrow(/features\.mjs.*changed since.*v1/s);
  }, 240_000);

  it("a champion that cannot be scored on the new test split is kept (on_champion_unscorable: keep), and the reason is stored", async () => {
    const dir = project();
    for (const f of ["train.csv", "new.csv", "new_truth.csv"]) addDateColumn(dir, f);
    const name = `unscorable-${Date.now()}`;
    const experiment = `unscorable-${Date.now()}`;
    const first = (await (
      await build(dir, datedYaml(experiment, name))
    ).run("run_step", "deploy")) as WorkflowSummary;
    expect(first.deploy).toMatchObject({ promoted: true, champion_version: 1 });
    dropColumn(dir, "train.csv", "date");
    const text = datedYaml(experiment, name).replace("      columns: {date: datetime}\n", "");
    const wf = await build(dir, text);
    const s = (await wf.run("run_step", "deploy")) as WorkflowSummary;
    expect(s.train).toMatchObject({ version: 2, champion: { version: 1, scored: false } });
    expect(s.deploy!.promoted).toBe(false);
    expect(s.deploy!.reasons.join("; ")).toMatch(
      /champion v1 could not be scored on the test split.*date.*kept \(on_champion_unscorable: keep\)/,
    );
    const repo = wf.component<MlflowModelRepository>("model_repository");
    expect((await repo.get_alias(name, "champion"))?.version).toBe(1);
    const tracker = wf.component<MlflowMetadataTracker>("metadata_tracker");
    expect((await tracker.get_run(s.run_id!)).tags.promotion_reasons).toBe(s.deploy!.reasons.join("; "));
  }, 240_000);
});

describe("MLflowModelRepository", () => {
  let repo: MlflowModelRepository;
  let work: string;

  const bundle = (files: Record<string, string>) => {
    const d = mkdtempSync(join(work, "bundle-"));
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(dirname(join(d, name)), { recursive: true });
      writeFileSync(join(d, name), text);
    }
    return d;
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "lolpop-mlflow-repo-"));
    repo = (await instantiateComponent(mlflowModelRepository, {
      config: { tracking_uri: server.uri, experiment_name: `repo-${Date.now()}` },
      project: { root: work },
    })) as MlflowModelRepository;
  });

  it("registers versions whose run is not an MLflow run in a registration run, and never half-registers", async () => {
    const name = `local-runs-${Date.now()}`;
    expect(await repo.get_alias(name, "champion")).toBeUndefined();
    expect(await repo.list_versions(name)).toEqual([]);
    const v1 = await repo.register_model({
      name,
      dir: bundle({ "lolpop-model.json": "{}", "model/weights.bin": "abc" }),
      run_id: "20260101T000000-local-run",
      metrics: { "test.rmse": 0.25, "test.nan": Number.NaN },
      tags: { trainer: "X" },
    });
    expect(v1).toMatchObject({
      version: 1,
      run_id: "20260101T000000-local-run",
      aliases: [],
      tags: { trainer: "X" },
    });
    expect(v1.metrics["test.rmse"]).toBe(0.25);
    expect(Number.isNaN(v1.metrics["test.nan"])).toBe(true);
    const mv = await client.getModelVersion(name, 1);
    const host = await client.getRun(mv.run_id!);
    expect(host.info!.status).toBe("FINISHED");
    expect(host.data!.tags!.find((t) => t.key === "lolpop.source_run_id")!.value).toBe(
      "20260101T000000-local-run",
    );
    const dl = await repo.download_model(name, 1);
    expect(readFileSync(join(dl, "model", "weights.bin"), "utf8")).toBe("abc");
    expect(readFileSync(join(dl, "MLmodel"), "utf8")).toMatch(
      /files:\n {4}- "lolpop-model.json"\n {4}- "model\/weights.bin"/,
    );
    expect(await repo.download_model(name, 1)).toBe(dl);

    const reserved = await repo.register_model({ name, dir: bundle({ MLmodel: "x" }) }).catch((e) => e);
    expect(reserved.message).toMatch(/contains a file named MLmodel/);
    const missing = await repo.register_model({ name, dir: join(work, "nope") }).catch((e) => e);
    expect(missing.message).toMatch(/does not exist/);
    const badMetric = await repo
      .register_model({ name, dir: bundle({ a: "1" }), metrics: { "bad;key": 1 } })
      .catch((e) => e);
    expect(badMetric.code).toBe("mlflow_invalid_request");
    expect((await repo.list_versions(name)).map((v) => v.version)).toEqual([1]);
    const notThere = await repo.get_model_version(name, 7).catch((e) => e);
    expect(RemoteServiceError.isInstance(notThere)).toBe(true);
    expect(notThere.serviceCode).toBe("RESOURCE_DOES_NOT_EXIST");
    expect((await repo.get_model_version(name, 0).catch((e) => e)).code).toBe("mlflow_invalid_request");
  });

  it("moves the champion alias, keeps and tags the previous champion, and records approval", async () => {
    const name = `promote-${Date.now()}`;
    for (let i = 0; i < 3; i++) await repo.register_model({ name, dir: bundle({ "m.txt": String(i) }) });
    expect(await repo.check_approval(name, 2)).toBe(false);
    await repo.approve_model(name, 2, { approved_by: "reviewer", comment: "looks good" });
    expect(await repo.check_approval(name, 2)).toBe(true);
    expect((await repo.get_model_version(name, 2)).tags).toMatchObject({
      "lolpop.approved": "true",
      "lolpop.approved_by": "reviewer",
      "lolpop.approval_comment": "looks good",
    });
    await repo.approve_model(name, 2);
    expect((await repo.get_model_version(name, 2)).tags["lolpop.approval_comment"]).toBeUndefined();

    await repo.promote_model(name, 1);
    await repo.promote_model(name, 2);
    await repo.promote_model(name, 2);
    const versions = await repo.list_versions(name);
    expect(versions.map((v) => [v.version, v.aliases])).toEqual([
      [1, []],
      [2, ["champion"]],
      [3, []],
    ]);
    expect(versions[0]!.tags["lolpop.previous_champion"]).toBe("true");
    expect(versions[1]!.tags["lolpop.promoted_at"]).toMatch(/^\d{4}-/);
    await repo.promote_model(name, 1);
    const back = await repo.get_model_version(name, 1);
    expect(back.aliases).toEqual(["champion"]);
    expect(back.tags["lolpop.previous_champion"]).toBeUndefined();
    expect((await repo.get_model_version(name, 2)).tags["lolpop.previous_champion"]).toBe("true");
    await expect(repo.promote_model(name, 9)).rejects.toMatchObject({
      serviceCode: "RESOURCE_DOES_NOT_EXIST",
    });
  });

  it("promote_model with expected_champion is a compare-and-set, and records who and why", async () => {
    const name = `cas-${Date.now()}`;
    for (let i = 0; i < 3; i++) await repo.register_model({ name, dir: bundle({ "m.txt": String(i) }) });
    expect(await repo.promote_model(name, 1, { expected_champion: null, reason: "first" })).toEqual({
      promoted: true,
      champion: 1,
      previous: null,
    });
    // Decided against "no champion" or against v2: v1 is champion now, nothing moves.
    expect(await repo.promote_model(name, 2, { expected_champion: null })).toEqual({
      promoted: false,
      champion: 1,
      previous: 1,
    });
    expect(await repo.promote_model(name, 3, { expected_champion: 2 })).toMatchObject({
      promoted: false,
      champion: 1,
    });
    expect((await repo.get_alias(name, "champion"))?.version).toBe(1);
    expect(
      await repo.promote_model(name, 3, {
        expected_champion: 1,
        promoted_by: "ci",
        reason: "beats champion v1 on test f1_macro",
      }),
    ).toEqual({ promoted: true, champion: 3, previous: 1 });
    const v3 = await repo.get_model_version(name, 3);
    expect(v3.aliases).toEqual(["champion"]);
    expect(v3.tags).toMatchObject({
      "lolpop.promoted_by": "ci",
      "lolpop.promotion_reason": "beats champion v1 on test f1_macro",
    });
    expect((await repo.get_model_version(name, 1)).tags["lolpop.previous_champion"]).toBe("true");
    // A promotion without a reason does not leave an old one behind.
    await repo.promote_model(name, 1);
    await repo.promote_model(name, 3);
    expect((await repo.get_model_version(name, 3)).tags["lolpop.promotion_reason"]).toBeUndefined();
  });
});

describe("MLflowMetadataTracker", () => {
  let tracker: MlflowMetadataTracker;

  beforeAll(async () => {
    tracker = (await instantiateComponent(mlflowMetadataTracker, {
      config: {
        tracking_uri: server.uri,
        experiment_name: `tracker-${Date.now()}`,
        flush_interval_ms: 60_000,
      },
      project: { root: mkdtempSync(join(tmpdir(), "lolpop-mlflow-tracker-")) },
    })) as MlflowMetadataTracker;
  });

  it("buffers metrics and flushes them before end_run and get_run", async () => {
    const run = await tracker.start_run({ name: "buffered", tags: { kind: "test" } });
    for (let step = 0; step < 10; step++)
      await tracker.log_metrics(run.id, { loss: 1 / (step + 1), acc: step / 10 }, { step });
    expect(tracker.pending_metrics(run.id)).toBe(20);
    expect((await tracker.get_run(run.id)).metrics).toEqual({ loss: 0.1, acc: 0.9 });
    expect(tracker.pending_metrics()).toBe(0);
    expect((await client.getMetricHistory(run.id, "loss")).map((m) => m.step)).toEqual([
      0, 1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    for (let i = 0; i < 1500; i++) await tracker.log_metrics(run.id, { many: i }, { step: i });
    // 1,000 buffered points trigger a flush without waiting for the interval.
    for (let i = 0; i < 100 && tracker.pending_metrics(run.id) >= 1000; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(tracker.pending_metrics(run.id)).toBeLessThan(1000);
    await tracker.end_run(run.id, "FINISHED");
    expect(tracker.pending_metrics()).toBe(0);
    expect((await client.getMetricHistory(run.id, "many")).length).toBe(1500);
    const info = await tracker.get_run(run.id);
    expect(info).toMatchObject({ status: "FINISHED", tags: { kind: "test" } });
    expect(Date.parse(info.ended_at!)).toBeGreaterThanOrEqual(Date.parse(info.started_at));
  });

  it("logs text, bytes, files and folders (reports) as artifacts and lists them in get_run", async () => {
    const run = await tracker.start_run({ name: "artifacts" });
    const src = mkdtempSync(join(tmpdir(), "lolpop-mlflow-art-"));
    mkdirSync(join(src, "report", "assets"), { recursive: true });
    writeFileSync(join(src, "report", "index.html"), "<h1>drift</h1>");
    writeFileSync(join(src, "report", "assets", "chart.svg"), "<svg/>");
    writeFileSync(join(src, "summary.json"), '{"ok":true}');
    const uri = await tracker.log_artifact(run.id, "checks/drift", { path: join(src, "report") });
    expect(uri).toMatch(/^mlflow-artifacts:\/.*\/artifacts\/checks\/drift$/);
    await tracker.log_artifact(run.id, "summary.json", { path: join(src, "summary.json") });
    await tracker.log_artifact(run.id, "raw.bin", new Uint8Array([1, 2, 3]));
    await expect(tracker.log_artifact(run.id, "x", { path: join(src, "missing") })).rejects.toThrow(
      /does not exist/,
    );
    expect((await tracker.get_run(run.id)).artifacts).toEqual([
      "checks/drift/assets/chart.svg",
      "checks/drift/index.html",
      "raw.bin",
      "summary.json",
    ]);
    const root = (await client.getRun(run.id)).info!.artifact_uri!;
    expect(Buffer.from(await client.downloadArtifact(root, "checks/drift/index.html")).toString()).toBe(
      "<h1>drift</h1>",
    );
    await tracker.end_run(run.id, "FINISHED");
  });

  it("sends buffered points when the process exits without ending the run", async () => {
    const r = spawnSync(
      process.execPath,
      [join(pkgDir, "test", "fixtures", "exit-flush.mjs"), server.uri, `exit-${Date.now()}`],
      {
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    if (r.status !== 0) throw new Error(`exit-flush.mjs failed (${r.status}): ${r.stderr}`);
    const [runId, pending] = r.stdout.trim().split("\n");
    expect(pending).toBe("5");
    expect((await client.getMetricHistory(runId!, "x")).map((m) => m.value)).toEqual([0, 1, 2, 3, 4]);
  });

  it("redacts secrets, truncates over-long values and rejects bad keys, unknown parents and bad statuses", async () => {
    registerSecret("hunter2-secret-value");
    const run = await tracker.start_run({ name: "secrets" });
    await tracker.log_params(run.id, {
      db_password: "plain",
      url: "postgres://u:hunter2-secret-value@db",
      nested: { a: [1, 2] },
      long: "x".repeat(7000),
    });
    await tracker.log_tags(run.id, { api_token: "abc", note: "hunter2-secret-value" });
    const rec = await tracker.get_run(run.id);
    expect(rec.params).toMatchObject({
      db_password: "***",
      url: "postgres://u:***@db",
      nested: '{"a":[1,2]}',
    });
    expect(rec.params.long).toHaveLength(6000);
    expect(rec.tags).toMatchObject({ api_token: "***", note: "***" });
    await expect(tracker.log_metrics(run.id, { "a;b": 1 })).rejects.toMatchObject({
      code: "mlflow_invalid_request",
    });
    await expect(tracker.log_metrics(run.id, { a: "1" as unknown as number })).rejects.toThrow(
      /must be a number/,
    );
    await expect(
      tracker.start_run({ name: "orphan", parent_id: "0123456789abcdef0123456789abcdef" }),
    ).rejects.toThrow(/parent run .* does not exist/);
    await expect(tracker.end_run(run.id, "DONE" as never)).rejects.toThrow(/Unknown run status/);
    await expect(tracker.log_artifact(run.id, "../up.txt", "x")).rejects.toMatchObject({
      code: "mlflow_invalid_request",
    });
    expect(await tracker.log_artifact(run.id, "reports/a.html", "<p>hi</p>")).toMatch(
      /artifacts\/reports\/a\.html$/,
    );
    const strict = (await instantiateComponent(mlflowMetadataTracker, {
      config: {
        tracking_uri: server.uri,
        experiment_name: `strict-${Date.now()}`,
        truncate_long_values: false,
      },
    })) as MlflowMetadataTracker;
    const r2 = await strict.start_run({ name: "strict" });
    await expect(strict.log_params(r2.id, { long: "y".repeat(6001) })).rejects.toThrow(
      /truncate_long_values/,
    );
    await strict.close();
  });

  it("finds runs by tags and parent, newest first, and refuses a deleted experiment unless told to restore it", async () => {
    const parent = await tracker.start_run({ name: "parent" });
    const made: string[] = [];
    for (let i = 0; i < 3; i++)
      made.push(
        (
          await tracker.start_run({
            name: `child-${i}`,
            parent_id: parent.id,
            tags: { kind: "child", quote: "o'k" },
          })
        ).id,
      );
    const found = await tracker.search_runs({ parent_id: parent.id });
    expect(found.map((r) => r.id)).toEqual([...made].reverse());
    expect((await tracker.search_runs({ tags: { quote: "o'k" }, limit: 2 })).map((r) => r.id)).toEqual([
      made[2],
      made[1],
    ]);
    expect(await tracker.search_runs({ tags: { kind: "none" } })).toEqual([]);

    const name = `gone-${Date.now()}`;
    const mk = (restore: boolean) =>
      instantiateComponent(mlflowMetadataTracker, {
        config: { tracking_uri: server.uri, experiment_name: name, restore_deleted_experiment: restore },
      }) as Promise<MlflowMetadataTracker>;
    const t1 = await mk(false);
    await t1.start_run({ name: "before" });
    await client.deleteExperiment((await t1.experiment()).experiment_id!);
    const err = await (await mk(false)).start_run({ name: "after" }).catch((e) => e);
    expect(LolpopError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/is deleted.*restore_deleted_experiment/s);
    const run = await (await mk(true)).start_run({ name: "after" });
    expect(run.status).toBe("RUNNING");
  });
});

describe("a registration that fails", () => {
  // A proxy in front of the real server that refuses the upload of the MLmodel file (the last file
  // of a registration), so some files of the version are already on the server when it fails.
  let proxy: Server;
  let proxyUri: string;
  beforeAll(async () => {
    const target = new URL(server.uri);
    proxy = createServer((req, res) => {
      if (req.method === "PUT" && /\/model\/MLmodel$/.test(req.url ?? "")) {
        req.resume();
        res.writeHead(400, { "content-type": "application/json" });
        res.end(
          JSON.stringify({ error_code: "INVALID_PARAMETER_VALUE", message: "refused by the test proxy" }),
        );
        return;
      }
      const up = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    proxyUri = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
  });

  it("keeps the training record, ends the runs FAILED and leaves no partial model files", async () => {
    const dir = project();
    const experiment = `failed-registration-${Date.now()}`;
    const text = yaml({ experiment }).replace(`tracking_uri: ${server.uri}`, `tracking_uri: ${proxyUri}`);
    const wf = await build(dir, text);
    const err = (await wf.run("build_all").catch((e: unknown) => e)) as Error;
    expect(String(err.message)).toMatch(/refused by the test proxy/);
    const exp = await client.getExperimentByName(experiment);
    const runs = (await client.searchRuns({ experimentIds: [exp!.experiment_id!] })).items;
    const tag = (r: (typeof runs)[number], k: string) => r.data?.tags?.find((t) => t.key === k)?.value;
    const train = runs.find((r) => tag(r, "lolpop.stage") === "train")!;
    const root = runs.find((r) => tag(r, "lolpop.stage") === "workflow")!;
    expect(train.info!.status).toBe("FAILED");
    expect(root.info!.status).toBe("FAILED");
    const params = Object.fromEntries((train.data!.params ?? []).map((p) => [p.key, p.value]));
    expect(params).toMatchObject({
      trainer: "RandomForestModelTrainer",
      n_estimators: "30",
      perf_metric: "f1_macro",
    });
    const metrics = Object.fromEntries((train.data!.metrics ?? []).map((m) => [m.key, m.value]));
    expect(metrics["test.f1_macro"]).toBeGreaterThan(0.5);
    expect(await client.listArtifactsRecursive(train.info!.artifact_uri!)).toEqual([]);
    const versions = await client.searchAllModelVersions({ filter: "name = 'penguins'" });
    expect(versions.filter((v) => v.run_id === train.info!.run_id)).toEqual([]);
  }, 180_000);
});
