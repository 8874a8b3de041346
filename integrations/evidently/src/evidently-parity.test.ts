// Parity with the real evidently==0.7.23 (from the project venv): the same CSV files are read by
// pandas.read_csv for Evidently and by lolpop's LocalDataConnector reader for this port, then every
// metric of Report([DataDriftPreset(...), DataSummaryPreset()]) is compared: scores within 1e-6
// relative (1e-9 absolute near zero), the same test chosen (it is part of the metric name), the
// same per-column drift decisions and the same dataset verdict.
import { join } from "node:path";
import { type Cell, generators, readCsvTable, runEvidently, tempDir, writeCsv } from "../test/helpers.js";
import type { DriftOptions } from "./evidently-drift.js";
import { analyze } from "./evidently-report.js";

type Columns = Array<readonly [string, Cell[]]>;

interface Case {
  name: string;
  reference: Columns;
  current: Columns;
  drift: DriftOptions;
  /** Evidently fails on this case: we must fail with the same message (empty_columns: error). */
  expectError?: RegExp;
}

function cases(): Case[] {
  const g = generators(20260526);
  const { normal, pick, times, r6, u } = g;
  const out: Case[] = [];

  // 1. numeric (and binary / categorical) with more than 1000 reference rows: Wasserstein and Jensen-Shannon.
  const big = (n: number, shift: number): Columns => [
    ["a", times(n, () => r6(normal(shift, 1)))],
    ["b", times(n, () => r6(normal(5, 2)))],
    ["c", times(n, () => pick([0.5, 1.5, 2.5, 3.5], shift ? [1, 2, 3, 4] : [4, 3, 2, 1]))],
    ["d", times(n, () => r6(u() * (100 + 40 * shift)))],
    ["e", times(n, () => pick([0.25, 0.75], [1, 1 + shift]))],
    ["flag", times(n, () => u() < 0.5 + shift / 4)],
    ["grp", times(n, () => pick(["north", "south"], [1, 1 + shift]))],
    ["city", times(n, () => pick(shift ? ["Oslo", "Lima", "Pune", "Kobe"] : ["Oslo", "Lima", "Pune"]))],
  ];
  out.push({ name: "numeric > 1000 rows", reference: big(1500, 0), current: big(2000, 0.3), drift: {} });

  // 2. numeric with <= 1000 reference rows: K-S, chi-square (3 values), Z (2 values), integers with > 10 values.
  const small = (n: number, shift: number): Columns => [
    ["a", times(n, () => r6(normal(shift, 1)))],
    ["b", times(n, () => r6(normal(0, 1)))],
    ["c", times(n, () => pick([0.5, 1.5, 2.5], [3, 2, 1 + 2 * shift]))],
    ["d", times(n, () => pick([1.5, 2.5], [1, 1 + shift]))],
    ["e", times(n, () => Math.floor(u() * (40 + 20 * shift)))],
    ["f", times(n, () => r6(u() * 10 + shift))],
  ];
  out.push({ name: "numeric <= 1000 rows", reference: small(300, 0), current: small(500, 0.25), drift: {} });

  // 3. binary columns (bool, two strings, 0/1 integers) with <= 1000 rows: Z-test.
  const binary = (n: number, p: number): Columns => [
    ["flag", times(n, () => u() < p)],
    ["yn", times(n, () => (u() < p ? "yes" : "no"))],
    ["bit", times(n, () => (u() < 0.3 + p / 3 ? 1 : 0))],
    ["same", times(n, () => u() < 0.4)],
  ];
  out.push({ name: "binary", reference: binary(600, 0.5), current: binary(900, 0.58), drift: {} });

  // 4. low-cardinality integers: categorical up to 10 distinct values (chi-square), numerical above (K-S).
  const ints = (n: number, s: number): Columns => [
    ["rating", times(n, () => pick([1, 2, 3, 4, 5], s ? [1, 1, 2, 3, 3] : [1, 2, 3, 2, 1]))],
    ["digit", times(n, () => Math.floor(u() * 10))],
    ["count", times(n, () => Math.min(14, Math.floor(-Math.log(1 - u()) * (3 + s))))],
    ["small", times(n, () => pick([1, 2, 3]))],
  ];
  out.push({ name: "low-cardinality integers", reference: ints(800, 0), current: ints(900, 1), drift: {} });

  // 5. strings: categorical strings (CSV-quoted hostile labels too) and a text column (left out of drift on both sides).
  const strings = (n: number, s: number): Columns => [
    [
      "city",
      times(n, () =>
        pick(["Oslo", "Lima", "Pune", "Kobe", "Rome", "Accra"], s ? [3, 1, 1, 1, 1, 3] : [1, 1, 1, 1, 1, 1]),
      ),
    ],
    ["color", times(n, () => pick(["red", "green", "blue"]))],
    [
      "quoted",
      times(n, () => pick(['say "hi"', "a,b", "<b>bold</b>", "ünïcödé 🚀"], s ? [2, 1, 1, 1] : [1, 1, 1, 1])),
    ],
    ["desc", times(n, (i) => `item ${i} ${Math.floor(u() * 1e6)}`)],
  ];
  out.push({
    name: "strings",
    reference: strings(500, 0),
    current: strings(700, 1),
    drift: { columns: ["city", "color", "quoted"] },
  });

  // 6. missing values, duplicated rows and columns, constant and almost constant columns.
  const missing = (n: number, s: number): Columns => {
    const x = times(n, () => (u() < 0.1 + s / 10 ? null : r6(normal(s / 3, 1))));
    const rows: Columns = [
      ["x", x],
      ["x_copy", [...x]],
      [
        "cat",
        times(n, () => (u() < 0.15 ? null : pick(["a", "b", "c", "d"], s ? [1, 1, 1, 2] : [1, 1, 1, 1]))),
      ],
      ["n", times(n, () => (u() < 0.05 ? null : Math.floor(u() * 8)))],
      ["k", times(n, () => 1.5)],
      ["almost", times(n, (i) => (i % 40 === 0 ? "rare" : "common"))],
    ];
    // Two empty rows (all but the constant column are missing there) and a duplicated row.
    for (const i of [3, 4]) for (const [name, v] of rows) if (name !== "k") v[i] = null;
    for (const [, v] of rows) v[10] = v[11]!;
    return rows;
  };
  out.push({ name: "missing values", reference: missing(700, 0), current: missing(400, 1), drift: {} });

  // 7. a category absent from the reference: chi-square p = 0; and option resolution (per-column
  //    methods and thresholds, type methods, drift share), PSI / KL / Hellinger / energy / JS on numbers.
  const newcat = (n: number, s: number): Columns => [
    ["city", times(n, () => pick(s ? ["a", "b", "c"] : ["a", "b"], s ? [50, 40, 10] : [60, 40]))],
    ["city2", times(n, () => pick(s ? ["x", "y", "z", "w"] : ["x", "y", "z"]))],
    ["num", times(n, () => r6(normal(s / 2, 1)))],
    ["hel", times(n, () => r6(normal(0, 1 + s / 3)))],
    ["ed", times(n, () => r6(normal(s / 4, 1)))],
    ["js", times(n, () => r6(u() * 50 + s * 5))],
    [
      "few",
      times(n, () =>
        pick([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5], s ? [1, 1, 1, 1, 2, 2, 2, 2] : undefined),
      ),
    ],
    ["plain", times(n, () => r6(normal(0, 1)))],
  ];
  out.push({ name: "new category (auto)", reference: newcat(300, 0), current: newcat(400, 1), drift: {} });
  out.push({
    name: "method and threshold options",
    reference: newcat(300, 0),
    current: newcat(400, 1),
    drift: {
      drift_share: 0.3,
      cat_method: "psi",
      num_method: "psi",
      num_threshold: 0.2,
      per_column_method: {
        num: "kl_div",
        hel: "hellinger",
        ed: "ed",
        js: "jensenshannon",
        plain: "wasserstein",
        city2: "jensenshannon",
      },
      per_column_threshold: { city2: 0.2, plain: 0.05 },
    },
  });

  // 8. K-S both ways: equal sample sizes (exact, reflection formula) and > 10,000 current rows (asymptotic).
  const ks = (n: number, shift: number): Columns => [
    ["a", times(n, () => r6(normal(shift, 1)))],
    ["b", times(n, () => r6(normal(0, 1 + shift)))],
  ];
  out.push({ name: "K-S equal sizes", reference: ks(800, 0), current: ks(800, 0.12), drift: {} });
  out.push({ name: "K-S asymptotic", reference: ks(700, 0), current: ks(12000, 0.05), drift: {} });

  // 9. an all-missing column: Evidently aborts the report; with empty_columns: error so do we.
  const empty = (n: number, s: number): Columns => [
    ["a", times(n, () => r6(normal(s, 1)))],
    ["gone", times(n, () => (s ? null : r6(normal(0, 1))))],
  ];
  out.push({
    name: "all-missing column",
    reference: empty(200, 0),
    current: empty(200, 1),
    drift: { empty_columns: "error" },
    expectError: /An empty column 'gone' was provided for drift calculation in the current dataset/,
  });
  return out;
}

const close = (a: number, b: number) =>
  a === b || Math.abs(a - b) <= 1e-9 || Math.abs(a - b) <= 1e-6 * Math.abs(b);

/** Compares two JSON values: numbers within tolerance, objects key by key. Returns the differences. */
function diff(ours: unknown, theirs: unknown, path: string, out: string[]): void {
  if (typeof theirs === "number" || typeof ours === "number") {
    if (typeof ours !== "number" || typeof theirs !== "number" || !close(ours, theirs))
      out.push(`${path}: ours ${JSON.stringify(ours)} vs evidently ${JSON.stringify(theirs)}`);
    return;
  }
  if (theirs && typeof theirs === "object") {
    if (!ours || typeof ours !== "object") {
      out.push(`${path}: ours ${JSON.stringify(ours)} vs evidently ${JSON.stringify(theirs)}`);
      return;
    }
    const keys = new Set([...Object.keys(ours), ...Object.keys(theirs)]);
    for (const k of keys)
      diff((ours as Record<string, unknown>)[k], (theirs as Record<string, unknown>)[k], `${path}.${k}`, out);
    return;
  }
  if (ours !== theirs)
    out.push(`${path}: ours ${JSON.stringify(ours)} vs evidently ${JSON.stringify(theirs)}`);
}

interface EvidentlyAnswer {
  snapshot?: {
    metrics: Array<{ metric_name: string; value: unknown }>;
    tests: Array<{ id: string; name: string; status: string }>;
  };
  error?: string;
}

const all = cases();
const dir = tempDir("lolpop-evidently-parity-");
const files = all.map((c, i) => ({
  current: writeCsv(join(dir, `case${i}-current.csv`), c.current),
  reference: writeCsv(join(dir, `case${i}-reference.csv`), c.reference),
}));
let answers: EvidentlyAnswer[] = [];

beforeAll(() => {
  answers = runEvidently<EvidentlyAnswer[]>({
    mode: "report",
    cases: all.map((c, i) => {
      const { empty_columns: _e, ...drift } = c.drift;
      return { current: files[i]!.current, reference: files[i]!.reference, drift, summary: true };
    }),
  });
}, 300_000);

describe("parity with evidently==0.7.23", () => {
  it("covers every required kind of data", () => {
    expect(all.length).toBeGreaterThanOrEqual(6);
  });

  it.each(all.map((c, i) => [c.name, i] as const))("%s", async (_name, i) => {
    const c = all[i]!;
    const theirs = answers[i]!;
    const current = await readCsvTable(files[i]!.current);
    const reference = await readCsvTable(files[i]!.reference);
    if (c.expectError) {
      expect(theirs.error).toMatch(c.expectError);
      expect(() => analyze(current, reference, c.drift)).toThrow(c.expectError);
      return;
    }
    expect(theirs.error).toBeUndefined();
    const ours = analyze(current, reference, c.drift).snapshot;
    const snap = theirs.snapshot!;
    // Same metrics (the metric name carries the column, the chosen test and its threshold).
    expect(ours.metrics.map((m) => m.metric_name)).toEqual(snap.metrics.map((m) => m.metric_name));
    const problems: string[] = [];
    snap.metrics.forEach((m, k) => diff(ours.metrics[k]!.value, m.value, m.metric_name, problems));
    expect(problems).toEqual([]);
    // Same drift decisions per column and the same dataset verdict.
    const driftTests = (tests: Array<{ id: string; name: string; status: string }>) =>
      tests.filter((t) => t.id === "drift" || t.id === "lt").map((t) => `${t.name}: ${t.status}`);
    expect(driftTests(ours.tests)).toEqual(driftTests(snap.tests));
    expect(driftTests(ours.tests).length).toBeGreaterThan(1);
  });
});
