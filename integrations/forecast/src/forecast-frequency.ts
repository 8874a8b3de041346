/**
 * Sampling frequencies of time series: parsing (`"M"`, `"15min"`, `"W"`), inference from timestamps,
 * stepping in calendar time (months and years in UTC, keeping the day of the month or the month
 * end), and the regular grid a series is checked against (gaps and off-grid timestamps).
 *
 * Timestamps are epoch milliseconds (UTC), as `datetime` columns of a lolpop Table hold them, or plain
 * numbers for an integer time index (`unit: "index"`).
 */
import { ForecastModelError } from "./forecast-model-error.js";

/** Unit of a {@link Frequency}. Calendar units step in UTC calendar time; the others are fixed durations. */
export type FrequencyUnit =
  | "year"
  | "quarter"
  | "month"
  | "week"
  | "day"
  | "hour"
  | "minute"
  | "second"
  | "millisecond"
  | "index";

/** A sampling frequency: `step` units between consecutive points. */
export interface Frequency {
  unit: FrequencyUnit;
  step: number;
  /**
   * Calendar units only: points sit at month ends (Jan 31, Feb 28/29, ...) rather than on a fixed
   * day of the month. Inferred from the data when not set.
   */
  monthEnd?: boolean;
}

const FIXED_MS: Partial<Record<FrequencyUnit, number>> = {
  week: 7 * 86_400_000,
  day: 86_400_000,
  hour: 3_600_000,
  minute: 60_000,
  second: 1000,
  millisecond: 1,
  index: 1,
};

const MONTHS: Partial<Record<FrequencyUnit, number>> = { year: 12, quarter: 3, month: 1 };

const ALIASES: Record<string, FrequencyUnit> = {
  y: "year",
  a: "year",
  ys: "year",
  ye: "year",
  year: "year",
  years: "year",
  yearly: "year",
  annual: "year",
  q: "quarter",
  qs: "quarter",
  qe: "quarter",
  quarter: "quarter",
  quarters: "quarter",
  quarterly: "quarter",
  m: "month",
  ms: "month",
  me: "month",
  month: "month",
  months: "month",
  monthly: "month",
  w: "week",
  week: "week",
  weeks: "week",
  weekly: "week",
  d: "day",
  day: "day",
  days: "day",
  daily: "day",
  h: "hour",
  hour: "hour",
  hours: "hour",
  hourly: "hour",
  min: "minute",
  t: "minute",
  minute: "minute",
  minutes: "minute",
  s: "second",
  sec: "second",
  second: "second",
  seconds: "second",
  ms_: "millisecond",
  millisecond: "millisecond",
  milliseconds: "millisecond",
  index: "index",
};

/** Letters accepted by {@link parseFrequency}, for messages. */
export const FREQUENCY_HELP =
  'Y (yearly), Q (quarterly), M (monthly), W (weekly), D (daily), H (hourly), min, s, ms, or "index" for an integer time index, optionally with a multiple ("15min", "2W")';

/**
 * Parses a frequency such as `"M"`, `"MS"`, `"monthly"`, `"15min"`, `"2W"` (pandas-like aliases:
 * `MS`/`ME` both mean monthly; whether points sit at month start or end is taken from the data).
 * @throws ForecastModelError for an unknown frequency.
 */
export function parseFrequency(text: string): Frequency {
  const match = /^\s*(\d+)?\s*([A-Za-z_]+)\s*$/.exec(text);
  const unitText = match?.[2];
  // "ms" is month start in pandas; milliseconds are spelled "millisecond" (or "L"/"ms_").
  const unit = unitText
    ? (ALIASES[unitText.toLowerCase()] ?? (unitText === "L" ? "millisecond" : undefined))
    : undefined;
  const step = match?.[1] ? Number(match[1]) : 1;
  if (!unit || !(step >= 1))
    throw new ForecastModelError({
      message: `frequency "${text}" is not known; use ${FREQUENCY_HELP}`,
      code: "frequency_invalid",
    });
  const lower = unitText!.toLowerCase();
  if (MONTHS[unit] !== undefined && lower.length === 2 && (lower.endsWith("e") || lower.endsWith("s")))
    return { unit, step, monthEnd: lower.endsWith("e") };
  return { unit, step };
}

/** `"1 month"`, `"15 minutes"`. */
export function formatFrequency(f: Frequency): string {
  return `${f.step} ${f.unit}${f.step === 1 ? "" : "s"}`;
}

/**
 * The usual season length of a frequency (observations per cycle): 12 for monthly, 4 quarterly,
 * 52 weekly, 7 daily (the week), 24 hourly (the day), 1 otherwise (no default cycle).
 */
export function defaultSeasonLength(f: Frequency): number {
  if (f.step !== 1) return 1;
  switch (f.unit) {
    case "month":
      return 12;
    case "quarter":
      return 4;
    case "week":
      return 52;
    case "day":
      return 7;
    case "hour":
      return 24;
    default:
      return 1;
  }
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
}

/** True when `t` is the last day of its month (for month-end anchored series). */
function isMonthEnd(t: number): boolean {
  const d = new Date(t);
  return d.getUTCDate() === daysInMonth(d.getUTCFullYear(), d.getUTCMonth());
}

/**
 * How far a timestamp of a daily or longer frequency may sit from its grid point: local midnights
 * written in UTC move by an hour with daylight saving time (00:00 PST is 08:00 UTC, 00:00 PDT 07:00).
 */
export const CLOCK_SHIFT_TOLERANCE_MS = 2 * 3_600_000;

/** Months from `a` to `b` when both share the day-of-month anchor and time of day (within the clock-shift tolerance), else NaN. */
function monthDiff(a: number, b: number, monthEnd: boolean): number {
  const da = new Date(a);
  const db = new Date(b);
  const timeA = a - Date.UTC(da.getUTCFullYear(), da.getUTCMonth(), da.getUTCDate());
  const timeB = b - Date.UTC(db.getUTCFullYear(), db.getUTCMonth(), db.getUTCDate());
  if (Math.abs(timeA - timeB) > CLOCK_SHIFT_TOLERANCE_MS) return Number.NaN;
  if (monthEnd) {
    if (!isMonthEnd(a) || !isMonthEnd(b)) return Number.NaN;
  } else if (da.getUTCDate() !== db.getUTCDate()) return Number.NaN;
  return (db.getUTCFullYear() - da.getUTCFullYear()) * 12 + (db.getUTCMonth() - da.getUTCMonth());
}

/**
 * The timestamp `k` steps after `anchor` (k may be negative). Calendar units keep the anchor's
 * time of day and day of month (month-end anchors stay at month ends; a day past the end of a
 * shorter month is clamped to its last day).
 */
export function addSteps(anchor: number, f: Frequency, k: number): number {
  const fixed = FIXED_MS[f.unit];
  if (fixed !== undefined) return anchor + k * f.step * fixed;
  const months = MONTHS[f.unit]! * f.step * k;
  const d = new Date(anchor);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const targetYear = y + Math.floor(m / 12);
  const targetMonth = ((m % 12) + 12) % 12;
  const time = anchor - Date.UTC(y, d.getUTCMonth(), d.getUTCDate());
  const dim = daysInMonth(targetYear, targetMonth);
  const day = f.monthEnd ? dim : Math.min(d.getUTCDate(), dim);
  return Date.UTC(targetYear, targetMonth, day) + time;
}

/**
 * Position of `t` on the grid `anchor + k·step`: `k` when `t` is exactly on it, NaN when it falls
 * between grid points.
 */
export function stepIndex(anchor: number, f: Frequency, t: number): number {
  const fixed = FIXED_MS[f.unit];
  if (fixed !== undefined) {
    const size = f.step * fixed;
    if (fixed < FIXED_MS.day! || f.unit === "index") {
      const k = (t - anchor) / size;
      return Number.isInteger(k) ? k : Number.NaN;
    }
    const k = Math.round((t - anchor) / size);
    return Math.abs(t - anchor - k * size) <= CLOCK_SHIFT_TOLERANCE_MS ? k : Number.NaN;
  }
  const months = monthDiff(anchor, t, f.monthEnd ?? false);
  if (Number.isNaN(months)) {
    // a clamped day (the 31st in a 30-day month) is still on the grid
    const unitMonths = MONTHS[f.unit]! * f.step;
    const d = new Date(anchor);
    const dt = new Date(t);
    const approx = Math.round(
      ((dt.getUTCFullYear() - d.getUTCFullYear()) * 12 + dt.getUTCMonth() - d.getUTCMonth()) / unitMonths,
    );
    return Math.abs(addSteps(anchor, f, approx) - t) <= CLOCK_SHIFT_TOLERANCE_MS ? approx : Number.NaN;
  }
  const unitMonths = MONTHS[f.unit]! * f.step;
  return months % unitMonths === 0 ? months / unitMonths : Number.NaN;
}

function mode(values: number[]): number | undefined {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: number | undefined;
  let bestCount = 0;
  for (const [v, c] of counts)
    if (c > bestCount || (c === bestCount && best !== undefined && v < best)) {
      best = v;
      bestCount = c;
    }
  return best;
}

/**
 * Infers the frequency of sorted, distinct timestamps from one or more series: the most common
 * spacing, read in calendar months when every timestamp shares the day-of-month (or month-end) and
 * time of day, else as a fixed duration named by the largest unit that divides it. Gaps do not
 * change the answer as long as most spacings are regular.
 * @returns undefined when no series has two points.
 */
export function inferFrequency(
  seriesTimes: readonly ArrayLike<number>[],
  timeIsIndex = false,
): Frequency | undefined {
  const diffs: number[] = [];
  for (const times of seriesTimes)
    for (let i = 1; i < times.length; i++) diffs.push(times[i]! - times[i - 1]!);
  if (!diffs.length) return undefined;
  if (timeIsIndex) return { unit: "index", step: mode(diffs)! };
  // calendar months? Month ends when every point is one and not every point is on the 28th.
  let allEnds = true;
  let beyond28 = false;
  for (const times of seriesTimes)
    for (let i = 0; i < times.length; i++) {
      if (!isMonthEnd(times[i]!)) allEnds = false;
      if (new Date(times[i]!).getUTCDate() > 28) beyond28 = true;
    }
  const monthEnd = allEnds && beyond28;
  const monthDiffs: number[] = [];
  let calendar = true;
  for (const times of seriesTimes) {
    for (let i = 1; i < times.length && calendar; i++) {
      const md = monthDiff(times[i - 1]!, times[i]!, monthEnd);
      if (Number.isNaN(md) || md <= 0) calendar = false;
      else monthDiffs.push(md);
    }
  }
  if (calendar && monthDiffs.length) {
    const months = mode(monthDiffs)!;
    if (months % 12 === 0) return { unit: "year", step: months / 12, monthEnd };
    if (months % 3 === 0) return { unit: "quarter", step: months / 3, monthEnd };
    return { unit: "month", step: months, monthEnd };
  }
  let ms = mode(diffs)!;
  // a daily or longer spacing shifted by a clock change (23 or 25 hours) is still whole days
  const day = FIXED_MS.day!;
  if (
    ms >= day - CLOCK_SHIFT_TOLERANCE_MS &&
    Math.abs(ms - Math.round(ms / day) * day) <= CLOCK_SHIFT_TOLERANCE_MS
  ) {
    const days = diffs.map((d) => Math.round(d / day)).filter((d) => d > 0);
    ms = mode(days)! * day;
  }
  for (const unit of ["week", "day", "hour", "minute", "second"] as const) {
    const size = FIXED_MS[unit]!;
    if (ms % size === 0) return { unit, step: ms / size };
  }
  return { unit: "millisecond", step: ms };
}

/** The timestamps `anchor + 1·step … anchor + h·step` (the forecast horizon after the last point). */
export function futureTimes(last: number, f: Frequency, h: number): Float64Array {
  const out = new Float64Array(h);
  for (let i = 0; i < h; i++) out[i] = addSteps(last, f, i + 1);
  return out;
}

/** A timestamp for messages: `2020-03-01` at midnight UTC, the full ISO time otherwise; the number for an index. */
export function formatTime(t: number, f?: Frequency): string {
  if (f?.unit === "index" || !Number.isFinite(t)) return String(t);
  const iso = new Date(t).toISOString();
  return iso.endsWith("T00:00:00.000Z") ? iso.slice(0, 10) : iso;
}
