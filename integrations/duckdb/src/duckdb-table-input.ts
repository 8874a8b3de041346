/**
 * Puts a lolpop {@link Table} into DuckDB as a view: numeric columns are copied into DOUBLE vectors
 * straight from their `Float64Array` (NaN becomes NULL through the validity bitmap), categorical
 * columns into VARCHAR vectors, 2048 rows per chunk. The view gives each column its SQL type back:
 * `int` columns are BIGINT (when every value is an integer), `bool` BOOLEAN, `datetime` TIMESTAMPTZ
 * (UTC), `float` DOUBLE, categorical VARCHAR.
 */
import type { Column, Table } from "@lolpop/core";
import type { DuckDBSession } from "./duckdb-runtime.js";
import { quoteIdent } from "./duckdb-sql.js";

function allIntegers(values: Float64Array): boolean {
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isNaN(v) && (!Number.isInteger(v) || Math.abs(v) > 2 ** 53)) return false;
  }
  return true;
}

/** The view's SQL expression for a column stored as DOUBLE or VARCHAR in the raw table. */
function typedExpr(name: string, col: Column): string {
  const c = quoteIdent(name);
  if (col.type === "categorical") return c;
  if (col.logical === "bool") return `CAST(${c} AS BOOLEAN) AS ${c}`;
  if (col.logical === "int" && allIntegers(col.values)) return `CAST(${c} AS BIGINT) AS ${c}`;
  if (col.logical === "datetime")
    return `CAST(make_timestamp(CAST(round(${c} * 1000) AS BIGINT)) AS TIMESTAMPTZ) AS ${c}`;
  return c;
}

/**
 * Loads `table` into the session as the view `name` (its raw data in the table `<name>__lolpop_raw`).
 * @returns The view's name, quoted.
 */
export async function loadTable(session: DuckDBSession, table: Table, name: string): Promise<string> {
  const { api, bindings: b } = session.modules;
  const names = table.columnNames;
  const cols = names.map((n) => table.column(n));
  const raw = `${name}__lolpop_raw`;
  const defs = names.map((n, j) => `${quoteIdent(n)} ${cols[j]!.type === "numeric" ? "DOUBLE" : "VARCHAR"}`);
  const label = { what: `loading the table into DuckDB as ${name}` };
  await session.run(`CREATE TEMP TABLE ${quoteIdent(raw)} (${defs.join(", ")})`, label);
  if (names.length > 0 && table.numRows > 0) {
    const types = cols.map((c) => (c.type === "numeric" ? api.DOUBLE : api.VARCHAR));
    const appender = await session.connection.createAppender(raw, null, "temp");
    const size = b.vector_size();
    const validity = new Uint8Array(Math.ceil(size / 64) * 8);
    try {
      for (let start = 0; start < table.numRows; start += size) {
        const count = Math.min(size, table.numRows - start);
        const chunk = api.DuckDBDataChunk.create(types, count);
        for (let j = 0; j < cols.length; j++) {
          const col = cols[j]!;
          const vector = b.data_chunk_get_vector(chunk.chunk, j);
          validity.fill(0xff);
          let missing = false;
          if (col.type === "numeric") {
            const part = col.values.subarray(start, start + count);
            const copy = new Float64Array(part); // own buffer: ArrayBuffer offsets are needed below
            for (let i = 0; i < count; i++)
              if (Number.isNaN(copy[i]!)) {
                validity[i >>> 3]! &= ~(1 << (i & 7));
                missing = true;
              }
            b.copy_data_to_vector(vector, 0, copy.buffer, 0, copy.byteLength);
          } else {
            for (let i = 0; i < count; i++) {
              const code = col.codes[start + i]!;
              if (code < 0) {
                validity[i >>> 3]! &= ~(1 << (i & 7));
                missing = true;
              } else b.vector_assign_string_element(vector, i, col.dictionary[code]!);
            }
          }
          if (missing) {
            b.vector_ensure_validity_writable(vector);
            b.copy_data_to_vector_validity(vector, 0, validity.buffer, 0, Math.ceil(count / 64) * 8);
          }
        }
        chunk.rowCount = count;
        appender.appendDataChunk(chunk);
      }
      appender.flushSync();
    } finally {
      appender.closeSync();
    }
  }
  const select = names.length
    ? names.map((n, j) => typedExpr(n, cols[j]!)).join(", ")
    : "NULL AS __lolpop_empty";
  await session.run(
    `CREATE TEMP VIEW ${quoteIdent(name)} AS SELECT ${select} FROM ${quoteIdent(raw)}`,
    label,
  );
  return quoteIdent(name);
}
