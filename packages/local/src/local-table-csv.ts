/**
 * The CSV tokenizer of the table reader: it scans a range of a file's bytes and types each column
 * while it scans. A column starts as numbers, parsed straight from the bytes (no string per cell);
 * text columns are dictionary-encoded by hashing the bytes, so a string is made once per distinct
 * value. A column that meets a value which is neither a number nor missing is re-scanned as text
 * from the start of the range (usually on its first row).
 *
 * RFC 4180 quoting: a field that starts with `"` is quoted (`""` inside is one quote; it may span
 * lines); a quote inside an unquoted field is kept as text. Lines end with `\n`, `\r\n` or `\r`;
 * empty lines are skipped. The ranges are cut by the reader at line ends outside quotes, so ranges
 * can be parsed in parallel (this module imports nothing from lolpop, so worker threads start fast).
 *
 * Numbers are what `Number()` reads from the decimal forms `[+-]digits[.digits][e[+-]digits]`
 * (also `.5` and `5.`), with spaces around allowed; the value is exact (the common short forms are
 * converted from their digits directly, the rest by `Number()` on the text).
 */
import { isUtf8 } from "node:buffer";

/** Text encodings of data files. */
export type TextEncoding = "utf-8" | "latin1" | "windows-1252";

/** Text encodings of data files, as accepted in config. */
export const TEXT_ENCODINGS: readonly TextEncoding[] = ["utf-8", "latin1", "windows-1252"];

/** What a range of a CSV file is parsed with. */
export interface CsvChunkSpec {
  /** The delimiter byte. */
  delimiter: number;
  /** Fields per row (the header's). */
  columns: number;
  /** Strings read as missing values (compared before and after trimming spaces). */
  na: readonly string[];
  encoding: TextEncoding;
  /** 1 for each column to parse as text from the start. */
  text: Uint8Array;
  /** True when the range ends the file (an unclosed quote is an error there, not a bad cut). */
  last: boolean;
}

/** One column of a parsed range. */
export type ChunkColumn =
  | {
      kind: "number";
      values: Float64Array;
      /** Cells whose text is not `String(value)` (e.g. `1.50`, `007`, ` 3`): their text is not kept. */
      nonCanonical: number;
    }
  | {
      kind: "text";
      /** Code of each row in `dict`, -1 for missing. */
      codes: Int32Array;
      /** Distinct values in first-seen order (a value may appear twice when written two ways, e.g. quoted with `""`). */
      dict: string[];
      /** Row (in the range) where each entry of `dict` was first seen. */
      firstRow: Int32Array;
    };

/** Why a range could not be read. Lines are 1-based within the range. */
export type ChunkProblem =
  | { kind: "ragged"; row: number; line: number; found: number }
  | { kind: "quote"; line: number; detail: "unclosed" | "after-closing" }
  | { kind: "encoding"; line: number; byte: number };

/** A parsed range of a CSV file. */
export interface ChunkResult {
  /** Rows read (before a problem, when there is one). */
  rows: number;
  /** Line breaks consumed. */
  lines: number;
  /** True when row r starts on line r + 1 of the range (no empty lines, no line breaks inside fields). */
  simpleLines: boolean;
  /** False when the range ends inside a quoted field (the reader then cut it at the wrong place). */
  cleanEnd: boolean;
  columns: ChunkColumn[];
  problem?: ChunkProblem;
}

const QUOTE = 34;
const LF = 10;
const CR = 13;
const MAX_SAFE = 9007199254740992;
const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Parses a finite decimal number (no hex, no Infinity, no empty string; spaces around allowed); NaN otherwise. */
export function parseDecimal(text: string): number {
  const s = text.trim();
  if (!NUMBER_RE.test(s)) return Number.NaN;
  const v = Number(s);
  return Number.isFinite(v) ? v : Number.NaN;
}

/**
 * Windows-1252 code points of bytes 0x80-0x9F (where it differs from latin-1); 0 = the five unused
 * bytes, which decode to the C1 control of the same value (as browsers do). Node's own
 * `TextDecoder("windows-1252")` drops some of these bytes, so the table is applied here.
 */
const WIN1252_HIGH = [
  0x20ac, 0, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0,
  0x017d, 0, 0, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a,
  0x0153, 0, 0x017e, 0x0178,
];
const C1_RE = /[\u0080-\u009f]/g;

function fromWin1252High(ch: string): string {
  const cp = WIN1252_HIGH[ch.charCodeAt(0) - 0x80]!;
  return cp ? String.fromCharCode(cp) : ch;
}

/** Decodes bytes `[s, e)` in `encoding`. */
export function decodeBytes(bytes: Uint8Array, s: number, e: number, encoding: TextEncoding): string {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (encoding === "utf-8") return buf.toString("utf8", s, e);
  const text = buf.toString("latin1", s, e);
  return encoding === "windows-1252" ? text.replace(C1_RE, fromWin1252High) : text;
}

/** Byte offset of the first invalid UTF-8 sequence in `[s, e)`, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array, s: number, e: number): number {
  let i = s;
  while (i < e) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else return i;
    if (i + need >= e) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Number of `\n` in `[s, e)` (the upper bound of rows a range holds, minus one). */
function countLf(bytes: Uint8Array, s: number, e: number): number {
  let n = 0;
  let i = bytes.indexOf(LF, s);
  while (i >= 0 && i < e) {
    n++;
    i = bytes.indexOf(LF, i + 1);
  }
  return n;
}

/** Line (1-based, within the range starting at `s`) of byte offset `at`. */
function lineAt(bytes: Uint8Array, s: number, at: number): number {
  let line = 1;
  for (let i = s; i < at; i++) {
    const c = bytes[i]!;
    if (c === LF) line++;
    else if (c === CR && bytes[i + 1] !== LF) line++;
  }
  return line;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

/** Missing-value matching on bytes (short fields only), with the trimmed comparison. */
class NaMatcher {
  readonly #bytes: Uint8Array[];
  readonly #strings: Set<string>;
  readonly maxLength: number;
  /** An NA string is a number (then numbers are checked against NA first). */
  readonly numeric: boolean;
  /** The empty field is missing. */
  readonly empty: boolean;
  /** Some NA string is not ASCII: compare decoded strings. */
  readonly #decode: boolean;

  constructor(na: readonly string[]) {
    this.#strings = new Set(na);
    this.#decode = na.some((s) => [...s].some((ch) => ch.charCodeAt(0) > 0x7f));
    this.#bytes = na.filter((s) => s.length > 0).map((s) => Buffer.from(s, "latin1"));
    this.maxLength = this.#decode ? Number.POSITIVE_INFINITY : Math.max(0, ...na.map((s) => s.length));
    this.numeric = na.some((s) => !Number.isNaN(parseDecimal(s)));
    this.empty = this.#strings.has("");
  }

  /** True when bytes `[s, e)` are a missing value (as is, or with spaces trimmed). */
  test(bytes: Uint8Array, s: number, e: number, encoding: TextEncoding): boolean {
    if (this.#decode) return this.testString(decodeBytes(bytes, s, e, encoding));
    if (this.#match(bytes, s, e)) return true;
    if (e > s && (bytes[s]! <= 32 || bytes[e - 1]! <= 32)) {
      let a = s;
      let b = e;
      while (a < b && isSpace(bytes[a]!)) a++;
      while (b > a && isSpace(bytes[b - 1]!)) b--;
      return (a > s || b < e) && this.#match(bytes, a, b);
    }
    return false;
  }

  /** {@link test} of a decoded value. */
  testString(t: string): boolean {
    if (this.#strings.has(t)) return true;
    return (
      t.length > 0 &&
      (t.charCodeAt(0) <= 32 || t.charCodeAt(t.length - 1) <= 32) &&
      this.#strings.has(t.trim())
    );
  }

  #match(bytes: Uint8Array, s: number, e: number): boolean {
    const len = e - s;
    if (len === 0) return this.#strings.has("");
    if (len > this.maxLength) return false;
    for (const na of this.#bytes) {
      if (na.length !== len) continue;
      let k = 0;
      while (k < len && na[k] === bytes[s + k]) k++;
      if (k === len) return true;
    }
    return false;
  }
}

/** A dictionary of one text column in one range: byte-hashed, a string per distinct value. */
class ByteDictionary {
  dict: string[] = [];
  firstRow: number[] = [];
  #repStart: number[] = [];
  #repEnd: number[] = [];
  #table = new Int32Array(1024);
  #mask = 1023;
  #decoded = new Map<string, number>();

  constructor(
    private readonly bytes: Buffer,
    private readonly encoding: TextEncoding,
  ) {}

  /** Code of the (unescaped) bytes `[s, e)` with hash `h`. */
  code(s: number, e: number, h: number, row: number): number {
    const bytes = this.bytes;
    const len = e - s;
    let slot = h & this.#mask;
    for (;;) {
      const c = this.#table[slot]! - 1;
      if (c < 0) break;
      const rs = this.#repStart[c]!;
      if (this.#repEnd[c]! - rs === len) {
        let k = 0;
        while (k < len && bytes[rs + k] === bytes[s + k]) k++;
        if (k === len) return c;
      }
      slot = (slot + 1) & this.#mask;
    }
    const code = this.dict.length;
    this.dict.push(decodeBytes(bytes, s, e, this.encoding));
    this.firstRow.push(row);
    this.#repStart.push(s);
    this.#repEnd.push(e);
    this.#table[slot] = code + 1;
    if (this.dict.length * 2 > this.#mask) this.#grow();
    return code;
  }

  /** Code of a value that had to be decoded (a quoted field with `""` inside). */
  codeOfText(text: string, row: number): number {
    let code = this.#decoded.get(text);
    if (code === undefined) {
      code = this.dict.length;
      this.dict.push(text);
      this.firstRow.push(row);
      this.#repStart.push(0);
      this.#repEnd.push(-1); // never matches bytes
      this.#decoded.set(text, code);
    }
    return code;
  }

  #grow(): void {
    const size = (this.#mask + 1) * 2;
    const table = new Int32Array(size);
    const mask = size - 1;
    const bytes = this.bytes;
    for (let c = 0; c < this.dict.length; c++) {
      const s = this.#repStart[c]!;
      const e = this.#repEnd[c]!;
      if (e < s) continue; // decoded entries live in #decoded only
      let h = 0x811c9dc5;
      for (let i = s; i < e; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
      let slot = h & mask;
      while (table[slot] !== 0) slot = (slot + 1) & mask;
      table[slot] = c + 1;
    }
    this.#table = table;
    this.#mask = mask;
  }
}

/** Where {@link scanField} found a field. */
class FieldScan {
  /** Content `[start, end)` (inside the quotes of a quoted field). */
  start = 0;
  end = 0;
  /** Offset of the terminator: a delimiter, a line break or the end of the range. */
  next = 0;
  /** The content has `""` (one quote each). */
  escaped = false;
  /** Line breaks inside the quotes. */
  lines = 0;
  problem: ChunkProblem | undefined;
  /** The range ended inside quotes before its end (a bad cut, unless it ends the file). */
  unclosed = false;
}

/**
 * Scans the field at `q` into `f`. Returns false on a quoting problem (`f.problem`, or
 * `f.unclosed` when a quoted field runs past `end` and `last` is false).
 */
function scanField(
  bytes: Buffer,
  q: number,
  end: number,
  delim: number,
  rangeStart: number,
  last: boolean,
  f: FieldScan,
): boolean {
  f.escaped = false;
  f.lines = 0;
  if (q < end && bytes[q] === QUOTE) {
    let i = q + 1;
    for (;;) {
      const k = bytes.indexOf(QUOTE, i);
      if (k < 0 || k >= end) {
        if (last) f.problem = { kind: "quote", line: lineAt(bytes, rangeStart, q), detail: "unclosed" };
        else f.unclosed = true;
        return false;
      }
      if (k + 1 < end && bytes[k + 1] === QUOTE) {
        f.escaped = true;
        i = k + 2;
        continue;
      }
      for (let m = q + 1; m < k; m++) {
        const c = bytes[m]!;
        if (c === LF || (c === CR && bytes[m + 1] !== LF)) f.lines++;
      }
      f.start = q + 1;
      f.end = k;
      f.next = k + 1;
      if (f.next < end) {
        const c = bytes[f.next]!;
        if (c !== delim && c !== LF && c !== CR) {
          f.problem = { kind: "quote", line: lineAt(bytes, rangeStart, f.next), detail: "after-closing" };
          return false;
        }
      }
      return true;
    }
  }
  let i = q;
  while (i < end) {
    const c = bytes[i]!;
    if (c === delim || c === LF || c === CR) break;
    i++;
  }
  f.start = q;
  f.end = i;
  f.next = i;
  return true;
}

function unescapeQuotes(bytes: Buffer, f: FieldScan, encoding: TextEncoding): string {
  return decodeBytes(bytes, f.start, f.end, encoding).replaceAll('""', '"');
}

/** Thrown inside a parse to re-scan column `column` as text. */
class AsText {
  constructor(readonly column: number) {}
}

/**
 * Parses rows of `bytes[start, end)` (which starts at a row) into typed columns. Re-scans from
 * `start` when a number column turns out to hold text, with that column as text.
 */
export function parseCsvChunk(
  bytes: Uint8Array,
  start: number,
  end: number,
  spec: CsvChunkSpec,
): ChunkResult {
  if (spec.encoding === "utf-8" && !isUtf8(bytes.subarray(start, end))) {
    const bad = firstInvalidUtf8(bytes, start, end);
    return {
      rows: 0,
      lines: 0,
      simpleLines: false,
      cleanEnd: true,
      columns: [],
      problem: { kind: "encoding", line: lineAt(bytes, start, bad), byte: bytes[bad]! },
    };
  }
  const text = Uint8Array.from(spec.text);
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (;;) {
    try {
      return parseOnce(buf, start, end, spec, text);
    } catch (e) {
      if (!(e instanceof AsText)) throw e;
      text[e.column] = 1;
    }
  }
}

function parseOnce(
  bytes: Buffer,
  start: number,
  end: number,
  spec: CsvChunkSpec,
  text: Uint8Array,
): ChunkResult {
  const ncols = spec.columns;
  const delim = spec.delimiter;
  const encoding = spec.encoding;
  const na = new NaMatcher(spec.na);
  const naNumeric = na.numeric;
  const capacity = countLf(bytes, start, end) + 1;
  const values: Float64Array[] = [];
  const codes: Int32Array[] = [];
  const dicts: ByteDictionary[] = [];
  const nonCanonical = new Int32Array(ncols);
  for (let j = 0; j < ncols; j++) {
    if (text[j]) {
      codes[j] = new Int32Array(capacity);
      dicts[j] = new ByteDictionary(bytes, encoding);
      values[j] = new Float64Array(0);
    } else {
      values[j] = new Float64Array(capacity);
      codes[j] = new Int32Array(0);
    }
  }
  let p = start;
  let row = 0;
  let line = 1;
  let simpleLines = true;
  let problem: ChunkProblem | undefined;
  let cleanEnd = true;

  const f = new FieldScan();

  rows: while (p < end) {
    // Skip empty lines.
    let c = bytes[p]!;
    if (c === LF || c === CR) {
      p += c === CR && p + 1 < end && bytes[p + 1] === LF ? 2 : 1;
      line++;
      simpleLines = false;
      continue;
    }
    const rowLine = line;
    for (let j = 0; j < ncols; j++) {
      // p is at the field's first byte (or at `end` / a line break for an empty last field).
      let terminator: number;
      if (!text[j]) {
        // ---- number fast path
        let i = p;
        let neg = false;
        let canonical = true;
        c = i < end ? bytes[i]! : -1;
        if (c === 45) {
          neg = true;
          c = ++i < end ? bytes[i]! : -1;
        } else if (c === 43) {
          canonical = false;
          c = ++i < end ? bytes[i]! : -1;
        }
        let mant = 0;
        const intStart = i;
        while (c >= 48 && c <= 57) {
          mant = mant * 10 + (c - 48);
          c = ++i < end ? bytes[i]! : -1;
        }
        const intDigits = i - intStart;
        if (intDigits > 1 && bytes[intStart] === 48) canonical = false;
        let fracDigits = 0;
        let fracZeros = -1;
        if (c === 46) {
          c = ++i < end ? bytes[i]! : -1;
          const fracStart = i;
          while (c >= 48 && c <= 57) {
            if (fracZeros < 0 && c !== 48) fracZeros = i - fracStart;
            mant = mant * 10 + (c - 48);
            c = ++i < end ? bytes[i]! : -1;
          }
          fracDigits = i - fracStart;
          if (fracDigits === 0 || bytes[i - 1] === 48) canonical = false;
          if (intDigits === 0) canonical = false;
          else if (intDigits === 1 && bytes[intStart] === 48 && fracZeros >= 6) canonical = false; // 1e-7
        }
        let ok = intDigits + fracDigits > 0;
        let exp = 0;
        if (ok && (c === 101 || c === 69)) {
          canonical = false;
          c = ++i < end ? bytes[i]! : -1;
          let eneg = false;
          if (c === 45 || c === 43) {
            eneg = c === 45;
            c = ++i < end ? bytes[i]! : -1;
          }
          const expStart = i;
          while (c >= 48 && c <= 57) {
            if (exp < 100000) exp = exp * 10 + (c - 48);
            c = ++i < end ? bytes[i]! : -1;
          }
          if (i === expStart) ok = false;
          if (eneg) exp = -exp;
        }
        if (ok && (c === delim || c === LF || c === CR || c === -1)) {
          // A number up to its terminator.
          if (naNumeric && na.test(bytes, p, i, encoding)) {
            values[j]![row] = Number.NaN;
          } else {
            const e10 = exp - fracDigits;
            let v: number;
            if (mant < MAX_SAFE && e10 >= -22 && e10 <= 22) {
              v = e10 >= 0 ? mant * POW10[e10]! : mant / POW10[-e10]!;
              if (neg) v = -v;
            } else v = Number(decodeBytes(bytes, p, i, "latin1"));
            if (!Number.isFinite(v)) throw new AsText(j);
            if (canonical && (i - p > 15 || (neg && v === 0))) canonical = false;
            if (!canonical) nonCanonical[j]!++;
            values[j]![row] = v;
          }
          terminator = c;
          p = i;
        } else {
          // ---- generic path: missing value, number with spaces or quotes, or text
          if (!scanField(bytes, p, end, delim, start, spec.last, f)) {
            problem = f.problem;
            cleanEnd = !f.unclosed;
            break rows;
          }
          if (!f.escaped && na.test(bytes, f.start, f.end, encoding)) {
            values[j]![row] = Number.NaN;
          } else {
            const t = f.escaped
              ? unescapeQuotes(bytes, f, encoding)
              : decodeBytes(bytes, f.start, f.end, encoding);
            if (f.escaped && na.testString(t)) {
              values[j]![row] = Number.NaN;
            } else {
              const v = parseDecimal(t);
              if (Number.isNaN(v)) throw new AsText(j);
              if (String(v) !== t) nonCanonical[j]!++;
              values[j]![row] = v;
            }
          }
          if (f.lines) {
            line += f.lines;
            simpleLines = false;
          }
          p = f.next;
          terminator = p < end ? bytes[p]! : -1;
        }
      } else {
        // ---- text column
        c = p < end ? bytes[p]! : -1;
        if (c !== QUOTE) {
          let h = 0x811c9dc5;
          let i = p;
          while (c !== delim && c !== LF && c !== CR && c !== -1) {
            h = Math.imul(h ^ c, 0x01000193);
            c = ++i < end ? bytes[i]! : -1;
          }
          if (i - p <= na.maxLength && na.test(bytes, p, i, encoding)) codes[j]![row] = -1;
          else if ((i === p || bytes[p]! <= 32 || bytes[i - 1]! <= 32) && na.test(bytes, p, i, encoding))
            codes[j]![row] = -1;
          else codes[j]![row] = dicts[j]!.code(p, i, h, row);
          terminator = c;
          p = i;
        } else {
          if (!scanField(bytes, p, end, delim, start, spec.last, f)) {
            problem = f.problem;
            cleanEnd = !f.unclosed;
            break rows;
          }
          if (f.escaped) {
            const t = unescapeQuotes(bytes, f, encoding);
            codes[j]![row] = na.testString(t) ? -1 : dicts[j]!.codeOfText(t, row);
          } else if (na.test(bytes, f.start, f.end, encoding)) codes[j]![row] = -1;
          else {
            let h = 0x811c9dc5;
            for (let i = f.start; i < f.end; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
            codes[j]![row] = dicts[j]!.code(f.start, f.end, h, row);
          }
          if (f.lines) {
            line += f.lines;
            simpleLines = false;
          }
          p = f.next;
          terminator = p < end ? bytes[p]! : -1;
        }
      }
      // ---- after the field
      if (terminator === delim) {
        p++;
        if (j === ncols - 1) {
          // More fields than the header: count them to the end of the line.
          let found = ncols + 1;
          while (p < end) {
            if (!scanField(bytes, p, end, delim, start, spec.last, f)) break;
            p = f.next;
            if (p < end && bytes[p] === delim) {
              found++;
              p++;
            } else break;
          }
          problem = { kind: "ragged", row, line: rowLine, found };
          break rows;
        }
      } else {
        // a line break or the end of the range
        if (j < ncols - 1) {
          problem = { kind: "ragged", row, line: rowLine, found: j + 1 };
          break rows;
        }
        if (terminator === CR) p += p + 1 < end && bytes[p + 1] === LF ? 2 : 1;
        else if (terminator === LF) p++;
        if (terminator !== -1) line++;
      }
    }
    row++;
  }
  if (problem) cleanEnd = true;
  const columns: ChunkColumn[] = [];
  for (let j = 0; j < ncols; j++) {
    if (text[j]) {
      const d = dicts[j]!;
      columns.push({
        kind: "text",
        codes: codes[j]!.subarray(0, row),
        dict: d.dict,
        firstRow: Int32Array.from(d.firstRow),
      });
    } else
      columns.push({ kind: "number", values: values[j]!.subarray(0, row), nonCanonical: nonCanonical[j]! });
  }
  return {
    rows: row,
    lines: line - 1,
    simpleLines,
    cleanEnd,
    columns,
    ...(problem ? { problem } : {}),
  };
}

/**
 * Parses the first record at `start` as strings (the header), or returns undefined when there is no
 * complete record in `[start, end)` (then read more). `next` is the offset after the record's line
 * break; `lines` the line breaks consumed (empty lines before it included).
 */
export function parseCsvHeader(
  bytes: Uint8Array,
  start: number,
  end: number,
  delimiter: number,
  encoding: TextEncoding,
  last: boolean,
): { fields: string[]; next: number; lines: number } | { problem: ChunkProblem } | undefined {
  let p = start;
  let lines = 0;
  while (p < end && (bytes[p] === LF || bytes[p] === CR)) {
    p += bytes[p] === CR && bytes[p + 1] === LF ? 2 : 1;
    lines++;
  }
  if (p >= end) return last ? { fields: [], next: end, lines } : undefined;
  const fields: string[] = [];
  for (;;) {
    let s: number;
    let e: number;
    let escaped = false;
    if (bytes[p] === QUOTE) {
      let i = p + 1;
      let k: number;
      for (;;) {
        k = bytes.indexOf(QUOTE, i);
        if (k < 0 || k >= end) {
          if (!last) return undefined;
          return { problem: { kind: "quote", line: lineAt(bytes, start, p), detail: "unclosed" } };
        }
        if (k + 1 < end && bytes[k + 1] === QUOTE) {
          escaped = true;
          i = k + 2;
          continue;
        }
        break;
      }
      s = p + 1;
      e = k;
      p = k + 1;
      if (p < end && bytes[p] !== delimiter && bytes[p] !== LF && bytes[p] !== CR)
        return { problem: { kind: "quote", line: lineAt(bytes, start, p), detail: "after-closing" } };
    } else {
      s = p;
      while (p < end && bytes[p] !== delimiter && bytes[p] !== LF && bytes[p] !== CR) p++;
      e = p;
    }
    if (p >= end && !last) return undefined;
    for (let m = s; m < e; m++) if (bytes[m] === LF || (bytes[m] === CR && bytes[m + 1] !== LF)) lines++;
    const t = decodeBytes(bytes, s, e, encoding);
    fields.push(escaped ? t.replaceAll('""', '"') : t);
    if (p < end && bytes[p] === delimiter) {
      p++;
      continue;
    }
    if (p < end) {
      p += bytes[p] === CR && bytes[p + 1] === LF ? 2 : 1;
      lines++;
    }
    return { fields, next: p, lines };
  }
}

/**
 * Where to cut `bytes[0, length)` so that the first part ends with a line break outside quotes
 * (counting quotes: exact for RFC 4180 files; a quote inside an unquoted field can mislead it, which
 * the parse of the range then detects as an unclean end). Returns the offset after the line break,
 * or -1 when there is none.
 */
export function cutPoint(bytes: Uint8Array, length: number): number {
  const last = bytes.lastIndexOf(LF, length - 1);
  if (last < 0) return -1;
  const quotes: number[] = [];
  let q = bytes.indexOf(QUOTE);
  while (q >= 0 && q < last) {
    quotes.push(q);
    q = bytes.indexOf(QUOTE, q + 1);
  }
  if (quotes.length % 2 === 0) return last + 1;
  // The last line break with an even number of quotes before it: in the gap before quote k (k even).
  for (let k = quotes.length - 1; k >= 0; k--) {
    if (k % 2 !== 0) continue;
    const lo = k === 0 ? -1 : quotes[k - 1]!;
    const nl = bytes.lastIndexOf(LF, quotes[k]!);
    if (nl > lo) return nl + 1;
  }
  return -1;
}

/** Line (1-based, within the range `bytes` that starts at a row) on which row `row` (0-based) starts. */
export function rowLine(bytes: Uint8Array, row: number, delimiter: number): number {
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const end = buf.length;
  const f = new FieldScan();
  let p = 0;
  let line = 1;
  let r = 0;
  while (p < end) {
    const c = buf[p]!;
    if (c === LF || c === CR) {
      p += c === CR && buf[p + 1] === LF ? 2 : 1;
      line++;
      continue;
    }
    if (r === row) return line;
    for (;;) {
      if (!scanField(buf, p, end, delimiter, 0, true, f)) return line;
      line += f.lines;
      p = f.next;
      if (p < end && buf[p] === delimiter) p++;
      else break;
    }
    if (p < end) {
      p += buf[p] === CR && buf[p + 1] === LF ? 2 : 1;
      line++;
    }
    r++;
  }
  return line;
}

/** A range handed to a CSV worker thread: `bytes[offset, offset + length)` parsed with `spec`. */
export interface CsvWorkerRequest {
  bytes: ArrayBuffer;
  offset: number;
  length: number;
  spec: CsvChunkSpec;
}

/** Parses a worker request, and lists the buffers of the result to move back. */
export function parseCsvRequest(msg: CsvWorkerRequest): { result: ChunkResult; transfer: ArrayBuffer[] } {
  const result = parseCsvChunk(new Uint8Array(msg.bytes, msg.offset, msg.length), 0, msg.length, msg.spec);
  const transfer: ArrayBuffer[] = [];
  for (const c of result.columns) {
    if (c.kind === "number") transfer.push(c.values.buffer as ArrayBuffer);
    else transfer.push(c.codes.buffer as ArrayBuffer, c.firstRow.buffer as ArrayBuffer);
  }
  return { result, transfer };
}
