// Accuracy parity of the histogram engine with scikit-learn 1.9.1's RandomForestClassifier and
// RandomForestRegressor, with matching settings, on seeded synthetic data and vega-datasets tables.
// Both sides fit on the same train rows and score the same test rows; scores are averaged over
// several seeded splits (and forest seeds) so that one lucky forest does not decide the result.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import {
  type ClassificationPredictions,
  instantiateComponent,
  type RegressionPredictions,
} from "@lolpop/core";
import {
  cars,
  type Dataset,
  friedman1,
  holdoutSplit,
  movies,
  penguins,
  seattleWeather,
  syntheticClassification,
  toTable,
} from "../test/fixtures/datasets.js";
import { type RandomForestTrainerConfig, randomForestModelTrainer } from "./index.js";

const run = promisify(execFile);
const pkgDir = join(dirname(fileURLToPath(import.meta.url)), "..");
const repoRoot = join(pkgDir, "..", "..");
const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");
const script = join(pkgDir, "python", "sklearn_reference.py");

interface Case {
  dataset: () => Dataset;
  params: Record<string, unknown>;
  runs: number;
  testShare: number;
}

const CASES: Case[] = [
  {
    dataset: () => syntheticClassification({ n: 6000, features: 20, informative: 6, classes: 3, seed: 1 }),
    params: { n_estimators: 100, max_depth: null, max_features: "sqrt" },
    runs: 3,
    testShare: 0.3,
  },
  {
    dataset: penguins,
    params: { n_estimators: 100, max_depth: null, max_features: "sqrt" },
    runs: 5,
    testShare: 0.3,
  },
  {
    dataset: seattleWeather,
    params: { n_estimators: 100, max_depth: 8, max_features: "sqrt", min_samples_leaf: 2 },
    runs: 5,
    testShare: 0.3,
  },
  {
    dataset: () =>
      syntheticClassification({
        n: 4000,
        features: 10,
        informative: 4,
        classes: 2,
        seed: 2,
        weights: [0.85, 0.15],
      }),
    params: {
      n_estimators: 100,
      max_depth: 12,
      max_features: "sqrt",
      criterion: "entropy",
      class_weight: "balanced",
      min_samples_split: 4,
    },
    runs: 3,
    testShare: 0.3,
  },
  {
    dataset: () => friedman1({ n: 3000, features: 10, noise: 1, seed: 3 }),
    params: { n_estimators: 100, max_depth: null, max_features: 1.0 },
    runs: 3,
    testShare: 0.3,
  },
  {
    dataset: cars,
    params: { n_estimators: 100, max_depth: null, max_features: 1.0 },
    runs: 5,
    testShare: 0.3,
  },
  {
    dataset: movies,
    params: { n_estimators: 100, max_depth: null, max_features: 0.5, min_samples_leaf: 2 },
    runs: 3,
    testShare: 0.3,
  },
];

/** scikit-learn's names and values for the same settings. */
function sklearnParams(p: Record<string, unknown>, problem: string): Record<string, unknown> {
  const common = {
    n_estimators: p.n_estimators,
    max_depth: p.max_depth ?? null,
    max_features: p.max_features,
    min_samples_split: p.min_samples_split ?? 2,
    min_samples_leaf: p.min_samples_leaf ?? 1,
    bootstrap: p.bootstrap ?? true,
    max_samples: p.max_samples ?? 1.0,
    criterion: p.criterion ?? (problem === "classification" ? "gini" : "squared_error"),
  };
  return problem === "classification" ? { ...common, class_weight: p.class_weight ?? null } : common;
}

function score(
  d: Dataset,
  test: Int32Array,
  pred: ClassificationPredictions | RegressionPredictions,
): number {
  if (pred.problem_type === "classification") {
    let ok = 0;
    test.forEach((r, i) => {
      if (pred.labels[i] === d.y[r]) ok++;
    });
    return ok / test.length;
  }
  let mean = 0;
  for (const r of test) mean += d.y[r]!;
  mean /= test.length;
  let res = 0;
  let tot = 0;
  test.forEach((r, i) => {
    res += (d.y[r]! - pred.values[i]!) ** 2;
    tot += (d.y[r]! - mean) ** 2;
  });
  return 1 - res / tot;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

interface Result {
  name: string;
  metric: string;
  ours: number[];
  sklearn: number[];
  /** Wall-clock seconds of our fits + predictions, and of the scikit-learn process. */
  oursSeconds: number;
  sklearnSeconds: number;
}
const results: Result[] = [];
let setupError: Error | undefined;
let versions: { sklearn: string; numpy: string } | undefined;

beforeAll(async () => {
  if (!existsSync(python)) {
    setupError = new Error(
      `The scikit-learn parity test needs the project's Python venv, but ${python} does not exist. Run \`pnpm python:setup\` (node scripts/python-setup.mjs) from the repo root, then run the tests again.`,
    );
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), "lolpop-rf-parity-"));
  try {
    for (const [c, spec] of CASES.entries()) {
      const d = spec.dataset();
      const n = d.y.length;
      const F = d.columns.length;
      const X = new Float64Array(n * F);
      for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) X[i * F + f] = d.columns[f]![i]!;
      await writeFile(join(dir, `X${c}.f64`), X);
      await writeFile(join(dir, `y${c}.bin`), d.y);
      const result: Result = {
        name: d.name,
        metric: d.problem === "classification" ? "accuracy" : "R²",
        ours: [],
        sklearn: [],
        oursSeconds: 0,
        sklearnSeconds: 0,
      };
      const oursStarted = performance.now();
      const runs = [];
      for (let r = 0; r < spec.runs; r++) {
        const split = holdoutSplit(n, spec.testShare, 1000 * (c + 1) + r);
        await writeFile(join(dir, `train${c}_${r}.i32`), split.train);
        await writeFile(join(dir, `test${c}_${r}.i32`), split.test);
        runs.push({ train: join(dir, `train${c}_${r}.i32`), test: join(dir, `test${c}_${r}.i32`), seed: r });
        const trainer = await instantiateComponent<"model_trainer", RandomForestTrainerConfig>(
          randomForestModelTrainer,
          { config: { training_params: spec.params, seed: r } },
        );
        const train = toTable(d, split.train);
        const model = await trainer.fit({
          problem_type: d.problem,
          X: train.drop(["y"]),
          y: train.column("y"),
          ...(d.classes ? { classes: d.classes } : {}),
        });
        const pred = await model.predict(toTable(d, split.test).drop(["y"]));
        result.ours.push(score(d, split.test, pred));
      }
      result.oursSeconds = (performance.now() - oursStarted) / 1000;
      const specFile = join(dir, `spec${c}.json`);
      await writeFile(
        specFile,
        JSON.stringify({
          task: d.problem,
          X: join(dir, `X${c}.f64`),
          y: join(dir, `y${c}.bin`),
          n,
          F,
          params: sklearnParams(spec.params, d.problem),
          n_jobs: 2,
          runs,
        }),
      );
      const sklearnStarted = performance.now();
      const { stdout } = await run(python, [script, specFile], { timeout: 300_000, maxBuffer: 1 << 24 });
      const out = JSON.parse(stdout) as { sklearn: string; numpy: string; runs: Array<{ score: number }> };
      result.sklearnSeconds = (performance.now() - sklearnStarted) / 1000;
      versions = { sklearn: out.sklearn, numpy: out.numpy };
      result.sklearn = out.runs.map((x) => x.score);
      results.push(result);
    }
  } catch (e) {
    setupError = e as Error;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  if (process.env.LOLPOP_RF_REPORT) {
    for (const r of results) {
      console.log(
        `${r.name}: ${r.metric} ours ${mean(r.ours).toFixed(4)} sklearn ${mean(r.sklearn).toFixed(4)} diff ${(mean(r.ours) - mean(r.sklearn)).toFixed(4)} (runs ${r.ours.map((x) => x.toFixed(3)).join(" ")} | ${r.sklearn.map((x) => x.toFixed(3)).join(" ")}; ${r.oursSeconds.toFixed(1)} s vs ${r.sklearnSeconds.toFixed(1)} s)`,
      );
    }
  }
}, 600_000);

describe("histogram engine vs scikit-learn 1.9.1 (matching settings)", () => {
  it("runs against the pinned reference versions", () => {
    if (setupError) throw setupError;
    expect(versions).toEqual({ sklearn: "1.9.1", numpy: "2.4.6" });
    expect(results).toHaveLength(CASES.length);
  });

  it.each(CASES.map((c, i) => [i, c.params] as const))(
    "case %i (%j): mean test accuracy within 1 point, R² within 0.01",
    (i) => {
      if (setupError) throw setupError;
      const r = results[i]!;
      expect(r.ours).toHaveLength(r.sklearn.length);
      expect(Math.abs(mean(r.ours) - mean(r.sklearn))).toBeLessThanOrEqual(0.01);
      // Sanity: the datasets are learnable.
      expect(mean(r.ours)).toBeGreaterThan(r.metric === "accuracy" ? 0.6 : 0.3);
    },
  );
});
