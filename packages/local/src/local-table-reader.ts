/**
 * Reading CSV, JSON and JSON Lines files into tables (what LocalDataConnector.get_data does; Parquet
 * is read by `local-table-parquet.ts`).
 *
 * CSV is read by the byte tokenizer of `local-table-csv.ts`, which types columns as it scans
 * (numbers straight into `Float64Array`s, text dictionary-encoded); a large file is cut at line
 * breaks into ranges of 4 MB that worker threads parse in parallel, merged in file order. No array
 * of row objects and no string per number is ever made. Types are inferred per column once the whole file is read:
 * - `numeric` when every non-missing value parses as a finite number;
 * - `bool` (a numeric column of 0/1 with logical type `bool`) when every value is `true`/`false`
 *   (any case);
 * - `categorical` otherwise (dictionary in first-seen order).
 * `datetime` is never inferred: force it with `columns: {when: datetime}` (values become epoch ms).
 * In JSON and JSON Lines the JSON types decide: numbers are numeric, booleans bool, strings
 * categorical (a string column is not turned numeric unless forced), nested values are kept as their
 * JSON text. Missing values (`na_values`, JSON `null`, absent keys) become NaN or code -1.
 * Files are UTF-8 unless `encoding` says `latin1` or `windows-1252`; invalid UTF-8 is an error naming
 * the line (never silently replaced by U+FFFD).
 */
import { isUtf8 } from "node:buffer";
import { closeSync, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { extname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { Readable } from "node:stream";
import { DataError, resolveWorkerScript, type Table, type WorkerTask, withWorkerPool } from "@lolpop/core";
import { buildTable, ColumnBuilder, type ExpectedTyping, Kind } from "./local-table-columns.js";
import {
  type ChunkColumn,
  type ChunkProblem,
  type ChunkResult,
  type CsvChunkSpec,
  type CsvWorkerRequest,
  cutPoint,
  decodeBytes,
  firstInvalidUtf8,
  parseCsvChunk,
  parseCsvHeader,
  rowLine,
  type TextEncoding,
} from "./local-table-csv.js";
import {
  type DataFormat,
  DEFAULT_NA_VALUES,
  type ForcedColumnType,
  formatFromExtension,
  pickDelimiter,
} from "./local-table-format.js";
import { type DataWarning, dataWarnings } from "./local-table-hygiene.js";
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
  /** Text encoding of the file. Default `utf-8` (invalid UTF-8 is an error naming the line). */
  encoding?: TextEncoding;
  /** Receives warnings about columns whose type is probably not what was meant (see `local-table-hygiene.ts`). */
  onWarning?: (warning: DataWarning) => void;
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

/** A range of the file, parsed. */
interface Piece {
  /** Byte range in the file. */
  fileStart: number;
  fileEnd: number;
  /** First row (0-based data row) and line (1-based file line) of the range. */
  startRow: number;
  startLine: number;
  result: ChunkResult;
}

/** Bytes per range handed to a worker thread. */
const CHUNK_BYTES = 4 << 20;
/** Files with more data bytes than this are parsed on worker threads. */
const PARALLEL_MIN_BYTES = 3 * CHUNK_BYTES;
/** Bytes of the first rows parsed first, to learn which columns are text. */
const PROBE_BYTES = 64 << 10;

const CSV_WORKER_FILE = "local-table-csv-worker.js";

/** Worker threads for parsing: one per core, at most 4; `LOLPOP_CSV_THREADS` overrides (0 or 1: none). */
function csvThreads(): number {
  const env = process.env.LOLPOP_CSV_THREADS;
  if (env !== undefined && env !== "" && Number.isInteger(Number(env))) return Math.max(0, Number(env));
  return Math.min(4, availableParallelism());
}

function csvWorkerScript(): URL | undefined {
  try {
    return resolveWorkerScript(CSV_WORKER_FILE, import.meta.url, "reinstall @lolpop/local");
  } catch {
    return undefined;
  }
}

/** Reads `length` bytes at `position` (fewer at the end of the file) into a new buffer after `prefix`. */
function readAt(fd: number, position: number, length: number, prefix?: Uint8Array): Uint8Array {
  const pre = prefix?.length ?? 0;
  const buf = new Uint8Array(new ArrayBuffer(pre + length));
  if (prefix) buf.set(prefix);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, pre + got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? buf : buf.subarray(0, pre + got);
}

function encodingError(path: string, line: number, byte: number, encoding: TextEncoding): DataError {
  return new DataError({
    message: `${path}: line ${line} is not valid ${encoding === "utf-8" ? "UTF-8" : encoding} (byte 0x${byte.toString(16).padStart(2, "0").toUpperCase()}). The file is probably in another encoding: set \`encoding\` in the data connector's config (latin1 or windows-1252), or re-save the file as UTF-8.`,
    code: "invalid_encoding",
    details: { file: path, line, encoding },
  });
}

function quoteError(path: string, line: number, detail: "unclosed" | "after-closing"): DataError {
  return new DataError({
    message:
      detail === "unclosed"
        ? `${path}: invalid CSV: the quoted field that starts on line ${line} is never closed; close it with a " or remove the stray quote.`
        : `${path}: invalid CSV: on line ${line} a closing quote is followed by more text; quote the whole field and write a quote inside it as "".`,
    code: "invalid_csv",
    details: { file: path, line },
  });
}

/** Lines (1-based, in the file) of data rows `rows` (sorted), from the parsed ranges (re-scanning ranges with multi-line rows). */
function linesOfRows(
  fd: number,
  pieces: readonly Piece[],
  rows: readonly number[],
  delimiter: number,
): number[] {
  const out: number[] = [];
  let k = 0;
  for (const row of rows) {
    while (k + 1 < pieces.length && pieces[k + 1]!.startRow <= row) k++;
    const piece = pieces[k]!;
    if (piece.result.simpleLines) out.push(piece.startLine + (row - piece.startRow));
    else {
      const bytes = readAt(fd, piece.fileStart, piece.fileEnd - piece.fileStart);
      out.push(piece.startLine - 1 + rowLine(bytes, row - piece.startRow, delimiter));
    }
  }
  return out;
}

async function readCsv(path: string, options: ReadTableOptions): Promise<Table> {
  const encoding = options.encoding ?? "utf-8";
  const delimiterText = pickDelimiter(path, options.delimiter);
  const delimiter = Buffer.from(delimiterText, "latin1")[0]!;
  const na = [...(options.na_values ?? DEFAULT_NA_VALUES)];
  const fd = openSync(path, "r");
  try {
    const size = fstatSync(fd).size;
    // ---- header
    let head = readAt(fd, 0, Math.min(size, PROBE_BYTES));
    let header: ReturnType<typeof parseCsvHeader>;
    const bom = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
    for (;;) {
      header = parseCsvHeader(head, bom, head.length, delimiter, encoding, head.length === size);
      if (header !== undefined || head.length === size) break;
      head = readAt(fd, 0, Math.min(size, head.length * 4));
    }
    if (header === undefined || ("fields" in header && header.fields.length === 0)) {
      throw new DataError({
        message: `${path} is empty: it has no header row. Write a header line with the column names, then one line per row.`,
        code: "empty_file",
        details: { file: path },
      });
    }
    if ("problem" in header) {
      const pr = header.problem;
      throw pr.kind === "quote"
        ? quoteError(path, pr.line, pr.detail)
        : new Error("unexpected header problem");
    }
    if (encoding === "utf-8" && !isUtf8(head.subarray(bom, header.next))) {
      const bad = firstInvalidUtf8(head, bom, header.next);
      throw encodingError(path, 1, head[bad]!, encoding);
    }
    const names = headerNames(header.fields, path);
    const ncols = names.length;
    const dataStart = header.next;
    const headerLines = header.lines;
    // ---- which columns start as text: forced categorical / bool, and text in the first rows
    const text = new Uint8Array(ncols);
    names.forEach((n, j) => {
      const f = options.columns?.[n];
      if (f === "categorical" || f === "bool") text[j] = 1;
    });
    const spec = (last: boolean): CsvChunkSpec => ({ delimiter, columns: ncols, na, encoding, text, last });
    if (size > dataStart) {
      const probeEnd = head.length === size ? head.length : cutPoint(head, head.length);
      if (probeEnd > dataStart) {
        const probe = parseCsvChunk(head, dataStart, probeEnd, spec(head.length === size));
        probe.columns.forEach((c, j) => {
          if (c.kind === "text") text[j] = 1;
        });
      }
    }
    // ---- the rows: on worker threads for large files, else here
    const pieces: Piece[] = [];
    let rows = 0;
    let line = 1 + headerLines;
    let stop: { piece: Piece; problem: ChunkProblem } | undefined;
    let badCut = false;
    const accept = (fileStart: number, fileEnd: number, result: ChunkResult): boolean => {
      const piece: Piece = { fileStart, fileEnd, startRow: rows, startLine: line, result };
      if (result.problem) {
        stop = { piece, problem: result.problem };
        return false;
      }
      if (!result.cleanEnd) {
        badCut = true;
        return false;
      }
      pieces.push(piece);
      rows += result.rows;
      line += result.lines;
      result.columns.forEach((c, j) => {
        if (c.kind === "text") text[j] = 1;
      });
      return true;
    };
    const threads = csvThreads();
    const script = threads > 1 && size - dataStart > PARALLEL_MIN_BYTES ? csvWorkerScript() : undefined;
    if (script) {
      const ranges: Array<[number, number]> = [];
      let position = dataStart;
      let carry: Uint8Array | undefined;
      function* tasks(): Generator<WorkerTask<CsvWorkerRequest>> {
        while (position < size || (carry && carry.length > 0)) {
          const bytes = readAt(fd, position, Math.min(CHUNK_BYTES, size - position), carry);
          const start = position - (carry?.length ?? 0);
          position += bytes.length - (carry?.length ?? 0);
          const last = position >= size;
          let cut = last ? bytes.length : cutPoint(bytes, bytes.length);
          if (cut <= 0) {
            // no line break outside quotes: read on with a larger range
            carry = bytes;
            if (!last) continue;
            cut = bytes.length;
          }
          carry = cut < bytes.length ? bytes.slice(cut) : undefined;
          ranges.push([start, start + cut]);
          yield {
            message: {
              bytes: bytes.buffer as ArrayBuffer,
              offset: bytes.byteOffset,
              length: cut,
              spec: spec(last && !carry),
            },
            transfer: [bytes.buffer as ArrayBuffer],
          };
          if (last && !carry) return;
        }
      }
      try {
        await withWorkerPool<CsvWorkerRequest, ChunkResult, void>(script, threads, async (pool) => {
          await pool.run(tasks(), {
            onResult: (result, index) => accept(ranges[index]![0], ranges[index]![1], result),
          });
        });
      } catch {
        badCut = true; // the threads failed: read the file on this thread instead
      }
    }
    if (!script || badCut) {
      // One range on this thread (also when a cut at a line break was wrong: a quote inside an
      // unquoted field can mislead the cutting; the single pass reads such files exactly).
      pieces.length = 0;
      rows = 0;
      line = 1 + headerLines;
      stop = undefined;
      badCut = false;
      const all = readAt(fd, dataStart, size - dataStart);
      accept(dataStart, size, parseCsvChunk(all, 0, all.length, spec(true)));
    }
    if (stop) {
      const { piece, problem } = stop;
      const at = piece.startLine + problem.line - 1;
      if (problem.kind === "encoding") throw encodingError(path, at, problem.byte, encoding);
      if (problem.kind === "quote") throw quoteError(path, at, problem.detail);
      throw new DataError({
        message: `${path}: line ${at} has ${problem.found} field${problem.found === 1 ? "" : "s"}, expected ${ncols} like the header (${names.join(", ")}). Check the delimiter ("${delimiterText}") and the quoting of values that contain it.`,
        code: "ragged_row",
        details: { file: path, line: at, expected: ncols, found: problem.found },
      });
    }
    if (rows === 0) {
      throw new DataError({
        message: `${path} has a header (${names.join(", ")}) but no data rows; add at least one row.`,
        code: "no_rows",
        details: { file: path },
      });
    }
    const builders = names.map((_, j) => finishCsvColumn(fd, pieces, j, rows, spec(true)));
    const locate = async (row: number) => `line ${linesOfRows(fd, pieces, [row], delimiter)[0]}`;
    const table = await buildTable(names, builders, path, options.columns, locate, options.expected);
    if (options.onWarning) {
      const linesOf = (rs: number[]) => linesOfRows(fd, pieces, rs, delimiter);
      for (const w of dataWarnings(table, path, options.columns ?? {}, na, linesOf)) options.onWarning(w);
    }
    return table;
  } finally {
    closeSync(fd);
  }
}

/**
 * Column `j` of all ranges as one builder: numbers when every range read numbers, else text with
 * one dictionary in first-seen order. A range that read numbers whose text differs from the
 * number's (`1.50`) is parsed again as text for this column.
 */
function finishCsvColumn(
  fd: number,
  pieces: Piece[],
  j: number,
  rows: number,
  spec: CsvChunkSpec,
): ColumnBuilder {
  if (pieces.every((p) => p.result.columns[j]!.kind === "number")) {
    const values = new Float64Array(rows);
    for (const p of pieces) {
      const c = p.result.columns[j] as Extract<ChunkColumn, { kind: "number" }>;
      values.set(c.values, p.startRow);
      p.result.columns[j] = { kind: "number", values: new Float64Array(0), nonCanonical: 0 };
    }
    return ColumnBuilder.ofNumbers(values);
  }
  const codes = new Int32Array(rows);
  const dict: string[] = [];
  const firstRow: number[] = [];
  const index = new Map<string, number>();
  const add = (s: string, row: number): number => {
    let code = index.get(s);
    if (code === undefined) {
      code = dict.length;
      dict.push(s);
      firstRow.push(row);
      index.set(s, code);
    }
    return code;
  };
  for (const p of pieces) {
    let c = p.result.columns[j]!;
    if (c.kind === "number" && c.nonCanonical > 0) {
      const bytes = readAt(fd, p.fileStart, p.fileEnd - p.fileStart);
      const asText = new Uint8Array(spec.columns);
      asText[j] = 1;
      c = parseCsvChunk(bytes, 0, bytes.length, { ...spec, text: asText }).columns[j]!;
    }
    if (c.kind === "number") {
      const v = c.values;
      for (let i = 0; i < v.length; i++) {
        const x = v[i]!;
        codes[p.startRow + i] = Number.isNaN(x) ? -1 : add(String(x), p.startRow + i);
      }
    } else {
      const map = new Int32Array(c.dict.length);
      for (let k = 0; k < c.dict.length; k++) map[k] = add(c.dict[k]!, p.startRow + c.firstRow[k]!);
      const local = c.codes;
      for (let i = 0; i < local.length; i++) {
        const x = local[i]!;
        codes[p.startRow + i] = x < 0 ? -1 : map[x]!;
      }
    }
    p.result.columns[j] = { kind: "number", values: new Float64Array(0), nonCanonical: 0 };
  }
  return ColumnBuilder.ofText(codes, dict, firstRow);
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

/** The text of a whole file in `encoding`; invalid UTF-8 under `utf-8` is an error naming the line. */
async function readText(path: string, encoding: TextEncoding): Promise<string> {
  const bytes = await readFile(path);
  if (encoding === "utf-8" && !isUtf8(bytes)) throw invalidUtf8(path, bytes);
  return decodeBytes(bytes, 0, bytes.length, encoding);
}

/** The error for the first invalid UTF-8 sequence of a file's bytes. */
function invalidUtf8(path: string, bytes: Uint8Array): DataError {
  const bad = firstInvalidUtf8(bytes, 0, bytes.length);
  let line = 1;
  for (let i = bytes.indexOf(10); i >= 0 && i < bad; i = bytes.indexOf(10, i + 1)) line++;
  return encodingError(path, line, bytes[bad]!, "utf-8");
}

/** Decoded chunks of a file stream (utf-8: fatal on invalid bytes). */
async function* decodedChunks(path: string, encoding: TextEncoding): AsyncGenerator<string> {
  if (encoding !== "utf-8") {
    // one byte per character: chunks decode independently
    for await (const chunk of createReadStream(path)) {
      const b = chunk as Buffer;
      yield decodeBytes(b, 0, b.length, encoding);
    }
    return;
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  try {
    for await (const chunk of createReadStream(path)) yield decoder.decode(chunk as Buffer, { stream: true });
    yield decoder.decode();
  } catch (e) {
    // (checked by code: the TypeError may come from another realm)
    if ((e as { code?: unknown })?.code === "ERR_ENCODING_INVALID_ENCODED_DATA" && encoding === "utf-8") {
      throw invalidUtf8(path, await readFile(path));
    }
    throw e;
  }
}

async function readJson(path: string, options: ReadTableOptions): Promise<Table> {
  const text = await readText(path, options.encoding ?? "utf-8");
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
    input: Readable.from(decodedChunks(path, options.encoding ?? "utf-8")),
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
