/**
 * The input schema of an inference bundle: the columns of the data as read at training (name,
 * storage type, logical type, role, categories seen) and the data connector's typing options, and
 * the one rule that checks and types new input against it ({@link conformTable}). A value is read
 * from text the same way everywhere: {@link parseNumberText}, {@link parseBoolText},
 * {@link parseDateText} (the local table reader uses them too).
 */
import { DataError } from "../errors.js";
import {
  asCategorical,
  type Column,
  type ColumnRole,
  type NumericLogicalType,
  numericColumn,
  type Table,
} from "../table.js";

/** How a column is read: the types a data connector's `columns:` option forces. */
export type ColumnTyping = "numeric" | "categorical" | "datetime" | "bool";

/** The typings a connector can force, in one list (for schemas and messages). */
export const COLUMN_TYPINGS: readonly ColumnTyping[] = ["numeric", "categorical", "datetime", "bool"];

/** One column of the data as read at training. */
export interface InputColumn {
  name: string;
  /** Storage type at training; absent when it was not recorded (bundle format 1): any type is accepted. */
  type?: Column["type"];
  /** Logical type of a numeric column (`float`, `int`, `bool`, `datetime`). */
  logical?: NumericLogicalType;
  /** `feature`, `target` or `index` (as the workflow used it). */
  role: ColumnRole;
  /** Whether input must have it (predict): every column but the target when a data transformer runs, else the features and the index. */
  required: boolean;
  /** Categories seen at training, sorted (categorical columns; at most {@link MAX_RECORDED_CATEGORIES}). */
  categories?: string[];
  /** True when more categories were seen than are listed. */
  categories_truncated?: boolean;
}

/** The data connector's typing options at training (what shaped the types above). */
export interface InputTyping {
  /** Connector type, e.g. `LocalDataConnector`. */
  connector?: string;
  /** Forced column types (`columns:` of the connector). */
  columns?: Record<string, ColumnTyping>;
  /** Strings read as missing values. */
  na_values?: string[];
}

/** The raw input a model version was trained from. */
export interface InputSchema {
  columns: InputColumn[];
  typing: InputTyping;
}

/** Most categories recorded per column in an input schema. */
export const MAX_RECORDED_CATEGORIES = 1000;

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A finite decimal number from text (spaces trimmed; no hex, no `Infinity`, no empty text), else NaN. */
export function parseNumberText(text: string): number {
  const s = text.trim();
  if (!NUMBER_RE.test(s)) return Number.NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : Number.NaN;
}

/** `true`/`false` (any case) as 1/0; with `loose`, also `1`/`0`/`yes`/`no`; else NaN. */
export function parseBoolText(text: string, loose = false): number {
  const s = text.trim().toLowerCase();
  if (s === "true") return 1;
  if (s === "false") return 0;
  if (!loose) return Number.NaN;
  return s === "1" || s === "yes" ? 1 : s === "0" || s === "no" ? 0 : Number.NaN;
}

/** A date as epoch milliseconds: a number is taken as epoch ms, other text by `Date.parse`; else NaN. */
export function parseDateText(text: string): number {
  const n = parseNumberText(text);
  return Number.isNaN(n) ? Date.parse(text.trim()) : n;
}

/** The typing a connector would force to read a column as it was at training (undefined: not recorded). */
export function typingOf(column: Pick<InputColumn, "type" | "logical">): ColumnTyping | undefined {
  if (column.type === undefined) return undefined;
  if (column.type === "categorical") return "categorical";
  return column.logical === "datetime" ? "datetime" : column.logical === "bool" ? "bool" : "numeric";
}

/**
 * Describes the columns of `table` for an input schema: types, roles (`roles` by name, else
 * `feature`), whether input must have them, and the sorted categories seen in categorical columns.
 */
export function describeColumns(
  table: Table,
  options: {
    roles?: Record<string, ColumnRole>;
    required?: (name: string, role: ColumnRole) => boolean;
  } = {},
): InputColumn[] {
  return table.schema.map((s) => {
    const role = options.roles?.[s.name] ?? (s.role === "feature" ? "feature" : s.role);
    const out: InputColumn = {
      name: s.name,
      type: s.type,
      ...(s.type === "numeric" ? { logical: s.logical ?? "float" } : {}),
      role,
      required: options.required ? options.required(s.name, role) : role !== "target",
    };
    const col = table.column(s.name);
    if (col.type === "categorical") {
      const used = new Uint8Array(col.dictionary.length);
      for (const c of col.codes) if (c >= 0) used[c] = 1;
      const seen = col.dictionary.filter((_, j) => used[j]).sort();
      out.categories = seen.slice(0, MAX_RECORDED_CATEGORIES);
      if (seen.length > MAX_RECORDED_CATEGORIES) out.categories_truncated = true;
    }
    return out;
  });
}

/** Options of {@link conformTable}. */
export interface ConformOptions {
  /** Who expects the columns, in messages: e.g. `model v3`. */
  label: string;
  /** What the table is, in messages: e.g. `the prediction data`. Default `the input`. */
  what?: string;
  /** Text read as missing when a text column is typed (the training connector's `na_values`). */
  naValues?: readonly string[];
  /** Added to the message when a required column is missing, e.g. how to make it optional. */
  missingHint?: (missing: string[]) => string | undefined;
}

/**
 * Checks `table` against `columns` and types it like the data was at training: every required
 * column must be there (a {@link DataError} lists the missing ones); a present column stored
 * differently is converted (text to numbers, booleans or dates, numbers to text) and a value that
 * does not convert is a DataError naming the row (1-based) and the column. Extra columns are kept.
 */
export function conformTable(table: Table, columns: readonly InputColumn[], options: ConformOptions): Table {
  const what = options.what ?? "the input";
  const missing = columns.filter((c) => c.required && !table.has(c.name)).map((c) => c.name);
  if (missing.length) {
    const hint = options.missingHint?.(missing);
    throw new DataError({
      message: `${what} lacks column${missing.length === 1 ? "" : "s"} ${options.label} was trained with: ${missing.map((m) => `"${m}"`).join(", ")} (it has ${table.columnNames.join(", ") || "no columns"})${hint ? `; ${hint}` : ""}`,
      code: "missing_column",
      details: { missing },
    });
  }
  const na = new Set(options.naValues ?? []);
  let out = table;
  for (const c of columns) {
    if (!table.has(c.name)) continue;
    const typing = typingOf(c);
    if (!typing) continue;
    const col = table.column(c.name);
    const converted = convertColumn(col, typing, na, (row, text) => {
      const as =
        typing === "numeric"
          ? "a number"
          : typing === "bool"
            ? "true/false"
            : typing === "datetime"
              ? "a date or epoch milliseconds"
              : "text";
      return new DataError({
        message: `${what}, row ${row + 1}, column "${c.name}": "${text}" is not ${as} (${options.label} was trained with "${c.name}" as ${typing}); fix the value, or make it a missing value`,
        code: "bad_value",
        details: { column: c.name, row: row + 1, value: text, expected: typing },
      });
    });
    if (converted !== col) out = out.withColumn(c.name, converted);
  }
  return out;
}

/** `col` stored as `typing`: unchanged when it already is, else converted (bad values throw `bad(row, text)`). */
function convertColumn(
  col: Column,
  typing: ColumnTyping,
  na: ReadonlySet<string>,
  bad: (row: number, text: string) => Error,
): Column {
  if (typing === "categorical") return col.type === "categorical" ? col : asCategorical(col);
  if (col.type === "numeric") {
    if (typing === "numeric") return col;
    if (typing === "bool") {
      if (col.logical === "bool") return col;
      for (let i = 0; i < col.values.length; i++) {
        const v = col.values[i]!;
        if (!Number.isNaN(v) && v !== 0 && v !== 1) throw bad(i, String(v));
      }
      return numericColumn(col.values, "bool");
    }
    return col.logical === "datetime" ? col : numericColumn(col.values, "datetime");
  }
  const parse =
    typing === "numeric"
      ? parseNumberText
      : typing === "bool"
        ? (t: string) => parseBoolText(t, true)
        : parseDateText;
  const perEntry = new Float64Array(col.dictionary.length);
  const firstRow = new Int32Array(col.dictionary.length).fill(-1);
  for (let i = 0; i < col.codes.length; i++) {
    const k = col.codes[i]!;
    if (k >= 0 && firstRow[k] === -1) firstRow[k] = i;
  }
  col.dictionary.forEach((text, j) => {
    if (firstRow[j] === -1) return;
    if (na.has(text) || na.has(text.trim())) {
      perEntry[j] = Number.NaN;
      return;
    }
    const v = parse(text);
    if (Number.isNaN(v)) throw bad(firstRow[j]!, text);
    perEntry[j] = v;
  });
  const values = new Float64Array(col.codes.length);
  for (let i = 0; i < values.length; i++) {
    const k = col.codes[i]!;
    values[i] = k < 0 ? Number.NaN : perEntry[k]!;
  }
  return numericColumn(values, typing === "numeric" ? "float" : typing);
}
