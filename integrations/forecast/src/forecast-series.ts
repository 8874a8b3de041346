/**
 * From a table to checked time series: groups rows by the series id column(s), reads the time
 * column (datetime epoch ms, ISO text, or an integer index), infers or checks the frequency, and
 * reports every problem at once (unsorted or duplicate timestamps, missing periods, off-grid
 * timestamps, series shorter than the season, a non-numeric or missing target, bad exogenous
 * columns) as a {@link ForecastDataError} naming the series and the timestamps.
 */
import { type Column, cellValue, type Table } from "@lolpop/core";
import { ForecastDataError, type ForecastDataIssue } from "./forecast-data-error.js";
import {
  addSteps,
  defaultSeasonLength,
  type Frequency,
  formatFrequency,
  formatTime,
  inferFrequency,
  parseFrequency,
  stepIndex,
} from "./forecast-frequency.js";

/** One regular time series. */
export interface TimeSeries {
  /** Display name: the id value, `id1=a, id2=b` for several id columns, `""` for a single series. */
  key: string;
  /** Id column values, in the order of {@link SeriesSet.idColumns}. */
  idValues: Array<string | number | null>;
  /** Timestamps (epoch ms, or index values), increasing, on the frequency's grid. */
  time: Float64Array;
  /** Target values, no missing value. */
  values: Float64Array;
  /** Exogenous columns by name, aligned with `time`. */
  exogenous: Record<string, Float64Array>;
  /** Row of each point in the input table. */
  rows: Int32Array;
}

/** Series of one table, sharing a frequency. */
export interface SeriesSet {
  frequency: Frequency;
  /** Whether `time` holds epoch milliseconds or an integer index. */
  timeKind: "datetime" | "index";
  timeColumn: string;
  targetColumn: string;
  idColumns: string[];
  exogenousColumns: string[];
  series: TimeSeries[];
}

/** Options of {@link prepareSeries}. */
export interface PrepareSeriesOptions {
  /** Time column: datetime (epoch ms), ISO 8601 text, or integer numbers (a time index). */
  time: string;
  /** Target column (numeric). */
  target: string;
  /** Series id column(s); none for a table holding one series. */
  ids?: string | readonly string[];
  /** Exogenous numeric columns (known in the future). Default: none. */
  exogenous?: readonly string[];
  /** Frequency (`"M"`, `"D"`, `"15min"`...); inferred from the data when absent, checked when given. */
  frequency?: string | Frequency;
  /**
   * Minimum points per series: a series with fewer is an error naming it. Default: the season
   * length when one is given, else 2.
   */
  minLength?: number;
  /** Season length, for the "shorter than the season" check and messages. Default: from the frequency. */
  seasonLength?: number;
  /** Sort each series by time instead of reporting unsorted rows. Default false. */
  sort?: boolean;
  /** Name of the data in messages (a file name). */
  source?: string;
}

const MAX_LISTED = 20;

function quote(v: unknown): string {
  const s = JSON.stringify(String(v));
  return s.length > 82 ? `${s.slice(0, 80)}…"` : s;
}

function seriesLabel(key: string): string {
  return key === "" ? "the series" : `series ${quote(key)}`;
}

/** Reads the time column as numbers; records rows whose value is missing or unreadable. */
function readTimes(
  col: Column,
  name: string,
  issues: ForecastDataIssue[],
): { times: Float64Array; kind: "datetime" | "index" } {
  const n = col.type === "numeric" ? col.values.length : col.codes.length;
  const times = new Float64Array(n);
  const missing: number[] = [];
  const unparseable: number[] = [];
  let kind: "datetime" | "index" = "datetime";
  if (col.type === "numeric") {
    kind = col.logical === "datetime" ? "datetime" : "index";
    for (let i = 0; i < n; i++) {
      const v = col.values[i]!;
      if (Number.isNaN(v)) missing.push(i);
      else if (kind === "index" && !Number.isInteger(v)) unparseable.push(i);
      times[i] = v;
    }
  } else {
    const parsed = col.dictionary.map((s) => (/^\s*\d{4}-\d{2}/.test(s) ? Date.parse(s) : Number.NaN));
    for (let i = 0; i < n; i++) {
      const c = col.codes[i]!;
      if (c < 0) {
        missing.push(i);
        times[i] = Number.NaN;
      } else {
        times[i] = parsed[c]!;
        if (Number.isNaN(times[i]!)) unparseable.push(i);
      }
    }
  }
  if (missing.length)
    issues.push({
      code: "time_missing",
      rows: missing.slice(0, MAX_LISTED),
      count: missing.length,
      message: `time column ${quote(name)} is empty in ${missing.length} row(s) (rows ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""}); every row needs a timestamp`,
    });
  if (unparseable.length) {
    const examples = unparseable.slice(0, 5).map((r) => quote(cellValue(col, r)));
    issues.push({
      code: "time_unparseable",
      rows: unparseable.slice(0, MAX_LISTED),
      count: unparseable.length,
      message:
        kind === "index"
          ? `time column ${quote(name)} holds non-integer numbers in ${unparseable.length} row(s) (rows ${unparseable.slice(0, 10).join(", ")}: ${examples.join(", ")}); use a datetime column (ISO 8601 text, or force the type to datetime in the data connector) or integer periods`
          : `time column ${quote(name)} has ${unparseable.length} value(s) that are not ISO 8601 dates (rows ${unparseable.slice(0, 10).join(", ")}: ${examples.join(", ")}); write them as 2024-01-31 or 2024-01-31T12:00:00Z`,
    });
  }
  return { times, kind };
}

/**
 * Groups, reads and checks time series from `table`. Every problem is collected before throwing, so
 * one run shows them all.
 * @throws ForecastDataError listing each problem with its series and timestamps or rows.
 */
export function prepareSeries(table: Table, options: PrepareSeriesOptions): SeriesSet {
  const issues: ForecastDataIssue[] = [];
  const ids =
    options.ids === undefined ? [] : typeof options.ids === "string" ? [options.ids] : [...options.ids];
  const exogenous = [...(options.exogenous ?? [])];
  for (const name of [options.time, options.target, ...ids, ...exogenous])
    if (!table.has(name))
      issues.push({
        code: "missing_column",
        message: `column ${quote(name)} is not in the data; its columns are ${table.columnNames.map(quote).join(", ")}`,
      });
  if (issues.length) throw new ForecastDataError({ issues, source: options.source });

  const n = table.numRows;
  const { times, kind } = readTimes(table.column(options.time), options.time, issues);
  const targetCol = table.column(options.target);
  let target: Float64Array | undefined;
  if (targetCol.type !== "numeric") {
    const examples: string[] = [];
    const rows: number[] = [];
    for (let i = 0; i < n && examples.length < 5; i++) {
      const v = cellValue(targetCol, i);
      if (v !== null && Number.isNaN(Number(v))) {
        examples.push(quote(v));
        rows.push(i);
      }
    }
    issues.push({
      code: "target_not_numeric",
      rows,
      message: `target column ${quote(options.target)} is not numeric (e.g. ${examples.join(", ") || "text values"} in rows ${rows.join(", ")}); a forecast needs numbers: fix those rows or pick a numeric target`,
    });
  } else target = targetCol.values;
  const exo: Record<string, Float64Array> = {};
  for (const name of exogenous) {
    const c = table.column(name);
    if (c.type !== "numeric") {
      issues.push({
        code: "exogenous_invalid",
        message: `exogenous column ${quote(name)} is not numeric; encode it as numbers (e.g. 0/1 for a holiday flag)`,
      });
    } else exo[name] = c.values;
  }

  // group rows by series id, keeping input order
  const groups = new Map<string, { idValues: Array<string | number | null>; rows: number[] }>();
  const idCols = ids.map((name) => table.column(name));
  for (let i = 0; i < n; i++) {
    const idValues = idCols.map((c) => cellValue(c, i));
    const key =
      ids.length === 0
        ? ""
        : ids.length === 1
          ? String(idValues[0] ?? "")
          : ids.map((name, j) => `${name}=${idValues[j] ?? ""}`).join(", ");
    let g = groups.get(key);
    if (!g) {
      g = { idValues, rows: [] };
      groups.set(key, g);
    }
    g.rows.push(i);
  }

  const timeFormat = (t: number) => formatTime(t, kind === "index" ? { unit: "index", step: 1 } : undefined);
  const series: TimeSeries[] = [];
  for (const [key, g] of groups) {
    let rows = g.rows.filter((r) => !Number.isNaN(times[r]!));
    if (options.sort) rows = [...rows].sort((a, b) => times[a]! - times[b]! || a - b);
    else {
      const bad: number[] = [];
      for (let j = 1; j < rows.length; j++) if (times[rows[j]!]! < times[rows[j - 1]!]!) bad.push(j);
      if (bad.length) {
        const first = bad[0]!;
        const a = rows[first - 1]!;
        const b = rows[first]!;
        issues.push({
          code: "unsorted",
          series: key,
          timestamps: bad.slice(0, MAX_LISTED).map((j) => timeFormat(times[rows[j]!]!)),
          rows: bad.slice(0, MAX_LISTED).map((j) => rows[j]!),
          count: bad.length,
          message: `${seriesLabel(key)} is not sorted by time: ${timeFormat(times[b]!)} (row ${b}) comes after ${timeFormat(times[a]!)} (row ${a})${bad.length > 1 ? `, and ${bad.length - 1} more place(s)` : ""}; sort the data by ${ids.length ? `${ids.join(", ")} and ` : ""}${options.time}`,
        });
        rows = [...rows].sort((x, y) => times[x]! - times[y]! || x - y);
      }
    }
    const dups: number[] = [];
    const dupRows: number[] = [];
    for (let j = 1; j < rows.length; j++)
      if (times[rows[j]!] === times[rows[j - 1]!]) {
        dups.push(times[rows[j]!]!);
        dupRows.push(rows[j - 1]!, rows[j]!);
      }
    if (dups.length) {
      const distinct = [...new Set(dups)];
      issues.push({
        code: "duplicate_time",
        series: key,
        timestamps: distinct.slice(0, MAX_LISTED).map(timeFormat),
        rows: [...new Set(dupRows)].slice(0, MAX_LISTED),
        count: distinct.length,
        message: `${seriesLabel(key)} has ${distinct.length} duplicate timestamp(s): ${distinct.slice(0, 10).map(timeFormat).join(", ")}${distinct.length > 10 ? ", ..." : ""} (rows ${[...new Set(dupRows)].slice(0, 10).join(", ")}); keep one row per timestamp${ids.length ? "" : ", or name the series id column(s) if the table holds several series"}`,
      });
      const seen = new Set<number>();
      rows = rows.filter((r) => {
        if (seen.has(times[r]!)) return false;
        seen.add(times[r]!);
        return true;
      });
    }
    const values = new Float64Array(rows.length);
    if (target) {
      const missing: number[] = [];
      rows.forEach((r, j) => {
        values[j] = target![r]!;
        if (!Number.isFinite(target![r]!)) missing.push(r);
      });
      if (missing.length)
        issues.push({
          code: "target_missing",
          series: key,
          timestamps: missing.slice(0, MAX_LISTED).map((r) => timeFormat(times[r]!)),
          rows: missing.slice(0, MAX_LISTED),
          count: missing.length,
          message: `${seriesLabel(key)} has no ${quote(options.target)} value at ${missing.length} timestamp(s): ${missing
            .slice(0, 10)
            .map((r) => timeFormat(times[r]!))
            .join(", ")}${missing.length > 10 ? ", ..." : ""}; fill or drop those rows`,
        });
    }
    const exoValues: Record<string, Float64Array> = {};
    for (const [name, col] of Object.entries(exo)) {
      const v = new Float64Array(rows.length);
      const missing: number[] = [];
      rows.forEach((r, j) => {
        v[j] = col[r]!;
        if (!Number.isFinite(col[r]!)) missing.push(r);
      });
      if (missing.length)
        issues.push({
          code: "exogenous_invalid",
          series: key,
          timestamps: missing.slice(0, MAX_LISTED).map((r) => timeFormat(times[r]!)),
          rows: missing.slice(0, MAX_LISTED),
          count: missing.length,
          message: `${seriesLabel(key)} has no ${quote(name)} value at ${missing.length} timestamp(s): ${missing
            .slice(0, 10)
            .map((r) => timeFormat(times[r]!))
            .join(", ")}; exogenous columns must be complete`,
        });
      exoValues[name] = v;
    }
    series.push({
      key,
      idValues: g.idValues,
      time: Float64Array.from(rows, (r) => times[r]!),
      values,
      exogenous: exoValues,
      rows: Int32Array.from(rows),
    });
  }

  // frequency: given or inferred, then every series checked against its grid
  let frequency: Frequency | undefined;
  const inferred = inferFrequency(
    series.map((s) => s.time),
    kind === "index",
  );
  if (options.frequency !== undefined) {
    try {
      frequency =
        typeof options.frequency === "string" ? parseFrequency(options.frequency) : options.frequency;
    } catch (e) {
      issues.push({ code: "frequency_unknown", message: (e as Error).message });
    }
    if (frequency && kind === "index" && frequency.unit !== "index")
      issues.push({
        code: "frequency_mismatch",
        message: `frequency ${formatFrequency(frequency)} needs a datetime time column, and ${quote(options.time)} holds plain numbers; use frequency "index" or a datetime column`,
      });
    if (frequency && inferred && frequency.monthEnd === undefined)
      frequency = { ...frequency, monthEnd: inferred.monthEnd };
  } else if (inferred) frequency = inferred;
  else if (!issues.length)
    issues.push({
      code: "frequency_unknown",
      message: `no series has two timestamps, so the frequency cannot be inferred; give the frequency (e.g. "M" or "D")`,
    });

  if (frequency) {
    const m = options.seasonLength ?? defaultSeasonLength(frequency);
    const minLength = options.minLength ?? Math.max(2, options.seasonLength ?? 2);
    for (const s of series) {
      const t = s.time;
      if (t.length === 0) continue;
      const offGrid: number[] = [];
      const missing: number[] = [];
      let prevK = 0;
      for (let j = 1; j < t.length; j++) {
        const k = stepIndex(t[0]!, frequency, t[j]!);
        if (Number.isNaN(k)) {
          offGrid.push(t[j]!);
          continue;
        }
        for (let g = prevK + 1; g < k; g++) missing.push(addSteps(t[0]!, frequency, g));
        prevK = k;
      }
      const fmt = (v: number) => formatTime(v, frequency);
      if (offGrid.length)
        issues.push({
          code: "off_grid",
          series: s.key,
          timestamps: offGrid.slice(0, MAX_LISTED).map(fmt),
          count: offGrid.length,
          message: `${seriesLabel(s.key)} has ${offGrid.length} timestamp(s) off its ${formatFrequency(frequency)} grid starting ${fmt(t[0]!)}: ${offGrid
            .slice(0, 10)
            .map(fmt)
            .join(", ")}${offGrid.length > 10 ? ", ..." : ""}; align them (or give the right frequency)`,
        });
      if (missing.length)
        issues.push({
          code: "missing_periods",
          series: s.key,
          timestamps: missing.slice(0, MAX_LISTED).map(fmt),
          count: missing.length,
          message: `${seriesLabel(s.key)} is missing ${missing.length} period(s) of its ${formatFrequency(frequency)} frequency: ${missing
            .slice(0, 10)
            .map(fmt)
            .join(
              ", ",
            )}${missing.length > 10 ? ", ..." : ""}; add rows for them (filled values) or drop the series`,
        });
      if (t.length < minLength)
        issues.push({
          code: "too_short",
          series: s.key,
          timestamps: [fmt(t[0]!), fmt(t[t.length - 1]!)],
          count: t.length,
          message: `${seriesLabel(s.key)} has ${t.length} point(s) (${fmt(t[0]!)} to ${fmt(t[t.length - 1]!)}), fewer than ${minLength}${options.seasonLength && minLength <= options.seasonLength ? ` (one season of ${m})` : ""}; give it more history, lower the season length, or drop it`,
        });
    }
  }
  if (issues.length) throw new ForecastDataError({ issues, source: options.source });
  return {
    frequency: frequency!,
    timeKind: kind,
    timeColumn: options.time,
    targetColumn: options.target,
    idColumns: ids,
    exogenousColumns: exogenous,
    series,
  };
}
