#!/usr/bin/env node
// Time per epoch of one mid-size network on the cpu, wasm and tensorflow (tfjs-node) backends, in
// one run, side by side with the references: TensorFlow.js's own `model.fit` on the same backend,
// data and architecture, and on the tensorflow backend also Keras (TensorFlow 2.21's CPU build, in a
// venv made once from the same tensorflow-cpu wheel tfjs-node is built from) — best of two
// alternating rounds on wasm and tensorflow. Prints seconds per epoch and the ratios between
// backends, between lolpop's training loop and tfjs's, and lolpop / Keras.
//
// Network: 50,000 rows x 20 inputs, Dense 256 relu -> Dense 256 relu -> Dense 1 sigmoid, Adam 1e-3,
// binary cross-entropy, batch 256. Run `pnpm build` first (it imports dist/).
//
// On the tensorflow backend it also times lolpop's generic training step (LOLPOP_TFJS_NATIVE_STEP=0)
// against the native one and counts libtensorflow ops per step of each.
//
// Usage: node bench/epoch-time.mjs   env: BENCH_ROWS (50000), BENCH_EPOCHS (1), BENCH_BACKENDS (cpu,wasm,tensorflow),
// BENCH_KERAS=0 (no Keras reference)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiateComponent, Table } from "@lolpop/core";
import { loadTf, probeBackend, tfjsModelTrainer } from "../dist/index.js";
import { buildTfjsNode, TENSORFLOW_VERSION, tensorflowWheel } from "../scripts/build-tfjs-node.mjs";

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const ROWS = Number(process.env.BENCH_ROWS ?? 50_000);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 1);
const BACKENDS = (process.env.BENCH_BACKENDS ?? "cpu,wasm,tensorflow").split(",");
const D = 20;
const BATCH = 256;

function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/** Standardized inputs and a non-linear binary target. */
function data(n) {
  const r = lcg(1);
  const cols = {};
  for (let j = 0; j < D; j++) cols[`x${j}`] = new Float64Array(n);
  const y = new Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < D; j++) {
      const v = r() * 3.4 - 1.7;
      cols[`x${j}`][i] = v;
      s += Math.sin(v * (j + 1)) * (j % 3 === 0 ? 1 : -0.5);
    }
    y[i] = s > 0 ? "pos" : "neg";
  }
  return Table.fromColumns({ ...cols, y }, { roles: { y: "target" } });
}

const LAYERS = [
  { units: 256, activation: "relu" },
  { units: 256, activation: "relu" },
];

/**
 * Seconds per epoch of TfjsModelTrainer (its own per-epoch wall times; set-up excluded as for
 * model.fit). `generic` turns its native training step off (LOLPOP_TFJS_NATIVE_STEP=0), for the
 * before/after comparison on the tensorflow backend.
 */
async function lolpopEpoch(backend, table, epochs = EPOCHS, generic = false) {
  const saved = process.env.LOLPOP_TFJS_NATIVE_STEP;
  if (generic) process.env.LOLPOP_TFJS_NATIVE_STEP = "0";
  try {
    return await lolpopFit(backend, table, epochs);
  } finally {
    if (saved === undefined) delete process.env.LOLPOP_TFJS_NATIVE_STEP;
    else process.env.LOLPOP_TFJS_NATIVE_STEP = saved;
  }
}

/**
 * libtensorflow ops per training step (calls of tfjs-node's executeOp over one epoch of the sample),
 * and the wall time spent inside executeOp by op name, against the epoch's wall time.
 */
async function opsPerStep(tf, table, generic) {
  await tf.setBackend("tensorflow");
  const backend = tf.backend();
  const real = backend.binding;
  // The binding's properties are read-only: count through a copy of it swapped in for the epoch.
  const counting = {};
  for (const key of Object.getOwnPropertyNames(real)) counting[key] = real[key];
  let calls = 0;
  const byOp = new Map();
  counting.executeOp = (name, ...args) => {
    calls++;
    const t0 = performance.now();
    try {
      return real.executeOp(name, ...args);
    } finally {
      byOp.set(name, (byOp.get(name) ?? 0) + performance.now() - t0);
    }
  };
  backend.binding = counting;
  let epochMs;
  try {
    epochMs = (await lolpopEpoch("tensorflow", table, 1, generic)).s * 1000;
  } finally {
    backend.binding = real;
  }
  const inOps = [...byOp.values()].reduce((a, b) => a + b, 0);
  const top = [...byOp]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, ms]) => `${name} ${((100 * ms) / epochMs).toFixed(0)}%`)
    .join(", ");
  return { perStep: calls / Math.ceil(table.numRows / BATCH), inOps: inOps / epochMs, top };
}

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function lolpopFit(backend, table, epochs) {
  const trainer = await instantiateComponent(tfjsModelTrainer, {
    config: {
      backend,
      progress: "none",
      training_params: {
        layers: LAYERS,
        learning_rate: 0.001,
        epochs,
        batch_size: BATCH,
        early_stopping: false,
      },
    },
  });
  const X = table.select(table.columnsWithRole("feature"));
  const model = await trainer.fit({ problem_type: "classification", X, y: table.column("y"), seed: 1 });
  const history = model.training.history;
  const s = history.reduce((a, h) => a + h.ms, 0) / 1000 / history.length;
  const loss = history.at(-1).loss;
  model.dispose();
  return { s, loss };
}

/**
 * A Python with Keras: a venv under the cache (made once, ~2 min) with the pinned tensorflow-cpu
 * wheel installed; `undefined` with the reason printed when it cannot be made.
 */
async function kerasPython() {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  const venv = join(base, "lolpop", `keras-venv-${TENSORFLOW_VERSION}`);
  const python = join(venv, "bin", "python");
  const marker = join(venv, ".lolpop-ready");
  if (existsSync(marker)) return python;
  try {
    const wheel = await tensorflowWheel({ quiet: true });
    console.log(`making the Keras reference venv ${venv} (once)`);
    rmSync(venv, { recursive: true, force: true });
    const steps = [
      [process.env.LOLPOP_PYTHON || "python3", ["-m", "venv", venv]],
      [python, ["-m", "pip", "install", "--quiet", wheel]],
      [python, ["-c", "import keras"]],
    ];
    for (const [cmd, args] of steps) {
      const r = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      if (r.status !== 0)
        throw new Error(
          `${cmd} ${args.join(" ")}: ${(r.stderr || r.stdout || String(r.error)).trim().split("\n").slice(-5).join("\n")}`,
        );
    }
    writeFileSync(marker, `${wheel}\n`);
    return python;
  } catch (e) {
    console.log(`Keras reference unavailable: ${e.message}`);
    return undefined;
  }
}

/** The table as row-major float32 features (rows x D) and 0/1 labels, as Keras and model.fit take them. */
function denseInputs(table) {
  const n = table.numRows;
  const x = new Float32Array(n * D);
  for (let j = 0; j < D; j++) {
    const col = table.numeric(`x${j}`);
    for (let i = 0; i < n; i++) x[i * D + j] = col[i];
  }
  const yc = table.column("y");
  const y = Float32Array.from(yc.codes, (c) => (yc.dictionary[c] === "pos" ? 1 : 0));
  return { n, x, y };
}

/** The inputs as float32 files for the Keras script (rows x D, then labels). */
function writeKerasInputs(table, dir) {
  const { n, x, y } = denseInputs(table);
  writeFileSync(join(dir, "x.f32"), Buffer.from(x.buffer));
  writeFileSync(join(dir, "y.f32"), Buffer.from(y.buffer));
  return n;
}

/** Seconds per epoch of Keras on the same data and network (its fastest epoch after the traced first). */
function kerasEpoch(python, dir, n, epochs = EPOCHS) {
  const r = spawnSync(
    python,
    [
      join(pkgDir, "bench", "keras_epoch.py"),
      join(dir, "x.f32"),
      join(dir, "y.f32"),
      String(n),
      String(D),
      String(epochs),
    ],
    { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (r.status !== 0)
    throw new Error(`keras_epoch.py failed: ${(r.stderr || "").trim().split("\n").slice(-5).join("\n")}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

/** Seconds per epoch of tfjs's model.fit on the same network (tensors built before the clock starts). */
async function tfjsEpoch(tf, backend, table, epochs = EPOCHS) {
  await tf.setBackend(backend);
  const { n, x, y } = denseInputs(table);
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 256, activation: "relu", inputShape: [D] }));
  model.add(tf.layers.dense({ units: 256, activation: "relu" }));
  model.add(tf.layers.dense({ units: 1, activation: "sigmoid" }));
  model.compile({ optimizer: tf.train.adam(0.001), loss: "binaryCrossentropy" });
  const xs = tf.tensor2d(x, [n, D], "float32");
  const ys = tf.tensor2d(y, [n, 1], "float32");
  const t0 = performance.now();
  const h = await model.fit(xs, ys, { epochs, batchSize: BATCH, shuffle: true, verbose: 0 });
  const s = (performance.now() - t0) / 1000 / epochs;
  xs.dispose();
  ys.dispose();
  model.dispose();
  return { s, loss: h.history.loss.at(-1) };
}

async function main() {
  const available = {};
  if (BACKENDS.includes("tensorflow")) {
    try {
      const r = await buildTfjsNode(pkgDir, { quiet: true });
      if (r.built) console.log(`built tfjs-node first (${(r.ms / 1000).toFixed(1)} s)`);
    } catch (e) {
      console.log(`tfjs-node could not be built: ${e.message}`);
    }
  }
  for (const b of BACKENDS) available[b] = await probeBackend(b);
  const tf = await loadTf();
  const table = data(ROWS);
  console.log(
    `epoch time: ${ROWS} x ${D}, Dense 256-256-1, batch ${BATCH}, Adam, ${EPOCHS} epoch(s) per measurement (node ${process.version})`,
  );
  const results = {};
  const warmup = data(1024);
  console.log(`load average: ${load()}`);
  if (available.tensorflow?.ok) {
    const sample = data(40 * BATCH);
    await lolpopEpoch("tensorflow", sample, 1); // first use of the backend
    const native = await opsPerStep(tf, sample, false);
    const generic = await opsPerStep(tf, sample, true);
    results.ops_per_step = { native: native.perStep, generic: generic.perStep };
    for (const [name, r] of [
      ["native", native],
      ["generic", generic],
    ])
      console.log(
        `tensorflow ${name} step: ${r.perStep.toFixed(1)} libtensorflow ops per step, ${(100 * r.inOps).toFixed(0)}% of the epoch inside them (${r.top})`,
      );
  }
  for (const b of BACKENDS) {
    if (!available[b].ok) {
      console.log(`${b.padEnd(10)} unavailable: ${available[b].reason}`);
      continue;
    }
    // Warm both paths up (backend init, first-use kernel set-up) before measuring.
    await lolpopEpoch(b, warmup, 1);
    await tfjsEpoch(tf, b, warmup, 1);
    // Alternate the order and keep the faster of two rounds (one round on cpu: it is slow), so a
    // change of machine load during the run does not favour whichever is measured last.
    const rounds = b === "cpu" ? 1 : 2;
    let ours;
    let ref;
    for (let r = 0; r < rounds; r++) {
      const first = r % 2 === 0 ? await lolpopEpoch(b, table) : await tfjsEpoch(tf, b, table);
      const second = r % 2 === 0 ? await tfjsEpoch(tf, b, table) : await lolpopEpoch(b, table);
      const [o, f] = r % 2 === 0 ? [first, second] : [second, first];
      if (!ours || o.s < ours.s) ours = o;
      if (!ref || f.s < ref.s) ref = f;
    }
    results[b] = { ours, ref };
    console.log(
      `${b.padEnd(10)} lolpop ${ours.s.toFixed(2)} s/epoch (loss ${ours.loss.toFixed(4)})   tfjs model.fit ${ref.s.toFixed(2)} s/epoch (loss ${ref.loss.toFixed(4)})   lolpop/tfjs ${(ours.s / ref.s).toFixed(2)}x`,
    );
  }
  // lolpop on tfjs-node vs Keras on TensorFlow's own CPU build, interleaved, best of two each.
  if (results.tensorflow && process.env.BENCH_KERAS !== "0") {
    const python = await kerasPython();
    if (python) {
      const dir = mkdtempSync(join(tmpdir(), "lolpop-keras-"));
      try {
        const n = writeKerasInputs(table, dir);
        let ours = results.tensorflow.ours;
        let generic;
        let keras;
        console.log(`load average before the Keras rounds: ${load()}`);
        for (let r = 0; r < 3; r++) {
          const k = kerasEpoch(python, dir, n);
          if (!keras || k.s < keras.s) keras = k;
          const o = await lolpopEpoch("tensorflow", table);
          if (o.s < ours.s) ours = o;
          const g = await lolpopEpoch("tensorflow", table, EPOCHS, true);
          if (!generic || g.s < generic.s) generic = g;
        }
        results.keras = { ours, generic, ref: keras };
        console.log(
          `keras      lolpop (tensorflow) ${ours.s.toFixed(2)} s/epoch   generic step ${generic.s.toFixed(2)} s/epoch   Keras ${keras.keras} ${keras.s.toFixed(2)} s/epoch (loss ${keras.loss.toFixed(4)})   lolpop/Keras ${(ours.s / keras.s).toFixed(2)}x (generic step ${(generic.s / keras.s).toFixed(2)}x)   load average ${load()}`,
        );
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  const pairs = [
    ["cpu", "wasm"],
    ["cpu", "tensorflow"],
    ["wasm", "tensorflow"],
  ];
  console.log("speed-ups (time of the first / time of the second), lolpop loop | tfjs model.fit:");
  for (const [a, b] of pairs) {
    if (!results[a] || !results[b]) continue;
    console.log(
      `  ${a} / ${b}: ${(results[a].ours.s / results[b].ours.s).toFixed(2)}x | ${(results[a].ref.s / results[b].ref.s).toFixed(2)}x`,
    );
  }
  console.log(JSON.stringify({ bench: "tfjs-epoch-time", rows: ROWS, features: D, epochs: EPOCHS, results }));
}

await main();
