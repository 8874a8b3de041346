#!/usr/bin/env node
// lolpop benchmarks, each side by side with a reference in the same run, reported as ratios:
//  1. import time of @lolpop/core vs a bare `node` start (and vs importing its two dependencies);
//  2. `lolpop --help` start-up vs a bare `node` start;
//  3. the penguins quickstart end to end (`lolpop run`, fresh store) vs the same steps in
//     Python with pandas-free scikit-learn (load CSV, split, impute+one-hot+scale, random forest
//     with the same trees and depth, score, predict), when the project's .venv exists.
// Usage: node bench/run.mjs [--runs N]
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const runsArg = process.argv.indexOf("--runs");
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 10;

function time(cmd, args, opts = {}) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: "utf8", ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  return ms;
}
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
function bench(name, fn, runs = RUNS) {
  fn(); // warm the file cache
  const xs = Array.from({ length: runs }, fn);
  return {
    name,
    median_ms: Math.round(median(xs) * 10) / 10,
    min_ms: Math.round(Math.min(...xs) * 10) / 10,
    runs,
  };
}
const results = [];
const node = process.execPath;
const bare = bench("node -e '' (reference)", () => time(node, ["-e", ""], { cwd: here }));
const deps = bench("import yaml + ajv (core's dependencies)", () =>
  time(node, ["--input-type=module", "-e", "await import('yaml'); await import('ajv')"], {
    cwd: join(root, "packages", "core"),
  }),
);
const core = bench("import @lolpop/core", () =>
  time(node, ["--input-type=module", "-e", "await import('@lolpop/core')"], { cwd: here }),
);
results.push(bare, deps, core, {
  name: "core import, ratio to bare node",
  ratio: +(core.median_ms / bare.median_ms).toFixed(2),
  import_cost_ms: +(core.median_ms - bare.median_ms).toFixed(1),
});
const help = bench("lolpop --help", () =>
  time(node, [join(root, "apps", "cli", "bin", "lolpop.js"), "--help"], {
    cwd: here,
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1" },
  }),
);
results.push(help, {
  name: "lolpop --help, ratio to bare node",
  ratio: +(help.median_ms / bare.median_ms).toFixed(2),
});

// Quickstart end to end in a temp project.
const qsRuns = Math.max(3, Math.min(RUNS, 5));
const project = mkdtempSync(join(tmpdir(), "lolpop-bench-qs-"));
for (const f of ["lolpop.yaml", "prepare-data.mjs"])
  copyFileSync(join(root, "examples", "quickstart", "penguins", f), join(project, f));
writeFileSync(
  join(project, "package.json"),
  JSON.stringify({
    name: "bench-qs",
    private: true,
    type: "module",
    dependencies: {
      "@lolpop/workflows": "*",
      "@lolpop/local": "*",
      "@lolpop/random-forest": "*",
      "vega-datasets": "*",
    },
  }),
);
symlinkSync(join(here, "node_modules"), join(project, "node_modules"));
execFileSync(node, ["prepare-data.mjs"], { cwd: project });
const qs = bench(
  "penguins quickstart: lolpop run (fresh store)",
  () => {
    rmSync(join(project, ".lolpop"), { recursive: true, force: true });
    return time(node, [join(root, "apps", "cli", "bin", "lolpop.js"), "run"], {
      cwd: project,
      env: { ...process.env, LOLPOP_NO_HANDOFF: "1", LOLPOP_LOG_LEVEL: "warn" },
    });
  },
  qsRuns,
);
results.push(qs);
const py = join(root, ".venv", "bin", "python");
if (existsSync(py)) {
  const script = `
import csv, numpy as np
from sklearn.model_selection import train_test_split
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score
rows = list(csv.DictReader(open("data/train.csv")))
num = ["beak_length_mm","beak_depth_mm","flipper_length_mm","body_mass_g"]; cat = ["island","sex"]
X = np.array([[float(r[c]) if r[c] != "" else np.nan for c in num] + [r[c] or None for c in cat] for r in rows], dtype=object)
y = np.array([r["species"] for r in rows])
Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.3, random_state=42, stratify=y)
pre = ColumnTransformer([("n", Pipeline([("i", SimpleImputer(strategy="median")), ("s", StandardScaler())]), list(range(4))), ("c", Pipeline([("i", SimpleImputer(strategy="most_frequent")), ("o", OneHotEncoder(handle_unknown="ignore"))]), [4, 5])])
m = Pipeline([("p", pre), ("rf", RandomForestClassifier(n_estimators=30, max_depth=8, random_state=42))]).fit(Xtr, ytr)
f1 = f1_score(yte, m.predict(Xte), average="macro")
new = list(csv.DictReader(open("data/new.csv")))
Xn = np.array([[float(r[c]) if r[c] != "" else np.nan for c in num] + [r[c] or None for c in cat] for r in new], dtype=object)
p = m.predict_proba(Xn)
with open("predictions-sklearn.csv", "w") as f:
    f.write("id,prediction\\n" + "".join(f"{r['id']},{m.classes_[i]}\\n" for r, i in zip(new, p.argmax(1))))
`;
  writeFileSync(join(project, "sklearn_quickstart.py"), script);
  const ref = bench(
    "same steps in scikit-learn (python, reference)",
    () => time(py, ["sklearn_quickstart.py"], { cwd: project }),
    qsRuns,
  );
  results.push(ref, {
    name: "quickstart, ratio lolpop / scikit-learn",
    ratio: +(qs.median_ms / ref.median_ms).toFixed(2),
  });
} else {
  results.push({ name: "scikit-learn reference skipped: run `pnpm python:setup` first" });
}
rmSync(project, { recursive: true, force: true });

for (const r of results) {
  if (r.median_ms !== undefined)
    console.log(
      `${r.name.padEnd(52)} median ${String(r.median_ms).padStart(8)} ms   min ${String(r.min_ms).padStart(8)} ms   (${r.runs} runs)`,
    );
  else if (r.ratio !== undefined)
    console.log(
      `${r.name.padEnd(52)} ratio ${r.ratio}${r.import_cost_ms !== undefined ? `   (+${r.import_cost_ms} ms)` : ""}`,
    );
  else console.log(r.name);
}
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(results, null, 2));
