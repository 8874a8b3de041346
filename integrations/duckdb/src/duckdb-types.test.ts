// Type mapping of DuckDB-native types that files rarely carry, through queries: ENUM, UUID, HUGEINT,
// TIMESTAMP_S/NS, zoned timestamps, the types a table cannot hold (refused with the SQL that fixes
// them), duplicate column names, large results across many chunks, and the SQL-position helper.
import { type DataConnector, DataError } from "@lolpop/core";
import { duckdbDataConnector } from "./duckdb-data-connector.js";
import { sqlPosition } from "./duckdb-runtime.js";
import { make, plainValues } from "./duckdb-test-utils.js";

const query = async (sql: string, config: Record<string, unknown> = {}) =>
  (await make<DataConnector>(duckdbDataConnector, { query: sql, ...config })).get_data();

async function refusal(sql: string, config: Record<string, unknown> = {}): Promise<DataError> {
  const e = await query(sql, config).catch((x) => x);
  if (!DataError.isInstance(e)) throw new Error(`expected a DataError, got ${String(e)}`);
  return e;
}

test("ENUM keeps its order and drops unused members; UUID is text", async () => {
  const t = await query(
    "SELECT CAST(v AS ENUM('low', 'mid', 'high', 'unused')) AS level, CAST(u AS UUID) AS id FROM (VALUES ('high', '00000000-0000-0000-0000-000000000001'), ('low', NULL), (NULL, 'ffffffff-ffff-ffff-ffff-ffffffffffff')) t(v, u)",
  );
  expect(t.column("level")).toMatchObject({ type: "categorical", dictionary: ["low", "high"] });
  expect(plainValues(t.column("level"))).toEqual(["high", "low", null]);
  expect(plainValues(t.column("id"))).toEqual([
    "00000000-0000-0000-0000-000000000001",
    null,
    "ffffffff-ffff-ffff-ffff-ffffffffffff",
  ]);
});

test("HUGEINT within 2^53 is an int column; beyond it follows `bigint`", async () => {
  const t = await query("SELECT CAST(v AS HUGEINT) AS h FROM (VALUES (-5), (9007199254740992), (NULL)) t(v)");
  expect(t.column("h")).toMatchObject({ type: "numeric", logical: "int" });
  expect(plainValues(t.column("h"))).toEqual([-5, 2 ** 53, null]);
  const big = "SELECT CAST('170141183460469231731687303715884105727' AS HUGEINT) AS h";
  expect((await refusal(big)).message).toMatch(
    /row 1: 170141183460469231731687303715884105727 is an integer beyond/,
  );
  expect(plainValues((await query(big, { bigint: "string" })).column("h"))).toEqual([
    "170141183460469231731687303715884105727",
  ]);
  expect(plainValues((await query(big, { bigint: "double" })).column("h"))).toEqual([1.7014118346046923e38]);
});

test("timestamps of every unit, with and without a zone, are epoch milliseconds in UTC", async () => {
  const t = await query(
    "SELECT TIMESTAMP_S '2024-01-01 00:00:01' AS s, TIMESTAMP_MS '2024-01-01 00:00:00.123' AS ms, TIMESTAMP '2024-01-01 00:00:00.000250' AS us, TIMESTAMP_NS '2024-01-01 00:00:00.000000500' AS ns, TIMESTAMPTZ '2024-06-01 12:00:00+02:00' AS tz, DATE '1969-12-31' AS d",
  );
  const base = Date.UTC(2024, 0, 1);
  expect(t.toRows()[0]).toEqual({
    s: base + 1000,
    ms: base + 123,
    us: base + 0.25,
    ns: base + 0.0005,
    tz: Date.UTC(2024, 5, 1, 10),
    d: -86_400_000,
  });
  for (const s of t.schema) expect(s.logical).toBe("datetime");
});

test("types a table cannot hold are refused with the SQL that converts them", async () => {
  const cases: Array<[string, RegExp]> = [
    ["SELECT TIME '10:00' AS t", /column "t" is TIME: .*epoch\(col\)/],
    ["SELECT INTERVAL 1 DAY AS i", /column "i" is INTERVAL: .*epoch\(col\)/],
    ["SELECT 'ab'::BLOB AS b", /column "b" is BLOB: .*hex\(col\)/],
    ["SELECT MAP {'a': 1} AS m", /column "m" is MAP\(VARCHAR, INTEGER\), a nested type .*nested: json/],
  ];
  for (const [sql, message] of cases) {
    const e = await refusal(sql);
    expect(e.code).toBe("unsupported_type");
    expect(e.message).toMatch(message);
  }
  // the same columns, converted as suggested
  const t = await query("SELECT epoch(TIME '10:00') AS t, epoch(INTERVAL 1 DAY) AS i, hex('ab'::BLOB) AS b");
  expect(t.toRows()).toEqual([{ t: 36_000, i: 86_400, b: "6162" }]);
});

test("forced columns cast query results and name the first value that does not fit", async () => {
  const sql =
    "SELECT * FROM (VALUES ('1', '2024-01-01', 1), ('2.5', '2024-01-02 03:00:00+01', 0), ('x', NULL, NULL)) t(a, d, b)";
  const ok = await query(
    "SELECT * FROM (VALUES ('1', '2024-01-01', 1), ('2.5', '2024-01-02 03:00:00+01', 0)) t(a, d, b)",
    {
      columns: { a: "numeric", d: "datetime", b: "bool" },
    },
  );
  expect(ok.toRows()).toEqual([
    { a: 1, d: Date.UTC(2024, 0, 1), b: 1 },
    { a: 2.5, d: Date.UTC(2024, 0, 2, 2), b: 0 },
  ]);
  const e = await refusal(sql, { columns: { a: "numeric" } });
  expect(e.code).toBe("bad_value");
  expect(e.message).toMatch(
    /column "a" is set to numeric in `columns`, but the value "x" in row 3 is not a number/,
  );
});

test("duplicate result column names are refused", async () => {
  const e = await refusal("SELECT 1 AS a, 2 AS a");
  expect(e.code).toBe("duplicate_column");
});

test("many chunks, long and short strings, NULLs: values land in the right rows", async () => {
  const t = await query(
    "SELECT range AS i, CASE WHEN range % 7 = 0 THEN NULL ELSE 'value number ' || (range % 1000) END AS long_text, CASE WHEN range % 5 = 0 THEN NULL ELSE 'k' || (range % 3) END AS short_text, CASE WHEN range % 11 = 0 THEN NULL ELSE range / 2 END AS half FROM range(100000)",
  );
  expect(t.numRows).toBe(100_000);
  const longText = plainValues(t.column("long_text"));
  const shortText = plainValues(t.column("short_text"));
  const half = plainValues(t.column("half"));
  for (const i of [0, 1, 2047, 2048, 2049, 50_000, 77_777, 99_999]) {
    expect(longText[i]).toBe(i % 7 === 0 ? null : `value number ${i % 1000}`);
    expect(shortText[i]).toBe(i % 5 === 0 ? null : `k${i % 3}`);
    expect(half[i]).toBe(i % 11 === 0 ? null : i / 2);
  }
  expect(new Set(longText).size).toBe(1001); // 1000 texts + null
  const col = t.column("long_text");
  expect(col.type === "categorical" && col.dictionary.length).toBe(1000);
});

test("sqlPosition maps DuckDB's LINE/caret to a line and column, also in a truncated long line", () => {
  const sql = "SELECT a,\n  nope\nFROM t";
  expect(sqlPosition("Binder Error: x\n\nLINE 2:   nope\n          ^", sql)).toEqual({ line: 2, column: 3 });
  const long = `SELECT ${"x, ".repeat(60)}bad FROM t`;
  const window = long.slice(long.indexOf("bad") - 20, long.indexOf("bad") + 10);
  const msg = `Binder Error: y\n\nLINE 1: ...${window}...\n${" ".repeat(8 + 3 + 20)}^`;
  expect(sqlPosition(msg, long)).toEqual({ line: 1, column: long.indexOf("bad") + 1 });
});
