// DuckDBDataTransformer: SQL over the input table with its types given back (int, bool, datetime,
// text), roles kept, parameters bound, errors pointing into the SQL, and a stable description.
import { DataError, Table } from "@lolpop/core";
import {
  DUCKDB_TRANSFORM_FORMAT,
  type DuckDBDataTransformer,
  describeDuckDBTransform,
  duckdbDataTransformer,
} from "./duckdb-data-transformer.js";
import { DuckDBQueryError } from "./duckdb-query-error.js";
import { make, rowsOf } from "./duckdb-test-utils.js";

const input = Table.fromColumns(
  {
    id: { type: "numeric", values: Float64Array.from([1, 2, 3, 4]), logical: "int" },
    mass: [3750, Number.NaN, 4200, 5000],
    male: { type: "numeric", values: Float64Array.from([1, 0, Number.NaN, 1]), logical: "bool" },
    seen: {
      type: "numeric",
      values: Float64Array.from([
        Date.UTC(2024, 0, 1, 12),
        Date.UTC(2024, 6, 1),
        Number.NaN,
        Date.UTC(2023, 11, 31, 23, 59),
      ]),
      logical: "datetime",
    },
    species: ["Adelie", "Gentoo", null, "Gentoo"],
  },
  { roles: { id: "index", species: "target" } },
);

const transformer = (config: Record<string, unknown>) =>
  make<DuckDBDataTransformer>(duckdbDataTransformer, config);

test("SQL over `input` sees SQL types and returns a table with the roles of kept columns", async () => {
  const t = await transformer({
    sql: `SELECT id, species, mass / 1000 AS mass_kg, male AND mass > $min AS heavy_male,
            year(seen) AS year, typeof(id) || '/' || typeof(male) || '/' || typeof(seen) AS types
          FROM input WHERE species IS NOT NULL ORDER BY id`,
    params: { min: 4000 },
  });
  const out = await t.transform(input);
  expect(rowsOf(out)).toEqual([
    {
      id: 1,
      species: "Adelie",
      mass_kg: 3.75,
      heavy_male: 0,
      year: 2024,
      types: "BIGINT/BOOLEAN/TIMESTAMP WITH TIME ZONE",
    },
    {
      id: 2,
      species: "Gentoo",
      mass_kg: null,
      heavy_male: 0,
      year: 2024,
      types: "BIGINT/BOOLEAN/TIMESTAMP WITH TIME ZONE",
    },
    {
      id: 4,
      species: "Gentoo",
      mass_kg: 5,
      heavy_male: 1,
      year: 2023,
      types: "BIGINT/BOOLEAN/TIMESTAMP WITH TIME ZONE",
    },
  ]);
  expect(out.role("id")).toBe("index");
  expect(out.role("species")).toBe("target");
  expect(out.role("mass_kg")).toBe("feature");
  // the input is untouched
  expect(input.numRows).toBe(4);
});

test("values round trip through DuckDB unchanged (SELECT * FROM input)", async () => {
  const out = await (await transformer({ sql: "SELECT * FROM input" })).transform(input);
  expect(rowsOf(out)).toEqual(rowsOf(input));
  expect(out.schema).toEqual(input.schema);
  expect(out.fingerprint()).toBe(input.fingerprint());
});

test("a custom input name, and a SQL error that points at the line and column", async () => {
  const t = await transformer({ sql: "SELECT *\nFROM penguins\nWHERE nope > 1", input_name: "penguins" });
  const e = await t.transform(input).catch((x) => x);
  expect(DuckDBQueryError.isInstance(e)).toBe(true);
  expect((e as DuckDBQueryError).position).toEqual({ line: 3, column: 7 });
  expect((e as Error).message).toMatch(
    /^DuckDBDataTransformer: sql: Binder Error: Referenced column "nope" not found/,
  );
  expect((e as Error).message).toContain("WHERE nope > 1\n        ^");
});

test("a missing parameter is a clear error before anything runs", async () => {
  const e = await (await transformer({ sql: "SELECT * FROM input WHERE mass > $min" }))
    .transform(input)
    .catch((x) => x);
  expect(DataError.isInstance(e)).toBe(true);
  expect((e as DataError).code).toBe("sql_missing_parameter");
});

test("describe() is stable: the same config gives the same hash, a different SQL another", async () => {
  const sql = "SELECT * FROM input";
  const d = (await transformer({ sql })).describe();
  expect(d).toEqual({
    format: DUCKDB_TRANSFORM_FORMAT,
    type: "DuckDBDataTransformer",
    sql,
    params: {},
    input_name: "input",
    bigint: "error",
    nested: "error",
    duckdb_version: "v1.5.5",
    hash: expect.stringMatching(/^[0-9a-f]{64}$/),
  });
  expect(describeDuckDBTransform({ sql }).hash).toBe(d.hash);
  expect(describeDuckDBTransform({ sql, params: {} }).hash).toBe(d.hash);
  expect(describeDuckDBTransform({ sql: `${sql} WHERE true` }).hash).not.toBe(d.hash);
  expect(describeDuckDBTransform({ sql, params: { a: 1 } }).hash).not.toBe(d.hash);
});
