// EvidentlyDataChecker and EvidentlyDataProfiler through their contracts: gates, reference
// handling, written reports, config errors, and the edge cases (all-missing column, constant column,
// empty data).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ConfigError, DataError, instantiateComponent, Table } from "@lolpop/core";
import { generators, localConnector, tempDir, writeCsv } from "../test/helpers.js";
import {
  type EvidentlyDataCheckerConfig,
  type EvidentlyDataProfilerConfig,
  evidentlyDataChecker,
  evidentlyDataProfiler,
} from "./index.js";

const g = generators(99);

function table(n: number, shift: number, extra: Record<string, Array<number | string | null>> = {}): Table {
  return Table.fromColumns({
    x: g.times(n, () => g.normal(shift, 1)),
    y: g.times(n, () => g.normal(0, 1)),
    city: g.times(n, () => g.pick(["a", "b", "c"], shift ? [1, 1, 4] : [1, 1, 1])),
    ...extra,
  });
}

async function checker(config: Record<string, unknown> = {}, peers = {}) {
  const root = tempDir();
  const c = await instantiateComponent<"data_checker", EvidentlyDataCheckerConfig>(evidentlyDataChecker, {
    config,
    project: { root },
    peers,
    path: "process.data_checker",
  });
  return { c, root };
}

describe("EvidentlyDataChecker", () => {
  it("leaves the runner's index out of every check (a date index is not a drifting text column)", async () => {
    const dates = (n: number, year: number) =>
      g.times(
        n,
        (i) =>
          `${year}-${String((i % 12) + 1).padStart(2, "0")}-${String((i % 28) + 1).padStart(2, "0")}T${i}`,
      );
    const root = tempDir();
    const c = await instantiateComponent<"data_checker", EvidentlyDataCheckerConfig>(evidentlyDataChecker, {
      config: {},
      inherited: { index: "day" },
      project: { root },
      path: "process.data_checker",
    });
    const r = await c.check_data(table(300, 0, { day: dates(300, 2025) }), {
      reference: table(300, 0, { day: dates(300, 2024) }),
      name: "by day",
    });
    expect(r.checks.filter((k) => k.name.includes("day") || k.message.includes("day"))).toEqual([]);
    expect(r.status).toBe("PASS");
  });

  it("gates on dataset drift (ERROR) and reports drifted columns (WARN) against a reference", async () => {
    const { c, root } = await checker();
    const r = await c.check_data(table(400, 1), { reference: table(300, 0), name: "new data" });
    expect(r.status).toBe("ERROR");
    const byName = Object.fromEntries(r.checks.map((k) => [k.name, k]));
    expect(byName.dataset_drift!.status).toBe("ERROR");
    expect(byName.dataset_drift!.message).toMatch(/2 of 3 columns drifted/);
    expect(byName["column_drift:x"]!.status).toBe("WARN");
    expect(byName["column_drift:city"]!.status).toBe("WARN");
    expect(byName["column_drift:y"]).toBeUndefined();
    // Reports are written under the project's report_dir and returned as artifacts.
    expect(r.artifacts!.map((a) => a.name)).toEqual(["new_data.evidently.html", "new_data.evidently.json"]);
    for (const a of r.artifacts!) {
      expect(existsSync(a.path)).toBe(true);
      expect(a.path.startsWith(join(root, ".lolpop", "evidently"))).toBe(true);
    }
    expect(JSON.parse(readFileSync(r.artifacts![1]!.path, "utf8"))).toEqual(r.report);
    const metrics = (r.report as { metrics: Array<{ metric_name: string }> }).metrics.map(
      (m) => m.metric_name,
    );
    expect(metrics[0]).toBe("DriftedColumnsCount(drift_share=0.5)");
    expect(metrics).toContain("ValueDrift(column=x,method=K-S p_value,threshold=0.05)");
  });

  it("passes identical data and checks only quality without a reference", async () => {
    const { c } = await checker({ html: false, json: false });
    const t = table(300, 0);
    const same = await c.check_data(t, { reference: t });
    expect(same.status).toBe("PASS");
    expect(same.artifacts).toBeUndefined();
    const alone = await c.check_data(t);
    expect(alone.status).toBe("PASS");
    const drift = alone.checks.find((k) => k.name === "dataset_drift")!;
    expect(drift.message).toMatch(/not checked, no reference data/);
    expect((alone.report as { metrics: Array<{ metric_name: string }> }).metrics[0]!.metric_name).toBe(
      "RowCount()",
    );
  });

  it("applies configured gates: missing share per column, duplicated rows, minimum rows", async () => {
    const { c } = await checker({
      html: false,
      json: false,
      gates: [
        { check: "missing_share", status: "ERROR", threshold: 0.1, columns: ["m"] },
        { check: "duplicated_rows", status: "WARN" },
        { check: "min_rows", status: "ERROR", threshold: 5 },
      ],
    });
    const t = Table.fromColumns({ m: [1, null, null, 4], n: [1, 1, 1, 2], k: ["a", "a", "a", "b"] });
    const r = await c.check_data(t);
    expect(r.checks.map((k) => [k.name, k.status])).toEqual([
      ["missing_share:m", "ERROR"],
      ["duplicated_rows", "WARN"],
      ["min_rows", "ERROR"],
    ]);
    expect(r.checks[0]!.message).toBe('column "m" has 50.0% missing values (2 of 4), over 10.0%');
    expect(r.status).toBe("ERROR");
  });

  it("an all-missing column is left out of drift and reported as untested (WARN) by default", async () => {
    const { c } = await checker({ html: false, json: false });
    const gone = { gone: Array.from({ length: 300 }, () => null) };
    const r = await c.check_data(table(300, 0, gone), {
      reference: table(300, 0, { gone: g.times(300, () => g.u()) }),
    });
    const untested = r.checks.find((k) => k.name === "untested_columns:gone")!;
    expect(untested.status).toBe("WARN");
    expect(untested.message).toMatch(/every value is missing in the current data/);
    expect(r.checks.find((k) => k.name === "missing_share:gone")!.status).toBe("WARN");
    expect(r.checks.find((k) => k.name === "empty_columns")!.status).toBe("WARN");
    expect(r.checks.find((k) => k.name === "dataset_drift")!.details).toMatchObject({ tested_columns: 3 });
  });

  it("empty_columns: error fails like Evidently, with the column and side named", async () => {
    const { c } = await checker({ html: false, json: false, drift: { empty_columns: "error" } });
    const gone = { gone: Array.from({ length: 50 }, () => null) };
    const p = c.check_data(table(50, 0, { gone: g.times(50, () => g.u()) }), {
      reference: table(50, 0, gone),
    });
    await expect(p).rejects.toThrow(DataError);
    await expect(p).rejects.toThrow(
      /An empty column 'gone' was provided for drift calculation in the reference dataset/,
    );
  });

  it("a constant column is not drifted when both sides hold the same value, and counts as constant", async () => {
    const { c } = await checker({
      html: false,
      json: false,
      gates: [
        { check: "column_drift", status: "WARN", columns: ["k"] },
        { check: "constant_columns", status: "WARN" },
      ],
    });
    const k = (n: number) => ({ k: Array.from({ length: n }, () => 7.5) });
    const r = await c.check_data(table(200, 0, k(200)), { reference: table(300, 0, k(300)) });
    expect(r.checks.map((x) => [x.name, x.status])).toEqual([
      ["column_drift", "PASS"],
      ["constant_columns", "WARN"],
    ]);
    const kDrift = (r.report as { metrics: Array<{ metric_name: string; value: unknown }> }).metrics.find(
      (m) => m.metric_name.startsWith("ValueDrift(column=k,"),
    )!;
    expect(kDrift).toEqual(
      expect.objectContaining({
        metric_name: "ValueDrift(column=k,method=Z-test p_value,threshold=0.05)",
        value: 1,
      }),
    );
  });

  it("empty current data is an ERROR result, not a crash", async () => {
    const { c } = await checker({ html: false, json: false });
    const r = await c.check_data(table(0, 0), { reference: table(10, 0), name: "prediction_data" });
    expect(r.status).toBe("ERROR");
    expect(r.checks[0]).toMatchObject({
      name: "empty_data",
      message: "prediction_data has no rows: nothing to check",
    });
  });

  it("reads reference_source with the pipeline's data connector", async () => {
    const dir = tempDir();
    const ref = table(300, 0);
    writeCsv(
      join(dir, "train.csv"),
      ref.columnNames.map((n) => [n, ref.values(n)] as const),
    );
    const connector = await localConnector(dir);
    const { c } = await checker(
      { html: false, json: false, reference_source: join(dir, "train.csv") },
      { data_connector: connector },
    );
    const r = await c.check_data(table(400, 1));
    expect(r.checks.find((k) => k.name === "dataset_drift")!.status).toBe("ERROR");
    const none = await checker({ reference_source: "x.csv" });
    await expect(none.c.check_data(table(10, 0))).rejects.toThrow(
      /reference_source is set but the pipeline has no data_connector/,
    );
  });

  it("rejects bad config with the YAML path", async () => {
    await expect(checker({ drift: { method: "anderson" } })).rejects.toThrow(ConfigError);
    await expect(checker({ drift: { method: "anderson" } })).rejects.toThrow(
      /process\.data_checker\.config\.drift\.method/,
    );
    await expect(checker({ gates: [{ check: "min_rows", status: "ERROR" }] })).rejects.toThrow(
      /gates\.0\.threshold: missing required key "threshold": a min_rows gate needs a threshold/,
    );
    const { c } = await checker({ drift: { per_column_method: { nope: "psi" } } });
    await expect(c.check_data(table(10, 0), { reference: table(10, 0) })).rejects.toThrow(
      /process\.data_checker\.config\.drift\.per_column_method: no column "nope" in the current data/,
    );
    const typed = await checker({ drift: { per_column_method: { city: "ks" } } });
    await expect(typed.c.check_data(table(10, 0), { reference: table(10, 0) })).rejects.toThrow(
      /drift\.per_column_method\.city: drift method "ks" does not apply to categorical columns/,
    );
    const mismatch = await checker({ html: false, json: false });
    const strX = Table.fromColumns({ x: ["1", "2", "three"], y: [1, 2, 3], city: ["a", "b", "c"] });
    await expect(mismatch.c.check_data(table(3, 0), { reference: strX })).rejects.toThrow(
      /column "x" holds numbers in the current data but text in the reference/,
    );
  });
});

describe("EvidentlyDataProfiler", () => {
  it("profiles one table and compares two", async () => {
    const root = tempDir();
    const p = await instantiateComponent<"data_profiler", EvidentlyDataProfilerConfig>(
      evidentlyDataProfiler,
      { project: { root } },
    );
    const profile = await p.profile_data(table(200, 0, { m: g.times(200, (i) => (i % 10 ? 1 : null)) }), {
      name: "train",
    });
    expect(profile.summary).toMatchObject({ rows: 200, columns: 4, missing_values: 20, missing_share: 0.1 });
    expect(profile.summary.dataset_drift).toBeUndefined();
    expect(profile.artifacts!.map((a) => a.name)).toEqual(["train.evidently.html", "train.evidently.json"]);
    const cmp = await p.compare_data(table(300, 1), table(300, 0), { name: "training vs serving" });
    expect(cmp.summary).toMatchObject({ tested_columns: 3, drifted_columns: 2, dataset_drift: true });
    expect((cmp.json as { metrics: unknown[] }).metrics.length).toBeGreaterThan(10);
    await expect(p.profile_data(table(0, 0))).rejects.toThrow(/has no rows to profile/);
    await expect(p.compare_data(table(5, 0), table(0, 0))).rejects.toThrow(
      /reference data of comparison has no rows/,
    );
  });
});
