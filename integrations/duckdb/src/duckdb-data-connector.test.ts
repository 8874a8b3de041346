// DuckDBDataConnector against real files: the same Table as LocalDataConnector for the same CSV,
// globs, hive-partitioned folders, JSON, queries with named parameters, atomic writes, and the errors
// for bad input (missing file, empty glob, SQL errors with their position, ragged rows, bad values).
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, type DataConnector, DataError, Table, validateConfigText } from "@lolpop/core";
import "@lolpop/workflows";
import "./index.js";
import { localDataConnector } from "@lolpop/local";
import { duckdbDataConnector } from "./duckdb-data-connector.js";
import { DuckDBQueryError } from "./duckdb-query-error.js";
import { make, penguinsProject, rowsOf, tempDir } from "./duckdb-test-utils.js";

const connector = (config: Record<string, unknown> = {}, root?: string) =>
  make<DataConnector>(duckdbDataConnector, config, root);
const local = (config: Record<string, unknown> = {}, root?: string) =>
  make<DataConnector>(localDataConnector, config, root);

async function failure(p: Promise<unknown>): Promise<DataError> {
  try {
    await p;
  } catch (e) {
    if (!DataError.isInstance(e)) throw e;
    return e;
  }
  throw new Error("expected a DataError");
}

const dir = tempDir("lolpop-duckdb-conn-");
const file = (name: string, text: string) => {
  const p = join(dir, name);
  mkdirSync(join(p, ".."), { recursive: true });
  writeFileSync(p, text);
  return p;
};

describe("CSV like LocalDataConnector", () => {
  test("the penguins CSV gives the same table (values, types, fingerprint)", async () => {
    const project = penguinsProject();
    const ours = await (await connector({ path: "data/train.csv" }, project)).get_data();
    const theirs = await (await local({ path: "data/train.csv" }, project)).get_data();
    expect(ours.columnNames).toEqual(theirs.columnNames);
    expect(ours.schema.map((s) => s.type)).toEqual(theirs.schema.map((s) => s.type));
    expect(ours.fingerprint()).toBe(theirs.fingerprint());
    expect(ours.categorical("species").dictionary).toEqual(theirs.categorical("species").dictionary);
    expect(ours.numRows).toBe(theirs.numRows);
  });

  test("quoting, na_values, booleans, a tab-separated file and forced columns match too", async () => {
    const text = [
      "name,score,ok,note,when",
      '"Smith, J",1.5,true,"say ""hi""",2024-01-02T03:04:05Z',
      "Lee,NA,false,,2024-05-06",
      "N/A,7,TRUE,multi word,",
      "Ng,-0.25,False,null,2023-12-31T23:00:00+02:00",
    ].join("\n");
    const csv = file("mixed.csv", `${text}\n`);
    const tsv = file("mixed.tsv", `${text.replaceAll(",", "\t").replace('"Smith\t J"', '"Smith, J"')}\n`);
    for (const [p, cfg] of [
      [csv, { columns: { when: "datetime" } }],
      [tsv, { columns: { when: "datetime" } }],
      [csv, {}],
    ] as const) {
      const ours = await (await connector({ path: p, ...cfg })).get_data();
      const theirs = await (await local({ path: p, ...cfg })).get_data();
      expect(rowsOf(ours)).toEqual(rowsOf(theirs));
      expect(ours.fingerprint()).toBe(theirs.fingerprint());
    }
    const t = await (await connector({ path: csv, columns: { when: "datetime" } })).get_data();
    expect(t.values("when")).toEqual([
      Date.UTC(2024, 0, 2, 3, 4, 5),
      Date.UTC(2024, 4, 6),
      Number.NaN,
      Date.UTC(2023, 11, 31, 21),
    ]);
    expect(t.column("ok")).toMatchObject({ type: "numeric", logical: "bool" });
  });

  test("a non-number far past DuckDB's sniffing sample makes the column text, as LocalDataConnector does", async () => {
    const lines = ["a,b"];
    for (let i = 0; i < 30_000; i++) lines.push(`${i},${i % 3}`);
    lines.push("n/a-ish,1");
    const p = file("late.csv", `${lines.join("\n")}\n`);
    const ours = await (await connector({ path: p })).get_data();
    expect(ours.column("a").type).toBe("categorical");
    expect(ours.fingerprint()).toBe((await (await local({ path: p })).get_data()).fingerprint());
  });
});

describe("globs, folders, JSON and queries", () => {
  test("a glob of CSV files and a hive-partitioned Parquet folder", async () => {
    file("parts/a.csv", "x,y\n1,a\n2,b\n");
    file("parts/b.csv", "x,y\n3,c\n");
    const c = await connector({}, dir);
    const t = await c.get_data("parts/*.csv");
    expect(t.numRows).toBe(3);
    expect([...t.numeric("x")].sort()).toEqual([1, 2, 3]);
    // a partitioned folder (part=0/, part=1/) written by the connector, read back as one table
    const w = await connector({}, dir);
    const src = Table.fromColumns({ v: [0, 1, 2, 3, 4, 5], part: [0, 1, 0, 1, 0, 1] });
    await w.save_data(src.filter([1, 0, 1, 0, 1, 0]).drop(["part"]), "hive/part=0/data.parquet");
    await w.save_data(src.filter([0, 1, 0, 1, 0, 1]).drop(["part"]), "hive/part=1/data.parquet");
    const h = await c.get_data("hive");
    expect(h.columnNames.sort()).toEqual(["part", "v"]);
    const rows = rowsOf(h).sort((a, b) => (a.v as number) - (b.v as number));
    expect(rows.map((r) => [r.v, Number(r.part)])).toEqual([
      [0, 0],
      [1, 1],
      [2, 0],
      [3, 1],
      [4, 0],
      [5, 1],
    ]);
  });

  test("JSON arrays and JSON Lines", async () => {
    const j = file(
      "rows.json",
      JSON.stringify([
        { a: 1, b: "x", c: true },
        { a: null, b: "y", c: false },
      ]),
    );
    const l = file("rows.jsonl", '{"a": 1, "b": "x"}\n{"a": 2.5, "b": null}\n');
    const c = await connector();
    expect(rowsOf(await c.get_data(j))).toEqual([
      { a: 1, b: "x", c: 1 },
      { a: null, b: "y", c: 0 },
    ]);
    expect(rowsOf(await c.get_data(l))).toEqual([
      { a: 1, b: "x" },
      { a: 2.5, b: null },
    ]);
  });

  test("a query with named parameters reads files relative to the project root", async () => {
    file("q/data.csv", "k,v\na,1\nb,2\nc,3\n");
    const c = await connector(
      {
        query: "SELECT k, v * 10 AS v10 FROM 'q/data.csv' WHERE v >= $min AND k <> $skip ORDER BY k",
        params: { min: 2, skip: "c" },
      },
      dir,
    );
    expect(rowsOf(await c.get_data())).toEqual([{ k: "b", v10: 20 }]);
  });

  test("a parameter value is bound, never pasted into the SQL", async () => {
    file("q/names.csv", "name\nalice\nbob\n");
    const read = async (name: string) =>
      (
        await connector({ query: "SELECT name FROM 'q/names.csv' WHERE name = $name", params: { name } }, dir)
      ).get_data();
    expect(rowsOf(await read("bob"))).toEqual([{ name: "bob" }]);
    // an injected OR would return both rows; bound, it is just text that matches nothing
    expect((await read("x' OR '1'='1")).numRows).toBe(0);
  });
});

describe("bad input", () => {
  test("a missing file, an empty glob, an empty file and a header without rows", async () => {
    const c = await connector({}, dir);
    let e = await failure(c.get_data("nope/missing.csv"));
    expect(e.code).toBe("file_not_found");
    expect(e.message).toContain(join(dir, "nope/missing.csv"));
    e = await failure(c.get_data("nothing-*.parquet"));
    expect(e.code).toBe("glob_no_match");
    expect(e.message).toMatch(/matches no files/);
    e = await failure(c.get_data(file("empty.csv", "")));
    expect(e.code).toBe("empty_file");
    e = await failure(c.get_data(file("header.csv", "a,b\n")));
    expect(e.code).toBe("no_rows");
    expect(e.message).toMatch(/header \(a, b\) but no data rows/);
  });

  test("a ragged row and a value that does not fit a forced type name the line", async () => {
    let e = await failure((await connector()).get_data(file("ragged.csv", "a,b\n1,2\n3,4\n5,6,7\n8,9\n")));
    expect(e.code).toBe("ragged_row");
    expect(e.message).toMatch(/line 4 has 3 fields, expected 2 like the header \(a, b\)/);
    e = await failure((await connector()).get_data(file("short.csv", "a,b\n1,2\n3\n")));
    expect(e.message).toMatch(/line 3 has 1 field, expected 2/);
    e = await failure(
      (await connector({ columns: { b: "numeric" } })).get_data(file("bad.csv", "a,b\n1,2\n3,x\n")),
    );
    expect(e.code).toBe("bad_value");
    expect(e.message).toMatch(
      /column "b" is set to numeric in `columns`, but the value "x" on line 3 is not a number/,
    );
    e = await failure((await connector({ columns: { nope: "numeric" } })).get_data(join(dir, "bad.csv")));
    expect(e.code).toBe("missing_column");
  });

  test("SQL errors name the line and column in the query", async () => {
    const c = await connector({}, dir);
    let e = await failure(c.get_data("query: SELECT a,\n  nope\nFROM 'bad.csv'"));
    expect(DuckDBQueryError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(/Referenced column "nope" not found/);
    expect(e.message).toMatch(/SQL line 2, column 3/);
    expect((e as DuckDBQueryError).position).toEqual({ line: 2, column: 3 });
    e = await failure(c.get_data("query: SELECT * FORM 'bad.csv'"));
    expect(e.code).toBe("sql_parser");
    expect(e.message).toMatch(/syntax error at or near/);
    expect((e as DuckDBQueryError).position?.line).toBe(1);
    e = await failure((await connector({ query: "SELECT $x AS v" }, dir)).get_data());
    expect(e.code).toBe("sql_missing_parameter");
    expect(e.message).toMatch(/uses \$x but `params` has no value/);
    e = await failure((await connector({ query: "SELECT 1 AS v", params: { y: 1 } }, dir)).get_data());
    expect(e.code).toBe("sql_unused_parameter");
    e = await failure((await connector({ query: "SELECT ? AS v" }, dir)).get_data());
    expect(e.code).toBe("sql_positional_parameter");
  });

  test("only one of path, query and table", async () => {
    await expect(connector({ path: "a.csv", query: "SELECT 1" })).rejects.toThrow(
      /set only one of path, query and table/,
    );
    await expect(connector({ table: "t" })).rejects.toThrow(/configure it under `databases`/);
  });

  test("validate finds what get_data would: two sources, params without query, table without databases", () => {
    const workflow = (config: string) => `runner: ClassificationRunner
config:
  target: species
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
pipelines:
  process: OfflineProcess
process:
  components:
    data_connector: DuckDBDataConnector
  data_connector:
    config:
${config}
`;
    const issuesOf = (config: string) => {
      try {
        validateConfigText(workflow(config), join(dir, "lolpop.yaml"), {});
      } catch (e) {
        if (!ConfigError.isInstance(e)) throw e;
        // The workflow is cut to its process pipeline: the runner's missing pipelines are not this test's.
        return e.issues
          .filter((i) => i.path.startsWith("process."))
          .map((i) => ({ path: i.path, line: i.line, message: i.message }));
      }
      throw new Error("expected a ConfigError");
    };
    expect(issuesOf("      path: data/train.csv\n      query: SELECT 1")).toEqual([
      expect.objectContaining({
        path: "process.data_connector.config.query",
        line: 15,
        message: expect.stringMatching(/set only one of path, query and table \(found path and query\)/),
      }),
    ]);
    expect(issuesOf("      path: data/train.csv\n      params:\n        x: 1")).toEqual([
      expect.objectContaining({
        path: "process.data_connector.config.params",
        message: expect.stringMatching(/they need `query`, not `path`/),
      }),
    ]);
    expect(issuesOf("      table: penguins")).toEqual([
      expect.objectContaining({
        path: "process.data_connector.config.table",
        message: expect.stringMatching(/configure it under `databases`/),
      }),
    ]);
  });
});

describe("save_data", () => {
  const table = Table.fromColumns({
    id: { type: "numeric", values: Float64Array.from([1, 2, 3]), logical: "int" },
    x: [0.5, Number.NaN, -2],
    flag: { type: "numeric", values: Float64Array.from([1, 0, Number.NaN]), logical: "bool" },
    when: {
      type: "numeric",
      values: Float64Array.from([Date.UTC(2024, 1, 29, 12), Number.NaN, 0]),
      logical: "datetime",
    },
    name: ["a, b", null, 'q"uote'],
  });

  test("Parquet and CSV round trips keep values, types and missing values", async () => {
    const c = await connector({}, dir);
    for (const name of ["out/t.parquet", "out/t.csv"]) {
      const saved = await c.save_data(table, name);
      expect(saved).toEqual({
        uri: join(dir, name),
        rows: 3,
        format: name.endsWith(".csv") ? "csv" : "parquet",
      });
      const back = await (
        await connector(name.endsWith(".csv") ? { columns: { when: "datetime" } } : {}, dir)
      ).get_data(name);
      expect(rowsOf(back)).toEqual(rowsOf(table));
      expect(back.schema.map((s) => s.logical ?? s.type)).toEqual([
        "int",
        "float",
        "bool",
        "datetime",
        "categorical",
      ]);
    }
    expect(readFileSync(join(dir, "out/t.csv"), "utf8")).toBe(
      'id,x,flag,when,name\n1,0.5,true,2024-02-29T12:00:00.000Z,"a, b"\n2,,false,,\n3,-2.0,,1970-01-01T00:00:00.000Z,"q""uote"\n',
    );
    // the CSV reads back like LocalDataConnector reads it
    const viaLocal = await (await local({ columns: { when: "datetime" } }, dir)).get_data("out/t.csv");
    expect(rowsOf(viaLocal)).toEqual(rowsOf(table));
    expect(readdirSync(join(dir, "out")).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  test("a failed write leaves the old file and no temporary file", async () => {
    const c = await connector({}, dir);
    const target = join(dir, "keep/target.parquet");
    mkdirSync(target, { recursive: true }); // a folder where the file should go: rename fails
    writeFileSync(join(target, "inside"), "old");
    const e = await failure(c.save_data(table, target));
    expect(e.code).toBe("write_failed");
    expect(readFileSync(join(target, "inside"), "utf8")).toBe("old");
    expect(readdirSync(join(dir, "keep"))).toEqual(["target.parquet"]);
    const e2 = await failure(c.save_data(table, join(dir, "keep/t.json")));
    expect(e2.code).toBe("unknown_format");
    expect(existsSync(join(dir, "keep/t.json"))).toBe(false);
  });
});
