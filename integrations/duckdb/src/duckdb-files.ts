/**
 * Reading files through DuckDB: one file, a glob (`data/*.parquet`, `data/**\/*.csv`) or a folder
 * (every file of the format below it, with hive partitions `key=value/` as columns), as CSV,
 * Parquet, JSON (an array of objects) or JSON Lines. CSV is read like LocalDataConnector reads it:
 * a header row, the configured delimiter, `na_values` as missing, types inferred from the whole
 * file (numbers, true/false, else text; dates stay text unless `detect_dates` or `columns` say
 * otherwise), with the file's line in every error.
 */
import { open, readdir, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { DataError, DEFAULT_NA_VALUES, type Table } from "@lolpop/core";
import { type ForcedColumnType, readQuery } from "./duckdb-query.js";
import { DuckDBQueryError } from "./duckdb-query-error.js";
import type { DuckDBSession } from "./duckdb-runtime.js";
import { quoteLiteral } from "./duckdb-sql.js";
import type { BigIntPolicy, NestedPolicy } from "./duckdb-types.js";

/** File formats read and written. */
export type FileFormat = "csv" | "parquet" | "json" | "jsonl";

/** How files are read. */
export interface FileReadOptions {
  /** `auto` (default): by extension (`.csv`/`.tsv`/`.txt`, `.parquet`/`.pq`, `.json`, `.jsonl`/`.ndjson`). */
  format?: FileFormat | "auto";
  /** CSV delimiter, one character. Default `,` (a tab for `.tsv`). */
  delimiter?: string;
  /** Strings read as missing in CSV. Default {@link DEFAULT_NA_VALUES}. */
  na_values?: readonly string[];
  /** Forced column types. */
  columns?: Record<string, ForcedColumnType>;
  /** Let DuckDB type CSV columns of dates and timestamps (default false: they stay text, like LocalDataConnector). */
  detect_dates?: boolean;
  /** Read `key=value` folders as columns: `auto` (default, when the paths look partitioned), true or false. */
  hive_partitioning?: boolean | "auto";
  /** Match the columns of several files by name rather than by position. Default false. */
  union_by_name?: boolean;
  bigint?: BigIntPolicy;
  nested?: NestedPolicy;
}

/** The format of `path` from its extension (globs included), or undefined. */
export function formatFromExtension(path: string): FileFormat | undefined {
  const ext = extname(path.replace(/\.(gz|zst)$/i, "")).toLowerCase();
  if (ext === ".csv" || ext === ".tsv" || ext === ".txt") return "csv";
  if (ext === ".parquet" || ext === ".pq") return "parquet";
  if (ext === ".json") return "json";
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  return undefined;
}

const EXTENSIONS: Record<FileFormat, string> = {
  csv: "csv",
  parquet: "parquet",
  json: "json",
  jsonl: "jsonl",
};

const isGlob = (p: string) => /[*?[{]/.test(p);

/** Finds the format of the first data file below `dir` (depth first, sorted). */
async function formatInFolder(dir: string): Promise<FileFormat | undefined> {
  const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries)
    if (e.isFile() && !e.name.startsWith(".") && formatFromExtension(e.name))
      return formatFromExtension(e.name);
  for (const e of entries)
    if (e.isDirectory() && !e.name.startsWith(".")) {
      const f = await formatInFolder(join(dir, e.name));
      if (f) return f;
    }
  return undefined;
}

/** What a source path names, checked on disk. */
export interface ResolvedFiles {
  /** The path or glob DuckDB reads. */
  pattern: string;
  format: FileFormat;
  /** One plain file (not a glob or folder). */
  single: boolean;
}

/**
 * Checks a source path and finds its format.
 * @throws DataError for a missing or empty file, a folder without data files, a glob matching
 * nothing, or an unknown format.
 */
export async function resolveFiles(
  session: DuckDBSession,
  path: string,
  format: FileFormat | "auto",
  what: string,
): Promise<ResolvedFiles> {
  const pick = (p: string): FileFormat => {
    const f = format !== "auto" ? format : formatFromExtension(p);
    if (!f)
      throw new DataError({
        message: `${what}: cannot tell the format of ${p} from its extension "${extname(p)}"; set \`format\` to csv, parquet, json or jsonl`,
        code: "unknown_format",
        details: { file: p },
      });
    return f;
  };
  if (isGlob(path)) {
    const r = await session.run(
      "SELECT count(*) AS n, min(file) AS first FROM glob($pattern)",
      { what },
      { pattern: path },
    );
    const [n, first] = r.getChunk(0).getRows()[0]!;
    if (Number(n) === 0) {
      throw new DataError({
        message: `${what}: the pattern ${path} matches no files. Check the folder and the pattern (relative paths resolve from the project root; ** matches any depth).`,
        code: "glob_no_match",
        details: { pattern: path },
      });
    }
    return {
      pattern: path,
      format: format !== "auto" ? format : pick(formatFromExtension(path) ? path : String(first)),
      single: false,
    };
  }
  let s: Awaited<ReturnType<typeof stat>>;
  try {
    s = await stat(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new DataError({
        message: `${what}: data file not found: ${path}. Check the path (relative paths resolve from the project root) or create the file.`,
        code: "file_not_found",
        details: { file: path },
        cause: e,
      });
    }
    throw new DataError({
      message: `${what}: cannot read ${path}: ${(e as Error).message}`,
      code: "file_unreadable",
      details: { file: path },
      cause: e,
    });
  }
  if (s.isDirectory()) {
    const f = format !== "auto" ? format : await formatInFolder(path);
    if (!f) {
      throw new DataError({
        message: `${what}: the folder ${path} has no CSV, Parquet, JSON or JSON Lines files (by extension); point \`path\` at a file, a glob or a folder of data files, or set \`format\``,
        code: "glob_no_match",
        details: { folder: path },
      });
    }
    return { pattern: join(path, "**", `*.${EXTENSIONS[f]}`), format: f, single: false };
  }
  if (s.size === 0) {
    throw new DataError({
      message: `${what}: ${path} is empty${pick(path) === "csv" ? ": it has no header row. Write a header line with the column names, then one line per row." : "."}`,
      code: "empty_file",
      details: { file: path },
    });
  }
  return { pattern: path, format: pick(path), single: true };
}

const CSV_TYPES: Record<ForcedColumnType, string> = {
  numeric: "DOUBLE",
  categorical: "VARCHAR",
  bool: "BOOLEAN",
  datetime: "TIMESTAMPTZ",
};

function list(values: readonly string[]): string {
  return `[${values.map(quoteLiteral).join(", ")}]`;
}

/** The table function call that reads `files` (the path is the bound parameter `$__lolpop_path`). */
export function readFunction(files: ResolvedFiles, options: FileReadOptions, sampleAll = false): string {
  const common: string[] = [];
  if (options.hive_partitioning !== undefined && options.hive_partitioning !== "auto")
    common.push(`hive_partitioning = ${options.hive_partitioning}`);
  if (options.union_by_name) common.push("union_by_name = true");
  const tail = common.length ? `, ${common.join(", ")}` : "";
  if (files.format === "parquet") return `read_parquet($__lolpop_path${tail})`;
  if (files.format === "json" || files.format === "jsonl")
    return `read_json($__lolpop_path, format = ${files.format === "json" ? "'array'" : "'newline_delimited'"}${tail})`;
  const delimiter =
    (options.delimiter ?? ",") === "," && files.pattern.toLowerCase().endsWith(".tsv")
      ? "\t"
      : (options.delimiter ?? ",");
  const candidates = options.detect_dates
    ? ["BOOLEAN", "BIGINT", "DOUBLE", "DATE", "TIMESTAMP", "TIMESTAMPTZ", "VARCHAR"]
    : ["BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR"];
  const parts = [
    "header = true",
    `delim = ${quoteLiteral(delimiter)}`,
    `quote = '"'`,
    `escape = '"'`,
    "skip = 0",
    "comment = ''",
    `nullstr = ${list(options.na_values ?? DEFAULT_NA_VALUES)}`,
    `auto_type_candidates = ${list(candidates)}`,
  ];
  const forced = Object.entries(options.columns ?? {});
  if (forced.length)
    parts.push(
      `types = {${forced.map(([n, t]) => `${quoteLiteral(n)}: ${quoteLiteral(CSV_TYPES[t])}`).join(", ")}}`,
    );
  if (sampleAll) parts.push("sample_size = -1");
  return `read_csv($__lolpop_path, ${parts.join(", ")}${tail})`;
}

/** Splits the first CSV record of a file (for diagnostics only). */
async function csvHeader(path: string, delimiter: string): Promise<string[]> {
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    const text = buf
      .subarray(0, bytesRead)
      .toString("utf8")
      .replace(/^\uFEFF/, "");
    const fields: string[] = [];
    let field = "";
    let quoted = false;
    for (let i = 0; i < text.length; i++) {
      const ch = text[i]!;
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') {
          field += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else field += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === delimiter) {
        fields.push(field);
        field = "";
      } else if (ch === "\n" || ch === "\r") break;
      else field += ch;
    }
    fields.push(field);
    return fields;
  } finally {
    await fh.close();
  }
}

const CSV_LINE_RE = /CSV Error on Line: (\d+)/;

/**
 * Reads files into a {@link Table}.
 * @throws DataError naming the file and line for CSV problems (a ragged row, a value that does not
 * fit a forced type), and the errors of {@link resolveFiles} and {@link readQuery}.
 */
export async function readFiles(
  session: DuckDBSession,
  files: ResolvedFiles,
  options: FileReadOptions,
  what: string,
): Promise<Table> {
  const params = { __lolpop_path: files.pattern };
  // Parquet: the row count is in the files' metadata, and the result is streamed into arrays of that
  // size (see ReadRequest.stream).
  const parquet = files.format === "parquet" ? await parquetRows(session, files, options, what) : undefined;
  // CSV: forced types go to read_csv (its errors carry line numbers); readQuery still checks that
  // every forced column exists and finds nothing left to cast.
  const request = (sampleAll: boolean) => ({
    what,
    sql: `SELECT * FROM ${readFunction(files, options, sampleAll)}`,
    params,
    ...(options.columns ? { columns: options.columns } : {}),
    ...(options.bigint ? { bigint: options.bigint } : {}),
    ...(options.nested ? { nested: options.nested } : {}),
    ...(parquet ? { stream: true, rows: parquet.rows } : {}),
  });
  let table: Table;
  try {
    table = await readQuery(session, request(false));
  } catch (e) {
    if (files.format !== "csv" || !DuckDBQueryError.isInstance(e)) throw e;
    const message = (e.cause as Error | undefined)?.message ?? e.message;
    if (/This type was auto-detected/.test(message)) {
      // A value past DuckDB's type-sniffing sample: sniff the whole file, as LocalDataConnector does.
      try {
        table = await readQuery(session, request(true));
      } catch (e2) {
        throw csvError(e2, options, what);
      }
    } else if (files.single && /sniffing file/.test(message))
      throw await diagnoseDialect(session, files, options, what, e);
    else if (/COLUMN_TYPES error/.test(message))
      throw await unknownForcedColumn(session, files, options, what, e);
    else throw csvError(e, options, what);
  }
  if (table.numRows === 0 && files.single) {
    throw new DataError({
      message: `${what}: ${files.pattern} has ${files.format === "csv" ? `a header (${table.columnNames.join(", ")}) but ` : ""}no data rows; add at least one row.`,
      code: "no_rows",
      details: { file: files.pattern },
    });
  }
  return table;
}

/** Rows of Parquet files from their metadata (DuckDB answers count(*) without reading the data). */
async function parquetRows(
  session: DuckDBSession,
  files: ResolvedFiles,
  options: FileReadOptions,
  what: string,
): Promise<{ rows: number } | undefined> {
  try {
    const r = await session.run(
      `SELECT count(*)::DOUBLE FROM ${readFunction(files, options)}`,
      { what },
      { __lolpop_path: files.pattern },
    );
    const rows = r.chunkCount > 0 ? Number(r.getChunk(0).getRows()[0]?.[0]) : Number.NaN;
    return Number.isSafeInteger(rows) ? { rows } : undefined;
  } catch {
    return undefined; // the read itself reports what is wrong with the files
  }
}

/** `columns` names a column the CSV does not have: say which, and list the file's columns. */
async function unknownForcedColumn(
  session: DuckDBSession,
  files: ResolvedFiles,
  options: FileReadOptions,
  what: string,
  original: unknown,
): Promise<unknown> {
  try {
    const sql = `DESCRIBE SELECT * FROM ${readFunction(files, { ...options, columns: {} })}`;
    const r = await session.run(sql, { what }, { __lolpop_path: files.pattern });
    const names =
      r.chunkCount > 0
        ? r
            .getChunk(0)
            .getRows()
            .map((row) => String(row[0]))
        : [];
    const unknown = Object.keys(options.columns ?? {}).filter((n) => !names.includes(n));
    return new DataError({
      message: `${what}: \`columns\` sets a type for ${unknown.map((n) => `"${n}"`).join(", ")}, but the file has no such column (columns: ${names.join(", ")})`,
      code: "missing_column",
      details: { columns: unknown },
    });
  } catch {
    return original;
  }
}

/**
 * DuckDB's sniffer gives up on a ragged file without naming a line: read it again with the header's
 * columns and the dialect fixed, which reports the first bad line.
 */
async function diagnoseDialect(
  session: DuckDBSession,
  files: ResolvedFiles,
  options: FileReadOptions,
  what: string,
  original: unknown,
): Promise<unknown> {
  const delimiter =
    (options.delimiter ?? ",") === "," && files.pattern.toLowerCase().endsWith(".tsv")
      ? "\t"
      : (options.delimiter ?? ",");
  const header = await csvHeader(files.pattern, delimiter);
  const columns = `{${header.map((h, i) => `${quoteLiteral(h.trim() === "" ? `column_${i + 1}` : h)}: 'VARCHAR'`).join(", ")}}`;
  const probe = `SELECT count(*) FROM read_csv($__lolpop_path, auto_detect = false, header = true, delim = ${quoteLiteral(delimiter)}, quote = '"', escape = '"', skip = 0, comment = '', columns = ${columns})`;
  try {
    await session.run(probe, { what }, { __lolpop_path: files.pattern });
  } catch (e) {
    return csvError(e, options, what, header);
  }
  return csvError(original, options, what);
}

/** Rewrites DuckDB's CSV errors in LocalDataConnector's words (file, line, what to do). */
function csvError(e: unknown, options: FileReadOptions, what: string, header?: string[]): unknown {
  if (!DuckDBQueryError.isInstance(e)) return e;
  const message = (e.cause as Error | undefined)?.message ?? e.message;
  const line = CSV_LINE_RE.exec(message)?.[1];
  const columns = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(message);
  if (line && columns) {
    return new DataError({
      message: `${what}: line ${line} has ${columns[2]} field${columns[2] === "1" ? "" : "s"}, expected ${columns[1]} like the header${header ? ` (${header.join(", ")})` : ""}. Check the delimiter ("${options.delimiter ?? ","}") and the quoting of values that contain it.`,
      code: "ragged_row",
      details: { line: Number(line), expected: Number(columns[1]), found: Number(columns[2]) },
      cause: e,
    });
  }
  const conv =
    /Error when converting column "([^"]*)"\. Could not convert string "([^"]*)" to '([^']+)'/.exec(message);
  if (line && conv) {
    const [, column, value, type] = conv;
    const forced = options.columns?.[column!];
    const expected =
      type === "DOUBLE"
        ? "a number"
        : type === "BOOLEAN"
          ? "true/false"
          : /TIMESTAMP|DATE/.test(type!)
            ? "a date or timestamp"
            : `a ${type}`;
    return new DataError({
      message: forced
        ? `${what}: column "${column}" is set to ${forced} in \`columns\`, but the value "${value}" on line ${line} is not ${expected}; fix the value, add it to na_values, or change the column's type`
        : `${what}: column "${column}" holds ${expected} elsewhere, but the value "${value}" on line ${line} is not; fix the value, add it to na_values, or force the column's type in \`columns\``,
      code: "bad_value",
      details: { column, value, line: Number(line) },
      cause: e,
    });
  }
  if (line) {
    return new DataError({
      message: `${what}: invalid CSV on line ${line}: ${message.split("\n").slice(0, 3).join(" ")}`,
      code: "invalid_csv",
      details: { line: Number(line) },
      cause: e,
    });
  }
  return e;
}
