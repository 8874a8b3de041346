#!/usr/bin/env node
// Time per epoch of one mid-size network on the cpu, wasm and tensorflow (tfjs-node) backends, in
// one run, side by side with the reference: TensorFlow.js's own `model.fit` on the same backend,
// data and architecture (best of two alternating rounds on wasm and tensorflow). Prints seconds per epoch and the ratios between backends and between
// lolpop's training loop and tfjs's.
//
// Network: 50,000 rows x 20 inputs, Dense 256 relu -> Dense 256 relu -> Dense 1 sigmoid, Adam 1e-3,
// binary cross-entropy, batch 256. Run `pnpm build` first (it imports dist/).
//
// Usage: node bench/epoch-time.mjs   env: BENCH_ROWS (50000), BENCH_EPOCHS (1), BENCH_BACKENDS (cpu,wasm,tensorflow)
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiateComponent, Table } from "@lolpop/core";
import { loadTf, probeBackend, tfjsModelTrainer } from "../dist/index.js";
import { buildTfjsNode } from "../scripts/build-tfjs-node.mjs";

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

/** Seconds per epoch of TfjsModelTrainer (its own per-epoch wall times; set-up excluded as for model.fit). */
async function lolpopEpoch(backend, table, epochs = EPOCHS) {
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

/** Seconds per epoch of tfjs's model.fit on the same network (tensors built before the clock starts). */
async function tfjsEpoch(tf, backend, table, epochs = EPOCHS) {
  await tf.setBackend(backend);
  const n = table.numRows;
  const x = new Float32Array(n * D);
  for (let j = 0; j < D; j++) {
    const col = table.numeric(`x${j}`);
    for (let i = 0; i < n; i++) x[i * D + j] = col[i];
  }
  const yc = table.column("y");
  const y = Float32Array.from(yc.codes, (c) => (yc.dictionary[c] === "pos" ? 1 : 0));
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
