import type { CheckReport, DatasetInfo, Table } from "@lolpop/core";

/** Passed between stages: the tracker run the stage logs under. */
export interface StageOptions {
  /** Parent tracker run id (the workflow run); stages log to nested runs under it. */
  run_id?: string;
}

/** What `process_data` returns. */
export interface ProcessResult {
  table: Table;
  dataset: DatasetInfo;
  check?: CheckReport;
}

/** Metrics by split then metric name, e.g. `{test: {f1_macro: 0.97}}`. */
export type SplitMetrics = Record<string, Record<string, number>>;

/** What `train_model` returns. */
export interface TrainResult {
  model_name: string;
  /** Registered version of the challenger. */
  version: number;
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
  /** The current champion scored on the challenger's test split, when there is one. */
  champion?: { version: number; metrics: Record<string, number> };
  comparison: {
    split: string;
    challenger: number;
    baseline: number;
    champion?: number;
    beats_baseline: boolean;
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

/** What `deploy_model` returns. */
export interface DeployResult {
  version: number;
  promoted: boolean;
  /** Why the version was or was not promoted. */
  reasons: string[];
  champion_version?: number;
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
