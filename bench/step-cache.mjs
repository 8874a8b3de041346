#!/usr/bin/env node
// The step cache (issue 24): a quickstart-like workflow (CSV -> split -> encode -> random forest ->
// deploy) on a ~200 MB CSV, `lolpop run` on a fresh store, then `lolpop run` again with nothing
// changed (process and split from the cache, the identical version found, not trained again) and
// `lolpop run --force` (encode and train from the cache too, a version registered). Wall times of
// each and the ratios second / first are printed (goal: < 0.3).
// Usage: node bench/step-cache.mjs [--rows N] [--keep]   (needs `pnpm build`)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeBenchCsv } from "../packages/local/bench/bench-csv.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "..");
const cli = join(root, "apps", "cli", "bin", "lolpop.js");
const rowsArg = process.argv.indexOf("--rows");
const ROWS = rowsArg > 0 ? Number(process.argv[rowsArg + 1]) : 1_300_000; // ~200 MB
const KEEP = process.argv.includes("--keep");

const project = mkdtempSync(join(tmpdir(), "lolpop-bench-cache-"));
writeFileSync(
  join(project, "package.json"),
  JSON.stringify({
    name: "bench-cache",
    private: true,
    type: "module",
    dependencies: { "@lolpop/workflows": "*", "@lolpop/local": "*", "@lolpop/random-forest": "*" },
  }),
);
symlinkSync(join(here, "node_modules"), join(project, "node_modules"));
mkdirSync(join(project, "data"));
await writeBenchCsv(join(project, "data", "train.csv"), ROWS);
const mb = statSync(join(project, "data", "train.csv")).size / 1e6;
writeFileSync(
  join(project, "lolpop.yaml"),
  `runner: ClassificationRunner
config:
  target: label
  index: id
  model_name: bench
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
pipelines:
  process: OfflineProcess
  train: OfflineTrain
  deploy: OfflineDeploy
process:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/train.csv
train:
  config:
    perf_metric: f1_macro
    metrics: [accuracy, f1_macro]
  components:
    data_splitter: LocalDataSplitter
    feature_transformer: LocalFeatureTransformer
    model_trainer: RandomForestModelTrainer
  data_splitter:
    config:
      split_ratio: [0.7, 0.15, 0.15]
      seed: 42
  model_trainer:
    config:
      training_params:
        n_estimators: 10
        max_depth: 8
deploy:
  config:
    require_beat_baseline: true
`,
);

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
