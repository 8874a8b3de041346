/**
 * First-party types and the package that provides each, for "install X" hints when a config names
 * a type that is not installed.
 */
export const FIRST_PARTY_TYPES: Readonly<Record<string, { package: string; kind: string }>> = Object.freeze({
  ClassificationRunner: { package: "@lolpop/workflows", kind: "runner" },
  RegressionRunner: { package: "@lolpop/workflows", kind: "runner" },
  OfflineProcess: { package: "@lolpop/workflows", kind: "pipeline" },
  OfflineTrain: { package: "@lolpop/workflows", kind: "pipeline" },
  OfflineDeploy: { package: "@lolpop/workflows", kind: "pipeline" },
  OfflinePredict: { package: "@lolpop/workflows", kind: "pipeline" },
  LocalDataConnector: { package: "@lolpop/local", kind: "data_connector" },
  LocalDataTransformer: { package: "@lolpop/local", kind: "data_transformer" },
  LocalDataSplitter: { package: "@lolpop/local", kind: "data_splitter" },
  LocalFeatureTransformer: { package: "@lolpop/local", kind: "feature_transformer" },
  LocalHyperparameterTuner: { package: "@lolpop/local", kind: "hyperparameter_tuner" },
  LocalMetadataTracker: { package: "@lolpop/local", kind: "metadata_tracker" },
  LocalModelRepository: { package: "@lolpop/local", kind: "model_repository" },
  StdoutNotifier: { package: "@lolpop/local", kind: "notifier" },
  RandomForestModelTrainer: { package: "@lolpop/random-forest", kind: "model_trainer" },
  CatBoostModelTrainer: { package: "@lolpop/catboost-bridge", kind: "model_trainer" },
  TfjsModelTrainer: { package: "@lolpop/tfjs", kind: "model_trainer" },
  MLflowMetadataTracker: { package: "@lolpop/mlflow", kind: "metadata_tracker" },
  MLflowModelRepository: { package: "@lolpop/mlflow", kind: "model_repository" },
  EvidentlyDataChecker: { package: "@lolpop/evidently", kind: "data_checker" },
  EvidentlyDataProfiler: { package: "@lolpop/evidently", kind: "data_profiler" },
  DuckDBDataConnector: { package: "@lolpop/duckdb", kind: "data_connector" },
  DuckDBDataTransformer: { package: "@lolpop/duckdb", kind: "data_transformer" },
});

/** Levenshtein distance, case-insensitive. */
export function editDistance(a: string, b: string): number {
  const s = a.toLowerCase();
  const t = b.toLowerCase();
  const prev = new Array<number>(t.length + 1);
  for (let j = 0; j <= t.length; j++) prev[j] = j;
  for (let i = 1; i <= s.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= t.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (s[i - 1] === t[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[t.length]!;
}

/** The candidates closest to `name` (at most `max`), within a distance that scales with the name's length. */
export function didYouMean(name: string, candidates: Iterable<string>, max = 3): string[] {
  const limit = Math.max(2, Math.floor(name.length / 3));
  return [...new Set(candidates)]
    .map((c) => ({ c, d: editDistance(name, c) }))
    .filter(
      (x) =>
        x.d <= limit ||
        x.c.toLowerCase().includes(name.toLowerCase()) ||
        name.toLowerCase().includes(x.c.toLowerCase()),
    )
    .sort((a, b) => a.d - b.d || a.c.localeCompare(b.c))
    .slice(0, max)
    .map((x) => x.c);
}
