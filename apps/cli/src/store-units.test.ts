// Units of the store commands: model references, tables that fit a width, the rows of runs compare.
import { ExitError, fitTable, renderTable, terminalWidth } from "./format.js";
import { compareRows, type RunView, sortMetrics } from "./runs-command.js";
import { parseModelRef } from "./store-access.js";

describe("parseModelRef", () => {
  it("reads name@alias, name/version and a bare name", () => {
    expect(parseModelRef("penguins@champion")).toEqual({ name: "penguins", alias: "champion" });
    expect(parseModelRef("penguins/3")).toEqual({ name: "penguins", version: 3 });
    expect(parseModelRef("penguins", "champion")).toEqual({ name: "penguins", alias: "champion" });
    expect(parseModelRef("penguins")).toEqual({ name: "penguins" });
  });

  it("anything else is a usage error (exit 2) saying the forms", () => {
    for (const bad of ["", "a b", "p/0", "p/x", "p@", "p@a/1"]) {
      let err: unknown;
      try {
        parseModelRef(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ExitError);
      expect((err as ExitError).code).toBe(2);
      expect((err as ExitError).message).toContain(
        "name@alias (penguins@champion) or name/version (penguins/3)",
      );
    }
  });
});

describe("fitTable", () => {
  const header = ["ID", "NAME", "NOTE"];
  const rows = [["20261206T114012014Z-c5a53c147f", "a rather long run name here", "x".repeat(50)]];

  it("cuts the widest columns (never the kept ones) until the table fits", () => {
    const fitted = fitTable(header, rows, 70, { keep: [0] });
    expect(fitted[0]![0]).toBe(rows[0]![0]);
    const text = renderTable(header, fitted);
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(70);
    expect(fitted[0]![2]).toMatch(/\.\.\.$/);
  });

  it("no limit: the cells as they are", () => {
    expect(fitTable(header, rows, Number.POSITIVE_INFINITY)).toBe(rows);
  });

  it("the width: a TTY's columns, else $COLUMNS, else none", () => {
    const saved = process.env.COLUMNS;
    try {
      delete process.env.COLUMNS;
      expect(terminalWidth({ isTTY: true, columns: 77 })).toBe(77);
      expect(terminalWidth({ isTTY: false })).toBe(Number.POSITIVE_INFINITY);
      process.env.COLUMNS = "64";
      expect(terminalWidth({ isTTY: false })).toBe(64);
    } finally {
      if (saved === undefined) delete process.env.COLUMNS;
      else process.env.COLUMNS = saved;
    }
  });
});

describe("runs compare rows", () => {
  const run = (
    id: string,
    params: Record<string, string>,
    metrics: Record<string, number>,
    tags = {},
  ): RunView => ({
    id,
    name: id,
    status: "FINISHED",
    started_at: "2026-01-01T00:00:00.000Z",
    tags: { "lolpop.config_hash": "h", ...tags },
    params,
    metrics,
    artifacts: [],
    datasets: [{ name: "d", fingerprint: "f".repeat(64), rows: 3, columns: 2, context: "training" }],
    merged: [],
  });

  it("one row per key over all runs, null where a run has none, differs when the values are not all equal", () => {
    const rows = compareRows([
      run(
        "a",
        { depth: "3", only_a: "x" },
        { "test.f1": 0.9, "train.f1": 1 },
        { "lolpop.plugins": "@x/p@1.0.0" },
      ),
      run("b", { depth: "4" }, { "test.f1": 0.9, "train.f1": 0.8 }, { "lolpop.plugins": "@x/p@1.1.0" }),
    ]);
    const get = (section: string, key: string) => rows.find((r) => r.section === section && r.key === key);
    expect(get("param", "depth")).toEqual({
      section: "param",
      key: "depth",
      values: ["3", "4"],
      differs: true,
    });
    expect(get("param", "only_a")).toMatchObject({ values: ["x", null], differs: true });
    expect(get("metric", "test.f1")).toMatchObject({ values: [0.9, 0.9], differs: false });
    expect(get("data", "d (training)")).toMatchObject({ differs: false });
    expect(get("code", "config hash")).toMatchObject({ values: ["h", "h"], differs: false });
    expect(get("code", "@x/p")).toMatchObject({ values: ["1.0.0", "1.1.0"], differs: true });
  });

  it("metrics by split: train, valid, test, then the others", () => {
    expect(sortMetrics(["test.b", "baseline.test.a", "valid.a", "train.z", "test.a", "train.a"])).toEqual([
      "train.a",
      "train.z",
      "valid.a",
      "test.a",
      "test.b",
      "baseline.test.a",
    ]);
  });
});
