// Parity with pandas and pyarrow (the project venv's, not a copy of their results): a mixed-type CSV
// read by DuckDBDataConnector, written to Parquet by it and read back, equals pandas.read_csv of the
// CSV and pyarrow's reading of that Parquet value for value, NULLs and zoned timestamps included;
// a Parquet file written by pyarrow with every mapped type reads as pyarrow reads it.
import { join } from "node:path";
import { type DataConnector, DataError, type Table } from "@lolpop/core";
import { WIDE_COLUMNS, writeWideCsv } from "../test-fixtures/wide-data.mjs";
import { duckdbDataConnector } from "./duckdb-data-connector.js";
import { make, plainValues, type ReferenceColumn, reference, tempDir } from "./duckdb-test-utils.js";

const dir = tempDir("lolpop-duckdb-parity-");

function expectSameValues(ours: Table, ref: ReferenceColumn[], names: string[] = ref.map((c) => c.name)) {
  expect(ours.columnNames).toEqual(names);
  for (const col of ref) {
    if (!names.includes(col.name)) continue;
    const mine = plainValues(ours.column(col.name));
    // first difference, for a readable failure
    const i = mine.findIndex((v, k) => !Object.is(v, col.values[k]) && v !== col.values[k]);
    expect({ column: col.name, row: i, ours: mine[i], reference: col.values[i] }).toEqual({
      column: col.name,
      row: -1,
      ours: undefined,
      reference: undefined,
    });
  }
}

describe("CSV -> Parquet -> Table against pandas and pyarrow", () => {
  const csv = join(dir, "wide.csv");
  const parquet = join(dir, "wide.parquet");
  let fromCsv: Table;
  let fromParquet: Table;

  beforeAll(async () => {
    await writeWideCsv(csv, 3000, 11);
    const c = await make<DataConnector>(duckdbDataConnector, { columns: { ts: "datetime" } });
    fromCsv = await c.get_data(csv);
    await c.save_data(fromCsv, parquet);
    fromParquet = await (await make<DataConnector>(duckdbDataConnector, {})).get_data(parquet);
  }, 120_000);

  test("the CSV reads as pandas.read_csv reads it (ts through pd.to_datetime, UTC)", () => {
    const ref = reference("dump_csv", csv, "ts").columns;
    expect(ref.map((c) => c.name)).toEqual(WIDE_COLUMNS);
    expectSameValues(fromCsv, ref);
    // missing values are where pandas has them, in numbers, integers and text
    for (const name of ["x1", "n3", "city"]) {
      const nulls = ref.find((c) => c.name === name)!.values.filter((v) => v === null).length;
      expect(nulls).toBeGreaterThan(0);
      expect(plainValues(fromCsv.column(name)).filter((v) => v === null).length).toBe(nulls);
    }
  });

  test("its Parquet version reads as pyarrow reads it, with the same values as the CSV", () => {
    const ref = reference("dump_parquet", parquet).columns;
    expect(Object.fromEntries(ref.map((c) => [c.name, c.type]))).toMatchObject({
      id: "int64",
      x1: "double",
      n3: "int64",
      city: "string",
      flag: "bool",
      ts: "timestamp[us, tz=UTC]",
    });
    expectSameValues(fromParquet, ref);
    expectSameValues(fromParquet, reference("dump_csv", csv, "ts").columns);
    expect(fromParquet.fingerprint()).toBe(fromCsv.fingerprint());
  });
});

describe("a Parquet file written by pyarrow with every mapped type", () => {
  const file = join(dir, "types.parquet");
  let ref: ReferenceColumn[];
  const read = async (config: Record<string, unknown>) =>
    (await make<DataConnector>(duckdbDataConnector, config)).get_data(file);
  const refOf = (name: string) => ref.find((c) => c.name === name)!;

  beforeAll(() => {
    reference("write_types", file);
    ref = reference("dump_parquet", file).columns;
  }, 60_000);

  test("nested columns are refused by default, naming the column and the options", async () => {
    const e = (await read({}).catch((x) => x)) as DataError;
    expect(DataError.isInstance(e)).toBe(true);
    expect(e.code).toBe("unsupported_type");
    expect(e.message).toMatch(/column "list_int" is BIGINT\[\], a nested type/);
    expect(e.message).toMatch(/nested: flatten/);
  });

  test("integers beyond 2^53 are refused by default with the column, row and exact value", async () => {
    const e = (await read({ nested: "json" }).catch((x) => x)) as DataError;
    expect(e.code).toBe("integer_out_of_range");
    expect(e.message).toMatch(/column "int64_big", row 2: 9007199254740993 is an integer beyond ±2\^53/);
  });

  test("every scalar column equals pyarrow's values (bigint: string keeps big integers exact)", async () => {
    const t = await read({ nested: "json", bigint: "string" });
    const scalars = ref.filter((c) => !["list_int", "struct_ab"].includes(c.name));
    for (const col of scalars) {
      const mine = plainValues(t.column(col.name));
      // with bigint: string a column with a big integer is exact decimal text throughout
      // DuckDB reads a zoned nanosecond timestamp as TIMESTAMPTZ, in microseconds (documented)
      const expected =
        col.name === "int64_big" || col.name === "uint64"
          ? col.values.map((v) => (v === null ? null : String(v)))
          : col.name === "ts_paris_ns"
            ? col.values.map((v) => (typeof v === "number" ? Math.trunc(v * 1000) / 1000 : v))
            : col.values;
      expect({ column: col.name, values: mine }).toEqual({ column: col.name, values: expected });
    }
    expect(t.column("int64_big").type).toBe("categorical");
    expect(t.column("small_int")).toMatchObject({ type: "numeric", logical: "int" });
    expect(t.column("dec_18_3")).toMatchObject({ type: "numeric", logical: "float" });
    expect(t.column("ts_paris_ns")).toMatchObject({ type: "numeric", logical: "datetime" });
    expect(t.column("day")).toMatchObject({ type: "numeric", logical: "datetime" });
    expect(t.column("flag")).toMatchObject({ type: "numeric", logical: "bool" });
    // a dictionary-encoded Parquet column is categorical with its values, NULL as missing
    expect(t.column("dict_str")).toMatchObject({ type: "categorical", dictionary: ["alpha", "beta"] });
    expect(refOf("dict_str").type).toMatch(/^dictionary</);
  });

  test("bigint: double keeps the nearest double", async () => {
    const t = await read({ nested: "json", bigint: "double" });
    // 2^53 + 1 and -(2^53 + 3) round to even: 2^53 and -(2^53 + 4)
    expect(plainValues(t.column("int64_big"))).toEqual([1, 9007199254740992, -9007199254740996, null]);
    expect(t.column("int64_big")).toMatchObject({ type: "numeric", logical: "int" });
  });

  test("nested: json gives JSON text, nested: flatten gives struct fields as columns", async () => {
    const j = await read({ nested: "json", bigint: "string" });
    expect(plainValues(j.column("list_int"))).toEqual(["[1,2]", null, "[]", "[3]"]);
    expect(plainValues(j.column("struct_ab"))).toEqual([
      '{"a":1,"b":"x"}',
      null,
      '{"a":null,"b":"y"}',
      '{"a":4,"b":null}',
    ]);
    const f = await read({ nested: "flatten", bigint: "string" });
    expect(f.columnNames).toContain("struct_ab.a");
    expect(f.columnNames).not.toContain("struct_ab");
    expect(plainValues(f.column("struct_ab.a"))).toEqual([1, null, null, 4]);
    expect(plainValues(f.column("struct_ab.b"))).toEqual(["x", null, "y", null]);
    expect(plainValues(f.column("list_int"))).toEqual(["[1,2]", null, "[]", "[3]"]);
  });
});
