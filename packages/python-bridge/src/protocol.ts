/**
 * The worker's wire format: JSON-RPC 2.0 messages in length-prefixed frames, with binary values
 * carried next to the JSON instead of inside it.
 *
 * A frame is a 4-byte little-endian header length, the UTF-8 JSON header (the message plus a
 * `buffers` list of byte lengths), then the buffers back to back. In the message a typed array is
 * written as `{"$buffer": i, "dtype": "<f8"}` (numpy type strings), so a `Float64Array` of a million
 * values costs 8 MB of bytes and one JSON object, never a million JSON numbers.
 */
import type { Table } from "@lolpop/core";

/** Version of the frame format; the worker reports it in its `lolpop.ready` notification. */
export const PROTOCOL_VERSION = 1;

/** A typed array that can cross the wire. */
export type BinaryArray =
  | Float64Array
  | Float32Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array
  | BigInt64Array
  | BigUint64Array;

const DTYPE_OF: Array<[new (...args: never[]) => BinaryArray, string]> = [
  [Float64Array, "<f8"],
  [Float32Array, "<f4"],
  [Int32Array, "<i4"],
  [Uint32Array, "<u4"],
  [Int16Array, "<i2"],
  [Uint16Array, "<u2"],
  [Int8Array, "|i1"],
  [Uint8Array, "|u1"], // also Buffer
  [BigInt64Array, "<i8"],
  [BigUint64Array, "<u8"],
];

type ArrayCtor = { new (buffer: ArrayBuffer, byteOffset?: number, length?: number): BinaryArray };

const CTOR_OF: Record<string, [ArrayCtor, number]> = {
  "<f8": [Float64Array, 8],
  "<f4": [Float32Array, 4],
  "<i4": [Int32Array, 4],
  "<u4": [Uint32Array, 4],
  "<i2": [Int16Array, 2],
  "<u2": [Uint16Array, 2],
  "|i1": [Int8Array, 1],
  "|u1": [Uint8Array, 1],
  "|b1": [Uint8Array, 1],
  "<i8": [BigInt64Array, 8],
  "<u8": [BigUint64Array, 8],
};

function dtypeOf(value: ArrayBufferView): string | undefined {
  for (const [ctor, dtype] of DTYPE_OF) if (value instanceof ctor) return dtype;
  return undefined;
}

/** Encodes a message into the chunks of one frame (header length, header, buffers). */
export function encodeFrame(message: Record<string, unknown>): Uint8Array[] {
  const buffers: Uint8Array[] = [];
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== "object") return v;
    if (ArrayBuffer.isView(v)) {
      const dtype = dtypeOf(v);
      if (!dtype) throw new TypeError(`cannot send a ${v.constructor.name} to Python`);
      buffers.push(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
      return { $buffer: buffers.length - 1, dtype };
    }
    if (v instanceof ArrayBuffer) {
      buffers.push(new Uint8Array(v));
      return { $buffer: buffers.length - 1, dtype: "|u1" };
    }
    if (Array.isArray(v)) return v.map(walk);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[k] = walk(x);
    return out;
  };
  const body = walk(message) as Record<string, unknown>;
  body.buffers = buffers.map((b) => b.byteLength);
  const header = Buffer.from(JSON.stringify(body), "utf8");
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.byteLength, 0);
  return [len, header, ...buffers];
}

/** Replaces `{"$buffer": i, "dtype": ...}` references with typed arrays (row-major, shape dropped). */
export function decodeValue(value: unknown, buffers: readonly Uint8Array[]): unknown {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => decodeValue(v, buffers));
  const obj = value as Record<string, unknown>;
  if (typeof obj.$buffer === "number") {
    const buf = buffers[obj.$buffer];
    if (!buf) throw new Error(`buffer reference ${obj.$buffer} is out of range (${buffers.length} buffers)`);
    const dtype = typeof obj.dtype === "string" ? obj.dtype : "|u1";
    const entry = CTOR_OF[dtype];
    if (!entry) throw new Error(`unsupported dtype ${JSON.stringify(dtype)} from Python`);
    const [Ctor, size] = entry;
    if (buf.byteLength % size !== 0)
      throw new Error(`a ${dtype} buffer of ${buf.byteLength} bytes is not a whole number of values`);
    return new Ctor(buf.buffer as ArrayBuffer, buf.byteOffset, buf.byteLength / size);
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) out[k] = decodeValue(v, buffers);
  return out;
}

/** One decoded frame: the JSON message with its buffers already substituted. */
export interface Frame {
  message: Record<string, unknown>;
}

/**
 * Incremental frame decoder: feed it chunks as they arrive, get whole frames back. Each buffer is
 * copied into its own `ArrayBuffer`, so typed-array views are always aligned.
 */
export class FrameDecoder {
  #chunks: Buffer[] = [];
  #available = 0;
  #header: { message: Record<string, unknown>; lengths: number[] } | undefined;
  #buffers: Uint8Array[] = [];
  #headerLength: number | undefined;
  /** Largest header accepted (bytes). */
  readonly maxHeaderBytes: number;

  constructor(options: { maxHeaderBytes?: number } = {}) {
    this.maxHeaderBytes = options.maxHeaderBytes ?? 256 * 1024 * 1024;
  }

  /** Bytes received but not yet part of a whole frame. */
  get pendingBytes(): number {
    return this.#available;
  }

  #take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = this.#chunks[0]!;
      const k = Math.min(c.byteLength, n - off);
      out.set(k === c.byteLength ? c : c.subarray(0, k), off);
      off += k;
      if (k === c.byteLength) this.#chunks.shift();
      else this.#chunks[0] = c.subarray(k);
    }
    this.#available -= n;
    return out;
  }

  /** Adds bytes; returns the frames completed by them. Throws on a malformed stream. */
  push(chunk: Buffer): Frame[] {
    if (chunk.byteLength) {
      this.#chunks.push(chunk);
      this.#available += chunk.byteLength;
    }
    const frames: Frame[] = [];
    for (;;) {
      if (!this.#header) {
        if (this.#headerLength === undefined) {
          if (this.#available < 4) break;
          const b = this.#take(4);
          this.#headerLength = (b[0]! | (b[1]! << 8) | (b[2]! << 16)) + b[3]! * 0x1000000;
          if (this.#headerLength > this.maxHeaderBytes)
            throw new Error(`frame header of ${this.#headerLength} bytes is larger than the limit`);
        }
        if (this.#available < this.#headerLength) break;
        const text = Buffer.from(this.#take(this.#headerLength)).toString("utf8");
        this.#headerLength = undefined;
        let message: Record<string, unknown>;
        try {
          message = JSON.parse(text) as Record<string, unknown>;
        } catch (e) {
          throw new Error(`frame header is not JSON (${(e as Error).message}): ${text.slice(0, 200)}`);
        }
        if (typeof message !== "object" || message === null || Array.isArray(message))
          throw new Error(`frame header is not a JSON object: ${text.slice(0, 200)}`);
        const lengths = Array.isArray(message.buffers) ? (message.buffers as number[]) : [];
        delete message.buffers;
        this.#header = { message, lengths };
        this.#buffers = [];
      }
      const h = this.#header;
      while (this.#buffers.length < h.lengths.length) {
        const n = h.lengths[this.#buffers.length]!;
        if (this.#available < n) return frames;
        this.#buffers.push(this.#take(n));
      }
      frames.push({ message: decodeValue(h.message, this.#buffers) as Record<string, unknown> });
      this.#header = undefined;
      this.#buffers = [];
    }
    return frames;
  }
}

/** A table as it crosses the wire: one typed array per column (see {@link encodeTable}). */
export interface EncodedTable {
  $table: 1;
  num_rows: number;
  columns: Array<
    | { name: string; type: "numeric"; logical: string; role: string; values: Float64Array }
    | { name: string; type: "categorical"; role: string; codes: Int32Array; dictionary: string[] }
  >;
}

/**
 * Encodes a table (or the named columns of it, in that order) for a worker call: numeric columns as
 * their `Float64Array` (NaN = missing), categorical ones as `Int32Array` codes (-1 = missing) plus the
 * dictionary. The arrays are sent as raw little-endian bytes; in Python the value arrives as a
 * `lolpop_bridge.Table` whose columns hold numpy arrays.
 */
export function encodeTable(table: Table, columns: readonly string[] = table.columnNames): EncodedTable {
  return {
    $table: 1,
    num_rows: table.numRows,
    columns: columns.map((name) => {
      const col = table.column(name);
      const role = table.role(name);
      return col.type === "numeric"
        ? { name, type: "numeric" as const, logical: col.logical, role, values: col.values }
        : { name, type: "categorical" as const, role, codes: col.codes, dictionary: [...col.dictionary] };
    }),
  };
}
