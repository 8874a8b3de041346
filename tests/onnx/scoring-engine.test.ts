// `scoring_engine: onnx` on RandomForestModelTrainer: predict runs the forest's ONNX piece in
// onnxruntime-node. On the penguins and cars quickstart data, for both forest engines, its
// predictions equal the default engine's (identical labels, probabilities within 1e-5, regression
// values within 1e-5 relative), after fit and after save + load; and a workflow's predict step
// with the option writes the same predictions as without it.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type DataConnector,
  type FeatureTransformer,
  instantiateComponent,
  type ModelTrainer,
  type Predictions,
  type ProblemType,
  type Table,
} from "@lolpop/core";
import { localDataConnector, localFeatureTransformer } from "@lolpop/local";
import { randomForestModelTrainer } from "@lolpop/random-forest";
import { maxAbsDiff, maxRelDiff } from "../../packages/onnx/test/helpers.js";
import { lolpop, repoRoot, tempProject } from "../helpers.js";
import { penguinsProject, penguinsYaml } from "../penguins.js";

const QUICKSTARTS: Array<{ name: string; problem: ProblemType; target: string }> = [
  { name: "penguins", problem: "classification", target: "species" },
  { name: "cars", problem: "regression", target: "Miles_per_Gallon" },
];
const ENGINES = [
  { engine: "histogram", training_params: { n_estimators: 30, max_depth: 8 }, n_jobs: 1 },
  { engine: "ml-random-forest", training_params: { n_estimators: 10, max_depth: 6 } },
];

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** onnxruntime's outputs are float32: every value of the ONNX path is a float32 value, lolpop's are not all. */
function float32Only(p: Predictions): boolean {
  const values = p.problem_type === "regression" ? p.values : p.proba!;
  return Array.from(values).every((v) => Math.fround(v) === v);
}

function compare(onnx: Predictions, ours: Predictions): number {
  expect(float32Only(onnx)).toBe(true);
  expect(float32Only(ours)).toBe(false);
  if (ours.problem_type === "regression") {
    if (onnx.problem_type !== "regression") throw new Error("not a regressor");
    return maxRelDiff(onnx.values, ours.values);
  }
  if (onnx.problem_type !== "classification") throw new Error("not a classifier");
  expect(Array.from(onnx.labels)).toEqual(Array.from(ours.labels));
  expect(onnx.classes).toEqual(ours.classes);
  return maxAbsDiff(onnx.proba!, ours.proba!);
}

describe.each(QUICKSTARTS)("$name quickstart", (q) => {
  let train: Table;
  let X: Table;
  let freshX: Table;

  beforeAll(async () => {
    const dir = tempProject(`lolpop-scoring-${q.name}-`);
    dirs.push(dir);
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
    train = (await read("train.csv")).withRoles({ [q.target]: "target", id: "index" });
    const fresh = await read("new.csv");
    const ft = (await instantiateComponent(localFeatureTransformer, {})) as FeatureTransformer;
    const features = train.columnsWithRole("feature");
    await ft.fit(train.select(features));
    X = await ft.transform(train.select(features));
    freshX = await ft.transform(fresh.select(features));
  }, 120_000);

  it.each(ENGINES)(
    "$engine forest: scoring_engine onnx predicts like the default, after fit and after save + load",
    async ({ engine, training_params, n_jobs }) => {
      const trainer = async (scoring?: string) =>
        (await instantiateComponent(randomForestModelTrainer, {
          config: {
            engine,
            training_params,
            ...(n_jobs ? { n_jobs } : {}),
            ...(scoring ? { scoring_engine: scoring } : {}),
          },
        })) as ModelTrainer;
      const input = { problem_type: q.problem, X, y: train.column(q.target), seed: 42 };
      const ours = await (await trainer()).fit(input);
      const viaOnnx = await (await trainer("onnx")).fit(input);
      const expected = await ours.predict(freshX);
      expect(compare(await viaOnnx.predict(freshX), expected)).toBeLessThan(1e-5);
      // Saved and loaded by a trainer configured for onnx: still the same forest, through onnxruntime.
      const saved = mkdtempSync(join(tmpdir(), "lolpop-scoring-saved-"));
      dirs.push(saved);
      await viaOnnx.save(saved);
      const loaded = await (await trainer("onnx")).load(saved);
      expect(loaded.params).toEqual(ours.params);
      expect(compare(await loaded.predict(freshX), expected)).toBeLessThan(1e-5);
    },
    300_000,
  );
});

it("a workflow with scoring_engine: onnx writes the same predictions as without it", () => {
  const run = (yaml: string) => {
    const dir = penguinsProject("lolpop-scoring-wf-");
    dirs.push(dir);
    writeFileSync(join(dir, "lolpop.yaml"), yaml);
    const r = lolpop(["run", "--step", "all"], dir);
    expect(r.code).toBe(0);
    const [header, ...rows] = readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")
      .trimEnd()
      .split("\n");
    return { header: header!.split(","), rows: rows.map((r) => r.split(",")) };
  };
  const base = penguinsYaml();
  const withOnnx = base.replace(
    "  model_trainer:\n    config:\n",
    "  model_trainer:\n    config:\n      scoring_engine: onnx\n",
  );
  expect(withOnnx).not.toBe(base);
  const a = run(base);
  const b = run(withOnnx);
  expect(b.header).toEqual(a.header);
  expect(b.rows.length).toBe(68);
  const pred = a.header.indexOf("prediction");
  let maxDiff = 0;
  a.rows.forEach((row, i) => {
    expect(b.rows[i]![pred]).toBe(row[pred]);
    a.header.forEach((h, j) => {
      if (h.startsWith("proba_"))
        maxDiff = Math.max(maxDiff, Math.abs(Number(b.rows[i]![j]) - Number(row[j])));
    });
  });
  expect(maxDiff).toBeLessThan(1e-5);
  // The onnx run's probabilities came out of onnxruntime (float32 values); the default run's did not.
  const probas = (t: { header: string[]; rows: string[][] }) =>
    t.rows.flatMap((row) => t.header.flatMap((h, j) => (h.startsWith("proba_") ? [Number(row[j])] : [])));
  expect(probas(b).every((v) => Math.fround(v) === v)).toBe(true);
  expect(probas(a).every((v) => Math.fround(v) === v)).toBe(false);
}, 300_000);
