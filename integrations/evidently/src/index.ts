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
// What users and plugin authors need: the components, their config types and schemas, the gates,
// the drift computation as a function (with its options and result types), the names of the
// statistical tests and the shape of the JSON report. The distributions, the tests' internals, the
// HTML renderer and the summary statistics stay private.
export type { CommonConfig, DriftConfig } from "./evidently-config.js";
export {
  DEFAULT_GATES,
  EVIDENTLY_DATA_CHECKER_TYPE,
  type EvidentlyDataCheckerConfig,
  evidentlyDataChecker,
  evidentlyDataCheckerConfigSchema,
  type Gate,
  type GateCheck,
} from "./evidently-data-checker.js";
export {
  EVIDENTLY_DATA_PROFILER_TYPE,
  type EvidentlyDataProfilerConfig,
  evidentlyDataProfiler,
  evidentlyDataProfilerConfigSchema,
} from "./evidently-data-profiler.js";
export {
  type ColumnDrift,
  computeDrift,
  type DriftOptions,
  type DriftResult,
  type SkippedColumn,
} from "./evidently-drift.js";
export type { EvidentlySnapshot, SnapshotMetric, SnapshotTest } from "./evidently-snapshot.js";
export { type DriftColumnType, STAT_TEST_NAMES } from "./evidently-stattests.js";
