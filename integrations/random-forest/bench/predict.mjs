#!/usr/bin/env node
// Random-forest prediction, side by side in one run with scikit-learn's predict_proba (n_jobs=2):
// a forest of 100 trees fitted on 500,000 x 20 rows (both sides fit their own forest on the same
// rows with the same settings), then probabilities of 125,000 held-out rows. The two sides' predict
// calls alternate (scikit-learn runs in a Python process that waits for a request), and the medians
// are compared: ratio = lolpop / scikit-learn (< 1 = faster). Also checks that both forests agree on
// most labels (they are different random forests, so not on every row).
// Usage: node bench/predict.mjs [--runs N] [--train N] [--rows N] [--trees N]
//   (needs `pnpm build`; the Python venv from `pnpm python:setup`, or LOLPOP_VENV)
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { instantiateComponent } from "@lolpop/core";
import { randomForestModelTrainer } from "../dist/index.js";
import { F, makeData, python, rowMajor, table } from "./bench-data.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("--runs", 7);
const TRAIN = arg("--train", 500_000);
const ROWS = arg("--rows", 125_000);
const SETTINGS = { n_estimators: arg("--trees", 100), max_depth: 16, max_features: "sqrt" };
const N_JOBS = 2;

if (!existsSync(python)) {
  console.error(
    `no Python at ${python}: run \`pnpm python:setup\` at the repo root first (or set LOLPOP_VENV)`,
  );
  process.exit(1);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), "lolpop-rf-predict-"));
try {
  const data = makeData(TRAIN + ROWS, 2024);
  writeFileSync(join(dir, "X_train.f64"), rowMajor(data, 0, TRAIN));
  writeFileSync(join(dir, "y_train.i32"), data.y.subarray(0, TRAIN));
  writeFileSync(join(dir, "X_test.f64"), rowMajor(data, TRAIN, TRAIN + ROWS));
  writeFileSync(
    join(dir, "spec.json"),
    JSON.stringify({
      X_train: join(dir, "X_train.f64"),
      y_train: join(dir, "y_train.i32"),
      X_test: join(dir, "X_test.f64"),
      F,
      params: { ...SETTINGS, min_samples_split: 2, min_samples_leaf: 1, bootstrap: true, criterion: "gini" },
      n_jobs: N_JOBS,
      seed: 0,
    }),
  );
  // scikit-learn fits in its own process while we fit here (both sides get the same machine load).
  const py = spawn(python, [join(here, "sklearn_predict.py"), join(dir, "spec.json")], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
  const nextJson = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error("the scikit-learn process ended early");
    return JSON.parse(value);
  };
  const trainer = await instantiateComponent(randomForestModelTrainer, {
    config: { training_params: SETTINGS, seed: 0, n_jobs: N_JOBS },
  });
  const train = table(data, 0, TRAIN);
  const t0 = performance.now();
  const model = await trainer.fit({
    problem_type: "classification",
    X: train.drop(["y"]),
    y: train.column("y"),
    classes: ["a", "b"],
  });
  const fitS = (performance.now() - t0) / 1000;
  const skFit = await nextJson();
  const test = table(data, TRAIN, TRAIN + ROWS).drop(["y"]);
  await model.predict(test.slice(0, 1000)); // warm up
  const ours = [];
  const ref = [];
  let proba;
  for (let r = 0; r < RUNS; r++) {
    // alternate which side goes first
    const runOurs = async () => {
      const t = performance.now();
      proba = (await model.predict(test)).proba;
      ours.push((performance.now() - t) / 1000);
    };
    const runRef = async () => {
      py.stdin.write(r === 0 ? `proba ${join(dir, "proba.f64")}\n` : "time\n");
      ref.push((await nextJson()).predict_s);
    };
    if (r % 2 === 0) {
      await runOurs();
      await runRef();
    } else {
      await runRef();
      await runOurs();
    }
  }
  py.stdin.end();
  const skProba = new Float64Array(readFileSync(join(dir, "proba.f64")).buffer.slice(0));
  let agree = 0;
  let correct = 0;
  for (let i = 0; i < ROWS; i++) {
    const p = proba[2 * i + 1];
    if (p > 0.5 === skProba[i] > 0.5) agree++;
    if ((p > 0.5 ? 1 : 0) === data.y[TRAIN + i]) correct++;
  }
  const o = median(ours);
  const s = median(ref);
  const result = {
    benchmark: "@lolpop/random-forest predict vs scikit-learn predict_proba",
    cores: availableParallelism(),
    load: loadavg()[0],
    settings: SETTINGS,
    train_rows: TRAIN,
    rows: ROWS,
    n_jobs: N_JOBS,
    runs: RUNS,
    nodes: { ours: model.n_nodes, sklearn: skFit.nodes },
    fit_s: { ours: +fitS.toFixed(2), sklearn: +skFit.fit_s.toFixed(2) },
    predict_s: { ours: +o.toFixed(4), sklearn: +s.toFixed(4) },
    ratio: +(o / s).toFixed(3),
    goal: "<= 1.0",
    label_agreement: +(agree / ROWS).toFixed(4),
    accuracy: +(correct / ROWS).toFixed(4),
  };
  console.log(
    `random-forest predict ${ROWS.toLocaleString("en")} rows, ${SETTINGS.n_estimators} trees fitted on ${TRAIN.toLocaleString("en")} x ${F} ` +
      `(${model.n_nodes} nodes): lolpop ${o.toFixed(3)} s vs scikit-learn predict_proba n_jobs=${N_JOBS} ${s.toFixed(3)} s, ` +
      `ratio ${result.ratio} (goal <= 1.0); medians of ${RUNS} alternating runs, load ${result.load.toFixed(1)}`,
  );
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
