#!/usr/bin/env node
// LocalDataConnector reading a 1,000,000 x 22 CSV file (~156 MB: an id, 16 decimals, 2 integers,
// 2 text columns and a label), side by side in one run with pandas.read_csv on the same file:
//  - whole process: `node` running get_data() vs `python` running pandas.read_csv (start, imports,
//    read), each a fresh process, alternating; medians;
//  - in process: the read alone (timed inside each process);
//  - peak RSS of each process.
// Ratios are lolpop / pandas (< 1 = faster). The file is generated once per run (seeded).
// With --before DIR (another build's packages/local/dist, e.g. main's), that build is timed as a
// third side in the same alternating runs, and its ratio to pandas printed as "before".
// Usage: node bench/csv-read.mjs [--runs N] [--rows N] [--keep] [--before DIR]
//   (needs `pnpm build`; pandas from the project's venv: `pnpm python:setup`, or LOLPOP_VENV)
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { writeBenchCsv } from "./bench-csv.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");
const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const RUNS = arg("--runs", 5);
const ROWS = arg("--rows", 1_000_000);

if (!existsSync(python)) {
  console.error(
    `no Python at ${python}: run \`pnpm python:setup\` at the repo root first (or set LOLPOP_VENV)`,
  );
  process.exit(1);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

if (process.argv.includes("--child")) {
  // One read in this process (the "whole process" side): start, imports, get_data.
  const csv = process.argv[process.argv.indexOf("--child") + 1];
  const distIndex = process.argv.includes("--dist")
    ? pathToFileURL(join(process.argv[process.argv.indexOf("--dist") + 1], "index.js")).href
    : "../dist/index.js";
  const t0 = performance.now();
  const { instantiateComponent, silentLogger } = await import("@lolpop/core");
  const { localDataConnector } = await import(distIndex);
  const c = await instantiateComponent(localDataConnector, { config: { path: csv }, logger: silentLogger });
  const t1 = performance.now();
  const t = await c.get_data();
  const ms = performance.now() - t1;
  console.log(
    JSON.stringify({
      ms,
      import_ms: t1 - t0,
      rows: t.numRows,
      columns: t.numColumns,
      types: t.schema.map((s) => s.type[0]).join(""),
      rss_mb: process.resourceUsage().maxRSS / 1024,
    }),
  );
} else {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-csv-bench-"));
  const keep = process.argv.includes("--keep");
  try {
    const csv = join(dir, "data.csv");
    await writeBenchCsv(csv, ROWS);
    const mb = statSync(csv).size / 1e6;
    const self = fileURLToPath(import.meta.url);
    const pyScript = join(dir, "read.py");
    writeFileSync(
      pyScript,
      `import json, resource, sys, time
import pandas as pd
t0 = time.perf_counter()
df = pd.read_csv(${JSON.stringify(csv)})
ms = (time.perf_counter() - t0) * 1000
types = "".join("n" if k in "fiub" else "c" for k in (d.kind for d in df.dtypes))
print(json.dumps({"ms": ms, "rows": len(df), "columns": df.shape[1], "types": types, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`,
    );
    const run = (cmd, args) => {
      const t0 = performance.now();
      const r = spawnSync(cmd, args, { encoding: "utf8", cwd: join(here, ".."), maxBuffer: 1 << 20 });
      const wall = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
      return { wall, ...JSON.parse(r.stdout.trim().split("\n").at(-1)) };
    };
    const beforeDist = process.argv.includes("--before")
      ? process.argv[process.argv.indexOf("--before") + 1]
      : undefined;
    const ours = [];
    const ref = [];
    const before = [];
    const runBefore = () => {
      if (beforeDist) before.push(run(process.execPath, [self, "--child", csv, "--dist", beforeDist]));
    };
    run(process.execPath, [self, "--child", csv]); // warm the page cache and both runtimes' files
    run(python, [pyScript]);
    for (let r = 0; r < RUNS; r++) {
      if (r % 2 === 0) {
        ours.push(run(process.execPath, [self, "--child", csv]));
        ref.push(run(python, [pyScript]));
        runBefore();
      } else {
        runBefore();
        ref.push(run(python, [pyScript]));
        ours.push(run(process.execPath, [self, "--child", csv]));
      }
    }
    const m = (xs, k) => median(xs.map((x) => x[k]));
    const result = {
      benchmark: "LocalDataConnector CSV read vs pandas.read_csv",
      file_mb: +mb.toFixed(1),
      rows: ROWS,
      columns: ours[0].columns,
      types: { lolpop: ours[0].types, pandas: ref[0].types },
      cores: availableParallelism(),
      load: +loadavg()[0].toFixed(1),
      runs: RUNS,
      process_s: {
        lolpop: +(m(ours, "wall") / 1000).toFixed(3),
        pandas: +(m(ref, "wall") / 1000).toFixed(3),
      },
      process_ratio: +(m(ours, "wall") / m(ref, "wall")).toFixed(3),
      in_process_s: { lolpop: +(m(ours, "ms") / 1000).toFixed(3), pandas: +(m(ref, "ms") / 1000).toFixed(3) },
      in_process_ratio: +(m(ours, "ms") / m(ref, "ms")).toFixed(3),
      peak_rss_mb: { lolpop: Math.round(m(ours, "rss_mb")), pandas: Math.round(m(ref, "rss_mb")) },
      goal: "process_ratio <= 1.0",
      ...(beforeDist
        ? {
            before: {
              dist: beforeDist,
              process_s: +(m(before, "wall") / 1000).toFixed(3),
              process_ratio: +(m(before, "wall") / m(ref, "wall")).toFixed(3),
              in_process_ratio: +(m(before, "ms") / m(ref, "ms")).toFixed(3),
              peak_rss_mb: Math.round(m(before, "rss_mb")),
            },
          }
        : {}),
    };
    console.log(
      `CSV read ${ROWS.toLocaleString("en")} x ${result.columns} (${result.file_mb} MB): whole process lolpop ${result.process_s.lolpop} s vs pandas ${result.process_s.pandas} s, ratio ${result.process_ratio} (goal <= 1.0); ` +
        `in process ${result.in_process_s.lolpop} s vs ${result.in_process_s.pandas} s, ratio ${result.in_process_ratio}; ` +
        `peak RSS ${result.peak_rss_mb.lolpop} MB vs ${result.peak_rss_mb.pandas} MB; medians of ${RUNS} alternating runs, load ${result.load}`,
    );
    if (result.before) {
      console.log(
        `before (${beforeDist}): whole process ${result.before.process_s} s, ratio ${result.before.process_ratio}; in process ratio ${result.before.in_process_ratio}; peak RSS ${result.before.peak_rss_mb} MB`,
      );
    }
    console.log(JSON.stringify(result));
    if (keep) console.log(`kept ${csv}`);
  } finally {
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
