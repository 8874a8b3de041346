// The ONNX export end to end on the penguins and cars quickstart data: LocalFeatureTransformer's
// piece composed with each model type's piece (random forest with both engines, TensorFlow.js,
// CatBoost) into one model that takes the raw CSV columns. For every pair, the exported model passes
// the ONNX checker (full check) and its predictions in onnxruntime (Python, from the test venv) and
// onnxruntime-node equal lolpop's own: identical labels, probabilities within 1e-5, regression
// values within 1e-5 (relative).
import { execFileSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { catboostModelTrainer, closeCatBoostWorkers } from "@lolpop/catboost-bridge";
import {
  type ComponentKinds,
  type DataConnector,
  type Definition,
  type FeatureTransformer,
  instantiateComponent,
  type ModelTrainer,
  type ProblemType,
  type Table,
} from "@lolpop/core";
import { localDataConnector, localFeatureTransformer } from "@lolpop/local";
import { composeModel, encodeModel } from "@lolpop/onnx";
import { randomForestModelTrainer } from "@lolpop/random-forest";
import { tfjsModelTrainer } from "@lolpop/tfjs";
import { type Parity, parity } from "../../packages/onnx/test/helpers.js";
import { repoRoot, tempProject } from "../helpers.js";

const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");

interface Quickstart {
  name: string;
  problem: ProblemType;
  target: string;
}

const QUICKSTARTS: Quickstart[] = [
  { name: "penguins", problem: "classification", target: "species" },
  { name: "cars", problem: "regression", target: "Miles_per_Gallon" },
];

const TRAINERS: Array<{
  name: string;
  definition: Definition<ComponentKinds["model_trainer"], never>;
  config: Record<string, unknown>;
}> = [
  {
    name: "random forest (histogram)",
    definition: randomForestModelTrainer as never,
    config: { n_jobs: 1, training_params: { n_estimators: 30, max_depth: 8 } },
  },
  {
    name: "random forest (ml-random-forest)",
    definition: randomForestModelTrainer as never,
    config: { engine: "ml-random-forest", training_params: { n_estimators: 10, max_depth: 6 } },
  },
  {
    name: "TensorFlow.js",
    definition: tfjsModelTrainer as never,
    config: {
      backend: "wasm",
      progress: "none",
      training_params: { layers: [{ units: 16, activation: "relu" }], epochs: 30, early_stopping: false },
    },
  },
  {
    name: "CatBoost",
    definition: catboostModelTrainer as never,
    config: { python, training_params: { iterations: 100, depth: 4 } },
  },
];

/** The quickstart's CSVs, read by LocalDataConnector as the workflow reads them. */
async function load(q: Quickstart): Promise<{ train: Table; fresh: Table }> {
  const dir = tempProject(`lolpop-onnx-${q.name}-`);
  projects.push(dir);
  copyFileSync(
    join(repoRoot, "examples", "quickstart", q.name, "prepare-data.mjs"),
    join(dir, "prepare-data.mjs"),
  );
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  const read = async (file: string) =>
    (
      (await instantiateComponent(localDataConnector, {
        config: { path: join(dir, "data", file) },
      })) as DataConnector
    ).get_data();
  const train = (await read("train.csv")).withRoles({ [q.target]: "target", id: "index" });
  const fresh = (await read("new.csv")).withRoles({ id: "index" });
  return { train, fresh };
}

const measured: Array<{ case: string } & Parity> = [];
/** Temp projects made by load(), removed at the end. */
const projects: string[] = [];

afterAll(async () => {
  await closeCatBoostWorkers();
  for (const dir of projects) rmSync(dir, { recursive: true, force: true });
  console.log(
    `ONNX parity on the quickstart data (max difference: probability, or relative value):\n${measured
      .map(
        (m) =>
          `  ${m.case}: ${m.rows} rows, checker ${m.checker}, ${m.labelMismatches ? `label mismatches ${m.labelMismatches.python}/${m.labelMismatches.node}, ` : ""}python ${m.maxDiff.python.toExponential(2)}, node ${m.maxDiff.node.toExponential(2)}`,
      )
      .join("\n")}`,
  );
});

describe.each(QUICKSTARTS)("$name quickstart", (q) => {
  let train: Table;
  let fresh: Table;
  let ft: FeatureTransformer;
  let trainX: Table;
  let freshX: Table;

  beforeAll(async () => {
    ({ train, fresh } = await load(q));
    ft = (await instantiateComponent(localFeatureTransformer, {
      path: "train.feature_transformer",
    })) as FeatureTransformer;
    await ft.fit(train.select(train.columnsWithRole("feature")));
    trainX = await ft.transform(train.select(train.columnsWithRole("feature")));
    freshX = await ft.transform(fresh.select(train.columnsWithRole("feature")));
  }, 120_000);

  it.each(TRAINERS)(
    "LocalFeatureTransformer + $name: the exported model takes the raw columns and predicts like lolpop",
    async ({ name, definition, config }) => {
      const trainer = (await instantiateComponent(definition as never, {
        config,
        path: "train.model_trainer",
        project: { root: repoRoot },
      })) as ModelTrainer;
      const model = await trainer.fit({
        problem_type: q.problem,
        X: trainX,
        y: train.column(q.target),
        seed: 42,
      });
      const expected = await model.predict(freshX);
      const raw = fresh.select(train.columnsWithRole("feature"));
      const onnx = composeModel({
        problem_type: q.problem,
        model: await model.to_onnx!(),
        features: await ft.to_onnx!(),
        feature_names: model.feature_names,
        ...(model.classes ? { classes: model.classes } : {}),
        input_schema: raw.schema,
        trainer: model.trainer,
      });
      expect(onnx.graph.inputs.map((i) => i.name)).toEqual(raw.columnNames);
      const p = await parity(encodeModel(onnx), raw, expected);
      measured.push({ case: `${q.name} / ${name}`, ...p });
      expect(p.checker).toBe("ok");
      expect(p.rows).toBeGreaterThan(60);
      if (q.problem === "classification") expect(p.labelMismatches).toEqual({ python: 0, node: 0 });
      expect(p.maxDiff.python).toBeLessThan(1e-5);
      expect(p.maxDiff.node).toBeLessThan(1e-5);
    },
    300_000,
  );
});
