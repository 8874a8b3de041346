// Rolling-origin backtesting never lets a fold see the future: with a target that encodes the time
// index (y_t = t), anything a forecaster was given above its origin would show in what it saw, and a
// naive forecast from the last training point must equal the origin's index exactly.
import { Table } from "@lolpop/core";
import {
  backtest,
  etsForecaster,
  type FittedForecaster,
  type Forecaster,
  ForecastModelError,
  mlForecaster,
  prepareSeries,
  rollingOriginFolds,
  type SeriesSet,
  seasonalNaiveForecaster,
  splitAtFold,
} from "./index.js";
import { randomForestTrainer } from "./ml-test-support.js";

const DAY = 86_400_000;
const start = Date.UTC(2024, 0, 1);

/** Two daily series whose value is the time index (days since 2024-01-01); b starts 10 days later and ends 3 days earlier. */
function timeIndexSet(): SeriesSet {
  const id: string[] = [];
  const date: number[] = [];
  const y: number[] = [];
  const add = (key: string, from: number, to: number) => {
    for (let k = from; k < to; k++) {
      id.push(key);
      date.push(start + k * DAY);
      y.push(k);
    }
  };
  add("a", 0, 60);
  add("b", 10, 57);
  const t = Table.fromColumns({ id, date: date.map((d) => new Date(d).toISOString()), y });
  return prepareSeries(t, { time: "date", target: "y", ids: "id" });
}

/** A forecaster that records the largest target value and timestamp it was given, and forecasts naively. */
function spy(): Forecaster & { seen: Array<{ maxValue: number; maxTime: number }> } {
  const seen: Array<{ maxValue: number; maxTime: number }> = [];
  const inner = seasonalNaiveForecaster({ seasonLength: 1 });
  return {
    kind: "spy",
    seen,
    async fit(data) {
      let maxValue = Number.NEGATIVE_INFINITY;
      let maxTime = Number.NEGATIVE_INFINITY;
      for (const s of data.series)
        for (let i = 0; i < s.values.length; i++) {
          maxValue = Math.max(maxValue, s.values[i]!);
          maxTime = Math.max(maxTime, s.time[i]!);
        }
      seen.push({ maxValue, maxTime });
      return inner.fit(data);
    },
  };
}

test("folds are cut at shared origins, step apart, the last one horizon before the end", () => {
  const data = timeIndexSet();
  const folds = rollingOriginFolds(data, { horizon: 7, folds: 3, step: 5 });
  const day = (t: number) => (t - start) / DAY;
  expect(folds.map((f) => [day(f.origin), day(f.testEnd)])).toEqual([
    [42, 49],
    [47, 54],
    [52, 59],
  ]);
  const split = splitAtFold(data, folds[2]!, { horizon: 7 });
  // b ends at day 56: its test window is days 53..56 (4 points)
  expect(split.test.map((s) => [s.key, Array.from(s.values)])).toEqual([
    ["a", [53, 54, 55, 56, 57, 58, 59]],
    ["b", [53, 54, 55, 56]],
  ]);
  expect(split.train.series.map((s) => s.values[s.values.length - 1])).toEqual([52, 52]);
});

test("no fold sees a value or timestamp after its origin (target = time index)", async () => {
  const data = timeIndexSet();
  const f = spy();
  const results = await backtest(data, f, { horizon: 7, folds: 4, step: 3 });
  expect(results).toHaveLength(4);
  results.forEach((r, i) => {
    const originIndex = (r.fold.origin - start) / DAY;
    expect(f.seen[i]!.maxValue).toBe(originIndex);
    expect(f.seen[i]!.maxTime).toBe(r.fold.origin);
    for (const [j, s] of r.train.entries()) {
      expect(Math.max(...s.values)).toBeLessThanOrEqual(originIndex);
      // every test point is in the future of the fold, and the naive forecast is the origin's value
      expect(Math.min(...r.test[j]!.values)).toBe(originIndex + 1);
      expect(Array.from(r.forecasts[j]!.mean)).toEqual(new Array(7).fill(originIndex));
      expect(Array.from(r.forecasts[j]!.time.slice(0, r.test[j]!.time.length))).toEqual(
        Array.from(r.test[j]!.time),
      );
    }
  });
});

test("ETS and the ML forecaster backtested on the time index forecast from the origin only", async () => {
  const data = timeIndexSet();
  // y_t = t is a straight line: a trend model fitted up to the origin continues it from there.
  const ets = await backtest(data, etsForecaster({ model: "AAN", damped: false, seasonLength: 1 }), {
    horizon: 5,
    folds: 2,
  });
  for (const r of ets) {
    const originIndex = (r.fold.origin - start) / DAY;
    for (const fc of r.forecasts) expect(fc.mean[0]!).toBeCloseTo(originIndex + 1, 3);
  }
  const trainer = await randomForestTrainer();
  const ml = await backtest(
    data,
    mlForecaster({
      trainer,
      lags: [1, 2, 3],
      windows: [3],
      calendar: [],
      seasonLength: 1,
      params: { n_estimators: 20 },
    }),
    { horizon: 3, folds: 2 },
  );
  for (const r of ml) {
    const originIndex = (r.fold.origin - start) / DAY;
    // relative to the last 3 values, the next one is always 2 steps above their mean: the forest
    // learns it from the training rows, and the forecast continues from the origin
    for (const fc of r.forecasts) expect(fc.mean[0]!).toBeCloseTo(originIndex + 1, 6);
  }
}, 120_000);

test("bad backtest options are refused with what to change", () => {
  const data = timeIndexSet();
  expect(() => rollingOriginFolds(data, { horizon: 0 })).toThrow(
    /backtest horizon must be a positive integer, got 0/,
  );
  expect(() => rollingOriginFolds(data, { horizon: 20, folds: 5 })).toThrow(
    /backtest: 5 fold\(s\) of 20 period\(s\), 20 apart, need the data to start on or before 2023-11-21 \(1 day frequency\), and it starts 2024-01-01; use fewer folds/,
  );
  let error: unknown;
  try {
    rollingOriginFolds(data, { horizon: 2, folds: 1.5 });
  } catch (e) {
    error = e;
  }
  expect(ForecastModelError.isInstance(error)).toBe(true);
  expect((error as Error).message).toBe("backtest folds must be a positive integer, got 1.5");
});

test("a fitted forecaster from a backtest is the one of that fold", async () => {
  const data = timeIndexSet();
  const results = await backtest(data, seasonalNaiveForecaster({ seasonLength: 1 }), {
    horizon: 2,
    folds: 2,
  });
  const fitted: FittedForecaster = results[0]!.fitted;
  const again = await fitted.forecast({ horizon: 2 });
  expect(again.map((f) => Array.from(f.mean))).toEqual(results[0]!.forecasts.map((f) => Array.from(f.mean)));
});
