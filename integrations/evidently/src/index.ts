/**
 * @lolpop/evidently: EvidentlyDataChecker and EvidentlyDataProfiler, data drift and data quality
 * with Evidently 0.7's statistics implemented natively in TypeScript (no Python at run time).
 * Importing this module registers the plugin; the numerics (stdlib) load on first use.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { evidentlyDataChecker } from "./evidently-data-checker.js";
import { evidentlyDataProfiler } from "./evidently-data-profiler.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The @lolpop/evidently plugin (registered on import). */
export const evidentlyPlugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [evidentlyDataChecker, evidentlyDataProfiler],
  }),
);

export default evidentlyPlugin;
export {
  type ColumnDefinitionOptions,
  type ColumnInfo,
  type DeclaredColumnType,
  defineColumns,
  type EvidentlyColumnType,
  INTEGER_CARDINALITY_LIMIT,
  inferColumnType,
  type PandasDtype,
} from "./evidently-columns.js";
export { type CommonConfig, type DriftConfig, driftSchema } from "./evidently-config.js";
export {
  applyGates,
  DEFAULT_GATES,
  EVIDENTLY_DATA_CHECKER_TYPE,
  type EvidentlyDataCheckerConfig,
  evidentlyDataChecker,
  evidentlyDataCheckerConfigSchema,
  type Gate,
  type GateCheck,
  worstStatus,
} from "./evidently-data-checker.js";
export {
  EVIDENTLY_DATA_PROFILER_TYPE,
  type EvidentlyDataProfilerConfig,
  evidentlyDataProfiler,
  evidentlyDataProfilerConfigSchema,
  keyFigures,
} from "./evidently-data-profiler.js";
export {
  chiSquareSf,
  type KsResult,
  ks2Samp,
  kstwoSf,
  normalCdf,
} from "./evidently-distributions.js";
export {
  type ColumnDrift,
  computeDrift,
  type DriftOptions,
  type DriftResult,
  driftSample,
  radixSortFloat64,
  type SkippedColumn,
} from "./evidently-drift.js";
export { escapeHtml, type HtmlReportInput, MAX_LABEL_CHARS, renderHtmlReport } from "./evidently-html.js";
export { type Analysis, analyze, writeReportFiles } from "./evidently-report.js";
export {
  buildSnapshot,
  type EvidentlySnapshot,
  type SnapshotMetric,
  type SnapshotTest,
} from "./evidently-snapshot.js";
export {
  type DriftColumnType,
  type DriftSample,
  defaultStatTest,
  type KeyCounts,
  STAT_TEST_NAMES,
  STAT_TESTS,
  type StatTest,
  statTestByName,
} from "./evidently-stattests.js";
export {
  type ColumnSummary,
  computeSummary,
  type DataSummary,
  type MissingCount,
  type NumericStats,
  type ValueCounts,
} from "./evidently-summary.js";
