// The project the 1M-row benchmarks run `lolpop run` on: the seeded bench CSV
// (packages/local/bench/bench-csv.mjs) and a quickstart-like workflow (CSV -> split -> encode ->
// random forest of 10 trees, depth 8 -> deploy) on the local store. bench/step-cache.mjs and
// bench/run-memory.mjs use it.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeBenchCsv } from "../packages/local/bench/bench-csv.mjs";

/** The workflow (lolpop.yaml). */
export const FOREST_WORKFLOW = `runner: ClassificationRunner
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
`;

/**
 * A fresh project in a temp folder: package.json, `node_modules` linked to `nodeModules` (a
 * checkout's bench/node_modules: the build under test), `data/train.csv` (written, or linked to
 * `csv` when given) and the workflow. Returns its folder.
 */
export async function makeForestProject({ nodeModules, rows, csv }) {
  const project = mkdtempSync(join(tmpdir(), "lolpop-bench-forest-"));
  writeFileSync(
    join(project, "package.json"),
    JSON.stringify({
      name: "bench-forest",
      private: true,
      type: "module",
      dependencies: { "@lolpop/workflows": "*", "@lolpop/local": "*", "@lolpop/random-forest": "*" },
    }),
  );
  symlinkSync(nodeModules, join(project, "node_modules"));
  mkdirSync(join(project, "data"));
  if (csv) symlinkSync(csv, join(project, "data", "train.csv"));
  else await writeBenchCsv(join(project, "data", "train.csv"), rows);
  writeFileSync(join(project, "lolpop.yaml"), FOREST_WORKFLOW);
  return project;
}
