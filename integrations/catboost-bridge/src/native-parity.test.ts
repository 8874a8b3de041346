// Native TypeScript scoring against CatBoost's own predictions (Python `predict_proba` / `predict`),
// on models with hundreds of depth-6 trees and missing values.
import type { ClassificationPredictions, Column, ProblemType, RegressionPredictions } from "@lolpop/core";
import { makeTrainer, maxRelativeDiff, synthetic } from "../test/helpers.js";
import { type CatBoostModel, closeCatBoostWorkers } from "./index.js";

/** Per-test timeout: jest's testTimeout is not applied per project when the root config runs every package. */
const TIMEOUT = 120_000;

const train = synthetic(2000, 8, 21, 0.05);
const test = synthetic(2000, 8, 22, 0.05);

afterAll(async () => {
  await closeCatBoostWorkers();
});

const cases: Array<[string, ProblemType, (d: typeof train) => Column, Record<string, unknown>]> = [
  ["binary (Logloss)", "classification", (d) => d.y.binary, {}],
  ["multiclass (MultiClass)", "classification", (d) => d.y.multi, {}],
  ["regression (RMSE)", "regression", (d) => d.y.regression, {}],
  ["binary, nan_mode Max", "classification", (d) => d.y.binary, { nan_mode: "Max" }],
  ["multiclass, Depthwise trees", "classification", (d) => d.y.multi, { grow_policy: "Depthwise" }],
  [
    "regression, Lossguide trees",
    "regression",
    (d) => d.y.regression,
    { grow_policy: "Lossguide", max_leaves: 31 },
  ],
];

describe("native scoring equals CatBoost's predictions", () => {
  it.each(cases)(
    "%s: 300 trees of depth 6, within 1e-9 relative",
    async (_name, problem, target, extra) => {
      const { trainer } = await makeTrainer({ training_params: { iterations: 300, depth: 6, ...extra } });
      const m = (await trainer.fit({
        problem_type: problem,
        X: train.numeric,
        y: target(train),
      })) as CatBoostModel;
      expect(m.scoring).toBe("native");
      expect(m.tree_count).toBe(300);
      const native = await m.predict(test.numeric);
      const python = await m.predict(test.numeric, { scoring: "python" });
      const a =
        native.problem_type === "classification" ? native.proba! : (native as RegressionPredictions).values;
      const b =
        python.problem_type === "classification" ? python.proba! : (python as RegressionPredictions).values;
      expect(a.length).toBe(b.length);
      expect(maxRelativeDiff(a, b)).toBeLessThanOrEqual(1e-9);
      if (native.problem_type === "classification")
        expect(Array.from(native.labels)).toEqual(Array.from((python as ClassificationPredictions).labels));
      // Raw scores (RawFormulaVal) agree too.
      expect(
        maxRelativeDiff(
          await m.raw_scores(test.numeric, "native"),
          await m.raw_scores(test.numeric, "python"),
        ),
      ).toBeLessThanOrEqual(1e-9);
    },
    TIMEOUT,
  );

  it(
    "Poisson regression (exp of the raw score) matches too",
    async () => {
      const counts = Float64Array.from((train.y.regression as { values: Float64Array }).values, (v) =>
        Math.max(0, Math.round(Math.abs(v))),
      );
      const { trainer } = await makeTrainer({
        training_params: { iterations: 200, loss_function: "Poisson" },
      });
      const m = (await trainer.fit({
        problem_type: "regression",
        X: train.numeric,
        y: { type: "numeric", values: counts, logical: "float" },
      })) as CatBoostModel;
      expect(m.scoring).toBe("native");
      const a = ((await m.predict(test.numeric)) as RegressionPredictions).values;
      const b = ((await m.predict(test.numeric, { scoring: "python" })) as RegressionPredictions).values;
      expect(maxRelativeDiff(a, b)).toBeLessThanOrEqual(1e-9);
      expect(Math.min(...a)).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    "a large input, scored on worker threads (thread_count 2), equals CatBoost's predictions too",
    async () => {
      const big = synthetic(30_000, 8, 23, 0.05);
      const { trainer } = await makeTrainer({
        training_params: { iterations: 300, depth: 6, loss_function: "MultiClass" },
        thread_count: 2,
      });
      const m = (await trainer.fit({
        problem_type: "classification",
        X: train.numeric,
        y: train.y.multi,
      })) as CatBoostModel;
      expect(m.scoring).toBe("native");
      const native = (await m.predict(big.numeric)) as ClassificationPredictions;
      const python = (await m.predict(big.numeric, { scoring: "python" })) as ClassificationPredictions;
      expect(maxRelativeDiff(native.proba!, python.proba!)).toBeLessThanOrEqual(1e-9);
      expect(Array.from(native.labels)).toEqual(Array.from(python.labels));
    },
    TIMEOUT,
  );
});
