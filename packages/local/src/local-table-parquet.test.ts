// Parquet in the embedded default: files written by pyarrow read value for value as pandas reads
// them, files we write read back by pandas and by us, forced types, and the errors.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Column, DataError, instantiateComponent, type Table } from "@lolpop/core";
import { type LocalDataConnector, localDataConnector } from "./local-data-connector.js";
import { readParquet, writeParquet } from "./local-table-parquet.js";
import { readTable } from "./local-table-reader.js";

const pkgDir = dirname(fileURLToPath(new URL("../package.json", import.meta.url)));
const reference = join(pkgDir, "test", "fixtures", "parquet_reference.py");

/** The project venv's Python (pandas, pyarrow); `pnpm python:setup` builds it. */
function python(...args: string[]): string {
  const venv = process.env.LOLPOP_VENV ?? join(pkgDir, "..", "..", ".venv");
  const bin = join(venv, "bin", "python");
  if (!existsSync(bin)) {
    throw new Error(
      `No Python venv at ${venv}: run \`pnpm python:setup\` at the repository root, or set LOLPOP_VENV.`,
    );
  }
  const r = spawnSync(bin, [reference, ...args], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`parquet_reference.py ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

type Cell = number | string | boolean | null;

/** A column as the reference prints it: null for missing, booleans for bool columns. */
function cells(col: Column): Cell[] {
  if (col.type === "categorical") return Array.from(col.codes, (c) => (c < 0 ? null : col.dictionary[c]!));
  return Array.from(col.values, (v) => (Number.isNaN(v) ? null : col.logical === "bool" ? v === 1 : v));
}

function asCells(t: Table): Record<string, Cell[]> {
  return Object.fromEntries(t.columnNames.map((n) => [n, cells(t.column(n))]));
}

async function dataError(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    if (DataError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a DataError");
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-parquet-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

test("a pyarrow file (zstd, several row groups, every flat type) reads as pandas reads it", async () => {
  const f = join(dir, "types.parquet");
  python("write-types", f);
  const table = await readParquet(f, { na_values: [] });
  const expected = JSON.parse(python("read-parquet", f)) as Record<string, Cell[]>;
  expect(table.columnNames).toEqual(Object.keys(expected));
  expect(asCells(table)).toEqual(expected);
  expect(table.column("i64")).toMatchObject({ type: "numeric", logical: "int" });
  expect(table.column("flag")).toMatchObject({ type: "numeric", logical: "bool" });
  for (const c of ["ts_us", "ts_ns_tz", "ts_ms", "day"])
    expect(table.column(c)).toMatchObject({ logical: "datetime" });
  expect(table.column("dict")).toMatchObject({ type: "categorical", dictionary: ["x", "y"] });
  // the decimal is the nearest double to 1234567.89, not one ulp off
  expect(table.values("dec")[0]).toBe(1234567.89);
  // micro-seconds kept as a fraction of a millisecond
  expect(table.values("ts_us")[0]).toBe(Date.UTC(2024, 0, 1, 12, 0, 0, 123) + 0.456);
});

test("strings in na_values are missing in string columns (the default list has NA)", async () => {
  const f = join(dir, "types.parquet");
  python("write-types", f);
  const table = await readParquet(f);
  expect(table.values("name")).toEqual(["a", null, "é", null]);
});

test("CSV -> Parquet -> table: equal to the CSV's table and to pandas' reading of both files", async () => {
  const csv = join(dir, "in.csv");
  writeFileSync(
    csv,
    "when,amount,kind,ok\n2024-01-01T10:00:00Z,1.25,a,true\n,NA,,\n2023-12-31T23:59:59.5Z,-3,b,false\n1999-07-04T00:00:00Z,1e6,a,true\n",
  );
  const fromCsv = await readTable(csv, { columns: { when: "datetime" } });
  const pq = join(dir, "out.parquet");
  const saved = await writeParquet(fromCsv, pq);
  expect(saved).toEqual({ uri: pq, rows: 4, format: "parquet" });
  const back = await readParquet(pq);
  expect(asCells(back)).toEqual(asCells(fromCsv));
  const pandasCsv = JSON.parse(python("read-csv", csv, "when")) as Record<string, Cell[]>;
  const pandasParquet = JSON.parse(python("read-parquet", pq)) as Record<string, Cell[]>;
  expect(pandasParquet).toEqual(pandasCsv);
  expect(asCells(back)).toEqual(pandasCsv);
});

test("an INT64 beyond 2^53 is refused with column, row and value; forced categorical keeps the exact text", async () => {
  const f = join(dir, "big.parquet");
  python("write-big", f);
  const e = await dataError(readParquet(f));
  expect(e.code).toBe("bad_value");
  expect(e.message).toContain(`${f}: column "id" row 2 holds 9007199254740993`);
  expect(e.message).toContain('columns: {"id": categorical}');
  const t = await readParquet(f, { columns: { id: "categorical" } });
  expect(t.values("id")).toEqual(["1", "9007199254740993"]);
  expect(t.values("x")).toEqual([0.5, 1.5]);
});

test("forced types convert like the text formats and name the row of a value that does not fit", async () => {
  const f = join(dir, "types.parquet");
  python("write-types", f);
  const t = await readParquet(f, { columns: { i32: "categorical", flag: "numeric", name: "categorical" } });
  expect(t.values("i32")).toEqual(["1", "2", null, "-3"]);
  expect(cells(t.column("flag"))).toEqual([1, null, 0, 1]);
  const e = await dataError(readParquet(f, { columns: { name: "datetime" } }));
  expect(e.code).toBe("bad_value");
  expect(e.message).toContain('column "name" is set to datetime');
  expect(e.message).toContain("row 1");
  const missing = await dataError(readParquet(f, { columns: { nope: "numeric" } }));
  expect(missing.code).toBe("missing_column");
});

test("a model version's expected typing converts like `columns` (which wins); absent columns are skipped", async () => {
  const f = join(dir, "types.parquet");
  python("write-types", f);
  const expected = {
    columns: { i32: "categorical", flag: "numeric", absent: "numeric" },
    label: "model v2",
  } as const;
  const t = await readParquet(f, { expected });
  expect(t.values("i32")).toEqual(["1", "2", null, "-3"]);
  expect(cells(t.column("flag"))).toEqual([1, null, 0, 1]);
  expect(t.columnNames).not.toContain("absent");
  const own = await readParquet(f, { expected, columns: { i32: "numeric" } });
  expect(cells(own.column("i32"))).toEqual([1, 2, null, -3]);
  const e = await dataError(
    readParquet(f, { expected: { columns: { name: "datetime" }, label: "model v2" } }),
  );
  expect(e.code).toBe("bad_value");
  expect(e.message).toContain('model v2 was trained with column "name" as datetime');
  expect(e.message).toContain("row 1");
});

test("a nested column is refused by name; a truncated file is reported, not half-read", async () => {
  const nested = join(dir, "nested.parquet");
  python("write-nested", nested);
  const e = await dataError(readParquet(nested));
  expect(e.code).toBe("unsupported_type");
  expect(e.message).toContain('column "tags" is a nested Parquet column');
  expect(e.message).toContain("DuckDBDataConnector");

  const whole = join(dir, "types.parquet");
  python("write-types", whole);
  const bytes = readFileSync(whole);
  const cut = join(dir, "cut.parquet");
  writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length / 2)));
  const c = await dataError(readParquet(cut));
  expect(c.code).toBe("invalid_parquet");
  expect(c.message).toContain(cut);
});

test("LocalDataConnector reads .parquet by extension and writes it atomically", async () => {
  const src = join(dir, "types.parquet");
  python("write-types", src);
  const connector = (await instantiateComponent(localDataConnector, {
    config: { path: src },
  })) as LocalDataConnector;
  const t = await connector.get_data();
  expect(t.numRows).toBe(4);
  const outDir = join(dir, "out");
  const saved = await connector.save_data(t.select(["i32", "dict", "ts_ms"]), join(outDir, "sub.parquet"));
  expect(saved.format).toBe("parquet");
  expect(readdirSync(outDir)).toEqual(["sub.parquet"]);
  const pandas = JSON.parse(python("read-parquet", saved.uri)) as Record<string, Cell[]>;
  expect(pandas).toEqual({
    i32: [1, 2, null, -3],
    dict: ["x", "y", "x", null],
    ts_ms: [Date.UTC(2021, 2, 4, 5, 6, 7, 8), null, null, 0],
  });
});
