import { DataError } from "@lolpop/core";

const MARKER = Symbol.for("lolpop.error.ForecastDataError");

/** Kind of a problem found in time-series data. */
export type ForecastDataIssueCode =
  | "missing_column"
  | "time_missing"
  | "time_unparseable"
  | "target_not_numeric"
  | "target_missing"
  | "exogenous_invalid"
  | "unsorted"
  | "duplicate_time"
  | "missing_periods"
  | "off_grid"
  | "too_short"
  | "frequency_unknown"
  | "frequency_mismatch";

/** One problem in time-series data, naming the series and the timestamps or rows involved. */
export interface ForecastDataIssue {
  code: ForecastDataIssueCode;
  /** The series, as `id=value` pairs (`""` for a table holding one series). */
  series?: string;
  /** Timestamps involved, formatted (`2020-03-01`, or ISO time), at most 20. */
  timestamps?: string[];
  /** 0-based rows of the input table involved, at most 20. */
  rows?: number[];
  /** How many timestamps or rows are involved in total (may exceed the ones listed). */
  count?: number;
  /** What is wrong and what to do. */
  message: string;
}

/**
 * Time-series data cannot be used: columns missing or of the wrong type, unsorted or duplicate
 * timestamps, missing periods, series shorter than the season. Carries every issue found
 * (`issues`), each naming its series and timestamps; the message lists them.
 */
export class ForecastDataError extends DataError {
  private readonly [MARKER] = true;
  /** Every problem found. */
  readonly issues: ForecastDataIssue[];

  constructor(opts: { issues: ForecastDataIssue[]; source?: string }) {
    const where = opts.source ? ` in ${opts.source}` : "";
    const shown = opts.issues.slice(0, 20).map((i) => `  - ${i.message}`);
    if (opts.issues.length > 20) shown.push(`  - ... and ${opts.issues.length - 20} more`);
    super({
      message: `time-series data${where} has ${opts.issues.length} problem(s):\n${shown.join("\n")}`,
      code: "forecast_data_invalid",
      details: { issues: opts.issues },
    });
    this.name = "ForecastDataError";
    this.issues = opts.issues;
  }

  /** True for this error from any copy of `@lolpop/forecast`. */
  static override isInstance(error: unknown): error is ForecastDataError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }
}
