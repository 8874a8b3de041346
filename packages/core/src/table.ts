import { DataError } from "./errors.js";
import { nodeCrypto } from "./lazy-deps.js";

/** Role a column plays in a workflow. */
export type ColumnRole = "feature" | "target" | "index" | "ignore" | "prediction" | "time";

/** What a numeric column's values mean. Missing values are `NaN` in every case. */
export type NumericLogicalType = "float" | "int" | "bool" | "datetime";

/** A numeric column: a `Float64Array`, `NaN` for missing. Never mutate `values`. */
export interface NumericColumn {
  readonly type: "numeric";
  readonly values: Float64Array;
  /** Logical type (defaults to `float`); `datetime` holds epoch milliseconds. */
  readonly logical: NumericLogicalType;
}

/**
 * A categorical or text column, dictionary-encoded: `codes[i]` indexes `dictionary`, `-1` is missing.
 * Never mutate `codes` or `dictionary`.
 */
export interface CategoricalColumn {
  readonly type: "categorical";
  readonly codes: Int32Array;
  readonly dictionary: readonly string[];
}

/** One column of a {@link Table}. */
export type Column = NumericColumn | CategoricalColumn;

/** A column's description in a table's schema. */
export interface ColumnSchema {
  readonly name: string;
  readonly type: Column["type"];
  readonly logical?: NumericLogicalType;
  readonly role: ColumnRole;
}

/** Anything a column can be built from. */
export type ColumnInput =
  | Column
  | Float64Array
  | ArrayLike<number>
  | ReadonlyArray<string | number | boolean | null | undefined>;

/** Creates a numeric column (copying nothing when given a `Float64Array`). */
export function numericColumn(
  values: Float64Array | ArrayLike<number>,
  logical: NumericLogicalType = "float",
): NumericColumn {
  const arr = values instanceof Float64Array ? values : Float64Array.from(values as ArrayLike<number>);
  return { type: "numeric", values: arr, logical };
}

/** Creates a categorical column from values (null, undefined and "" are missing), dictionary in first-seen order. */
export function categoricalColumn(
  values: ReadonlyArray<string | number | boolean | null | undefined>,
): CategoricalColumn {
  return categoricalFromText(values.length, (i) => {
    const v = values[i];
    return v === null || v === undefined || v === "" || (typeof v === "number" && Number.isNaN(v))
      ? undefined
      : String(v);
  });
}

/**
 * Creates a categorical column of `n` rows from each row's text (`undefined` = missing), dictionary
 * in first-seen order.
 */
export function categoricalFromText(n: number, text: (row: number) => string | undefined): CategoricalColumn {
  const dict: string[] = [];
  const index = new Map<string, number>();
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const s = text(i);
    if (s === undefined) {
      codes[i] = -1;
      continue;
    }
    let code = index.get(s);
    if (code === undefined) {
      code = dict.length;
      dict.push(s);
      index.set(s, code);
    }
    codes[i] = code;
  }
  return { type: "categorical", codes, dictionary: dict };
}

/**
 * A column as text labels: a categorical column as it is; a numeric one with each value as its text
 * (`true`/`false` for logical type `bool`, ISO 8601 for `datetime`, else `String(value)`; NaN is
 * missing), dictionary in first-seen order.
 */
export function asCategorical(col: Column): CategoricalColumn {
  if (col.type === "categorical") return col;
  const { values, logical } = col;
  return categoricalFromText(values.length, (i) => {
    const v = values[i]!;
    if (Number.isNaN(v)) return undefined;
    if (logical === "bool") return v ? "true" : "false";
    return logical === "datetime" ? new Date(v).toISOString() : String(v);
  });
}

/** Creates a categorical column from codes and a dictionary (validated). */
export function categoricalFromCodes(codes: Int32Array, dictionary: readonly string[]): CategoricalColumn {
  for (let i = 0; i < codes.length; i++) {
    const c = codes[i]!;
    if (c < -1 || c >= dictionary.length)
      throw new DataError({
        message: `categorical code ${c} at row ${i} is outside the dictionary (size ${dictionary.length})`,
      });
  }
  return { type: "categorical", codes, dictionary };
}

function isColumn(v: unknown): v is Column {
  return (
    typeof v === "object" &&
    v !== null &&
    ((v as Column).type === "numeric" || (v as Column).type === "categorical") &&
    ("values" in v || "codes" in v)
  );
}

/** Builds a column from plain values, choosing numeric when every present value is a number or boolean. */
export function toColumn(input: ColumnInput): Column {
  if (isColumn(input)) return input;
  if (ArrayBuffer.isView(input)) return numericColumn(input as unknown as ArrayLike<number>);
  const arr = input as ReadonlyArray<unknown>;
  let numeric = true;
  let allBool = true;
  let any = false;
  for (const v of arr) {
    if (v === null || v === undefined) continue;
    any = true;
    if (typeof v === "boolean") continue;
    allBool = false;
    if (typeof v !== "number") {
      numeric = false;
      break;
    }
  }
  if (numeric && any) {
    const out = new Float64Array(arr.length);
    for (let i = 0; i < arr.length; i++) {
      const v = arr[i];
      out[i] =
        v === null || v === undefined ? Number.NaN : typeof v === "boolean" ? (v ? 1 : 0) : (v as number);
    }
    return numericColumn(out, allBool ? "bool" : "float");
  }
  if (!any) return numericColumn(new Float64Array(arr.length).fill(Number.NaN));
  return categoricalColumn(arr as ReadonlyArray<string | number | boolean | null | undefined>);
}

/** Number of rows of a column. */
export function columnLength(col: Column): number {
  return col.type === "numeric" ? col.values.length : col.codes.length;
}

/** Value of one cell: a number (NaN kept), a string, or null for a missing categorical. */
export function cellValue(col: Column, row: number): number | string | null {
  if (col.type === "numeric") return col.values[row]!;
  const c = col.codes[row]!;
  return c < 0 ? null : col.dictionary[c]!;
}

/** True when the cell is missing (NaN or code -1). */
export function isMissing(col: Column, row: number): boolean {
  return col.type === "numeric" ? Number.isNaN(col.values[row]!) : col.codes[row]! < 0;
}

function takeColumn(col: Column, idx: ArrayLike<number>): Column {
  if (col.type === "numeric") {
    const out = new Float64Array(idx.length);
    for (let i = 0; i < idx.length; i++) out[i] = col.values[idx[i]!]!;
    return { type: "numeric", values: out, logical: col.logical };
  }
  const out = new Int32Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = col.codes[idx[i]!]!;
  return { type: "categorical", codes: out, dictionary: col.dictionary };
}

/** Options of {@link Table.fromColumns}. */
export interface TableOptions {
  /** Column roles; columns not named are `feature`. */
  roles?: Record<string, ColumnRole>;
}

/**
 * An immutable, columnar table. Numeric columns are `Float64Array` (NaN = missing); categorical and
 * text columns are dictionary-encoded `Int32Array` codes. Every operation returns a new table that
 * shares unchanged column buffers, so never mutate a column's arrays.
 */
export class Table {
  /** Number of rows. */
  readonly numRows: number;
  readonly #columns: ReadonlyMap<string, Column>;
  readonly #roles: ReadonlyMap<string, ColumnRole>;

  private constructor(columns: Map<string, Column>, roles: Map<string, ColumnRole>, numRows: number) {
    this.#columns = columns;
    this.#roles = roles;
    this.numRows = numRows;
    Object.freeze(this);
  }

  /** Builds a table from named columns (all of one length). */
  static fromColumns(
    columns: Record<string, ColumnInput> | ReadonlyArray<readonly [string, ColumnInput]>,
    options: TableOptions = {},
  ): Table {
    const entries = Array.isArray(columns)
      ? (columns as ReadonlyArray<readonly [string, ColumnInput]>)
      : Object.entries(columns as Record<string, ColumnInput>);
    const map = new Map<string, Column>();
    let n: number | undefined;
    for (const [name, input] of entries) {
      if (map.has(name))
        throw new DataError({ message: `duplicate column name "${name}"`, code: "duplicate_column" });
      const col = toColumn(input);
      const len = columnLength(col);
      if (n === undefined) n = len;
      else if (len !== n)
        throw new DataError({
          message: `column "${name}" has ${len} rows, expected ${n} like the columns before it`,
          code: "ragged_columns",
        });
      map.set(name, col);
    }
    const roles = new Map<string, ColumnRole>();
    for (const name of map.keys()) roles.set(name, options.roles?.[name] ?? "feature");
    for (const name of Object.keys(options.roles ?? {})) {
      if (!map.has(name))
        throw new DataError({ message: `role given for unknown column "${name}"`, code: "missing_column" });
    }
    return new Table(map, roles, n ?? 0);
  }

  /** Builds a table from row objects; columns are the union of keys in first-seen order. */
  static fromRows(rows: ReadonlyArray<Record<string, unknown>>, options: TableOptions = {}): Table {
    const names: string[] = [];
    const seen = new Set<string>();
    for (const row of rows)
      for (const k of Object.keys(row))
        if (!seen.has(k)) {
          seen.add(k);
          names.push(k);
        }
    const cols: [string, ColumnInput][] = names.map((name) => [
      name,
      rows.map((r) => r[name] as string | number | boolean | null | undefined),
    ]);
    return Table.fromColumns(cols, options);
  }

  /** An empty table with no columns. */
  static empty(): Table {
    return new Table(new Map(), new Map(), 0);
  }

  /** Column names in order. */
  get columnNames(): string[] {
    return [...this.#columns.keys()];
  }

  /** Number of columns. */
  get numColumns(): number {
    return this.#columns.size;
  }

  /** The schema: name, type and role of each column. */
  get schema(): ColumnSchema[] {
    return this.columnNames.map((name) => {
      const col = this.#columns.get(name)!;
      return {
        name,
        type: col.type,
        ...(col.type === "numeric" ? { logical: col.logical } : {}),
        role: this.#roles.get(name)!,
      };
    });
  }

  /** True when the column exists. */
  has(name: string): boolean {
    return this.#columns.has(name);
  }

  /** The column named `name`; throws a {@link DataError} naming the available columns otherwise. */
  column(name: string): Column {
    const col = this.#columns.get(name);
    if (!col)
      throw new DataError({
        message: `no column "${name}" (columns: ${this.columnNames.join(", ") || "none"})`,
        code: "missing_column",
        details: { column: name },
      });
    return col;
  }

  /** The values of a numeric column; throws when the column is categorical. */
  numeric(name: string): Float64Array {
    const col = this.column(name);
    if (col.type !== "numeric")
      throw new DataError({
        message: `column "${name}" is categorical, a numeric column was expected`,
        code: "wrong_column_type",
      });
    return col.values;
  }

  /** A categorical column; throws when the column is numeric. */
  categorical(name: string): CategoricalColumn {
    const col = this.column(name);
    if (col.type !== "categorical")
      throw new DataError({
        message: `column "${name}" is numeric, a categorical column was expected`,
        code: "wrong_column_type",
      });
    return col;
  }

  /** The role of a column. */
  role(name: string): ColumnRole {
    this.column(name);
    return this.#roles.get(name)!;
  }

  /** Names of the columns that have `role`. */
  columnsWithRole(role: ColumnRole): string[] {
    return this.columnNames.filter((n) => this.#roles.get(n) === role);
  }

  /** Value of one cell (number, string, or null for a missing categorical). */
  get(row: number, name: string): number | string | null {
    if (row < 0 || row >= this.numRows) throw new RangeError(`row ${row} is outside 0..${this.numRows - 1}`);
    return cellValue(this.column(name), row);
  }

  /** All values of a column as plain JS values. */
  values(name: string): (number | string | null)[] {
    const col = this.column(name);
    const out = new Array<number | string | null>(this.numRows);
    for (let i = 0; i < this.numRows; i++) out[i] = cellValue(col, i);
    return out;
  }

  /** A table with only the named columns, in that order. */
  select(names: readonly string[]): Table {
    const cols = new Map<string, Column>();
    const roles = new Map<string, ColumnRole>();
    for (const n of names) {
      cols.set(n, this.column(n));
      roles.set(n, this.#roles.get(n)!);
    }
    return new Table(cols, roles, this.numRows);
  }

  /** A table without the named columns (unknown names are an error). */
  drop(names: readonly string[]): Table {
    for (const n of names) this.column(n);
    const dropSet = new Set(names);
    return this.select(this.columnNames.filter((n) => !dropSet.has(n)));
  }

  /** A table with a column added or replaced (keeping its position when replaced). */
  withColumn(name: string, input: ColumnInput, role?: ColumnRole): Table {
    const col = toColumn(input);
    if (this.#columns.size > 0 && columnLength(col) !== this.numRows) {
      throw new DataError({
        message: `column "${name}" has ${columnLength(col)} rows, the table has ${this.numRows}`,
        code: "ragged_columns",
      });
    }
    const cols = new Map(this.#columns);
    const roles = new Map(this.#roles);
    cols.set(name, col);
    roles.set(name, role ?? this.#roles.get(name) ?? "feature");
    return new Table(cols, roles, columnLength(col));
  }

  /** A table with some columns' roles changed. */
  withRoles(roles: Record<string, ColumnRole>): Table {
    const next = new Map(this.#roles);
    for (const [name, role] of Object.entries(roles)) {
      this.column(name);
      next.set(name, role);
    }
    return new Table(new Map(this.#columns), next, this.numRows);
  }

  /** A table with columns renamed (`{old: new}`). */
  rename(mapping: Record<string, string>): Table {
    for (const n of Object.keys(mapping)) this.column(n);
    const cols = new Map<string, Column>();
    const roles = new Map<string, ColumnRole>();
    for (const [n, c] of this.#columns) {
      const to = mapping[n] ?? n;
      if (cols.has(to))
        throw new DataError({
          message: `renaming makes two columns named "${to}"`,
          code: "duplicate_column",
        });
      cols.set(to, c);
      roles.set(to, this.#roles.get(n)!);
    }
    return new Table(cols, roles, this.numRows);
  }

  /** The rows at `indices` (in that order; repeats allowed). */
  take(indices: ArrayLike<number>): Table {
    for (let i = 0; i < indices.length; i++) {
      const r = indices[i]!;
      if (!(r >= 0 && r < this.numRows))
        throw new RangeError(`row index ${r} is outside 0..${this.numRows - 1}`);
    }
    const cols = new Map<string, Column>();
    for (const [n, c] of this.#columns) cols.set(n, takeColumn(c, indices));
    return new Table(cols, new Map(this.#roles), indices.length);
  }

  /** The rows where `mask` is truthy (mask length must equal the row count). */
  filter(mask: ArrayLike<number | boolean>): Table {
    if (mask.length !== this.numRows)
      throw new DataError({
        message: `filter mask has ${mask.length} entries, the table has ${this.numRows} rows`,
        code: "bad_mask",
      });
    const idx: number[] = [];
    for (let i = 0; i < mask.length; i++) if (mask[i]) idx.push(i);
    return this.take(idx);
  }

  /** Rows `start` (inclusive) to `end` (exclusive). */
  slice(start: number, end = this.numRows): Table {
    const s = Math.max(0, Math.min(start, this.numRows));
    const e = Math.max(s, Math.min(end, this.numRows));
    const idx = new Int32Array(e - s);
    for (let i = 0; i < idx.length; i++) idx[i] = s + i;
    return this.take(idx);
  }

  /** The first `n` rows. */
  head(n = 5): Table {
    return this.slice(0, n);
  }

  /** Appends the rows of tables with the same column names and types (categorical dictionaries are merged). */
  static concat(tables: readonly Table[]): Table {
    if (tables.length === 0) return Table.empty();
    const first = tables[0]!;
    const names = first.columnNames;
    for (const t of tables) {
      if (t.columnNames.join("\u0000") !== names.join("\u0000"))
        throw new DataError({
          message: `cannot concatenate tables with different columns (${names.join(", ")} vs ${t.columnNames.join(", ")})`,
          code: "schema_mismatch",
        });
    }
    const total = tables.reduce((s, t) => s + t.numRows, 0);
    const cols = new Map<string, Column>();
    for (const name of names) {
      const kinds = new Set(tables.map((t) => t.column(name).type));
      if (kinds.size > 1)
        throw new DataError({
          message: `column "${name}" is numeric in one table and categorical in another`,
          code: "schema_mismatch",
        });
      if (kinds.has("numeric")) {
        const out = new Float64Array(total);
        let off = 0;
        for (const t of tables) {
          out.set(t.numeric(name), off);
          off += t.numRows;
        }
        cols.set(name, numericColumn(out, (first.column(name) as NumericColumn).logical));
      } else {
        const dict: string[] = [];
        const index = new Map<string, number>();
        const codes = new Int32Array(total);
        let off = 0;
        for (const t of tables) {
          const c = t.categorical(name);
          const remap = c.dictionary.map((v) => {
            let k = index.get(v);
            if (k === undefined) {
              k = dict.length;
              dict.push(v);
              index.set(v, k);
            }
            return k;
          });
          for (let i = 0; i < c.codes.length; i++)
            codes[off + i] = c.codes[i]! < 0 ? -1 : remap[c.codes[i]!]!;
          off += t.numRows;
        }
        cols.set(name, { type: "categorical", codes, dictionary: dict });
      }
    }
    const roles: Record<string, ColumnRole> = {};
    for (const s of first.schema) roles[s.name] = s.role;
    return Table.fromColumns([...cols.entries()], { roles });
  }

  /** Row objects (for output and tests; avoid on hot paths). */
  toRows(): Record<string, number | string | null>[] {
    const names = this.columnNames;
    const cols = names.map((n) => this.#columns.get(n)!);
    const rows: Record<string, number | string | null>[] = new Array(this.numRows);
    for (let i = 0; i < this.numRows; i++) {
      const row: Record<string, number | string | null> = {};
      for (let j = 0; j < names.length; j++) row[names[j]!] = cellValue(cols[j]!, i);
      rows[i] = row;
    }
    return rows;
  }

  /**
   * A SHA-256 content hash of the schema (names, types, roles) and every value. Equal tables give
   * equal fingerprints regardless of how categorical dictionaries are ordered.
   */
  fingerprint(): string {
    const h = nodeCrypto().createHash("sha256");
    h.update(`lolpop-table-v1\u0000${this.numRows}\u0000`);
    for (const s of this.schema) {
      h.update(`${s.name}\u0000${s.type}\u0000${s.role}\u0000`);
      const col = this.#columns.get(s.name)!;
      if (col.type === "numeric") {
        // Canonicalize NaN payloads and -0 so equal values hash equally.
        const copy = new Float64Array(col.values);
        for (let i = 0; i < copy.length; i++)
          if (Number.isNaN(copy[i]!)) copy[i] = Number.NaN;
          else if (copy[i] === 0) copy[i] = 0;
        h.update(new Uint8Array(copy.buffer, copy.byteOffset, copy.byteLength));
      } else {
        for (let i = 0; i < col.codes.length; i++) {
          const c = col.codes[i]!;
          h.update(c < 0 ? "\u0001" : `${col.dictionary[c]}\u0000`);
        }
      }
    }
    return h.digest("hex");
  }
}
