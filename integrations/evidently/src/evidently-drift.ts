/**
 * Data drift as Evidently 0.7's `DataDriftPreset` computes it: one `ValueDrift` per numerical,
 * categorical and text column (in that order) and `DriftedColumnsCount` with the dataset verdict.
 */
import { type Column, DataError, type Table } from "@lolpop/core";
import {
  type ColumnDefinitionOptions,
  type ColumnInfo,
  configError,
  defineColumns,
  type EvidentlyColumnType,
} from "./evidently-columns.js";
import {
  type DriftColumnType,
  type DriftSample,
  defaultStatTest,
  type KeyCounts,
  type StatTest,
  statTestByName,
} from "./evidently-stattests.js";

/** Drift options: the arguments of Evidently's `DataDriftPreset`, plus the handling of empty columns. */
export interface DriftOptions extends ColumnDefinitionOptions {
  /** Columns to test (default: every numerical, categorical and text column of the current data). */
  columns?: string[];
  /** The dataset drifts when the share of drifted columns is at least this. Default 0.5. */
  drift_share?: number;
  /** Test for every column (default: chosen automatically per column). */
  method?: string;
  /** Test for categorical columns. */
  cat_method?: string;
  /** Test for numerical columns. */
  num_method?: string;
  /** Test for text columns (none is implemented: see the README). */
  text_method?: string;
  /** Test per column name. */
  per_column_method?: Record<string, string>;
  /** Threshold for every column (default: the test's own). */
  threshold?: number;
  cat_threshold?: number;
  num_threshold?: number;
  text_threshold?: number;
  per_column_threshold?: Record<string, number>;
  /**
   * A column with no values on one side after dropping missing values: `skip` leaves it out of the
   * drift share and reports it; `error` throws like Evidently (which aborts the whole report).
   * Default `skip`.
   */
  empty_columns?: "skip" | "error";
}

/** Drift of one column. */
export interface ColumnDrift {
  column: string;
  column_type: DriftColumnType;
  /** Short test name (`ks`, `psi`...). */
  stattest: string;
  /** Evidently's display name of the test. */
  stattest_display: string;
  /** The test came from the automatic choice (Evidently then reports the display name as `method`). */
  auto: boolean;
  threshold: number;
  /** p-value or distance; NaN when undefined (e.g. chi-square on one value). */
  score: number;
  drifted: boolean;
  /** The comparison that decides drift, e.g. `p_value <= threshold`. */
  rule: string;
  /** Values tested after dropping missing ones. */
  reference_count: number;
  current_count: number;
}

/** A column the drift calculation left out, and why. */
export interface SkippedColumn {
  column: string;
  column_type: EvidentlyColumnType;
  reason: string;
}

/** Result of {@link computeDrift}. */
export interface DriftResult {
  /** Tested columns, numerical first, then categorical (Evidently's order). */
  columns: ColumnDrift[];
  skipped: SkippedColumn[];
  drift_share: number;
  number_of_columns: number;
  number_of_drifted_columns: number;
  share_of_drifted_columns: number;
  /** Evidently's dataset verdict: share_of_drifted_columns >= drift_share. */
  dataset_drift: boolean;
}

/**
 * Sorts finite float64 values ascending (-0 as 0): an LSD radix sort on the IEEE-754 bits (sign
 * flipped so the bit patterns order like the numbers), 11 bits per pass; several times faster than
 * `Float64Array.prototype.sort` on large columns.
 */
export function radixSortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < 20000) return values.slice().sort();
  const src = new Float64Array(n);
  for (let i = 0; i < n; i++) src[i] = values[i] === 0 ? 0 : values[i]!;
  const words = new Uint32Array(src.buffer);
  let hi = new Uint32Array(n);
  let lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const h = words[2 * i + 1]!;
    const l = words[2 * i]!;
    if (h & 0x80000000) {
      hi[i] = ~h >>> 0;
      lo[i] = ~l >>> 0;
    } else {
      hi[i] = (h | 0x80000000) >>> 0;
      lo[i] = l;
    }
  }
  let hi2 = new Uint32Array(n);
  let lo2 = new Uint32Array(n);
  const count = new Uint32Array(2048);
  // Six passes of up to 11 bits: bits 0-10, 11-21, 22-31 of the low word, then of the high word.
  for (let pass = 0; pass < 6; pass++) {
    const word = pass < 3 ? lo : hi;
    const shift = (pass % 3) * 11;
    const mask = pass % 3 === 2 ? 0x3ff : 0x7ff;
    count.fill(0);
    for (let i = 0; i < n; i++) count[(word[i]! >>> shift) & mask]!++;
    if (count[(word[0]! >>> shift) & mask] === n) continue; // every key has this digit
    let sum = 0;
    for (let d = 0; d <= mask; d++) {
      const c = count[d]!;
      count[d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const pos = count[(word[i]! >>> shift) & mask]!++;
      hi2[pos] = hi[i]!;
      lo2[pos] = lo[i]!;
    }
    [hi, hi2] = [hi2, hi];
    [lo, lo2] = [lo2, lo];
  }
  for (let i = 0; i < n; i++) {
    const h = hi[i]!;
    if (h & 0x80000000) {
      words[2 * i + 1] = (h & 0x7fffffff) >>> 0;
      words[2 * i] = lo[i]!;
    } else {
      words[2 * i + 1] = ~h >>> 0;
      words[2 * i] = ~lo[i]! >>> 0;
    }
  }
  return src;
}

/** Sorted finite values of a numeric column. */
function finiteSorted(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i]!)) n++;
  if (n === values.length) return radixSortFloat64(values);
  const out = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out[k++] = v;
  }
  return radixSortFloat64(out);
}

function countDistinctSorted(a: Float64Array): number {
  let u = 0;
  for (let i = 0; i < a.length; i++) if (i === 0 || a[i] !== a[i - 1]) u++;
  return u;
}

function unionDistinctSorted(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let u = 0;
  while (i < a.length || j < b.length) {
    const v = i < a.length && (j >= b.length || a[i]! <= b[j]!) ? a[i]! : b[j]!;
    u++;
    while (i < a.length && a[i]! <= v) i++;
    while (j < b.length && b[j]! <= v) j++;
  }
  return u;
}

function numericCounts(a: Float64Array, b: Float64Array): KeyCounts {
  const keys: number[] = [];
  const ref: number[] = [];
  const cur: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const v = i < a.length && (j >= b.length || a[i]! <= b[j]!) ? a[i]! : b[j]!;
    let ca = 0;
    let cb = 0;
    while (i < a.length && a[i]! <= v) {
      i++;
      ca++;
    }
    while (j < b.length && b[j]! <= v) {
      j++;
      cb++;
    }
    keys.push(v);
    ref.push(ca);
    cur.push(cb);
  }
  return { keys, ref: Float64Array.from(ref), cur: Float64Array.from(cur) };
}

function labelCounts(
  ref: Column,
  cur: Column,
): KeyCounts & { nRef: number; nCur: number; refU: number; curU: number } {
  const index = new Map<string, number>();
  const keys: string[] = [];
  const tally = (col: Column) => {
    if (col.type !== "categorical") throw new Error("unreachable");
    const map = col.dictionary.map((label) => {
      let k = index.get(label);
      if (k === undefined) {
        k = keys.length;
        keys.push(label);
        index.set(label, k);
      }
      return k;
    });
    const perCode = new Float64Array(col.dictionary.length);
    let n = 0;
    for (let i = 0; i < col.codes.length; i++) {
      const c = col.codes[i]!;
      if (c >= 0) {
        perCode[c]!++;
        n++;
      }
    }
    return { map, perCode, n };
  };
  const c = tally(cur);
  const r = tally(ref);
  const refCounts = new Float64Array(keys.length);
  const curCounts = new Float64Array(keys.length);
  r.map.forEach((k, code) => (refCounts[k]! += r.perCode[code]!));
  c.map.forEach((k, code) => (curCounts[k]! += c.perCode[code]!));
  let refU = 0;
  let curU = 0;
  for (let k = 0; k < keys.length; k++) {
    if (refCounts[k]! > 0) refU++;
    if (curCounts[k]! > 0) curU++;
  }
  // Keys seen only as unused dictionary entries are not values.
  const keep: number[] = [];
  for (let k = 0; k < keys.length; k++) if (refCounts[k]! > 0 || curCounts[k]! > 0) keep.push(k);
  return {
    keys: keep.map((k) => keys[k]!),
    ref: Float64Array.from(keep, (k) => refCounts[k]!),
    cur: Float64Array.from(keep, (k) => curCounts[k]!),
    nRef: r.n,
    nCur: c.n,
    refU,
    curU,
  };
}

/** Builds the drift sample of one column (missing values dropped on each side). */
export function driftSample(
  name: string,
  type: DriftColumnType,
  reference: Column,
  current: Column,
): DriftSample {
  if (reference.type !== current.type)
    throw new DataError({
      message: `column "${name}" holds ${current.type === "numeric" ? "numbers" : "text"} in the current data but ${
        reference.type === "numeric" ? "numbers" : "text"
      } in the reference; load both with the same schema`,
      code: "schema_mismatch",
    });
  if (current.type === "numeric" && reference.type === "numeric" && type === "categorical") {
    // Categorical numbers (booleans, small integers): counts by value, no sorting needed.
    const keys: number[] = [];
    const index = new Map<number, number>();
    const tally = (values: Float64Array, into: number[]) => {
      let n = 0;
      for (let i = 0; i < values.length; i++) {
        let v = values[i]!;
        if (!Number.isFinite(v)) continue;
        if (v === 0) v = 0;
        let k = index.get(v);
        if (k === undefined) {
          k = keys.length;
          keys.push(v);
          index.set(v, k);
          into.push(0);
        }
        while (into.length <= k) into.push(0);
        into[k]!++;
        n++;
      }
      return n;
    };
    const cur: number[] = [];
    const ref: number[] = [];
    const nCur = tally(current.values, cur);
    const nRef = tally(reference.values, ref);
    const counts: KeyCounts = {
      keys,
      ref: Float64Array.from(keys, (_, k) => ref[k] ?? 0),
      cur: Float64Array.from(keys, (_, k) => cur[k] ?? 0),
    };
    let refU = 0;
    let curU = 0;
    for (let k = 0; k < keys.length; k++) {
      if (counts.ref[k]! > 0) refU++;
      if (counts.cur[k]! > 0) curU++;
    }
    return {
      type,
      nRef,
      nCur,
      refUnique: refU,
      curUnique: curU,
      unionUnique: keys.length,
      counts: () => counts,
    };
  }
  if (current.type === "numeric" && reference.type === "numeric") {
    const a = finiteSorted(reference.values);
    const b = finiteSorted(current.values);
    let counts: KeyCounts | undefined;
    return {
      type,
      nRef: a.length,
      nCur: b.length,
      refUnique: countDistinctSorted(a),
      curUnique: countDistinctSorted(b),
      unionUnique:
        a.length && b.length ? unionDistinctSorted(a, b) : countDistinctSorted(a) + countDistinctSorted(b),
      refSorted: a,
      curSorted: b,
      counts: () => (counts ??= numericCounts(a, b)),
    };
  }
  if (type === "numerical")
    throw new DataError({
      message: `column "${name}" is numerical but holds text values; declare it categorical in column_types or fix the data`,
      code: "wrong_column_type",
    });
  const lc = labelCounts(reference, current);
  return {
    type,
    nRef: lc.nRef,
    nCur: lc.nCur,
    refUnique: lc.refU,
    curUnique: lc.curU,
    unionUnique: lc.keys.length,
    counts: () => lc,
  };
}

function resolveMethod(col: ColumnInfo, o: DriftOptions): string | undefined {
  const byType =
    col.type === "numerical" ? o.num_method : col.type === "categorical" ? o.cat_method : o.text_method;
  return o.per_column_method?.[col.name] ?? byType ?? o.method;
}

function resolveThreshold(col: ColumnInfo, o: DriftOptions): number | undefined {
  const byType =
    col.type === "numerical"
      ? o.num_threshold
      : col.type === "categorical"
        ? o.cat_threshold
        : o.text_threshold;
  return o.per_column_threshold?.[col.name] ?? byType ?? o.threshold;
}

/** Prefix of the `drift` section's keys in error messages. */
function driftPath(o: DriftOptions): string {
  return o.config_path ? `${o.config_path}drift.` : "";
}

/** Checks option names against the data: unknown columns in per-column settings are errors. */
function checkColumnNames(current: Table, o: DriftOptions): void {
  const names = new Set(current.columnNames);
  const check = (key: string, list: readonly string[] | undefined) => {
    for (const n of list ?? [])
      if (!names.has(n))
        throw configError(
          `${key === "column_types" ? (o.config_path ?? "") : driftPath(o)}${key}`,
          `no column "${n}" in the current data (columns: ${current.columnNames.join(", ")})`,
        );
  };
  check("columns", o.columns);
  check("per_column_method", Object.keys(o.per_column_method ?? {}));
  check("per_column_threshold", Object.keys(o.per_column_threshold ?? {}));
  check("column_types", Object.keys(o.column_types ?? {}));
}

/**
 * Compares `current` with `reference` column by column. Column types come from the current data
 * (as in Evidently); every tested column must exist in the reference.
 */
export function computeDrift(current: Table, reference: Table, options: DriftOptions = {}): DriftResult {
  if (current.numRows === 0)
    throw new DataError({ message: "drift: the current data has no rows", code: "empty_data" });
  if (reference.numRows === 0)
    throw new DataError({ message: "drift: the reference data has no rows", code: "empty_data" });
  checkColumnNames(current, options);
  const driftShare = options.drift_share ?? 0.5;
  const defs = defineColumns(current, options);
  let selected = defs.filter((c) => c.type === "numerical" || c.type === "categorical" || c.type === "text");
  if (options.columns) {
    const byName = new Map(defs.map((d) => [d.name, d]));
    selected = options.columns.map((n) => {
      const d = byName.get(n);
      if (!d || !(d.type === "numerical" || d.type === "categorical" || d.type === "text"))
        throw configError(
          `${driftPath(options)}columns`,
          `"${n}" is ${d ? `a ${d.type}` : "an excluded"} column; drift is tested on numerical, categorical and text columns only`,
        );
      return d;
    });
  }
  const order = { numerical: 0, categorical: 1, text: 2 } as Record<string, number>;
  selected = selected
    .map((c, i) => ({ c, i }))
    .sort((x, y) => order[x.c.type]! - order[y.c.type]! || x.i - y.i)
    .map((x) => x.c);
  const columns: ColumnDrift[] = [];
  const skipped: SkippedColumn[] = [];
  const missingInRef = selected.filter((c) => !reference.has(c.name)).map((c) => c.name);
  if (missingInRef.length)
    throw new DataError({
      message: `the reference data lacks column(s) ${missingInRef.map((n) => `"${n}"`).join(", ")} of the current data (reference columns: ${reference.columnNames.join(", ")})`,
      code: "missing_column",
    });
  for (const col of selected) {
    if (col.type === "text") {
      skipped.push({
        column: col.name,
        column_type: "text",
        reason:
          "text column: Evidently's text content drift (a domain classifier) is not implemented; declare it categorical in column_types to test its values",
      });
      continue;
    }
    const type = col.type as DriftColumnType;
    const sample = driftSample(col.name, type, reference.column(col.name), current.column(col.name));
    for (const [side, n] of [
      ["reference", sample.nRef],
      ["current", sample.nCur],
    ] as const) {
      if (n === 0 && (options.empty_columns ?? "skip") === "error")
        throw new DataError({
          message: `An empty column '${col.name}' was provided for drift calculation in the ${side} dataset (every value is missing). Set empty_columns: skip to leave such columns out.`,
          code: "empty_column",
        });
    }
    if (sample.nRef === 0 || sample.nCur === 0) {
      skipped.push({
        column: col.name,
        column_type: type,
        reason: `every value is missing in the ${sample.nRef === 0 ? "reference" : "current"} data`,
      });
      continue;
    }
    const method = resolveMethod(col, options);
    const key = options.per_column_method?.[col.name]
      ? `per_column_method.${col.name}`
      : col.type === "numerical" && options.num_method
        ? "num_method"
        : col.type === "categorical" && options.cat_method
          ? "cat_method"
          : "method";
    const where = `${driftPath(options)}${key}`;
    const test: StatTest = method ? statTestByName(method, type, where) : defaultStatTest(sample);
    const threshold = resolveThreshold(col, options) ?? test.defaultThreshold;
    const score = test.score(sample);
    columns.push({
      column: col.name,
      column_type: type,
      stattest: test.name,
      stattest_display: test.displayName,
      auto: !method,
      threshold,
      score,
      drifted: test.drifted(score, threshold),
      rule: test.rule,
      reference_count: sample.nRef,
      current_count: sample.nCur,
    });
  }
  const drifted = columns.filter((c) => c.drifted).length;
  const share = columns.length ? drifted / columns.length : 0;
  return {
    columns,
    skipped,
    drift_share: driftShare,
    number_of_columns: columns.length,
    number_of_drifted_columns: drifted,
    share_of_drifted_columns: share,
    dataset_drift: columns.length > 0 && share >= driftShare,
  };
}
