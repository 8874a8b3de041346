import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { ConfigError, DataError, instantiateComponent, type StandaloneOptions, Table } from "@lolpop/core";
import { type LocalDataTransformer, localDataTransformer } from "./local-data-transformer.js";
import {
  ExpressionError,
  evaluateExpression,
  expressionColumns,
  parseExpression,
} from "./local-data-transformer-expression.js";

const create = (options: StandaloneOptions = {}) =>
  instantiateComponent(localDataTransformer, options) as Promise<LocalDataTransformer>;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-transformer-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function write(rel: string, content: string): string {
  const p = join(dir, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, content);
  return p;
}

const NaN_ = Number.NaN;

const data = () =>
  Table.fromColumns(
    {
      id: [1, 2, 3, 4, 5],
      x: [1, NaN_, 4, -9, 0],
      y: [2, 3, NaN_, 3, 0],
      species: ["Adelie", "Gentoo", null, "Adelie", "Chinstrap"],
      "body mass": [3000, 4000, 5000, NaN_, 3500],
      flag: ["yes", "no", "yes", null, "no"],
    },
    { roles: { id: "index" } },
  );

function evalExpr(expr: string, t = data()): (number | string | null)[] {
  const col = evaluateExpression(parseExpression(expr), t);
  return Table.fromColumns({ v: col }).values("v");
}

function parseError(expr: string): ExpressionError {
  try {
    parseExpression(expr);
  } catch (e) {
    if (e instanceof ExpressionError) return e;
    throw e;
  }
  throw new Error(`expected "${expr}" not to parse`);
}

async function caught(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("expression language", () => {
  test("arithmetic, precedence, unary minus and missing propagation", () => {
    expect(evalExpr("x + y * 2")).toEqual([5, NaN_, NaN_, -3, 0]);
    expect(evalExpr("(x + 1) * -2")).toEqual([-4, NaN_, -10, 16, -2]);
    expect(evalExpr("x / y")).toEqual([0.5, NaN_, NaN_, -3, NaN_]); // 0/0 is missing
    expect(evalExpr("x % 3")).toEqual([1, NaN_, 1, -0, 0]);
    expect(evalExpr("2 ** 3".replace("**", "*"))).toEqual([6, 6, 6, 6, 6]);
    expect(evalExpr("1 / 0")).toEqual([NaN_, NaN_, NaN_, NaN_, NaN_]);
  });

  test("comparisons give booleans, missing stays missing", () => {
    const t = data();
    const col = evaluateExpression(parseExpression("x >= 1"), t);
    expect(col).toMatchObject({ type: "numeric", logical: "bool" });
    expect(evalExpr("x >= 1")).toEqual([1, NaN_, 1, 0, 0]);
    expect(evalExpr("species == 'Adelie'")).toEqual([1, 0, NaN_, 1, 0]);
    expect(evalExpr('species != "Adelie"')).toEqual([0, 1, NaN_, 0, 1]);
    expect(evalExpr("species < 'B'")).toEqual([1, 0, NaN_, 1, 0]);
    expect(evalExpr("id == 3")).toEqual([0, 0, 1, 0, 0]);
  });

  test("and / or / not use three-valued logic", () => {
    expect(evalExpr("x > 0 and y > 2")).toEqual([0, NaN_, NaN_, 0, 0]);
    expect(evalExpr("x > 0 or y > 2")).toEqual([1, 1, 1, 1, 0]);
    expect(evalExpr("not (x > 0)")).toEqual([0, NaN_, 0, 1, 1]);
    expect(evalExpr("true and not false")).toEqual([1, 1, 1, 1, 1]);
  });

  test("functions", () => {
    expect(evalExpr("abs(x)")).toEqual([1, NaN_, 4, 9, 0]);
    expect(evalExpr("sqrt(x)")).toEqual([1, NaN_, 2, NaN_, 0]);
    expect(evalExpr("log(x)")).toEqual([0, NaN_, Math.log(4), NaN_, NaN_]);
    expect(evalExpr("exp(0) + 0 * id")).toEqual([1, 1, 1, 1, 1]);
    expect(evalExpr("round(x / 3, 2)")).toEqual([0.33, NaN_, 1.33, -3, 0]);
    expect(evalExpr("round(-2.5)")).toEqual([-3, -3, -3, -3, -3]);
    expect(evalExpr("min(x, y, 2)")).toEqual([1, NaN_, NaN_, -9, 0]);
    expect(evalExpr("max(x, y)")).toEqual([2, NaN_, NaN_, 3, 0]);
    expect(evalExpr("is_missing(x) or is_missing(species)")).toEqual([0, 1, 1, 0, 0]);
    expect(evalExpr("coalesce(x, y, -1)")).toEqual([1, 3, 4, -9, 0]);
    expect(evalExpr("coalesce(species, 'unknown')")).toEqual([
      "Adelie",
      "Gentoo",
      "unknown",
      "Adelie",
      "Chinstrap",
    ]);
    expect(evalExpr("species + '-' + flag")).toEqual(["Adelie-yes", "Gentoo-no", null, null, "Chinstrap-no"]);
  });

  test("col() reaches names that are not identifiers", () => {
    expect(evalExpr('col("body mass") / 1000')).toEqual([3, 4, 5, NaN_, 3.5]);
    expect(expressionColumns(parseExpression('col("body mass") + x * coalesce(y, x)'))).toEqual([
      "body mass",
      "x",
      "y",
    ]);
  });

  test("syntax errors point at the offending character", () => {
    expect(parseError("x + )").position).toBe(4);
    expect(parseError("x + )").message).toMatch(/expected a value/);
    expect(parseError("x = 1")).toMatchObject({ position: 2, message: 'use "==" to compare values' });
    expect(parseError("x && y").message).toMatch(/use "and"/);
    expect(parseError("1 < x < 3").message).toMatch(/chained comparisons/);
    expect(parseError("foo(x)").message).toMatch(/unknown function "foo"; functions are: col, abs/);
    expect(parseError("round()").message).toBe("round() takes 1 to 2 arguments, got 0");
    expect(parseError("'open").message).toMatch(/never closed/);
    expect(parseError("(x + 1").message).toMatch(/expected "\)"/);
    expect(parseError("x y").position).toBe(2);
    expect(parseError("col(x)").message).toMatch(/col\(\) takes one quoted column name/);
  });

  test("type errors and unknown columns point at the sub-expression", () => {
    expect(() => evalExpr("species * 2")).toThrow(/needs numbers, but got text/);
    let err: ExpressionError | undefined;
    try {
      evalExpr("x + nope");
    } catch (e) {
      err = e as ExpressionError;
    }
    expect(err).toBeInstanceOf(ExpressionError);
    expect(err!.position).toBe(4);
    expect(err!.message).toMatch(/unknown column "nope" \(columns: id, x, y, species, body mass, flag\)/);
    expect(() => evalExpr("species > 1")).toThrow(/cannot order a number against text/);
  });
});

describe("declarative steps", () => {
  test("drop, rename, cast, derive, filter and dropna in order", async () => {
    const transformer = await create({
      config: {
        steps: [
          { drop: ["y"] },
          { rename: { "body mass": "mass" } },
          { cast: { flag: "bool", id: "categorical" } },
          { derive: { name: "mass_kg", expr: "round(mass / 1000, 1)" } },
          { derive: { name: "heavy", expr: "mass_kg >= 4 and flag" } },
          { filter: "not is_missing(species)" },
          { dropna: ["mass"] },
        ],
      },
    });
    const input = data();
    const before = input.fingerprint();
    const out = await transformer.transform(input);
    expect(input.fingerprint()).toBe(before);
    expect(out.columnNames).toEqual(["id", "x", "species", "mass", "flag", "mass_kg", "heavy"]);
    expect(out.role("id")).toBe("index");
    expect(out.toRows()).toEqual([
      { id: "1", x: 1, species: "Adelie", mass: 3000, flag: 1, mass_kg: 3, heavy: 0 },
      { id: "2", x: NaN_, species: "Gentoo", mass: 4000, flag: 0, mass_kg: 4, heavy: 0 },
      { id: "5", x: 0, species: "Chinstrap", mass: 3500, flag: 0, mass_kg: 3.5, heavy: 0 },
    ]);
    expect(out.schema.find((s) => s.name === "heavy")!.logical).toBe("bool");
  });

  test("dropna with an empty list looks at every column", async () => {
    const t = await create({ config: { steps: [{ dropna: [] }] } });
    expect((await t.transform(data())).values("id")).toEqual([1, 5]);
  });

  test("cast numeric from text, and an error naming the values that do not convert", async () => {
    const table = Table.fromColumns({ a: ["1.5", "2", null], b: ["1", "x", "y"] });
    const ok = await create({
      config: { steps: [{ cast: { a: "numeric" } }] },
    });
    expect([...(await ok.transform(table)).numeric("a")]).toEqual([1.5, 2, NaN_]);
    const bad = await create({
      config: { steps: [{ drop: ["a"] }, { cast: { b: "numeric" } }] },
    });
    const e = await caught(bad.transform(table));
    expect(DataError.isInstance(e)).toBe(true);
    expect(e.message).toMatch(
      /steps\[1\] \(cast\): column "b" cannot be cast to numeric: 2 value\(s\) do not convert, e\.g\. "x", "y"/,
    );
  });

  test("unknown columns name the step index and the available columns", async () => {
    const t = await create({
      config: { steps: [{ drop: ["x"] }, { derive: { name: "z", expr: "x * 2" } }] },
    });
    const e = await caught(t.transform(data()));
    expect(e.message).toContain("steps[1] (derive)");
    expect(e.message).toContain('unknown column "x"');
    expect(e.message).toContain("columns: id, y, species, body mass, flag");
    const d = await create({ config: { steps: [{ drop: ["nope"] }] } });
    expect((await caught(d.transform(data()))).message).toMatch(
      /steps\[0\] \(drop\): no column "nope" \(columns: id, x/,
    );
    const r = await create({
      config: { steps: [{ rename: { x: "y" } }] },
    });
    expect((await caught(r.transform(data()))).message).toMatch(/two columns named "y"/);
  });

  test("a filter that gives text is an error", async () => {
    const t = await create({
      config: { steps: [{ filter: "species" }] },
    });
    expect((await caught(t.transform(data()))).message).toMatch(
      /steps\[0\] \(filter\): the condition "species" gives text/,
    );
  });

  test("parse errors are config errors naming the step, the YAML path and the column", async () => {
    const e = await caught(
      create({
        path: "process.data_transformer",
        config: {
          steps: [{ drop: ["a"] }, { derive: { name: "z", expr: "x + * 2" } }, { filter: "x => 1" }],
        },
      }),
    );
    expect(ConfigError.isInstance(e)).toBe(true);
    const issues = (e as ConfigError).issues;
    expect(issues.map((i) => i.path)).toEqual([
      "process.data_transformer.config.steps.1.derive.expr",
      "process.data_transformer.config.steps.2.filter",
    ]);
    expect(issues[0]!.message).toContain(
      "steps[1] (derive): expected a value (number, 'text', column or function), found \"*\" at column 5 of the expression:",
    );
    expect(issues[0]!.message).toContain("\n    x + * 2\n        ^");
    expect(issues[1]!.message).toContain("at column 3");
  });

  test("config: steps must be one-key objects; module xor steps", async () => {
    await expect(create({ config: { steps: [{ drop: ["a"], filter: "x" }] } })).rejects.toThrow(/steps/);
    await expect(create({ config: { steps: [{ explode: "a" }] } })).rejects.toThrow(/explode/);
    await expect(create({ config: {} })).rejects.toThrow(/needs `module`/);
    await expect(create({ config: { module: "a.js", steps: [{ drop: ["a"] }] } })).rejects.toThrow(
      /not both/,
    );
  });
});

describe("user modules", () => {
  test(".mjs module with the default function name, given the context", async () => {
    write(
      "transforms/prep.mjs",
      "export function transform(table, ctx) { return table.withColumn('root', table.values('id').map(() => ctx.project.root)); }\n",
    );
    const t = await create({
      config: { module: "transforms/prep.mjs" },
      project: { root: dir },
    });
    const out = await t.transform(data());
    expect(out.values("root")).toEqual([dir, dir, dir, dir, dir]);
  });

  test(".ts module: types stripped, async function, relative and package imports resolved from its folder", async () => {
    write(
      "node_modules/fake-helpers/package.json",
      JSON.stringify({
        name: "fake-helpers",
        type: "module",
        exports: { ".": { import: "./lib/index.mjs" } },
      }),
    );
    write("node_modules/fake-helpers/lib/index.mjs", "export const factor = 10;\n");
    write("src/offset.mjs", "export const offset = 0.5;\n");
    write(
      "src/prepare.ts",
      [
        'import type { Table } from "@lolpop/core";',
        'import { factor } from "fake-helpers";',
        'import { offset } from "./offset.mjs";',
        "interface Ctx { logger: { info(m: string): void } }",
        "export async function prepare(table: Table, ctx: Ctx): Promise<Table> {",
        "  ctx.logger.info('preparing');",
        "  const x = table.numeric('x');",
        "  const scaled: number[] = Array.from(x, (v: number) => v * factor + offset);",
        "  return table.withColumn('scaled', scaled);",
        "}",
      ].join("\n"),
    );
    const t = await create({
      config: { module: "src/prepare.ts", function: "prepare" },
      project: { root: dir },
    });
    const out = await t.transform(data());
    expect([...out.numeric("scaled")]).toEqual([10.5, NaN_, 40.5, -89.5, 0.5]);
    expect(readdirSync(dir).sort()).toEqual(["node_modules", "src"]);
  });

  test("missing file, missing function, wrong return value, compile error", async () => {
    const missing = await create({
      config: { module: "nope.mjs" },
      project: { root: dir },
    });
    const e1 = await caught(missing.transform(data()));
    expect(DataError.isInstance(e1)).toBe(true);
    expect(e1.message).toContain(join(dir, "nope.mjs"));
    expect(e1.message).toMatch(/module not found/);

    write("a.mjs", "export function other(t) { return t; }\nexport const n = 1;\n");
    const noFn = await create({
      config: { module: "a.mjs" },
      project: { root: dir },
    });
    expect((await caught(noFn.transform(data()))).message).toMatch(
      /does not export a function "transform" \(exported functions: other\)/,
    );

    write("b.mjs", "export function transform(t) { t.numRows; }\n");
    const noReturn = await create({
      config: { module: "b.mjs" },
      project: { root: dir },
    });
    expect((await caught(noReturn.transform(data()))).message).toMatch(
      /transform\(\) returned undefined \(did you forget `return`\?\), a Table was expected/,
    );

    write("c.mjs", "export const transform = async (t) => t.toRows();\n");
    const rows = await create({
      config: { module: "c.mjs" },
      project: { root: dir },
    });
    expect((await caught(rows.transform(data()))).message).toMatch(/returned an array/);

    write("d.ts", "export function transform(t: number { return t }\n");
    const broken = await create({
      config: { module: "d.ts" },
      project: { root: dir },
    });
    const e4 = await caught(broken.transform(data()));
    expect(e4.message).toContain(join(dir, "d.ts"));
    expect(e4.message).toMatch(/does not compile/);

    write("e.py", "x = 1\n");
    const py = await create({
      config: { module: "e.py" },
      project: { root: dir },
    });
    expect((await caught(py.transform(data()))).message).toMatch(/must be a \.js, \.mjs or \.ts file/);
  });
});
