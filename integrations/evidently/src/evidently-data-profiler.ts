/**
 * EvidentlyDataProfiler (kind `data_profiler`): profiles one table (Evidently's DataSummaryPreset)
 * or compares two (DataDriftPreset + DataSummaryPreset): training vs new data, training vs serving.
 */
import { join } from "node:path";
import { DataError, type DataProfiler, type DataReport, defineComponent, type Table } from "@lolpop/core";
import { type CommonConfig, commonProperties, driftOptionsFrom } from "./evidently-config.js";
import { type Analysis, analyze, resolveReportDir, writeReportFiles } from "./evidently-report.js";

/** The component type name used in YAML. */
export const EVIDENTLY_DATA_PROFILER_TYPE = "EvidentlyDataProfiler";

/** The component's config. */
export type EvidentlyDataProfilerConfig = CommonConfig;

/** JSON Schema of the component's config. */
export const evidentlyDataProfilerConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: { ...commonProperties },
} as const;

/** Key figures of an analysis (the `summary` of a {@link DataReport}). */
export function keyFigures(a: Analysis): Record<string, number | string | boolean> {
  const s = a.summary;
  const out: Record<string, number | string | boolean> = {
    rows: s.rows,
    columns: s.columns,
    missing_values: s.missing.count,
    missing_share: s.missing.share,
    duplicated_rows: s.duplicated_rows,
    constant_columns: s.constant_columns,
    almost_constant_columns: s.almost_constant_columns,
    empty_columns: s.empty_columns,
  };
  if (a.drift) {
    out.tested_columns = a.drift.number_of_columns;
    out.drifted_columns = a.drift.number_of_drifted_columns;
    out.drift_share = a.drift.share_of_drifted_columns;
    out.dataset_drift = a.drift.dataset_drift;
    out.untested_columns = a.drift.skipped.length;
  }
  return out;
}

/** The EvidentlyDataProfiler definition. */
export const evidentlyDataProfiler = defineComponent<"data_profiler", EvidentlyDataProfilerConfig>({
  kind: "data_profiler",
  type: EVIDENTLY_DATA_PROFILER_TYPE,
  description:
    "Profiles a table or compares two with Evidently 0.7's statistics (native TypeScript); writes HTML and JSON reports.",
  configSchema: evidentlyDataProfilerConfigSchema,
  create: (ctx): DataProfiler => {
    const cfg = ctx.config;
    const options = driftOptionsFrom(cfg, `${ctx.path}.config`);
    const run = async (current: Table, reference: Table | undefined, name: string, title: string) => {
      if (current.numRows === 0)
        throw new DataError({ message: `${ctx.path}: ${name} has no rows to profile`, code: "empty_data" });
      const analysis = analyze(current, reference, options);
      const artifacts = await writeReportFiles(
        analysis,
        { current, ...(reference ? { reference } : {}), title },
        {
          dir: cfg.report_dir
            ? resolveReportDir(ctx.project.root, cfg.report_dir)
            : join(ctx.project.stateDir, "evidently"),
          name,
          html: cfg.html ?? true,
          json: cfg.json ?? true,
        },
      );
      const report: DataReport = {
        json: analysis.snapshot,
        summary: keyFigures(analysis),
        ...(artifacts.length ? { artifacts } : {}),
      };
      return report;
    };
    return {
      async profile_data(table, opts = {}) {
        const name = opts.name ?? "data";
        return run(table, undefined, name, `Data profile: ${name}`);
      },
      async compare_data(current, reference, opts = {}) {
        const name = opts.name ?? "comparison";
        if (reference.numRows === 0)
          throw new DataError({
            message: `${ctx.path}: the reference data of ${name} has no rows`,
            code: "empty_data",
          });
        return run(current, reference, name, `Data comparison: ${name}`);
      },
    };
  },
});
