/**
 * Runs a source query and returns a {@link Table}: the query's result types are looked up first
 * (without running it), a projection casts what the table cannot hold as is (forced `columns`,
 * UUIDs, nested values by the `nested` policy) or refuses it with the SQL that would fix it, then the
 * query runs once and its vectors are converted by {@link resultToTable}.
 */
import type { DuckDBType, DuckDBValue } from "@duckdb/node-api";
import { DataError, type Table } from "@lolpop/core";
import { DuckDBQueryError } from "./duckdb-query-error.js";
import { HASH_COLUMN_PREFIX, resultToTable } from "./duckdb-result-table.js";
import type { DuckDBSession } from "./duckdb-runtime.js";
import { quoteIdent } from "./duckdb-sql.js";
import {
  type BigIntPolicy,
  isNestedType,
  type NestedPolicy,
  DuckDBTypeIds as T,
  UNSUPPORTED_TYPE_HINTS,
} from "./duckdb-types.js";

/** Types a column can be forced to with the `columns` option (as in LocalDataConnector). */
export type ForcedColumnType = "numeric" | "categorical" | "datetime" | "bool";

/** One query to read into a table. */
export interface ReadRequest {
  /** Names the data in errors, e.g. `process.data_connector: data/train.csv`. */
  what: string;
  /** The SQL whose result is read (one SELECT-like statement, no trailing semicolon). */
  sql: string;
  /** True when `sql` is the user's own text (errors then point into it). */
  userSql?: boolean;
  /** Named parameters (`$name`), bound by DuckDB. */
  params?: Record<string, DuckDBValue>;
  /** Forced column types (applied by casts). */
  columns?: Record<string, ForcedColumnType>;
  /** LIST / STRUCT / MAP / ARRAY columns: refuse, flatten or JSON text. Default `error`. */
  nested?: NestedPolicy;
  /** Integers beyond ±2^53. Default `error`. */
  bigint?: BigIntPolicy;
  /**
   * Stream the result (default false: materialize). Streaming overlaps DuckDB's scan with the
   * conversion and never holds the result twice, but DuckDB then runs the scan on one thread (it
   * keeps the row order), so it pays off when the scan is one thread anyway or cheap: Parquet.
   */
  stream?: boolean;
  /** The row count when known beforehand (e.g. from Parquet metadata): a streamed result is then written straight into arrays of that size. */
  rows?: number;
}

const NUMERIC_IDS = new Set<number>([
  T.BOOLEAN,
  T.TINYINT,
  T.SMALLINT,
  T.INTEGER,
  T.BIGINT,
  T.UTINYINT,
  T.USMALLINT,
  T.UINTEGER,
  T.UBIGINT,
  T.HUGEINT,
  T.UHUGEINT,
  T.FLOAT,
  T.DOUBLE,
  T.DECIMAL,
]);
const DATETIME_IDS = new Set<number>([
  T.DATE,
  T.TIMESTAMP,
  T.TIMESTAMP_S,
  T.TIMESTAMP_MS,
  T.TIMESTAMP_NS,
  T.TIMESTAMP_TZ,
]);
const TEXT_IDS = new Set<number>([T.VARCHAR, T.ENUM]);

/** The result columns of `sql` (names and DuckDB types), without running it when DuckDB can tell. */
export async function describeQuery(
  session: DuckDBSession,
  req: Pick<ReadRequest, "what" | "sql" | "userSql" | "params">,
): Promise<Array<{ name: string; type: DuckDBType }>> {
  const label = { what: req.what, ...(req.userSql ? { user: { sql: req.sql, firstLine: 1 } } : {}) };
  let prepared: Awaited<ReturnType<typeof session.connection.prepare>>;
  try {
    prepared = await session.connection.prepare(req.sql);
  } catch (e) {
    throw session.queryError(e, req.sql, label);
  }
  try {
    checkParameters(prepared, req);
    const out: Array<{ name: string; type: DuckDBType }> = [];
    let known = true;
    for (let j = 0; j < prepared.columnCount; j++) {
      const id = prepared.columnTypeId(j) as number;
      if (id === 0 || id === T.ANY) {
        known = false;
        break;
      }
      out.push({ name: prepared.columnName(j), type: prepared.columnType(j) });
    }
    if (known) return out;
  } finally {
    prepared.destroySync();
  }
  // Types that depend on parameter values: ask DuckDB for an empty result.
  const wrapped = `SELECT * FROM (\n${req.sql}\n) AS __lolpop_source LIMIT 0`;
  const result = await session.run(
    wrapped,
    { what: req.what, ...(req.userSql ? { user: { sql: req.sql, firstLine: 2 } } : {}) },
    req.params,
  );
  const types = result.columnTypes();
  return result.columnNames().map((name, j) => ({ name, type: types[j]! }));
}

function checkParameters(
  prepared: { parameterCount: number; parameterName(i: number): string },
  req: Pick<ReadRequest, "what" | "params">,
): void {
  const wanted: string[] = [];
  for (let i = 1; i <= prepared.parameterCount; i++) wanted.push(prepared.parameterName(i));
  const given = Object.keys(req.params ?? {});
  const positional = wanted.filter((n) => /^\d+$/.test(n));
  if (positional.length > 0) {
    throw new DataError({
      message: `${req.what}: the SQL uses positional parameters (${positional.map((n) => `$${n}`).join(", ")} or ?); use named ones ($name) and set their values in \`params\``,
      code: "sql_positional_parameter",
    });
  }
  const missing = wanted.filter((n) => !given.includes(n));
  if (missing.length > 0) {
    throw new DataError({
      message: `${req.what}: the SQL uses ${missing.map((n) => `$${n}`).join(", ")} but \`params\` has no value for ${missing.length === 1 ? "it" : "them"} (params given: ${given.join(", ") || "none"}); add ${missing.map((n) => `${n}: <value>`).join(", ")} under params`,
      code: "sql_missing_parameter",
      details: { missing },
    });
  }
  const unused = given.filter((n) => !wanted.includes(n));
  if (unused.length > 0) {
    throw new DataError({
      message: `${req.what}: \`params\` sets ${unused.join(", ")}, which the SQL never uses (it uses ${wanted.map((n) => `$${n}`).join(", ") || "no parameters"}); remove ${unused.length === 1 ? "it" : "them"} or reference $${unused[0]} in the SQL`,
      code: "sql_unused_parameter",
      details: { unused },
    });
  }
}

function describeType(type: DuckDBType): string {
  return String(type);
}

/** The select-list expression(s) that give `name` a type a Table holds. */
function project(
  name: string,
  type: DuckDBType,
  forced: ForcedColumnType | undefined,
  nested: NestedPolicy,
  what: string,
): { exprs: string[]; changed: boolean } {
  const id = type.typeId as number;
  const col = quoteIdent(name);
  const same = { exprs: [col], changed: false };
  const as = (expr: string, alias = name) => ({ exprs: [`${expr} AS ${quoteIdent(alias)}`], changed: true });
  if (forced) {
    if (forced === "categorical") return TEXT_IDS.has(id) ? same : as(`CAST(${col} AS VARCHAR)`);
    if (forced === "numeric") {
      if (NUMERIC_IDS.has(id) && id !== T.BOOLEAN) return same;
      if (DATETIME_IDS.has(id)) return as(`CAST(epoch_ms(${col}) AS DOUBLE)`);
      return as(`CAST(${col} AS DOUBLE)`);
    }
    if (forced === "bool") return id === T.BOOLEAN ? same : as(`CAST(${col} AS BOOLEAN)`);
    if (DATETIME_IDS.has(id)) return same;
    if (NUMERIC_IDS.has(id)) return as(`make_timestamp(CAST(round(${col} * 1000) AS BIGINT))`);
    return as(`CAST(${col} AS TIMESTAMPTZ)`);
  }
  if (id === T.UUID) return as(`CAST(${col} AS VARCHAR)`);
  if (isNestedType(id)) {
    if (nested === "json") return as(`CAST(to_json(${col}) AS VARCHAR)`);
    if (nested === "flatten") {
      if (id === T.STRUCT) return { exprs: flattenStruct(col, name, type), changed: true };
      return as(`CAST(to_json(${col}) AS VARCHAR)`);
    }
    throw new DataError({
      message: `${what}: column "${name}" is ${describeType(type)}, a nested type a lolpop table cannot hold. Set \`nested: flatten\` (struct fields become columns "${name}.<field>", lists JSON text) or \`nested: json\` (the value as JSON text), or select what you need in SQL (e.g. unnest(${col}) or ${col}.field)`,
      code: "unsupported_type",
      details: { column: name, type: describeType(type) },
    });
  }
  const hint = UNSUPPORTED_TYPE_HINTS[id];
  if (hint !== undefined) {
    throw new DataError({
      message: `${what}: column "${name}" is ${describeType(type)}: ${hint}, or force the column's type in \`columns\``,
      code: "unsupported_type",
      details: { column: name, type: describeType(type) },
    });
  }
  return same;
}

function flattenStruct(expr: string, prefix: string, type: DuckDBType): string[] {
  const t = type as unknown as { entryNames: readonly string[]; entryTypes: readonly DuckDBType[] };
  const out: string[] = [];
  t.entryNames.forEach((field, k) => {
    const ft = t.entryTypes[k]!;
    const fid = ft.typeId as number;
    const fexpr = `struct_extract(${expr}, ${`'${field.replaceAll("'", "''")}'`})`;
    const alias = `${prefix}.${field}`;
    if (fid === T.STRUCT) out.push(...flattenStruct(fexpr, alias, ft));
    else if (isNestedType(fid) || fid === T.UUID || UNSUPPORTED_TYPE_HINTS[fid] !== undefined)
      out.push(`CAST(to_json(${fexpr}) AS VARCHAR) AS ${quoteIdent(alias)}`);
    else out.push(`${fexpr} AS ${quoteIdent(alias)}`);
  });
  return out;
}

/**
 * Reads the result of `req.sql` into a {@link Table}.
 * @throws DuckDBQueryError for SQL errors (with the position in the user's SQL); DataError for a
 * missing or unused parameter, a type the table cannot hold, an integer beyond ±2^53 (by `bigint`),
 * or a value that does not fit a forced column type (naming the row and the value).
 */
export async function readQuery(session: DuckDBSession, req: ReadRequest): Promise<Table> {
  const columns = await describeQuery(session, req);
  const forced = req.columns ?? {};
  const names = columns.map((c) => c.name);
  for (const name of Object.keys(forced)) {
    if (!names.includes(name)) {
      throw new DataError({
        message: `${req.what}: \`columns\` sets a type for "${name}", but the data has no such column (columns: ${names.join(", ")})`,
        code: "missing_column",
        details: { column: name },
      });
    }
  }
  const exprs: string[] = [];
  let changed = false;
  const hashes: string[] = [];
  const casts: Array<{ name: string; to: ForcedColumnType; type: DuckDBType }> = [];
  for (const c of columns) {
    const p = project(c.name, c.type, forced[c.name], req.nested ?? "error", req.what);
    exprs.push(...p.exprs);
    const id = c.type.typeId as number;
    if (id === T.VARCHAR || forced[c.name] === "categorical" || id === T.UUID) hashes.push(c.name);
    if (p.changed) {
      changed = true;
      const to = forced[c.name];
      if (to) casts.push({ name: c.name, to, type: c.type });
    }
  }
  // DuckDB hashes each text column (in parallel), so long strings are copied out once per distinct value.
  const wrap = changed || hashes.length > 0;
  const sql = wrap
    ? `SELECT *${hashes.map((n) => `, hash(${quoteIdent(n)}) AS ${quoteIdent(HASH_COLUMN_PREFIX + n)}`).join("")} FROM (SELECT ${exprs.join(", ")} FROM (\n${req.sql}\n) AS __lolpop_source) AS __lolpop_projected`
    : req.sql;
  const label = {
    what: req.what,
    ...(req.userSql ? { user: { sql: req.sql, firstLine: wrap ? 2 : 1 } } : {}),
  };
  try {
    const result = req.stream
      ? await session.stream(sql, label, req.params)
      : await session.run(sql, label, req.params);
    return await resultToTable(session.bindings, result, {
      what: req.what,
      bigint: req.bigint ?? "error",
      ...(req.rows !== undefined ? { rows: req.rows } : {}),
    });
  } catch (e) {
    const err =
      DuckDBQueryError.isInstance(e) || DataError.isInstance(e) ? e : session.queryError(e, sql, label);
    if (casts.length > 0 && DuckDBQueryError.isInstance(err) && err.code === "sql_conversion")
      await explainCast(session, req, casts, err);
    throw err;
  }
}

const TARGET: Record<ForcedColumnType, { sql: string; what: string }> = {
  numeric: { sql: "DOUBLE", what: "a number" },
  categorical: { sql: "VARCHAR", what: "text" },
  bool: { sql: "BOOLEAN", what: "true/false" },
  datetime: { sql: "TIMESTAMPTZ", what: "a date or timestamp" },
};

/** Finds the first value a forced cast fails on and throws an error naming its row. */
async function explainCast(
  session: DuckDBSession,
  req: ReadRequest,
  casts: Array<{ name: string; to: ForcedColumnType; type: DuckDBType }>,
  cause: unknown,
): Promise<void> {
  for (const c of casts) {
    const col = quoteIdent(c.name);
    const target = TARGET[c.to];
    const probe = `SELECT __lolpop_row, CAST(${col} AS VARCHAR) AS v FROM (SELECT row_number() OVER () AS __lolpop_row, * FROM (\n${req.sql}\n) AS s) AS t WHERE ${col} IS NOT NULL AND TRY_CAST(${col} AS ${target.sql}) IS NULL ORDER BY __lolpop_row LIMIT 1`;
    let found: { row: number; value: string } | undefined;
    try {
      const r = await session.run(probe, { what: req.what }, req.params);
      const rows = r.chunkCount > 0 ? r.getChunk(0).getRows() : [];
      if (rows.length > 0) found = { row: Number(rows[0]![0]), value: String(rows[0]![1]) };
    } catch {
      // fall back to DuckDB's own message
    }
    if (found) {
      throw new DataError({
        message: `${req.what}: column "${c.name}" is set to ${c.to} in \`columns\`, but the value "${found.value}" in row ${found.row} is not ${target.what}; fix the value or change the column's type`,
        code: "bad_value",
        details: { column: c.name, value: found.value, row: found.row },
        cause,
      });
    }
  }
}
