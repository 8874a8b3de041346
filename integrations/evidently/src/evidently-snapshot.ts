/**
 * JSON in the shape of Evidently 0.7's `Report([DataDriftPreset(), DataSummaryPreset()],
 * include_tests=True).run(current, reference).dict()`: `{metrics: [{id, metric_name, config,
 * value}], tests: [...]}`. Ids are lolpop's own stable 32-hex digests (Evidently's depend on Python
 * reprs); NaN is written as `null`.
 */
import { createHash } from "node:crypto";
import type { DriftOptions, DriftResult } from "./evidently-drift.js";
import type { DataSummary } from "./evidently-summary.js";

/** One metric of the report. */
export interface SnapshotMetric {
  id: string;
  metric_name: string;
  config: Record<string, unknown>;
  value: unknown;
}

/** One test of the report. */
export interface SnapshotTest {
  id: string;
  name: string;
  description: string;
  metric_config: { metric_id: string; params: Record<string, unknown> };
  test_config: Record<string, unknown>;
  status: "SUCCESS" | "FAIL" | "WARNING" | "ERROR";
}

/** The report JSON. */
export interface EvidentlySnapshot {
  metrics: SnapshotMetric[];
  tests: SnapshotTest[];
}

const PRESET_KEYS = [
  "method",
  "cat_method",
  "num_method",
  "text_method",
  "per_column_method",
  "threshold",
  "cat_threshold",
  "num_threshold",
  "text_threshold",
  "per_column_threshold",
] as const;

const num = (v: number): number | null => (Number.isNaN(v) ? null : v);

function metric(type: string, params: Array<[string, unknown]>, value: unknown): SnapshotMetric {
  const shown = params.filter(
    ([, v]) => v !== undefined && v !== null && (typeof v !== "object" || Array.isArray(v)),
  );
  const metric_name = `${type}(${shown.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(",") : v}`).join(",")})`;
  const id = createHash("md5").update(`lolpop-evidently:${metric_name}`).digest("hex");
  return {
    id,
    metric_name,
    config: { type: `evidently:metric_v2:${type}`, ...Object.fromEntries(params) },
    value,
  };
}

const fmt2 = (v: number) => (Number.isNaN(v) ? "nan" : v.toFixed(2));
const fmt3 = (v: number) => (Number.isNaN(v) ? "nan" : v.toFixed(3));

/** The drift metrics (`DriftedColumnsCount` then one `ValueDrift` per column) and their tests. */
export function driftMetrics(
  drift: DriftResult,
  options: DriftOptions = {},
): { metrics: SnapshotMetric[]; tests: SnapshotTest[] } {
  const params: Array<[string, unknown]> = [];
  if (options.columns) params.push(["columns", options.columns]);
  params.push(["drift_share", drift.drift_share]);
  for (const k of PRESET_KEYS)
    if (options[k] !== undefined && options[k] !== null) params.push([k, options[k]]);
  const count = metric("DriftedColumnsCount", params, {
    count: drift.number_of_drifted_columns,
    share: drift.share_of_drifted_columns,
  });
  const metrics: SnapshotMetric[] = [count];
  const tests: SnapshotTest[] = [
    {
      id: "lt",
      name: `Share of Drifted Columns: Less ${fmt3(drift.drift_share)}`,
      description: `Share of Drifted Columns: Actual value ${fmt3(drift.share_of_drifted_columns)} ${
        drift.dataset_drift ? ">=" : "<"
      } ${fmt3(drift.drift_share)}`,
      metric_config: { metric_id: count.id, params: count.config },
      test_config: {
        type: "evidently:test_v2:LessThanMetricTest",
        is_critical: true,
        alias: null,
        label_filters: null,
        threshold: drift.drift_share,
      },
      status: drift.dataset_drift ? "FAIL" : "SUCCESS",
    },
  ];
  for (const c of drift.columns) {
    const method = c.auto ? c.stattest_display : c.stattest;
    const m = metric(
      "ValueDrift",
      [
        ["column", c.column],
        ["method", method],
        ["threshold", c.threshold],
      ],
      num(c.score),
    );
    metrics.push(m);
    tests.push({
      id: "drift",
      name: `Value Drift for column ${c.column}`,
      description: `Drift score is ${fmt2(c.score)}. The drift detection method is ${method}. The drift threshold is ${fmt2(c.threshold)}.`,
      metric_config: { metric_id: m.id, params: m.config },
      test_config: {},
      status: c.drifted ? "FAIL" : "SUCCESS",
    });
  }
  return { metrics, tests };
}

const COLUMN_TYPE_VALUE = {
  Numerical: "num",
  Categorical: "cat",
  Datetime: "datetime",
  Text: "text",
} as const;

/** The summary metrics, in `DataSummaryPreset` order. */
export function summaryMetrics(s: DataSummary): SnapshotMetric[] {
  const out: SnapshotMetric[] = [metric("RowCount", [], s.rows), metric("ColumnCount", [], s.columns)];
  for (const [t, n] of [
    ["Numerical", s.columns_by_type.numerical],
    ["Categorical", s.columns_by_type.categorical],
    ["Datetime", s.columns_by_type.datetime],
    ["Text", s.columns_by_type.text],
  ] as const) {
    const m = metric("ColumnCount", [["column_type", `ColumnType.${t}`]], n);
    m.config = { type: "evidently:metric_v2:ColumnCount", tests: [], column_type: COLUMN_TYPE_VALUE[t] };
    out.push(m);
  }
  out.push(
    metric("DuplicatedRowCount", [], s.duplicated_rows),
    metric("DuplicatedColumnsCount", [], s.duplicated_columns),
    metric("AlmostDuplicatedColumnsCount", [], s.almost_duplicated_columns),
    metric("AlmostConstantColumnsCount", [], s.almost_constant_columns),
    metric("EmptyRowsCount", [], s.empty_rows),
    metric("EmptyColumnsCount", [], s.empty_columns),
    metric("ConstantColumnsCount", [], s.constant_columns),
    metric("DatasetMissingValueCount", [], { count: s.missing.count, share: num(s.missing.share) }),
  );
  for (const c of s.column_stats) {
    out.push(
      metric("MissingValueCount", [["column", c.column]], { count: c.missing.count, share: c.missing.share }),
    );
    if (c.values) out.push(metric("UniqueValueCount", [["column", c.column]], c.values));
    if (c.numeric) {
      const n = c.numeric;
      out.push(
        metric("MinValue", [["column", c.column]], num(n.min)),
        metric("MaxValue", [["column", c.column]], num(n.max)),
        metric("MeanValue", [["column", c.column]], num(n.mean)),
        metric("StdValue", [["column", c.column]], num(n.std)),
        metric(
          "QuantileValue",
          [
            ["column", c.column],
            ["quantile", 0.25],
          ],
          num(n.q25),
        ),
        metric(
          "QuantileValue",
          [
            ["column", c.column],
            ["quantile", 0.5],
          ],
          num(n.q50),
        ),
        metric(
          "QuantileValue",
          [
            ["column", c.column],
            ["quantile", 0.75],
          ],
          num(n.q75),
        ),
      );
    }
  }
  return out;
}

/** The whole report: drift metrics (when there is a drift result) followed by the summary metrics. */
export function buildSnapshot(parts: {
  drift?: DriftResult;
  driftOptions?: DriftOptions;
  summary?: DataSummary;
}): EvidentlySnapshot {
  const metrics: SnapshotMetric[] = [];
  const tests: SnapshotTest[] = [];
  if (parts.drift) {
    const d = driftMetrics(parts.drift, parts.driftOptions);
    metrics.push(...d.metrics);
    tests.push(...d.tests);
  }
  if (parts.summary) metrics.push(...summaryMetrics(parts.summary));
  return { metrics, tests };
}
