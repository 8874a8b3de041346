#!/usr/bin/env node
// Data drift on 100,000 rows x 20 mixed columns (reference and current of that size), side by
// side in one run: @lolpop/evidently's computeDrift vs evidently==0.7.23's
// Report([DataDriftPreset()]).run(current, reference), on the same CSV files (each side reads them
// with its own loader, untimed). Prints the medians and the ratio, and checks both reach the same
// per-column decisions. Needs a build (`pnpm build`) and the project venv (`pnpm python:setup`).
// Usage: node bench/drift.mjs [--rows N] [--runs N]
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng, instantiateComponent } from "@lolpop/core";
import { localDataConnector } from "@lolpop/local";
import { computeDrift } from "../dist/index.js";

const here = dirname(fileURLToPath(import.meta.url));
const pkgDir = join(here, "..");
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg("rows", 100_000);
const RUNS = arg("runs", 3);
const venv = process.env.LOLPOP_VENV ?? join(pkgDir, "..", "..", ".venv");
const python = join(venv, "bin", "python");
if (!existsSync(python)) {
  console.error(`evidently bench: no venv at ${venv}; run \`pnpm python:setup\` at the repository root`);
  process.exit(1);
}

// 20 columns: 8 float, 3 wide integers (numerical), 3 string categories, 2 booleans, 2 small integers
// (categorical), 2 floats with missing values. The current data drifts in about a third of them.
function columns(n, seed, drift) {
  const u = createRng(seed);
  const normal = (mu, sd) => mu + sd * Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());
  const pick = (xs, w) => {
    let r = u() * w.reduce((a, b) => a + b, 0);
    for (let i = 0; i < xs.length; i++) {
      r -= w[i];
      if (r < 0) return xs[i];
    }
    return xs[xs.length - 1];
  };
  const r6 = (x) => Math.round(x * 1e6) / 1e6;
  const gen = (f) => Array.from({ length: n }, f);
  const cols = [];
  for (let k = 0; k < 8; k++)
    cols.push([`f${k}`, gen(() => r6(normal(k + (drift && k < 3 ? 0.2 : 0), 1 + k / 4)))]);
  for (let k = 0; k < 3; k++)
    cols.push([`w${k}`, gen(() => Math.floor(u() * (100 + (drift && k === 0 ? 15 : 0))))]);
  const cities = ["Oslo", "Lima", "Pune", "Kobe", "Rome", "Accra", "Quito", "Hanoi"];
  for (let k = 0; k < 3; k++)
    cols.push([
      `c${k}`,
      gen(() =>
        pick(
          cities.slice(0, 4 + k * 2),
          cities.slice(0, 4 + k * 2).map((_, i) => 1 + (drift && k === 1 ? i : 0)),
        ),
      ),
    ]);
  for (let k = 0; k < 2; k++)
    cols.push([`b${k}`, gen(() => (u() < 0.5 + (drift && k === 0 ? 0.05 : 0) ? "True" : "False"))]);
  for (let k = 0; k < 2; k++) cols.push([`s${k}`, gen(() => Math.floor(u() * (5 + k)))]);
  for (let k = 0; k < 2; k++) cols.push([`m${k}`, gen(() => (u() < 0.1 ? "" : r6(normal(0, 1))))]);
  return cols;
}

function writeCsv(path, cols) {
  const n = cols[0][1].length;
  const parts = [cols.map((c) => c[0]).join(",")];
  for (let i = 0; i < n; i++) parts.push(cols.map((c) => c[1][i]).join(","));
  writeFileSync(path, `${parts.join("\n")}\n`);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = mkdtempSync(join(tmpdir(), "lolpop-evidently-bench-"));
try {
  const refPath = join(dir, "reference.csv");
  const curPath = join(dir, "current.csv");
  writeCsv(refPath, columns(ROWS, 1, false));
  writeCsv(curPath, columns(ROWS, 2, true));

  const connector = await instantiateComponent(localDataConnector, { config: { path: refPath } });
  const reference = await connector.get_data(refPath);
  const current = await connector.get_data(curPath);
  const ours = [];
  let result;
  computeDrift(current.head(1000), reference.head(1000)); // warm-up (JIT, lazy numerics)
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint();
    result = computeDrift(current, reference);
    ours.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }

  const script = `
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_csv(sys.argv[1]); cur = pd.read_csv(sys.argv[2])
times = []
for _ in range(int(sys.argv[3])):
    t0 = time.perf_counter(); snap = Report([DataDriftPreset()]).run(cur, ref); times.append((time.perf_counter() - t0) * 1000)
d = snap.dict()
print(json.dumps({"ms": times, "count": d["metrics"][0]["value"]["count"],
  "drift": {m["config"]["column"]: m["value"] for m in d["metrics"][1:]}}))
`;
  // numpy/scipy run with the machine's OpenBLAS settings removed for this process only (see the env notes).
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const py = spawnSync(python, ["-c", script, refPath, curPath, String(RUNS)], {
    encoding: "utf8",
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (py.status !== 0) throw new Error(`evidently run failed: ${py.stderr.slice(-3000)}`);
  const theirs = JSON.parse(py.stdout);

  const mismatched = result.columns.filter((c) => {
    const v = theirs.drift[c.column];
    return !(Math.abs(v - c.score) <= 1e-9 || Math.abs(v - c.score) <= 1e-6 * Math.abs(v));
  });
  const a = median(ours);
  const b = median(theirs.ms);
  console.log(
    `evidently drift, ${ROWS.toLocaleString("en")} rows x ${current.numColumns} columns (reference and current), median of ${RUNS}:`,
  );
  console.log(
    `  @lolpop/evidently computeDrift       ${a.toFixed(0).padStart(7)} ms  (runs: ${ours.map((x) => x.toFixed(0)).join(", ")})`,
  );
  console.log(
    `  evidently 0.7.23 Report.run (drift)  ${b.toFixed(0).padStart(7)} ms  (runs: ${theirs.ms.map((x) => x.toFixed(0)).join(", ")})`,
  );
  const best = Math.min(...theirs.ms) / Math.min(...ours);
  console.log(
    `  ratio (evidently / lolpop): ${(b / a).toFixed(1)}x faster (medians), ${best.toFixed(1)}x (best runs)  [goal: 10x]`,
  );
  console.log(
    `  drifted columns: lolpop ${result.number_of_drifted_columns}, evidently ${theirs.count}; scores differing beyond 1e-6: ${mismatched.length}`,
  );
  if (mismatched.length || result.number_of_drifted_columns !== theirs.count) process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
