/**
 * The `forecaster` component kind: fits forecasts of many time series at once and forecasts the
 * next `horizon` points of each, with prediction intervals where the model gives them. Used by the
 * `TimeSeriesRunner` (`problem_type: timeseries`); `@lolpop/forecast` provides the first-party
 * forecasters (`SeasonalNaiveForecaster`, `ETSForecaster`, `MLForecaster`, `ProphetForecaster`).
 *
 * A forecaster also owns the time-series data handling the workflow relies on (turning a long table
 * into checked series, cutting them at rolling origins), so that workflows stay free of any
 * calendar code and every forecaster of one package agrees on it.
 */
import type { Table } from "./table.js";

/** How a long table holds its series: what `prepare_series` reads. */
export interface SeriesSpec {
  /** Time column: datetimes, ISO 8601 text or integers (a time index). */
  time: string;
  /** Numeric target column. */
  target: string;
  /** Series id column(s): many series in one table. Default: one series. */
  ids?: string[];
  /** Numeric columns known in the future (regressors). */
  exogenous?: string[];
  /** Frequency, e.g. `M`, `D`, `15min`. Default: inferred (and checked). */
  frequency?: string;
  /** Season length. Default: from the frequency (12 monthly, 7 daily...). */
  season_length?: number;
}

/** One regular series. */
export interface ForecastSeries {
  /** Display name: the id value, `id1=a, id2=b` for several id columns, `""` for a single series. */
  key: string;
  /** Values of the id columns. */
  idValues: Array<string | number | null>;
  /** Timestamps (epoch ms, or index values), increasing, on the frequency's grid. */
  time: Float64Array;
  /** Target values, none missing. */
  values: Float64Array;
  /** Exogenous columns by name, aligned with `time`. */
  exogenous: Record<string, Float64Array>;
}

/** The series of one table, sharing a frequency. */
export interface ForecastSeriesSet {
  /** The frequency, in the forecaster's own representation (opaque to workflows). */
  frequency: unknown;
  /** The frequency for people, e.g. `M` or `15min`. */
  frequencyLabel: string;
  /** Season length used by seasonal models, the seasonal naive baseline and MASE. */
  seasonLength: number;
  /** Whether `time` holds epoch milliseconds or an integer index. */
  timeKind: "datetime" | "index";
  timeColumn: string;
  targetColumn: string;
  idColumns: string[];
  exogenousColumns: string[];
  series: ForecastSeries[];
  /** Writes a timestamp of these series as outputs show it (`2024-05-01`, ISO 8601 with time of day, or the index). */
  formatTime(time: number): string;
}

/** One rolling-origin fold: train on `time <= origin`, test on `origin < time <= testEnd`. */
export interface ForecastFold {
  /** 0 = the earliest origin. */
  index: number;
  /** Last timestamp of the training data. */
  origin: number;
  /** Last timestamp of the test window. */
  testEnd: number;
  /** The series up to the origin. */
  train: ForecastSeriesSet;
  /** The test points of each training series (same order as `train.series`). */
  test: ForecastSeries[];
  /** Keys of series left out of the fold (too little history, or no test point). */
  skipped: string[];
  /** Future exogenous values for forecasting the fold (by series key then column), when there are exogenous columns. */
  exogenous?: Record<string, Record<string, Float64Array>>;
}

/** A prediction interval at one level. */
export interface ForecastIntervalBand {
  /** Level in percent, e.g. 80. */
  level: number;
  lower: Float64Array;
  upper: Float64Array;
}

/** The forecast of one series. */
export interface ForecastOutput {
  key: string;
  idValues: Array<string | number | null>;
  /** Timestamps of the forecast points. */
  time: Float64Array;
  /** The timestamps as written in outputs (`2024-05-01`, ISO 8601 with time of day, or the index). */
  labels: string[];
  mean: Float64Array;
  /** Prediction intervals, ascending levels; empty when the model gives none. */
  intervals: ForecastIntervalBand[];
}

/** What a fitted forecast is asked for. */
export interface ForecastQuery {
  /** Points to forecast after the end of each series. */
  horizon: number;
  /** Interval levels in percent, e.g. `[80, 95]`. Default: none. */
  level?: readonly number[];
  /** Future exogenous values by series key then column (`horizon` values each). */
  exogenous?: Record<string, Record<string, Float64Array>>;
  signal?: AbortSignal;
}

/** A forecaster fitted on a set of series. */
export interface FittedForecast {
  /** Component type that fitted it, e.g. `ETSForecaster`. */
  readonly forecaster: string;
  /** Per series facts for logs and tracking (chosen model, information criterion...). */
  readonly summary: Record<string, Record<string, unknown>>;
  /** Forecasts every fitted series. */
  forecast(query: ForecastQuery): Promise<ForecastOutput[]>;
  /** Writes the fitted state into `dir` (saved with the model version). */
  save(dir: string): Promise<void>;
}

/** Options of {@link Forecaster.split_series}. */
export interface SplitSeriesOptions {
  /** Points forecast and scored per fold. */
  horizon: number;
  /** Number of folds (origins). Default 3. */
  folds?: number;
  /** Periods between consecutive origins. Default: the horizon. */
  step?: number;
  /** Points a series needs before an origin to take part in that fold. Default 2. */
  min_train_length?: number;
}

/** `forecaster`: fits forecasts of many series; owns the time-series data checks and folds. */
export interface Forecaster {
  /**
   * Checks a long table and turns it into series: frequency inferred or checked, duplicates, gaps,
   * unsorted rows, short series and missing targets all reported at once, naming series and
   * timestamps.
   */
  prepare_series(table: Table, spec: SeriesSpec): Promise<ForecastSeriesSet>;
  /**
   * Rolling-origin folds: the last origin `horizon` periods before the end, the others `step`
   * periods apart before it. A fold's training data never holds a point after its origin.
   */
  split_series(data: ForecastSeriesSet, options: SplitSeriesOptions): Promise<ForecastFold[]>;
  /** Fits on every series of `data`. */
  fit(data: ForecastSeriesSet, options?: { signal?: AbortSignal; seed?: number }): Promise<FittedForecast>;
  /** Loads a fitted forecast written by `FittedForecast.save`. */
  load(dir: string): Promise<FittedForecast>;
}

/** The methods of the `forecaster` kind's contract. */
export const FORECASTER_METHODS: readonly (keyof Forecaster)[] = Object.freeze([
  "prepare_series",
  "split_series",
  "fit",
  "load",
]);
