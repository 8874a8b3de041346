/**
 * Features for machine-learning forecasters, computed from a series' past only: lags, rolling
 * statistics over the lagged values, calendar fields of the target's timestamp, and exogenous values
 * at that timestamp. Values are normalised per row so one global model serves series of any level
 * and trend: `window` subtracts the mean of the last `window` values before the row's origin and
 * divides by the series' scale (the mean absolute seasonal difference of its training data).
 */
import type { Frequency } from "./forecast-frequency.js";
import { ForecastModelError } from "./forecast-model-error.js";

/** A calendar field of a timestamp (UTC). */
export type CalendarFeature =
  | "year"
  | "quarter"
  | "month"
  | "weekofyear"
  | "dayofyear"
  | "dayofmonth"
  | "dayofweek"
  | "hour"
  | "minute";

/** A rolling statistic over the last `w` values. */
export type RollingStat = "mean" | "std" | "min" | "max";

/** How values are normalised per row. */
export type Normalization = "window" | "series" | "none";

/** What the feature builder computes (resolved: no defaults left). */
export interface FeatureSpec {
  /** Lags (1 = the value just before the target, or the origin's value for direct models). */
  lags: number[];
  /** Rolling windows (values before the target / up to the origin). */
  windows: number[];
  rollingStats: RollingStat[];
  calendar: CalendarFeature[];
  exogenous: string[];
  normalize: Normalization;
  /** Window of the `window` normalisation's level. */
  levelWindow: number;
  /**
   * What the model predicts the target relative to: `level` (the row's normalisation level) or
   * `season` (the latest value of the same season known at the origin, as the seasonal naive
   * forecast: the model learns the change over a season).
   */
  targetBase: "level" | "season";
  /** Season length (1 = none: `season` then means the last value). */
  seasonLength: number;
}

/** Calendar fields that vary at a frequency: month for monthly data, day of week and month for daily... */
export function defaultCalendar(f: Frequency): CalendarFeature[] {
  switch (f.unit) {
    case "month":
      return ["month"];
    case "quarter":
      return ["quarter"];
    case "week":
      return ["weekofyear"];
    case "day":
      return ["dayofweek", "dayofmonth", "month"];
    case "hour":
      return ["hour", "dayofweek"];
    case "minute":
    case "second":
    case "millisecond":
      return ["minute", "hour", "dayofweek"];
    default:
      return [];
  }
}

/** The value of a calendar field at `t` (epoch ms, UTC). */
export function calendarValue(t: number, field: CalendarFeature): number {
  const d = new Date(t);
  switch (field) {
    case "year":
      return d.getUTCFullYear();
    case "quarter":
      return Math.floor(d.getUTCMonth() / 3) + 1;
    case "month":
      return d.getUTCMonth() + 1;
    case "dayofmonth":
      return d.getUTCDate();
    case "dayofweek":
      return d.getUTCDay();
    case "hour":
      return d.getUTCHours();
    case "minute":
      return d.getUTCMinutes();
    case "dayofyear": {
      const start = Date.UTC(d.getUTCFullYear(), 0, 1);
      return Math.floor((t - start) / 86_400_000) + 1;
    }
    case "weekofyear": {
      // ISO 8601 week number
      const day = (d.getUTCDay() + 6) % 7;
      const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
      const yearStart = Date.UTC(new Date(thursday).getUTCFullYear(), 0, 1);
      return Math.floor((thursday - yearStart) / (7 * 86_400_000)) + 1;
    }
  }
}

/** Column names of the features, in order. */
export function featureNames(spec: FeatureSpec): string[] {
  const names = spec.lags.map((k) => `lag_${k}`);
  for (const w of spec.windows) for (const s of spec.rollingStats) names.push(`rolling_${s}_${w}`);
  for (const c of spec.calendar) names.push(`cal_${c}`);
  for (const x of spec.exogenous) names.push(`exog_${x}`);
  return names;
}

/** Points of history a row needs before its origin. */
export function historyNeeded(spec: FeatureSpec): number {
  return Math.max(
    1,
    ...spec.lags,
    ...spec.windows,
    spec.normalize === "window" ? spec.levelWindow : 1,
    spec.targetBase === "season" ? spec.seasonLength : 1,
  );
}

/**
 * The value a target `h` steps after `origin` is predicted relative to: the row's `level`, or the
 * latest same-season value at or before the origin (`history[origin + h - m·⌈h/m⌉]`).
 */
export function targetBase(
  history: ArrayLike<number>,
  origin: number,
  h: number,
  spec: FeatureSpec,
  level: number,
): number {
  if (spec.targetBase === "level") return level;
  const m = spec.seasonLength;
  return history[origin + h - m * Math.ceil(h / m)]!;
}

/** Per-series normalisation constants: the scale (and the series mean for `series`). */
export interface SeriesScale {
  /** Divisor of every normalised value (> 0). */
  scale: number;
  /** Subtracted under `series` normalisation. */
  mean: number;
}

/**
 * The scale of a series: the mean absolute difference over `lag` steps (the season length: the
 * scale of MASE; else mean absolute value, else 1).
 */
export function seriesScale(values: ArrayLike<number>, lag = 1): SeriesScale {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i]!;
  mean = n ? mean / n : 0;
  let mad = 0;
  for (let i = lag; i < n; i++) mad += Math.abs(values[i]! - values[i - lag]!);
  let scale = n > lag ? mad / (n - lag) : 0;
  if (!(scale > 0)) {
    let abs = 0;
    for (let i = 0; i < n; i++) abs += Math.abs(values[i]!);
    scale = n ? abs / n : 0;
  }
  return { scale: scale > 0 ? scale : 1, mean };
}

/**
 * The level a row's values are taken relative to, at `origin` (the index of the last known value):
 * the mean of the last `levelWindow` values (`window`), the series mean (`series`), or 0.
 */
export function rowLevel(
  history: ArrayLike<number>,
  origin: number,
  spec: FeatureSpec,
  s: SeriesScale,
): number {
  if (spec.normalize === "none") return 0;
  if (spec.normalize === "series") return s.mean;
  let sum = 0;
  const w = Math.min(spec.levelWindow, origin + 1);
  for (let i = origin - w + 1; i <= origin; i++) sum += history[i]!;
  return sum / w;
}

/**
 * Writes one row of features into `out` at `offset`, for a target at `targetTime` forecast from
 * `origin` (the index of the last value of `history` the row may use). Lag k is `history[origin + 1 - k]`.
 * Needs `origin + 1 >= historyNeeded(spec)`.
 */
export function writeFeatureRow(
  out: Float64Array[],
  row: number,
  history: ArrayLike<number>,
  origin: number,
  targetTime: number,
  exogenousAtTarget: ArrayLike<number>,
  spec: FeatureSpec,
  s: SeriesScale,
  level: number,
): void {
  let c = 0;
  const inv = 1 / s.scale;
  for (const k of spec.lags) out[c++]![row] = (history[origin + 1 - k]! - level) * inv;
  for (const w of spec.windows) {
    let sum = 0;
    let sumSq = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let i = origin - w + 1; i <= origin; i++) {
      const v = history[i]!;
      sum += v;
      sumSq += v * v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const mean = sum / w;
    for (const stat of spec.rollingStats) {
      let v: number;
      if (stat === "mean") v = (mean - level) * inv;
      else if (stat === "std")
        v = (w > 1 ? Math.sqrt(Math.max(0, (sumSq - w * mean * mean) / (w - 1))) : 0) * inv;
      else if (stat === "min") v = (min - level) * inv;
      else v = (max - level) * inv;
      out[c++]![row] = v;
    }
  }
  for (const field of spec.calendar) out[c++]![row] = calendarValue(targetTime, field);
  for (let j = 0; j < spec.exogenous.length; j++) out[c++]![row] = exogenousAtTarget[j]!;
}

/** Checks lags, windows and the calendar fields; returns them sorted and deduplicated. */
export function checkFeatureOptions(o: {
  lags: number[];
  windows: number[];
  calendar: string[];
  rollingStats: string[];
}): void {
  for (const [name, list] of [
    ["lags", o.lags],
    ["windows", o.windows],
  ] as const)
    for (const v of list)
      if (!Number.isInteger(v) || v < 1)
        throw new ForecastModelError({
          message: `${name} must be positive integers, got ${JSON.stringify(v)}`,
          code: "features_invalid",
        });
  const cal: string[] = [
    "year",
    "quarter",
    "month",
    "weekofyear",
    "dayofyear",
    "dayofmonth",
    "dayofweek",
    "hour",
    "minute",
  ];
  for (const c of o.calendar)
    if (!cal.includes(c))
      throw new ForecastModelError({
        message: `calendar feature ${JSON.stringify(c)} is not known; use ${cal.join(", ")}`,
        code: "features_invalid",
      });
  for (const s of o.rollingStats)
    if (!["mean", "std", "min", "max"].includes(s))
      throw new ForecastModelError({
        message: `rolling statistic ${JSON.stringify(s)} is not known; use mean, std, min, max`,
        code: "features_invalid",
      });
  if (!o.lags.length && !o.windows.length)
    throw new ForecastModelError({
      message: "an ML forecaster needs at least one lag or rolling window",
      code: "features_invalid",
    });
}
