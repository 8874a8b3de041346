/**
 * Converts a materialized DuckDB result into a lolpop {@link Table} column by column, straight from
 * DuckDB's vectors: numeric data is read through typed-array views of each vector's buffer and its
 * validity bitmap (no per-cell JS value), strings are dictionary-encoded through a hash of DuckDB's
 * 16-byte string headers, so a repeated string is decoded once per result (short strings) or once
 * per chunk (long ones).
 *
 * Type mapping (see README "Type mapping"):
 * - BOOLEAN -> numeric `bool`; TINYINT..INTEGER, UTINYINT..UINTEGER -> numeric `int`;
 * - BIGINT, UBIGINT, HUGEINT, UHUGEINT -> numeric `int` while every value is within ±2^53, else by
 *   `bigint`: `error` (default), `double` (nearest double) or `string` (categorical decimal text);
 * - FLOAT, DOUBLE -> numeric `float` (NaN is missing, like NULL); DECIMAL -> numeric `float`, the
 *   nearest double to the exact decimal;
 * - DATE, TIMESTAMP[_S|_MS|_NS], TIMESTAMPTZ -> numeric `datetime`, epoch milliseconds (UTC instants;
 *   a naive TIMESTAMP is read as UTC; sub-millisecond precision is kept as a fraction);
 * - VARCHAR -> categorical (dictionary in first-seen order); ENUM -> categorical (the enum's order,
 *   unused members dropped);
 * - NULL -> NaN or code -1.
 * Nested types, UUID and the types of {@link UNSUPPORTED_TYPE_HINTS} are handled (cast or refused)
 * before the query runs, by the projection in duckdb-query.ts.
 */
import type { DuckDBDataChunk, DuckDBMaterializedResult, DuckDBResult, DuckDBType } from "@duckdb/node-api";
import { type Column, DataError, Table } from "@lolpop/core";
import type { DuckDBBindings } from "./duckdb-runtime.js";
import {
  type BigIntPolicy,
  MAX_EXACT_INTEGER,
  DuckDBTypeIds as T,
  UNSUPPORTED_TYPE_HINTS,
} from "./duckdb-types.js";

/** Options of {@link resultToTable}. */
export interface ResultToTableOptions {
  /** Integers beyond ±2^53: `error` (default), `double` or `string`. */
  bigint?: BigIntPolicy;
  /** Names the data in errors, e.g. a file or `query`. */
  what: string;
  /** Expected row count of a streamed result (a hint: more or fewer rows are still read correctly). */
  rows?: number;
}

const TWO_32 = 4294967296;

interface ColumnReader {
  /**
   * Reads `count` rows of one chunk's vector into the current segment at `offset` (`hashes`:
   * DuckDB's hash of each string).
   */
  read(vector: unknown, count: number, offset: number, hashes?: unknown): void;
  /** Ends the current segment after `used` rows and starts one of `rows` rows. */
  segment(used: number, rows: number): void;
  /** The column, the last segment ending after `used` rows. */
  finish(used: number): Column;
}

/**
 * A column's output written in segments: one of the result's row count when DuckDB materialized it
 * (no copy at the end), else segments of {@link STREAM_SEGMENT_ROWS} joined once at the end (no
 * regrowing of one array while a streamed result arrives).
 */
class Segments<A extends Float64Array | Int32Array> {
  readonly #parts: A[] = [];
  /** Rows in the segments before the current one. */
  base = 0;
  constructor(
    private readonly make: (rows: number) => A,
    public current: A,
  ) {}

  next(used: number, rows: number): void {
    this.#parts.push(this.current.subarray(0, used) as A);
    this.base += used;
    this.current = this.make(rows);
  }

  join(used: number): A {
    const last = this.current.length === used ? this.current : (this.current.subarray(0, used) as A);
    if (this.#parts.length === 0) return last === this.current ? last : (last.slice() as A);
    const out = this.make(this.base + used);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    out.set(last, at);
    this.#parts.length = 0;
    return out;
  }
}

/** Rows per output segment while a streamed result is read. */
const STREAM_SEGMENT_ROWS = 1 << 17;
const float64s = (rows: number) => new Float64Array(rows);
const int32s = (rows: number) => new Int32Array(rows);

/** A value that does not fit the table; reported with its column and 0-based row. */
class UnfitValue extends Error {
  constructor(
    readonly column: string,
    readonly row: number,
    readonly value: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function isValid(validity: Uint8Array | null | undefined, i: number): boolean {
  return !validity || (validity[i >>> 3]! & (1 << (i & 7))) !== 0;
}

class NumericReader implements ColumnReader {
  readonly #out: Segments<Float64Array>;
  bigText: string[] | undefined;
  constructor(
    private readonly b: DuckDBBindings,
    private readonly name: string,
    private readonly typeId: number,
    private readonly logical: "float" | "int" | "bool" | "datetime",
    private readonly width: number,
    rows: number,
    private readonly decode: (data: Uint8Array, count: number, out: Float64Array, offset: number) => void,
    private readonly bigint: BigIntPolicy,
  ) {
    this.#out = new Segments(float64s, new Float64Array(rows));
  }

  segment(used: number, rows: number): void {
    this.#out.next(used, rows);
  }

  read(vector: unknown, count: number, offset: number): void {
    const b = this.b;
    const out = this.#out.current;
    if (this.width === 0) {
      out.fill(Number.NaN, offset, offset + count);
      return;
    }
    const data = b.vector_get_data(vector as never, count * this.width);
    this.decode(data, count, out, offset);
    const validity = b.vector_get_validity(vector as never, Math.ceil(count / 64) * 8);
    if (validity) {
      for (let k = 0, bytes = (count + 7) >>> 3; k < bytes; k++) {
        const m = validity[k]!;
        if (m === 0xff) continue;
        for (let i = k * 8, end = Math.min(count, i + 8); i < end; i++)
          if ((m & (1 << (i & 7))) === 0) out[offset + i] = Number.NaN;
      }
    }
    if (this.logical === "int" && this.width >= 8) this.#checkRange(data, validity, count, offset);
  }

  #checkRange(
    data: Uint8Array,
    validity: Uint8Array | null | undefined,
    count: number,
    offset: number,
  ): void {
    const out = this.#out.current;
    const row = this.#out.base + offset;
    for (let i = 0; i < count; i++) {
      const v = out[offset + i]!;
      // beyond 2^53 the double may be a rounded value (2^53 + 1 reads as 2^53): check the exact one
      if (!(v >= MAX_EXACT_INTEGER || v <= -MAX_EXACT_INTEGER)) continue;
      if (!isValid(validity, i)) continue;
      const exact = exactIntegerText(data, i, this.typeId);
      const big = BigInt(exact);
      if (big <= BigInt(MAX_EXACT_INTEGER) && big >= -BigInt(MAX_EXACT_INTEGER)) continue;
      if (this.bigint === "error") {
        throw new UnfitValue(
          this.name,
          row + i,
          exact,
          "is an integer beyond ±2^53, which a lolpop table cannot hold exactly",
        );
      }
      if (this.bigint === "string") {
        this.bigText ??= [];
        this.bigText[row + i] = exact;
      } else if (this.width === 16) out[offset + i] = Number(BigInt(exact)); // one rounding
    }
  }

  finish(used: number): Column {
    const values = this.#out.join(used);
    if (this.bigText) {
      // `bigint: string`: the whole column becomes decimal text, exact for every value.
      const out: (string | null)[] = new Array(values.length);
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        out[i] = this.bigText[i] ?? (Number.isNaN(v) ? null : String(v));
      }
      const dict: string[] = [];
      const index = new Map<string, number>();
      const codes = new Int32Array(out.length);
      for (let i = 0; i < out.length; i++) {
        const s = out[i];
        if (s === null || s === undefined) {
          codes[i] = -1;
          continue;
        }
        let c = index.get(s);
        if (c === undefined) {
          c = dict.length;
          dict.push(s);
          index.set(s, c);
        }
        codes[i] = c;
      }
      return { type: "categorical", codes, dictionary: dict };
    }
    return { type: "numeric", values, logical: this.logical };
  }
}

/** Exact decimal text of the 64- or 128-bit integer at row `i` (for messages and `bigint: string`). */
function exactIntegerText(data: Uint8Array, i: number, typeId: number): string {
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (typeId === T.BIGINT) return dv.getBigInt64(i * 8, true).toString();
  if (typeId === T.UBIGINT) return dv.getBigUint64(i * 8, true).toString();
  const lo = dv.getBigUint64(i * 16, true);
  const hi = typeId === T.HUGEINT ? dv.getBigInt64(i * 16 + 8, true) : dv.getBigUint64(i * 16 + 8, true);
  return ((hi << 64n) + lo).toString();
}

type Decoder = (data: Uint8Array, count: number, out: Float64Array, offset: number) => void;

/** Reads a typed-array view; `scale` multiplies (exact for integer scales), `divisor` divides (one correct rounding). */
function viewDecoder<A extends ArrayLike<number>>(
  make: (buf: ArrayBufferLike, byteOffset: number, length: number) => A,
  scale = 1,
  divisor = 1,
): Decoder {
  return (data, count, out, offset) => {
    const src = make(data.buffer, data.byteOffset, count);
    if (scale === 1 && divisor === 1) for (let i = 0; i < count; i++) out[offset + i] = src[i]!;
    else if (divisor === 1) for (let i = 0; i < count; i++) out[offset + i] = src[i]! * scale;
    else for (let i = 0; i < count; i++) out[offset + i] = src[i]! / divisor;
  };
}

/** 64-bit integers as doubles without BigInt: hi * 2^32 + lo, exact up to 2^53, one rounding beyond. */
function int64Decoder(signed: boolean, divisor = 1): Decoder {
  return (data, count, out, offset) => {
    const words = new Uint32Array(data.buffer, data.byteOffset, count * 2);
    const hiWords = signed ? new Int32Array(data.buffer, data.byteOffset, count * 2) : words;
    for (let i = 0; i < count; i++) {
      const v = hiWords[2 * i + 1]! * TWO_32 + words[2 * i]!;
      out[offset + i] = divisor === 1 ? v : v / divisor;
    }
  };
}

function int128Decoder(signed: boolean): Decoder {
  return (data, count, out, offset) => {
    const w = new Uint32Array(data.buffer, data.byteOffset, count * 4);
    const s = new Int32Array(data.buffer, data.byteOffset, count * 4);
    for (let i = 0; i < count; i++) {
      const top = signed ? s[4 * i + 3]! : w[4 * i + 3]!;
      out[offset + i] = ((top * TWO_32 + w[4 * i + 2]!) * TWO_32 + w[4 * i + 1]!) * TWO_32 + w[4 * i]!;
    }
  };
}

/** DECIMAL(width, scale): the nearest double to the exact decimal value. */
function decimalDecoder(width: number, scale: number): { decode: Decoder; bytes: number } {
  const p = 10 ** scale;
  if (width <= 4) return { decode: viewDecoder((b, o, n) => new Int16Array(b, o, n), 1, p), bytes: 2 };
  if (width <= 9) return { decode: viewDecoder((b, o, n) => new Int32Array(b, o, n), 1, p), bytes: 4 };
  const bytes = width <= 18 ? 8 : 16;
  const decode: Decoder = (data, count, out, offset) => {
    const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const w = new Uint32Array(data.buffer, data.byteOffset, (count * bytes) / 4);
    const s = new Int32Array(data.buffer, data.byteOffset, (count * bytes) / 4);
    for (let i = 0; i < count; i++) {
      let v: number;
      let exact: boolean;
      if (bytes === 8) {
        v = s[2 * i + 1]! * TWO_32 + w[2 * i]!;
        exact = Math.abs(v) < MAX_EXACT_INTEGER;
      } else {
        const top = s[4 * i + 3]!;
        const next = w[4 * i + 2]!;
        // exact when the upper 64 bits are a sign extension of a value below 2^53
        v = ((top * TWO_32 + next) * TWO_32 + w[4 * i + 1]!) * TWO_32 + w[4 * i]!;
        exact = Math.abs(v) < MAX_EXACT_INTEGER;
      }
      if (exact && scale <= 22) {
        out[offset + i] = v / p; // both exact: one correctly rounded division
      } else {
        const big =
          bytes === 8
            ? dv.getBigInt64(i * 8, true)
            : (dv.getBigInt64(i * 16 + 8, true) << 64n) + dv.getBigUint64(i * 16, true);
        out[offset + i] = Number(`${big}e-${scale}`); // parsed with one correct rounding
      }
    }
  };
  return { decode, bytes };
}

/** Open-addressing hash table from keys of four 32-bit words to codes. */
class WordIndex {
  #keys = new Uint32Array(1024 * 4);
  #codes = new Int32Array(1024).fill(-1);
  #size = 0;

  static hash(a: number, b: number, c: number, d: number): number {
    let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b);
    h = Math.imul(h ^ b ^ (h >>> 13), 0xc2b2ae35);
    h = Math.imul(h ^ c ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ d ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  get(a: number, b: number, c: number, d: number): number {
    const mask = this.#codes.length - 1;
    let slot = WordIndex.hash(a, b, c, d) & mask;
    const keys = this.#keys;
    for (;;) {
      const code = this.#codes[slot]!;
      if (code < 0) return -1;
      const k = slot * 4;
      if (keys[k] === a && keys[k + 1] === b && keys[k + 2] === c && keys[k + 3] === d) return code;
      slot = (slot + 1) & mask;
    }
  }

  set(a: number, b: number, c: number, d: number, code: number): void {
    if ((this.#size + 1) * 2 > this.#codes.length) this.#grow();
    this.#insert(a, b, c, d, code);
    this.#size++;
  }

  #insert(a: number, b: number, c: number, d: number, code: number): void {
    const mask = this.#codes.length - 1;
    let slot = WordIndex.hash(a, b, c, d) & mask;
    while (this.#codes[slot]! >= 0) slot = (slot + 1) & mask;
    const k = slot * 4;
    this.#keys[k] = a;
    this.#keys[k + 1] = b;
    this.#keys[k + 2] = c;
    this.#keys[k + 3] = d;
    this.#codes[slot] = code;
  }

  #grow(): void {
    const oldKeys = this.#keys;
    const oldCodes = this.#codes;
    this.#keys = new Uint32Array(oldKeys.length * 2);
    this.#codes = new Int32Array(oldCodes.length * 2).fill(-1);
    for (let s = 0; s < oldCodes.length; s++) {
      const c = oldCodes[s]!;
      if (c >= 0)
        this.#insert(oldKeys[s * 4]!, oldKeys[s * 4 + 1]!, oldKeys[s * 4 + 2]!, oldKeys[s * 4 + 3]!, c);
    }
  }
}

const utf8 = new TextDecoder("utf-8");

/** Decodes `len` bytes at `start`; ASCII without a TextDecoder call. */
function decodeBytes(bytes: Uint8Array, start: number, len: number): string {
  if (len <= 12) {
    let ascii = true;
    for (let k = 0; k < len; k++) if (bytes[start + k]! > 0x7f) ascii = false;
    if (ascii) {
      let s = "";
      for (let k = 0; k < len; k++) s += String.fromCharCode(bytes[start + k]!);
      return s;
    }
  }
  return utf8.decode(bytes.subarray(start, start + len));
}

class StringReader implements ColumnReader {
  readonly #out: Segments<Int32Array>;
  readonly dictionary: string[] = [];
  readonly #inline = new WordIndex();
  readonly #long = new WordIndex();
  readonly #text = new Map<string, number>();

  constructor(
    private readonly b: DuckDBBindings,
    rows: number,
  ) {
    this.#out = new Segments(int32s, new Int32Array(rows));
  }

  segment(used: number, rows: number): void {
    this.#out.next(used, rows);
  }

  #code(s: string): number {
    let c = this.#text.get(s);
    if (c === undefined) {
      c = this.dictionary.length;
      this.dictionary.push(s);
      this.#text.set(s, c);
    }
    return c;
  }

  read(vector: unknown, count: number, offset: number, hashVector?: unknown): void {
    const b = this.b;
    const data = b.vector_get_data(vector as never, count * 16);
    const words = new Uint32Array(data.buffer, data.byteOffset, count * 4);
    const validity = b.vector_get_validity(vector as never, Math.ceil(count / 64) * 8);
    let hashes: Uint32Array | undefined;
    let pointers: Map<number, number> | undefined;
    const codes = this.#out.current;
    for (let i = 0; i < count; i++) {
      if (!isValid(validity, i)) {
        codes[offset + i] = -1;
        continue;
      }
      const len = words[4 * i]!;
      if (len <= 12) {
        // Inlined: the 16 header bytes are the text itself, zero-padded, so they are an exact key.
        const w1 = words[4 * i + 1]!;
        const w2 = words[4 * i + 2]!;
        const w3 = words[4 * i + 3]!;
        let c = this.#inline.get(len, w1, w2, w3);
        if (c < 0) {
          c = this.#code(decodeBytes(data, i * 16 + 4, len));
          this.#inline.set(len, w1, w2, w3, c);
        }
        codes[offset + i] = c;
      } else {
        // Long: keyed on DuckDB's 64-bit hash of the text, its length and first 4 bytes; the text is
        // copied out of DuckDB only the first time a key is seen.
        if (hashVector === undefined) {
          // No hash column: one pointer is one text within a chunk.
          const ptr = words[4 * i + 3]! * TWO_32 + words[4 * i + 2]!;
          pointers ??= new Map();
          let c = pointers.get(ptr);
          if (c === undefined) {
            const bytes = b.get_data_from_pointer(
              data.buffer as ArrayBuffer,
              data.byteOffset + i * 16 + 8,
              len,
            );
            c = this.#code(utf8.decode(bytes));
            pointers.set(ptr, c);
          }
          codes[offset + i] = c;
          continue;
        }
        if (!hashes) {
          const h = b.vector_get_data(hashVector as never, count * 8);
          hashes = new Uint32Array(h.buffer, h.byteOffset, count * 2);
        }
        const h0 = hashes[2 * i]!;
        const h1 = hashes[2 * i + 1]!;
        const prefix = words[4 * i + 1]!;
        let c = this.#long.get(h0, h1, len, prefix);
        if (c < 0) {
          const bytes = b.get_data_from_pointer(
            data.buffer as ArrayBuffer,
            data.byteOffset + i * 16 + 8,
            len,
          );
          c = this.#code(utf8.decode(bytes));
          this.#long.set(h0, h1, len, prefix, c);
        }
        codes[offset + i] = c;
      }
    }
  }

  finish(used: number): Column {
    return { type: "categorical", codes: this.#out.join(used), dictionary: this.dictionary };
  }
}

class EnumReader implements ColumnReader {
  readonly #out: Segments<Int32Array>;
  constructor(
    private readonly b: DuckDBBindings,
    private readonly members: readonly string[],
    private readonly bytes: number,
    rows: number,
  ) {
    this.#out = new Segments(int32s, new Int32Array(rows));
  }

  segment(used: number, rows: number): void {
    this.#out.next(used, rows);
  }

  read(vector: unknown, count: number, offset: number): void {
    const data = this.b.vector_get_data(vector as never, count * this.bytes);
    const src =
      this.bytes === 1
        ? new Uint8Array(data.buffer, data.byteOffset, count)
        : this.bytes === 2
          ? new Uint16Array(data.buffer, data.byteOffset, count)
          : new Uint32Array(data.buffer, data.byteOffset, count);
    const validity = this.b.vector_get_validity(vector as never, Math.ceil(count / 64) * 8);
    const codes = this.#out.current;
    for (let i = 0; i < count; i++) codes[offset + i] = isValid(validity, i) ? src[i]! : -1;
  }

  finish(rows: number): Column {
    const codes = this.#out.join(rows);
    // Drop members that never occur (a one-hot encoder would otherwise make columns for them).
    const used = new Int32Array(this.members.length).fill(-1);
    const dictionary: string[] = [];
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c >= 0 && used[c] === -1) used[c] = 1;
    }
    for (let m = 0; m < this.members.length; m++)
      if (used[m] === 1) {
        used[m] = dictionary.length;
        dictionary.push(this.members[m]!);
      }
    for (let i = 0; i < codes.length; i++) {
      const c = codes[i]!;
      if (c >= 0) codes[i] = used[c]!;
    }
    return { type: "categorical", codes, dictionary };
  }
}

function readerFor(
  b: DuckDBBindings,
  name: string,
  type: DuckDBType,
  rows: number,
  bigint: BigIntPolicy,
  what: string,
): ColumnReader {
  const id = type.typeId as number;
  const num = (
    logical: "float" | "int" | "bool" | "datetime",
    width: number,
    decode: Decoder,
  ): ColumnReader => new NumericReader(b, name, id, logical, width, rows, decode, bigint);
  switch (id) {
    case T.BOOLEAN:
      return num(
        "bool",
        1,
        viewDecoder((buf, o, n) => new Uint8Array(buf, o, n)),
      );
    case T.TINYINT:
      return num(
        "int",
        1,
        viewDecoder((buf, o, n) => new Int8Array(buf, o, n)),
      );
    case T.SMALLINT:
      return num(
        "int",
        2,
        viewDecoder((buf, o, n) => new Int16Array(buf, o, n)),
      );
    case T.INTEGER:
      return num(
        "int",
        4,
        viewDecoder((buf, o, n) => new Int32Array(buf, o, n)),
      );
    case T.UTINYINT:
      return num(
        "int",
        1,
        viewDecoder((buf, o, n) => new Uint8Array(buf, o, n)),
      );
    case T.USMALLINT:
      return num(
        "int",
        2,
        viewDecoder((buf, o, n) => new Uint16Array(buf, o, n)),
      );
    case T.UINTEGER:
      return num(
        "int",
        4,
        viewDecoder((buf, o, n) => new Uint32Array(buf, o, n)),
      );
    case T.BIGINT:
      return num("int", 8, int64Decoder(true));
    case T.UBIGINT:
      return num("int", 8, int64Decoder(false));
    case T.HUGEINT:
      return num("int", 16, int128Decoder(true));
    case T.UHUGEINT:
      return num("int", 16, int128Decoder(false));
    case T.FLOAT:
      return num(
        "float",
        4,
        viewDecoder((buf, o, n) => new Float32Array(buf, o, n)),
      );
    case T.DOUBLE:
      return num("float", 8, (data, count, out, offset) =>
        out.set(new Float64Array(data.buffer, data.byteOffset, count), offset),
      );
    case T.DECIMAL: {
      const t = type as unknown as { width: number; scale: number };
      const d = decimalDecoder(t.width, t.scale);
      return num("float", d.bytes, d.decode);
    }
    case T.DATE:
      return num(
        "datetime",
        4,
        viewDecoder((buf, o, n) => new Int32Array(buf, o, n), 86_400_000),
      );
    case T.TIMESTAMP:
    case T.TIMESTAMP_TZ:
      return num("datetime", 8, int64Decoder(true, 1000));
    case T.TIMESTAMP_S:
      return num("datetime", 8, int64Decoder(true, 1 / 1000));
    case T.TIMESTAMP_MS:
      return num("datetime", 8, int64Decoder(true));
    case T.TIMESTAMP_NS:
      return num("datetime", 8, int64Decoder(true, 1_000_000));
    case T.VARCHAR:
      return new StringReader(b, rows);
    case T.ENUM: {
      const t = type as unknown as { values: readonly string[] };
      const bytes = t.values.length <= 0xff ? 1 : t.values.length <= 0xffff ? 2 : 4;
      return new EnumReader(b, t.values, bytes, rows);
    }
    case T.SQLNULL:
      return num("float", 0, () => {});
    default:
      throw new DataError({
        message: `${what}: column "${name}" has the DuckDB type ${String(type)}, which a lolpop table cannot hold: ${UNSUPPORTED_TYPE_HINTS[id] ?? "cast it to a number, a timestamp or VARCHAR in SQL"}`,
        code: "unsupported_type",
        details: { column: name, type: String(type) },
      });
  }
}

/** Prefix of the hidden columns that carry DuckDB's hash of a VARCHAR column (see {@link resultToTable}). */
export const HASH_COLUMN_PREFIX = "__lolpop_hash_";

/**
 * Builds a {@link Table} from a DuckDB result (every column role `feature`): a materialized result
 * (DuckDB ran the query on all its threads) is read chunk by chunk into arrays of its row count; a
 * streamed one is fetched chunk by chunk into growing arrays. A VARCHAR column `c` may be followed anywhere by a UBIGINT column named
 * `__lolpop_hash_c` holding `hash(c)`, which lets long strings be dictionary-encoded without
 * copying each one out of DuckDB; those columns are not part of the table.
 * @throws DataError for a type the table cannot hold or, with `bigint: error`, an integer beyond ±2^53
 * (naming the column, the 1-based row and the exact value).
 */
export async function resultToTable(
  b: DuckDBBindings,
  result: DuckDBResult,
  options: ResultToTableOptions,
): Promise<Table> {
  const allNames = result.columnNames();
  const hashOf = new Map<string, number>();
  allNames.forEach((n, j) => {
    if (n.startsWith(HASH_COLUMN_PREFIX)) hashOf.set(n.slice(HASH_COLUMN_PREFIX.length), j);
  });
  const indexes = allNames.map((_, j) => j).filter((j) => !allNames[j]!.startsWith(HASH_COLUMN_PREFIX));
  const names = indexes.map((j) => allNames[j]!);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) {
    throw new DataError({
      message: `${options.what}: the result has two columns named "${dup}"; give them distinct names (e.g. \`SELECT a.${dup} AS a_${dup}, b.${dup} AS b_${dup}\`)`,
      code: "duplicate_column",
      details: { column: dup },
    });
  }
  const types = result.columnTypes();
  const materialized = "chunkCount" in result ? (result as DuckDBMaterializedResult) : undefined;
  // rows of the current output segment, and the rows written to it
  let capacity = materialized ? materialized.rowCount : Math.max(options.rows ?? 0, STREAM_SEGMENT_ROWS);
  let used = 0;
  const readers = indexes.map((j) =>
    readerFor(b, allNames[j]!, types[j]!, capacity, options.bigint ?? "error", options.what),
  );
  const hashIndexes = names.map((n) => hashOf.get(n));
  // A streamed result: the next chunk is fetched (by DuckDB, off the main thread) while this one
  // is converted, so DuckDB's scan and the conversion overlap.
  let next: Promise<DuckDBDataChunk | null> | undefined;
  try {
    next = materialized ? undefined : result.fetchChunk();
    for (let c = 0; ; c++) {
      let chunk: DuckDBDataChunk | null;
      if (materialized) chunk = c < materialized.chunkCount ? materialized.getChunk(c) : null;
      else {
        chunk = await next!;
        next = chunk && chunk.rowCount > 0 ? result.fetchChunk() : undefined;
        // a failing prefetch is reported by the next await, not as an unhandled rejection
        next?.catch(() => {});
      }
      if (!chunk || chunk.rowCount === 0) break;
      const raw = chunk.chunk;
      const count = chunk.rowCount;
      if (used + count > capacity) {
        capacity = Math.max(STREAM_SEGMENT_ROWS, count);
        for (const r of readers) r.segment(used, capacity);
        used = 0;
      }
      for (let k = 0; k < readers.length; k++) {
        const h = hashIndexes[k];
        readers[k]!.read(
          b.data_chunk_get_vector(raw, indexes[k]!),
          count,
          used,
          h === undefined ? undefined : b.data_chunk_get_vector(raw, h),
        );
      }
      used += count;
    }
  } catch (e) {
    // a fetch still running when the conversion failed ends before the caller may close DuckDB
    if (next) await next.catch(() => {});
    if (!(e instanceof UnfitValue)) throw e;
    throw new DataError({
      message: `${options.what}: column "${e.column}", row ${e.row + 1}: ${e.value} ${e.reason}. Set \`bigint: double\` (nearest double) or \`bigint: string\` (exact text), or cast the column in SQL (e.g. CAST(${e.column} AS DOUBLE))`,
      code: "integer_out_of_range",
      details: { column: e.column, row: e.row + 1, value: e.value },
    });
  }
  return Table.fromColumns(names.map((n, k) => [n, readers[k]!.finish(used)] as const));
}
