#!/usr/bin/env node
// Benchmarks of @lolpop/catboost-bridge, each side by side with CatBoost in Python in the same run:
//  (a) training through the bridge (CatBoostModelTrainer.fit from Node) vs training the same model
//      directly in Python, on 100,000 rows x 20 numeric features (binary Logloss, depth 6);
//  (b) native TypeScript scoring vs CatBoost's Python predict_proba on 100,000 rows, the Python side
//      timed as a whole process (start, import catboost, load the .cbm, read the rows, predict).
// Same data for both sides: written once as raw float64 columns and read by Python with numpy.
// Usage: node bench/catboost-bridge.mjs [--runs N] [--iterations N] [--rows N] [--scoring-only]
// (--scoring-only: one fit through the bridge for the model, then the scoring benchmarks (b) only)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiateComponent, silentLogger, Table } from "@lolpop/core";
import { catboostModelTrainer, closeCatBoostWorkers } from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..", "..", "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const RUNS = arg("--runs", 3);
const SCORE_RUNS = Math.max(RUNS, 5); // scoring is cheap: more runs for a steadier median
const ITERATIONS = arg("--iterations", 200);
const N = arg("--rows", 100_000);
const F = 20;
const SCORING_ONLY = process.argv.includes("--scoring-only");
const venv = process.env.LOLPOP_VENV ?? join(root, ".venv");
const python = join(venv, "bin", "python");
if (!existsSync(python)) {
  console.error(`catboost-bridge bench: no venv at ${venv}; run \`pnpm python:setup\` first`);
  process.exit(1);
}
const work = mkdtempSync(join(tmpdir(), "lolpop-catboost-bench-"));
process.on("exit", () => rmSync(work, { recursive: true, force: true }));

// ---------------------------------------------------------------- data
let s = 12345;
const rand = () => {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  return s / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const makeColumns = (n) => Array.from({ length: F }, () => Float64Array.from({ length: n }, gauss));
const trainCols = makeColumns(N);
const label = new Float64Array(N);
for (let i = 0; i < N; i++) {
  const z = trainCols[0][i] + 0.5 * trainCols[1][i] - 0.7 * trainCols[2][i] * trainCols[3][i] + 0.5 * gauss();
  label[i] = z > 0 ? 1 : 0;
}
const scoreCols = makeColumns(N);
const names = Array.from({ length: F }, (_, j) => `f${j}`);
const writeMatrix = (file, cols) => {
  // row-major float64, as numpy.fromfile(...).reshape(n, F) expects
  const n = cols[0].length;
  const m = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let j = 0; j < F; j++) m[i * F + j] = cols[j][i];
  writeFileSync(file, Buffer.from(m.buffer));
};
writeMatrix(join(work, "train.f64"), trainCols);
writeFileSync(join(work, "label.f64"), Buffer.from(label.buffer));
writeMatrix(join(work, "score.f64"), scoreCols);
const trainTable = Table.fromColumns(names.map((n, j) => [n, trainCols[j]]));
const scoreTable = Table.fromColumns(names.map((n, j) => [n, scoreCols[j]]));
const y = Table.fromColumns({ y: Array.from(label, (v) => (v ? "yes" : "no")) }).column("y");

const params = { iterations: ITERATIONS, depth: 6, learning_rate: 0.1 };

// ---------------------------------------------------------------- Python reference scripts
const trainPy = join(work, "train.py");
writeFileSync(
  trainPy,
  `import sys, time, json
t0 = time.perf_counter()
import numpy as np, catboost
X = np.fromfile(sys.argv[1], dtype="<f8").reshape(-1, ${F})
y = np.fromfile(sys.argv[2], dtype="<f8").astype(np.int32)
m = catboost.CatBoostClassifier(iterations=${ITERATIONS}, depth=6, learning_rate=0.1, loss_function="Logloss",
    random_seed=42, thread_count=-1, allow_writing_files=False, logging_level="Silent")
t1 = time.perf_counter()
m.fit(X, y)
t2 = time.perf_counter()
if len(sys.argv) > 3:
    m.save_model(sys.argv[3])
print(json.dumps({"fit_s": t2 - t1, "total_s": t2 - t0}))
`,
);
const predictPy = join(work, "predict.py");
writeFileSync(
  predictPy,
  `import sys, time, json
import numpy as np, catboost
m = catboost.CatBoostClassifier()
m.load_model(sys.argv[1])
X = np.fromfile(sys.argv[2], dtype="<f8").reshape(-1, ${F})
t = time.perf_counter()
c = time.process_time()
p = m.predict_proba(X)  # thread_count=-1 (the default): every core
d = time.perf_counter() - t
cpu = time.process_time() - c
t = time.perf_counter()
c = time.process_time()
p1 = m.predict_proba(X, thread_count=1)
d1 = time.perf_counter() - t
cpu1 = time.process_time() - c
assert (p1 == p).all()
np.ascontiguousarray(p[:, 1], dtype="<f8").tofile(sys.argv[3])
print(json.dumps({"predict_s": d, "predict_cpu_s": cpu, "predict_one_thread_s": d1, "predict_one_thread_cpu_s": cpu1}))
`,
);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const round = (x, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const results = [];

// ---------------------------------------------------------------- (a) training
const trainer = await instantiateComponent(catboostModelTrainer, {
  config: { python, training_params: params, thread_count: -1 },
  project: { root },
  logger: silentLogger,
});
const fit = () =>
  trainer.fit({ problem_type: "classification", X: trainTable, y, classes: ["no", "yes"], seed: 42 });

// Cold: the first fit starts the worker (Python start, import catboost) - vs a whole Python process.
let t0 = performance.now();
let model = await fit();
const bridgeCold = (performance.now() - t0) / 1000;
const pyModel = join(work, "python-model.cbm");
if (!SCORING_ONLY) {
  t0 = performance.now();
  const pyColdOut = JSON.parse(
    execFileSync(python, [trainPy, join(work, "train.f64"), join(work, "label.f64"), pyModel], {
      encoding: "utf8",
    }),
  );
  const pyColdWall = (performance.now() - t0) / 1000;

  const bridgeWarm = [];
  const pyFit = [];
  for (let r = 0; r < RUNS; r++) {
    t0 = performance.now();
    model = await fit();
    bridgeWarm.push((performance.now() - t0) / 1000);
    const out = JSON.parse(
      execFileSync(python, [trainPy, join(work, "train.f64"), join(work, "label.f64")], { encoding: "utf8" }),
    );
    pyFit.push(out.fit_s);
  }
  results.push({
    name: `(a) train ${N} x ${F}, ${ITERATIONS} trees depth 6: bridge fit (worker running) vs Python model.fit`,
    bridge_s: round(median(bridgeWarm)),
    python_s: round(median(pyFit)),
    ratio: round(median(bridgeWarm) / median(pyFit)),
    runs: RUNS,
    goal: "<= 1.15",
  });
  results.push({
    name: "(a') same, cold: first bridge fit incl. worker start vs a whole Python process (start, import, read, fit)",
    bridge_s: round(bridgeCold),
    python_s: round(pyColdWall),
    ratio: round(bridgeCold / pyColdWall),
    runs: 1,
    python_fit_only_s: round(pyColdOut.fit_s),
  });
}

// ---------------------------------------------------------------- (b) scoring
const modelDir = join(work, "model");
await model.save(modelDir);
const loaded = await trainer.load(modelDir);
if (loaded.scoring !== "native") throw new Error(`expected native scoring, got: ${loaded.scoring_reason}`);
// The same model scored on one thread (thread_count: 1), interleaved with the default (every core).
const oneThreadTrainer = await instantiateComponent(catboostModelTrainer, {
  config: { python, training_params: params, thread_count: 1 },
  project: { root },
  logger: silentLogger,
});
const loadedOne = await oneThreadTrainer.load(modelDir);
// The scorer before its WebAssembly kernel (the JavaScript path, LOLPOP_CATBOOST_WASM=0), one thread.
process.env.LOLPOP_CATBOOST_WASM = "0";
const loadedJs = await oneThreadTrainer.load(modelDir);
delete process.env.LOLPOP_CATBOOST_WASM;
await loaded.predict(scoreTable.slice(0, 1000)); // warm the JIT a little
await loaded.predict(scoreTable); // start the scoring worker threads (kept a few seconds for reuse)
await loadedOne.predict(scoreTable.slice(0, 1000));
await loadedJs.predict(scoreTable.slice(0, 1000));
const nativeRuns = [];
const nativeCpu = [];
const nativeOneRuns = [];
const nativeOneCpu = [];
const jsOneRuns = [];
const jsOneCpu = [];
let nativeProba;
let oneProba;
let jsProba;
for (let r = 0; r < SCORE_RUNS; r++) {
  t0 = performance.now();
  const c0 = process.cpuUsage(); // this process, worker threads included
  nativeProba = (await loaded.predict(scoreTable)).proba;
  nativeRuns.push((performance.now() - t0) / 1000);
  const c1 = process.cpuUsage(c0);
  nativeCpu.push((c1.user + c1.system) / 1e6);
  t0 = performance.now();
  let c = process.cpuUsage();
  oneProba = (await loadedOne.predict(scoreTable)).proba;
  nativeOneRuns.push((performance.now() - t0) / 1000);
  c = process.cpuUsage(c);
  nativeOneCpu.push((c.user + c.system) / 1e6);
  t0 = performance.now();
  c = process.cpuUsage();
  jsProba = (await loadedJs.predict(scoreTable)).proba;
  jsOneRuns.push((performance.now() - t0) / 1000);
  c = process.cpuUsage(c);
  jsOneCpu.push((c.user + c.system) / 1e6);
}
for (let i = 0; i < nativeProba.length; i++) {
  if (nativeProba[i] !== oneProba[i])
    throw new Error(`worker-thread scoring differs from one thread at ${i}`);
  if (jsProba[i] !== oneProba[i])
    throw new Error(`the WebAssembly kernel's scores differ from the JavaScript path's at ${i}`);
}
const nativeColdRuns = [];
for (let r = 0; r < SCORE_RUNS; r++) {
  t0 = performance.now();
  const fresh = await trainer.load(modelDir); // read + parse model.json + compile
  await fresh.predict(scoreTable);
  nativeColdRuns.push((performance.now() - t0) / 1000);
}
const pyWall = [];
const pyPredict = [];
const pyPredictCpu = [];
const pyOneThread = [];
const pyOneThreadCpu = [];
const pyOut = join(work, "py_proba.f64");
for (let r = 0; r < SCORE_RUNS; r++) {
  t0 = performance.now();
  const out = spawnSync(python, [predictPy, join(modelDir, "model.cbm"), join(work, "score.f64"), pyOut], {
    encoding: "utf8",
  });
  pyWall.push((performance.now() - t0) / 1000);
  if (out.status !== 0) throw new Error(out.stderr);
  pyPredict.push(JSON.parse(out.stdout).predict_s);
  pyPredictCpu.push(JSON.parse(out.stdout).predict_cpu_s);
  pyOneThread.push(JSON.parse(out.stdout).predict_one_thread_s);
  pyOneThreadCpu.push(JSON.parse(out.stdout).predict_one_thread_cpu_s);
}
const pyP1 = new Float64Array(readFileSync(pyOut).buffer.slice(0));
let maxRel = 0;
for (let i = 0; i < N; i++) {
  const a = nativeProba[2 * i + 1];
  const b = pyP1[i];
  if (a !== b) maxRel = Math.max(maxRel, Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
}
// Same model? Score the directly trained Python model and compare with the bridge's.
if (!SCORING_ONLY) {
  execFileSync(python, [predictPy, pyModel, join(work, "score.f64"), join(work, "py_direct.f64")]);
  const direct = new Float64Array(readFileSync(join(work, "py_direct.f64")).buffer.slice(0));
  let sameModel = 0;
  for (let i = 0; i < N; i++) {
    const a = nativeProba[2 * i + 1];
    const b = direct[i];
    if (a !== b) sameModel = Math.max(sameModel, Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));
  }
  results.push({
    name: "check: the bridge's model vs the model trained directly in Python, predictions on the scoring rows",
    max_relative_difference: sameModel,
  });
}
results.push({
  name: `(b) score ${N} rows, ${model.tree_count} trees: native TypeScript predict vs a Python process (start + import + load + predict_proba)`,
  native_s: round(median(nativeRuns)),
  python_process_s: round(median(pyWall)),
  ratio: round(median(nativeRuns) / median(pyWall)),
  runs: SCORE_RUNS,
});
results.push({
  name: "(b') native incl. loading the model (read + parse model.json + compile) vs the same Python process",
  native_s: round(median(nativeColdRuns)),
  python_process_s: round(median(pyWall)),
  ratio: round(median(nativeColdRuns) / median(pyWall)),
  runs: SCORE_RUNS,
});
results.push({
  name: `(b'') native predict vs CatBoost's predict_proba alone (inside Python, no process start); both at their defaults: every core (${availableParallelism()}), native on worker threads`,
  native_s: round(median(nativeRuns)),
  python_predict_s: round(median(pyPredict), 4),
  ratio: round(median(nativeRuns) / median(pyPredict), 2),
  // CPU time of both sides (all threads): steadier than wall time when the machine is shared
  native_cpu_s: round(median(nativeCpu)),
  python_predict_cpu_s: round(median(pyPredictCpu), 4),
  cpu_ratio: round(median(nativeCpu) / median(pyPredictCpu), 2),
  max_relative_difference: maxRel,
  runs: SCORE_RUNS,
});
results.push({
  name: "(b1) one thread on both sides: native predict (thread_count: 1) vs predict_proba(thread_count=1)",
  native_one_thread_s: round(median(nativeOneRuns), 4),
  python_one_thread_s: round(median(pyOneThread), 4),
  ratio: round(median(nativeOneRuns) / median(pyOneThread), 2),
  native_cpu_s: round(median(nativeOneCpu), 4),
  python_cpu_s: round(median(pyOneThreadCpu), 4),
  cpu_ratio: round(median(nativeOneCpu) / median(pyOneThreadCpu), 2),
  speedup_of_worker_threads: round(median(nativeOneRuns) / median(nativeRuns), 2),
  runs: SCORE_RUNS,
});
results.push({
  name: "(b1-before) the same, native on its JavaScript path (LOLPOP_CATBOOST_WASM=0, the scorer before the WebAssembly kernel)",
  native_js_one_thread_s: round(median(jsOneRuns), 4),
  python_one_thread_s: round(median(pyOneThread), 4),
  ratio: round(median(jsOneRuns) / median(pyOneThread), 2),
  native_cpu_s: round(median(jsOneCpu), 4),
  cpu_ratio: round(median(jsOneCpu) / median(pyOneThreadCpu), 2),
  runs: SCORE_RUNS,
});
await closeCatBoostWorkers();

console.log(
  `@lolpop/catboost-bridge benchmarks (catboost ${model.meta.catboost_version}, ${python}); ` +
    `load ${loadavg()[0].toFixed(1)}, peak RSS of this process ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
);
for (const r of results) console.log(JSON.stringify(r));
