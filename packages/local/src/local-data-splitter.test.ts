import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  CORE_VERSION,
  createLineageRecorder,
  createLogger,
  createRng,
  DataError,
  type DataSplits,
  instantiateComponent,
  type LogRecord,
  type ProblemType,
  type StandaloneOptions,
  shuffleInPlace,
  Table,
} from "@lolpop/core";
import { allocate, type LocalDataSplitter, localDataSplitter } from "./local-data-splitter.js";
import { readTable } from "./local-table-reader.js";

const create = (options: StandaloneOptions = {}) =>
  instantiateComponent(localDataSplitter, options) as Promise<LocalDataSplitter>;

const pkgDir = dirname(fileURLToPath(new URL("../package.json", import.meta.url)));
const vegaRoot = dirname(dirname(createRequire(join(pkgDir, "package.json")).resolve("vega-datasets")));

let dir: string;
let penguins: Table;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-splitter-"));
  const rows = JSON.parse(readFileSync(join(vegaRoot, "data", "penguins.json"), "utf8")) as Array<
    Record<string, unknown>
  >;
  const names = Object.keys(rows[0]!);
  const csv =
    ["id", ...names].join(",") +
    "\n" +
    rows
      .map((r, i) => [i + 1, ...names.map((n) => (r[n] === null ? "" : String(r[n])))].join(","))
      .join("\n");
  const file = join(dir, "penguins.csv");
  writeFileSync(file, `${csv}\n`);
  penguins = await readTable(file, { na_values: ["", "."] });
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function setup(
  config: Record<string, unknown>,
  problemType?: ProblemType,
  inherited: Record<string, unknown> = {},
) {
  const logs: LogRecord[] = [];
  const logger = createLogger({
    stream: { write: () => true },
    level: "debug",
    format: "json",
    sinks: [(r) => logs.push(r)],
  });
  const lineage = createLineageRecorder({ config: {}, plugins: [], coreVersion: CORE_VERSION });
  const made = create({
    config,
    problemType,
    inherited,
    logger,
    lineage,
    path: "train.data_splitter",
  });
  return { made, logs, lineage };
}

async function split(table: Table, config: Record<string, unknown>, problemType?: ProblemType) {
  const s = setup(config, problemType);
  const splitter = await s.made;
  return { splits: await splitter.split_data(table), logs: s.logs, lineage: s.lineage };
}

function ids(t: Table | undefined, col = "id"): number[] {
  return t ? (t.values(col) as number[]) : [];
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

function counts(t: Table, col: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of t.values(col)) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

describe("helpers", () => {
  test("shuffle is a permutation; allocate uses largest remainders", () => {
    const p = shuffleInPlace(
      Int32Array.from({ length: 50 }, (_, i) => i),
      createRng(1),
    );
    expect([...p].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(allocate(10, [0.7, 0.15, 0.15])).toEqual([7, 2, 1]);
    expect(allocate(344, [0.7, 0.15, 0.15])).toEqual([241, 52, 51]);
    expect(allocate(3, [0.5, 0.5])).toEqual([2, 1]);
  });
});

describe("penguins", () => {
  test("classification: stratified by default, roles, deterministic, partition of the rows", async () => {
    const { splits, logs, lineage } = await split(
      penguins,
      { target: "Species", index: "id" },
      "classification",
    );
    const { train, valid, test } = splits as Required<DataSplits>;
    expect(train.numRows + valid.numRows + test.numRows).toBe(344);
    const all = [...ids(train), ...ids(valid), ...ids(test)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 344 }, (_, i) => i + 1));
    expect(train.schema.map((s) => [s.name, s.role])).toEqual([
      ["id", "index"],
      ["Species", "target"],
      ["Island", "feature"],
      ["Beak Length (mm)", "feature"],
      ["Beak Depth (mm)", "feature"],
      ["Flipper Length (mm)", "feature"],
      ["Body Mass (g)", "feature"],
      ["Sex", "feature"],
    ]);
    // class proportions are kept within one row per class
    const total = counts(penguins, "Species");
    expect(total).toEqual({ Adelie: 152, Chinstrap: 68, Gentoo: 124 });
    for (const [t, share] of [
      [train, 0.7],
      [valid, 0.15],
      [test, 0.15],
    ] as const) {
      const c = counts(t, "Species");
      for (const k of Object.keys(total)) expect(Math.abs(c[k]! - total[k]! * share)).toBeLessThanOrEqual(1);
    }
    expect(lineage.snapshot().seeds).toEqual({ "train.data_splitter": 42 });
    expect(logs.find((l) => l.level === "info")!.msg).toMatch(
      /split 344 rows \(stratified, seed 42\): train 241, valid 52, test 51/,
    );

    const again = await split(penguins, { target: "Species", index: "id" }, "classification");
    expect(ids(again.splits.test)).toEqual(ids(test));
    expect(ids(again.splits.train)).toEqual(ids(train));
    const other = await split(penguins, { target: "Species", index: "id", seed: 7 }, "classification");
    expect(ids(other.splits.test)).not.toEqual(ids(test));
  });

  test("regression: random split, rows with a missing target dropped with a warning", async () => {
    const { splits, logs } = await split(
      penguins,
      { target: "Body Mass (g)", index: "id", drop_columns: ["Sex"], split_ratio: [0.8, 0.2] },
      "regression",
    );
    expect(splits.test).toBeUndefined();
    expect(splits.train.numRows).toBe(274);
    expect(splits.valid.numRows).toBe(68);
    expect(splits.train.has("Sex")).toBe(false);
    expect(splits.train.role("Body Mass (g)")).toBe("target");
    expect(splits.train.column("Body Mass (g)").type).toBe("numeric");
    const warn = logs.find((l) => l.level === "warn")!;
    expect(warn.msg).toBe('dropped 2 of 344 rows with a missing target "Body Mass (g)"');
  });

  test("regression with a categorical target is refused", async () => {
    const e = await dataError(split(penguins, { target: "Species" }, "regression"));
    expect(e.message).toMatch(/target "Species" is categorical .* regression needs a numeric target/);
  });
});

describe("LocalDataSplitter", () => {
  const small = (n: number) =>
    Table.fromColumns({
      id: Array.from({ length: n }, (_, i) => i),
      t: Array.from({ length: n }, (_, i) => (i * 7) % n),
      label: Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)),
      part: Array.from({ length: n }, (_, i) => (i < n - 3 ? "train" : i < n - 1 ? "Valid" : "test")),
    });

  test("target is inherited from the runner's config", async () => {
    const s = setup({}, "classification", { target: "label", index: "id" });
    const splits = await (await s.made).split_data(small(20));
    expect(splits.train.role("label")).toBe("target");
    expect(splits.train.role("id")).toBe("index");
  });

  test("a numeric classification target becomes categorical text", async () => {
    const { splits } = await split(small(30), { target: "label" }, "classification");
    const y = splits.train.categorical("label");
    expect([...y.dictionary].sort()).toEqual(["0", "1"]);
    expect(counts(Table.concat([splits.train, splits.valid, splits.test!]), "label")).toEqual({
      0: 20,
      1: 10,
    });
  });

  test("method column uses train/valid/test labels and removes the split column", async () => {
    const { splits } = await split(small(10), { target: "label", method: "column", split_column: "part" });
    expect(ids(splits.train)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(ids(splits.valid)).toEqual([7, 8]);
    expect(ids(splits.test)).toEqual([9]);
    expect(splits.train.has("part")).toBe(false);
    const auto = await split(small(10), { target: "label", split_column: "part" });
    expect(ids(auto.splits.valid)).toEqual([7, 8]);
    const bad = Table.fromColumns({ y: [1, 2, 3], part: ["train", "dev", null] });
    const e = await dataError(split(bad, { target: "y", method: "column", split_column: "part" }));
    expect(e.message).toMatch(
      /must hold train, valid or test in every row; found "dev" \(1 rows\), "\(missing\)" \(1 rows\)/,
    );
  });

  test("method time: sorted ascending, the latest rows are valid then test", async () => {
    const { splits } = await split(small(10), {
      target: "label",
      time_column: "t",
      split_ratio: [0.6, 0.2, 0.2],
    });
    expect(splits.train.values("t")).toEqual([0, 1, 2, 3, 4, 5]);
    expect(splits.valid.values("t")).toEqual([6, 7]);
    expect(splits.test!.values("t")).toEqual([8, 9]);
    const cat = Table.fromColumns({ y: [1, 2, 3], when: ["a", "b", "c"] });
    expect(
      (await dataError(split(cat, { target: "y", method: "time", time_column: "when" }))).message,
    ).toMatch(/time_column "when" is categorical/);
  });

  test("random split is deterministic for a seed", async () => {
    const a = await split(small(40), { target: "label", method: "random", seed: 3 });
    const b = await split(small(40), { target: "label", method: "random", seed: 3 });
    expect(ids(a.splits.valid)).toEqual(ids(b.splits.valid));
    expect(a.splits.train.numRows).toBe(28);
    expect(a.splits.valid.numRows).toBe(6);
    expect(a.splits.test!.numRows).toBe(6);
  });

  test("a stratified class with fewer than 2 rows falls back to random, with a warning", async () => {
    const t = Table.fromColumns({ y: [...Array(20).fill("a"), ...Array(20).fill("b"), "rare"] });
    const { splits, logs } = await split(t, { target: "y" }, "classification");
    const all = Table.concat([splits.train, splits.valid, splits.test!]);
    expect(counts(all, "y")).toEqual({ a: 20, b: 20, rare: 1 });
    expect(
      logs.some(
        (l) =>
          l.level === "warn" &&
          l.msg.includes('class "rare" of "y" has fewer than 2 rows; it is assigned at random'),
      ),
    ).toBe(true);
  });

  test("errors: missing target / index / drop columns, all-missing target, too few rows", async () => {
    const t = small(10);
    const e1 = await dataError(split(t, { target: "species" }));
    expect(e1.message).toBe(
      'target column "species" not found in the data (columns: id, t, label, part); set `target` (usually in the runner\'s config) to one of them',
    );
    expect((await dataError(split(t, { target: "label", index: "ID" }))).message).toMatch(
      /index column "ID" not found .*columns: id, t, label, part/,
    );
    expect((await dataError(split(t, { target: "label", drop_columns: ["x", "id"] }))).message).toMatch(
      /drop_columns "x" not found/,
    );
    const empty = Table.fromColumns({ y: [Number.NaN, Number.NaN], x: [1, 2] });
    expect((await dataError(split(empty, { target: "y" }))).message).toMatch(
      /target column "y" has no non-missing value in 2 rows/,
    );
    const e2 = await dataError(split(Table.fromColumns({ y: [1, 2] }), { target: "y" }, "regression"));
    expect(e2.message).toBe(
      "too few rows for the split: 2 row(s) with split_ratio [0.7, 0.15, 0.15] leave the valid split empty; use more data or change split_ratio",
    );
  });

  test("config validation: target required, ratios must sum to 1, method needs its column", async () => {
    await expect(setup({}).made).rejects.toThrow(/target/);
    await expect(setup({ target: "y", split_ratio: [0.7, 0.2, 0.2] }).made).rejects.toThrow(
      /sums to 1.1.*must sum to 1/,
    );
    await expect(setup({ target: "y", split_ratio: [1] }).made).rejects.toThrow(/split_ratio/);
    await expect(setup({ target: "y", method: "column" }).made).rejects.toThrow(/needs split_column/);
    await expect(setup({ target: "y", method: "time" }).made).rejects.toThrow(/needs time_column/);
    await expect(setup({ target: "y", seeed: 1 }).made).rejects.toThrow(/seeed/);
  });
});
