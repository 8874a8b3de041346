// Penguins projects for the inference-bundle, promotion and run-outcome tests: the quickstart's data
// (optionally with a `date` column), a config builder with the knobs those tests turn, and readers
// of the local store.
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, tempProject } from "./helpers.js";

/** Writes the quickstart's data/train.csv, data/new.csv and data/new_truth.csv into `dir`. */
export function writePenguinsData(dir: string): void {
  copyFileSync(
    join(repoRoot, "examples", "quickstart", "penguins", "prepare-data.mjs"),
    join(dir, "prepare-data.mjs"),
  );
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
}

/** A temp project with the quickstart's data/train.csv, data/new.csv and data/new_truth.csv. */
export function penguinsProject(prefix = "lolpop-penguins-", options: { dates?: boolean } = {}): string {
  const dir = tempProject(prefix);
  writePenguinsData(dir);
  if (options.dates) for (const f of ["train.csv", "new.csv", "new_truth.csv"]) addDateColumn(dir, f);
  return dir;
}

/** The date of a penguin in the `date` column: deterministic from its id. */
export function dateOf(id: number): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `2024-${pad(((id * 7) % 12) + 1)}-${pad((id % 28) + 1)}`;
}

/** Adds a `date` column (`2024-MM-DD`, from the id) after the id column of data/<file>. */
export function addDateColumn(dir: string, file: string): void {
  const path = join(dir, "data", file);
  const [header, ...rows] = readFileSync(path, "utf8").trimEnd().split("\n");
  const out = [header!.replace(/^id,/, "id,date,")];
  for (const r of rows) {
    const id = Number(r.slice(0, r.indexOf(",")));
    out.push(r.replace(/^(\d+),/, `$1,${dateOf(id)},`));
  }
  writeFileSync(path, `${out.join("\n")}\n`);
}

/** Rewrites data/<file> with `edit` applied to its lines (header first). */
export function editCsv(dir: string, file: string, edit: (lines: string[]) => string[]): void {
  const path = join(dir, "data", file);
  writeFileSync(path, `${edit(readFileSync(path, "utf8").trimEnd().split("\n")).join("\n")}\n`);
}

/** Drops a column from data/<file>. */
export function dropColumn(dir: string, file: string, column: string): void {
  editCsv(dir, file, (lines) => {
    const j = lines[0]!.split(",").indexOf(column);
    if (j < 0) throw new Error(`${file} has no column ${column}`);
    return lines.map((l) => {
      const cells = l.split(",");
      cells.splice(j, 1);
      return cells.join(",");
    });
  });
}

/**
 * Knobs of {@link penguinsYaml}. The root tests, the MLflow integration's and the serve package's
 * tests build their penguins workflows here (one source of the quickstart config in tests).
 */
export interface PenguinsConfig {
  /** components.metadata_tracker (default LocalMetadataTracker). */
  tracker?: string;
  /** components.model_repository (default LocalModelRepository). */
  repository?: string;
  /** More lines under the top `config:` (indented 2), e.g. `tracking_uri: http://...`. */
  config?: string[];
  /** More lines under `components:` (indented 2), e.g. `data_checker: EvidentlyDataChecker`. */
  components?: string[];
  /** Top-level YAML sections after `pipelines:` (component configs such as `model_repository:`). */
  sections?: string;
  /** A hyperparameter_tuner section (lines indented 2) used instead of the model_trainer. */
  tuner?: string;
  /** The lines under deploy.config (indented 4), instead of the require_beat_* defaults; none: no deploy section. */
  deployConfig?: string[];
  /** predict.config.output_path (default predictions/penguins.csv). */
  output?: string;
  /** A top-level `tests:` section (lines indented 2). */
  tests?: string;
  /** `columns:` of the process connector (YAML flow mapping), e.g. `{date: datetime}`. */
  processColumns?: string;
  /** `snapshot_data: true` on the process connector (its file is stored as a blob for `--reproduce`). */
  snapshotData?: boolean;
  /** `columns:` of the predict connector. */
  predictColumns?: string;
  /** A process data_transformer: its config as YAML lines under `config:` (indented 6). */
  processTransformer?: string;
  /** A predict data_transformer (which predict must refuse). */
  predictTransformer?: boolean;
  trees?: number;
  depth?: number;
  /** train.config.seed (a number or `${env:...}`). */
  seed?: string | number;
  requireBeatChampion?: boolean;
  onChampionUnscorable?: "keep" | "replace" | "fail";
  /** predict.config lines (indented 4). */
  predictConfig?: string[];
  /** Omit the predict pipeline. */
  noPredict?: boolean;
  trainPath?: string;
  newPath?: string;
}

/** The penguins quickstart config with the given knobs. */
export function penguinsYaml(o: PenguinsConfig = {}): string {
  const lines = [
    "runner: ClassificationRunner",
    "config:",
    "  target: species",
    "  index: id",
    "  model_name: penguins",
    ...(o.config ?? []).map((l) => `  ${l}`),
    "components:",
    `  metadata_tracker: ${o.tracker ?? "LocalMetadataTracker"}`,
    `  model_repository: ${o.repository ?? "LocalModelRepository"}`,
    ...(o.components ?? []).map((l) => `  ${l}`),
    "pipelines:",
    "  process: OfflineProcess",
    "  train: OfflineTrain",
    "  deploy: OfflineDeploy",
    ...(o.noPredict ? [] : ["  predict: OfflinePredict"]),
    ...(o.sections ? [o.sections.trimEnd()] : []),
    "process:",
    "  components:",
    "    data_connector: LocalDataConnector",
    ...(o.processTransformer ? ["    data_transformer: LocalDataTransformer"] : []),
    "  data_connector:",
    "    config:",
    `      path: ${o.trainPath ?? "data/train.csv"}`,
    ...(o.processColumns ? [`      columns: ${o.processColumns}`] : []),
    ...(o.snapshotData ? ["      snapshot_data: true"] : []),
    ...(o.processTransformer ? ["  data_transformer:", "    config:", o.processTransformer] : []),
    "train:",
    "  config:",
    "    perf_metric: f1_macro",
    ...(o.seed !== undefined ? [`    seed: ${o.seed}`] : []),
    "  components:",
    "    data_splitter: LocalDataSplitter",
    "    feature_transformer: LocalFeatureTransformer",
    o.tuner
      ? "    hyperparameter_tuner: LocalHyperparameterTuner"
      : "    model_trainer: RandomForestModelTrainer",
    "  data_splitter:",
    "    config:",
    "      split_ratio: [0.7, 0.15, 0.15]",
    "      seed: 42",
    ...(o.tuner
      ? [o.tuner.trimEnd()]
      : [
          "  model_trainer:",
          "    config:",
          "      training_params:",
          `        n_estimators: ${o.trees ?? 10}`,
          `        max_depth: ${o.depth ?? 6}`,
        ]),
  ];
  const deploy = o.deployConfig ?? [
    `require_beat_champion: ${o.requireBeatChampion ?? true}`,
    "require_beat_baseline: true",
    ...(o.onChampionUnscorable ? [`on_champion_unscorable: ${o.onChampionUnscorable}`] : []),
  ];
  // No lines: the deploy pipeline's defaults.
  if (deploy.length) lines.push("deploy:", "  config:", ...deploy.map((l) => `    ${l}`));
  if (!o.noPredict)
    lines.push(
      "predict:",
      "  components:",
      "    data_connector: LocalDataConnector",
      ...(o.predictTransformer ? ["    data_transformer: LocalDataTransformer"] : []),
      "  data_connector:",
      "    config:",
      `      path: ${o.newPath ?? "data/new.csv"}`,
      ...(o.predictColumns ? [`      columns: ${o.predictColumns}`] : []),
      ...(o.predictTransformer ? ["  data_transformer:", "    config:", "      steps: [{drop: [sex]}]"] : []),
      "  config:",
      `    output_path: ${o.output ?? "predictions/penguins.csv"}`,
      "    ground_truth_path: data/new_truth.csv",
      ...(o.predictConfig ?? []),
    );
  if (o.tests) lines.push("tests:", o.tests.trimEnd());
  return `${lines.join("\n")}\n`;
}

/** The local store of a project. */
export const storeDir = (dir: string) => join(dir, ".lolpop");

/** Registered version numbers of `penguins`, ascending. */
export function versions(dir: string, model = "penguins"): number[] {
  const v = join(storeDir(dir), "models", model, "versions");
  return existsSync(v)
    ? readdirSync(v)
        .filter((n) => /^\d+$/.test(n))
        .map(Number)
        .sort((a, b) => a - b)
    : [];
}

/** The alias file of a model (`{aliases, history}`). */
export function aliases(dir: string, model = "penguins") {
  const path = join(storeDir(dir), "models", model, "aliases.json");
  return existsSync(path)
    ? (JSON.parse(readFileSync(path, "utf8")) as {
        aliases: Record<string, number>;
        history: Array<Record<string, unknown> & { version: number; previous: number | null }>;
      })
    : { aliases: {}, history: [] };
}

/** The `lolpop-model.json` of a version. */
export function bundleMeta(dir: string, version: number, model = "penguins"): Record<string, any> {
  return JSON.parse(
    readFileSync(
      join(storeDir(dir), "models", model, "versions", String(version), "lolpop-model.json"),
      "utf8",
    ),
  );
}

/** Metrics recorded with a version (`version.json`). */
export function versionMetrics(dir: string, version: number, model = "penguins"): Record<string, number> {
  return JSON.parse(
    readFileSync(join(storeDir(dir), "models", model, "versions", String(version), "version.json"), "utf8"),
  ).metrics;
}

/** Every tracked run of the local store: run.json, plus artifacts folder. */
export function runs(dir: string): Array<Record<string, any> & { dir: string }> {
  const root = join(storeDir(dir), "runs");
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => !n.startsWith("."))
    .flatMap((n) => {
      const file = join(root, n, "run.json");
      return existsSync(file) ? [{ ...JSON.parse(readFileSync(file, "utf8")), dir: join(root, n) }] : [];
    });
}
