/**
 * Column types as Evidently 0.7 infers them (`evidently.core.datasets.infer_column_type`), mapped
 * onto lolpop's columnar {@link Table}, and the explicit data definition that overrides them.
 */
import { type Column, ConfigError, DataError, type Table } from "@lolpop/core";

/** A {@link ConfigError} for one config value: `path` is the dotted key, `message` says what to do. */
export function configError(path: string, message: string): ConfigError {
  return new ConfigError({ issues: [{ code: "invalid_value", path, message }] });
}

/** Evidently's column types. `unknown` columns are left out of drift and summary. */
export type EvidentlyColumnType = "numerical" | "categorical" | "text" | "datetime" | "unknown";

/** What a column may be declared as in `column_types`: a type, or `ignore` to leave it out. */
export type DeclaredColumnType = Exclude<EvidentlyColumnType, "unknown"> | "ignore";

/** The pandas dtype a column would have when the same data is loaded with `pandas.read_csv`. */
export type PandasDtype = "float64" | "int64" | "bool" | "str" | "datetime64";

/** Integers with at most this many distinct values are categorical (Evidently's `INTEGER_CARDINALITY_LIMIT`). */
export const INTEGER_CARDINALITY_LIMIT = 10;

/** Options of {@link defineColumns}. */
export interface ColumnDefinitionOptions {
  /** Explicit types by column name; overrides inference. */
  column_types?: Record<string, DeclaredColumnType>;
  /**
   * Treat a float column whose values are all whole numbers and never missing as an integer column,
   * the way `pandas.read_csv` types it (lolpop's CSV reader stores every number as a float).
   * Default true.
   */
  infer_integers?: boolean;
  /** Prefix of config paths in error messages (e.g. `process.data_checker.config.`). */
  config_path?: string;
  /** Leave out columns whose table role is `index`, `time` or `ignore` (Evidently's id/timestamp columns). Default true. */
  skip_special_roles?: boolean;
  /** The workflow's index column (the runner's `config.index`): left out like a column with role `index`. */
  index?: string;
}

/** One column of the data definition. */
export interface ColumnInfo {
  name: string;
  type: EvidentlyColumnType;
  dtype: PandasDtype;
  /** True when the type came from `column_types`. */
  declared: boolean;
}

function isIntegral(values: Float64Array): boolean {
  if (values.length === 0) return false;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || Math.floor(v) !== v) return false;
  }
  return true;
}

/** The pandas dtype of a column (see {@link PandasDtype}). */
export function pandasDtype(col: Column, inferIntegers = true): PandasDtype {
  if (col.type === "categorical") return "str";
  if (col.logical === "datetime") return "datetime64";
  if (col.logical === "bool") return "bool";
  if (col.logical === "int") return isIntegral(col.values) ? "int64" : "float64";
  return inferIntegers && isIntegral(col.values) ? "int64" : "float64";
}

/** Distinct non-missing values of a column. */
export function countUnique(col: Column): { unique: number; nonMissing: number } {
  if (col.type === "categorical") {
    const seen = new Uint8Array(col.dictionary.length);
    let unique = 0;
    let nonMissing = 0;
    for (let i = 0; i < col.codes.length; i++) {
      const c = col.codes[i]!;
      if (c < 0) continue;
      nonMissing++;
      if (!seen[c]) {
        seen[c] = 1;
        unique++;
      }
    }
    // Dictionaries may hold one label twice only when built by hand; count labels, not codes.
    if (new Set(col.dictionary).size !== col.dictionary.length) {
      const labels = new Set<string>();
      for (let i = 0; i < col.codes.length; i++)
        if (col.codes[i]! >= 0) labels.add(col.dictionary[col.codes[i]!]!);
      unique = labels.size;
    }
    return { unique, nonMissing };
  }
  const set = new Set<number>();
  let nonMissing = 0;
  for (let i = 0; i < col.values.length; i++) {
    const v = col.values[i]!;
    if (Number.isNaN(v)) continue;
    nonMissing++;
    set.add(v === 0 ? 0 : v);
  }
  return { unique: set.size, nonMissing };
}

/** Infers the Evidently type of one column from its pandas dtype and cardinality. */
export function inferColumnType(
  col: Column,
  inferIntegers = true,
): { type: EvidentlyColumnType; dtype: PandasDtype } {
  const dtype = pandasDtype(col, inferIntegers);
  switch (dtype) {
    case "float64":
      return { type: "numerical", dtype };
    case "int64":
      return {
        type: countUnique(col).unique <= INTEGER_CARDINALITY_LIMIT ? "categorical" : "numerical",
        dtype,
      };
    case "bool":
      return { type: "categorical", dtype };
    case "datetime64":
      return { type: "datetime", dtype };
    case "str": {
      const { unique, nonMissing } = countUnique(col);
      if (nonMissing === 0) return { type: "unknown", dtype };
      return { type: unique > nonMissing * 0.5 ? "text" : "categorical", dtype };
    }
  }
}

const DECLARABLE = new Set(["numerical", "categorical", "text", "datetime", "ignore"]);

/**
 * The data definition of `table` (the current data: Evidently takes the definition from the
 * current dataset), in table column order. Columns declared `ignore` and, by default, columns with
 * role index/time/ignore and the `index` column are left out.
 */
export function defineColumns(table: Table, options: ColumnDefinitionOptions = {}): ColumnInfo[] {
  const declared = options.column_types ?? {};
  for (const [name, t] of Object.entries(declared)) {
    if (!DECLARABLE.has(t))
      throw configError(
        `${options.config_path ?? ""}column_types.${name}`,
        `"${t}" is not a column type; use numerical, categorical, text, datetime or ignore`,
      );
  }
  const out: ColumnInfo[] = [];
  const skipRoles = options.skip_special_roles ?? true;
  for (const s of table.schema) {
    const col = table.column(s.name);
    const d = declared[s.name];
    if (d === "ignore") continue;
    if (d) {
      if (d === "numerical" && col.type !== "numeric")
        throw new DataError({
          message: `column "${s.name}" is declared numerical in column_types but holds text values; declare it categorical or text, or fix the data`,
          code: "wrong_column_type",
        });
      out.push({
        name: s.name,
        type: d,
        dtype: pandasDtype(col, options.infer_integers ?? true),
        declared: true,
      });
      continue;
    }
    if (
      skipRoles &&
      (s.role === "index" || s.role === "time" || s.role === "ignore" || s.name === options.index)
    )
      continue;
    out.push({ name: s.name, ...inferColumnType(col, options.infer_integers ?? true), declared: false });
  }
  return out;
}

/** Label of a value as Evidently writes it in `ByLabelCountValue` keys (`"true"`/`"false"` for booleans). */
export function labelOf(value: number | string, dtype: PandasDtype): string {
  if (typeof value === "string") return value;
  if (dtype === "bool") return value ? "true" : "false";
  if (dtype === "int64") return String(value);
  return pythonFloatRepr(value);
}

/** Python's `str(float)` for the common cases (integral floats keep `.0`). */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return "nan";
  if (v === Number.POSITIVE_INFINITY) return "inf";
  if (v === Number.NEGATIVE_INFINITY) return "-inf";
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return String(v);
}
