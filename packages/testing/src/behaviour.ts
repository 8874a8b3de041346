/**
 * Behaviour checks per component kind: each calls the contract the way a workflow does and checks
 * what comes back (shapes, invariants, round trips). They throw a {@link ConformanceError} naming
 * what is wrong.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type {
  CheckReport,
  DataChecker,
  DataConnector,
  DataProfiler,
  DataSplitter,
  FeatureTransformer,
  HyperparameterTuner,
  LoggerComponent,
  MetadataTracker,
  ModelChecker,
  ModelRepository,
  ModelTrainer,
  Notifier,
  Predictions,
  ProblemType,
  Table,
  TrainedModel,
} from "@lolpop/core";
import { categoricalColumn } from "@lolpop/core";
import {
  SAMPLE_INDEX,
  SAMPLE_TARGET,
  sampleFitInput,
  sampleLabeledData,
  sampleTable,
} from "./sample-data.js";

/** A conformance check failed. */
export class ConformanceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConformanceError";
  }
}

/** Throws a {@link ConformanceError} unless `ok`. */
export function expectThat(ok: unknown, message: string): asserts ok {
  if (!ok) throw new ConformanceError(message);
}

/** A named check. */
export interface NamedCheck {
  name: string;
  run: () => Promise<void>;
}

/** What behaviour checks need from the suite. */
export interface BehaviourEnv {
  /** The type name under test. */
  type: string;
  /** Creates a fresh instance whose project root is `root` (a new temp folder when omitted). */
  create: (root?: string) => Promise<unknown>;
  /** A new empty temp folder (removed after the check). */
  tmp: () => string;
  problemTypes: readonly ProblemType[];
  /** Where a connector writes and reads back (default: a CSV file in a temp folder). */
  connectorTarget?: (dir: string) => string;
}

function isTable(v: unknown): v is Table {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as Table).numRows === "number" &&
    Array.isArray((v as Table).columnNames) &&
    typeof (v as Table).fingerprint === "function"
  );
}

const STATUSES = ["PASS", "WARN", "ERROR"];
const RANK: Record<string, number> = { PASS: 0, WARN: 1, ERROR: 2 };

function checkReport(r: CheckReport, what: string): void {
  expectThat(r && typeof r === "object", `${what} must return a CheckReport object`);
  expectThat(
    STATUSES.includes(r.status),
    `${what}: status must be PASS, WARN or ERROR (got ${JSON.stringify(r.status)})`,
  );
  expectThat(Array.isArray(r.checks), `${what}: checks must be a list`);
  for (const c of r.checks) {
    expectThat(typeof c.name === "string" && c.name, `${what}: every check needs a name`);
    expectThat(
      STATUSES.includes(c.status),
      `${what}: check ${c.name} has status ${JSON.stringify(c.status)}`,
    );
    expectThat(typeof c.message === "string", `${what}: check ${c.name} needs a message`);
  }
  if (r.checks.length) {
    const worst = r.checks.reduce((w, c) => (RANK[c.status]! > RANK[w]! ? c.status : w), "PASS");
    expectThat(r.status === worst, `${what}: status ${r.status} must be the worst of its checks (${worst})`);
  }
}

function checkPredictions(
  p: Predictions,
  n: number,
  problem: ProblemType,
  classes: string[] | undefined,
  what: string,
) {
  expectThat(
    p && p.problem_type === problem,
    `${what}: predictions must have problem_type "${problem}" (got ${JSON.stringify(p?.problem_type)})`,
  );
  if (p.problem_type === "classification") {
    expectThat(
      p.labels instanceof Int32Array || ArrayBuffer.isView(p.labels),
      `${what}: labels must be an Int32Array`,
    );
    expectThat(p.labels.length === n, `${what}: ${p.labels.length} labels for ${n} rows`);
    expectThat(Array.isArray(p.classes) && p.classes.length > 0, `${what}: classes must be a non-empty list`);
    if (classes)
      expectThat(
        [...p.classes].sort().join("|") === [...classes].sort().join("|"),
        `${what}: classes ${JSON.stringify(p.classes)} differ from the training classes ${JSON.stringify(classes)}`,
      );
    for (const l of p.labels)
      expectThat(
        l >= 0 && l < p.classes.length,
        `${what}: label index ${l} is outside classes (${p.classes.length})`,
      );
    if (p.proba) {
      const c = p.classes.length;
      expectThat(
        p.proba.length === n * c,
        `${what}: proba has ${p.proba.length} values, expected rows x classes = ${n * c}`,
      );
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < c; j++) {
          const v = p.proba[i * c + j]!;
          expectThat(v >= -1e-9 && v <= 1 + 1e-9, `${what}: probability ${v} outside [0, 1] (row ${i})`);
          s += v;
        }
        expectThat(Math.abs(s - 1) < 1e-6, `${what}: probabilities of row ${i} sum to ${s}, not 1`);
      }
    }
  } else {
    expectThat(p.values && p.values.length === n, `${what}: ${p.values?.length} values for ${n} rows`);
    for (const v of p.values)
      expectThat(Number.isFinite(v), `${what}: prediction ${v} is not a finite number`);
  }
}

function samePredictions(a: Predictions, b: Predictions, what: string): void {
  if (a.problem_type === "classification" && b.problem_type === "classification") {
    expectThat(a.classes.join("|") === b.classes.join("|"), `${what}: classes differ after the round trip`);
    for (let i = 0; i < a.labels.length; i++)
      expectThat(
        a.labels[i] === b.labels[i],
        `${what}: row ${i} predicted ${a.classes[a.labels[i]!]} before and ${b.classes[b.labels[i]!]} after`,
      );
    if (a.proba && b.proba)
      for (let i = 0; i < a.proba.length; i++)
        expectThat(Math.abs(a.proba[i]! - b.proba[i]!) < 1e-9, `${what}: probabilities differ at index ${i}`);
  } else if (a.problem_type === "regression" && b.problem_type === "regression") {
    for (let i = 0; i < a.values.length; i++)
      expectThat(
        Math.abs(a.values[i]! - b.values[i]!) <= 1e-9 * Math.max(1, Math.abs(a.values[i]!)),
        `${what}: row ${i} predicted ${a.values[i]} before and ${b.values[i]} after`,
      );
  } else expectThat(false, `${what}: problem types differ after the round trip`);
}

function ids(t: Table): number[] {
  return t.has(SAMPLE_INDEX) ? (t.values(SAMPLE_INDEX) as number[]) : [];
}

function connector(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "save_data then get_data returns the same rows and columns",
      run: async () => {
        const root = env.tmp();
        const c = (await env.create(root)) as DataConnector;
        const table = sampleTable("classification", { roles: false });
        const target = env.connectorTarget ? env.connectorTarget(root) : join(root, "conformance.csv");
        const saved = await c.save_data(table, target);
        expectThat(
          saved && saved.rows === table.numRows,
          `save_data reported ${saved?.rows} rows, wrote ${table.numRows}`,
        );
        expectThat(typeof saved.uri === "string" && saved.uri, "save_data must return the uri it wrote");
        const back = await c.get_data(target);
        expectThat(isTable(back), "get_data must return a Table");
        expectThat(
          back.numRows === table.numRows,
          `get_data read ${back.numRows} rows, ${table.numRows} were saved`,
        );
        for (const name of table.columnNames)
          expectThat(
            back.has(name),
            `column ${name} was saved but not read back (got ${back.columnNames.join(", ")})`,
          );
        for (const name of ["x1", SAMPLE_TARGET]) {
          const a = table.values(name).map(String).join("|");
          const b = back.values(name).map(String).join("|");
          expectThat(a === b, `values of column ${name} changed in the round trip`);
        }
      },
    },
  ];
}

function transformer(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "transform returns a Table and leaves its input unchanged",
      run: async () => {
        const c = (await env.create()) as { transform(t: Table): Promise<Table> };
        const table = sampleTable("classification");
        const before = table.fingerprint();
        const out = await c.transform(table);
        expectThat(isTable(out), "transform must return a Table");
        expectThat(table.fingerprint() === before, "transform changed its input table");
      },
    },
  ];
}

function splitter(env: BehaviourEnv): NamedCheck[] {
  return env.problemTypes.map((pt) => ({
    name: `split_data (${pt}) puts every row in exactly one split, the same way twice`,
    run: async () => {
      const c = (await env.create()) as DataSplitter;
      const table = sampleTable(pt);
      const a = await c.split_data(table);
      const parts = [a.train, a.valid, ...(a.test ? [a.test] : [])];
      for (const [i, p] of parts.entries())
        expectThat(isTable(p), `split ${["train", "valid", "test"][i]} must be a Table`);
      const total = parts.reduce((s, p) => s + p.numRows, 0);
      expectThat(total === table.numRows, `splits hold ${total} rows, the input has ${table.numRows}`);
      const seen = parts.flatMap(ids);
      if (seen.length)
        expectThat(new Set(seen).size === table.numRows, "a row appears in two splits or in none");
      const b = await ((await env.create()) as DataSplitter).split_data(table);
      expectThat(
        a.train.fingerprint() === b.train.fingerprint() && a.valid.fingerprint() === b.valid.fingerprint(),
        "two splits of the same table with the same config differ (the split must be deterministic for its seed)",
      );
    },
  }));
}

function featureTransformer(env: BehaviourEnv): NamedCheck[] {
  const fitted = async (root?: string) => {
    const c = (await env.create(root)) as FeatureTransformer;
    const table = sampleTable("classification");
    const out = await c.fit_transform(table);
    return { c, table, out };
  };
  return [
    {
      name: "fit_transform returns numeric feature columns, one row per input row",
      run: async () => {
        const { table, out } = await fitted();
        expectThat(isTable(out), "fit_transform must return a Table");
        expectThat(out.numRows === table.numRows, `${out.numRows} rows out for ${table.numRows} in`);
        for (const name of out.columnsWithRole("feature"))
          expectThat(
            out.column(name).type === "numeric",
            `feature column ${name} is not numeric after the transform`,
          );
      },
    },
    {
      name: "transform handles a category never seen in fit",
      run: async () => {
        const { c, table } = await fitted();
        const fresh = table.withColumn(
          "color",
          categoricalColumn(table.values("color").map((v, i) => (i % 4 === 0 ? "purple" : v))),
        );
        const out = await c.transform(fresh);
        expectThat(out.numRows === fresh.numRows, "transform dropped rows with an unseen category");
      },
    },
    {
      name: "save then load in a new instance transforms identically",
      run: async () => {
        const root = env.tmp();
        const { c, table } = await fitted(root);
        const dir = join(root, "state");
        mkdirSync(dir, { recursive: true });
        const a = await c.transform(table);
        await c.save(dir);
        const other = (await env.create(root)) as FeatureTransformer;
        await other.load(dir);
        const b = await other.transform(table);
        expectThat(
          a.fingerprint() === b.fingerprint(),
          "the loaded transformer gives another output than the saved one",
        );
      },
    },
  ];
}

function trainer(env: BehaviourEnv): NamedCheck[] {
  return env.problemTypes.flatMap((pt) => [
    {
      name: `fit and predict (${pt})`,
      run: async () => {
        const c = (await env.create()) as ModelTrainer;
        const input = sampleFitInput(pt);
        const model = await c.fit(input);
        expectThat(
          model && typeof model.predict === "function",
          "fit must return a TrainedModel with predict()",
        );
        expectThat(model.problem_type === pt, `model.problem_type is ${model.problem_type}, expected ${pt}`);
        expectThat(
          model.trainer === env.type,
          `model.trainer is ${JSON.stringify(model.trainer)}, expected "${env.type}"`,
        );
        expectThat(
          Array.isArray(model.feature_names) &&
            model.feature_names.join(",") === input.X.columnNames.join(","),
          `model.feature_names ${JSON.stringify(model.feature_names)} differ from the training columns`,
        );
        expectThat(model.params && typeof model.params === "object", "model.params must be an object");
        const valid = input.valid!;
        checkPredictions(await model.predict(valid.X), valid.X.numRows, pt, input.classes, "predict");
      },
    },
    {
      name: `save/load round trip (${pt}): the loaded model predicts the same`,
      run: async () => {
        const root = env.tmp();
        const c = (await env.create(root)) as ModelTrainer;
        const input = sampleFitInput(pt);
        const model: TrainedModel = await c.fit(input);
        const X = input.valid!.X;
        const before = await model.predict(X);
        const dir = join(root, "model");
        mkdirSync(dir, { recursive: true });
        await model.save(dir);
        expectThat(readdirSync(dir).length > 0, "TrainedModel.save wrote no file");
        const loaded = await ((await env.create(root)) as ModelTrainer).load(dir);
        expectThat(loaded.problem_type === pt, "the loaded model has another problem_type");
        expectThat(
          loaded.feature_names.join(",") === model.feature_names.join(","),
          "the loaded model has other feature_names",
        );
        samePredictions(before, await loaded.predict(X), "after save/load");
      },
    },
  ]);
}

function tuner(env: BehaviourEnv): NamedCheck[] {
  return env.problemTypes.map((pt) => ({
    name: `run_experiment (${pt}) returns trials and a winning model`,
    run: async () => {
      const c = (await env.create()) as HyperparameterTuner;
      const d = sampleLabeledData(pt);
      const r = await c.run_experiment({
        problem_type: pt,
        train: d.train,
        valid: d.valid,
        ...(d.classes ? { classes: d.classes } : {}),
        perf_metric: pt === "classification" ? "f1_macro" : "rmse",
        seed: 42,
      });
      expectThat(
        Array.isArray(r.trials) && r.trials.length > 0,
        "run_experiment must return at least one trial",
      );
      for (const t of r.trials) {
        expectThat(typeof t.trainer === "string", "every trial names its trainer");
        expectThat(t.metrics && typeof t.metrics === "object", "every trial has metrics by split");
      }
      expectThat(r.best && typeof r.best.model?.predict === "function", "best.model must be a TrainedModel");
      checkPredictions(
        await r.best.model.predict(d.valid.X),
        d.valid.X.numRows,
        pt,
        d.classes,
        "best.model.predict",
      );
    },
  }));
}

function tracker(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "records a run: params, metrics, tags, dataset, artifact, nested run, search, end",
      run: async () => {
        const root = env.tmp();
        const t = (await env.create(root)) as MetadataTracker;
        const run = await t.start_run({ name: "conformance", tags: { suite: "lolpop-testing" } });
        expectThat(run && typeof run.id === "string" && run.id, "start_run must return a run with an id");
        expectThat(run.status === "RUNNING", `a started run has status RUNNING (got ${run.status})`);
        await t.log_params(run.id, { alpha: 0.5, name: "x" });
        await t.log_metrics(run.id, { "valid.f1_macro": 0.75 });
        await t.log_tags(run.id, { stage: "test" });
        const table = sampleTable("classification");
        await t.log_dataset(run.id, {
          name: "sample",
          fingerprint: table.fingerprint(),
          rows: table.numRows,
          columns: table.numColumns,
          context: "training",
        });
        const uri = await t.log_artifact(run.id, "notes/readme.txt", "hello");
        expectThat(typeof uri === "string" && uri, "log_artifact must return the artifact's uri");
        const child = await t.start_run({ name: "conformance-child", parent_id: run.id });
        await t.end_run(child.id, "FINISHED");
        const rec = await t.get_run(run.id);
        expectThat(
          rec.params.alpha === "0.5",
          `params are stored as strings (alpha: ${JSON.stringify(rec.params.alpha)})`,
        );
        expectThat(rec.metrics["valid.f1_macro"] === 0.75, "the logged metric is not in get_run()");
        expectThat(
          rec.tags.stage === "test" && rec.tags.suite === "lolpop-testing",
          "tags are missing in get_run()",
        );
        expectThat(
          rec.artifacts.some((a) => a.includes("readme.txt")),
          `the artifact is not listed (${rec.artifacts.join(", ")})`,
        );
        expectThat(
          rec.datasets.some((d) => d.fingerprint === table.fingerprint()),
          "the dataset is not in get_run()",
        );
        const children = await t.search_runs({ parent_id: run.id });
        expectThat(
          children.some((c) => c.id === child.id),
          "search_runs({parent_id}) does not find the nested run",
        );
        const tagged = await t.search_runs({ tags: { suite: "lolpop-testing" } });
        expectThat(
          tagged.some((r) => r.id === run.id),
          "search_runs({tags}) does not find the run",
        );
        await t.end_run(run.id, "FINISHED");
        const ended = await t.get_run(run.id);
        expectThat(ended.status === "FINISHED", `after end_run the status is ${ended.status}`);
        expectThat(typeof ended.ended_at === "string", "an ended run has ended_at");
      },
    },
  ];
}

function repository(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "registers versions, moves the champion alias, records approval, downloads files",
      run: async () => {
        const root = env.tmp();
        const r = (await env.create(root)) as ModelRepository;
        const src = join(root, "bundle");
        mkdirSync(src, { recursive: true });
        writeFileSync(join(src, "model.txt"), "v1");
        const v1 = await r.register_model({ name: "conformance", dir: src, metrics: { "test.f1": 0.5 } });
        writeFileSync(join(src, "model.txt"), "v2");
        const v2 = await r.register_model({ name: "conformance", dir: src });
        expectThat(
          v1.version === 1 && v2.version === 2,
          `versions must count 1, 2 (got ${v1.version}, ${v2.version})`,
        );
        const got = await r.get_model_version("conformance", 1);
        expectThat(
          got.version === 1 && got.name === "conformance",
          "get_model_version returned another version",
        );
        const list = await r.list_versions("conformance");
        expectThat(
          list.map((v) => v.version).join(",") === "1,2",
          `list_versions must be oldest first (got ${list.map((v) => v.version).join(",")})`,
        );
        expectThat(
          (await r.get_alias("conformance", "champion")) === undefined,
          "a new model has no champion",
        );
        await r.promote_model("conformance", 1);
        expectThat(
          (await r.get_alias("conformance", "champion"))?.version === 1,
          "promote_model(1) did not make v1 the champion",
        );
        await r.promote_model("conformance", 2);
        expectThat(
          (await r.get_alias("conformance", "champion"))?.version === 2,
          "promote_model(2) did not move the alias",
        );
        expectThat(
          (await r.list_versions("conformance")).length === 2,
          "promoting must keep the previous champion",
        );
        expectThat(
          (await r.check_approval("conformance", 2)) === false,
          "a version is not approved before approve_model",
        );
        await r.approve_model("conformance", 2, { approved_by: "conformance" });
        expectThat(
          (await r.check_approval("conformance", 2)) === true,
          "check_approval is false after approve_model",
        );
        const dir = await r.download_model("conformance", 1);
        expectThat(
          readFileSync(join(dir, "model.txt"), "utf8") === "v1",
          "download_model(1) does not give v1's files",
        );
        let threw = false;
        try {
          await r.get_model_version("conformance", 99);
        } catch {
          threw = true;
        }
        expectThat(threw, "get_model_version of a missing version must throw");
      },
    },
  ];
}

function dataChecker(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "check_data returns a report whose status is the worst of its checks",
      run: async () => {
        const c = (await env.create()) as DataChecker;
        const table = sampleTable("classification");
        checkReport(await c.check_data(table), "check_data(table)");
        checkReport(
          await c.check_data(table, {
            reference: sampleTable("classification", { seed: 8 }),
            name: "sample",
          }),
          "check_data(table, {reference})",
        );
      },
    },
  ];
}

function profiler(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "profile_data and compare_data return json and a summary",
      run: async () => {
        const c = (await env.create()) as DataProfiler;
        const table = sampleTable("classification");
        for (const [what, r] of [
          ["profile_data", await c.profile_data(table, { name: "sample" })],
          ["compare_data", await c.compare_data(table, sampleTable("classification", { seed: 8 }))],
        ] as const) {
          expectThat(r && r.json !== undefined, `${what} must return json`);
          expectThat(r.summary && typeof r.summary === "object", `${what} must return a summary object`);
        }
      },
    },
  ];
}

function modelChecker(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "check_model returns a report for a model and labeled data",
      run: async () => {
        const c = (await env.create()) as ModelChecker;
        const d = sampleLabeledData("classification");
        const classes = d.classes!;
        const model: TrainedModel = {
          trainer: "ConformanceMajorityModel",
          problem_type: "classification",
          params: {},
          feature_names: d.valid.X.columnNames,
          classes,
          predict: async (X) => ({
            problem_type: "classification",
            classes,
            labels: new Int32Array(X.numRows),
            proba: Float64Array.from({ length: X.numRows * classes.length }, (_, i) =>
              i % classes.length === 0 ? 1 : 0,
            ),
          }),
          save: async () => undefined,
        };
        checkReport(await c.check_model(model, { ...d.valid, split: "valid" }), "check_model");
      },
    },
  ];
}

function notifier(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "notify accepts each level with and without details",
      run: async () => {
        const c = (await env.create()) as Notifier;
        await c.notify("lolpop conformance: info", "info");
        await c.notify("lolpop conformance: warn", "warn", { step: "conformance" });
        await c.notify("lolpop conformance: error", "error");
      },
    },
  ];
}

function logger(env: BehaviourEnv): NamedCheck[] {
  return [
    {
      name: "log accepts each level",
      run: async () => {
        const c = (await env.create()) as LoggerComponent;
        for (const level of ["debug", "info", "warn", "error"] as const)
          await c.log(`lolpop conformance ${level}`, level, { n: 1 });
      },
    },
  ];
}

const BY_KIND: Record<string, (env: BehaviourEnv) => NamedCheck[]> = {
  data_connector: connector,
  data_transformer: transformer,
  data_splitter: splitter,
  feature_transformer: featureTransformer,
  model_trainer: trainer,
  hyperparameter_tuner: tuner,
  metadata_tracker: tracker,
  model_repository: repository,
  data_checker: dataChecker,
  data_profiler: profiler,
  model_checker: modelChecker,
  notifier,
  logger,
};

/** The behaviour checks of a kind (none for a kind core does not define). */
export function behaviourChecks(kind: string, env: BehaviourEnv): NamedCheck[] {
  return BY_KIND[kind]?.(env) ?? [];
}
