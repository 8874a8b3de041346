// ONNX export of both engines: the exported model passes the ONNX checker (full check) and predicts
// like lolpop in onnxruntime (Python, from the test venv) and onnxruntime-node: identical labels,
// probabilities within 1e-5, regression values within 1e-5 (relative). The trees() accessor that
// the exporter reads is checked against predict() in float64.
import { instantiateComponent, type Predictions, type Table, type TrainedModel } from "@lolpop/core";
import { composeModel, encodeModel } from "@lolpop/onnx";
import { parity } from "../../../packages/onnx/test/helpers.js";
import { cars, type Dataset, penguins, syntheticClassification, toTable } from "../test/fixtures/datasets.js";
import { type RandomForestTrainerConfig, randomForestModelTrainer } from "./index.js";
import type { ForestTrees } from "./random-forest-trees.js";

async function fit(
  d: Dataset,
  engine: "histogram" | "ml-random-forest",
  params: Record<string, unknown>,
): Promise<{ model: TrainedModel; X: Table }> {
  const trainer = await instantiateComponent<"model_trainer", RandomForestTrainerConfig>(
    randomForestModelTrainer,
    {
      config: { engine, n_jobs: 1, training_params: params },
    },
  );
  const table = toTable(d);
  const X = table.select(d.featureNames);
  const model = await trainer.fit({
    problem_type: d.problem,
    X,
    y: table.column("y"),
    ...(d.classes ? { classes: d.classes } : {}),
    seed: 7,
  });
  return { model, X };
}

/** Walks trees() in float64, as the exported ONNX tree ensemble does. */
function walk(forest: ForestTrees, X: Table, names: readonly string[]): Float64Array {
  const cols = names.map((n) => X.numeric(n));
  const V = forest.valueWidth;
  const n = X.numRows;
  const out = new Float64Array(n * V);
  for (let i = 0; i < n; i++) {
    for (const tree of forest.trees) {
      let j = 0;
      while (tree.leaf[j]! < 0) {
        const f = tree.feature[j]!;
        let x = cols[f]![i]!;
        if (forest.impute && !Number.isFinite(x)) x = forest.impute[f]!;
        const goLeft = Number.isNaN(x)
          ? tree.missingLeft[j] === 1
          : forest.split === "<="
            ? x <= tree.threshold[j]!
            : x < tree.threshold[j]!;
        j = goLeft ? tree.left[j]! : tree.right[j]!;
      }
      for (let k = 0; k < V; k++) out[i * V + k]! += tree.values[tree.leaf[j]! * V + k]!;
    }
    for (let k = 0; k < V; k++) out[i * V + k]! /= forest.trees.length;
  }
  return out;
}

function valuesOf(p: Predictions): Float64Array {
  return p.problem_type === "regression" ? p.values : p.proba!;
}

const CASES: Array<{
  name: string;
  data: () => Dataset;
  engine: "histogram" | "ml-random-forest";
  params: Record<string, unknown>;
}> = [
  {
    name: "histogram, 3 classes (penguins)",
    data: penguins,
    engine: "histogram",
    params: { n_estimators: 40, max_depth: 8 },
  },
  {
    name: "histogram, 2 classes (synthetic, 20 features)",
    data: () => syntheticClassification({ n: 1500, features: 20, informative: 5, classes: 2, seed: 3 }),
    engine: "histogram",
    params: { n_estimators: 30 },
  },
  {
    name: "histogram, regression with missing values (cars)",
    data: cars,
    engine: "histogram",
    params: { n_estimators: 40, max_depth: 10 },
  },
  {
    name: "ml-random-forest, 3 classes (penguins)",
    data: penguins,
    engine: "ml-random-forest",
    params: { n_estimators: 10, max_depth: 6 },
  },
  {
    name: "ml-random-forest, regression with missing values (cars)",
    data: cars,
    engine: "ml-random-forest",
    params: { n_estimators: 10, max_depth: 6 },
  },
];

describe.each(CASES)("$name", ({ data, engine, params }) => {
  let model: TrainedModel & { trees(): ForestTrees };
  let X: Table;
  let expected: Predictions;

  beforeAll(async () => {
    const fitted = await fit(data(), engine, params);
    model = fitted.model as TrainedModel & { trees(): ForestTrees };
    X = fitted.X;
    expected = await model.predict(X);
  }, 240_000);

  it("trees() describes the forest that predict() walks", () => {
    const forest = model.trees();
    expect(forest.split).toBe(engine === "histogram" ? "<=" : "<");
    expect(Array.from(walk(forest, X, model.feature_names))).toEqual(Array.from(valuesOf(expected)));
  });

  it("the exported model passes the ONNX checker and predicts like lolpop in both onnxruntimes", async () => {
    const piece = await model.to_onnx!();
    expect(piece.nodes.map((n) => n.op_type)).toEqual([
      ...(engine === "ml-random-forest" ? ["IsNaN", "IsInf", "Or", "Where"] : []),
      expected.problem_type === "classification" ? "TreeEnsembleClassifier" : "TreeEnsembleRegressor",
      ...(expected.problem_type === "regression" ? ["Reshape"] : []),
    ]);
    const onnx = composeModel({
      problem_type: model.problem_type,
      model: piece,
      feature_names: model.feature_names,
      ...(model.classes ? { classes: model.classes } : {}),
    });
    const p = await parity(encodeModel(onnx), X, expected);
    expect(p.checker).toBe("ok");
    if (expected.problem_type === "classification") {
      expect(p.labelMismatches).toEqual({ python: 0, node: 0 });
      expect(p.maxDiff.python).toBeLessThan(1e-5);
      expect(p.maxDiff.node).toBeLessThan(1e-5);
    } else {
      expect(p.maxDiff.python).toBeLessThan(1e-5);
      expect(p.maxDiff.node).toBeLessThan(1e-5);
    }
  }, 120_000);
});
