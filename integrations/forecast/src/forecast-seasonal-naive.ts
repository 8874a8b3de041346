/**
 * The seasonal naive forecaster: each future point repeats the value one season earlier
 * (`ŷ_{T+h} = y_{T+h-m·k}`, `k = ⌈h/m⌉`), with normal prediction intervals whose standard deviation
 * grows with the number of whole seasons ahead (`σ √(⌊(h-1)/m⌋ + 1)`, σ² the mean squared
 * seasonal difference). With `m = 1` it is the naive (random walk) forecast. It is the baseline
 * forecasting runs compare against and the scale of MASE.
 */

import type { ForecastInterval, PointForecast } from "./forecast-ets.js";
import { ForecastModelError } from "./forecast-model-error.js";
import { levelMultiplier } from "./forecast-normal.js";

/** A fitted seasonal naive model: the last season of values and the residual scale. */
export interface SeasonalNaiveModel {
  seasonLength: number;
  /** The last `seasonLength` observations, oldest first. */
  lastSeason: Float64Array;
  /** Residual standard deviation: √(Σ (y_t - y_{t-m})² / (n - m)). NaN with fewer than m + 1 points. */
  sigma: number;
  nobs: number;
}

/**
 * Fits the seasonal naive model to `y` (no missing values).
 * @throws ForecastModelError when `y` is shorter than one season, has missing values, or the season length is not a positive integer.
 */
export function fitSeasonalNaive(y: ArrayLike<number>, seasonLength = 1, name?: string): SeasonalNaiveModel {
  const what = name ? ` (series ${name})` : "";
  const m = seasonLength;
  if (!Number.isInteger(m) || m < 1)
    throw new ForecastModelError({
      message: `seasonal naive${what}: season length must be a positive integer, got ${seasonLength}`,
      code: "season_length_invalid",
    });
  const n = y.length;
  if (n < m)
    throw new ForecastModelError({
      message: `seasonal naive${what}: ${n} observation(s) do not cover one season of ${m}`,
      code: "series_too_short",
    });
  for (let i = 0; i < n; i++)
    if (!Number.isFinite(y[i]!))
      throw new ForecastModelError({
        message: `seasonal naive${what}: value ${i} is ${y[i]}; fill or drop missing values before fitting`,
        code: "missing_value",
      });
  let ss = 0;
  for (let i = m; i < n; i++) {
    const d = y[i]! - y[i - m]!;
    ss += d * d;
  }
  const lastSeason = new Float64Array(m);
  for (let j = 0; j < m; j++) lastSeason[j] = y[n - m + j]!;
  return { seasonLength: m, lastSeason, sigma: n > m ? Math.sqrt(ss / (n - m)) : Number.NaN, nobs: n };
}

/** Forecasts `h` steps with intervals at `level` percentages (e.g. `[80, 95]`). */
export function forecastSeasonalNaive(
  model: SeasonalNaiveModel,
  h: number,
  options: { level?: readonly number[] } = {},
): PointForecast {
  if (!Number.isInteger(h) || h < 1)
    throw new ForecastModelError({
      message: `forecast horizon must be a positive integer, got ${h}`,
      code: "horizon_invalid",
    });
  const m = model.seasonLength;
  const mean = new Float64Array(h);
  for (let i = 0; i < h; i++) mean[i] = model.lastSeason[i % m]!;
  const intervals: ForecastInterval[] = [];
  for (const level of [...(options.level ?? [])].sort((a, b) => a - b)) {
    const z = levelMultiplier(level);
    const lower = new Float64Array(h);
    const upper = new Float64Array(h);
    for (let i = 0; i < h; i++) {
      const sd = model.sigma * Math.sqrt(Math.floor(i / m) + 1);
      lower[i] = mean[i]! - z * sd;
      upper[i] = mean[i]! + z * sd;
    }
    intervals.push({ level, lower, upper });
  }
  return { mean, intervals };
}
