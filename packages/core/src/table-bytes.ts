/**
 * A table as bytes, exactly: numeric columns as their IEEE-754 bytes, categorical columns as their
 * codes and dictionary, with names, roles and logical types. What the step cache stores a table
 * output as (one blob per table); reading it back gives a table with the same fingerprint.
 *
 * Layout: `LOLPOPT1` (8 bytes), header length (uint32 LE), header JSON (UTF-8: rows and, per
 * column, name, role, type, logical, dictionary, byte length), padding to 8 bytes, then each
 * column's bytes in order, each padded to 8 bytes.
 */
import { DataError } from "./errors.js";
import { type Column, type ColumnRole, Table } from "./table.js";

const MAGIC = "LOLPOPT1";

interface HeaderColumn {
  name: string;
  role: ColumnRole;
  type: "numeric" | "categorical";
  logical?: string;
  dictionary?: string[];
  bytes: number;
}

const pad8 = (n: number) => (n + 7) & ~7;

/**
 * The bytes of `table` in pieces, without copying its columns: the header (magic, length, JSON,
 * padding), then each column's values or codes as a view on the column's own memory, with padding
 * pieces where a column's length is not a multiple of 8. Their concatenation is
 * {@link tableToBytes}; a blob store's `putChunks` stores them without that copy (a table of 1M
 * rows by 22 columns is 176 MB).
 */
export function tableChunks(table: Table): Uint8Array[] {
  const columns: HeaderColumn[] = [];
  const data: Uint8Array[] = [];
  for (const name of table.columnNames) {
    const c = table.column(name);
    const arr = c.type === "numeric" ? c.values : c.codes;
    data.push(new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength));
    columns.push({
      name,
      role: table.role(name),
      type: c.type,
      ...(c.type === "numeric" ? { logical: c.logical } : { dictionary: [...c.dictionary] }),
      bytes: arr.byteLength,
    });
  }
  const header = Buffer.from(JSON.stringify({ rows: table.numRows, columns }), "utf8");
  const head = new Uint8Array(pad8(12 + header.byteLength));
  head.set(Buffer.from(MAGIC, "latin1"), 0);
  new DataView(head.buffer).setUint32(8, header.byteLength, true);
  head.set(header, 12);
  const out: Uint8Array[] = [head];
  for (const d of data) {
    out.push(d);
    if (pad8(d.byteLength) > d.byteLength) out.push(new Uint8Array(pad8(d.byteLength) - d.byteLength));
  }
  return out;
}

/** The bytes of `table` (see the module comment for the layout): {@link tableChunks} joined. */
export function tableToBytes(table: Table): Uint8Array {
  const chunks = tableChunks(table);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * The table written by {@link tableToBytes}. `what` names the bytes in errors.
 * @throws DataError `table_bytes_invalid` when the bytes are not such a table.
 */
export function tableFromBytes(bytes: Uint8Array, what = "table bytes"): Table {
  const bad = (why: string) =>
    new DataError({
      message: `${what} are not a lolpop table (${why}): delete them and run the step again`,
      code: "table_bytes_invalid",
    });
  if (bytes.byteLength < 12 || Buffer.from(bytes.subarray(0, 8)).toString("latin1") !== MAGIC)
    throw bad("no LOLPOPT1 header");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const len = view.getUint32(8, true);
  if (12 + len > bytes.byteLength) throw bad("truncated header");
  let header: { rows: number; columns: HeaderColumn[] };
  try {
    header = JSON.parse(Buffer.from(bytes.subarray(12, 12 + len)).toString("utf8"));
  } catch {
    throw bad("unreadable header");
  }
  let at = pad8(12 + len);
  const cols: Array<[string, Column]> = [];
  const roles: Record<string, ColumnRole> = {};
  for (const c of header.columns) {
    if (at + c.bytes > bytes.byteLength) throw bad(`column "${c.name}" is truncated`);
    // A copy: aligned, and not a view on a buffer the caller may reuse. (Not `bytes.slice`: on a
    // Node Buffer that is a view, whose `.buffer` starts elsewhere.)
    const copy = new Uint8Array(c.bytes);
    copy.set(bytes.subarray(at, at + c.bytes));
    at += pad8(c.bytes);
    cols.push([
      c.name,
      c.type === "numeric"
        ? {
            type: "numeric",
            values: new Float64Array(copy.buffer, 0, c.bytes / 8),
            logical: (c.logical ?? "float") as never,
          }
        : {
            type: "categorical",
            codes: new Int32Array(copy.buffer, 0, c.bytes / 4),
            dictionary: c.dictionary ?? [],
          },
    ]);
    roles[c.name] = c.role;
  }
  return cols.length === 0 ? Table.empty() : Table.fromColumns(cols, { roles });
}
