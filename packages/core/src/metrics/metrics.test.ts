import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type ClassificationPredictions,
  type Column,
  categoricalColumn,
  categoricalFromCodes,
  createRng,
  DataError,
  numericColumn,
  type RegressionPredictions,
} from "../index.js";
import {
  baselinePredictions,
  computeMetric,
  computeMetrics,
  defaultMetrics,
  isLowerBetter,
  METRIC_NAMES,
} from "./index.js";

// ---------------------------------------------------------------- fixtures

interface ClassCase {
  name: string;
  kind: "classification";
  classes: string[];
  y_true: string[];
  /** Predicted labels (strings). */
  y_pred: string[];
  /** Row-major probabilities in `classes` order. */
  proba?: number[][];
  metrics: string[];
}

interface RegCase {
  name: string;
  kind: "regression";
  y_true: number[];
  y_pred: number[];
  metrics: string[];
}

type Case = ClassCase | RegCase;

const LABEL_METRICS = [
  "accuracy",
  "precision_macro",
  "recall_macro",
  "f1_macro",
  "precision_weighted",
  "recall_weighted",
  "f1_weighted",
];

/** Probabilities from small integer weights: many exact ties, rows sum to 1. */
function discreteProba(rnd: () => number, k: number, bias: number, zeroChance = 0): number[] {
  const w: number[] = Array.from({ length: k }, (_, j) =>
    rnd() < zeroChance ? 0 : 1 + Math.floor(rnd() * 4) + (j === bias ? 3 : 0),
  );
  if (!w.some((x) => x > 0)) w[bias] = 1;
  const s = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / s);
}

function argmax(row: number[], limit = row.length): number {
  let best = 0;
  for (let j = 1; j < limit; j++) if (row[j]! > row[best]!) best = j;
  return best;
}

function binaryCase(name: string, seed: number, classes: string[], n: number): ClassCase {
  const rnd = createRng(seed);
  const y_true: string[] = [];
  const y_pred: string[] = [];
  const proba: number[][] = [];
  for (let i = 0; i < n; i++) {
    const pos = rnd() < 0.4 ? 1 : 0;
    // one decimal: lots of tied scores across both classes
    const p1 = Math.round(Math.min(1, Math.max(0, (pos ? 0.62 : 0.38) + (rnd() - 0.5) * 0.9)) * 10) / 10;
    y_true.push(classes[pos]!);
    proba.push([1 - p1, p1]);
    y_pred.push(classes[p1 > 0.5 ? 1 : 0]!);
  }
  return {
    name,
    kind: "classification",
    classes,
    y_true,
    y_pred,
    proba,
    metrics: [...LABEL_METRICS, "precision", "recall", "f1", "log_loss", "roc_auc", "pr_auc", "roc_auc_ovr"],
  };
}

function multiclassCase(
  name: string,
  seed: number,
  classes: string[],
  n: number,
  opts: { neverPredict?: number; absentInTruth?: number; zeroChance?: number },
): ClassCase {
  const rnd = createRng(seed);
  const k = classes.length;
  const y_true: string[] = [];
  const y_pred: string[] = [];
  const proba: number[][] = [];
  for (let i = 0; i < n; i++) {
    let c = Math.floor(rnd() * k);
    if (c === opts.absentInTruth) c = (c + 1) % k;
    const row = discreteProba(rnd, k, rnd() < 0.7 ? c : Math.floor(rnd() * k), opts.zeroChance);
    let pred = argmax(row);
    if (pred === opts.neverPredict) pred = (pred + 1) % k;
    y_true.push(classes[c]!);
    y_pred.push(classes[pred]!);
    proba.push(row);
  }
  return {
    name,
    kind: "classification",
    classes,
    y_true,
    y_pred,
    proba,
    metrics: [...LABEL_METRICS, "log_loss", "roc_auc_ovr"],
  };
}

function regressionCase(name: string, seed: number, n: number): RegCase {
  const rnd = createRng(seed);
  const y_true: number[] = [];
  const y_pred: number[] = [];
  for (let i = 0; i < n; i++) {
    const y = i % 10 === 0 ? 0 : Math.round((rnd() - 0.3) * 20000) / 100;
    y_true.push(y);
    y_pred.push(y + (rnd() - 0.5) * 30);
  }
  return { name, kind: "regression", y_true, y_pred, metrics: ["mse", "rmse", "mae", "mape", "r2"] };
}

const unseen = multiclassCase(
  "multiclass with a true label the model does not know",
  7,
  ["a", "b", "c"],
  60,
  {},
);
unseen.y_true = unseen.y_true.map((y, i) => (i % 9 === 0 ? "d" : y));
unseen.proba = undefined;
unseen.metrics = [...LABEL_METRICS];

const CASES: Case[] = [
  binaryCase("binary", 11, ["no", "yes"], 240),
  binaryCase("binary, positive class sorts first", 12, ["yes", "no"], 97),
  binaryCase("binary, tiny", 13, ["0", "1"], 7),
  multiclassCase(
    "multiclass 4 classes, ties, one class never predicted",
    21,
    ["setosa", "versicolor", "virginica", "zeta"],
    300,
    {
      neverPredict: 3,
    },
  ),
  multiclassCase("multiclass 3 classes, a class absent from y_true", 22, ["c", "a", "b"], 80, {
    absentInTruth: 1,
  }),
  multiclassCase("multiclass with exact 0/1 probabilities (clipping)", 23, ["x", "y", "z"], 50, {
    zeroChance: 0.6,
  }),
  unseen,
  regressionCase("regression incl. zeros", 31, 150),
  {
    name: "regression, constant y predicted exactly",
    kind: "regression",
    y_true: [3, 3, 3],
    y_pred: [3, 3, 3],
    metrics: ["mse", "mae", "mape", "r2"],
  },
  {
    name: "regression, constant y",
    kind: "regression",
    y_true: [2, 2, 2, 2],
    y_pred: [1, 2, 3, 2.5],
    metrics: ["mse", "rmse", "mae", "mape", "r2"],
  },
  { name: "regression, one row", kind: "regression", y_true: [1.5], y_pred: [1], metrics: ["mse", "r2"] },
];

/** A categorical column for labels whose dictionary order is unrelated to `classes` (reverse sorted). */
function labelColumn(values: string[]): Column {
  const dict = [...new Set(values)].sort().reverse();
  const idx = new Map(dict.map((d, i) => [d, i]));
  return categoricalFromCodes(
    Int32Array.from(values, (v) => idx.get(v)!),
    dict,
  );
}

function tsMetrics(c: Case): Record<string, number> {
  if (c.kind === "regression") {
    const pred: RegressionPredictions = { problem_type: "regression", values: Float64Array.from(c.y_pred) };
    return computeMetrics(c.metrics, numericColumn(c.y_true), pred);
  }
  const idx = new Map(c.classes.map((k, i) => [k, i]));
  const pred: ClassificationPredictions = {
    problem_type: "classification",
    classes: c.classes,
    labels: Int32Array.from(c.y_pred, (p) => idx.get(p)!),
    ...(c.proba ? { proba: Float64Array.from(c.proba.flat()) } : {}),
  };
  return computeMetrics(c.metrics, labelColumn(c.y_true), pred);
}

// ---------------------------------------------------------------- scikit-learn reference

const PY_SCRIPT = `
import json, sys, warnings
import numpy as np
import sklearn
from sklearn import metrics as M
warnings.simplefilter("ignore")
cases = json.load(open(sys.argv[1]))
out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "cases": []}
for c in cases:
    r = {}
    if c["kind"] == "regression":
        yt = np.asarray(c["y_true"], dtype=float); yp = np.asarray(c["y_pred"], dtype=float)
        f = {"mse": M.mean_squared_error, "rmse": M.root_mean_squared_error, "mae": M.mean_absolute_error,
             "mape": M.mean_absolute_percentage_error, "r2": M.r2_score}
        for m in c["metrics"]:
            r[m] = float(f[m](yt, yp))
    else:
        classes = c["classes"]
        yt = np.asarray(c["y_true"], dtype=object); yp = np.asarray(c["y_pred"], dtype=object)
        proba = np.asarray(c["proba"], dtype=float) if c.get("proba") is not None else None
        order = sorted(range(len(classes)), key=lambda j: classes[j])
        sorted_classes = [classes[j] for j in order]
        for m in c["metrics"]:
            if m == "accuracy":
                v = M.accuracy_score(yt, yp)
            elif m in ("precision", "recall", "f1"):
                fn = {"precision": M.precision_score, "recall": M.recall_score, "f1": M.f1_score}[m]
                v = fn(yt, yp, average="binary", pos_label=classes[1])
            elif "_" in m and m.split("_")[1] in ("macro", "weighted"):
                kind, avg = m.split("_")
                fn = {"precision": M.precision_score, "recall": M.recall_score, "f1": M.f1_score}[kind]
                v = fn(yt, yp, average=avg)
            elif m == "log_loss":
                v = M.log_loss(yt, proba[:, order], labels=sorted_classes)
            elif m == "roc_auc":
                v = M.roc_auc_score((yt == classes[1]).astype(int), proba[:, 1])
            elif m == "pr_auc":
                v = M.average_precision_score((yt == classes[1]).astype(int), proba[:, 1])
            elif m == "roc_auc_ovr":
                if len(classes) == 2:
                    v = M.roc_auc_score((yt == classes[1]).astype(int), proba[:, 1])
                else:
                    v = M.roc_auc_score(yt, proba[:, order], multi_class="ovr", average="macro", labels=sorted_classes)
            r[m] = float(v)
    out["cases"].append({k: (None if np.isnan(v) else v) for k, v in r.items()})
print(json.dumps(out))
`;

const repoRoot = fileURLToPath(new URL("../../../../", import.meta.url));
const venv = process.env.LOLPOP_VENV ?? join(repoRoot, ".venv");
const python = join(venv, "bin", "python");

let reference: { sklearn: string; numpy: string; cases: Array<Record<string, number | null>> } | undefined;
let referenceError: Error | undefined;

beforeAll(() => {
  if (!existsSync(python)) {
    referenceError = new Error(
      `The scikit-learn parity test needs the project's Python venv, but ${python} does not exist. Run \`node scripts/python-setup.mjs\` from the repo root, then run the tests again.`,
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "lolpop-metrics-"));
  try {
    const file = join(dir, "cases.json");
    writeFileSync(file, JSON.stringify(CASES));
    const res = spawnSync(python, ["-c", PY_SCRIPT, file], { encoding: "utf8", timeout: 120_000 });
    if (res.status !== 0) {
      referenceError = new Error(
        `running scikit-learn failed (exit ${res.status}): ${res.stderr || res.error?.message}. Run \`node scripts/python-setup.mjs\` from the repo root to (re)build the venv.`,
      );
      return;
    }
    reference = JSON.parse(res.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Longer than the scikit-learn run's own 120 s limit, so that its clearer error is the one seen.
}, 150_000);

function close(actual: number, expected: number | null): boolean {
  if (expected === null) return Number.isNaN(actual);
  if (actual === expected) return true;
  const diff = Math.abs(actual - expected);
  return diff <= 1e-12 || diff <= 1e-9 * Math.max(Math.abs(actual), Math.abs(expected));
}

describe("parity with scikit-learn 1.9.1", () => {
  test("the reference environment has the pinned versions", () => {
    if (referenceError) throw referenceError;
    expect(reference!.sklearn).toBe("1.9.1");
    expect(reference!.numpy).toBe("2.4.6");
    // every metric of every case got a value back; only the documented NaN cases are undefined
    const undefinedOnes = reference!.cases.flatMap((r, i) =>
      Object.entries(r)
        .filter(([, v]) => v === null)
        .map(([m]) => `${i}:${m}`),
    );
    expect(undefinedOnes.sort()).toEqual(["10:r2", "4:roc_auc_ovr"]);
    expect(reference!.cases.map((r) => Object.keys(r).length)).toEqual(CASES.map((c) => c.metrics.length));
  });

  test.each(CASES.map((c, i) => [c.name, i] as const))("%s", (_name, i) => {
    if (referenceError) throw referenceError;
    const c = CASES[i]!;
    const expected = reference!.cases[i]!;
    const actual = tsMetrics(c);
    const mismatches = c.metrics
      .filter((m) => !close(actual[m]!, expected[m] ?? null))
      .map((m) => `${m}: lolpop ${actual[m]} vs sklearn ${expected[m]}`);
    expect(mismatches).toEqual([]);
    expect(Object.keys(actual)).toEqual(c.metrics);
  });

  test("the fixtures exercise what they claim", () => {
    const multi = CASES[3] as ClassCase;
    expect(multi.y_pred).not.toContain("zeta");
    expect(multi.y_true).toContain("zeta");
    const absent = CASES[4] as ClassCase;
    expect(absent.y_true).not.toContain("a");
    const flat = multi.proba!.flat();
    expect(new Set(flat).size).toBeLessThan(flat.length / 10);
    const clip = (CASES[5] as ClassCase).proba!.flat();
    expect(clip).toContain(0);
    expect(clip).toContain(1);
    expect((CASES[7] as RegCase).y_true).toContain(0);
  });
});

// ---------------------------------------------------------------- unit tests

function clf(classes: string[], labels: number[], proba?: number[]): ClassificationPredictions {
  return {
    problem_type: "classification",
    classes,
    labels: Int32Array.from(labels),
    ...(proba ? { proba: Float64Array.from(proba) } : {}),
  };
}

function caught(fn: () => unknown): DataError {
  try {
    fn();
  } catch (e) {
    if (DataError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a DataError");
}

describe("computeMetric", () => {
  test("matches labels by string, not by dictionary code", () => {
    const y = categoricalFromCodes(Int32Array.from([0, 1, 1, 0]), ["yes", "no"]);
    const pred = clf(["no", "yes"], [1, 0, 0, 0]);
    expect(computeMetric("accuracy", y, pred)).toBe(0.75);
    // positive class is classes[1] = "yes": one true positive, no false positive, one false negative
    expect(computeMetric("precision", y, pred)).toBe(1);
    expect(computeMetric("recall", y, pred)).toBe(0.5);
    expect(computeMetric("f1", y, pred)).toBeCloseTo(2 / 3, 15);
  });

  test("numeric targets are read as labels", () => {
    const y = numericColumn([0, 1, 1, 0]);
    expect(computeMetric("accuracy", y, clf(["0", "1"], [0, 1, 0, 0]))).toBe(0.75);
  });

  test("zero division gives 0 like scikit-learn", () => {
    const y = categoricalColumn(["a", "a", "a"]);
    const pred = clf(["a", "b"], [0, 0, 0]);
    expect(computeMetric("precision", y, pred)).toBe(0);
    expect(computeMetric("recall", y, pred)).toBe(0);
    expect(computeMetric("f1", y, pred)).toBe(0);
    // only label "a" is present, so macro averages over it alone
    expect(computeMetric("f1_macro", y, pred)).toBe(1);
  });

  test("log_loss clips certain wrong predictions to -log(eps)", () => {
    const y = categoricalColumn(["a", "b"]);
    const v = computeMetric("log_loss", y, clf(["a", "b"], [1, 1], [0, 1, 0, 1]));
    expect(v).toBeCloseTo((-Math.log(2.220446049250313e-16) - Math.log(1 - 2.220446049250313e-16)) / 2, 12);
  });

  test("ROC AUC counts ties half and is NaN with a single class", () => {
    const y = categoricalColumn(["n", "p", "n", "p"]);
    expect(
      computeMetric("roc_auc", y, clf(["n", "p"], [0, 0, 0, 0], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])),
    ).toBe(0.5);
    expect(
      computeMetric("roc_auc", y, clf(["n", "p"], [0, 1, 0, 1], [0.9, 0.1, 0.2, 0.8, 0.7, 0.3, 0.4, 0.6])),
    ).toBe(1);
    const one = categoricalColumn(["p", "p"]);
    expect(computeMetric("roc_auc", one, clf(["n", "p"], [1, 1], [0.2, 0.8, 0.4, 0.6]))).toBeNaN();
  });

  test("average precision is 0 without positives and 1 for a perfect ranking", () => {
    const none = categoricalColumn(["n", "n"]);
    expect(computeMetric("pr_auc", none, clf(["n", "p"], [0, 0], [0.8, 0.2, 0.6, 0.4]))).toBe(0);
    const y = categoricalColumn(["p", "n", "p"]);
    expect(computeMetric("pr_auc", y, clf(["n", "p"], [1, 0, 1], [0.1, 0.9, 0.8, 0.2, 0.3, 0.7]))).toBe(1);
  });

  test("regression metrics: exact values, MAPE epsilon, r2 corner cases", () => {
    const y = numericColumn([1, 2, 3, 0]);
    const pred: RegressionPredictions = {
      problem_type: "regression",
      values: Float64Array.from([1, 3, 3, 1]),
    };
    expect(computeMetrics(["mse", "rmse", "mae"], y, pred)).toEqual({
      mse: 0.5,
      rmse: Math.sqrt(0.5),
      mae: 0.5,
    });
    expect(computeMetric("mape", y, pred)).toBeCloseTo((0.5 + 1 / 2.220446049250313e-16) / 4, 0);
    const c = numericColumn([2, 2]);
    expect(computeMetric("r2", c, { problem_type: "regression", values: Float64Array.from([2, 2]) })).toBe(1);
    expect(computeMetric("r2", c, { problem_type: "regression", values: Float64Array.from([1, 2]) })).toBe(0);
    expect(
      computeMetric("r2", numericColumn([1]), { problem_type: "regression", values: Float64Array.from([1]) }),
    ).toBeNaN();
  });

  test("unknown metric names list the valid ones", () => {
    const e = caught(() =>
      computeMetric("f2", numericColumn([1]), { problem_type: "regression", values: Float64Array.from([1]) }),
    );
    expect(e.message).toContain('unknown metric "f2"');
    expect(e.message).toContain("f1_macro");
    expect(e.message).toContain("rmse");
    expect(() => isLowerBetter("nope")).toThrow(/valid metrics are/);
    expect(() =>
      computeMetrics(["rmse", "bogus"], numericColumn([1]), {
        problem_type: "regression",
        values: Float64Array.from([1]),
      }),
    ).toThrow(/bogus/);
  });

  test("metrics of the other problem type are refused", () => {
    const e = caught(() => computeMetric("rmse", categoricalColumn(["a"]), clf(["a", "b"], [0])));
    expect(e.message).toMatch(/"rmse" applies to regression, but the predictions are for classification/);
    expect(() =>
      computeMetric("accuracy", numericColumn([1]), {
        problem_type: "regression",
        values: Float64Array.from([1]),
      }),
    ).toThrow(/applies to classification/);
  });

  test("binary metrics refuse more than two classes", () => {
    const y = categoricalColumn(["a", "b", "c"]);
    const e = caught(() => computeMetric("f1", y, clf(["a", "b", "c"], [0, 1, 2])));
    expect(e.message).toContain("binary classification");
    expect(e.message).toContain("f1_macro");
  });

  test("probability metrics need proba and known labels", () => {
    expect(() => computeMetric("log_loss", categoricalColumn(["a"]), clf(["a", "b"], [0]))).toThrow(
      /needs predicted probabilities/,
    );
    expect(() =>
      computeMetric("log_loss", categoricalColumn(["z"]), clf(["a", "b"], [0], [0.5, 0.5])),
    ).toThrow(/"z"/);
    expect(() =>
      computeMetric("roc_auc_ovr", categoricalColumn(["a"]), clf(["a", "b", "c"], [0], [0.5, 0.2, 0.2])),
    ).toThrow(/sum to 1/);
  });

  test("missing targets and length mismatches are errors", () => {
    expect(() => computeMetric("accuracy", categoricalColumn(["a", null]), clf(["a"], [0, 0]))).toThrow(
      /missing value/,
    );
    expect(() => computeMetric("accuracy", categoricalColumn(["a"]), clf(["a"], [0, 0]))).toThrow(
      /1 rows but the predictions have 2/,
    );
    expect(() =>
      computeMetric("mae", numericColumn([1, Number.NaN]), {
        problem_type: "regression",
        values: Float64Array.from([1, 1]),
      }),
    ).toThrow(/row 1/);
  });
});

describe("helpers", () => {
  test("directions", () => {
    expect(METRIC_NAMES.filter((m) => isLowerBetter(m))).toEqual(["log_loss", "mse", "rmse", "mae", "mape"]);
  });

  test("default metrics are valid names and fit the problem", () => {
    for (const [pt, k] of [
      ["classification", 2],
      ["classification", 3],
      ["classification", undefined],
      ["regression", undefined],
    ] as const) {
      const names = defaultMetrics(pt, k);
      expect(names.length).toBeGreaterThan(3);
      for (const n of names) expect(METRIC_NAMES).toContain(n);
    }
    expect(defaultMetrics("classification", 2)).toContain("roc_auc");
    expect(defaultMetrics("classification", 4)).not.toContain("f1");
  });

  test("classification baseline: most frequent class with priors", () => {
    const y = categoricalColumn(["b", "a", "b", null, "c", "b"]);
    const p = baselinePredictions("classification", y, 2) as ClassificationPredictions;
    expect(p.classes).toEqual(["a", "b", "c"]);
    expect([...p.labels]).toEqual([1, 1]);
    expect([...p.proba!]).toEqual([0.2, 0.6, 0.2, 0.2, 0.6, 0.2]);
    const given = baselinePredictions("classification", y, 1, [
      "c",
      "b",
      "a",
      "d",
    ]) as ClassificationPredictions;
    expect(given.classes).toEqual(["c", "b", "a", "d"]);
    expect([...given.labels]).toEqual([1]);
    expect([...given.proba!]).toEqual([0.2, 0.6, 0.2, 0]);
    expect(computeMetric("accuracy", categoricalColumn(["b", "a"]), p)).toBe(0.5);
  });

  test("regression baseline: the mean", () => {
    const p = baselinePredictions(
      "regression",
      numericColumn([1, Number.NaN, 5]),
      3,
    ) as RegressionPredictions;
    expect([...p.values]).toEqual([3, 3, 3]);
    expect(() => baselinePredictions("regression", categoricalColumn(["a"]), 1)).toThrow(/numeric/);
    expect(() => baselinePredictions("regression", numericColumn([Number.NaN]), 1)).toThrow(/no non-missing/);
  });
});
