// The forecaster components through the core `forecaster` contract, standalone: data checks,
// folds that never see the future, fit / save / load round trips with timestamps as outputs show them.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Forecaster, instantiateComponent, Table } from "@lolpop/core";
import "@lolpop/random-forest"; // registers RandomForestModelTrainer for the MLForecaster
import {
  etsForecasterComponent,
  ForecastDataError,
  mlForecasterComponent,
  seasonalNaiveForecasterComponent,
} from "./index.js";
import { loadFixture } from "./test-support.js";

function unemploymentTable(names = 3): Table {
  const series = loadFixture().unemployment.series.slice(0, names);
  return Table.fromColumns({
    industry: series.flatMap((s) => s.dates.map(() => s.name)),
    month: series.flatMap((s) => s.dates),
    unemployed: Float64Array.from(series.flatMap((s) => s.values)),
  });
}

const spec = { time: "month", target: "unemployed", ids: ["industry"] };
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-forecast-components-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("prepare_series infers the frequency and season; errors name the series and timestamps", async () => {
  const f = (await instantiateComponent(seasonalNaiveForecasterComponent, {})) as Forecaster;
  const data = await f.prepare_series(unemploymentTable(), spec);
  expect(data.series).toHaveLength(3);
  expect(data.frequencyLabel).toBe("1 month");
  expect(data.seasonLength).toBe(12);
  // The fixture's months are local midnights written in UTC (08:00Z): outputs keep them as they are.
  expect(data.formatTime(data.series[0]!.time[0]!)).toBe(
    new Date(loadFixture().unemployment.series[0]!.dates[0]!).toISOString(),
  );

  const t = unemploymentTable(1);
  const dup = Table.concat([t, t.take([5])]);
  const err = await f.prepare_series(dup, spec).catch((e: unknown) => e);
  expect(ForecastDataError.isInstance(err)).toBe(true);
  const name = loadFixture().unemployment.series[0]!.name;
  const month = String(t.values("month")[5]).slice(0, 10);
  expect((err as Error).message).toContain(name);
  expect((err as Error).message).toContain(month);
});

test("split_series: each fold trains up to its origin and tests after it, with the season kept", async () => {
  const f = (await instantiateComponent(seasonalNaiveForecasterComponent, {})) as Forecaster;
  const data = await f.prepare_series(unemploymentTable(), spec);
  const folds = await f.split_series(data, { horizon: 12, folds: 3, step: 6 });
  expect(folds).toHaveLength(3);
  for (const fold of folds) {
    expect(fold.train.seasonLength).toBe(12);
    fold.train.series.forEach((s, i) => {
      expect(s.time[s.time.length - 1]).toBeLessThanOrEqual(fold.origin);
      const test = fold.test[i]!;
      expect(test.key).toBe(s.key);
      expect(test.time[0]).toBeGreaterThan(fold.origin);
      expect(test.time[test.time.length - 1]).toBeLessThanOrEqual(fold.testEnd);
      expect(test.values.length).toBeLessThanOrEqual(12);
    });
  }
  // origins 6 months apart, the last one 12 months before the end
  expect(folds[2]!.origin - folds[1]!.origin).toBeGreaterThan(27 * 86400e3 * 6);
});

test.each([
  ["ETSForecaster", etsForecasterComponent, { model: "AAA", damped: false }],
  ["SeasonalNaiveForecaster", seasonalNaiveForecasterComponent, {}],
  [
    "MLForecaster",
    mlForecasterComponent,
    { trainer_config: { n_jobs: 1, training_params: { n_estimators: 20 } }, strategy: "recursive" },
  ],
] as const)(
  "%s: fit, forecast with labels and intervals, save, load, same forecasts",
  async (type, definition, config) => {
    const f = (await instantiateComponent(definition as never, { config })) as Forecaster;
    const data = await f.prepare_series(unemploymentTable(), spec);
    const fitted = await f.fit(data);
    expect(fitted.forecaster).toBe(type);
    const out = await fitted.forecast({ horizon: 6, level: [80] });
    expect(out).toHaveLength(3);
    const last = data.series[0]!.time[data.series[0]!.time.length - 1]!;
    expect(out[0]!.time[0]).toBeGreaterThan(last);
    expect(out[0]!.labels[0]).toBe(new Date(out[0]!.time[0]!).toISOString());
    expect(out[0]!.labels[0]).toMatch(/^\d{4}-\d{2}-01T08:00:00\.000Z$/);
    expect(out[0]!.labels).toHaveLength(6);
    const target = join(dir, type);
    await fitted.save(target);
    const loaded = await f.load(target);
    const again = await loaded.forecast({ horizon: 6, level: [80] });
    expect(again.map((o) => Array.from(o.mean))).toEqual(out.map((o) => Array.from(o.mean)));
    expect(again[0]!.labels).toEqual(out[0]!.labels);
    if (type !== "MLForecaster") {
      const band = out[0]!.intervals[0]!;
      expect(band.level).toBe(80);
      for (let k = 0; k < 6; k++) {
        expect(band.lower[k]!).toBeLessThan(out[0]!.mean[k]!);
        expect(band.upper[k]!).toBeGreaterThan(out[0]!.mean[k]!);
      }
    }
  },
  120_000,
);
