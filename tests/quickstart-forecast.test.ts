// The forecast quickstart end to end through the CLI, in a temp copy outside the repo: the
// TimeSeriesRunner on 14 monthly unemployment series, no Python.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lolpop, repoRoot, tempProject } from "./helpers.js";

const example = join(repoRoot, "examples", "quickstart", "forecast");

function setup(): string {
  const dir = tempProject("lolpop-forecast-");
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "tmp-forecast",
      private: true,
      type: "module",
      dependencies: { "@lolpop/workflows": "*", "@lolpop/local": "*", "@lolpop/forecast": "*" },
    }),
  );
  mkdirSync(join(dir, "data"));
  copyFileSync(join(example, "lolpop.yaml"), join(dir, "lolpop.yaml"));
  copyFileSync(join(example, "data", "unemployment.csv"), join(dir, "data", "unemployment.csv"));
  return dir;
}

const RUN_TIMEOUT = 600_000;

describe("forecast quickstart", () => {
  const dir = setup();

  test("validates", () => {
    const r = lolpop(["validate"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("valid (TimeSeriesRunner");
  });

  test(
    "first run: backtests, beats the seasonal naive, registers and promotes v1, forecasts 12 months per series",
    () => {
      const r = lolpop(["run", "--json"], dir);
      if (r.code !== 0) throw new Error(r.stderr);
      const s = JSON.parse(r.stdout);
      expect(s.problem_type).toBe("timeseries");
      expect(s.train.trainer).toBe("ETSForecaster");
      expect(s.train.perf_metric).toBe("mase");
      // ETS beats the seasonal naive on the backtest folds and on the test split (the 2009 recession:
      // repeating last year misses the rise badly).
      expect(s.train.metrics.valid.mase).toBeLessThan(s.train.baseline.valid.mase);
      expect(s.train.metrics.test.mase).toBeLessThan(s.train.baseline.test.mase * 0.6);
      expect(s.train.metrics.test.mae).toBeLessThan(s.train.baseline.test.mae);
      expect(s.train.comparison).toMatchObject({ split: "test", beats_baseline: true, beats_champion: true });
      // Intervals: the 95% band covers more than the 80% one.
      expect(s.train.metrics.test.coverage_95).toBeGreaterThan(s.train.metrics.test.coverage_80);
      expect(s.train.metrics.test.coverage_80).toBeGreaterThan(0.5);

      // Time-ordered splits: the test split is the last 12 months; each fold trains strictly
      // before what it is scored on, and every fold ends before the test split starts.
      expect(s.train.test_split).toEqual({
        train_end: "2009-02-01",
        test_start: "2009-03-01",
        test_end: "2010-02-01",
      });
      expect(s.train.backtest.map((f: { train_end: string }) => f.train_end)).toEqual([
        "2006-02-01",
        "2007-02-01",
        "2008-02-01",
      ]);
      for (const f of s.train.backtest) {
        expect(f.train_end < f.test_start).toBe(true);
        expect(f.test_end < s.train.test_split.test_start).toBe(true);
        expect(f.series).toBe(14);
        expect(Object.keys(f.metrics).sort()).toEqual([
          "ETSForecaster#1",
          "ETSForecaster#2",
          "baseline SeasonalNaiveForecaster",
        ]);
      }
      expect(s.deploy).toMatchObject({ promoted: true, champion_version: 1 });

      // Forecasts: 14 series x 12 months after February 2010, mean inside nested intervals.
      const csv = readFileSync(join(dir, "predictions", "unemployment.csv"), "utf8")
        .trim()
        .split("\n");
      expect(csv[0]).toBe("industry,month,mean,lower_80,upper_80,lower_95,upper_95");
      expect(csv.length - 1).toBe(14 * 12);
      expect(s.predict.rows).toBe(14 * 12);
      const rows = csv.slice(1).map((l) => {
        const m = /^("[^"]*"|[^,]*),(.*)$/.exec(l)!;
        return [m[1]!, ...m[2]!.split(",")];
      });
      const byIndustry = new Map<string, string[]>();
      for (const [industry, month] of rows)
        byIndustry.set(industry!, [...(byIndustry.get(industry!) ?? []), month!]);
      expect(byIndustry.size).toBe(14);
      for (const months of byIndustry.values()) {
        expect(months[0]).toBe("2010-03-01");
        expect(months[11]).toBe("2011-02-01");
        expect(months).toHaveLength(12);
      }
      for (const r of rows) {
        const [mean, lo80, hi80, lo95, hi95] = r.slice(2).map(Number);
        expect(lo95!).toBeLessThanOrEqual(lo80!);
        expect(lo80!).toBeLessThan(mean!);
        expect(mean!).toBeLessThan(hi80!);
        expect(hi80!).toBeLessThanOrEqual(hi95!);
      }
    },
    RUN_TIMEOUT,
  );

  test(
    "second run on the same data: v2 registered, not promoted, v1 stays champion",
    () => {
      const r = lolpop(["run"], dir);
      if (r.code !== 0) throw new Error(r.stderr);
      expect(r.stdout).toMatch(/model\s+unemployment v2 registered/);
      expect(r.stdout).toMatch(/promotion\s+not promoted: does not beat champion v1/);
      expect(r.stdout).toMatch(/predictions 168 rows with v1 ->/);
    },
    RUN_TIMEOUT,
  );

  test("validate names a missing horizon and a misspelt forecaster with the file and line", () => {
    const yaml = readFileSync(join(dir, "lolpop.yaml"), "utf8")
      .replace(/^ {2}horizon: 12\n/m, "")
      .replace("forecaster: ETSForecaster", "forecaster: ETSForecastr");
    writeFileSync(join(dir, "broken.yaml"), yaml);
    const r = lolpop(["validate", "broken.yaml"], dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/broken\.yaml:\d+/);
    expect(r.stderr).toMatch(/horizon/);
    expect(r.stderr).toMatch(/did you mean ETSForecaster/i);
  });

  test(
    "bad data: a duplicate and a missing month are reported with the series and the timestamps",
    () => {
      const bad = tempProject("lolpop-forecast-bad-");
      writeFileSync(join(bad, "package.json"), readFileSync(join(dir, "package.json")));
      copyFileSync(join(dir, "lolpop.yaml"), join(bad, "lolpop.yaml"));
      mkdirSync(join(bad, "data"));
      const lines = readFileSync(join(example, "data", "unemployment.csv"), "utf8").split("\n");
      const out = lines.filter((l) => !l.startsWith("Finance,2005-06-01"));
      const dup = lines.find((l) => l.startsWith("Mining and Extraction,2003-04-01"))!;
      out.splice(out.indexOf(dup), 0, dup);
      writeFileSync(join(bad, "data", "unemployment.csv"), out.join("\n"));
      const r = lolpop(["run"], bad);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/Mining and Extraction/);
      expect(r.stderr).toMatch(/2003-04-01/);
      expect(r.stderr).toMatch(/Finance/);
      expect(r.stderr).toMatch(/2005-06-01/);
      expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // a message, not a stack trace
    },
    RUN_TIMEOUT,
  );
});

describe("TimeSeriesRunner on counts with zeros", () => {
  // Two small monthly series of counts, one with zero months: MAPE is undefined there.
  const dir = tempProject("lolpop-forecast-zeros-");
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "tmp-forecast-zeros",
      private: true,
      type: "module",
      dependencies: { "@lolpop/workflows": "*", "@lolpop/local": "*", "@lolpop/forecast": "*" },
    }),
  );
  mkdirSync(join(dir, "data"));
  const lines = ["shop,day,sales"];
  for (const shop of ["north", "south"])
    for (let m = 0; m < 48; m++) {
      const month = `${2020 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}-01`;
      const sales = shop === "north" ? (m % 4 === 0 ? 0 : 3 + (m % 3)) : 20 + (m % 12) + m / 4;
      lines.push(`${shop},${month},${sales}`);
    }
  writeFileSync(join(dir, "data", "sales.csv"), `${lines.join("\n")}\n`);
  const yaml = (metrics: string) => `runner: TimeSeriesRunner
config:
  target: sales
  time: day
  ids: shop
  horizon: 6
  levels: [80]
  model_name: sales
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
pipelines:
  process: OfflineProcess
  train: TimeSeriesTrain
  deploy: OfflineDeploy
  predict: TimeSeriesPredict
process:
  components: { data_connector: LocalDataConnector }
  data_connector: { config: { path: data/sales.csv } }
train:
  config:
    folds: 2
    perf_metric: mae
${metrics}
  components: { forecaster: ETSForecaster }
  forecaster: { config: { model: ANN } }
deploy:
  config: { require_beat_baseline: false }
predict:
  components: { data_connector: LocalDataConnector }
  config: { output_path: predictions/sales.csv }
`;

  test(
    "default metrics: MAPE is left out with a warning, the others are computed",
    () => {
      writeFileSync(join(dir, "lolpop.yaml"), yaml(""));
      const r = lolpop(["run", "--json"], dir);
      if (r.code !== 0) throw new Error(r.stderr);
      const s = JSON.parse(r.stdout);
      expect(r.stderr).toMatch(/the actuals hold zeros: mape is undefined/);
      expect(Object.keys(s.train.metrics.test).sort()).toEqual([
        "coverage_80",
        "mae",
        "mase",
        "rmse",
        "smape",
      ]);
      expect(s.train.backtest).toHaveLength(2);
      expect(s.predict.rows).toBe(2 * 6);
      const csv = readFileSync(join(dir, "predictions", "sales.csv"), "utf8")
        .trim()
        .split("\n");
      expect(csv[0]).toBe("shop,day,mean,lower_80,upper_80");
      expect(csv[1]).toMatch(/^north,2024-01-01,/);
    },
    RUN_TIMEOUT,
  );

  test(
    "MAPE asked for explicitly is refused, naming the series",
    () => {
      writeFileSync(join(dir, "lolpop.yaml"), yaml("    metrics: [mae, mape]"));
      const r = lolpop(["run"], dir);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/mape is undefined: \d+ of \d+ actual values of series "north" are 0/);
    },
    RUN_TIMEOUT,
  );
});

describe("TimeSeriesRunner with an exogenous column known in the future", () => {
  const dir = tempProject("lolpop-forecast-exog-");
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: "tmp-forecast-exog",
      private: true,
      type: "module",
      dependencies: {
        "@lolpop/workflows": "*",
        "@lolpop/local": "*",
        "@lolpop/forecast": "*",
        "@lolpop/random-forest": "*",
      },
    }),
  );
  mkdirSync(join(dir, "data"));
  // Sales jump by 40 in promotion months; the promotion calendar is known ahead.
  const promo = (m: number) => (m % 5 === 0 ? 1 : 0);
  const month = (m: number) => `${2020 + Math.floor(m / 12)}-${String((m % 12) + 1).padStart(2, "0")}-01`;
  const train = ["shop,month,sales,promo"];
  const future = ["shop,month,promo"];
  for (const shop of ["north", "south"]) {
    for (let m = 0; m < 48; m++)
      train.push(
        `${shop},${month(m)},${(shop === "north" ? 50 : 80) + 40 * promo(m) + (m % 12)},${promo(m)}`,
      );
    for (let m = 48; m < 54; m++) future.push(`${shop},${month(m)},${promo(m)}`);
  }
  writeFileSync(join(dir, "data", "sales.csv"), `${train.join("\n")}\n`);
  writeFileSync(join(dir, "data", "future.csv"), `${future.join("\n")}\n`);
  const truth = ["shop,month,sales"];
  for (const shop of ["north", "south"])
    for (let m = 48; m < 54; m++)
      truth.push(`${shop},${month(m)},${(shop === "north" ? 50 : 80) + 40 * promo(m) + (m % 12)}`);
  writeFileSync(join(dir, "data", "truth.csv"), `${truth.join("\n")}\n`);
  writeFileSync(
    join(dir, "lolpop.yaml"),
    `runner: TimeSeriesRunner
config:
  target: sales
  time: month
  ids: shop
  exogenous: [promo]
  horizon: 6
  levels: [80]
  model_name: sales
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
pipelines:
  process: OfflineProcess
  train: TimeSeriesTrain
  deploy: OfflineDeploy
  predict: TimeSeriesPredict
process:
  components: { data_connector: LocalDataConnector }
  data_connector: { config: { path: data/sales.csv } }
train:
  config: { folds: 2, perf_metric: mae }
  components: { forecaster: MLForecaster }
  forecaster:
    config:
      trainer_config: { n_jobs: 1, training_params: { n_estimators: 30 } }
      lags: [1, 12]
      normalize: none
      target_base: level
deploy:
  config: { require_beat_baseline: false }
predict:
  components: { data_connector: LocalDataConnector }
  data_connector: { config: { path: data/future.csv } }
  config: { output_path: predictions/sales.csv, ground_truth_path: data/truth.csv }
`,
  );

  test(
    "predict reads the future promotions and the forecasts follow them",
    () => {
      const r = lolpop(["run", "--json"], dir);
      if (r.code !== 0) throw new Error(r.stderr);
      const s = JSON.parse(r.stdout);
      expect(s.train.trainer).toBe("MLForecaster");
      expect(s.predict.rows).toBe(12);
      const csv = readFileSync(join(dir, "predictions", "sales.csv"), "utf8")
        .trim()
        .split("\n");
      expect(csv[0]).toBe("shop,month,mean");
      const north = csv.slice(1).filter((l) => l.startsWith("north,"));
      expect(north.map((l) => l.split(",")[1])).toEqual([48, 49, 50, 51, 52, 53].map(month));
      // Months 50 (March 2024) is a promotion month: its forecast stands well above the others.
      const mean = north.map((l) => Number(l.split(",")[2]));
      const others = mean.filter((_, i) => promo(48 + i) === 0);
      expect(mean[2]!).toBeGreaterThan(Math.max(...others) + 15);
    },
    RUN_TIMEOUT,
  );

  test(
    "--step evaluate joins the forecasts with the actuals by shop and month",
    () => {
      const r = lolpop(["run", "--step", "evaluate", "--json"], dir);
      if (r.code !== 0) throw new Error(r.stderr);
      const e = JSON.parse(r.stdout).evaluate;
      expect(e).toMatchObject({ model_version: 1, rows: 12, unmatched: 0 });
      // Recompute MAE from the saved forecasts and the truth file.
      const preds = readFileSync(join(dir, "predictions", "sales.csv"), "utf8")
        .trim()
        .split("\n")
        .slice(1);
      const actual = new Map(
        truth.slice(1).map((l) => [l.split(",").slice(0, 2).join(","), Number(l.split(",")[2])]),
      );
      const errors = preds.map((l) =>
        Math.abs(Number(l.split(",")[2]) - actual.get(l.split(",").slice(0, 2).join(","))!),
      );
      const maeNorth = errors.slice(0, 6).reduce((a, b) => a + b, 0) / 6;
      const maeSouth = errors.slice(6).reduce((a, b) => a + b, 0) / 6;
      expect(e.metrics.mae).toBeCloseTo((maeNorth + maeSouth) / 2, 9);
      expect(Object.keys(e.metrics).sort()).toEqual(["mae", "mape", "rmse", "smape"]);
    },
    RUN_TIMEOUT,
  );

  test(
    "evaluate without a ground truth file is a config error naming the key; a pinned version that does not exist is named",
    () => {
      const config = join(dir, "lolpop.yaml");
      const original = readFileSync(config, "utf8");
      try {
        writeFileSync(config, original.replace(", ground_truth_path: data/truth.csv", ""));
        const e = lolpop(["run", "--step", "evaluate"], dir);
        expect(e.code).toBe(2);
        expect(e.stderr).toMatch(/predict\.config\.ground_truth_path/);
        expect(e.stderr).toMatch(/series ids, the time column and the target/);
        writeFileSync(
          config,
          original.replace(
            "output_path: predictions/sales.csv,",
            "output_path: predictions/sales.csv, model_version: 9,",
          ),
        );
        const p = lolpop(["run", "--step", "predict"], dir);
        expect(p.code).not.toBe(0);
        expect(p.stderr).toMatch(/model "sales" has no version 9/i);
      } finally {
        writeFileSync(config, original);
      }
    },
    RUN_TIMEOUT,
  );

  test(
    "future rows missing for a series: the error names the series and the last training month",
    () => {
      writeFileSync(
        join(dir, "data", "future.csv"),
        `${future.filter((l) => !l.startsWith("south,2024-06")).join("\n")}\n`,
      );
      const r = lolpop(["run", "--step", "predict"], dir);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/series "south" has 5 future rows of promo/);
      expect(r.stderr).toMatch(/after 2023-12-01/);
    },
    RUN_TIMEOUT,
  );
});
