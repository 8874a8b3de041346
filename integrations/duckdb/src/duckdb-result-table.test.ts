// The conversion of streamed results (Parquet files are read streamed): results longer than one
// output segment, a row-count hint that is wrong either way, and errors that name rows in a later
// segment. Every case is checked against DuckDB's own values.

import { join } from "node:path";
import { type DataConnector, DataError, type Table } from "@lolpop/core";
import { duckdbDataConnector } from "./duckdb-data-connector.js";
import { resultToTable } from "./duckdb-result-table.js";
import { withDuckDB } from "./duckdb-runtime.js";
import { make, plainValues, tempDir } from "./duckdb-test-utils.js";

const ROWS = 300_000; // more than two output segments of 131,072 rows
const SQL = `SELECT range AS i, CASE WHEN range % 7 = 0 THEN NULL ELSE range * 0.5 END AS half, CASE WHEN range % 5 = 0 THEN NULL ELSE 'label number ' || (range % 97) END AS long_text, 'k' || (range % 3) AS short_text, CAST(CASE WHEN range % 2 = 0 THEN 'even' ELSE 'odd' END AS ENUM('even', 'odd', 'none')) AS parity FROM range(${ROWS})`;

function check(t: Table): void {
  expect(t.numRows).toBe(ROWS);
  const i = plainValues(t.column("i"));
  const half = plainValues(t.column("half"));
  const longText = plainValues(t.column("long_text"));
  const shortText = plainValues(t.column("short_text"));
  const parity = plainValues(t.column("parity"));
  for (const r of [0, 1, 2047, 131_071, 131_072, 131_073, 262_143, 262_144, 299_999]) {
    expect(i[r]).toBe(r);
    expect(half[r]).toBe(r % 7 === 0 ? null : r * 0.5);
    expect(longText[r]).toBe(r % 5 === 0 ? null : `label number ${r % 97}`);
    expect(shortText[r]).toBe(`k${r % 3}`);
    expect(parity[r]).toBe(r % 2 === 0 ? "even" : "odd");
  }
  let sum = 0;
  for (const v of i) sum += v as number;
  expect(sum).toBe((ROWS * (ROWS - 1)) / 2);
}

test("a streamed result is read in order across segments, with no row hint, the right one or too high a one", async () => {
  await withDuckDB({}, async (session) => {
    for (const rows of [undefined, ROWS, ROWS * 2]) {
      const result = await session.stream(SQL, { what: "query" });
      const t = await resultToTable(session.bindings, result, {
        what: "query",
        ...(rows !== undefined ? { rows } : {}),
      });
      check(t);
    }
  });
}, 60_000);

test("an integer beyond 2^53 in a later segment of a streamed result names its row", async () => {
  await withDuckDB({}, async (session) => {
    const sql = `SELECT CASE WHEN range = 200000 THEN 9007199254740993 ELSE range END AS big FROM range(${ROWS})`;
    const e = await resultToTable(session.bindings, await session.stream(sql, { what: "query" }), {
      what: "query",
    }).catch((x) => x);
    expect(DataError.isInstance(e)).toBe(true);
    expect((e as DataError).message).toMatch(
      /column "big", row 200001: 9007199254740993 is an integer beyond/,
    );
  });
}, 60_000);

test("Parquet (several row groups) is read streamed with the same values as a materialized query", async () => {
  const dir = tempDir("lolpop-duckdb-stream-");
  const file = join(dir, "wide.parquet");
  const source = await make<DataConnector>(duckdbDataConnector, { query: SQL });
  const table = await source.get_data();
  check(table);
  await source.save_data(table, file);
  const back = await (await make<DataConnector>(duckdbDataConnector, { path: file })).get_data();
  check(back);
  expect(back.columnNames).toEqual(table.columnNames);
}, 60_000);
