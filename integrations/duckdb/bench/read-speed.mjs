#!/usr/bin/env node
// Benchmark: DuckDBDataConnector.get_data reading a 1,000,000 x 22 CSV and its Parquet version into a
// lolpop Table, side by side in one run with pandas.read_csv (+ pd.to_datetime of the timestamp column,
// so both sides make the same typed table) and pandas.read_parquet (pyarrow) from the project's venv.
// Two Parquet versions are read by both sides: one written by pandas/pyarrow (one row group, which
// DuckDB reads on one thread) and one written by DuckDBDataConnector.save_data (row groups of 122,880
// rows, read in parallel). Rounds alternate
// between the two sides so that load changes hit both; medians are compared as speed-ups
// (pandas time / lolpop time: 2.0 = twice as fast as pandas). Each side checks what it read.
// For Parquet, each round also times DuckDB's own streamed scan of the file with no conversion at all
// (the chunks are fetched and dropped): the floor under get_data, printed as its share of get_data and
// as the speed-up over pandas that a free conversion would give.
// Usage: node bench/read-speed.mjs [--rows N] [--rounds N]   (needs `pnpm build` and `pnpm python:setup`)
import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { DuckDBInstance } from "@duckdb/node-api";
import { instantiateComponent } from "@lolpop/core";
import { duckdbDataConnector } from "../dist/index.js";
import { writeWideCsv } from "../test-fixtures/wide-data.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const arg = (name, dflt) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const ROWS = arg("--rows", 1_000_000);
const ROUNDS = arg("--rounds", 5);
const repoRoot = join(here, "..", "..", "..");
const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");
if (!existsSync(python)) throw new Error(`no Python venv at ${python}: run \`pnpm python:setup\``);

const csv = join(tmpdir(), `lolpop-bench-wide-${ROWS}-v1.csv`);
const parquet = join(tmpdir(), `lolpop-bench-wide-${ROWS}-v1.parquet`);
const parquetDuckdb = join(tmpdir(), `lolpop-bench-wide-${ROWS}-v1-duckdb.parquet`);
if (!existsSync(csv) || statSync(csv).size === 0) {
  console.log(`writing ${csv} (${ROWS.toLocaleString("en")} x 22)`);
  await writeWideCsv(`${csv}.tmp`, ROWS);
  const { renameSync } = await import("node:fs");
  renameSync(`${csv}.tmp`, csv);
}

const py = spawn(python, [join(here, "pandas_read.py")], { stdio: ["pipe", "pipe", "inherit"] });
const answers = createInterface({ input: py.stdout })[Symbol.asyncIterator]();
async function pandas(cmd) {
  py.stdin.write(`${cmd}\n`);
  const { value, done } = await answers.next();
  if (done) throw new Error("the pandas process ended early");
  return JSON.parse(value);
}
if (!existsSync(parquet)) await pandas(`write_parquet ${csv} ${parquet}`);

const connector = await instantiateComponent(duckdbDataConnector, {
  config: { columns: { ts: "datetime" } },
});
const parquetConnector = await instantiateComponent(duckdbDataConnector, { config: {} });
if (!existsSync(parquetDuckdb)) await connector.save_data(await connector.get_data(csv), parquetDuckdb);
const PATHS = { csv, parquet, "parquet-duckdb": parquetDuckdb };
async function ours(which) {
  const t0 = performance.now();
  const t = which === "csv" ? await connector.get_data(csv) : await parquetConnector.get_data(PATHS[which]);
  const ms = performance.now() - t0;
  const x1 = t.numeric("x1");
  let sum = 0;
  let missing = 0;
  for (const v of x1) {
    if (Number.isNaN(v)) missing++;
    else sum += v;
  }
  return {
    ms,
    rows: t.numRows,
    columns: t.numColumns,
    x1_sum: sum,
    x1_missing: missing,
    cities: t.categorical("city").dictionary.length,
  };
}

// DuckDB's scan alone: the same streamed read (with the string hashes get_data asks for), chunks dropped.
const scanDb = await DuckDBInstance.create(":memory:");
const scanCon = await scanDb.connect();
async function scanOnly(path) {
  const t0 = performance.now();
  const r = await scanCon.stream(
    `SELECT *, hash(color), hash(city) FROM read_parquet('${path.replaceAll("'", "''")}')`,
  );
  let rows = 0;
  for (;;) {
    const chunk = await r.fetchChunk();
    if (!chunk || chunk.rowCount === 0) break;
    rows += chunk.rowCount;
  }
  if (rows !== ROWS) throw new Error(`scan of ${path}: ${rows} rows`);
  return performance.now() - t0;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const CASES = ["csv", "parquet", "parquet-duckdb"];
const times = Object.fromEntries(CASES.map((c) => [c, { ours: [], pandas: [], scan: [] }]));
let check;
for (let r = 0; r <= ROUNDS; r++) {
  for (const which of CASES) {
    const path = PATHS[which];
    const cmd = which === "csv" ? "csv" : "parquet";
    // alternate which side goes first
    const a = r % 2 === 0 ? await ours(which) : await pandas(`${cmd} ${path}`);
    const b = r % 2 === 0 ? await pandas(`${cmd} ${path}`) : await ours(which);
    const [o, p] = r % 2 === 0 ? [a, b] : [b, a];
    for (const k of ["rows", "columns", "x1_missing", "cities"])
      if (o[k] !== p[k]) throw new Error(`${which}: lolpop read ${k} = ${o[k]}, pandas ${p[k]}`);
    if (Math.abs(o.x1_sum - p.x1_sum) > 1e-6 * Math.abs(p.x1_sum))
      throw new Error(`${which}: x1 sums differ`);
    check = o;
    const scan = which === "csv" ? undefined : await scanOnly(path);
    if (r === 0) continue; // warm-up round (file cache, imports)
    times[which].ours.push(o.ms);
    times[which].pandas.push(p.ms);
    if (scan !== undefined) times[which].scan.push(scan);
    console.log(
      `round ${r} ${which}: lolpop ${Math.round(o.ms)} ms, pandas ${Math.round(p.ms)} ms${scan === undefined ? "" : `, DuckDB scan alone ${Math.round(scan)} ms`}`,
    );
  }
}
py.stdin.write("quit\n");
const LABEL = {
  csv: "CSV",
  parquet: "Parquet written by pyarrow (1 row group)",
  "parquet-duckdb": "Parquet written by DuckDBDataConnector (row groups of 122,880)",
};
const rows = CASES.map((which) => {
  const o = median(times[which].ours);
  const p = median(times[which].pandas);
  return {
    case: `${LABEL[which]}, ${ROWS.toLocaleString("en")} x 22`,
    lolpop_ms: Math.round(o),
    pandas_ms: Math.round(p),
    speedup: +(p / o).toFixed(2),
    ...(times[which].scan.length > 0
      ? (() => {
          const s = median(times[which].scan);
          return {
            duckdb_scan_ms: Math.round(s),
            scan_share: +(s / o).toFixed(2),
            speedup_if_conversion_were_free: +(p / s).toFixed(2),
          };
        })()
      : {}),
  };
});
scanCon.closeSync();
scanDb.closeSync();
for (const r of rows)
  console.log(
    `${r.case}: lolpop ${r.lolpop_ms} ms, pandas ${r.pandas_ms} ms -> ${r.speedup}x (goal >= 2x)${r.duckdb_scan_ms === undefined ? "" : `; DuckDB's scan alone ${r.duckdb_scan_ms} ms (${Math.round(r.scan_share * 100)}% of get_data; ${r.speedup_if_conversion_were_free}x pandas if the conversion were free)`}`,
  );
console.log(
  JSON.stringify({
    benchmark: "@lolpop/duckdb read speed vs pandas",
    rounds: ROUNDS,
    rows,
    table: { rows: check.rows, columns: check.columns },
  }),
);
