#!/usr/bin/env node
// One side of bench/predict.mjs: loads a saved random-forest model with the build in DIST (a
// `dist/` folder of @lolpop/random-forest: this package's, or another checkout's for a before/after
// run) and times `predict` on the test rows once per line read from stdin, so the sides alternate.
// Usage: node bench/predict-serve.mjs DIST MODEL_DIR X_TEST.f64 FEATURES N_JOBS
// Prints {"ready": true, "nodes"}, then per request {"predict_s", "cpu_s" (all threads), "peak_rss_mb"}; on "proba PATH" it
// also writes the class-1 probabilities (float64) to PATH.
import { readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pathToFileURL } from "node:url";
import { instantiateComponent, Table } from "@lolpop/core";

const [dist, modelDir, xTest, features, nJobs] = process.argv.slice(2);
const F = Number(features);
const { randomForestModelTrainer } = await import(pathToFileURL(join(resolve(dist), "index.js")).href);
const trainer = await instantiateComponent(randomForestModelTrainer, { config: { n_jobs: Number(nJobs) } });
const model = await trainer.load(modelDir);
const X = new Float64Array(readFileSync(xTest).buffer.slice(0));
const n = X.length / F;
const cols = {};
for (let f = 0; f < F; f++) {
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) c[i] = X[i * F + f];
  cols[`x${f}`] = c;
}
const test = Table.fromColumns(cols);
await model.predict(test.slice(0, 1000)); // warm up
const peak = () => process.resourceUsage().maxRSS / 1024;
console.log(JSON.stringify({ ready: true, nodes: model.n_nodes }));
for await (const line of createInterface({ input: process.stdin })) {
  const cmd = line.split(" ");
  if (!cmd[0]) continue;
  const t = performance.now();
  const c = process.cpuUsage();
  const { proba } = await model.predict(test);
  const predict_s = (performance.now() - t) / 1000;
  const { user, system } = process.cpuUsage(c);
  const cpu_s = (user + system) / 1e6;
  if (cmd[0] === "proba") {
    const p1 = new Float64Array(n);
    for (let i = 0; i < n; i++) p1[i] = proba[2 * i + 1];
    writeFileSync(cmd[1], p1);
  }
  console.log(JSON.stringify({ predict_s, cpu_s, peak_rss_mb: peak() }));
}
