// ETS without a reference: closed-form forecast variances against simulated sample paths (beyond one
// season, where the parity test cannot look), inputs ETS refuses, the bounded Nelder–Mead search,
// the normal quantiles, and saved statistical forecasters loading back.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Table } from "@lolpop/core";
import {
  etsForecaster,
  ForecastModelError,
  fitEts,
  forecastEts,
  levelMultiplier,
  loadForecaster,
  nelderMead,
  normalCdf,
  normalQuantile,
  prepareSeries,
  seasonalNaiveForecaster,
  simulatePaths,
} from "./index.js";
import { loadFixture, unemploymentSet } from "./test-support.js";

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

test.each([
  ["ANN", false, 0.03],
  ["AAN", true, 0.03],
  ["ANA", false, 0.03],
  ["AAA", true, 0.03],
  ["MAN", false, 0.08],
  ["MNA", false, 0.05],
  ["MAA", true, 0.05],
])(
  "closed-form variances of ETS %s (damped %s) match 30000 simulated paths over 30 months",
  (model, damped, tol) => {
    const y = loadFixture().air_passengers.values;
    const fit = fitEts(y, { seasonLength: 12, model, damped });
    const z = levelMultiplier(90);
    const fc = forecastEts(fit, 30, { level: [90] });
    const sims = simulatePaths(fit, 30, 30_000, 3);
    for (let h = 0; h < 30; h++) {
      const analytic = ((fc.intervals[0]!.upper[h]! - fc.mean[h]!) / z) ** 2;
      let mean = 0;
      for (const v of sims[h]!) mean += v;
      mean /= sims[h]!.length;
      let variance = 0;
      for (const v of sims[h]!) variance += (v - mean) ** 2;
      variance /= sims[h]!.length - 1;
      expect([fit.method, h + 1, Math.abs(variance - analytic) / analytic < tol]).toEqual([
        fit.method,
        h + 1,
        true,
      ]);
      expect([fit.method, h + 1, Math.abs(mean - fc.mean[h]!) < 0.05 * Math.sqrt(analytic)]).toEqual([
        fit.method,
        h + 1,
        true,
      ]);
    }
  },
  120_000,
);

test("multiplicative-season intervals are simulated, seeded, and widen with the horizon", () => {
  const y = loadFixture().air_passengers.values;
  const fit = fitEts(y, { seasonLength: 12, model: "MNM", damped: false });
  const a = forecastEts(fit, 24, { level: [80, 95] });
  const b = forecastEts(fit, 24, { level: [95, 80] });
  expect(a).toEqual(b);
  expect(a.intervals.map((i) => i.level)).toEqual([80, 95]);
  for (let h = 0; h < 24; h++) {
    expect(a.intervals[1]!.lower[h]!).toBeLessThan(a.intervals[0]!.lower[h]!);
    expect(a.intervals[0]!.lower[h]!).toBeLessThan(a.mean[h]!);
    expect(a.mean[h]!).toBeLessThan(a.intervals[0]!.upper[h]!);
  }
  const width = (h: number) => a.intervals[1]!.upper[h]! - a.intervals[1]!.lower[h]!;
  expect(width(23) / a.mean[23]!).toBeGreaterThan(width(0) / a.mean[0]!);
});

test("inputs ETS refuses, with what to do", () => {
  const y = loadFixture().air_passengers.values;
  const withZero = [...y.slice(0, 30), 0, ...y.slice(31, 60)];
  expect(thrown(() => fitEts(withZero, { seasonLength: 12, model: "MNM", name: "air" })).message).toBe(
    "ETS (series air): a multiplicative component needs values > 0, and the series has values <= 0; use an additive model",
  );
  // automatic selection just leaves the multiplicative models out
  expect(fitEts(withZero, { seasonLength: 12 }).spec.error).toBe("A");
  expect(thrown(() => fitEts(y, { model: "XYZ" })).message).toMatch(/ETS model "XYZ": use three letters/);
  expect(thrown(() => fitEts(y, { model: "ANM", seasonLength: 12 })).message).toMatch(
    /ETS\(A,N,M\) is not allowed/,
  );
  expect(thrown(() => fitEts(y, { model: "ANA" })).message).toMatch(
    /a seasonal model \(A\) needs seasonLength > 1/,
  );
  expect(thrown(() => fitEts(y.slice(0, 10), { model: "ANA", seasonLength: 12 })).message).toMatch(
    /10 observation\(s\) do not cover one season of 12/,
  );
  expect(thrown(() => fitEts([1, 2, Number.NaN, 4, 5], {})).message).toMatch(
    /value 2 is NaN; fill or drop missing values/,
  );
  expect(thrown(() => fitEts(y, { model: "ANN", damped: true })).message).toMatch(
    /a damped trend needs a trend/,
  );
  expect(ForecastModelError.isInstance(thrown(() => fitEts([1, 2], {})))).toBe(true);
  expect(thrown(() => forecastEts(fitEts(y, { model: "ANN" }), 0)).message).toMatch(
    /horizon must be a positive integer/,
  );
});

test("a constant series gets the flat forecast", () => {
  const fit = fitEts(new Array(20).fill(5), { seasonLength: 4 });
  expect(fit.method).toBe("ETS(A,N,N)");
  expect(Array.from(forecastEts(fit, 3).mean)).toEqual([5, 5, 5]);
});

test("short seasonal series are initialised from a Fourier fit, and too-short ones drop the season", () => {
  const y = loadFixture().air_passengers.values.slice(0, 30); // 2.5 seasons < 3
  const fit = fitEts(y, { seasonLength: 12, model: "AAA", damped: false });
  expect(fit.method).toBe("ETS(A,A,A)");
  expect(forecastEts(fit, 12).mean.every(Number.isFinite)).toBe(true);
  expect(fitEts(y.slice(0, 12), { seasonLength: 12 }).spec.season).toBe("N");
});

test("bounded Nelder–Mead finds a constrained minimum", () => {
  const rosenbrock = (x: Float64Array) => (1 - x[0]!) ** 2 + 100 * (x[1]! - x[0]! ** 2) ** 2;
  const free = nelderMead(rosenbrock, [-1.2, 1], { tolerance: 1e-12, maxIterations: 5000 });
  expect(free.converged).toBe(true);
  expect(free.x[0]!).toBeCloseTo(1, 3);
  expect(free.x[1]!).toBeCloseTo(1, 3);
  // with x <= 0.5 the minimum is on the bound, at (0.5, 0.25)
  const bounded = nelderMead(rosenbrock, [-1.2, 1], {
    upper: [0.5, 10],
    tolerance: 1e-12,
    maxIterations: 5000,
  });
  expect(bounded.x[0]!).toBeCloseTo(0.5, 4);
  expect(bounded.x[1]!).toBeCloseTo(0.25, 3);
  // infeasible points (Infinity) are never chosen
  const walled = nelderMead((x) => (x[0]! < 0 ? Number.POSITIVE_INFINITY : (x[0]! - 2) ** 2), [1], {
    tolerance: 1e-14,
  });
  expect(walled.x[0]!).toBeCloseTo(2, 5);
});

test("normal quantiles and CDF", () => {
  expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 13);
  expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 13);
  expect(normalQuantile(0.005)).toBeCloseTo(-2.5758293035489004, 12);
  expect(levelMultiplier(80)).toBeCloseTo(1.2815515655446004, 13);
  for (const p of [1e-9, 0.001, 0.2, 0.5, 0.7, 0.999999])
    expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 12);
  expect(() => levelMultiplier(100)).toThrow(/interval level must be a percentage in \(0, 100\), got 100/);
});

test("saved ETS and seasonal naive forecasters load back and forecast the same", async () => {
  const data = unemploymentSet();
  const dir = mkdtempSync(join(tmpdir(), "lolpop-forecast-ets-"));
  try {
    for (const f of [etsForecaster({ model: "ZZN" }), seasonalNaiveForecaster()]) {
      const fitted = await f.fit(data);
      await fitted.save(join(dir, f.kind));
      const loaded = await loadForecaster(join(dir, f.kind));
      expect(loaded.kind).toBe(f.kind);
      const a = await fitted.forecast({ horizon: 5, level: [80] });
      const b = await loaded.forecast({ horizon: 5, level: [80] });
      expect(b).toEqual(a);
      expect(a[0]!.key).toBe("Government");
      expect(Object.keys(loaded.summary)).toHaveLength(14);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  await expect(loadForecaster(tmpdir())).rejects.toThrow(
    /no forecaster.json in .*: it is not a model saved by forecaster/,
  );
}, 120_000);

test("the ETS forecaster uses the frequency's season and puts forecasts on the calendar", async () => {
  const f = loadFixture().co2;
  const data = prepareSeries(Table.fromColumns({ date: f.dates.slice(-120), ppm: f.values.slice(-120) }), {
    time: "date",
    target: "ppm",
  });
  const fitted = await etsForecaster().fit(data);
  expect((fitted.summary[""] as { method: string }).method).toMatch(/^ETS\(.,.*,[AM]\)$/);
  const [fc] = await fitted.forecast({ horizon: 3 });
  expect(Array.from(fc!.time, (t) => new Date(t).toISOString().slice(0, 10))).toEqual([
    "2020-05-01",
    "2020-06-01",
    "2020-07-01",
  ]);
  // Mauna Loa peaks in May: the forecast does too
  expect(fc!.mean[0]!).toBeGreaterThan(fc!.mean[2]!);
}, 120_000);
