// Forecasting metrics against values computed by hand (the sums are written out in comments).
import { DataError } from "../index.js";
import {
  defaultForecastMetrics,
  forecastMae,
  forecastMape,
  forecastMase,
  forecastMetrics,
  forecastRmse,
  forecastSmape,
  hasZeroActuals,
  intervalCoverage,
  isForecastMetric,
} from "./index.js";

const actual = [2, 4, 6, 8];
const forecast = [3, 3, 6, 10]; // |errors| 1, 1, 0, 2
const insample = [1, 2, 4, 3, 5, 6];

test("MAE, RMSE", () => {
  expect(forecastMae(actual, forecast)).toBe(1); // (1 + 1 + 0 + 2) / 4
  expect(forecastRmse(actual, forecast)).toBeCloseTo(Math.sqrt(1.5), 15); // (1 + 1 + 0 + 4) / 4
});

test("MAPE is a fraction and refuses zero actuals, naming the series", () => {
  expect(forecastMape(actual, forecast)).toBeCloseTo(0.25, 15); // (1/2 + 1/4 + 0 + 2/8) / 4
  const err = (() => {
    try {
      forecastMape([0, 5], [1, 5], "retail");
    } catch (e) {
      return e;
    }
  })();
  expect(DataError.isInstance(err)).toBe(true);
  expect((err as Error).message).toBe(
    'mape is undefined: 1 of 2 actual values of series "retail" are 0. Use smape or mase instead.',
  );
});

test("sMAPE", () => {
  // 2·1/(2+3) + 2·1/(4+3) + 0 + 2·2/(8+10), over 4
  expect(forecastSmape(actual, forecast)).toBeCloseTo((0.4 + 2 / 7 + 4 / 18) / 4, 15);
  expect(forecastSmape([0, 0], [0, 0])).toBe(0);
  expect(forecastSmape([0], [5])).toBe(2);
});

test("MASE is scaled by the in-sample seasonal naive MAE", () => {
  // m = 2: |4-1| |3-2| |5-4| |6-3| -> 8 / 4 = 2; MAE 1 -> 0.5
  expect(forecastMase(actual, forecast, insample, 2)).toBe(0.5);
  // m = 1: |2-1| |4-2| |3-4| |5-3| |6-5| -> 7 / 5 = 1.4
  expect(forecastMase(actual, forecast, insample, 1)).toBeCloseTo(1 / 1.4, 15);
  expect(forecastMase(actual, forecast, [1, 2], 2)).toBeNaN(); // not longer than the season
  expect(forecastMase(actual, forecast, [3, 3, 3], 1)).toBeNaN(); // zero scale
});

test("interval coverage counts the bounds as inside", () => {
  // 2 in [1,3] yes, 4 in [4,5] yes, 6 in [7,8] no, 8 in [7,9] yes
  expect(intervalCoverage(actual, [1, 4, 7, 7], [3, 5, 8, 9])).toBe(0.75);
});

test("forecastMetrics averages errors over series and pools coverage over points", () => {
  const m = forecastMetrics(
    ["mae", "rmse", "smape", "mase", "coverage_80", "mape"],
    [
      {
        key: "a",
        actual,
        mean: forecast,
        insample,
        seasonLength: 2,
        intervals: [{ level: 80, lower: [1, 4, 7, 7], upper: [3, 5, 8, 9] }],
      },
      {
        key: "b",
        actual: [10, 10],
        mean: [12, 8], // MAE 2, RMSE 2, MAPE 0.2
        insample: [1, 1, 1], // MASE undefined (zero scale): left out of the mean
        seasonLength: 1,
        intervals: [{ level: 80, lower: [9, 9], upper: [11, 11] }],
      },
    ],
  );
  expect(m.mae).toBe(1.5);
  expect(m.rmse).toBeCloseTo((Math.sqrt(1.5) + 2) / 2, 15);
  expect(m.mase).toBe(0.5);
  expect(m.mape).toBeCloseTo((0.25 + 0.2) / 2, 15);
  expect(m.smape).toBeCloseTo(((0.4 + 2 / 7 + 4 / 18) / 4 + (4 / 22 + 4 / 18) / 2) / 2, 15);
  expect(m.coverage_80).toBeCloseTo(5 / 6, 15); // (3 + 2) of (4 + 2) points
});

test("forecastMetrics errors: unknown names, a level with no interval, zero actuals", () => {
  const s = [{ key: "a", actual: [0, 1], mean: [1, 1] }];
  expect(() => forecastMetrics(["r2"], s)).toThrow(/unknown forecasting metric "r2"/);
  expect(() => forecastMetrics(["coverage_95"], s)).toThrow(/no forecast has a 95% prediction interval/);
  expect(() => forecastMetrics(["mape"], s)).toThrow(/series "a"/);
  expect(hasZeroActuals(s)).toBe(true);
  expect(hasZeroActuals([{ key: "b", actual: [1], mean: [1] }])).toBe(false);
});

test("names and defaults", () => {
  expect(defaultForecastMetrics([80, 95])).toEqual([
    "mae",
    "rmse",
    "mape",
    "smape",
    "mase",
    "coverage_80",
    "coverage_95",
  ]);
  expect(defaultForecastMetrics([], false)).toEqual(["mae", "rmse", "smape", "mase"]);
  expect(isForecastMetric("coverage_80")).toBe(true);
  expect(isForecastMetric("coverage")).toBe(false);
  expect(isForecastMetric("f1")).toBe(false);
});
