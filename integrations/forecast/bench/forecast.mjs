#!/usr/bin/env node
// Forecast accuracy (MASE against the in-sample seasonal naive) and fit+forecast time of the native
// forecasters of @lolpop/forecast next to statsforecast 2.1.1 (AutoETS, SeasonalNaive) and Prophet
// 1.5.0, side by side in one run, on two datasets:
//  - unemployment: the 14 monthly BLS series of vega-datasets (the forecast quickstart's data), last
//    12 months held out;
//  - synthetic: N (default 1,000) seeded monthly series of 120 points (level, trend, additive or
//    multiplicative seasonality, noise, some level shifts), last 12 points held out.
// Every method fits on the same training points and forecasts 12 steps with 80% and 95% prediction
// intervals where it has them (the ML forecaster gives none); Prophet runs twice: with its default
// sampled intervals, and point forecasts only (uncertainty_samples 0). Times are wall-clock seconds
// of fitting and forecasting all series, one process/thread each side (statsforecast timed inside
// Python around fit + predict; Prophet through the bridge with its worker started beforehand).
// Usage: node bench/forecast.mjs [--series N] [--prophet-series N] [--skip-prophet]
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiateComponent, Table } from "@lolpop/core";
import { randomForestModelTrainer } from "@lolpop/random-forest";
import {
  closeProphetWorkers,
  etsForecaster,
  mlForecaster,
  prepareSeries,
  prophetForecaster,
  prophetWorker,
  seasonalNaiveForecaster,
} from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");
const root = join(pkgDir, "..", "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const N = arg("--series", 1000);
const PROPHET_N = arg("--prophet-series", N);
const SKIP_PROPHET = process.argv.includes("--skip-prophet");
const H = 12;
const M = 12;
const venv = process.env.LOLPOP_VENV ?? join(root, ".venv");
const venvPython = join(venv, "bin", "python");

// ---------------------------------------------------------------- data
let seed = 20240601;
const rand = () => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
const monthly = (i) => new Date(Date.UTC(2010, i, 1)).toISOString().slice(0, 10);

function synthetic(count, n) {
  const series = [];
  for (let k = 0; k < count; k++) {
    const level = 50 + 450 * rand();
    const slope = (rand() - 0.4) * 0.01 * level; // mostly upward
    const amp = 0.3 * rand();
    const phase = 2 * Math.PI * rand();
    const noise = 0.02 + 0.08 * rand();
    const multiplicative = rand() < 0.5;
    const shiftAt = rand() < 0.2 ? Math.floor(30 + 70 * rand()) : -1;
    const shift = (rand() - 0.5) * 0.4 * level;
    const values = [];
    for (let t = 0; t < n; t++) {
      const base = level + slope * t + (shiftAt >= 0 && t >= shiftAt ? shift : 0);
      const season = Math.sin((2 * Math.PI * t) / M + phase) + 0.3 * Math.sin((4 * Math.PI * t) / M + phase);
      const v = multiplicative
        ? base * (1 + amp * season) * (1 + noise * gauss())
        : base + level * amp * season + level * noise * gauss();
      values.push(Math.max(v, 1));
    }
    series.push({ name: `s${String(k).padStart(4, "0")}`, dates: values.map((_, i) => monthly(i)), values });
  }
  return series;
}

function unemployment() {
  const rows = JSON.parse(
    readFileSync(
      join(pkgDir, "node_modules", "vega-datasets", "data", "unemployment-across-industries.json"),
      "utf8",
    ),
  );
  const names = [...new Set(rows.map((r) => r.series))];
  return names.map((name) => {
    const own = rows.filter((r) => r.series === name);
    return { name, dates: own.map((r) => r.date), values: own.map((r) => r.count) };
  });
}

function toSet(series) {
  const id = [];
  const date = [];
  const value = [];
  for (const s of series)
    s.values.forEach((v, i) => {
      id.push(s.name);
      date.push(s.dates[i]);
      value.push(v);
    });
  return prepareSeries(Table.fromColumns({ id, date, value }), { time: "date", target: "value", ids: "id" });
}

function split(series) {
  return {
    train: series.map((s) => ({ ...s, dates: s.dates.slice(0, -H), values: s.values.slice(0, -H) })),
    test: series.map((s) => s.values.slice(-H)),
  };
}

// ---------------------------------------------------------------- metric
/** MASE of one series: forecast MAE over the in-sample MAE of the seasonal naive forecast. */
function mase(train, test, forecast) {
  let scale = 0;
  for (let t = M; t < train.length; t++) scale += Math.abs(train[t] - train[t - M]);
  scale /= train.length - M;
  let err = 0;
  for (let i = 0; i < test.length; i++) err += Math.abs(test[i] - forecast[i]);
  return err / test.length / scale;
}
const mean = (a) => a.reduce((x, y) => x + y, 0) / a.length;
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---------------------------------------------------------------- methods
const LEVELS = [80, 95];

async function runNative(name, forecaster, data, test, train, level = LEVELS) {
  const started = performance.now();
  const fitted = await forecaster.fit(data);
  const fc = await fitted.forecast({ horizon: H, level });
  const seconds = (performance.now() - started) / 1000;
  const scores = fc.map((f, i) => mase(train[i].values, test[i], f.mean));
  return { name, seconds, scores, n: fc.length };
}

function referencePython() {
  const r = spawnSync(process.execPath, [join(pkgDir, "scripts", "reference-venv.mjs")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) throw new Error("scripts/reference-venv.mjs failed");
  return r.stdout.trim().split("\n").pop();
}

function runStatsforecast(python, train, test) {
  const started = performance.now();
  const r = spawnSync(python, [join(pkgDir, "python", "reference", "statsforecast_reference.py")], {
    input: JSON.stringify({
      series: train.map((s) => ({ name: s.name, y: s.values, season_length: M })),
      h: H,
      level: LEVELS,
      models: [{ kind: "ets", model: "ZZZ", damped: null }, { kind: "seasonal_naive" }],
    }),
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  const wall = (performance.now() - started) / 1000;
  if (r.status !== 0) throw new Error(`statsforecast failed:\n${r.stderr}`);
  const answer = JSON.parse(r.stdout);
  return answer.results.map((res) => {
    const failed = res.rows.filter((row) => row.error);
    if (failed.length)
      throw new Error(`statsforecast ${res.spec.kind} failed on ${failed.length} series: ${failed[0].error}`);
    return {
      name: res.spec.kind === "ets" ? "statsforecast AutoETS" : "statsforecast SeasonalNaive",
      seconds: res.seconds,
      scores: res.rows.map((row, i) => mase(train[i].values, test[i], row.mean)),
      n: res.rows.length,
      note: `process wall ${wall.toFixed(1)} s incl. start and import`,
    };
  });
}

async function runProphet(data, test, train) {
  const worker = prophetWorker({ python: venvPython });
  await worker.start();
  return [
    await runNative("Prophet (bridge)", prophetForecaster({ python: venvPython }), data, test, train),
    await runNative(
      "Prophet, point only",
      prophetForecaster({ python: venvPython, prophet: { uncertainty_samples: 0 } }),
      data,
      test,
      train,
      [],
    ),
  ];
}

async function randomForest() {
  return instantiateComponent(randomForestModelTrainer, {
    config: { training_params: { n_estimators: 100 } },
  });
}

function report(title, results, etsName = "lolpop ETS (AutoETS)", refName = "statsforecast AutoETS") {
  console.log(`\n${title}`);
  console.log(
    `${"method".padEnd(30)} ${"series".padStart(6)} ${"MASE mean".padStart(10)} ${"median".padStart(8)} ${"seconds".padStart(9)} ${"ms/series".padStart(10)}`,
  );
  for (const r of results)
    console.log(
      `${r.name.padEnd(30)} ${String(r.n).padStart(6)} ${mean(r.scores).toFixed(4).padStart(10)} ${median(r.scores).toFixed(4).padStart(8)} ${r.seconds.toFixed(2).padStart(9)} ${((r.seconds / r.n) * 1000).toFixed(1).padStart(10)}${r.note ? `  (${r.note})` : ""}`,
    );
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  const ets = by[etsName];
  const ref = by[refName];
  const prophet = by["Prophet (bridge)"];
  const prophetPoint = by["Prophet, point only"];
  const ml = by["lolpop ML (random forest)"];
  if (ets && ref)
    console.log(
      `ratio  lolpop ETS / statsforecast AutoETS: MASE ${(mean(ets.scores) / mean(ref.scores)).toFixed(4)} (goal <= 1.05), time ${(ets.seconds / ref.seconds).toFixed(2)}`,
    );
  if (ets && prophet) {
    const perSeries = prophet.seconds / prophet.n / (ets.seconds / ets.n);
    console.log(
      `ratio  Prophet / lolpop ETS time per series: ${perSeries.toFixed(1)}x (goal >= 10x); MASE Prophet / ETS ${(mean(prophet.scores) / mean(ets.scores.slice(0, prophet.n))).toFixed(4)}${prophet.n < ets.n ? ` (Prophet on the first ${prophet.n} series)` : ""}`,
    );
  }
  if (ets && prophetPoint)
    console.log(
      `ratio  Prophet point only / lolpop ETS (with intervals) time per series: ${(prophetPoint.seconds / prophetPoint.n / (ets.seconds / ets.n)).toFixed(1)}x`,
    );
  if (ml && ref)
    console.log(
      `ratio  lolpop ML / statsforecast AutoETS: MASE ${(mean(ml.scores) / mean(ref.scores)).toFixed(4)}, time ${(ml.seconds / ref.seconds).toFixed(2)}`,
    );
}

async function bench(title, series) {
  const { train, test } = split(series);
  const data = toSet(train);
  const python = referencePython();
  const results = [];
  results.push(await runNative("lolpop SeasonalNaive", seasonalNaiveForecaster(), data, test, train));
  results.push(await runNative("lolpop ETS (AutoETS)", etsForecaster(), data, test, train));
  results.push(
    await runNative(
      "lolpop ML (random forest)",
      mlForecaster({ trainer: await randomForest() }),
      data,
      test,
      train,
    ),
  );
  results.push(...runStatsforecast(python, train, test));
  if (!SKIP_PROPHET) {
    const pn = Math.min(PROPHET_N, train.length);
    const sub = { ...data, series: data.series.slice(0, pn) };
    results.push(...(await runProphet(sub, test.slice(0, pn), train.slice(0, pn))));
  }
  report(title, results);
}

console.log(
  `@lolpop/forecast benchmark: horizon ${H}, season ${M}, node ${process.version}, ${(await import("node:os")).cpus().length} CPU(s), load ${(
    await import("node:os")
  )
    .loadavg()
    .map((v) => v.toFixed(1))
    .join(" ")}`,
);
try {
  await bench("unemployment (vega-datasets, 14 series x 122 months, last 12 held out)", unemployment());
  await bench(`synthetic (${N} series x 120 months, seeded, last 12 held out)`, synthetic(N, 120));
} finally {
  await closeProphetWorkers();
}
