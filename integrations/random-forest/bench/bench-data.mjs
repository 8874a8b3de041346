// Seeded benchmark data and the scikit-learn reference run, shared by the random-forest benchmarks
// (histogram.mjs, onnx-predict.mjs).
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng, Table } from "@lolpop/core";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");
/** The project venv's interpreter (`pnpm python:setup`; LOLPOP_VENV points elsewhere). */
export const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");
const reference = join(here, "..", "python", "sklearn_reference.py");

/** Features of every benchmark table. */
export const F = 20;

/** Seeded two-class data: Gaussian clusters on hypercube vertices in 8 dimensions, 12 noise features. */
export function makeData(n, seed) {
  const rand = createRng(seed);
  let spare;
  const normal = () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const u = Math.max(rand(), 1e-300);
    const v = rand();
    const r = Math.sqrt(-2 * Math.log(u));
    spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  };
  const I = 8;
  const centreRand = createRng(12345); // the same clusters for every n and seed
  const centres = Array.from({ length: 8 }, () =>
    Array.from({ length: I }, () => (centreRand() < 0.5 ? -1 : 1) * 1.2),
  );
  const columns = Array.from({ length: F }, () => new Float64Array(n));
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const cluster = Math.floor(rand() * 8);
    const k = cluster % 2;
    for (let d = 0; d < I; d++) columns[d][i] = centres[cluster][d] + normal();
    for (let f = I; f < F; f++) columns[f][i] = normal();
    y[i] = rand() < 0.03 ? (rand() < 0.5 ? 0 : 1) : k;
  }
  return { columns, y };
}

export function table({ columns, y }, start, end) {
  const cols = {};
  columns.forEach((c, f) => {
    cols[`x${f}`] = c.subarray(start, end);
  });
  cols.y = Array.from(y.subarray(start, end), (k) => (k ? "b" : "a"));
  return Table.fromColumns(cols, { roles: { y: "target" } });
}

/** Rows `[start, end)` as one row-major float64 matrix (what numpy reads with fromfile + reshape). */
export function rowMajor({ columns }, start, end) {
  const n = end - start;
  const X = new Float64Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) X[i * F + f] = columns[f][start + i];
  return X;
}

/**
 * Fits scikit-learn's RandomForestClassifier (n_jobs=2, `settings`) on the first n rows of `data`
 * and times `predict_proba` on the next n, median of `predictRepeats` (python/sklearn_reference.py,
 * files in `dir`).
 */
export function runSklearn(data, n, dir, settings, predictRepeats = 1) {
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
    params: { ...settings, min_samples_split: 2, min_samples_leaf: 1, bootstrap: true, criterion: "gini" },
    n_jobs: 2,
    runs: [{ train: join(dir, "train.i32"), test: join(dir, "test.i32"), seed: 0 }],
    predict_repeats: predictRepeats,
  };
  writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
  const out = JSON.parse(
    execFileSync(python, [reference, join(dir, "spec.json")], { encoding: "utf8", maxBuffer: 1 << 26 }),
  );
  return { ...out.runs[0], peak_rss_mb: out.peak_rss_mb };
}
