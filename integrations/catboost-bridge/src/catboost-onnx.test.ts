// ONNX export of CatBoost models through CatBoost's own exporter: the exported model passes the
// ONNX checker and predicts like lolpop (the native scorer) in onnxruntime (Python, from the test
// venv) and onnxruntime-node: identical labels, probabilities within 1e-5, regression values
// within 1e-5 (relative); on numeric features with missing values.
import type { Column, ProblemType } from "@lolpop/core";
import { composeModel, encodeModel, OnnxExportError } from "@lolpop/onnx";
import { parity } from "../../../packages/onnx/test/helpers.js";
import { makeTrainer, synthetic } from "../test/helpers.js";
import { type CatBoostModel, closeCatBoostWorkers } from "./index.js";

const TIMEOUT = 180_000;
const train = synthetic(1500, 6, 31, 0.05);
const test = synthetic(1500, 6, 32, 0.05);

afterAll(async () => {
  await closeCatBoostWorkers();
});

const cases: Array<[string, ProblemType, (d: typeof train) => Column, Record<string, unknown>]> = [
  ["binary (Logloss)", "classification", (d) => d.y.binary, {}],
  ["multiclass (MultiClass)", "classification", (d) => d.y.multi, {}],
  ["regression (RMSE)", "regression", (d) => d.y.regression, {}],
  ["binary, nan_mode Max", "classification", (d) => d.y.binary, { nan_mode: "Max" }],
];

describe("CatBoost models as ONNX", () => {
  it.each(cases)(
    "%s: 200 trees of depth 6 predict like lolpop in both onnxruntimes",
    async (_name, problem, target, extra) => {
      const { trainer } = await makeTrainer({ training_params: { iterations: 200, depth: 6, ...extra } });
      const m = (await trainer.fit({
        problem_type: problem,
        X: train.numeric,
        y: target(train),
      })) as CatBoostModel;
      expect(m.scoring).toBe("native");
      const expected = await m.predict(test.numeric);
      const onnx = composeModel({
        problem_type: problem,
        model: await m.to_onnx(),
        feature_names: m.feature_names,
        ...(m.classes ? { classes: m.classes } : {}),
      });
      expect(onnx.graph.nodes.some((n) => n.op_type === "ZipMap")).toBe(false);
      const p = await parity(encodeModel(onnx), test.numeric, expected);
      expect(p.checker).toBe("ok");
      if (problem === "classification") expect(p.labelMismatches).toEqual({ python: 0, node: 0 });
      expect(p.maxDiff.python).toBeLessThan(1e-5);
      expect(p.maxDiff.node).toBeLessThan(1e-5);
    },
    TIMEOUT,
  );
});

describe("what CatBoost's ONNX export cannot carry is refused, by name", () => {
  it(
    "categorical features inside the model",
    async () => {
      const { trainer } = await makeTrainer({ training_params: { iterations: 20 } });
      const m = (await trainer.fit({
        problem_type: "classification",
        X: train.withCategory,
        y: train.y.binary,
      })) as CatBoostModel;
      const err = await m.to_onnx().catch((e: unknown) => e);
      expect(OnnxExportError.isInstance(err)).toBe(true);
      expect((err as Error).message).toMatch(
        /treats "color" as categorical features, and CatBoost's ONNX export has no categorical features.*LocalFeatureTransformer with encoding onehot or ordinal/,
      );
      expect((err as OnnxExportError).unsupported).toBe('categorical feature "color" inside CatBoost');
    },
    TIMEOUT,
  );

  it(
    "a loss whose output transform the export does not apply",
    async () => {
      const { trainer } = await makeTrainer({
        training_params: { iterations: 20, loss_function: "Poisson" },
      });
      const y = train.y.regression as Column & { type: "numeric" };
      const counts = Float64Array.from(y.values, (v) => Math.max(0, Math.round(v + 5)));
      const m = (await trainer.fit({
        problem_type: "regression",
        X: train.numeric,
        y: { type: "numeric", values: counts, logical: "float" },
      })) as CatBoostModel;
      await expect(m.to_onnx()).rejects.toThrow(/loss_function Poisson is not supported/);
    },
    TIMEOUT,
  );
});
