/**
 * Rolling-origin backtesting: the timeline is cut at `folds` origins, `step` periods apart, the
 * last one `horizon` periods before the end of the data. Each fold trains on everything up to its
 * origin (inclusive) and is scored on the next `horizon` periods; a fold never sees a point after
 * its origin. Origins are timestamps shared by every series, so series of different lengths are cut
 * at the same moment.
 */

import type { FittedForecaster, Forecaster, SeriesForecast } from "./forecast-forecaster.js";
import { addSteps, formatFrequency, formatTime, stepIndex } from "./forecast-frequency.js";
import { ForecastModelError } from "./forecast-model-error.js";
import type { SeriesSet, TimeSeries } from "./forecast-series.js";

/** Options of {@link rollingOriginFolds} and {@link backtest}. */
export interface BacktestOptions {
  /** Periods forecast and scored per fold. */
  horizon: number;
  /** Number of folds (origins). Default 3. */
  folds?: number;
  /** Periods between consecutive origins. Default: the horizon (test windows do not overlap). */
  step?: number;
  /**
   * Points a series needs up to an origin to take part in that fold; series with fewer are left out
   * of the fold (and listed in `skipped`). Default 2.
   */
  minTrainLength?: number;
}

/** One fold: train on `time <= origin`, test on `origin < time <= testEnd`. */
export interface BacktestFold {
  /** 0 = the earliest origin. */
  index: number;
  /** Last timestamp of the training data. */
  origin: number;
  /** Last timestamp of the test window (`horizon` periods after the origin). */
  testEnd: number;
}

/** The data of one fold: the training series and, aligned with them, the test values. */
export interface FoldData {
  fold: BacktestFold;
  train: SeriesSet;
  /** Test points of each training series (same order as `train.series`), at most `horizon` each. */
  test: TimeSeries[];
  /** Keys of series left out of this fold (too little history before the origin, or no test point). */
  skipped: string[];
}

/** What one fold of {@link backtest} produced. */
export interface BacktestFoldResult {
  fold: BacktestFold;
  /** The training series, for scaled metrics (MASE's in-sample seasonal naive error). */
  train: TimeSeries[];
  test: TimeSeries[];
  /** The forecasts of each series, `horizon` points from its origin. */
  forecasts: SeriesForecast[];
  skipped: string[];
  fitted: FittedForecaster;
}

function checkOptions(o: BacktestOptions): Required<BacktestOptions> {
  const folds = o.folds ?? 3;
  const step = o.step ?? o.horizon;
  const minTrainLength = o.minTrainLength ?? 2;
  for (const [name, v] of Object.entries({ horizon: o.horizon, folds, step, minTrainLength }))
    if (!Number.isInteger(v) || v < 1)
      throw new ForecastModelError({
        message: `backtest ${name} must be a positive integer, got ${v}`,
        code: "backtest_invalid",
      });
  return { horizon: o.horizon, folds, step, minTrainLength };
}

/**
 * The origins of a rolling-origin backtest over `data`: the last is `horizon` periods before the
 * latest timestamp of any series, the others `step` periods apart before it.
 * @throws ForecastModelError when the options are not positive integers or the earliest origin falls before every series starts.
 */
export function rollingOriginFolds(data: SeriesSet, options: BacktestOptions): BacktestFold[] {
  const o = checkOptions(options);
  let last = Number.NEGATIVE_INFINITY;
  let first = Number.POSITIVE_INFINITY;
  let anchor = Number.NaN;
  for (const s of data.series) {
    if (!s.time.length) continue;
    if (s.time[s.time.length - 1]! > last) {
      last = s.time[s.time.length - 1]!;
      anchor = s.time[0]!;
    }
    first = Math.min(first, s.time[0]!);
  }
  if (!Number.isFinite(last))
    throw new ForecastModelError({ message: "backtest: the data holds no points", code: "backtest_invalid" });
  // grid positions relative to a point of the latest series
  const lastK = stepIndex(anchor, data.frequency, last);
  const folds: BacktestFold[] = [];
  for (let i = 0; i < o.folds; i++) {
    const back = o.horizon + (o.folds - 1 - i) * o.step;
    folds.push({
      index: i,
      origin: addSteps(anchor, data.frequency, lastK - back),
      testEnd: addSteps(anchor, data.frequency, lastK - back + o.horizon),
    });
  }
  if (folds[0]!.origin < first)
    throw new ForecastModelError({
      message: `backtest: ${o.folds} fold(s) of ${o.horizon} period(s), ${o.step} apart, need the data to start on or before ${formatTime(folds[0]!.origin, data.frequency)} (${formatFrequency(data.frequency)} frequency), and it starts ${formatTime(first, data.frequency)}; use fewer folds, a smaller step or horizon, or more history`,
      code: "backtest_too_short",
    });
  return folds;
}

function cut(s: TimeSeries, from: number, to: number): TimeSeries {
  return {
    key: s.key,
    idValues: s.idValues,
    time: s.time.slice(from, to),
    values: s.values.slice(from, to),
    exogenous: Object.fromEntries(Object.entries(s.exogenous).map(([k, v]) => [k, v.slice(from, to)])),
    rows: s.rows.slice(from, to),
  };
}

/** Index of the first timestamp greater than `t` (binary search). */
function upperBound(time: Float64Array, t: number): number {
  let lo = 0;
  let hi = time.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (time[mid]! <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Splits `data` at a fold's origin: copies of the points up to it, and the test window after it. */
export function splitAtFold(data: SeriesSet, fold: BacktestFold, options: BacktestOptions): FoldData {
  const o = checkOptions(options);
  const train: TimeSeries[] = [];
  const test: TimeSeries[] = [];
  const skipped: string[] = [];
  for (const s of data.series) {
    const cutAt = upperBound(s.time, fold.origin);
    const testTo = upperBound(s.time, fold.testEnd);
    if (cutAt < o.minTrainLength || testTo === cutAt) {
      skipped.push(s.key);
      continue;
    }
    train.push(cut(s, 0, cutAt));
    test.push(cut(s, cutAt, testTo));
  }
  return { fold, train: { ...data, series: train }, test, skipped };
}

/**
 * Runs a rolling-origin backtest: for each fold, fits `forecaster` on the data up to the origin
 * and forecasts `horizon` periods (with `level` intervals), with future exogenous values taken from
 * the test window. Folds run one after another.
 */
export async function backtest(
  data: SeriesSet,
  forecaster: Forecaster,
  options: BacktestOptions & { level?: readonly number[]; signal?: AbortSignal },
): Promise<BacktestFoldResult[]> {
  const results: BacktestFoldResult[] = [];
  for (const fold of rollingOriginFolds(data, options)) {
    options.signal?.throwIfAborted();
    const split = splitAtFold(data, fold, options);
    if (!split.train.series.length) continue;
    const fitted = await forecaster.fit(split.train, { signal: options.signal });
    const exogenous: Record<string, Record<string, Float64Array>> = {};
    if (data.exogenousColumns.length)
      split.test.forEach((t, i) => {
        const trainSeries = split.train.series[i]!;
        // future exogenous values for every step of the horizon (the test window may be shorter at the end of a series)
        const byCol: Record<string, Float64Array> = {};
        for (const name of data.exogenousColumns) {
          const full = data.series.find((s) => s.key === t.key)!;
          const start = trainSeries.time.length;
          const v = full.exogenous[name]!.slice(start, start + options.horizon);
          if (v.length < options.horizon) {
            const padded = new Float64Array(options.horizon).fill(v.length ? v[v.length - 1]! : Number.NaN);
            padded.set(v);
            byCol[name] = padded;
          } else byCol[name] = v;
        }
        exogenous[t.key] = byCol;
      });
    const forecasts = await fitted.forecast({
      horizon: options.horizon,
      level: options.level,
      exogenous: data.exogenousColumns.length ? exogenous : undefined,
      signal: options.signal,
    });
    results.push({
      fold,
      train: split.train.series,
      test: split.test,
      forecasts,
      skipped: split.skipped,
      fitted,
    });
  }
  return results;
}
