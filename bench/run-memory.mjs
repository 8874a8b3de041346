#!/usr/bin/env node
// Peak memory of `lolpop run` at 1M rows (issue 25: "does not grow"), side by side in one run with
// the same steps in Python (pandas.read_csv, a 0.70/0.15/0.15 split, median imputation + scaling
// and one-hot encoding, scikit-learn's random forest of 10 trees, depth 8, n_jobs=2, scored on
// the test split). Workflow and data: bench/forest-project.mjs (1,000,000 x 22 CSV, ~156 MB).
//  - lolpop, first run on a fresh store (the step cache records every step's outputs);
//  - lolpop, the same run again (process and split from the cache);
//  - pandas + scikit-learn, a fresh process each time;
//  - with --baseline PATH (another build's apps/cli/bin/lolpop.js; its checkout's
//    bench/node_modules must exist), that build's first run as a fourth side, e.g. a build from
//    before a change, to show whether the change grew memory.
// Sides alternate; peak RSS (node: `process.resourceUsage().maxRSS` at exit, through
// bench/max-rss.cjs; python: `ru_maxrss`) and wall time per side, medians; ratios lolpop / python
// and lolpop / baseline.
// Usage: node bench/run-memory.mjs [--runs N] [--rows N] [--baseline PATH]
//   (needs `pnpm build`; pandas and scikit-learn from the project's venv: `pnpm python:setup`,
//   or LOLPOP_VENV)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { writeBenchCsv } from "../packages/local/bench/bench-csv.mjs";
import { makeForestProject } from "./forest-project.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const argOf = (name) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const RUNS = Number(argOf("--runs") ?? 3);
const ROWS = Number(argOf("--rows") ?? 1_000_000);
const baselineArg = argOf("--baseline");
const baselineCli = baselineArg && resolve(baselineArg);
// A build's bench/node_modules (what its projects link to), from its apps/cli/bin/lolpop.js.
const baselineModules = baselineCli && join(baselineCli, "..", "..", "..", "..", "bench", "node_modules");
const ourCli = join(root, "apps", "cli", "bin", "lolpop.js");
const python = join(process.env.LOLPOP_VENV ?? join(root, ".venv"), "bin", "python");
if (!existsSync(python)) {
  console.error(
    `no Python at ${python}: run \`pnpm python:setup\` at the repo root first (or set LOLPOP_VENV)`,
  );
  process.exit(1);
}
if (baselineCli && !existsSync(baselineModules)) {
  console.error(`--baseline ${baselineCli}: no bench/node_modules in its checkout (run pnpm install there)`);
  process.exit(1);
}

const PY = `
import json, resource, sys, time
t0 = time.perf_counter()
import numpy as np, pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score
df = pd.read_csv(sys.argv[1])
y = df.pop("label"); df = df.drop(columns=["id"])
cat = ["city", "segment"]; num = [c for c in df.columns if c not in cat]
Xtr, Xrest, ytr, yrest = train_test_split(df, y, test_size=0.3, random_state=42)
Xva, Xte, yva, yte = train_test_split(Xrest, yrest, test_size=0.5, random_state=42)
pre = ColumnTransformer([
  ("n", Pipeline([("i", SimpleImputer(strategy="median")), ("s", StandardScaler())]), num),
  ("c", Pipeline([("i", SimpleImputer(strategy="most_frequent")), ("o", OneHotEncoder(handle_unknown="ignore", sparse_output=False))]), cat),
])
m = Pipeline([("p", pre), ("rf", RandomForestClassifier(n_estimators=10, max_depth=8, n_jobs=2, random_state=42))]).fit(Xtr, ytr)
f1 = f1_score(yte, m.predict(Xte), average="macro")
print(json.dumps({"f1": f1, "rss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
`;

const work = mkdtempSync(join(tmpdir(), "lolpop-bench-memory-"));
const csv = join(work, "train.csv");
await writeBenchCsv(csv, ROWS);
const mb = statSync(csv).size / 1e6;
writeFileSync(join(work, "forest.py"), PY);
const rssFile = join(work, "rss");
const env = {
  ...process.env,
  LOLPOP_NO_HANDOFF: "1",
  LOLPOP_LOG_LEVEL: "warn",
  LOLPOP_PROGRESS: "0",
  LOLPOP_BENCH_RSS_FILE: rssFile,
};

/** One `lolpop run` of `cli` in `project`: wall ms and peak RSS (MB). */
function lolpopRun(cli, project) {
  rmSync(rssFile, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ["--require", join(here, "max-rss.cjs"), cli, "run", "--json"], {
    cwd: project,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    env,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`lolpop run (${cli}) failed (${r.status}): ${r.stderr}`);
  const summary = JSON.parse(r.stdout);
  return {
    ms,
    rss_mb: Number(readFileSync(rssFile, "utf8")) / 1024,
    f1: summary.train?.metrics?.test?.f1_macro,
    cached: Object.keys(summary.cached ?? {})
      .sort()
      .join(", "),
  };
}

function pythonRun() {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(python, [join(work, "forest.py"), csv], { encoding: "utf8", maxBuffer: 16 << 20 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`python forest.py failed (${r.status}): ${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split("\n").pop());
  return { ms, rss_mb: out.rss_kb / 1024, f1: out.f1 };
}

const sides = {
  first: { label: "lolpop run, fresh store (records the cache)", xs: [] },
  second: { label: "lolpop run again (process, split cached)", xs: [] },
  python: { label: "pandas + scikit-learn (python, reference)", xs: [] },
  ...(baselineCli ? { baseline: { label: "baseline build, fresh store", xs: [] } } : {}),
};
const projects = [];
try {
  for (let k = 0; k < RUNS; k++) {
    // Each round a fresh project per build; the rows rotate so no side always follows another.
    const ours = await makeForestProject({ nodeModules: join(here, "node_modules"), csv });
    projects.push(ours);
    const steps = [
      () => {
        sides.first.xs.push(lolpopRun(ourCli, ours));
        sides.second.xs.push(lolpopRun(ourCli, ours));
      },
      () => sides.python.xs.push(pythonRun()),
    ];
    if (baselineCli) {
      const theirs = await makeForestProject({ nodeModules: baselineModules, csv });
      projects.push(theirs);
      steps.push(() => sides.baseline.xs.push(lolpopRun(baselineCli, theirs)));
    }
    for (let i = 0; i < steps.length; i++) steps[(i + k) % steps.length]();
  }
} finally {
  for (const p of projects) rmSync(p, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const stat = (s) => ({
  rss_mb: Math.round(median(s.xs.map((x) => x.rss_mb))),
  s: +(median(s.xs.map((x) => x.ms)) / 1000).toFixed(2),
});
const result = { rows: ROWS, mb: +mb.toFixed(1), runs: RUNS, load: loadavg()[0].toFixed(1) };
console.log(
  `lolpop run at ${ROWS.toLocaleString("en")} rows (${mb.toFixed(0)} MB CSV), medians of ${RUNS} runs:`,
);
if (baselineCli) console.log(`baseline build: ${baselineCli}`);
for (const [name, s] of Object.entries(sides)) {
  result[name] = {
    ...stat(s),
    f1: s.xs[0].f1,
    ...(s.xs[0].cached !== undefined ? { cached: s.xs[0].cached } : {}),
  };
  console.log(
    `${s.label.padEnd(52)} peak RSS ${String(result[name].rss_mb).padStart(6)} MB   wall ${String(result[name].s).padStart(7)} s   f1_macro ${s.xs[0].f1?.toFixed(4)}`,
  );
}
const ratio = (a, b, key) => +(result[a][key] / result[b][key]).toFixed(2);
result.ratios = {
  first_vs_python_rss: ratio("first", "python", "rss_mb"),
  first_vs_python_wall: ratio("first", "python", "s"),
  ...(baselineCli
    ? {
        first_vs_baseline_rss: ratio("first", "baseline", "rss_mb"),
        first_vs_baseline_wall: ratio("first", "baseline", "s"),
      }
    : {}),
};
console.log(
  `${"peak RSS, ratio lolpop first run / python".padEnd(52)} ${result.ratios.first_vs_python_rss}   (wall ${result.ratios.first_vs_python_wall})`,
);
if (baselineCli)
  console.log(
    `${"peak RSS, ratio lolpop first run / baseline".padEnd(52)} ${result.ratios.first_vs_baseline_rss}   (wall ${result.ratios.first_vs_baseline_wall}; goal <= 1.2)`,
  );
console.log(`load average ${result.load}`);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(result, null, 2));
rmSync(work, { recursive: true, force: true });
