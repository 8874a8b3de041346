import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  categoricalFromCodes,
  createLogger,
  DataError,
  instantiateComponent,
  type LogRecord,
  type StandaloneOptions,
  Table,
} from "@lolpop/core";
import { baselinePredictions, computeMetric } from "@lolpop/core/metrics";
import { type LocalDataSplitter, localDataSplitter } from "./local-data-splitter.js";
import {
  FEATURE_TRANSFORMER_FORMAT,
  type LocalFeatureTransformer,
  localFeatureTransformer,
} from "./local-feature-transformer.js";
import { readTable } from "./local-table-reader.js";

const create = (options: StandaloneOptions = {}) =>
  instantiateComponent(localFeatureTransformer, options) as Promise<LocalFeatureTransformer>;

const NaN_ = Number.NaN;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-ft-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function make(config: Record<string, unknown> = {}) {
  const logs: LogRecord[] = [];
  const logger = createLogger({
    stream: { write: () => true },
    level: "debug",
    format: "json",
    sinks: [(r) => logs.push(r)],
  });
  const ft = await create({
    config,
    logger,
    path: "train.feature_transformer",
  });
  return { ft, logs };
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

const train = () =>
  Table.fromColumns(
    {
      id: [10, 11, 12, 13, 14],
      x: [1, 2, NaN_, 4, 10],
      color: ["red", "blue", "red", null, "green"],
      y: ["a", "b", "a", "b", "a"],
    },
    { roles: { id: "index", y: "target" } },
  );

function columns(t: Table): Record<string, number[]> {
  return Object.fromEntries(t.columnNames.map((n) => [n, [...t.numeric(n)]]));
}

describe("fit and transform", () => {
  test("defaults: median impute + standard scaling, one-hot in alphabetical order; target and index ignored", async () => {
    const { ft } = await make();
    const out = await ft.fit_transform(train());
    expect(out.columnNames).toEqual(["x", "color=blue", "color=green", "color=red"]);
    expect(out.schema.every((s) => s.type === "numeric" && s.role === "feature")).toBe(true);
    // median of [1, 2, 4, 10] = 3; imputed [1, 2, 3, 4, 10]: mean 4, population sd sqrt(10)
    const sd = Math.sqrt(10);
    const x = [...out.numeric("x")];
    [1, 2, 3, 4, 10].forEach((v, i) => expect(x[i]).toBeCloseTo((v - 4) / sd, 14));
    // missing color -> most frequent "red"
    expect(columns(out)).toMatchObject({
      "color=blue": [0, 1, 0, 0, 0],
      "color=green": [0, 0, 0, 0, 1],
      "color=red": [1, 0, 1, 1, 0],
    });
  });

  test("mean / most_frequent / constant imputation, minmax scaling, missing indicators", async () => {
    const t = Table.fromColumns({ a: [1, 1, NaN_, 4], b: ["u", null, "v", "v"] });
    const mean = await (await make({ numeric_impute: "mean", scaling: "none" })).ft.fit_transform(t);
    expect([...mean.numeric("a")]).toEqual([1, 1, 2, 4]);
    const mf = await (
      await make({ numeric_impute: "most_frequent", scaling: "minmax", add_missing_indicators: true })
    ).ft.fit_transform(t);
    expect(columns(mf)).toEqual({
      a: [0, 0, 0, 1],
      a__missing: [0, 0, 1, 0],
      "b=u": [1, 0, 0, 0],
      "b=v": [0, 1, 1, 1],
      b__missing: [0, 1, 0, 0],
    });
    const constant = await (
      await make({
        numeric_impute: "constant",
        categorical_impute: "constant",
        fill_value: -1,
        scaling: "none",
      })
    ).ft.fit_transform(t);
    expect(columns(constant)).toEqual({
      a: [1, 1, -1, 4],
      "b=-1": [0, 1, 0, 0],
      "b=u": [1, 0, 0, 0],
      "b=v": [0, 0, 1, 1],
    });
    const missingText = await (
      await make({ categorical_impute: "constant", scaling: "none" })
    ).ft.fit_transform(t);
    expect(missingText.columnNames).toEqual(["a", "b=__missing__", "b=u", "b=v"]);
  });

  test("ordinal encoding; unknown categories are -1 / all zeros and logged once", async () => {
    const { ft, logs } = await make({ encoding: "ordinal", scaling: "none" });
    await ft.fit(train());
    const test = Table.fromColumns({ x: [5, NaN_, 1], color: ["green", "purple", "pink"] });
    const out = await ft.transform(test);
    expect(columns(out)).toEqual({ x: [5, 3, 1], color: [1, -1, -1] });
    const warns = logs.filter((l) => l.level === "warn");
    expect(warns).toHaveLength(1);
    expect(warns[0]!.msg).toContain('"color": 2 row(s), e.g. "purple", "pink"');

    const onehot = await make({ scaling: "none" });
    await onehot.ft.fit(train());
    const enc = await onehot.ft.transform(test);
    expect(columns(enc)).toMatchObject({
      "color=blue": [0, 0, 0],
      "color=green": [1, 0, 0],
      "color=red": [0, 0, 0],
    });
    expect(onehot.logs.filter((l) => l.level === "warn")).toHaveLength(1);
  });

  test("passthrough keeps categories as text: missing imputed, every value kept, unseen ones passed on; saved state round-trips", async () => {
    const { ft, logs } = await make({
      encoding: "passthrough",
      max_categories: 1,
      add_missing_indicators: true,
    });
    const out = await ft.fit_transform(train());
    expect(out.columnNames).toEqual(["x", "x__missing", "color", "color__missing"]);
    expect(out.column("color").type).toBe("categorical");
    expect(out.values("color")).toEqual(["red", "blue", "red", "red", "green"]);
    expect([...out.numeric("color__missing")]).toEqual([0, 0, 0, 1, 0]);
    // max_categories does not apply: no __other__ bucket
    await ft.save(dir);
    const saved = JSON.parse(readFileSync(join(dir, "feature_transformer.json"), "utf8"));
    expect(saved.features[1]).toMatchObject({
      encoding: "passthrough",
      categories: ["blue", "green", "red"],
      infrequent: [],
    });
    const loaded = await make();
    await loaded.ft.load(dir);
    const test = Table.fromColumns({ x: [1, 2], color: [null, "purple"] });
    const enc = await loaded.ft.transform(test);
    expect(enc.values("color")).toEqual(["red", "purple"]);
    expect(enc.column("color").type).toBe("categorical");
    expect(logs.filter((l) => l.level === "warn")).toHaveLength(0);
    // a numeric column declared categorical at fit stays text
    const fromNumbers = await make({
      encoding: "passthrough",
      categorical_impute: "constant",
      fill_value: "none",
    });
    const t = Table.fromColumns({ c: ["1", "2", null] });
    expect((await fromNumbers.ft.fit_transform(t)).values("c")).toEqual(["1", "2", "none"]);
  });

  test("max_categories keeps the most frequent values and buckets the rest in __other__", async () => {
    const t = Table.fromColumns({ c: ["a", "a", "a", "b", "b", "c", "d", "b", "a"] });
    const { ft, logs } = await make({ max_categories: 2 });
    await ft.fit(t);
    const out = await ft.transform(Table.fromColumns({ c: ["a", "b", "c", "d", "e"] }));
    expect(columns(out)).toEqual({
      "c=a": [1, 0, 0, 0, 0],
      "c=b": [0, 1, 0, 0, 0],
      "c=__other__": [0, 0, 1, 1, 0],
    });
    expect(logs.filter((l) => l.level === "warn")[0]!.msg).toContain('"c": 1 row(s), e.g. "e"');
  });

  test("an all-NaN numeric feature is dropped with a warning and recorded in the state", async () => {
    const t = Table.fromColumns({
      x: [1, 2, 3],
      empty: [NaN_, NaN_, NaN_],
      nothing: categoricalFromCodes(Int32Array.from([-1, -1, -1]), ["z"]),
    });
    const { ft, logs } = await make({ scaling: "none" });
    await ft.fit(t);
    expect(logs.filter((l) => l.level === "warn").map((l) => l.msg)).toEqual([
      'feature "empty" is dropped: all values are missing (NaN) in the 3 training rows',
      'feature "nothing" is dropped: all values are missing in the 3 training rows',
    ]);
    const out = await ft.transform(Table.fromColumns({ x: [7] }));
    expect(out.columnNames).toEqual(["x"]);
    await ft.save(dir);
    const saved = JSON.parse(readFileSync(join(dir, "feature_transformer.json"), "utf8"));
    expect(saved.dropped).toEqual([
      { name: "empty", reason: "all values are missing (NaN)" },
      { name: "nothing", reason: "all values are missing" },
    ]);
  });

  test("feature types are reconciled at transform time", async () => {
    const { ft } = await make({ scaling: "none" });
    await ft.fit(Table.fromColumns({ zip: ["75001", "69001", "75001"], n: [1, 2, 3] }));
    const out = await ft.transform(Table.fromColumns({ zip: [75001, 13001], n: ["4", null] }));
    expect(columns(out)).toEqual({ "zip=69001": [0, 0], "zip=75001": [1, 0], n: [4, 2] });
    const e = await dataError(ft.transform(Table.fromColumns({ zip: ["1"], n: ["four"] })));
    expect(e.message).toMatch(/feature "n" was numeric at fit but holds text now \(e\.g\. "four"\)/);
  });

  test("missing columns at transform are a DataError naming them; extra columns are ignored", async () => {
    const { ft } = await make();
    await ft.fit(train());
    const e = await dataError(ft.transform(Table.fromColumns({ other: [1], y: ["a"] })));
    expect(e.message).toBe('the data lacks feature columns "x", "color" seen at fit (columns: other, y)');
    const ok = await ft.transform(Table.fromColumns({ color: ["red"], x: [4], extra: [1] }));
    expect(ok.columnNames).toEqual(["x", "color=blue", "color=green", "color=red"]);
  });
});

describe("state", () => {
  test("save/load round trip gives identical output", async () => {
    const { ft } = await make({ max_categories: 1, add_missing_indicators: true });
    await ft.fit(train());
    await ft.save(dir);
    expect(readdirSync(dir)).toEqual(["feature_transformer.json"]);
    const saved = JSON.parse(readFileSync(join(dir, "feature_transformer.json"), "utf8"));
    expect(saved.format).toBe(FEATURE_TRANSFORMER_FORMAT);
    expect(saved.version).toBe(1);
    expect(saved.output_columns).toEqual([
      "x",
      "x__missing",
      "color=red",
      "color=__other__",
      "color__missing",
    ]);

    const { ft: restored } = await make();
    await restored.load(dir);
    const data = Table.fromColumns({ x: [NaN_, 3.5], color: ["green", null] });
    const a = await ft.transform(data);
    const b = await restored.transform(data);
    expect(b.fingerprint()).toBe(a.fingerprint());
    expect(columns(b)["color=__other__"]).toEqual([1, 0]);
  });

  test("use before fit, unreadable or foreign state", async () => {
    const { ft } = await make();
    const e = await dataError(ft.transform(train()));
    expect(e.code).toBe("not_fitted");
    expect(e.message).toMatch(/transform\(\) was called before fit\(\) or load\(\)/);
    await expect(ft.save(dir)).rejects.toThrow(/save\(\) was called before fit\(\)/);
    const missing = await dataError(ft.load(dir));
    expect(missing.message).toContain(join(dir, "feature_transformer.json"));
    expect(missing.message).toMatch(/does not exist/);
    writeFileSync(
      join(dir, "feature_transformer.json"),
      JSON.stringify({ format: "other", version: 1, features: [] }),
    );
    expect((await dataError(ft.load(dir))).message).toMatch(/format is "other"/);
    writeFileSync(
      join(dir, "feature_transformer.json"),
      JSON.stringify({ format: FEATURE_TRANSFORMER_FORMAT, version: 9, features: [] }),
    );
    expect((await dataError(ft.load(dir))).message).toMatch(/newer @lolpop\/local .*upgrade/);
    writeFileSync(join(dir, "feature_transformer.json"), "{");
    expect((await dataError(ft.load(dir))).message).toMatch(/not valid JSON/);
  });

  test("fit errors: no feature columns; config errors", async () => {
    const { ft } = await make();
    const t = Table.fromColumns({ y: [1] }, { roles: { y: "target" } });
    expect((await dataError(ft.fit(t))).message).toBe("no feature columns to fit on (columns: y [target])");
    await expect(make({ numeric_impute: "constant", fill_value: "zero" })).rejects.toThrow(
      /needs a number as fill_value/,
    );
    await expect(make({ encoding: "binary" })).rejects.toThrow(/encoding/);
    await expect(make({ max_categories: 0 })).rejects.toThrow(/max_categories/);
  });
});

describe("with the other local components (penguins)", () => {
  test("CSV -> split -> fit on train -> transform every split: numeric, no missing, stable columns", async () => {
    const pkgDir = dirname(fileURLToPath(new URL("../package.json", import.meta.url)));
    const vegaRoot = dirname(dirname(createRequire(join(pkgDir, "package.json")).resolve("vega-datasets")));
    const rows = JSON.parse(readFileSync(join(vegaRoot, "data", "penguins.json"), "utf8")) as Array<
      Record<string, unknown>
    >;
    const names = Object.keys(rows[0]!);
    const cell = (v: unknown) => (v === null ? "" : /[",]/.test(String(v)) ? `"${String(v)}"` : String(v));
    writeFileSync(
      join(dir, "p.csv"),
      `${names.join(",")}\n${rows.map((r) => names.map((n) => cell(r[n])).join(",")).join("\n")}\n`,
    );
    const table = await readTable(join(dir, "p.csv"), { na_values: ["", "."] });
    const splitter = (await instantiateComponent(localDataSplitter, {
      config: { target: "Species" },
      problemType: "classification",
    })) as LocalDataSplitter;
    const splits = await splitter.split_data(table);
    const features = (t: Table) => t.select(t.columnsWithRole("feature"));
    const { ft } = await make();
    await ft.fit(features(splits.train));
    const encoded = await Promise.all(
      [splits.train, splits.valid, splits.test!].map((t) => ft.transform(features(t))),
    );
    for (const e of encoded) {
      expect(e.columnNames).toEqual([
        "Island=Biscoe",
        "Island=Dream",
        "Island=Torgersen",
        "Beak Length (mm)",
        "Beak Depth (mm)",
        "Flipper Length (mm)",
        "Body Mass (g)",
        "Sex=FEMALE",
        "Sex=MALE",
      ]);
      for (const n of e.columnNames) expect([...e.numeric(n)].some(Number.isNaN)).toBe(false);
    }
    // standard scaling: the training columns have mean 0 and unit population variance
    const x = encoded[0]!.numeric("Body Mass (g)");
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    expect(Math.abs(mean)).toBeLessThan(1e-12);
    expect(variance).toBeCloseTo(1, 12);
    // a majority-class baseline scores as expected on the encoded splits' targets
    const y = splits.test!.column("Species");
    const base = baselinePredictions("classification", splits.train.column("Species"), splits.test!.numRows, [
      "Adelie",
      "Chinstrap",
      "Gentoo",
    ]);
    expect(computeMetric("accuracy", y, base)).toBeCloseTo(
      counts(splits.test!, "Species").Adelie! / splits.test!.numRows,
      15,
    );
  });
});

function counts(t: Table, col: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of t.values(col)) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}
