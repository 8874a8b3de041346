import type {
  BundleComponent,
  CheckReport,
  CodeFingerprint,
  DatasetInfo,
  InputSchema,
  Table,
} from "@lolpop/core";

/** Passed between stages: the tracker run the stage logs under. */
export interface StageOptions {
  /** Parent tracker run id (the workflow run); stages log to nested runs under it. */
  run_id?: string;
  /**
   * False: look nothing up in the step cache, run every step (`lolpop run --no-cache`); fresh
   * outputs are still recorded. Default true.
   */
  cache?: boolean;
}

/** Options of `train_model`. */
export interface TrainOptions extends StageOptions {
  /** Register the challenger even when a version with the same identity (data, config, seeds) exists. */
  force?: boolean;
}

/** What `process_data` returns. */
export interface ProcessResult {
  /** The data the workflow trains on (after the data transformer). */
  table: Table;
  dataset: DatasetInfo;
  check?: CheckReport;
  /**
   * The data as read by the connector, before the data transformer: its columns (roles `target`,
   * `index`, `feature`) and the connector's typing, saved with each model version.
   */
  input?: InputSchema;
  /** The data transformer that made `table` (type, redacted config, code hash), replayed at predict. */
  data_transformer?: BundleComponent & { code?: CodeFingerprint };
  /** The rows as read, when a data transformer ran (to replay another transformer on them). */
  raw?: Table;
}

/** How the champion did on the challenger's comparison split. */
export interface ChampionScore {
  version: number;
  /** False when it could not be scored (columns the data lacks, another data transformer, a damaged version...). */
  scored: boolean;
  /** Its metrics on the split, when scored. */
  metrics?: Record<string, number>;
  /** Why it could not be scored. */
  reason?: string;
}

/** Metrics by split then metric name, e.g. `{test: {f1_macro: 0.97}}`. */
export type SplitMetrics = Record<string, Record<string, number>>;

/** What `train_model` returns. */
export interface TrainResult {
  model_name: string;
  /** Version of the challenger: registered now, or the identical version that exists (`identical_to`). */
  version: number;
  /** False when an identical version (same data, config and seeds) existed and was not registered again. */
  registered: boolean;
  /** The existing identical version, when `registered` is false. */
  identical_to?: number;
  trainer: string;
  params: Record<string, unknown>;
  perf_metric: string;
  metrics: SplitMetrics;
  /**
   * Why some values should not be read at face value, by split then metric (MAPE over actual
   * values that contain 0, a NaN ROC AUC with a class absent from the split...). Absent when none.
   */
  metric_notes?: Record<string, Record<string, string>>;
  baseline: SplitMetrics;
  /** The current champion on the challenger's comparison split, when there is one. */
  champion?: ChampionScore;
  comparison: {
    split: string;
    challenger: number;
    baseline: number;
    /** The champion's score, when it was scored. */
    champion?: number;
    beats_baseline: boolean;
    /** True without a champion; false when the champion could not be scored. */
    beats_champion: boolean;
  };
  refit_on_all_data: boolean;
  trials?: number;
  /** Status of the data check, when a data checker ran. */
  data_check?: CheckReport["status"];
  /** Time series: the rolling-origin backtest folds the forecaster was chosen on. */
  backtest?: BacktestFoldSummary[];
  /** Time series: where the test split starts and ends (the last `horizon` points of every series). */
  test_split?: { train_end: string; test_start: string; test_end: string };
}

/** One fold of a time-series backtest: trained up to `train_end`, scored from `test_start` to `test_end`. */
export interface BacktestFoldSummary {
  /** 0 = the earliest origin. */
  fold: number;
  /** Last timestamp the fold's forecasters were fitted on. */
  train_end: string;
  /** First and last timestamps scored. */
  test_start: string;
  test_end: string;
  /** Series in the fold. */
  series: number;
  /** Series left out (too little history before the origin). */
  skipped: string[];
  /** Metrics of each candidate (its type, with `#<position>` when a type appears twice) and of `baseline <type>` on this fold. */
  metrics: Record<string, Record<string, number>>;
}

/** Options of `deploy_model`. */
export interface DeployOptions extends StageOptions {
  /** Put before the reasons (the runner's notes when it re-made a decision). */
  notes?: string[];
}

/** What `deploy_model` returns. */
export interface DeployResult {
  version: number;
  promoted: boolean;
  /** Why the version was or was not promoted; every one is true of the decision. */
  reasons: string[];
  /** The champion after the decision. */
  champion_version?: number;
  /** The champion the decision was made against (`null`: none). */
  decided_against: number | null;
  /**
   * Set when the champion was no longer the one the decision was made against (compare-and-set
   * failed): nothing moved, and the decision must be made again against `actual`.
   */
  conflict?: { expected: number | null; actual: number | null };
}

/** What `predict_data` returns. */
export interface PredictResult {
  version: number;
  rows: number;
  path: string;
  job_id?: string;
}

/** Options of `evaluate_ground_truth`; by default the latest prediction job and `predict.config.ground_truth_path`. */
export interface EvaluateOptions {
  predictions_path?: string;
  truth_source?: string;
  job_id?: string;
}

/** What `evaluate_ground_truth` returns. */
export interface EvaluateResult {
  job_id?: string;
  model_version: number;
  /** Predicted rows matched with ground truth by the index column. */
  rows: number;
  /** Predicted rows without ground truth. */
  unmatched: number;
  metrics: Record<string, number>;
  /** Why some metric values should not be read at face value (see `TrainResult.metric_notes`). */
  metric_notes?: Record<string, string>;
}
