#!/usr/bin/env node
// Why does the histogram forest have more nodes than scikit-learn's for the same settings? Fits
// ours and scikit-learn's RandomForestClassifier on the same seeded rows (the predict benchmark's
// data and settings: max_depth 16, max_features sqrt), plus scikit-learn on those rows binned to 255
// quantile bins like ours, and prints node counts, depth histograms and leaf sizes side by side.
// Usage: node bench/tree-structure.mjs [--train N] [--trees N]   (needs `pnpm build` and the venv)
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiateComponent } from "@lolpop/core";
import { randomForestModelTrainer } from "../dist/index.js";
import { F, makeData, python, rowMajor, table } from "./bench-data.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const TRAIN = arg("--train", 100_000);
const SETTINGS = { n_estimators: arg("--trees", 10), max_depth: 16, max_features: "sqrt" };
const data = makeData(TRAIN, 2024);
const dir = mkdtempSync(join(tmpdir(), "lolpop-rf-structure-"));
try {
  writeFileSync(join(dir, "X.f64"), rowMajor(data, 0, TRAIN));
  writeFileSync(join(dir, "y.i32"), data.y.subarray(0, TRAIN));
  const params = {
    ...SETTINGS,
    min_samples_split: 2,
    min_samples_leaf: 1,
    bootstrap: true,
    criterion: "gini",
  };
  writeFileSync(
    join(dir, "spec.json"),
    JSON.stringify({ X: join(dir, "X.f64"), y: join(dir, "y.i32"), F, params, seed: 0 }),
  );
  const sk = JSON.parse(
    execFileSync(python, [join(here, "tree_structure.py"), join(dir, "spec.json")], { encoding: "utf8" }),
  );
  const trainer = await instantiateComponent(randomForestModelTrainer, {
    config: { training_params: SETTINGS, seed: 0, n_jobs: 2 },
  });
  const train = table(data, 0, TRAIN);
  const model = await trainer.fit({
    problem_type: "classification",
    X: train.drop(["y"]),
    y: train.column("y"),
    classes: ["a", "b"],
  });
  const depths = [];
  let nodes = 0;
  let leaves = 0;
  for (const t of model.trees().trees) {
    const depth = new Int32Array(t.feature.length);
    for (let i = 0; i < t.feature.length; i++) {
      depths[depth[i]] = (depths[depth[i]] ?? 0) + 1;
      if (t.feature[i] < 0) leaves++;
      else depth[t.left[i]] = depth[t.right[i]] = depth[i] + 1;
    }
    nodes += t.feature.length;
  }
  const result = {
    train_rows: TRAIN,
    settings: SETTINGS,
    lolpop: { nodes, depth_histogram: Array.from(depths, (d) => d ?? 0), leaves },
    ...sk,
  };
  console.log(
    `nodes: lolpop ${nodes}, scikit-learn ${sk.sklearn.nodes} (${(nodes / sk.sklearn.nodes).toFixed(3)}x), ` +
      `scikit-learn on 255 bins ${sk.sklearn_on_255_bins.nodes} (${(nodes / sk.sklearn_on_255_bins.nodes).toFixed(3)}x)`,
  );
  console.log(JSON.stringify(result));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
