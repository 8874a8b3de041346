#!/usr/bin/env node
// Random-forest prediction, side by side in one run with scikit-learn's predict_proba (n_jobs=2):
// a forest of 100 trees fitted on 500,000 x 20 rows (both sides fit their own forest on the same
// rows with the same settings), then probabilities of 125,000 held-out rows.
//
// Both forests are fitted once and cached (our saved model and scikit-learn's pickle, keyed by the
// settings and the data seed) in node_modules/.cache/lolpop-bench/rf-predict-<key>/ of this package,
// so later runs only predict (minutes, not the tens of minutes of two 500k-row fits); `--refit`
// fits again. Each side predicts in its own process, waiting for a request, and the requests
// alternate (rotating which side goes first), so every side runs under the same machine load.
// `--baseline DIST` adds a third side: the same saved model scored by another build of this package
// (e.g. main's `integrations/random-forest/dist`), for a before/after measured in one run.
// Prints the load average, medians of wall and CPU time (all threads; steadier than wall time on a
// loaded machine), ratios (lolpop / scikit-learn, < 1 = faster; and lolpop /
// baseline) and each side's peak RSS; checks that the forests agree on most labels (they are
// different random forests, so not on every row) and that the baseline's probabilities are ours.
// Usage: node bench/predict.mjs [--runs N] [--train N] [--rows N] [--trees N] [--refit]
//                               [--baseline DIST] [--cache DIR]
//   (needs `pnpm build`; the Python venv from `pnpm python:setup`, or LOLPOP_VENV)
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { dirname, join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { instantiateComponent } from "@lolpop/core";
import { randomForestModelTrainer } from "../dist/index.js";
import { F, makeData, python, rowMajor, table } from "./bench-data.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const flag = (name) => process.argv.includes(name);
const option = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const arg = (name, fallback) => (option(name) === undefined ? fallback : Number(option(name)));
const RUNS = arg("--runs", 7);
const TRAIN = arg("--train", 500_000);
const ROWS = arg("--rows", 125_000);
const SETTINGS = { n_estimators: arg("--trees", 100), max_depth: 16, max_features: "sqrt" };
const N_JOBS = 2;
const DATA_SEED = 2024;
const baseline = option("--baseline");

if (!existsSync(python)) {
  console.error(
    `no Python at ${python}: run \`pnpm python:setup\` at the repo root first (or set LOLPOP_VENV)`,
  );
  process.exit(1);
}
if (baseline && !existsSync(join(baseline, "index.js"))) {
  console.error(
    `--baseline ${baseline}: no index.js there; pass a built dist/ folder of @lolpop/random-forest`,
  );
  process.exit(1);
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const skParams = {
  ...SETTINGS,
  min_samples_split: 2,
  min_samples_leaf: 1,
  bootstrap: true,
  criterion: "gini",
};
const key = createHash("sha256")
  .update(JSON.stringify({ v: 1, TRAIN, ROWS, F, DATA_SEED, skParams, seed: 0 }))
  .digest("hex")
  .slice(0, 12);
const cacheRoot = resolve(option("--cache") ?? join(here, "..", "node_modules", ".cache", "lolpop-bench"));
const cache = join(cacheRoot, `rf-predict-${key}`);
const data = makeData(TRAIN + ROWS, DATA_SEED);

/** Fits both forests on the training rows into a temporary folder, then renames it to `cache`. */
async function fitBoth() {
  const tmp = `${cache}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    writeFileSync(join(tmp, "X_train.f64"), rowMajor(data, 0, TRAIN));
    writeFileSync(join(tmp, "y_train.i32"), data.y.subarray(0, TRAIN));
    const spec = join(tmp, "fit.json");
    writeFileSync(
      spec,
      JSON.stringify({
        X_train: join(tmp, "X_train.f64"),
        y_train: join(tmp, "y_train.i32"),
        F,
        params: skParams,
        n_jobs: N_JOBS,
        seed: 0,
        model: join(tmp, "sklearn.pkl"),
      }),
    );
    // scikit-learn fits in its own process while we fit here (both sides get the same machine load).
    const py = spawn(python, [join(here, "sklearn_predict.py"), "fit", spec], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let pyOut = "";
    py.stdout.on("data", (d) => {
      pyOut += d;
    });
    const pyDone = new Promise((ok, fail) =>
      py.on("close", (code) =>
        code === 0 ? ok(JSON.parse(pyOut)) : fail(new Error(`scikit-learn fit exited ${code}`)),
      ),
    );
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
    mkdirSync(join(tmp, "lolpop"));
    await model.save(join(tmp, "lolpop"));
    const sk = await pyDone;
    rmSync(join(tmp, "X_train.f64"));
    rmSync(join(tmp, "y_train.i32"));
    writeFileSync(join(tmp, "X_test.f64"), rowMajor(data, TRAIN, TRAIN + ROWS));
    writeFileSync(
      join(tmp, "meta.json"),
      JSON.stringify({
        train_rows: TRAIN,
        rows: ROWS,
        settings: skParams,
        data_seed: DATA_SEED,
        fit_s: { ours: fitS, sklearn: sk.fit_s },
      }),
    );
    rmSync(cache, { recursive: true, force: true });
    renameSync(tmp, cache);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** A side: a process that predicts once per request line and answers one JSON line. */
function side(name, command, args) {
  const proc = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: proc.stdout })[Symbol.asyncIterator]();
  const next = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error(`the ${name} process ended early`);
    return JSON.parse(value);
  };
  return {
    name,
    times: [],
    cpu: [],
    peak: 0,
    ready: next(),
    async request(line) {
      proc.stdin.write(`${line}\n`);
      const r = await next();
      this.times.push(r.predict_s);
      this.cpu.push(r.cpu_s);
      this.peak = Math.max(this.peak, r.peak_rss_mb);
    },
    end: () => proc.stdin.end(),
  };
}

const fresh = flag("--refit") || !existsSync(join(cache, "meta.json"));
if (fresh) {
  console.error(`fitting both forests (${TRAIN.toLocaleString("en")} rows), cached in ${cache}`);
  await fitBoth();
} else console.error(`saved forests from ${cache} (--refit fits again)`);
const meta = JSON.parse(readFileSync(join(cache, "meta.json"), "utf8"));
const xTest = join(cache, "X_test.f64");
const serveSpec = join(cache, "serve.json");
writeFileSync(
  serveSpec,
  JSON.stringify({ X_test: xTest, F, n_jobs: N_JOBS, model: join(cache, "sklearn.pkl") }),
);
const serve = (dist) => [
  join(here, "predict-serve.mjs"),
  dist,
  join(cache, "lolpop"),
  xTest,
  String(F),
  String(N_JOBS),
];
const sides = [
  side("lolpop", process.execPath, serve(join(here, "..", "dist"))),
  side("scikit-learn", python, [join(here, "sklearn_predict.py"), "serve", serveSpec]),
];
if (baseline) sides.push(side("baseline", process.execPath, serve(resolve(baseline))));
const ready = await Promise.all(sides.map((s) => s.ready));
const out = join(cache, `proba-${process.pid}`);
try {
  for (let r = 0; r < RUNS; r++) {
    // Rotate which side goes first.
    for (let k = 0; k < sides.length; k++) {
      const s = sides[(r + k) % sides.length];
      await s.request(r === 0 ? `proba ${out}-${s.name}.f64` : "time");
    }
  }
  for (const s of sides) s.end();
  const read = (name) => new Float64Array(readFileSync(`${out}-${name}.f64`).buffer.slice(0));
  const ours = read("lolpop");
  const sk = read("scikit-learn");
  let agree = 0;
  let correct = 0;
  for (let i = 0; i < ROWS; i++) {
    if (ours[i] > 0.5 === sk[i] > 0.5) agree++;
    if ((ours[i] > 0.5 ? 1 : 0) === data.y[TRAIN + i]) correct++;
  }
  let baselineMaxDiff;
  if (baseline) {
    const b = read("baseline");
    baselineMaxDiff = 0;
    for (let i = 0; i < ROWS; i++) baselineMaxDiff = Math.max(baselineMaxDiff, Math.abs(b[i] - ours[i]));
  }
  const med = Object.fromEntries(sides.map((s) => [s.name, median(s.times)]));
  const cpu = Object.fromEntries(sides.map((s) => [s.name, median(s.cpu)]));
  const result = {
    benchmark: "@lolpop/random-forest predict vs scikit-learn predict_proba",
    cores: availableParallelism(),
    load: loadavg().map((l) => +l.toFixed(2)),
    settings: SETTINGS,
    train_rows: TRAIN,
    rows: ROWS,
    n_jobs: N_JOBS,
    runs: RUNS,
    cached_fit: !fresh,
    nodes: { ours: ready[0].nodes, sklearn: ready[1].nodes },
    fit_s: { ours: +meta.fit_s.ours.toFixed(2), sklearn: +meta.fit_s.sklearn.toFixed(2) },
    predict_s: Object.fromEntries(sides.map((s) => [s.name, +med[s.name].toFixed(4)])),
    predict_s_all: Object.fromEntries(sides.map((s) => [s.name, s.times.map((t) => +t.toFixed(4))])),
    cpu_s: Object.fromEntries(sides.map((s) => [s.name, +cpu[s.name].toFixed(4)])),
    cpu_ratio: +(cpu.lolpop / cpu["scikit-learn"]).toFixed(3),
    peak_rss_mb: Object.fromEntries(sides.map((s) => [s.name, Math.round(s.peak)])),
    ratio: +(med.lolpop / med["scikit-learn"]).toFixed(3),
    goal: "<= 1.0",
    ...(baseline
      ? {
          baseline: resolve(baseline),
          baseline_ratio: +(med.baseline / med["scikit-learn"]).toFixed(3),
          lolpop_vs_baseline: +(med.lolpop / med.baseline).toFixed(3),
          lolpop_vs_baseline_cpu: +(cpu.lolpop / cpu.baseline).toFixed(3),
          baseline_max_proba_diff: baselineMaxDiff,
        }
      : {}),
    label_agreement: +(agree / ROWS).toFixed(4),
    accuracy: +(correct / ROWS).toFixed(4),
  };
  console.log(
    `random-forest predict ${ROWS.toLocaleString("en")} rows, ${SETTINGS.n_estimators} trees fitted on ${TRAIN.toLocaleString("en")} x ${F} ` +
      `(${ready[0].nodes} nodes vs scikit-learn's ${ready[1].nodes}): lolpop ${med.lolpop.toFixed(3)} s vs scikit-learn predict_proba ` +
      `n_jobs=${N_JOBS} ${med["scikit-learn"].toFixed(3)} s, ratio ${result.ratio} (goal <= 1.0)` +
      (baseline
        ? `; baseline ${med.baseline.toFixed(3)} s (ratio ${result.baseline_ratio}), lolpop/baseline ${result.lolpop_vs_baseline}`
        : "") +
      `; medians of ${RUNS} alternating runs, load ${result.load.join(" ")}, peak RSS ` +
      sides.map((s) => `${s.name} ${Math.round(s.peak)} MB`).join(", "),
  );
  console.log(JSON.stringify(result));
} finally {
  for (const s of sides) rmSync(`${out}-${s.name}.f64`, { force: true });
}
