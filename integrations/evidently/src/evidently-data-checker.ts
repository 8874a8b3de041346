/**
 * EvidentlyDataChecker (kind `data_checker`): data quality and drift checks with Evidently 0.7's
 * statistics, turned into PASS / WARN / ERROR by configurable gates.
 */
import { join } from "node:path";
import {
  type CheckReport,
  type CheckResult,
  type CheckStatus,
  type ComponentContext,
  ConfigError,
  type DataChecker,
  defineComponent,
  type Table,
} from "@lolpop/core";
import { type CommonConfig, commonProperties, driftOptionsFrom } from "./evidently-config.js";
import { type Analysis, analyze, resolveReportDir, writeReportFiles } from "./evidently-report.js";

/** The component type name used in YAML. */
export const EVIDENTLY_DATA_CHECKER_TYPE = "EvidentlyDataChecker";

/** What a gate looks at. */
export type GateCheck =
  | "dataset_drift"
  | "column_drift"
  | "untested_columns"
  | "missing_share"
  | "dataset_missing_share"
  | "duplicated_rows"
  | "duplicated_columns"
  | "almost_duplicated_columns"
  | "constant_columns"
  | "almost_constant_columns"
  | "empty_rows"
  | "empty_columns"
  | "min_rows";

/** One gate: when `check` trips, the result gets `status`. */
export interface Gate {
  check: GateCheck;
  status: Exclude<CheckStatus, "PASS">;
  /** Limit: trips when the value is above it (below it for `min_rows`). */
  threshold?: number;
  /** Only these columns (column_drift, missing_share). */
  columns?: string[];
}

/** Gates used when none are configured. */
export const DEFAULT_GATES: readonly Gate[] = Object.freeze([
  { check: "dataset_drift", status: "ERROR" },
  { check: "column_drift", status: "WARN" },
  { check: "untested_columns", status: "WARN" },
  { check: "missing_share", status: "WARN", threshold: 0.05 },
  { check: "empty_columns", status: "WARN", threshold: 0 },
]);

const GATE_CHECKS: readonly GateCheck[] = [
  "dataset_drift",
  "column_drift",
  "untested_columns",
  "missing_share",
  "dataset_missing_share",
  "duplicated_rows",
  "duplicated_columns",
  "almost_duplicated_columns",
  "constant_columns",
  "almost_constant_columns",
  "empty_rows",
  "empty_columns",
  "min_rows",
];

/** The component's config. */
export interface EvidentlyDataCheckerConfig extends CommonConfig {
  gates?: Gate[];
  reference_source?: string | null;
}

/** JSON Schema of the component's config. */
export const evidentlyDataCheckerConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    ...commonProperties,
    gates: {
      type: "array",
      default: DEFAULT_GATES.map((g) => ({ ...g })),
      description:
        "Checks and the status each gives when it trips. dataset_drift: Evidently's dataset verdict (share of drifted columns >= drift.drift_share); column_drift: any (listed) column drifted; untested_columns: drift could not be tested on a column (all values missing); missing_share: a column's missing share > threshold; dataset_missing_share: missing cells / rows > threshold; duplicated_rows, duplicated_columns, almost_duplicated_columns, constant_columns, almost_constant_columns, empty_rows, empty_columns: count > threshold (default 0); min_rows: rows < threshold. Drift gates pass with a note when there is no reference.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["check", "status"],
        properties: {
          check: { type: "string", enum: [...GATE_CHECKS], description: "What the gate looks at." },
          status: { type: "string", enum: ["WARN", "ERROR"], description: "Status when the gate trips." },
          threshold: {
            type: "number",
            description: "Limit (default 0 for counts, 0.05 for missing shares; required for min_rows).",
          },
          columns: {
            type: "array",
            items: { type: "string" },
            description: "Only these columns (column_drift and missing_share); default every column.",
          },
        },
        // A min_rows gate needs its threshold (the minimum number of rows).
        if: { properties: { check: { const: "min_rows" } }, required: ["check"] },
        // biome-ignore lint/suspicious/noThenProperty: JSON Schema's if/then keyword, not a thenable.
        then: {
          required: ["threshold"],
          description: "a min_rows gate needs a threshold (the minimum number of rows)",
        },
      },
    },
    reference_source: {
      type: ["string", "null"],
      default: null,
      description:
        "Reference data read with this pipeline's data_connector when check_data gets no reference (e.g. data/train.csv to compare prediction data with training data). null: without a reference only data quality is checked.",
    },
  },
} as const;

const RANK: Record<CheckStatus, number> = { PASS: 0, WARN: 1, ERROR: 2 };

/** The worst status of a list of results (PASS when empty). */
export function worstStatus(checks: readonly CheckResult[]): CheckStatus {
  let s: CheckStatus = "PASS";
  for (const c of checks) if (RANK[c.status] > RANK[s]) s = c.status;
  return s;
}

const fmtShare = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Applies the gates to an analysis. */
export function applyGates(a: Analysis, gates: readonly Gate[], hasReference: boolean): CheckResult[] {
  const out: CheckResult[] = [];
  const s = a.summary;
  for (const g of gates) {
    const limit =
      g.threshold ?? (g.check === "missing_share" || g.check === "dataset_missing_share" ? 0.05 : 0);
    const pass = (name: string, message: string, details?: Record<string, unknown>) =>
      out.push({ name, status: "PASS", message, ...(details ? { details } : {}) });
    const trip = (name: string, message: string, details?: Record<string, unknown>) =>
      out.push({ name, status: g.status, message, ...(details ? { details } : {}) });
    switch (g.check) {
      case "dataset_drift":
      case "column_drift":
      case "untested_columns": {
        const d = a.drift;
        if (!d) {
          pass(g.check, `${g.check}: not checked, no reference data`, {
            skipped: true,
            reference: hasReference,
          });
          break;
        }
        if (g.check === "dataset_drift") {
          const details = {
            drifted_columns: d.number_of_drifted_columns,
            tested_columns: d.number_of_columns,
            share: d.share_of_drifted_columns,
            drift_share: d.drift_share,
          };
          const msg = `${d.number_of_drifted_columns} of ${d.number_of_columns} columns drifted (${fmtShare(d.share_of_drifted_columns)}, dataset drift at ${fmtShare(d.drift_share)})`;
          if (d.dataset_drift) trip("dataset_drift", `dataset drift: ${msg}`, details);
          else pass("dataset_drift", `no dataset drift: ${msg}`, details);
        } else if (g.check === "column_drift") {
          const cols = d.columns.filter((c) => !g.columns || g.columns.includes(c.column));
          const drifted = cols.filter((c) => c.drifted);
          for (const c of drifted)
            trip(
              `column_drift:${c.column}`,
              `column "${c.column}" drifted: ${c.stattest_display} ${c.score} (drift when ${c.rule}, threshold ${c.threshold})`,
              { column: c.column, stattest: c.stattest, score: c.score, threshold: c.threshold },
            );
          if (!drifted.length) pass("column_drift", `no drift in ${cols.length} tested columns`);
        } else {
          for (const k of d.skipped)
            trip(
              `untested_columns:${k.column}`,
              `column "${k.column}" was not tested for drift: ${k.reason}`,
              {
                column: k.column,
              },
            );
          if (!d.skipped.length) pass("untested_columns", "every selected column was tested for drift");
        }
        break;
      }
      case "missing_share": {
        const cols = s.all_columns.filter((c) => !g.columns || g.columns.includes(c.column));
        const bad = cols.filter((c) => c.missing.share > limit);
        for (const c of bad)
          trip(
            `missing_share:${c.column}`,
            `column "${c.column}" has ${fmtShare(c.missing.share)} missing values (${c.missing.count} of ${s.rows}), over ${fmtShare(limit)}`,
            { column: c.column, share: c.missing.share, count: c.missing.count, threshold: limit },
          );
        if (!bad.length) pass("missing_share", `no column has more than ${fmtShare(limit)} missing values`);
        break;
      }
      case "dataset_missing_share": {
        const msg = `${s.missing.count} missing values in ${s.rows} rows (share ${s.missing.share.toFixed(4)} per row, limit ${limit})`;
        if (s.missing.share > limit) trip("dataset_missing_share", msg, { ...s.missing, threshold: limit });
        else pass("dataset_missing_share", msg);
        break;
      }
      case "min_rows": {
        const msg = `${s.rows} rows (minimum ${limit})`;
        if (s.rows < limit) trip("min_rows", `too few rows: ${msg}`, { rows: s.rows, threshold: limit });
        else pass("min_rows", msg);
        break;
      }
      default: {
        const value = s[g.check];
        const what = g.check.replace(/_/g, " ");
        const msg = `${value} ${what} (limit ${limit})`;
        if (value > limit) trip(g.check, msg, { count: value, threshold: limit });
        else pass(g.check, msg);
      }
    }
  }
  return out;
}

async function loadReference(
  ctx: ComponentContext<EvidentlyDataCheckerConfig>,
  source: string,
): Promise<Table> {
  const connector = ctx.optionalComponent("data_connector");
  if (!connector)
    throw new ConfigError({
      issues: [
        {
          code: "invalid_value",
          path: `${ctx.path}.config.reference_source`,
          message: `reference_source is set but the pipeline has no data_connector to read "${source}" with`,
        },
      ],
    });
  return connector.get_data(source);
}

/** The EvidentlyDataChecker definition. */
export const evidentlyDataChecker = defineComponent<"data_checker", EvidentlyDataCheckerConfig>({
  kind: "data_checker",
  type: EVIDENTLY_DATA_CHECKER_TYPE,
  description:
    "Data quality and drift (Evidently 0.7 statistics, native TypeScript) with PASS/WARN/ERROR gates; writes HTML and JSON reports.",
  configSchema: evidentlyDataCheckerConfigSchema,
  create: (ctx): DataChecker => {
    const cfg = ctx.config;
    const options = driftOptionsFrom(cfg, `${ctx.path}.config`);
    const gates = cfg.gates ?? [...DEFAULT_GATES];
    let cachedReference: Table | undefined;
    return {
      async check_data(table, opts = {}) {
        const name = opts.name ?? "data";
        let reference = opts.reference;
        if (!reference && cfg.reference_source) {
          cachedReference ??= await loadReference(ctx, cfg.reference_source);
          reference = cachedReference;
        }
        if (table.numRows === 0) {
          const checks: CheckResult[] = [
            {
              name: "empty_data",
              status: "ERROR",
              message: `${name} has no rows: nothing to check`,
              details: { columns: table.columnNames },
            },
          ];
          return { status: "ERROR", checks };
        }
        const analysis = analyze(table, reference, options);
        const checks = applyGates(analysis, gates, !!reference);
        const artifacts = await writeReportFiles(
          analysis,
          { current: table, ...(reference ? { reference } : {}), title: `Data check: ${name}` },
          {
            dir: cfg.report_dir
              ? resolveReportDir(ctx.project.root, cfg.report_dir)
              : join(ctx.project.stateDir, "evidently"),
            name,
            html: cfg.html ?? true,
            json: cfg.json ?? true,
          },
        );
        const report: CheckReport = {
          status: worstStatus(checks),
          checks,
          report: analysis.snapshot,
          ...(artifacts.length ? { artifacts } : {}),
        };
        ctx.logger.info(`data check of ${name}: ${report.status}`, {
          rows: table.numRows,
          ...(analysis.drift
            ? {
                drifted_columns: analysis.drift.number_of_drifted_columns,
                dataset_drift: analysis.drift.dataset_drift,
              }
            : {}),
        });
        return report;
      },
    };
  },
});
