import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { DataError, instantiateComponent, type StandaloneOptions, Table } from "@lolpop/core";
import { type LocalDataConnector, localDataConnector } from "./local-data-connector.js";
import { readTable } from "./local-table-reader.js";
import { writeTable } from "./local-table-writer.js";

const create = (options: StandaloneOptions = {}) =>
  instantiateComponent(localDataConnector, options) as Promise<LocalDataConnector>;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-connector-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, content: string): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function dataError(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (e) {
    if (DataError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a DataError");
}

const pkgDir = dirname(fileURLToPath(new URL("../package.json", import.meta.url)));
const vegaRoot = dirname(dirname(createRequire(join(pkgDir, "package.json")).resolve("vega-datasets")));
type Penguin = Record<string, string | number | null>;
const penguins = JSON.parse(readFileSync(join(vegaRoot, "data", "penguins.json"), "utf8")) as Penguin[];

describe("readTable: CSV", () => {
  test("infers numeric, bool and categorical columns; missing values become NaN / -1", async () => {
    const p = file(
      "a.csv",
      "id,score,ok,city\n1,1.5,true,Paris\n2,NA,FALSE,\n3,-2e3,True,Lyon\n4,,false,Paris\n",
    );
    const t = await readTable(p);
    expect(t.columnNames).toEqual(["id", "score", "ok", "city"]);
    expect(t.schema.map((s) => [s.type, s.logical ?? null])).toEqual([
      ["numeric", "float"],
      ["numeric", "float"],
      ["numeric", "bool"],
      ["categorical", null],
    ]);
    expect([...t.numeric("score")]).toEqual([1.5, Number.NaN, -2000, Number.NaN]);
    expect([...t.numeric("ok")]).toEqual([1, 0, 1, 0]);
    const city = t.categorical("city");
    expect(city.dictionary).toEqual(["Paris", "Lyon"]);
    expect([...city.codes]).toEqual([0, -1, 1, 0]);
  });

  test("a single non-numeric value keeps the column categorical with its original text", async () => {
    const t = await readTable(file("b.csv", "code\n007\n0x10\n1.50\n"));
    expect(t.categorical("code").dictionary).toEqual(["007", "0x10", "1.50"]);
    const inf = await readTable(file("c.csv", "v\n1\nInfinity\n"));
    expect(inf.column("v").type).toBe("categorical");
  });

  test("RFC 4180 quoting, BOM, CRLF and blank lines", async () => {
    const p = file("q.csv", '\uFEFFname,note\r\n"Smith, J","said ""hi""\r\nthen left"\r\n\r\nDoe,plain\r\n');
    const t = await readTable(p);
    expect(t.columnNames).toEqual(["name", "note"]);
    expect(t.values("name")).toEqual(["Smith, J", "Doe"]);
    expect(t.values("note")).toEqual(['said "hi"\r\nthen left', "plain"]);
  });

  test("custom delimiter, na_values and tab for .tsv", async () => {
    const t = await readTable(file("d.csv", "a;b\n1;?\n2;x\n"), { delimiter: ";", na_values: ["?"] });
    expect(t.values("b")).toEqual([null, "x"]);
    const tsv = await readTable(file("e.tsv", "a\tb\n1\t2\n"));
    expect(tsv.values("b")).toEqual([2]);
  });

  test("forced types: datetime (epoch ms), categorical, bool", async () => {
    const p = file("f.csv", "when,zip,flag\n2024-01-02T03:04:05Z,01000,yes\n1700000000000,75001,0\n,NA,\n");
    const t = await readTable(p, { columns: { when: "datetime", zip: "categorical", flag: "bool" } });
    expect(t.schema.find((s) => s.name === "when")!.logical).toBe("datetime");
    expect([...t.numeric("when")]).toEqual([Date.UTC(2024, 0, 2, 3, 4, 5), 1700000000000, Number.NaN]);
    expect(t.values("zip")).toEqual(["01000", "75001", null]);
    expect([...t.numeric("flag")]).toEqual([1, 0, Number.NaN]);
  });

  test("a value that does not fit a forced type names the column, value and line", async () => {
    const p = file("g.csv", "x\n1\n2\nabc\n");
    const e = await dataError(readTable(p, { columns: { x: "numeric" } }));
    expect(e.message).toContain(p);
    expect(e.message).toContain('column "x"');
    expect(e.message).toContain('"abc" on line 4');
    const unknown = await dataError(readTable(p, { columns: { nope: "numeric" } }));
    expect(unknown.message).toMatch(/"nope".*columns: x/);
  });

  test("blank header names get positional names", async () => {
    const t = await readTable(file("h.csv", ",a\n1,2\n"));
    expect(t.columnNames).toEqual(["column_1", "a"]);
  });
});

describe("readTable: errors name the file and say what to do", () => {
  test("missing file", async () => {
    const p = join(dir, "nope.csv");
    const e = await dataError(readTable(p));
    expect(e.code).toBe("file_not_found");
    expect(e.message).toContain(p);
    expect(e.message).toMatch(/Check the path/);
  });

  test("empty file", async () => {
    const p = file("empty.csv", "");
    const e = await dataError(readTable(p));
    expect(e.message).toContain(p);
    expect(e.message).toMatch(/empty: it has no header row/);
    const blank = file("blank.csv", "\n\n");
    expect((await dataError(readTable(blank))).code).toBe("empty_file");
  });

  test("header only", async () => {
    const p = file("header.csv", "a,b\n");
    const e = await dataError(readTable(p));
    expect(e.code).toBe("no_rows");
    expect(e.message).toContain(p);
    expect(e.message).toMatch(/header \(a, b\) but no data rows/);
  });

  test("ragged row: line number, expected and found field counts", async () => {
    const p = file("ragged.csv", 'a,b,c\n1,2,3\n"multi\nline",5,6\n7,8\n');
    const e = await dataError(readTable(p));
    expect(e.code).toBe("ragged_row");
    expect(e.message).toContain(p);
    expect(e.message).toContain("line 5 has 2 fields, expected 3");
    expect(e.details).toMatchObject({ line: 5, expected: 3, found: 2 });
  });

  test("ragged row deep in a large file stops reading and still names the line", async () => {
    const lines = ["a,b,c"];
    for (let i = 0; i < 80_000; i++) lines.push(i === 50_000 ? "1,2" : `${i},${i * 0.5},x${i % 7}`);
    const p = file("big.csv", `${lines.join("\n")}\n`);
    const e = await dataError(readTable(p));
    expect(e.message).toContain("line 50002 has 2 fields, expected 3");
  }, 60_000);

  test("duplicate header names", async () => {
    const p = file("dup.csv", "a,b,a\n1,2,3\n");
    const e = await dataError(readTable(p));
    expect(e.message).toContain(p);
    expect(e.message).toContain('"a" (columns 1 and 3)');
  });

  test("unclosed quote is a DataError naming the file", async () => {
    const p = file("quote.csv", 'a,b\n"x,1\n');
    const e = await dataError(readTable(p));
    expect(e.code).toBe("invalid_csv");
    expect(e.message).toContain(p);
  });

  test("invalid JSON Lines line", async () => {
    const p = file("bad.jsonl", '{"a":1}\n\n{"a":2\n');
    const e = await dataError(readTable(p));
    expect(e.message).toContain(p);
    expect(e.message).toContain("line 3 is not valid JSON");
    expect(e.details).toMatchObject({ line: 3 });
    const notObj = await dataError(readTable(file("arr.jsonl", '{"a":1}\n[1,2]\n')));
    expect(notObj.message).toContain("line 2 is an array");
  });

  test("invalid JSON, non-array JSON, unknown extension", async () => {
    expect((await dataError(readTable(file("x.json", "{")))).message).toMatch(/invalid JSON/);
    expect((await dataError(readTable(file("y.json", '{"a":1}')))).message).toMatch(/must hold an array/);
    const e = await dataError(readTable(file("z.parquet", "x")));
    expect(e.message).toMatch(/set `format`/);
  });
});

describe("readTable: JSON and JSON Lines", () => {
  test("JSON array: JSON types decide, keys are unioned, null and absent keys are missing", async () => {
    const p = file(
      "r.json",
      JSON.stringify([
        { a: 1, s: "01", b: true },
        { a: null, c: "x" },
        { a: 2.5, s: "NA", b: false, n: { k: 1 } },
      ]),
    );
    const t = await readTable(p);
    expect(t.columnNames).toEqual(["a", "s", "b", "c", "n"]);
    expect([...t.numeric("a")]).toEqual([1, Number.NaN, 2.5]);
    expect(t.values("s")).toEqual(["01", null, null]);
    expect(t.schema.find((s) => s.name === "b")!.logical).toBe("bool");
    expect(t.values("c")).toEqual([null, "x", null]);
    expect(t.values("n")).toEqual([null, null, '{"k":1}']);
  });

  test("JSON Lines with a forced type", async () => {
    const t = await readTable(file("r.jsonl", '{"a":"1"}\n{"a":"2"}\n'), { columns: { a: "numeric" } });
    expect([...t.numeric("a")]).toEqual([1, 2]);
  });
});

describe("writeTable", () => {
  const table = Table.fromColumns({
    id: [1, 2, 3],
    text: ["plain", 'has "quotes", comma', "line\nbreak"],
    x: [0.1, Number.NaN, -3],
    flag: Table.fromColumns({ f: [true, false, null] }).column("f"),
  });

  test("CSV output is RFC 4180 quoted with empty missing values", async () => {
    const saved = await writeTable(table, join(dir, "sub", "out.csv"));
    expect(saved).toEqual({ uri: join(dir, "sub", "out.csv"), rows: 3, format: "csv" });
    expect(readFileSync(saved.uri, "utf8")).toBe(
      'id,text,x,flag\n1,plain,0.1,true\n2,"has ""quotes"", comma",,false\n3,"line\nbreak",-3,\n',
    );
    expect(readdirSync(join(dir, "sub"))).toEqual(["out.csv"]);
  });

  test("CSV and JSONL round trips keep values and types", async () => {
    for (const name of ["rt.csv", "rt.jsonl", "rt.json"]) {
      const saved = await writeTable(table, join(dir, name));
      const back = await readTable(saved.uri);
      expect(back.schema).toEqual(table.schema);
      expect(back.toRows()).toEqual(table.toRows());
    }
    expect(readFileSync(join(dir, "rt.jsonl"), "utf8").split("\n")[1]).toBe(
      '{"id":2,"text":"has \\"quotes\\", comma","x":null,"flag":false}',
    );
  });

  test("unknown extension without a format is an error", async () => {
    const e = await dataError(writeTable(table, join(dir, "out.bin")));
    expect(e.message).toContain("out.bin");
    await writeTable(table, join(dir, "out.bin"), { format: "jsonl" });
    expect(readFileSync(join(dir, "out.bin"), "utf8").split("\n")).toHaveLength(4);
  });
});

describe("LocalDataConnector component", () => {
  test("get_data resolves relative paths from the project root; save_data writes output_path", async () => {
    file("in.csv", "a,b\n1,x\n2,y\n");
    const connector = await create({
      config: { path: "in.csv", output_path: "out/result.jsonl" },
      project: { root: dir },
    });
    const t = await connector.get_data();
    expect(t.numRows).toBe(2);
    const saved = await connector.save_data(t);
    expect(saved).toEqual({ uri: join(dir, "out", "result.jsonl"), rows: 2, format: "jsonl" });
    expect(readFileSync(saved.uri, "utf8")).toBe('{"a":1,"b":"x"}\n{"a":2,"b":"y"}\n');
    const other = await connector.get_data(saved.uri);
    expect(other.toRows()).toEqual(t.toRows());
  });

  test("config: na_values, columns and delimiter are used", async () => {
    file("in.csv", "a|b\n-|1\n5|2\n");
    const connector = await create({
      config: { path: "in.csv", delimiter: "|", na_values: ["-"], columns: { b: "categorical" } },
      project: { root: dir },
    });
    const t = await connector.get_data();
    expect([...t.numeric("a")]).toEqual([Number.NaN, 5]);
    expect(t.values("b")).toEqual(["1", "2"]);
  });

  test("no source and no path, no target and no output_path", async () => {
    const connector = await create({ project: { root: dir } });
    expect((await dataError(connector.get_data())).message).toMatch(
      /without a source and no `path` is configured/,
    );
    expect((await dataError(connector.save_data(Table.fromColumns({ a: [1] })))).message).toMatch(
      /output_path/,
    );
  });

  test("the config schema rejects unknown keys and bad values", async () => {
    await expect(create({ config: { pathh: "x.csv" } })).rejects.toThrow(
      /unknown key "pathh"; did you mean "path"/,
    );
    await expect(create({ config: { format: "xlsx" } })).rejects.toThrow(/format/);
    await expect(create({ config: { columns: { a: "date" } } })).rejects.toThrow(/columns/);
  });

  test("penguins (vega-datasets) through CSV: types, missing values and every value", async () => {
    const names = Object.keys(penguins[0]!);
    const csv = [
      names.join(","),
      ...penguins.map((r) => names.map((n) => (r[n] === null ? "" : String(r[n]))).join(",")),
    ].join("\n");
    file("penguins.csv", `${csv}\n`);
    const connector = await create({
      config: { path: "penguins.csv", na_values: ["", "."] },
      project: { root: dir },
    });
    const t = await connector.get_data();
    expect(t.numRows).toBe(344);
    expect(t.columnNames).toEqual(names);
    expect(Object.fromEntries(t.schema.map((s) => [s.name, s.type]))).toEqual({
      Species: "categorical",
      Island: "categorical",
      "Beak Length (mm)": "numeric",
      "Beak Depth (mm)": "numeric",
      "Flipper Length (mm)": "numeric",
      "Body Mass (g)": "numeric",
      Sex: "categorical",
    });
    expect(t.categorical("Species").dictionary).toEqual(["Adelie", "Chinstrap", "Gentoo"]);
    expect(t.categorical("Sex").dictionary).toEqual(["MALE", "FEMALE"]);
    const expected = penguins.map((r) =>
      Object.fromEntries(
        names.map((n) => [
          n,
          r[n] === null || r[n] === "." ? (typeof penguins[0]![n] === "number" ? Number.NaN : null) : r[n],
        ]),
      ),
    );
    expect(t.toRows()).toEqual(expected);
    // the JSON file itself reads to the same table
    const fromJson = await readTable(join(vegaRoot, "data", "penguins.json"), { na_values: ["."] });
    expect(fromJson.fingerprint()).toBe(t.fingerprint());
  });
});
