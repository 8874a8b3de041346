/**
 * Forecasting metrics over typed arrays: MAE, RMSE, MAPE, sMAPE, MASE (scaled by the in-sample
 * seasonal naive error) and the coverage of prediction intervals. Errors and percentages are
 * fractions, not percents (MAPE 0.05 = 5%; sMAPE lies in [0, 2]).
 */
import { DataError } from "../errors.js";

/** Metric names a forecast can be scored and selected by (all lower-is-better). */
export const FORECAST_ERROR_METRICS = ["mae", "rmse", "mape", "smape", "mase"] as const;

/** A forecast error metric name. */
export type ForecastErrorMetric = (typeof FORECAST_ERROR_METRICS)[number];

/** One scored series: actuals, forecasts and what the scaled metrics need. */
export interface ScoredSeries {
  /** Series key, named in errors. */
  key: string;
  /** Actual values of the forecast window. */
  actual: ArrayLike<number>;
  /** Point forecasts, aligned with `actual`. */
  mean: ArrayLike<number>;
  /** The training values before the window (MASE's scale). */
  insample?: ArrayLike<number>;
  /** Season length of MASE's seasonal naive scale. Default 1. */
  seasonLength?: number;
  /** Prediction intervals, aligned with `actual`. */
  intervals?: ReadonlyArray<{ level: number; lower: ArrayLike<number>; upper: ArrayLike<number> }>;
}

function check(actual: ArrayLike<number>, forecast: ArrayLike<number>, what: string): number {
  if (actual.length !== forecast.length)
    throw new DataError({
      message: `${what}: ${actual.length} actual values but ${forecast.length} forecasts`,
      code: "bad_predictions",
    });
  if (actual.length === 0) throw new DataError({ message: `${what}: no values to score` });
  return actual.length;
}

/** Mean absolute error. */
export function forecastMae(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  const n = check(actual, forecast, "mae");
  let s = 0;
  for (let i = 0; i < n; i++) s += Math.abs(actual[i]! - forecast[i]!);
  return s / n;
}

/** Root mean squared error. */
export function forecastRmse(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  const n = check(actual, forecast, "rmse");
  let s = 0;
  for (let i = 0; i < n; i++) s += (actual[i]! - forecast[i]!) ** 2;
  return Math.sqrt(s / n);
}

/**
 * Mean absolute percentage error, `mean(|a - f| / |a|)`, as a fraction.
 * @throws DataError when an actual value is 0 (MAPE is undefined there): use sMAPE or MASE instead.
 */
export function forecastMape(actual: ArrayLike<number>, forecast: ArrayLike<number>, key = ""): number {
  const n = check(actual, forecast, "mape");
  let s = 0;
  let zeros = 0;
  for (let i = 0; i < n; i++) {
    if (actual[i] === 0) zeros++;
    else s += Math.abs((actual[i]! - forecast[i]!) / actual[i]!);
  }
  if (zeros)
    throw new DataError({
      message: `mape is undefined: ${zeros} of ${n} actual values${key ? ` of series "${key}"` : ""} are 0. Use smape or mase instead.`,
      code: "mape_zero_actuals",
    });
  return s / n;
}

/** Symmetric MAPE, `mean(2|a - f| / (|a| + |f|))` in [0, 2]; a point where both are 0 counts 0. */
export function forecastSmape(actual: ArrayLike<number>, forecast: ArrayLike<number>): number {
  const n = check(actual, forecast, "smape");
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.abs(actual[i]!) + Math.abs(forecast[i]!);
    if (d > 0) s += (2 * Math.abs(actual[i]! - forecast[i]!)) / d;
  }
  return s / n;
}

/**
 * Mean absolute scaled error: MAE divided by the in-sample MAE of the seasonal naive forecast
 * (`mean |y[t] - y[t - m]|` over the training values). Below 1 beats the seasonal naive (in-sample).
 * NaN when the training values are not longer than `m` or the scale is 0 (a constant season).
 */
export function forecastMase(
  actual: ArrayLike<number>,
  forecast: ArrayLike<number>,
  insample: ArrayLike<number>,
  seasonLength = 1,
): number {
  const m = Math.max(1, Math.floor(seasonLength));
  if (insample.length <= m) return Number.NaN;
  let scale = 0;
  for (let t = m; t < insample.length; t++) scale += Math.abs(insample[t]! - insample[t - m]!);
  scale /= insample.length - m;
  if (!(scale > 0)) return Number.NaN;
  return forecastMae(actual, forecast) / scale;
}

/** Share of actual values inside `[lower, upper]`. */
export function intervalCoverage(
  actual: ArrayLike<number>,
  lower: ArrayLike<number>,
  upper: ArrayLike<number>,
): number {
  const n = check(actual, lower, "coverage");
  check(actual, upper, "coverage");
  let inside = 0;
  for (let i = 0; i < n; i++) if (actual[i]! >= lower[i]! && actual[i]! <= upper[i]!) inside++;
  return inside / n;
}

/** True for `mae`, `rmse`, `mape`, `smape`, `mase` and `coverage_<level>` (e.g. `coverage_80`). */
export function isForecastMetric(name: string): boolean {
  return (FORECAST_ERROR_METRICS as readonly string[]).includes(name) || /^coverage_\d+(\.\d+)?$/.test(name);
}

/** Metrics computed by default: the error metrics (MAPE only when `withMape`) and coverage per level. */
export function defaultForecastMetrics(levels: readonly number[] = [], withMape = true): string[] {
  return [
    "mae",
    "rmse",
    ...(withMape ? ["mape"] : []),
    "smape",
    "mase",
    ...levels.map((l) => `coverage_${l}`),
  ];
}

/**
 * Scores forecasts of many series. Error metrics are computed per series and averaged over series
 * (series where MASE is undefined are left out of its mean; NaN when it is undefined for all);
 * `coverage_<level>` pools every point of every series that has an interval at that level.
 * @throws DataError for an unknown name, for `mape` when an actual value is 0 (naming the series),
 *   and for a coverage level no forecast has.
 */
export function forecastMetrics(
  names: readonly string[],
  series: readonly ScoredSeries[],
): Record<string, number> {
  const out: Record<string, number> = {};
  if (series.length === 0) throw new DataError({ message: "no forecast to score" });
  for (const name of names) {
    if (!isForecastMetric(name))
      throw new DataError({
        message: `unknown forecasting metric "${name}": use ${FORECAST_ERROR_METRICS.join(", ")} or coverage_<level> (e.g. coverage_80)`,
        code: "unknown_metric",
      });
    if (name.startsWith("coverage_")) {
      const level = Number(name.slice("coverage_".length));
      let inside = 0;
      let n = 0;
      for (const s of series) {
        const band = s.intervals?.find((b) => b.level === level);
        if (!band) continue;
        inside += intervalCoverage(s.actual, band.lower, band.upper) * s.actual.length;
        n += s.actual.length;
      }
      if (n === 0)
        throw new DataError({
          message: `${name}: no forecast has a ${level}% prediction interval (the forecaster gives none, or level ${level} was not asked)`,
          code: "no_intervals",
        });
      out[name] = inside / n;
      continue;
    }
    let sum = 0;
    let count = 0;
    for (const s of series) {
      const v =
        name === "mae"
          ? forecastMae(s.actual, s.mean)
          : name === "rmse"
            ? forecastRmse(s.actual, s.mean)
            : name === "mape"
              ? forecastMape(s.actual, s.mean, s.key)
              : name === "smape"
                ? forecastSmape(s.actual, s.mean)
                : forecastMase(s.actual, s.mean, s.insample ?? [], s.seasonLength);
      if (Number.isNaN(v)) continue;
      sum += v;
      count++;
    }
    out[name] = count ? sum / count : Number.NaN;
  }
  return out;
}

/** True when some actual value is 0 (MAPE is undefined then). */
export function hasZeroActuals(series: readonly ScoredSeries[]): boolean {
  return series.some((s) => Array.prototype.some.call(s.actual, (v: number) => v === 0));
}
