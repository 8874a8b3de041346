/**
 * Reading CSV, JSON and JSON Lines files into tables (what LocalDataConnector.get_data does; Parquet
 * is read by `local-table-parquet.ts`).
 *
 * CSV is stream-parsed (csv-parse) straight into dictionary-encoded column builders, so no array of
 * row objects is ever kept. Types are inferred per column once the whole file is read:
 * - `numeric` when every non-missing value parses as a finite number;
 * - `bool` (a numeric column of 0/1 with logical type `bool`) when every value is `true`/`false`
 *   (any case);
 * - `categorical` otherwise (dictionary in first-seen order).
 * `datetime` is never inferred: force it with `columns: {when: datetime}` (values become epoch ms).
 * In JSON and JSON Lines the JSON types decide: numbers are numeric, booleans bool, strings
 * categorical (a string column is not turned numeric unless forced), nested values are kept as their
 * JSON text. Missing values (`na_values`, JSON `null`, absent keys) become NaN or code -1.
 */
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { DataError, type Table } from "@lolpop/core";
import { buildTable, ColumnBuilder, type ExpectedTyping, Kind } from "./local-table-columns.js";
import {
  type DataFormat,
  DEFAULT_NA_VALUES,
  type ForcedColumnType,
  formatFromExtension,
  pickDelimiter,
} from "./local-table-format.js";
import { readParquet } from "./local-table-parquet.js";

/** Options of {@link readTable}. */
export interface ReadTableOptions {
  /** `auto` (default) picks the format from the extension: `.csv`/`.tsv`/`.txt` CSV, `.json` JSON, `.jsonl`/`.ndjson` JSON Lines, `.parquet`/`.pq` Parquet. */
  format?: DataFormat | "auto";
  /** CSV field delimiter (one character). Default `,`; a `.tsv` file with the default uses a tab. */
  delimiter?: string;
  /** Strings read as missing values (compared before and after trimming spaces). Default {@link DEFAULT_NA_VALUES}. */
  na_values?: readonly string[];
  /** Forces column types by name; unknown names are an error. */
  columns?: Record<string, ForcedColumnType>;
  /** Types expected by someone else (a model version at predict): absent columns are skipped, `columns` wins. */
  expected?: ExpectedTyping;
}

async function checkFile(path: string): Promise<number> {
  let size: number;
  try {
    const s = await stat(path);
    if (s.isDirectory()) {
      throw new DataError({
        message: `${path} is a directory, a data file was expected; point \`path\` at a CSV, JSON or JSON Lines file`,
        code: "not_a_file",
        details: { file: path },
      });
    }
    size = s.size;
  } catch (e) {
    if (DataError.isInstance(e)) throw e;
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new DataError({
        message: `data file not found: ${path}. Check the path (relative paths resolve from the project root) or create the file.`,
        code: "file_not_found",
        details: { file: path },
        cause: e,
      });
    }
    throw new DataError({
      message: `cannot read ${path}: ${(e as Error).message}`,
      code: "file_unreadable",
      details: { file: path },
      cause: e,
    });
  }
  if (size === 0) {
    throw new DataError({
      message: `${path} is empty: it has no header row. Write a header line with the column names, then one line per row.`,
      code: "empty_file",
      details: { file: path },
    });
  }
  return size;
}

function headerNames(raw: string[], file: string): string[] {
  const names = raw.map((n, i) => (n.trim() === "" ? `column_${i + 1}` : n));
  const seen = new Map<string, number>();
  const dups: string[] = [];
  names.forEach((n, i) => {
    const first = seen.get(n);
    if (first !== undefined) dups.push(`"${n}" (columns ${first + 1} and ${i + 1})`);
    else seen.set(n, i);
  });
  if (dups.length) {
    throw new DataError({
      message: `${file}: duplicate column names in the header: ${dups.join(", ")}. Rename them so every column name is unique.`,
      code: "duplicate_column",
      details: { file, duplicates: dups },
    });
  }
  return names;
}

/** Finds the line on which data row `row` (0-based, after the header) ends, by parsing again with line info. */
async function csvLineOfRow(path: string, delimiter: string, row: number): Promise<number | undefined> {
  const { parse } = await import("csv-parse");
  const parser = parse({
    delimiter,
    bom: true,
    relax_column_count: true,
    skip_empty_lines: true,
    info: true,
    to: row + 2,
  });
  let record = 0;
  let line: number | undefined;
  try {
    for await (const { info } of createReadStream(path).pipe(parser) as AsyncIterable<{
      info: { lines: number };
    }>) {
      if (record++ === row + 1) line = info.lines;
    }
  } catch {
    // the first pass already reported parse errors
  }
  return line;
}

async function readCsv(path: string, options: ReadTableOptions): Promise<Table> {
  const { parse } = await import("csv-parse");
  const na = new Set(options.na_values ?? DEFAULT_NA_VALUES);
  const delimiter = pickDelimiter(path, options.delimiter);
  const locate = async (row: number) => {
    const line = await csvLineOfRow(path, delimiter, row);
    return line === undefined ? `data row ${row + 1}` : `line ${line}`;
  };
  let names: string[] | undefined;
  let builders: ColumnBuilder[] = [];
  let rows = 0;
  let ragged: { row: number; found: number } | undefined;
  let headerError: unknown;
  const parser = parse({ delimiter, bom: true, relax_column_count: true, skip_empty_lines: true });
  try {
    await pipeline(createReadStream(path), parser, async (source: AsyncIterable<string[]>) => {
      for await (const record of source) {
        if (names === undefined) {
          try {
            names = headerNames(record, path);
          } catch (e) {
            headerError = e;
            return;
          }
          builders = names.map(() => new ColumnBuilder(false));
          continue;
        }
        if (record.length !== names.length) {
          ragged = { row: rows, found: record.length };
          return;
        }
        for (let j = 0; j < record.length; j++) {
          const v = record[j]!;
          const b = builders[j]!;
          const padded = v.length > 0 && (v.charCodeAt(0) <= 32 || v.charCodeAt(v.length - 1) <= 32);
          if (na.has(v) || (padded && na.has(v.trim()))) b.addMissing();
          else b.add(v, Kind.Text);
        }
        rows++;
      }
    });
  } catch (e) {
    // stopping early (bad header, ragged row) may surface as an abort of the stream: ours wins
    if (headerError === undefined && ragged === undefined) {
      throw new DataError({
        message: `${path}: invalid CSV: ${(e as Error).message}`,
        code: "invalid_csv",
        details: { file: path },
        cause: e,
      });
    }
  }
  if (headerError !== undefined) throw headerError;
  if (names === undefined) {
    throw new DataError({
      message: `${path} is empty: it has no header row. Write a header line with the column names, then one line per row.`,
      code: "empty_file",
      details: { file: path },
    });
  }
  if (ragged) {
    const line = await csvLineOfRow(path, delimiter, ragged.row);
    const expected = names.length;
    throw new DataError({
      message: `${path}: ${line === undefined ? `data row ${ragged.row + 1}` : `line ${line}`} has ${ragged.found} field${ragged.found === 1 ? "" : "s"}, expected ${expected} like the header (${names.join(", ")}). Check the delimiter ("${delimiter}") and the quoting of values that contain it.`,
      code: "ragged_row",
      details: { file: path, line, expected, found: ragged.found },
    });
  }
  if (rows === 0) {
    throw new DataError({
      message: `${path} has a header (${names.join(", ")}) but no data rows; add at least one row.`,
      code: "no_rows",
      details: { file: path },
    });
  }
  return buildTable(names, builders, path, options.columns, locate, options.expected);
}

/** Feeds JSON records into builders (columns are the union of keys, first-seen order). */
class RecordSink {
  readonly names: string[] = [];
  readonly builders: ColumnBuilder[] = [];
  readonly #index = new Map<string, number>();
  rows = 0;
  constructor(
    private readonly na: Set<string>,
    private readonly file: string,
  ) {}

  add(record: unknown, where: string): void {
    if (typeof record !== "object" || record === null || Array.isArray(record)) {
      throw new DataError({
        message: `${this.file}: ${where} is ${Array.isArray(record) ? "an array" : record === null ? "null" : `a ${typeof record}`}, a JSON object ({"column": value, ...}) was expected`,
        code: "invalid_json",
        details: { file: this.file, where },
      });
    }
    let touched = 0;
    for (const [key, value] of Object.entries(record)) {
      let j = this.#index.get(key);
      if (j === undefined) {
        j = this.names.length;
        this.names.push(key);
        const b = new ColumnBuilder(true);
        b.padTo(this.rows);
        this.builders.push(b);
        this.#index.set(key, j);
      }
      touched++;
      const b = this.builders[j]!;
      if (value === null || value === undefined) b.addMissing();
      else if (typeof value === "number") {
        if (Number.isFinite(value)) b.add(String(value), Kind.Number);
        else b.addMissing();
      } else if (typeof value === "boolean") b.add(String(value), Kind.Bool);
      else if (typeof value === "string") {
        if (this.na.has(value) || this.na.has(value.trim())) b.addMissing();
        else b.add(value, Kind.Text);
      } else b.add(JSON.stringify(value), Kind.Text);
    }
    this.rows++;
    if (touched !== this.builders.length) for (const b of this.builders) b.padTo(this.rows);
  }
}

async function readJson(path: string, options: ReadTableOptions): Promise<Table> {
  const text = await readFile(path, "utf8");
  let data: unknown;
  try {
    data = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (e) {
    throw new DataError({
      message: `${path}: invalid JSON: ${(e as Error).message}. A JSON data file holds an array of objects; for one object per line use a .jsonl file (or format: jsonl).`,
      code: "invalid_json",
      details: { file: path },
      cause: e,
    });
  }
  if (!Array.isArray(data)) {
    throw new DataError({
      message: `${path}: a JSON data file must hold an array of row objects ([{"column": value, ...}, ...])`,
      code: "invalid_json",
      details: { file: path },
    });
  }
  if (data.length === 0) {
    throw new DataError({
      message: `${path} holds an empty array: no rows to read.`,
      code: "no_rows",
      details: { file: path },
    });
  }
  const sink = new RecordSink(new Set(options.na_values ?? DEFAULT_NA_VALUES), path);
  for (let i = 0; i < data.length; i++) sink.add(data[i], `element ${i}`);
  return buildTable(
    sink.names,
    sink.builders,
    path,
    options.columns,
    async (row) => `element ${row}`,
    options.expected,
  );
}

async function readJsonl(path: string, options: ReadTableOptions): Promise<Table> {
  const sink = new RecordSink(new Set(options.na_values ?? DEFAULT_NA_VALUES), path);
  const lines = createInterface({
    input: createReadStream(path, { encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  const lineOfRow: number[] = [];
  let lineNo = 0;
  for await (const raw of lines) {
    lineNo++;
    const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (line.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (e) {
      lines.close();
      throw new DataError({
        message: `${path}: line ${lineNo} is not valid JSON (${(e as Error).message}); each line of a JSON Lines file must be one JSON object.`,
        code: "invalid_json",
        details: { file: path, line: lineNo },
        cause: e,
      });
    }
    sink.add(value, `line ${lineNo}`);
    lineOfRow.push(lineNo);
  }
  if (sink.rows === 0) {
    throw new DataError({
      message: `${path} has no JSON objects (only blank lines); add one object per line.`,
      code: "no_rows",
      details: { file: path },
    });
  }
  return buildTable(
    sink.names,
    sink.builders,
    path,
    options.columns,
    async (row) => `line ${lineOfRow[row]}`,
    options.expected,
  );
}

/**
 * Reads a CSV, JSON (array of objects), JSON Lines or Parquet file into a {@link Table} (every column role
 * `feature`).
 * @param path File path (resolved from the current directory when relative).
 * @throws DataError naming the file for a missing or empty file, a header without rows, a ragged CSV
 * row (line number, expected and found field counts), duplicate header names, invalid JSON (line
 * number for JSON Lines), or a value that does not fit a forced column type.
 */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<Table> {
  const abs = resolve(path);
  const format = options.format && options.format !== "auto" ? options.format : formatFromExtension(abs);
  if (!format) {
    throw new DataError({
      message: `cannot tell the format of ${abs} from its extension "${extname(abs)}"; set \`format\` to csv, json, jsonl or parquet`,
      code: "unknown_format",
      details: { file: abs },
    });
  }
  await checkFile(abs);
  if (format === "csv") return readCsv(abs, options);
  if (format === "json") return readJson(abs, options);
  if (format === "parquet") return readParquet(abs, options);
  return readJsonl(abs, options);
}
