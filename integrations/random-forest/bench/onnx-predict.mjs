#!/usr/bin/env node
// Benchmark of predicting with a random forest three ways, side by side in one run:
//  - lolpop's histogram engine (`model.predict`, default n_jobs);
//  - the same forest exported to ONNX (`model.to_onnx()` + composeModel) and scored by
//    onnxruntime-node through @lolpop/onnx's OnnxScorer (onnxruntime's default threads);
//  - the predict path of `scoring_engine: onnx` (the trainer's option: the saved forest loaded by a
//    trainer configured with it, `model.predict` through onnxruntime-node, table to tensors included);
//  - scikit-learn 1.9.1 `predict_proba` on the equivalent forest: RandomForestClassifier fitted on the
//    same rows with the same settings (n_jobs=2).
// 100,000 x 20 rows predicted (after fitting on 100,000 others); each time is the median of 3 runs
// after a warm-up. The ONNX run's labels and probabilities are checked against lolpop's on every row.
// Prints ratios (lolpop / reference: < 1 = lolpop faster).
// Usage: node bench/onnx-predict.mjs [--quick]   (needs `pnpm build`; the Python venv from `pnpm python:setup`)
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { instantiateComponent } from "@lolpop/core";
import { composeModel, encodeModel, OnnxScorer } from "@lolpop/onnx";
import { randomForestModelTrainer } from "../dist/index.js";
import { F, makeData, python, runSklearn, table } from "./bench-data.mjs";

const quick = process.argv.includes("--quick");
const N = quick ? 20_000 : 100_000;
const REPEATS = 3;
/** Settings of both forests (those of histogram.mjs). */
const SETTINGS = { n_estimators: 30, max_depth: 16, max_features: "sqrt" };

async function median(run) {
  await run(); // warm-up
  const times = [];
  for (let r = 0; r < REPEATS; r++) {
    const t0 = performance.now();
    await run();
    times.push((performance.now() - t0) / 1000);
  }
  return times.sort((a, b) => a - b)[Math.floor(REPEATS / 2)];
}

if (!existsSync(python)) {
  console.error(
    `The benchmark compares with scikit-learn from the project's Python venv, but ${python} does not exist. Run \`pnpm python:setup\` at the repo root first.`,
  );
  process.exit(1);
}
console.log(
  `forest predict benchmark (lolpop vs onnxruntime-node vs scikit-learn): ${availableParallelism()} cores, ` +
    `${N.toLocaleString("en")} x ${F} rows, settings ${JSON.stringify(SETTINGS)}${quick ? " (--quick)" : ""}`,
);
const data = makeData(2 * N, 2026);
const train = table(data, 0, N);
const test = table(data, N, 2 * N).drop(["y"]);
const trainer = await instantiateComponent(randomForestModelTrainer, {
  config: { training_params: SETTINGS, seed: 0 },
});
const model = await trainer.fit({
  problem_type: "classification",
  X: train.drop(["y"]),
  y: train.column("y"),
  classes: ["a", "b"],
});

let expected;
const lolpop_s = await median(async () => {
  expected = await model.predict(test);
});

const t0 = performance.now();
const onnx = encodeModel(
  composeModel({
    problem_type: "classification",
    model: await model.to_onnx(),
    feature_names: model.feature_names,
    classes: model.classes,
  }),
);
const export_s = (performance.now() - t0) / 1000;
const scorer = await OnnxScorer.create(onnx);
let got;
let onnx_s;
try {
  onnx_s = await median(async () => {
    got = await scorer.predict(test);
  });
} finally {
  await scorer.close();
}
let mismatches = 0;
let maxDiff = 0;
const check = (p) => {
  for (let i = 0; i < N; i++) if (p.labels[i] !== expected.labels[i]) mismatches++;
  for (let i = 0; i < expected.proba.length; i++)
    maxDiff = Math.max(maxDiff, Math.abs(p.proba[i] - expected.proba[i]));
};
check(got);

// scoring_engine: onnx, as predict uses it: the saved forest loaded by a trainer with the option.
const savedDir = mkdtempSync(join(tmpdir(), "lolpop-rf-onnx-bench-model-"));
let engine_s;
try {
  await model.save(savedDir);
  const onnxTrainer = await instantiateComponent(randomForestModelTrainer, {
    config: { training_params: SETTINGS, seed: 0, scoring_engine: "onnx" },
  });
  const viaEngine = await onnxTrainer.load(savedDir);
  let engineGot;
  engine_s = await median(async () => {
    engineGot = await viaEngine.predict(test);
  });
  check(engineGot);
} finally {
  rmSync(savedDir, { recursive: true, force: true });
}

const dir = mkdtempSync(join(tmpdir(), "lolpop-rf-onnx-bench-"));
let sk;
try {
  sk = runSklearn(data, N, dir, SETTINGS, REPEATS);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ratio = (a, b) => +(a / b).toFixed(3);
const fmt = (s) => `${s.toFixed(3)} s`;
const result = {
  benchmark: "@lolpop/random-forest predict: lolpop vs onnxruntime-node vs scikit-learn",
  rows: N,
  features: F,
  settings: SETTINGS,
  lolpop_s,
  onnxruntime_node_s: onnx_s,
  scoring_engine_onnx_s: engine_s,
  sklearn_predict_proba_s: sk.predict_s,
  onnx_bytes: onnx.length,
  export_s,
  onnx_parity: { label_mismatches: mismatches, max_probability_diff: maxDiff },
  ratios: {
    lolpop_over_onnxruntime_node: ratio(lolpop_s, onnx_s),
    lolpop_over_sklearn: ratio(lolpop_s, sk.predict_s),
    onnxruntime_node_over_sklearn: ratio(onnx_s, sk.predict_s),
    lolpop_over_scoring_engine_onnx: ratio(lolpop_s, engine_s),
    scoring_engine_onnx_over_sklearn: ratio(engine_s, sk.predict_s),
  },
};
console.log(
  `predict ${N.toLocaleString("en")} rows: lolpop ${fmt(lolpop_s)}, onnxruntime-node ${fmt(onnx_s)}, ` +
    `scoring_engine onnx ${fmt(engine_s)}, ` +
    `scikit-learn predict_proba ${fmt(sk.predict_s)}\n` +
    `ratios: lolpop / onnxruntime-node ${result.ratios.lolpop_over_onnxruntime_node}, ` +
    `lolpop / scikit-learn ${result.ratios.lolpop_over_sklearn}, ` +
    `onnxruntime-node / scikit-learn ${result.ratios.onnxruntime_node_over_sklearn}, ` +
    `lolpop / scoring_engine onnx ${result.ratios.lolpop_over_scoring_engine_onnx}\n` +
    `ONNX export ${fmt(export_s)} (${(onnx.length / 1e6).toFixed(1)} MB); ONNX (both paths) vs lolpop on every row: ` +
    `${mismatches} label mismatches, max probability difference ${maxDiff.toExponential(2)}`,
);
console.log(JSON.stringify(result));
if (mismatches > 0 || maxDiff > 1e-5) {
  console.error("the ONNX model does not predict like lolpop");
  process.exit(1);
}
