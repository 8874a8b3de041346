/**
 * The protocol buffers wire format, as far as ONNX files need it: varints (int32, int64, enums),
 * 32- and 64-bit floats, length-delimited bytes, strings and nested messages, and packed repeated
 * scalars. Written from the protobuf encoding specification; no generated code.
 *
 * Wire types: 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit. A field's key is
 * `(field_number << 3) | wire_type`, as a varint.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH = 2;
const FIXED32 = 5;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8", { fatal: true });

/** Appends protobuf fields to a growing byte buffer. */
export class ProtoWriter {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #reserve(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let size = this.#buf.length * 2;
    while (size < this.#len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** A non-negative integer below 2^53, or any int64 as a bigint (negative: ten bytes, two's complement). */
  #varint(value: number | bigint): void {
    if (typeof value === "number" && value >= 0 && value <= Number.MAX_SAFE_INTEGER) {
      this.#reserve(10);
      let v = value;
      while (v >= 0x80) {
        this.#buf[this.#len++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      this.#buf[this.#len++] = v;
      return;
    }
    let v = BigInt.asUintN(64, BigInt(value));
    this.#reserve(10);
    while (v >= 0x80n) {
      this.#buf[this.#len++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.#buf[this.#len++] = Number(v);
  }

  #key(field: number, wire: number): void {
    this.#varint(field * 8 + wire);
  }

  /** An int32, int64, uint64 or enum field (varint). Integers must be whole numbers. */
  int(field: number, value: number | bigint): this {
    if (typeof value === "number" && !Number.isInteger(value))
      throw new RangeError(`protobuf field ${field}: ${value} is not an integer`);
    this.#key(field, VARINT);
    this.#varint(value);
    return this;
  }

  /** A float field (32-bit). */
  float(field: number, value: number): this {
    this.#key(field, FIXED32);
    this.#reserve(4);
    this.#view.setFloat32(this.#len, value, true);
    this.#len += 4;
    return this;
  }

  /** A length-delimited field: raw bytes. */
  bytes(field: number, value: Uint8Array): this {
    this.#key(field, LENGTH);
    this.#varint(value.length);
    this.#reserve(value.length);
    this.#buf.set(value, this.#len);
    this.#len += value.length;
    return this;
  }

  /** A string field (UTF-8). */
  string(field: number, value: string): this {
    return this.bytes(field, utf8Encoder.encode(value));
  }

  /** A nested message field, written by `write` into a writer of its own. */
  message(field: number, write: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    write(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field (nothing for an empty list). */
  packedFloats(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.#key(field, LENGTH);
    this.#varint(values.length * 4);
    this.#reserve(values.length * 4);
    for (let i = 0; i < values.length; i++) this.#view.setFloat32(this.#len + i * 4, values[i]!, true);
    this.#len += values.length * 4;
    return this;
  }

  /** A packed repeated double field (nothing for an empty list). */
  packedDoubles(field: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.#key(field, LENGTH);
    this.#varint(values.length * 8);
    this.#reserve(values.length * 8);
    for (let i = 0; i < values.length; i++) this.#view.setFloat64(this.#len + i * 8, values[i]!, true);
    this.#len += values.length * 8;
    return this;
  }

  /** A packed repeated varint field (int32, int64), nothing for an empty list. */
  packedInts(field: number, values: ArrayLike<number | bigint>): this {
    if (values.length === 0) return this;
    const inner = new ProtoWriter();
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (typeof v === "number" && !Number.isInteger(v))
        throw new RangeError(`protobuf field ${field}: ${v} is not an integer`);
      inner.#varint(typeof v === "number" && v < 0 ? BigInt(v) : v);
    }
    return this.bytes(field, inner.finish());
  }

  /** The bytes written (a copy sized to fit). */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}

/** One field read by {@link ProtoReader.fields}. */
export interface ProtoField {
  field: number;
  wire: number;
  /** Varint value (wire type 0) as a bigint. */
  varint?: bigint;
  /** Length-delimited content (wire type 2): a view into the buffer. */
  bytes?: Uint8Array;
  /** Fixed-size content (wire types 1 and 5): its offset in the buffer. */
  offset?: number;
}

/** Reads protobuf fields from bytes. Errors name the byte offset. */
export class ProtoReader {
  readonly #buf: Uint8Array;
  readonly #view: DataView;
  #pos = 0;

  constructor(buf: Uint8Array) {
    this.#buf = buf;
    this.#view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  #varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.#pos >= this.#buf.length) throw new RangeError(`truncated varint at byte ${this.#pos}`);
      const b = this.#buf[this.#pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result;
      shift += 7n;
      if (shift > 63n) throw new RangeError(`varint longer than 10 bytes at byte ${this.#pos}`);
    }
  }

  /** Every field of the message, in file order. */
  fields(): ProtoField[] {
    const out: ProtoField[] = [];
    while (this.#pos < this.#buf.length) {
      const at = this.#pos;
      const key = this.#varint();
      const field = Number(key >> 3n);
      const wire = Number(key & 7n);
      if (field === 0) throw new RangeError(`field number 0 at byte ${at}`);
      if (wire === VARINT) out.push({ field, wire, varint: this.#varint() });
      else if (wire === LENGTH) {
        const len = Number(this.#varint());
        if (this.#pos + len > this.#buf.length)
          throw new RangeError(`field ${field} at byte ${at} runs past the end (${len} bytes)`);
        out.push({ field, wire, bytes: this.#buf.subarray(this.#pos, this.#pos + len) });
        this.#pos += len;
      } else if (wire === FIXED64 || wire === FIXED32) {
        const size = wire === FIXED64 ? 8 : 4;
        if (this.#pos + size > this.#buf.length)
          throw new RangeError(`truncated field ${field} at byte ${at}`);
        out.push({ field, wire, offset: this.#pos });
        this.#pos += size;
      } else throw new RangeError(`unsupported wire type ${wire} (field ${field}) at byte ${at}`);
    }
    return out;
  }

  /** The float of a 32-bit field. */
  float(f: ProtoField): number {
    return this.#view.getFloat32(f.offset!, true);
  }

  /** The double of a 64-bit field. */
  double(f: ProtoField): number {
    return this.#view.getFloat64(f.offset!, true);
  }
}

/** A varint field as a signed int64 number (exact up to 2^53). */
export function int64Of(f: ProtoField): number {
  return Number(BigInt.asIntN(64, f.varint ?? 0n));
}

/** A length-delimited field as UTF-8 text. */
export function stringOf(f: ProtoField): string {
  return utf8Decoder.decode(f.bytes ?? new Uint8Array(0));
}

/** Values of a repeated varint field, packed or not, appended to `out` as signed int64 bigints. */
export function readInts(f: ProtoField, out: bigint[]): void {
  if (f.wire === VARINT) {
    out.push(BigInt.asIntN(64, f.varint!));
    return;
  }
  const b = f.bytes!;
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < b.length; i++) {
    const byte = b[i]!;
    value |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) {
      out.push(BigInt.asIntN(64, value));
      value = 0n;
      shift = 0n;
    } else {
      shift += 7n;
      if (shift > 63n) throw new RangeError("packed varint longer than 10 bytes");
    }
  }
  if (shift !== 0n) throw new RangeError("truncated packed varint");
}

/** Values of a repeated float field, packed or not, appended to `out`. */
export function readFloats(reader: ProtoReader, f: ProtoField, out: number[]): void {
  if (f.wire === FIXED32) {
    out.push(reader.float(f));
    return;
  }
  const b = f.bytes!;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 4 <= b.length; i += 4) out.push(view.getFloat32(i, true));
}

/** Values of a repeated double field, packed or not, appended to `out`. */
export function readDoubles(reader: ProtoReader, f: ProtoField, out: number[]): void {
  if (f.wire === FIXED64) {
    out.push(reader.double(f));
    return;
  }
  const b = f.bytes!;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i + 8 <= b.length; i += 8) out.push(view.getFloat64(i, true));
}
