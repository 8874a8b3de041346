#!/usr/bin/env node
// The step cache (issue 24): a quickstart-like workflow (CSV -> split -> encode -> random forest ->
// deploy) on a ~200 MB CSV, `lolpop run` on a fresh store, then `lolpop run` again with nothing
// changed (process and split from the cache, the identical version found, not trained again) and
// `lolpop run --force` (encode and train from the cache too, a version registered). Wall times of
// each and the ratios second / first are printed (goal: < 0.3).
// Usage: node bench/step-cache.mjs [--rows N] [--keep]   (needs `pnpm build`)
import { spawnSync } from "node:child_process";
import { rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { makeForestProject } from "./forest-project.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const cli = join(root, "apps", "cli", "bin", "lolpop.js");
const rowsArg = process.argv.indexOf("--rows");
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_300_000; // ~200 MB
const KEEP = process.argv.includes("--keep");

const project = await makeForestProject({ nodeModules: join(here, "node_modules"), rows: ROWS });
const mb = statSync(join(project, "data", "train.csv")).size / 1e6;

function timed(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [cli, "run", "--json", ...args], {
    cwd: project,
    encoding: "utf8",
    maxBuffer: 64 << 20,
    env: { ...process.env, LOLPOP_NO_HANDOFF: "1", LOLPOP_LOG_LEVEL: "warn", LOLPOP_PROGRESS: "0" },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`lolpop run ${args.join(" ")} failed (${r.status}): ${r.stderr}`);
  const summary = JSON.parse(r.stdout);
  return { ms, cached: Object.keys(summary.cached ?? {}).sort(), f1: summary.train?.metrics?.test?.f1_macro };
}

try {
  const first = timed([]);
  const second = timed([]);
  const forced = timed(["--force"]);
  if (second.f1 !== first.f1 || forced.f1 !== first.f1)
    throw new Error(`metrics differ between runs: ${first.f1}, ${second.f1}, ${forced.f1}`);
  const line = (name, r) =>
    console.log(
      `${name.padEnd(44)} ${(r.ms / 1000).toFixed(2).padStart(8)} s   cached: ${r.cached.join(", ") || "none"}`,
    );
  console.log(`step cache: ${ROWS.toLocaleString("en")} rows, ${mb.toFixed(0)} MB CSV`);
  line("first lolpop run (fresh store)", first);
  line("second lolpop run (nothing changed)", second);
  line("lolpop run --force (nothing changed)", forced);
  console.log(`${"ratio second / first".padEnd(44)} ${(second.ms / first.ms).toFixed(3)}   (goal < 0.3)`);
  console.log(`${"ratio --force / first".padEnd(44)} ${(forced.ms / first.ms).toFixed(3)}`);
  if (process.env.BENCH_JSON)
    writeFileSync(
      process.env.BENCH_JSON,
      JSON.stringify({ rows: ROWS, mb, first, second, forced, ratio: second.ms / first.ms }, null, 2),
    );
} finally {
  if (!KEEP) rmSync(project, { recursive: true, force: true });
  else console.log(`project kept: ${project}`);
}
