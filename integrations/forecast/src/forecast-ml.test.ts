// The ML forecaster with a real regression trainer (@lolpop/random-forest): the rows the trainer
// gets use only the past of each target, recursive and direct strategies reproduce a seasonal
// pattern, exogenous columns are used with their future values, and a saved forecaster loads back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FitInput, type ModelTrainer, Table, type TrainedModel } from "@lolpop/core";
import { ForecastModelError, loadForecaster, mlForecaster, prepareSeries, type SeriesSet } from "./index.js";
import { randomForestTrainer } from "./ml-test-support.js";
import { rng, unemploymentSet } from "./test-support.js";

const MONTH = (i: number) => new Date(Date.UTC(2010, i, 1)).toISOString().slice(0, 10);

/** Monthly series: level + trend + a yearly sine pattern (+ noise), several of them. */
function seasonalSet(n: number, noise = 0, keys = ["p", "q", "r"]): SeriesSet {
  const r = rng(3);
  const id: string[] = [];
  const date: string[] = [];
  const y: number[] = [];
  keys.forEach((key, k) => {
    for (let i = 0; i < n; i++) {
      id.push(key);
      date.push(MONTH(i));
      y.push(100 * (k + 1) + 0.5 * i + 10 * (k + 1) * Math.sin((2 * Math.PI * i) / 12) + noise * (r() - 0.5));
    }
  });
  return prepareSeries(Table.fromColumns({ id, date, y }), { time: "date", target: "y", ids: "id" });
}

/** A trainer that records what it is given and delegates to the random forest. */
function recording(inner: ModelTrainer): ModelTrainer & { inputs: FitInput[] } {
  const inputs: FitInput[] = [];
  return {
    inputs,
    async fit(input: FitInput): Promise<TrainedModel> {
      inputs.push(input);
      return inner.fit(input);
    },
    load: (dir: string) => inner.load(dir),
  };
}

test("training rows use only values before their target (y = time index, no normalisation)", async () => {
  const n = 40;
  const t = Table.fromColumns({
    date: Array.from({ length: n }, (_, i) => MONTH(i)),
    y: Array.from({ length: n }, (_, i) => i),
  });
  const data = prepareSeries(t, { time: "date", target: "y" });
  const trainer = recording(await randomForestTrainer({ n_estimators: 5 }));
  for (const strategy of ["recursive", "direct"] as const) {
    trainer.inputs.length = 0;
    await mlForecaster({
      trainer,
      strategy,
      horizon: 3,
      lags: [1, 2, 12],
      windows: [6],
      rollingStats: ["mean", "max"],
      normalize: "none",
      targetBase: "level",
    }).fit(data);
    expect(trainer.inputs).toHaveLength(strategy === "direct" ? 3 : 1);
    trainer.inputs.forEach((input, step) => {
      const h = step + 1;
      const X = input.X;
      expect(X.columnNames).toEqual([
        "lag_1",
        "lag_2",
        "lag_12",
        "rolling_mean_6",
        "rolling_max_6",
        "cal_month",
      ]);
      const target = (input.y as { values: Float64Array }).values;
      // history of 12 points, then one row per target; the row's origin is target - h
      expect(target[0]).toBe(12 + h - 1);
      expect(X.numRows).toBe(n - 12 - h + 1);
      for (let r = 0; r < X.numRows; r++) {
        const y = target[r]!;
        const origin = y - h;
        expect(X.get(r, "lag_1")).toBe(origin);
        expect(X.get(r, "lag_12")).toBe(origin - 11);
        expect(X.get(r, "rolling_max_6")).toBe(origin);
        expect(X.get(r, "rolling_mean_6")).toBe(origin - 2.5);
        expect(X.get(r, "cal_month")).toBe((y % 12) + 1);
      }
    });
    // relative to the season (the default): the target is the change since the latest same-month
    // value known at the origin, 12 months back for h <= 12
    trainer.inputs.length = 0;
    await mlForecaster({ trainer, strategy, horizon: 3, normalize: "none" }).fit(data);
    for (const input of trainer.inputs)
      expect(new Set((input.y as { values: Float64Array }).values)).toEqual(new Set([12]));
  }
}, 120_000);

test.each(["recursive", "direct"] as const)(
  "%s strategy reproduces a trending seasonal pattern 12 months ahead",
  async (strategy) => {
    const full = seasonalSet(96, 2);
    const train = {
      ...full,
      series: full.series.map((s) => ({ ...s, values: s.values.slice(0, 84), time: s.time.slice(0, 84) })),
    };
    const f = await mlForecaster({
      trainer: await randomForestTrainer({ n_estimators: 60 }),
      strategy,
      horizon: 12,
    }).fit(train);
    const fc = await f.forecast({ horizon: 12 });
    for (const [i, s] of full.series.entries()) {
      expect(fc[i]!.key).toBe(s.key);
      expect(Array.from(fc[i]!.time)).toEqual(Array.from(s.time.slice(84)));
      const amplitude = 10 * (i + 1);
      let worst = 0;
      for (let k = 0; k < 12; k++) worst = Math.max(worst, Math.abs(fc[i]!.mean[k]! - s.values[84 + k]!));
      // the pattern swings by 2 x amplitude, the noise by ±1 and the trend adds 6 a year (which the
      // seasonal naive forecast misses): the forecast stays within 25% of the amplitude
      expect([s.key, worst < 0.25 * amplitude]).toEqual([s.key, true]);
    }
  },
  120_000,
);

test("recursive forecasts any horizon; direct refuses one beyond what it was trained for", async () => {
  const data = seasonalSet(60);
  const trainer = await randomForestTrainer({ n_estimators: 10 });
  const rec = await mlForecaster({ trainer }).fit(data);
  expect((await rec.forecast({ horizon: 30 }))[0]!.mean).toHaveLength(30);
  const direct = await mlForecaster({ trainer, strategy: "direct", horizon: 4 }).fit(data);
  await expect(direct.forecast({ horizon: 5 })).rejects.toThrow(
    "this direct ML forecaster was trained for 4 step(s) ahead and cannot forecast 5; refit it with horizon >= 5 or use the recursive strategy",
  );
  expect(() => mlForecaster({ trainer, strategy: "direct" })).toThrow(/give its horizon/);
}, 120_000);

test("exogenous columns are features, with their future values at forecast time", async () => {
  const r = rng(11);
  const n = 80;
  const date = Array.from({ length: n }, (_, i) => MONTH(i));
  const promo = Array.from({ length: n }, () => (r() < 0.3 ? 1 : 0));
  const y = promo.map((p, i) => 50 + 40 * p + (i % 3));
  const data = prepareSeries(Table.fromColumns({ date, promo, y }), {
    time: "date",
    target: "y",
    exogenous: ["promo"],
  });
  const f = await mlForecaster({
    trainer: await randomForestTrainer({ n_estimators: 60 }),
    lags: [1, 2, 3],
    windows: [3],
    calendar: [],
    seasonLength: 1,
    normalize: "series",
  }).fit(data);
  const future = Float64Array.from([1, 0, 1, 0]);
  const fc = await f.forecast({ horizon: 4, exogenous: { "": { promo: future } } });
  const on = [fc[0]!.mean[0]!, fc[0]!.mean[2]!];
  const off = [fc[0]!.mean[1]!, fc[0]!.mean[3]!];
  // a promotion adds 40: the forecasts on promotion months sit well above the others
  expect(Math.min(...on) - Math.max(...off)).toBeGreaterThan(25);
  await expect(f.forecast({ horizon: 4 })).rejects.toThrow(
    'the forecast of series "" needs 4 future value(s) of exogenous column "promo"; pass them in the request\'s exogenous values',
  );
}, 120_000);

test("a saved ML forecaster loads back with the same trainer and forecasts the same", async () => {
  const data = unemploymentSet();
  const trainer = await randomForestTrainer({ n_estimators: 20 });
  const fitted = await mlForecaster({
    trainer,
    trainerType: "RandomForestModelTrainer",
    strategy: "direct",
    horizon: 6,
  }).fit(data);
  const dir = mkdtempSync(join(tmpdir(), "lolpop-forecast-ml-"));
  try {
    await fitted.save(dir);
    const loaded = await loadForecaster(dir, { trainer });
    expect(loaded.kind).toBe("ml");
    const a = await fitted.forecast({ horizon: 6 });
    const b = await loaded.forecast({ horizon: 6 });
    expect(b.map((f) => [f.key, Array.from(f.mean)])).toEqual(a.map((f) => [f.key, Array.from(f.mean)]));
    expect(b.every((f) => f.mean.every(Number.isFinite))).toBe(true);
    await expect(loadForecaster(dir)).rejects.toThrow(
      /is an ML forecaster: loading it needs the trainer that fitted it/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

test("series too short for the lags are named", async () => {
  const data = seasonalSet(14, 0, ["long", "tiny"]);
  const tiny = data.series[1]!;
  const cut = {
    ...data,
    series: [data.series[0]!, { ...tiny, values: tiny.values.slice(0, 10), time: tiny.time.slice(0, 10) }],
  };
  const trainer = await randomForestTrainer({ n_estimators: 5 });
  let error: unknown;
  try {
    await mlForecaster({ trainer }).fit(cut);
  } catch (e) {
    error = e;
  }
  expect(ForecastModelError.isInstance(error)).toBe(true);
  expect((error as Error).message).toContain(
    'the ML forecaster needs at least 13 point(s) per series (history of 12 for the lags and windows, plus 1 target(s)); too short: "tiny" (10)',
  );
  await expect(mlForecaster({ trainer, lags: [0] }).fit(data)).rejects.toThrow(
    "lags must be positive integers, got 0",
  );
});
