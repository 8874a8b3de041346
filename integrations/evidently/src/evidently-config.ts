/** Config schema parts shared by EvidentlyDataChecker and EvidentlyDataProfiler. */
import type { DeclaredColumnType } from "./evidently-columns.js";
import type { DriftOptions } from "./evidently-drift.js";
import { STAT_TEST_NAMES } from "./evidently-stattests.js";

const method = (what: string) => ({
  type: ["string", "null"],
  enum: [...STAT_TEST_NAMES, null],
  default: null,
  description: `Drift test for ${what} (${STAT_TEST_NAMES.join(", ")}); null chooses automatically as Evidently does (K-S, chi-square or Z-test up to 1000 reference rows, Wasserstein or Jensen-Shannon above).`,
});
const threshold = (what: string) => ({
  type: ["number", "null"],
  default: null,
  description: `Drift threshold for ${what}; null uses the test's default (0.05 for p-values, 0.1 for distances).`,
});

/** JSON Schema of the `drift` section (Evidently's `DataDriftPreset` arguments). */
export const driftSchema = {
  type: "object",
  additionalProperties: false,
  default: {},
  description: "How drift is computed: the arguments of Evidently's DataDriftPreset.",
  properties: {
    columns: {
      type: ["array", "null"],
      items: { type: "string" },
      default: null,
      description:
        "Columns to test; null tests every numerical, categorical and text column of the current data.",
    },
    drift_share: {
      type: "number",
      minimum: 0,
      maximum: 1,
      default: 0.5,
      description: "The dataset drifts when at least this share of the tested columns drift.",
    },
    method: method("every column"),
    num_method: method("numerical columns (overrides method)"),
    cat_method: method("categorical columns (overrides method)"),
    per_column_method: {
      type: "object",
      additionalProperties: { type: "string", enum: [...STAT_TEST_NAMES] },
      default: {},
      description: "Drift test by column name (overrides the type and global methods).",
    },
    threshold: threshold("every column"),
    num_threshold: threshold("numerical columns (overrides threshold)"),
    cat_threshold: threshold("categorical columns (overrides threshold)"),
    per_column_threshold: {
      type: "object",
      additionalProperties: { type: "number" },
      default: {},
      description: "Drift threshold by column name (overrides the type and global thresholds).",
    },
    empty_columns: {
      type: "string",
      enum: ["skip", "error"],
      default: "skip",
      description:
        "A column whose values are all missing on one side: skip leaves it out of the drift share and reports it as untested; error fails like Evidently (which aborts the whole report).",
    },
  },
} as const;

/** Schema properties common to both components. */
export const commonProperties = {
  index: {
    type: ["string", "null"],
    default: null,
    description:
      "Index column (row ids, a date index), left out of every check like a column with role index. Usually inherited from the runner's config.index; null: none.",
  },
  column_types: {
    type: "object",
    additionalProperties: {
      type: "string",
      enum: ["numerical", "categorical", "text", "datetime", "ignore"],
    },
    default: {},
    description:
      "Column types by name, overriding inference (float -> numerical; integer -> categorical up to 10 distinct values; text -> text when more than half the values are distinct, else categorical). ignore leaves a column out.",
  },
  infer_integers: {
    type: "boolean",
    default: true,
    description:
      "Treat a number column whose values are all whole and never missing as an integer column, as pandas.read_csv types it (so integer columns with few values are categorical, like in Evidently).",
  },
  drift: driftSchema,
  report_dir: {
    type: ["string", "null"],
    default: null,
    description:
      "Folder (relative to the project root) the HTML and JSON reports are written to; null: evidently/ in lolpop's state folder (.lolpop/evidently).",
  },
  html: { type: "boolean", default: true, description: "Write the self-contained HTML report." },
  json: { type: "boolean", default: true, description: "Write the Evidently-shaped JSON report." },
} as const;

/** The `drift` section as read from config. */
export interface DriftConfig {
  columns?: string[] | null;
  drift_share?: number;
  method?: string | null;
  num_method?: string | null;
  cat_method?: string | null;
  per_column_method?: Record<string, string>;
  threshold?: number | null;
  num_threshold?: number | null;
  cat_threshold?: number | null;
  per_column_threshold?: Record<string, number>;
  empty_columns?: "skip" | "error";
}

/** Config keys common to both components. */
export interface CommonConfig {
  index?: string | null;
  column_types?: Record<string, DeclaredColumnType>;
  infer_integers?: boolean;
  drift?: DriftConfig;
  report_dir?: string | null;
  html?: boolean;
  json?: boolean;
}

/** Turns config into {@link DriftOptions} (nulls and empty maps dropped). */
export function driftOptionsFrom(cfg: CommonConfig, configPath: string): DriftOptions {
  const d = cfg.drift ?? {};
  const o: DriftOptions = { config_path: `${configPath}.` };
  if (cfg.column_types && Object.keys(cfg.column_types).length) o.column_types = cfg.column_types;
  if (cfg.infer_integers !== undefined) o.infer_integers = cfg.infer_integers;
  if (cfg.index) o.index = cfg.index;
  if (d.columns) o.columns = d.columns;
  if (d.drift_share !== undefined) o.drift_share = d.drift_share;
  for (const k of ["method", "num_method", "cat_method"] as const) if (d[k]) o[k] = d[k]!;
  for (const k of ["threshold", "num_threshold", "cat_threshold"] as const)
    if (d[k] !== null && d[k] !== undefined) o[k] = d[k]!;
  if (d.per_column_method && Object.keys(d.per_column_method).length)
    o.per_column_method = d.per_column_method;
  if (d.per_column_threshold && Object.keys(d.per_column_threshold).length)
    o.per_column_threshold = d.per_column_threshold;
  if (d.empty_columns) o.empty_columns = d.empty_columns;
  return o;
}
