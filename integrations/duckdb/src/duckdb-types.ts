/**
 * DuckDB's type ids (the C API's `duckdb_type` values, stable across releases) and the rules that map
 * a DuckDB result column to a lolpop {@link Column}. Kept free of the native module so that the type
 * mapping can be read and tested without loading DuckDB.
 */

/** DuckDB type ids (`duckdb_type` of the C API). */
export const DuckDBTypeIds = {
  BOOLEAN: 1,
  TINYINT: 2,
  SMALLINT: 3,
  INTEGER: 4,
  BIGINT: 5,
  UTINYINT: 6,
  USMALLINT: 7,
  UINTEGER: 8,
  UBIGINT: 9,
  FLOAT: 10,
  DOUBLE: 11,
  TIMESTAMP: 12,
  DATE: 13,
  TIME: 14,
  INTERVAL: 15,
  HUGEINT: 16,
  VARCHAR: 17,
  BLOB: 18,
  DECIMAL: 19,
  TIMESTAMP_S: 20,
  TIMESTAMP_MS: 21,
  TIMESTAMP_NS: 22,
  ENUM: 23,
  LIST: 24,
  STRUCT: 25,
  MAP: 26,
  UUID: 27,
  UNION: 28,
  BIT: 29,
  TIME_TZ: 30,
  TIMESTAMP_TZ: 31,
  UHUGEINT: 32,
  ARRAY: 33,
  ANY: 34,
  BIGNUM: 35,
  SQLNULL: 36,
  TIME_NS: 39,
  GEOMETRY: 40,
  VARIANT: 41,
} as const;

/** What to do with integers whose magnitude is beyond 2^53 (they do not fit a `Float64Array` exactly). */
export type BigIntPolicy = "error" | "double" | "string";

/** What to do with LIST, STRUCT, MAP and ARRAY columns. */
export type NestedPolicy = "error" | "flatten" | "json";

/** Largest integer magnitude a double holds exactly (2^53). */
export const MAX_EXACT_INTEGER = 2 ** 53;

/** Nested DuckDB types (LIST, STRUCT, MAP, ARRAY, UNION). */
export function isNestedType(typeId: number): boolean {
  return (
    typeId === DuckDBTypeIds.LIST ||
    typeId === DuckDBTypeIds.STRUCT ||
    typeId === DuckDBTypeIds.MAP ||
    typeId === DuckDBTypeIds.ARRAY
  );
}

/**
 * DuckDB types a {@link Table} cannot hold, with the SQL that turns them into one it can. Every other
 * type is read natively (see README "Type mapping").
 */
export const UNSUPPORTED_TYPE_HINTS: Readonly<Record<number, string>> = {
  [DuckDBTypeIds.TIME]:
    "a time of day has no column type in a lolpop table; select `epoch(col)` (seconds since midnight) or `CAST(col AS VARCHAR)`",
  [DuckDBTypeIds.TIME_NS]:
    "a time of day has no column type in a lolpop table; select `epoch(col)` (seconds since midnight) or `CAST(col AS VARCHAR)`",
  [DuckDBTypeIds.TIME_TZ]:
    "a time of day has no column type in a lolpop table; select `CAST(col AS VARCHAR)` or combine it with a date into a TIMESTAMPTZ",
  [DuckDBTypeIds.INTERVAL]:
    "an interval has no column type in a lolpop table; select `epoch(col)` (seconds) or `CAST(col AS VARCHAR)`",
  [DuckDBTypeIds.BLOB]:
    "binary data has no column type in a lolpop table; select `hex(col)` or `base64(col)`",
  [DuckDBTypeIds.BIT]: "a bit string has no column type in a lolpop table; select `CAST(col AS VARCHAR)`",
  [DuckDBTypeIds.UNION]: "a UNION value has no column type in a lolpop table; select `CAST(col AS VARCHAR)`",
  [DuckDBTypeIds.BIGNUM]:
    "an arbitrary-precision integer has no column type in a lolpop table; select `CAST(col AS DOUBLE)` or `CAST(col AS VARCHAR)`",
  [DuckDBTypeIds.GEOMETRY]: "a geometry has no column type in a lolpop table; select `ST_AsText(col)`",
  [DuckDBTypeIds.VARIANT]:
    "a VARIANT value has no column type in a lolpop table; select `CAST(col AS VARCHAR)` or cast it to a plain type",
};
