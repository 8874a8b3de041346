/**
 * Data summary as Evidently 0.7's `DataSummaryPreset` computes it: dataset counts (rows, columns by
 * type, duplicated/empty/constant rows and columns, missing values) and per-column statistics.
 */
import { type Column, DataError, type Table } from "@lolpop/core";
import {
  type ColumnDefinitionOptions,
  type ColumnInfo,
  defineColumns,
  labelOf,
  type PandasDtype,
  pandasDtype,
} from "./evidently-columns.js";

/** Missing values of a column or dataset. */
export interface MissingCount {
  count: number;
  /** Per column: count / rows. Per dataset: missing cells / rows (Evidently's definition, not / cells). */
  share: number;
}

/** Statistics of a numerical column (NaN skipped; NaN when there are no values). */
export interface NumericStats {
  min: number;
  max: number;
  mean: number;
  /** Sample standard deviation (ddof = 1). */
  std: number;
  /** Linear-interpolation quantiles 0.25, 0.5, 0.75. */
  q25: number;
  q50: number;
  q75: number;
}

/** Value counts of a categorical column. */
export interface ValueCounts {
  /** Count per label (labels of the reference too, with 0 when absent here). */
  counts: Record<string, number>;
  /** count / rows (missing values stay in the denominator). */
  shares: Record<string, number>;
}

/** Summary of one column. */
export interface ColumnSummary {
  column: string;
  column_type: ColumnInfo["type"];
  dtype: PandasDtype;
  rows: number;
  missing: MissingCount;
  /** Distinct non-missing values. */
  unique: number;
  /** Share of the most frequent value among all rows (NaN when every value is missing). */
  top_share: number;
  numeric?: NumericStats;
  values?: ValueCounts;
}

/** Result of {@link computeSummary}. */
export interface DataSummary {
  rows: number;
  columns: number;
  columns_by_type: { numerical: number; categorical: number; datetime: number; text: number };
  duplicated_rows: number;
  duplicated_columns: number;
  almost_duplicated_columns: number;
  almost_constant_columns: number;
  empty_rows: number;
  empty_columns: number;
  constant_columns: number;
  missing: MissingCount;
  /** Categorical then numerical columns (the ones Evidently's summary lists). */
  column_stats: ColumnSummary[];
  /** Every column's missing values and cardinality (including text, datetime and unknown columns). */
  all_columns: Array<Pick<ColumnSummary, "column" | "column_type" | "missing" | "unique" | "top_share">>;
}

/** Almost constant / almost duplicated threshold (Evidently's default 0.95). */
export const ALMOST_THRESHOLD = 0.95;

function isMissingAt(col: Column, i: number): boolean {
  return col.type === "numeric" ? Number.isNaN(col.values[i]!) : col.codes[i]! < 0;
}

/** A comparable key for one cell: labels by text, numbers by value (NaN equal to NaN, as pandas `duplicated` does). */
function cellKey(col: Column, i: number): string {
  if (col.type === "numeric") {
    const v = col.values[i]!;
    return Number.isNaN(v) ? "\u0000nan" : String(v === 0 ? 0 : v);
  }
  const c = col.codes[i]!;
  return c < 0 ? "\u0000nan" : `s${col.dictionary[c]}`;
}

/** Per-row values as label strings (dictionary codes resolved) for equality across columns. */
function valueCounts(col: Column): Map<string | number, number> {
  const m = new Map<string | number, number>();
  if (col.type === "numeric") {
    for (let i = 0; i < col.values.length; i++) {
      const v = col.values[i]!;
      if (Number.isNaN(v)) continue;
      const k = v === 0 ? 0 : v;
      m.set(k, (m.get(k) ?? 0) + 1);
    }
  } else {
    const per = new Float64Array(col.dictionary.length);
    for (let i = 0; i < col.codes.length; i++) if (col.codes[i]! >= 0) per[col.codes[i]!]!++;
    col.dictionary.forEach((label, k) => {
      if (per[k]! > 0) m.set(label, (m.get(label) ?? 0) + per[k]!);
    });
  }
  return m;
}

function sameCell(a: Column, b: Column, i: number): boolean {
  if (a.type === "numeric" && b.type === "numeric") return a.values[i] === b.values[i];
  if (a.type === "categorical" && b.type === "categorical") {
    const ca = a.codes[i]!;
    const cb = b.codes[i]!;
    return ca >= 0 && cb >= 0 && a.dictionary[ca] === b.dictionary[cb];
  }
  return false;
}

function equalsWithNaN(a: Column, b: Column, n: number): boolean {
  for (let i = 0; i < n; i++) {
    const ma = isMissingAt(a, i);
    const mb = isMissingAt(b, i);
    if (ma !== mb) return false;
    if (!ma && !sameCell(a, b, i)) return false;
  }
  return true;
}

/** numpy's linear interpolation between neighbours (the same lerp numpy uses). */
function lerp(a: number, b: number, t: number): number {
  const d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

/** Linear-interpolation quantile of sorted values (pandas/numpy default). */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = q * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return lerp(sorted[lo]!, sorted[hi]!, pos - lo);
}

/** Min, max, mean, std (ddof 1) and quartiles of the non-NaN values. */
export function numericStats(values: Float64Array): NumericStats {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) n++;
  const v = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) v[k++] = values[i]!;
  v.sort();
  if (n === 0) {
    const nan = Number.NaN;
    return { min: nan, max: nan, mean: nan, std: nan, q25: nan, q50: nan, q75: nan };
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v[i]!;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (v[i]! - mean) ** 2;
  return {
    min: v[0]!,
    max: v[n - 1]!,
    mean,
    std: n > 1 ? Math.sqrt(ss / (n - 1)) : Number.NaN,
    q25: quantileSorted(v, 0.25),
    q50: quantileSorted(v, 0.5),
    q75: quantileSorted(v, 0.75),
  };
}

/**
 * Summarizes `table`. With a `reference`, categorical value counts list the reference's labels too
 * (count 0 when absent), as Evidently's `UniqueValueCount` does.
 */
export function computeSummary(
  table: Table,
  options: ColumnDefinitionOptions & { reference?: Table } = {},
): DataSummary {
  if (table.numRows === 0)
    throw new DataError({ message: "summary: the data has no rows", code: "empty_data" });
  const rows = table.numRows;
  const names = table.columnNames;
  const cols = names.map((n) => table.column(n));
  const defs = defineColumns(table, { ...options, skip_special_roles: options.skip_special_roles ?? true });
  const defByName = new Map(defs.map((d) => [d.name, d]));
  const infer = options.infer_integers ?? true;
  const dtypes = cols.map((c) => pandasDtype(c, infer));

  // Dataset level, over every column of the table (as Evidently does over the whole frame).
  let missingCells = 0;
  let emptyColumns = 0;
  let constant = 0;
  let almostConstant = 0;
  const perColumn = names.map((name, j) => {
    const col = cols[j]!;
    let miss = 0;
    for (let i = 0; i < rows; i++) if (isMissingAt(col, i)) miss++;
    const vc = valueCounts(col);
    let top = 0;
    for (const c of vc.values()) if (c > top) top = c;
    missingCells += miss;
    if (miss === rows) emptyColumns++;
    if (vc.size <= 1) constant++;
    const topShare = vc.size ? top / rows : Number.NaN;
    if (topShare >= ALMOST_THRESHOLD) almostConstant++;
    return { name, col, miss, vc, topShare };
  });
  let duplicatedColumns = 0;
  let almostDuplicated = 0;
  for (let a = 0; a < cols.length; a++)
    for (let b = a + 1; b < cols.length; b++) {
      if (dtypes[a] !== dtypes[b]) continue;
      if (equalsWithNaN(cols[a]!, cols[b]!, rows)) duplicatedColumns++;
      let eq = 0;
      for (let i = 0; i < rows; i++) if (!isMissingAt(cols[a]!, i) && sameCell(cols[a]!, cols[b]!, i)) eq++;
      if (eq / rows >= ALMOST_THRESHOLD) almostDuplicated++;
    }
  const seen = new Set<string>();
  let duplicatedRows = 0;
  let emptyRows = 0;
  for (let i = 0; i < rows; i++) {
    let allMissing = cols.length > 0;
    const parts: string[] = [];
    for (const c of cols) {
      if (!isMissingAt(c, i)) allMissing = false;
      parts.push(cellKey(c, i));
    }
    if (allMissing) emptyRows++;
    const key = parts.join("\u0001");
    if (seen.has(key)) duplicatedRows++;
    else seen.add(key);
  }

  const byType = { numerical: 0, categorical: 0, datetime: 0, text: 0 };
  for (const d of defs) if (d.type in byType) byType[d.type as keyof typeof byType]++;

  const column_stats: ColumnSummary[] = [];
  const ordered = [
    ...defs.filter((d) => d.type === "categorical"),
    ...defs.filter((d) => d.type === "numerical"),
  ];
  const pcByName = new Map(perColumn.map((p) => [p.name, p]));
  for (const d of ordered) {
    const p = pcByName.get(d.name)!;
    const base: ColumnSummary = {
      column: d.name,
      column_type: d.type,
      dtype: d.dtype,
      rows,
      missing: { count: p.miss, share: p.miss / rows },
      unique: p.vc.size,
      top_share: p.topShare,
    };
    if (d.type === "numerical" && p.col.type === "numeric") base.numeric = numericStats(p.col.values);
    if (d.type === "categorical") {
      const counts: Record<string, number> = {};
      const labels = new Map<string, number>();
      for (const [v, c] of p.vc) labels.set(labelOf(v, d.dtype), c);
      const ref = options.reference;
      let nanLabel = p.miss > 0;
      if (ref?.has(d.name)) {
        const rc = ref.column(d.name);
        for (const v of valueCounts(rc).keys()) {
          const l = labelOf(v, d.dtype);
          if (!labels.has(l)) labels.set(l, 0);
        }
        for (let i = 0; i < ref.numRows && !nanLabel; i++) if (isMissingAt(rc, i)) nanLabel = true;
      }
      // pandas keeps NaN among a string column's unique values: Evidently lists it with count 0.
      if (nanLabel && d.dtype === "str" && !labels.has("nan")) labels.set("nan", 0);
      for (const [l, c] of labels) counts[l] = c;
      const shares: Record<string, number> = {};
      for (const [l, c] of Object.entries(counts)) shares[l] = c / rows;
      base.values = { counts, shares };
    }
    column_stats.push(base);
  }
  return {
    rows,
    columns: names.length,
    columns_by_type: byType,
    duplicated_rows: duplicatedRows,
    duplicated_columns: duplicatedColumns,
    almost_duplicated_columns: almostDuplicated,
    almost_constant_columns: almostConstant,
    empty_rows: emptyRows,
    empty_columns: emptyColumns,
    constant_columns: constant,
    missing: { count: missingCells, share: missingCells / rows },
    column_stats,
    all_columns: perColumn.map((p) => ({
      column: p.name,
      column_type: defByName.get(p.name)?.type ?? "unknown",
      missing: { count: p.miss, share: p.miss / rows },
      unique: p.vc.size,
      top_share: p.topShare,
    })),
  };
}
