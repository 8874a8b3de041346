/**
 * Reading and writing Parquet files in pure JavaScript (hyparquet and hyparquet-writer), so the
 * embedded default needs no native code. Columns are decoded column by column into the table's
 * arrays (no row objects).
 *
 * Type mapping when reading:
 * - BOOLEAN -> numeric `bool`; INT32, INT64 (and unsigned) -> numeric `int` (an INT64 beyond ±2^53,
 *   which a float cannot hold exactly, is an error naming the column, row and value, unless the
 *   column is forced `categorical`, which keeps the exact decimal text); FLOAT, DOUBLE -> numeric
 *   `float` (NaN is missing, like null); DECIMAL -> numeric `float`, the nearest double to the exact
 *   decimal;
 * - DATE, TIMESTAMP (millis, micros, nanos; with or without a zone), INT96 -> numeric `datetime`,
 *   epoch milliseconds of the UTC instant (a timestamp without a zone is read as UTC; sub-millisecond
 *   precision kept as a fraction);
 * - strings (UTF8/STRING, ENUM, JSON, unannotated byte arrays, dictionary-encoded or not) ->
 *   categorical (dictionary in first-seen order); a string in `na_values` is missing;
 * - nested columns (LIST, MAP, STRUCT) and binary data are refused with a message naming the column.
 * A forced type (`columns`, or a model version's expected typing at predict) converts a column like in the text formats.
 */
import { resolve } from "node:path";
import {
  type Column,
  DataError,
  type NumericLogicalType,
  type SavedData,
  Table,
  writeFileAtomic,
} from "@lolpop/core";
import type { ColumnSource } from "hyparquet-writer";
import { buildTable, ColumnBuilder, type ExpectedTyping, Kind } from "./local-table-columns.js";
import { DEFAULT_NA_VALUES, type ForcedColumnType } from "./local-table-format.js";

/** Options of {@link readParquet}. */
export interface ReadParquetOptions {
  /** Strings read as missing values in string columns. Default {@link DEFAULT_NA_VALUES}. */
  na_values?: readonly string[];
  /** Forces column types by name; unknown names are an error. */
  columns?: Record<string, ForcedColumnType>;
  /** Types expected by someone else (a model version at predict): absent columns are skipped, `columns` wins. */
  expected?: ExpectedTyping;
}

const MAX_EXACT = 2 ** 53;

/** Epoch milliseconds instead of `Date`s, keeping sub-millisecond precision. */
const parsers = {
  timestampFromMilliseconds: (v: bigint) => Number(v),
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1e3,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e6,
  dateFromDays: (days: number) => days * 86_400_000,
  stringFromBytes: (b: Uint8Array | undefined) => (b === undefined ? b : new TextDecoder().decode(b)),
  jsonFromBytes: (b: Uint8Array | undefined) => (b === undefined ? b : new TextDecoder().decode(b)),
  geometryFromBytes: (b: Uint8Array) => b,
  geographyFromBytes: (b: Uint8Array) => b,
  uuidFromBytes: (b: Uint8Array) => b,
};

type Natural = "float" | "int" | "bool" | "datetime" | "text" | "decimal";

interface SchemaElementLike {
  name: string;
  type?: string;
  converted_type?: string;
  logical_type?: { type: string };
  repetition_type?: string;
  scale?: number;
}

function naturalType(file: string, el: SchemaElementLike, nested: boolean): Natural {
  const logical = el.logical_type?.type;
  const conv = el.converted_type;
  const refuse = (what: string): never => {
    throw new DataError({
      message: `${file}: column "${el.name}" is ${what}, which the local connector cannot read into a table column; write the file with flat columns (numbers, strings, booleans, dates), or read it with DuckDBDataConnector from @lolpop/duckdb, which can select or flatten it in SQL`,
      code: "unsupported_type",
      details: { file, column: el.name, type: logical ?? conv ?? el.type },
    });
  };
  if (nested || el.repetition_type === "REPEATED")
    refuse(`a nested Parquet column (${logical ?? conv ?? "LIST/STRUCT/MAP"})`);
  if (logical === "DECIMAL" || conv === "DECIMAL") return "decimal";
  if (logical === "TIMESTAMP" || logical === "DATE" || conv === "DATE" || conv?.startsWith("TIMESTAMP"))
    return "datetime";
  if (el.type === "INT96") return "datetime";
  if (logical === "UUID") refuse("a UUID (16 bytes)");
  if (logical === "GEOMETRY" || logical === "GEOGRAPHY" || logical === "VARIANT")
    refuse(`a ${logical} value`);
  if (logical === "FLOAT16") return "float";
  switch (el.type) {
    case "BOOLEAN":
      return "bool";
    case "INT32":
    case "INT64":
      return "int";
    case "FLOAT":
    case "DOUBLE":
      return "float";
    case "BYTE_ARRAY":
      return "text";
    default:
      return refuse(`binary data (${el.type})`);
  }
}

/** A value no column of its natural type can hold. */
function unfit(file: string, column: string, row: number, value: string, why: string): DataError {
  return new DataError({
    message: `${file}: column "${column}" row ${row + 1} holds ${value}, ${why}`,
    code: "bad_value",
    details: { file, column, row: row + 1, value },
  });
}

/**
 * Reads a Parquet file (any codec: snappy, gzip, zstd, brotli, lz4) into a {@link Table} (every
 * column role `feature`).
 * @throws DataError naming the file for an unreadable or corrupt file, a nested or binary column, an
 * integer beyond ±2^53, a forced type a value does not fit, or a `columns` name the file lacks.
 */
export async function readParquet(path: string, options: ReadParquetOptions = {}): Promise<Table> {
  const file = resolve(path);
  const na = new Set(options.na_values ?? DEFAULT_NA_VALUES);
  const forced = options.columns ?? {};
  const typeOf = (name: string): ForcedColumnType | undefined =>
    forced[name] ?? options.expected?.columns[name];
  // The Parquet libraries load on first use: importing the plugin (as `lolpop validate` does) stays cheap.
  const { asyncBufferFromFile, parquetMetadataAsync, parquetRead, parquetSchema } = await import("hyparquet");
  const { compressors } = await import("hyparquet-compressors");
  let buffer: Awaited<ReturnType<typeof asyncBufferFromFile>>;
  let metadata: Awaited<ReturnType<typeof parquetMetadataAsync>>;
  try {
    buffer = await asyncBufferFromFile(file);
    metadata = await parquetMetadataAsync(buffer);
  } catch (e) {
    throw new DataError({
      message: `${file} is not a readable Parquet file (${(e as Error).message}); check that it was written completely, or set \`format\` if it is another format`,
      code: "invalid_parquet",
      details: { file },
      cause: e,
    });
  }
  const rows = Number(metadata.num_rows);
  const tree = parquetSchema(metadata);
  const specs = tree.children.map((c) => ({
    name: c.element.name,
    element: c.element as SchemaElementLike,
    natural: naturalType(file, c.element as SchemaElementLike, c.children.length > 0),
  }));
  const names = specs.map((s) => s.name);
  for (const name of Object.keys(forced)) {
    if (!names.includes(name)) {
      throw new DataError({
        message: `${file}: \`columns\` sets a type for "${name}", but the file has no such column (columns: ${names.join(", ")})`,
        code: "missing_column",
        details: { file, column: name },
      });
    }
  }
  // Columns that keep their natural type fill a Float64Array / codes directly; a forced conversion
  // goes through the text readers' ColumnBuilder, so the conversion rules are the same.
  const numbers = new Map<string, Float64Array>();
  const texts = new Map<string, { codes: Int32Array; dict: string[]; index: Map<string, number> }>();
  const builders = new Map<string, { builder: ColumnBuilder }>();
  for (const s of specs) {
    const f = typeOf(s.name);
    const keepsText = s.natural === "text" && (!f || f === "categorical");
    const keepsNumber =
      s.natural !== "text" &&
      (!f ||
        (f === "numeric" && s.natural !== "bool") ||
        (f === "bool" && s.natural === "bool") ||
        (f === "datetime" && s.natural === "datetime"));
    if (keepsText) texts.set(s.name, { codes: new Int32Array(rows), dict: [], index: new Map() });
    else if (keepsNumber) numbers.set(s.name, new Float64Array(rows));
    else builders.set(s.name, { builder: new ColumnBuilder(true) });
  }
  // Chunks arrive per row group and not always in row order: collect them, then decode each column
  // in row order (an error thrown inside hyparquet's callback would not reach the caller).
  const chunks = new Map<string, { data: ArrayLike<unknown>; start: number }[]>(names.map((n) => [n, []]));
  try {
    await parquetRead({
      file: buffer,
      compressors,
      parsers,
      onChunk: (c: { columnName: string; columnData: ArrayLike<unknown>; rowStart: number }) => {
        chunks.get(c.columnName)?.push({ data: c.columnData, start: c.rowStart });
      },
    } as Parameters<typeof parquetRead>[0]);
  } catch (e) {
    throw new DataError({
      message: `${file}: reading the Parquet data failed (${(e as Error).message}); the file may be truncated or use an unsupported encoding`,
      code: "invalid_parquet",
      details: { file },
      cause: e,
    });
  }
  for (const spec of specs) {
    const scale = spec.element.scale ?? 0;
    const num = numbers.get(spec.name);
    const txt = texts.get(spec.name);
    const b = builders.get(spec.name);
    let next = 0;
    for (const { data, start } of chunks.get(spec.name)!.sort((x, y) => x.start - y.start)) {
      if (start !== next) {
        throw new DataError({
          message: `${file}: column "${spec.name}" has no data for rows ${next + 1} to ${start}; the file may be corrupt`,
          code: "invalid_parquet",
          details: { file, column: spec.name },
        });
      }
      next = start + data.length;
      if (num) {
        for (let i = 0; i < data.length; i++) {
          const v = data[i];
          if (v === null || v === undefined) num[start + i] = Number.NaN;
          else if (typeof v === "bigint") {
            if (v > MAX_EXACT || v < -MAX_EXACT) {
              throw unfit(
                file,
                spec.name,
                start + i,
                String(v),
                `an integer beyond ±2^53, which a numeric column cannot hold exactly; set \`columns: {"${spec.name}": categorical}\` to read its exact text, or store it as a string`,
              );
            }
            num[start + i] = Number(v);
          } else if (typeof v === "boolean") num[start + i] = v ? 1 : 0;
          else if (typeof v === "number")
            num[start + i] = spec.natural === "decimal" && scale > 0 ? Number(v.toFixed(scale)) : v;
          else throw unfit(file, spec.name, start + i, typeof v, "a value of an unexpected type");
        }
      } else if (txt) {
        for (let i = 0; i < data.length; i++) {
          const v = data[i];
          if (v === null || v === undefined || (typeof v === "string" && na.has(v))) {
            txt.codes[start + i] = -1;
            continue;
          }
          if (typeof v !== "string")
            throw unfit(file, spec.name, start + i, "binary data", "which is not UTF-8 text");
          let code = txt.index.get(v);
          if (code === undefined) {
            code = txt.dict.length;
            txt.dict.push(v);
            txt.index.set(v, code);
          }
          txt.codes[start + i] = code;
        }
      } else {
        const builder = b!.builder;
        for (let i = 0; i < data.length; i++) {
          const v = data[i];
          if (v === null || v === undefined || (typeof v === "string" && na.has(v))) builder.addMissing();
          else if (typeof v === "number" && Number.isNaN(v)) builder.addMissing();
          else if (typeof v === "string") builder.add(v, Kind.Text);
          else if (typeof v === "boolean") builder.add(v ? "true" : "false", Kind.Bool);
          else if (typeof v === "bigint") builder.add(String(v), Kind.Number);
          else if (typeof v === "number")
            builder.add(spec.natural === "decimal" && scale > 0 ? v.toFixed(scale) : String(v), Kind.Number);
          else throw unfit(file, spec.name, start + i, typeof v, "a value of an unexpected type");
        }
      }
    }
    if (next !== rows) {
      throw new DataError({
        message: `${file}: column "${spec.name}" has ${next} rows, the file says ${rows}; the file may be corrupt`,
        code: "invalid_parquet",
        details: { file, column: spec.name },
      });
    }
  }
  const columns: [string, Column][] = [];
  const forcedBuilders: string[] = [];
  for (const s of specs) {
    const num = numbers.get(s.name);
    if (num) {
      const logical: NumericLogicalType =
        typeOf(s.name) === "numeric" || s.natural === "decimal" || s.natural === "text" ? "float" : s.natural;
      columns.push([s.name, { type: "numeric", values: num, logical }]);
      continue;
    }
    const txt = texts.get(s.name);
    if (txt) {
      columns.push([s.name, { type: "categorical", codes: txt.codes, dictionary: txt.dict }]);
      continue;
    }
    forcedBuilders.push(s.name);
  }
  if (forcedBuilders.length === 0) return Table.fromColumns(columns);
  const converted = await buildTable(
    forcedBuilders,
    forcedBuilders.map((n) => builders.get(n)!.builder),
    file,
    Object.fromEntries(forcedBuilders.filter((n) => forced[n]).map((n) => [n, forced[n]!])),
    async (row) => `row ${row + 1}`,
    options.expected,
  );
  const byName = new Map<string, Column>([
    ...columns,
    ...converted.columnNames.map((n) => [n, converted.column(n)] as const),
  ]);
  return Table.fromColumns(names.map((n) => [n, byName.get(n)!] as const));
}

/**
 * Writes a table as one Parquet file, atomically (temporary file + rename), snappy-compressed:
 * numeric `float` columns as DOUBLE, `int` as INT64 when every value is an integer within ±2^53
 * (else DOUBLE), `bool` as BOOLEAN, `datetime` as TIMESTAMP (milliseconds, UTC), categorical as
 * STRING; missing values (NaN, code -1) as nulls.
 */
export async function writeParquet(table: Table, path: string): Promise<SavedData> {
  const abs = resolve(path);
  const columnData: ColumnSource[] = table.columnNames.map((name) => {
    const col = table.column(name);
    if (col.type === "categorical") {
      const data = new Array<string | null>(col.codes.length);
      for (let i = 0; i < data.length; i++) {
        const c = col.codes[i]!;
        data[i] = c < 0 ? null : col.dictionary[c]!;
      }
      return { name, data, type: "STRING" };
    }
    const v = col.values;
    if (col.logical === "bool") {
      return { name, data: Array.from(v, (x) => (Number.isNaN(x) ? null : x !== 0)), type: "BOOLEAN" };
    }
    if (col.logical === "datetime") {
      return {
        name,
        data: Array.from(v, (x) => (Number.isNaN(x) ? null : new Date(x))),
        type: "TIMESTAMP",
      };
    }
    if (
      col.logical === "int" &&
      v.every((x) => Number.isNaN(x) || (Number.isInteger(x) && Math.abs(x) <= MAX_EXACT))
    ) {
      return { name, data: Array.from(v, (x) => (Number.isNaN(x) ? null : BigInt(x))), type: "INT64" };
    }
    return { name, data: Array.from(v, (x) => (Number.isNaN(x) ? null : x)), type: "DOUBLE" };
  });
  const { parquetWriteBuffer } = await import("hyparquet-writer");
  const bytes = parquetWriteBuffer({ columnData, createdBy: "lolpop" });
  await writeFileAtomic(abs, new Uint8Array(bytes));
  return { uri: abs, rows: table.numRows, format: "parquet" };
}
