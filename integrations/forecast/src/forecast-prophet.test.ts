// Prophet through @lolpop/python-bridge gives the same forecasts and intervals as Prophet 1.5.0
// called directly (python/reference/prophet_direct.py, no lolpop code) on the fixtures; a saved
// Prophet forecaster loads back; a venv without prophet gets the install line.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Table } from "@lolpop/core";
import { PythonModuleMissingError } from "@lolpop/python-bridge";
import {
  closeProphetWorkers,
  ForecastModelError,
  loadForecaster,
  type ProphetModelOptions,
  prepareSeries,
  prophetForecaster,
} from "./index.js";
import {
  loadFixture,
  longTable,
  maxRelDiff,
  packageDir,
  referencePythonForTests,
  rng,
  runPythonJson,
  venvPythonForTests,
} from "./test-support.js";

const LEVELS = [80, 95];
const H = 12;

afterAll(() => closeProphetWorkers(), 30_000);

function fixtureSet() {
  const f = loadFixture();
  const industries = f.unemployment.series.filter((s) => s.name === "Construction" || s.name === "Finance");
  return prepareSeries(
    longTable([
      { name: "air", dates: f.air_passengers.dates, values: f.air_passengers.values },
      ...industries,
    ]),
    { time: "date", target: "value", ids: "series" },
  );
}

test("the bridge forecaster equals Prophet called directly (same fits, same sampled intervals)", async () => {
  const python = venvPythonForTests();
  const data = fixtureSet();
  const options: ProphetModelOptions = { seasonality_mode: "multiplicative", uncertainty_samples: 500 };
  const fitted = await prophetForecaster({ python, prophet: options, seed: 7 }).fit(data);
  const bridge = await fitted.forecast({ horizon: H, level: LEVELS });
  const direct = runPythonJson<{
    series: Array<{ mean: number[]; intervals: Array<{ level: number; lower: number[]; upper: number[] }> }>;
  }>(python, join(packageDir, "python", "reference", "prophet_direct.py"), {
    options,
    levels: LEVELS,
    seed: 7,
    series: data.series.map((s, i) => ({
      ds: Array.from(s.time),
      y: Array.from(s.values),
      future: Array.from(bridge[i]!.time),
    })),
  });
  expect(bridge.map((f) => f.key)).toEqual(["air", "Construction", "Finance"]);
  bridge.forEach((fc, i) => {
    const ref = direct.series[i]!;
    expect([fc.key, maxRelDiff(fc.mean, ref.mean)]).toEqual([fc.key, 0]);
    LEVELS.forEach((level, k) => {
      expect(fc.intervals[k]!.level).toBe(level);
      expect([fc.key, level, maxRelDiff(fc.intervals[k]!.lower, ref.intervals[k]!.lower)]).toEqual([
        fc.key,
        level,
        0,
      ]);
      expect([fc.key, level, maxRelDiff(fc.intervals[k]!.upper, ref.intervals[k]!.upper)]).toEqual([
        fc.key,
        level,
        0,
      ]);
    });
    // the forecast starts the month after the data and the 95% interval contains the 80% one
    expect(new Date(fc.time[0]!).toISOString().slice(0, 7)).toBe(i === 0 ? "1961-01" : "2010-03");
    for (let h = 0; h < H; h++) {
      expect(fc.intervals[1]!.lower[h]!).toBeLessThanOrEqual(fc.intervals[0]!.lower[h]!);
      expect(fc.intervals[1]!.upper[h]!).toBeGreaterThanOrEqual(fc.intervals[0]!.upper[h]!);
    }
  });
}, 300_000);

test("a saved Prophet forecaster loads back and forecasts the same (Python needed to predict)", async () => {
  const python = venvPythonForTests();
  const f = loadFixture();
  const data = prepareSeries(
    Table.fromColumns({ date: f.air_passengers.dates, y: f.air_passengers.values }),
    { time: "date", target: "y" },
  );
  const fitted = await prophetForecaster({ python }).fit(data);
  const dir = mkdtempSync(join(tmpdir(), "lolpop-forecast-prophet-"));
  try {
    await fitted.save(dir);
    const loaded = await loadForecaster(dir, { prophet: { python } });
    expect(loaded.kind).toBe("prophet");
    const a = await fitted.forecast({ horizon: 6, level: [90] });
    const b = await loaded.forecast({ horizon: 6, level: [90] });
    expect(Array.from(b[0]!.mean)).toEqual(Array.from(a[0]!.mean));
    expect(Array.from(b[0]!.intervals[0]!.upper)).toEqual(Array.from(a[0]!.intervals[0]!.upper));
    // without uncertainty samples Prophet has no intervals: the point forecast comes alone
    const pointOnly = await prophetForecaster({ python, prophet: { uncertainty_samples: 0 } }).fit(data);
    const p = await pointOnly.forecast({ horizon: 6, level: [90] });
    expect(p[0]!.intervals).toEqual([]);
    expect(Array.from(p[0]!.mean)).toEqual(Array.from(a[0]!.mean));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 300_000);

test("regressors need their future values", async () => {
  const python = venvPythonForTests();
  const n = 36;
  const date = Array.from({ length: n }, (_, i) => new Date(Date.UTC(2020, i, 1)).toISOString().slice(0, 10));
  const promo = Array.from({ length: n }, (_, i) => (i % 4 === 0 ? 1 : 0));
  // noise-free data makes Stan's optimizer crawl (a minute instead of a second): add some
  const r = rng(5);
  const y = promo.map((p, i) => 100 + 20 * p + i + 2 * (r() - 0.5));
  const data = prepareSeries(Table.fromColumns({ date, promo, y }), {
    time: "date",
    target: "y",
    exogenous: ["promo"],
  });
  const fitted = await prophetForecaster({ python }).fit(data);
  await expect(fitted.forecast({ horizon: 3 })).rejects.toThrow(
    'the Prophet forecast of series "" needs 3 future value(s) of regressor "promo"',
  );
  const fc = await fitted.forecast({ horizon: 2, exogenous: { "": { promo: Float64Array.from([1, 0]) } } });
  // the promotion month is forecast about 20 above the next one
  expect(fc[0]!.mean[0]! - fc[0]!.mean[1]!).toBeGreaterThan(10);
}, 300_000);

test("a Python without prophet gets the pinned install line", async () => {
  // the statsforecast reference venv has no prophet
  const python = referencePythonForTests();
  const data = prepareSeries(
    Table.fromColumns({ date: ["2024-01-01", "2024-02-01", "2024-03-01"], y: [1, 2, 3] }),
    {
      time: "date",
      target: "y",
    },
  );
  let error: unknown;
  try {
    await prophetForecaster({ python, projectRoot: tmpdir() }).fit(data);
  } catch (e) {
    error = e;
  }
  expect(PythonModuleMissingError.isInstance(error)).toBe(true);
  expect((error as Error).message).toContain("prophet==1.5.0");
  expect((error as Error).message).toContain("npx lolpop-forecast-setup");
}, 1_200_000);

test("options and data Prophet cannot take are refused before Python starts", async () => {
  expect(() => prophetForecaster({ prophet: { holidays: [] } as unknown as ProphetModelOptions })).toThrow(
    /Prophet option "holidays" is not supported; use growth, /,
  );
  const indexed = prepareSeries(Table.fromColumns({ t: [1, 2, 3], y: [1, 2, 3] }), {
    time: "t",
    target: "y",
  });
  let error: unknown;
  try {
    await prophetForecaster({ python: "/nonexistent/python" }).fit(indexed);
  } catch (e) {
    error = e;
  }
  expect(ForecastModelError.isInstance(error)).toBe(true);
  expect((error as Error).message).toContain(
    'Prophet needs timestamps, and the time column "t" holds an integer index',
  );
});
