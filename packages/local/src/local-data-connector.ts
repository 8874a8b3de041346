/**
 * LocalDataConnector: reads and writes CSV, JSON and JSON Lines files on the local disk.
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
import { extname, isAbsolute, resolve } from "node:path";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import {
  type Column,
  type DataConnector,
  DataError,
  defineComponent,
  type NumericLogicalType,
  type SavedData,
  Table,
  writeFileAtomic,
} from "@lolpop/core";

/** File formats the connector reads and writes. */
export type DataFormat = "csv" | "json" | "jsonl";

/** Types a column can be forced to with the `columns` option. */
export type ForcedColumnType = "numeric" | "categorical" | "datetime" | "bool";

/** Default strings read as missing values. */
export const DEFAULT_NA_VALUES: readonly string[] = ["", "NA", "N/A", "NaN", "nan", "null", "NULL", "None"];

/** Options of {@link readTable}. */
export interface ReadTableOptions {
  /** `auto` (default) picks the format from the extension: `.csv`/`.tsv`/`.txt` CSV, `.json` JSON, `.jsonl`/`.ndjson` JSON Lines. */
  format?: DataFormat | "auto";
  /** CSV field delimiter (one character). Default `,`; a `.tsv` file with the default uses a tab. */
  delimiter?: string;
  /** Strings read as missing values (compared before and after trimming spaces). Default {@link DEFAULT_NA_VALUES}. */
  na_values?: readonly string[];
  /** Forces column types by name; unknown names are an error. */
  columns?: Record<string, ForcedColumnType>;
}

/** Options of {@link writeTable}. */
export interface WriteTableOptions {
  /** `auto` (default): by extension (`.csv`/`.tsv`/`.txt`, `.json`, `.jsonl`/`.ndjson`). */
  format?: DataFormat | "auto";
  /** CSV delimiter. Default `,` (a tab for `.tsv`). */
  delimiter?: string;
}

/** Config of {@link localDataConnector}. */
export interface LocalDataConnectorConfig {
  /** File read by `get_data()` when no source is given (relative: from the project root). Default: none. */
  path?: string | null;
  /** File written by `save_data()` when no target is given (relative: from the project root). Default: none. */
  output_path?: string | null;
  /** Format of the files read; `auto` (default) picks it from the extension. */
  format: DataFormat | "auto";
  /** CSV field delimiter. Default `,`. */
  delimiter: string;
  /** Strings read as missing values. Default {@link DEFAULT_NA_VALUES}. */
  na_values: string[];
  /** Forced column types by name. Default `{}` (all inferred). */
  columns?: Record<string, ForcedColumnType>;
}

function formatFromExtension(path: string): DataFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === ".csv" || ext === ".tsv" || ext === ".txt") return "csv";
  if (ext === ".json") return "json";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  return undefined;
}

function pickDelimiter(path: string, delimiter: string | undefined): string {
  const d = delimiter ?? ",";
  if (d === "," && extname(path).toLowerCase() === ".tsv") return "\t";
  return d;
}

// ---------------------------------------------------------------- column builders

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a finite decimal number (no hex, no Infinity, no empty string); NaN otherwise. */
function parseNumber(text: string): number {
  const s = text.trim();
  if (!NUMBER_RE.test(s)) return Number.NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : Number.NaN;
}

const SIMPLE_DECIMAL_RE = /^-?(?:[1-9]\d*|0)(?:\.\d*[1-9])?$/;

/**
 * True when `text` is certainly the text `String(Number(text))` gives back, without formatting the
 * number (which is slow): at most 15 characters (so at most 15 significant digits, which survive a
 * round trip through a double), no leading zeros, no trailing zeros after the point, not `-0`, and
 * not small enough for exponent notation.
 */
function isCanonicalDecimal(text: string): boolean {
  return text.length <= 15 && SIMPLE_DECIMAL_RE.test(text) && text !== "-0" && !text.includes(".000000");
}

function parseBool(text: string): number {
  const s = text.trim().toLowerCase();
  return s === "true" ? 1 : s === "false" ? 0 : Number.NaN;
}

/** Kind of a value: text (CSV, or a JSON string) or a typed JSON number / boolean. */
const Kind = { Text: 0, Number: 1, Bool: 2 } as const;
type Kind = (typeof Kind)[keyof typeof Kind];

/** A value that does not fit a forced column type; the reader turns `row` into a line number. */
class BadValue extends Error {
  constructor(
    readonly column: string,
    readonly value: string,
    readonly row: number,
    readonly forced: ForcedColumnType,
  ) {
    super(`bad value ${value}`);
  }
}

/**
 * Collects one column's values and decides its type at the end. While every value is a number it
 * stores `Float64Array` values (plus the original text of the rare values whose text is not the
 * number's canonical form, e.g. `007`), so numeric columns cost 8 bytes a cell. The first value
 * that is not a number switches it to dictionary-encoded text, rebuilding earlier values exactly.
 */
class ColumnBuilder {
  #length = 0;
  // numeric mode
  #values: Float64Array | undefined = new Float64Array(64);
  readonly #nonCanonical = new Map<number, string>();
  // text mode
  #codes: Int32Array | undefined;
  #dict: string[] = [];
  #kinds: Kind[] = [];
  #firstRow: number[] = [];
  #index = new Map<string, number>();

  constructor(private readonly typed: boolean) {}

  get length(): number {
    return this.#length;
  }

  #grow(): void {
    if (this.#values) {
      if (this.#length === this.#values.length) {
        const next = new Float64Array(this.#values.length * 2);
        next.set(this.#values);
        this.#values = next;
      }
    } else if (this.#length === this.#codes!.length) {
      const next = new Int32Array(this.#codes!.length * 2);
      next.set(this.#codes!);
      this.#codes = next;
    }
  }

  #code(text: string, kind: Kind, row: number): number {
    const key = kind === Kind.Text ? text : `${kind}\u0000${text}`;
    let code = this.#index.get(key);
    if (code === undefined) {
      code = this.#dict.length;
      this.#dict.push(text);
      this.#kinds.push(kind);
      this.#firstRow.push(row);
      this.#index.set(key, code);
    }
    return code;
  }

  #toText(): void {
    const values = this.#values!;
    this.#values = undefined;
    this.#codes = new Int32Array(Math.max(64, values.length));
    for (let r = 0; r < this.#length; r++) {
      const v = values[r]!;
      this.#codes[r] = Number.isNaN(v)
        ? -1
        : this.#code(this.#nonCanonical.get(r) ?? String(v), this.typed ? Kind.Number : Kind.Text, r);
    }
    this.#nonCanonical.clear();
  }

  /** Appends a missing value. */
  addMissing(): void {
    this.#grow();
    if (this.#values) this.#values[this.#length++] = Number.NaN;
    else this.#codes![this.#length++] = -1;
  }

  /** Pads with missing values up to `n` rows. */
  padTo(n: number): void {
    while (this.#length < n) this.addMissing();
  }

  /** Appends a value (CSV text, or a JSON value of `kind`). */
  add(text: string, kind: Kind): void {
    if (this.#values) {
      let v: number;
      let canonical: boolean;
      if (kind === Kind.Text && !this.typed && isCanonicalDecimal(text)) {
        v = Number(text);
        canonical = true;
      } else {
        v =
          kind === Kind.Number
            ? Number(text)
            : kind === Kind.Text && !this.typed
              ? parseNumber(text)
              : Number.NaN;
        canonical = String(v) === text;
      }
      if (!Number.isNaN(v)) {
        this.#grow();
        if (!canonical) this.#nonCanonical.set(this.#length, text);
        this.#values![this.#length++] = v;
        return;
      }
      this.#toText();
    }
    this.#grow();
    this.#codes![this.#length] = this.#code(text, kind, this.#length);
    this.#length++;
  }

  /** Builds the column, inferring its type unless `forced`. @throws BadValue */
  finish(name: string, forced: ForcedColumnType | undefined): Column {
    const n = this.#length;
    if (this.#values) {
      const values = this.#values.slice(0, n);
      if (!forced || forced === "numeric") return { type: "numeric", values, logical: "float" };
      if (forced === "datetime") return { type: "numeric", values, logical: "datetime" };
      if (forced === "bool") {
        for (let r = 0; r < n; r++) {
          const v = values[r]!;
          if (!Number.isNaN(v) && v !== 0 && v !== 1)
            throw new BadValue(name, this.#nonCanonical.get(r) ?? String(v), r, forced);
        }
        return { type: "numeric", values, logical: "bool" };
      }
      this.#toText();
    }
    const codes = this.#codes!.slice(0, n);
    const dict = this.#dict;
    const kinds = this.#kinds;
    const numericFrom = (perEntry: Float64Array, logical: NumericLogicalType): Column => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const c = codes[i]!;
        out[i] = c < 0 ? Number.NaN : perEntry[c]!;
      }
      return { type: "numeric", values: out, logical };
    };
    const convert = (to: ForcedColumnType, fn: (text: string, kind: Kind) => number): Float64Array => {
      const out = new Float64Array(dict.length);
      for (let j = 0; j < dict.length; j++) {
        const v = fn(dict[j]!, kinds[j]!);
        if (Number.isNaN(v)) throw new BadValue(name, dict[j]!, this.#firstRow[j]!, to);
        out[j] = v;
      }
      return out;
    };
    if (forced === "categorical") return { type: "categorical", codes, dictionary: [...dict] };
    if (forced === "numeric")
      return numericFrom(
        convert("numeric", (t, k) => (k === Kind.Bool ? parseBool(t) : parseNumber(t))),
        "float",
      );
    if (forced === "bool") {
      return numericFrom(
        convert("bool", (t) => {
          const b = parseBool(t);
          if (!Number.isNaN(b)) return b;
          const s = t.trim().toLowerCase();
          return s === "1" || s === "yes" ? 1 : s === "0" || s === "no" ? 0 : Number.NaN;
        }),
        "bool",
      );
    }
    if (forced === "datetime") {
      return numericFrom(
        convert("datetime", (t, k) => {
          if (k === Kind.Number) return Number(t);
          const num = parseNumber(t);
          return Number.isNaN(num) ? Date.parse(t.trim()) : num;
        }),
        "datetime",
      );
    }
    if (this.typed) {
      if (kinds.every((k) => k === Kind.Bool))
        return numericFrom(
          Float64Array.from(dict, (t) => (t === "true" ? 1 : 0)),
          "bool",
        );
      return { type: "categorical", codes, dictionary: [...dict] };
    }
    const bools = Float64Array.from(dict, parseBool);
    if (!bools.some(Number.isNaN)) return numericFrom(bools, "bool");
    return { type: "categorical", codes, dictionary: [...dict] };
  }
}

/** Builds the table; `locate(row)` describes where a data row is in the file (for errors). */
async function buildTable(
  names: string[],
  builders: ColumnBuilder[],
  file: string,
  forced: Record<string, ForcedColumnType> | undefined,
  locate: (row: number) => Promise<string>,
): Promise<Table> {
  for (const name of Object.keys(forced ?? {})) {
    if (!names.includes(name)) {
      throw new DataError({
        message: `${file}: \`columns\` sets a type for "${name}", but the file has no such column (columns: ${names.join(", ")})`,
        code: "missing_column",
        details: { file, column: name },
      });
    }
  }
  try {
    return Table.fromColumns(names.map((n, j) => [n, builders[j]!.finish(n, forced?.[n])] as const));
  } catch (e) {
    if (!(e instanceof BadValue)) throw e;
    const where = await locate(e.row);
    const what =
      e.forced === "numeric"
        ? "a number"
        : e.forced === "datetime"
          ? "a date or epoch milliseconds"
          : "true/false";
    throw new DataError({
      message: `${file}: column "${e.column}" is set to ${e.forced} in \`columns\`, but the value "${e.value}" on ${where} is not ${what}; fix the value, add it to na_values, or change the column's type`,
      code: "bad_value",
      details: { file, column: e.column, value: e.value, where },
    });
  }
}

// ---------------------------------------------------------------- readers

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
  return buildTable(names, builders, path, options.columns, locate);
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
  return buildTable(sink.names, sink.builders, path, options.columns, async (row) => `element ${row}`);
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
  );
}

/**
 * Reads a CSV, JSON (array of objects) or JSON Lines file into a {@link Table} (every column role
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
      message: `cannot tell the format of ${abs} from its extension "${extname(abs)}"; set \`format\` to csv, json or jsonl`,
      code: "unknown_format",
      details: { file: abs },
    });
  }
  await checkFile(abs);
  if (format === "csv") return readCsv(abs, options);
  if (format === "json") return readJson(abs, options);
  return readJsonl(abs, options);
}

// ---------------------------------------------------------------- writers

function csvField(text: string, delimiter: string): string {
  if (text.includes(delimiter) || text.includes('"') || text.includes("\n") || text.includes("\r")) {
    return `"${text.replaceAll('"', '""')}"`;
  }
  return text;
}

function cellText(col: Column, i: number): string | undefined {
  if (col.type === "categorical") {
    const c = col.codes[i]!;
    return c < 0 ? undefined : col.dictionary[c]!;
  }
  const v = col.values[i]!;
  if (Number.isNaN(v)) return undefined;
  if (col.logical === "bool") return v ? "true" : "false";
  if (col.logical === "datetime") return new Date(v).toISOString();
  return String(v);
}

function cellJson(col: Column, i: number): string | number | boolean | null {
  if (col.type === "categorical") {
    const c = col.codes[i]!;
    return c < 0 ? null : col.dictionary[c]!;
  }
  const v = col.values[i]!;
  if (!Number.isFinite(v)) return null;
  if (col.logical === "bool") return v !== 0;
  if (col.logical === "datetime") return new Date(v).toISOString();
  return v;
}

/**
 * Writes a table atomically (temporary file + rename) as CSV or JSON Lines (or a JSON array),
 * creating missing folders.
 *
 * CSV: a header line, RFC 4180 quoting (fields containing the delimiter, a quote or a line break are
 * quoted, quotes doubled), `\n` line endings, missing values as empty fields, booleans as
 * `true`/`false`, datetimes as ISO 8601. JSON Lines: one object per row, missing values as `null`.
 * @returns Where and how much was written.
 * @throws DataError when the format cannot be told from the extension and none is given.
 */
export async function writeTable(
  table: Table,
  path: string,
  options: WriteTableOptions = {},
): Promise<SavedData> {
  const abs = resolve(path);
  const format =
    formatFromExtension(abs) ?? (options.format && options.format !== "auto" ? options.format : undefined);
  if (!format) {
    throw new DataError({
      message: `cannot tell which format to write ${abs} in from its extension "${extname(abs)}"; use .csv, .jsonl or .json, or set \`format\``,
      code: "unknown_format",
      details: { file: abs },
    });
  }
  const names = table.columnNames;
  const cols = names.map((n) => table.column(n));
  const parts: string[] = [];
  if (format === "csv") {
    const delimiter = pickDelimiter(abs, options.delimiter);
    parts.push(`${names.map((n) => csvField(n, delimiter)).join(delimiter)}\n`);
    for (let i = 0; i < table.numRows; i++) {
      let line = "";
      for (let j = 0; j < cols.length; j++) {
        const t = cellText(cols[j]!, i);
        if (j > 0) line += delimiter;
        if (t !== undefined) line += csvField(t, delimiter);
      }
      parts.push(`${line}\n`);
    }
  } else {
    const rows: string[] = [];
    for (let i = 0; i < table.numRows; i++) {
      const obj: Record<string, unknown> = {};
      for (let j = 0; j < cols.length; j++) obj[names[j]!] = cellJson(cols[j]!, i);
      rows.push(JSON.stringify(obj));
    }
    if (format === "jsonl") for (const r of rows) parts.push(`${r}\n`);
    else parts.push(rows.length ? `[\n${rows.join(",\n")}\n]\n` : "[]\n");
  }
  await writeFileAtomic(abs, parts.join(""));
  return { uri: abs, rows: table.numRows, format };
}

// ---------------------------------------------------------------- component

const COLUMN_TYPES: ForcedColumnType[] = ["numeric", "categorical", "datetime", "bool"];

/** An instance of {@link localDataConnector}: the `DataConnector` contract. */
export type LocalDataConnector = DataConnector;

/**
 * `LocalDataConnector` (kind `data_connector`): reads CSV / JSON / JSON Lines files and writes CSV or
 * JSON Lines, atomically. `get_data(source?)` reads `source` or the configured `path`;
 * `save_data(table, target?)` writes to `target` or `output_path`. Relative paths resolve from the
 * project root (the config file's folder).
 */
export const localDataConnector = defineComponent<"data_connector", LocalDataConnectorConfig>({
  kind: "data_connector",
  type: "LocalDataConnector",
  description: "Reads and writes local CSV, JSON and JSON Lines files",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      path: {
        type: ["string", "null"],
        minLength: 1,
        description:
          "File read by get_data() when no source is given; relative paths resolve from the project root. Default: none (get_data needs a source).",
        default: null,
      },
      output_path: {
        type: ["string", "null"],
        minLength: 1,
        description:
          "File written by save_data() when no target is given; relative paths resolve from the project root. The format follows its extension (.csv, .jsonl, .json). Default: none (save_data needs a target).",
        default: null,
      },
      format: {
        enum: ["auto", "csv", "json", "jsonl"],
        description:
          "Format of the files read: auto picks it from the extension (.csv/.tsv/.txt, .json, .jsonl/.ndjson).",
        default: "auto",
      },
      delimiter: {
        type: "string",
        minLength: 1,
        maxLength: 1,
        description: "CSV field delimiter, one character (a .tsv file with the default uses a tab).",
        default: ",",
      },
      na_values: {
        type: "array",
        items: { type: "string" },
        description: "Strings read as missing values (NaN for numeric columns, missing for categorical).",
        default: [...DEFAULT_NA_VALUES],
      },
      columns: {
        type: "object",
        additionalProperties: { enum: COLUMN_TYPES },
        description:
          "Forces column types by name: numeric, categorical, datetime (epoch milliseconds) or bool. Other columns are inferred.",
        default: {},
      },
    },
  },
  create(ctx) {
    const cfg = ctx.config;
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(ctx.project.root, p));
    const readOptions = (): ReadTableOptions => ({
      format: cfg.format ?? "auto",
      delimiter: cfg.delimiter ?? ",",
      na_values: cfg.na_values ?? DEFAULT_NA_VALUES,
      ...(cfg.columns && Object.keys(cfg.columns).length ? { columns: cfg.columns } : {}),
    });
    return {
      async get_data(source?: string): Promise<Table> {
        const p = source ?? cfg.path;
        if (!p) {
          throw new DataError({
            message: `${ctx.path}: get_data() was called without a source and no \`path\` is configured; set ${ctx.path}.config.path to the data file`,
            code: "no_source",
          });
        }
        const file = abs(p);
        const started = performance.now();
        const table = await readTable(file, readOptions());
        ctx.logger.info(`read ${table.numRows} rows x ${table.numColumns} columns from ${file}`, {
          file,
          rows: table.numRows,
          columns: table.numColumns,
          ms: Math.round(performance.now() - started),
        });
        return table;
      },
      async save_data(table: Table, target?: string): Promise<SavedData> {
        const p = target ?? cfg.output_path;
        if (!p) {
          throw new DataError({
            message: `${ctx.path}: save_data() was called without a target and no \`output_path\` is configured; set ${ctx.path}.config.output_path`,
            code: "no_target",
          });
        }
        const saved = await writeTable(table, abs(p), {
          format: cfg.format ?? "auto",
          delimiter: cfg.delimiter ?? ",",
        });
        ctx.logger.info(`wrote ${saved.rows} rows to ${saved.uri}`, {
          file: saved.uri,
          rows: saved.rows,
          format: saved.format,
        });
        return saved;
      },
    } satisfies DataConnector;
  },
});
