#!/usr/bin/env node
// Benchmark of RandomForestModelTrainer's histogram engine, side by side in one run with:
//  - scikit-learn 1.9.1 RandomForestClassifier (n_jobs=2, same n_estimators, max_depth, max_features)
//    on 50,000 x 20 and 500,000 x 20 classification (fit on N rows, predict N held-out rows);
//  - the ml-random-forest engine on 5,000 x 20 (same trainer, engine switched);
//  - peak RSS of a separate process that fits and predicts 1,000,000 x 20 (limit: 2 GiB).
// Data: seeded Gaussian clusters (20 features, 8 informative, 2 classes, 3% label noise), generated
// here and handed to Python as raw float64. Prints a table and ratios (ours / reference: < 1 = faster).
// Usage: node bench/histogram.mjs [--quick]   (needs `pnpm build`; the Python venv from `pnpm python:setup`)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiateComponent } from "@lolpop/core";
import { randomForestModelTrainer } from "../dist/index.js";
import { F, makeData, table } from "./data.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");
const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");
const reference = join(here, "..", "python", "sklearn_reference.py");
const quick = process.argv.includes("--quick");

/** Settings shared by both sides. */
const SETTINGS = { n_estimators: 30, max_depth: 16, max_features: "sqrt" };
/** ml-random-forest is ~100x slower: fewer trees for that comparison (same on both sides). */
const ML_SETTINGS = { n_estimators: 5, max_depth: 16, max_features: "sqrt" };

function accuracy(pred, y, start) {
  let ok = 0;
  for (let i = 0; i < pred.labels.length; i++) if (pred.labels[i] === y[start + i]) ok++;
  return ok / pred.labels.length;
}

async function runOurs(data, n, config) {
  const trainer = await instantiateComponent(randomForestModelTrainer, { config });
  const train = table(data, 0, n);
  const test = table(data, n, 2 * n);
  let t0 = performance.now();
  const model = await trainer.fit({
    problem_type: "classification",
    X: train.drop(["y"]),
    y: train.column("y"),
    classes: ["a", "b"],
  });
  const fit_s = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const pred = await model.predict(test.drop(["y"]));
  const predict_s = (performance.now() - t0) / 1000;
  return { fit_s, predict_s, score: accuracy(pred, data.y, n) };
}

function runSklearn(data, n, dir) {
  const X = new Float64Array(2 * n * F);
  for (let i = 0; i < 2 * n; i++) for (let f = 0; f < F; f++) X[i * F + f] = data.columns[f][i];
  writeFileSync(join(dir, "X.f64"), X);
  writeFileSync(join(dir, "y.i32"), data.y.subarray(0, 2 * n));
  writeFileSync(
    join(dir, "train.i32"),
    Int32Array.from({ length: n }, (_, i) => i),
  );
  writeFileSync(
    join(dir, "test.i32"),
    Int32Array.from({ length: n }, (_, i) => n + i),
  );
  const spec = {
    task: "classification",
    X: join(dir, "X.f64"),
    y: join(dir, "y.i32"),
    n: 2 * n,
    F,
    params: { ...SETTINGS, min_samples_split: 2, min_samples_leaf: 1, bootstrap: true, criterion: "gini" },
    n_jobs: 2,
    runs: [{ train: join(dir, "train.i32"), test: join(dir, "test.i32"), seed: 0 }],
  };
  writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
  const out = JSON.parse(
    execFileSync(python, [reference, join(dir, "spec.json")], { encoding: "utf8", maxBuffer: 1 << 26 }),
  );
  return { ...out.runs[0], peak_rss_mb: out.peak_rss_mb };
}

const fmt = (s) => `${s.toFixed(2)} s`;
const ratio = (a, b) => +(a / b).toFixed(3);

// --------------------------------------------------------------- memory child
if (process.argv.includes("--memory-child")) {
  const n = Number(process.argv[process.argv.indexOf("--memory-child") + 1]);
  const data = makeData(n, 7);
  const trainer = await instantiateComponent(randomForestModelTrainer, {
    config: { training_params: SETTINGS, seed: 1 },
  });
  const X = table(data, 0, n);
  const t0 = performance.now();
  const model = await trainer.fit({ problem_type: "classification", X: X.drop(["y"]), y: X.column("y") });
  const fit_s = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  await model.predict(X.drop(["y"]));
  const predict_s = (performance.now() - t1) / 1000;
  // maxRSS is in KiB; worker threads share the process, so this covers them too.
  console.log(JSON.stringify({ n, fit_s, predict_s, peak_rss_mb: process.resourceUsage().maxRSS / 1024 }));
  process.exit(0);
}

// --------------------------------------------------------------- main
if (!existsSync(python)) {
  console.error(
    `The benchmark compares with scikit-learn from the project's Python venv, but ${python} does not exist. Run \`pnpm python:setup\` at the repo root first.`,
  );
  process.exit(1);
}
console.log(
  `histogram engine benchmark: ${availableParallelism()} cores, n_jobs default (${availableParallelism()}), ` +
    `scikit-learn n_jobs=2; settings ${JSON.stringify(SETTINGS)}${quick ? " (--quick)" : ""}`,
);
const rows = [];
const dir = mkdtempSync(join(tmpdir(), "lolpop-rf-bench-"));
try {
  for (const n of quick ? [50_000] : [50_000, 500_000]) {
    const data = makeData(2 * n, n);
    const ours = await runOurs(data, n, { training_params: SETTINGS, seed: 0 });
    const sk = runSklearn(data, n, dir);
    rows.push({
      case: `${n.toLocaleString("en")} x ${F} vs scikit-learn`,
      ours,
      ref: sk,
      fit_ratio: ratio(ours.fit_s, sk.fit_s),
      predict_ratio: ratio(ours.predict_s, sk.predict_s),
    });
    console.log(
      `${rows.at(-1).case}: fit ${fmt(ours.fit_s)} vs ${fmt(sk.fit_s)} (ratio ${rows.at(-1).fit_ratio}), ` +
        `predict ${fmt(ours.predict_s)} vs ${fmt(sk.predict_s)} (ratio ${rows.at(-1).predict_ratio}), ` +
        `accuracy ${ours.score.toFixed(4)} vs ${sk.score.toFixed(4)}; scikit-learn peak RSS ${Math.round(sk.peak_rss_mb)} MB`,
    );
  }
  {
    const n = 5_000;
    const data = makeData(2 * n, n);
    const ours = await runOurs(data, n, { training_params: ML_SETTINGS, seed: 0 });
    const ml = await runOurs(data, n, { engine: "ml-random-forest", training_params: ML_SETTINGS, seed: 0 });
    rows.push({
      case: `${n.toLocaleString("en")} x ${F} vs ml-random-forest (${JSON.stringify(ML_SETTINGS)})`,
      ours,
      ref: ml,
      fit_ratio: ratio(ours.fit_s, ml.fit_s),
      predict_ratio: ratio(ours.predict_s, ml.predict_s),
    });
    console.log(
      `${rows.at(-1).case}: fit ${fmt(ours.fit_s)} vs ${fmt(ml.fit_s)} (ratio ${rows.at(-1).fit_ratio}), ` +
        `predict ${fmt(ours.predict_s)} vs ${fmt(ml.predict_s)} (ratio ${rows.at(-1).predict_ratio}), ` +
        `accuracy ${ours.score.toFixed(4)} vs ${ml.score.toFixed(4)}`,
    );
  }
  if (!quick) {
    const n = 1_000_000;
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), "--memory-child", String(n)], {
      encoding: "utf8",
      maxBuffer: 1 << 24,
    });
    if (child.status !== 0) throw new Error(`memory run failed (${child.status}): ${child.stderr}`);
    const mem = JSON.parse(child.stdout.trim().split("\n").at(-1));
    rows.push({ case: `peak RSS, fit + predict ${n.toLocaleString("en")} x ${F}`, ...mem, limit_mb: 2048 });
    console.log(
      `peak RSS fitting and predicting ${n.toLocaleString("en")} x ${F}: ${Math.round(mem.peak_rss_mb)} MB ` +
        `(limit 2048 MB, ratio ${ratio(mem.peak_rss_mb, 2048)}); fit ${fmt(mem.fit_s)}, predict ${fmt(mem.predict_s)}`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  JSON.stringify({ benchmark: "@lolpop/random-forest histogram engine", settings: SETTINGS, rows }),
);
