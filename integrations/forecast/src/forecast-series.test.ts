// Time-series data checks: frequency inference and parsing, and every kind of bad input reported
// with its series and timestamps (unsorted, duplicate, missing periods, short series, non-numeric or
// missing target, unreadable timestamps, missing columns), all problems at once.
import { numericColumn, Table } from "@lolpop/core";
import {
  addSteps,
  defaultSeasonLength,
  ForecastDataError,
  ForecastModelError,
  futureTimes,
  inferFrequency,
  parseFrequency,
  prepareSeries,
} from "./index.js";
import { loadFixture, longTable } from "./test-support.js";

const utc = (s: string) => Date.parse(s);

function failure(fn: () => unknown): ForecastDataError {
  try {
    fn();
  } catch (e) {
    if (ForecastDataError.isInstance(e)) return e;
    throw e;
  }
  throw new Error("expected a ForecastDataError");
}

describe("frequencies", () => {
  test("parses letters, pandas aliases and multiples", () => {
    expect(parseFrequency("M")).toEqual({ unit: "month", step: 1 });
    expect(parseFrequency("MS")).toEqual({ unit: "month", step: 1, monthEnd: false });
    expect(parseFrequency("ME")).toEqual({ unit: "month", step: 1, monthEnd: true });
    expect(parseFrequency("15min")).toEqual({ unit: "minute", step: 15 });
    expect(parseFrequency("2W")).toEqual({ unit: "week", step: 2 });
    expect(parseFrequency("daily")).toEqual({ unit: "day", step: 1 });
    expect(parseFrequency("h")).toEqual({ unit: "hour", step: 1 });
    expect(() => parseFrequency("fortnightly")).toThrow(
      /frequency "fortnightly" is not known; use Y \(yearly\)/,
    );
    expect(
      ForecastModelError.isInstance(
        (() => {
          try {
            parseFrequency("x");
          } catch (e) {
            return e;
          }
        })(),
      ),
    ).toBe(true);
  });

  test("infers monthly data stamped at local midnight in UTC (08:00, 07:00 in summer: the unemployment file)", () => {
    const set = prepareSeries(longTable(loadFixture().unemployment.series), {
      time: "date",
      target: "value",
      ids: "series",
    });
    expect(set.frequency).toEqual({ unit: "month", step: 1, monthEnd: false });
    expect(defaultSeasonLength(set.frequency)).toBe(12);
    expect(set.series).toHaveLength(14);
    expect(set.series[0]!.key).toBe("Government");
    const last = set.series[0]!.time[set.series[0]!.time.length - 1]!;
    expect(new Date(last).toISOString()).toBe("2010-02-01T08:00:00.000Z");
    expect(Array.from(futureTimes(last, set.frequency, 2), (t) => new Date(t).toISOString())).toEqual([
      "2010-03-01T08:00:00.000Z",
      "2010-04-01T08:00:00.000Z",
    ]);
  });

  test("infers month ends, quarters, years, days, hours and integer indexes", () => {
    const ends = ["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30"].map(utc);
    const f = inferFrequency([ends])!;
    expect(f).toEqual({ unit: "month", step: 1, monthEnd: true });
    expect(new Date(addSteps(ends[3]!, f, 1)).toISOString().slice(0, 10)).toBe("2023-05-31");
    expect(new Date(addSteps(ends[0]!, f, 13)).toISOString().slice(0, 10)).toBe("2024-02-29");
    expect(inferFrequency([["2020-01-01", "2020-04-01", "2020-07-01"].map(utc)])).toEqual({
      unit: "quarter",
      step: 1,
      monthEnd: false,
    });
    expect(inferFrequency([["2018-01-01", "2019-01-01", "2021-01-01"].map(utc)])!.unit).toBe("year");
    expect(inferFrequency([["2024-03-30", "2024-03-31", "2024-04-01", "2024-04-03"].map(utc)])).toEqual({
      unit: "day",
      step: 1,
    });
    expect(inferFrequency([[0, 3_600_000, 7_200_000, 14_400_000]])).toEqual({ unit: "hour", step: 1 });
    expect(inferFrequency([[1, 2, 3, 5]], true)).toEqual({ unit: "index", step: 1 });
    expect(inferFrequency([[5]])).toBeUndefined();
  });

  test("daily data at local midnight across a clock change is still daily and complete", () => {
    // Paris midnights: 23:00 UTC before the change, 22:00 UTC after
    const t = Table.fromColumns({
      date: ["2024-03-29T23:00:00Z", "2024-03-30T23:00:00Z", "2024-03-31T22:00:00Z", "2024-04-01T22:00:00Z"],
      y: [1, 2, 3, 4],
    });
    const set = prepareSeries(t, { time: "date", target: "y" });
    expect(set.frequency).toEqual({ unit: "day", step: 1 });
    expect(set.series[0]!.values).toHaveLength(4);
    const gap = Table.fromColumns({
      date: ["2024-03-29T23:00:00Z", "2024-03-30T23:00:00Z", "2024-04-01T22:00:00Z", "2024-04-02T22:00:00Z"],
      y: [1, 2, 3, 4],
    });
    expect(failure(() => prepareSeries(gap, { time: "date", target: "y" })).issues[0]).toMatchObject({
      code: "missing_periods",
      timestamps: ["2024-03-31T23:00:00.000Z"],
    });
  });
});

describe("bad input names the series and the timestamps", () => {
  test("unsorted times", () => {
    const t = Table.fromColumns({
      store: ["a", "a", "a", "b", "b", "b"],
      date: ["2024-01-01", "2024-03-01", "2024-02-01", "2024-01-01", "2024-02-01", "2024-03-01"],
      sales: [1, 2, 3, 4, 5, 6],
    });
    const e = failure(() => prepareSeries(t, { time: "date", target: "sales", ids: "store" }));
    expect(e.issues).toHaveLength(1);
    expect(e.issues[0]).toMatchObject({
      code: "unsorted",
      series: "a",
      timestamps: ["2024-02-01"],
      rows: [2],
    });
    expect(e.message).toContain(
      'series "a" is not sorted by time: 2024-02-01 (row 2) comes after 2024-03-01 (row 1); sort the data by store and date',
    );
    // with sort: true the same data is accepted and ordered
    const set = prepareSeries(t, { time: "date", target: "sales", ids: "store", sort: true });
    expect(Array.from(set.series[0]!.values)).toEqual([1, 3, 2]);
  });

  test("duplicate timestamps", () => {
    const t = Table.fromColumns({
      date: ["2024-01-01", "2024-02-01", "2024-02-01", "2024-03-01", "2024-04-01"],
      sales: [1, 2, 2.5, 3, 4],
    });
    const e = failure(() => prepareSeries(t, { time: "date", target: "sales" }));
    expect(e.issues.map((i) => i.code)).toEqual(["duplicate_time"]);
    expect(e.issues[0]).toMatchObject({ timestamps: ["2024-02-01"], rows: [1, 2], count: 1 });
    expect(e.message).toContain(
      "the series has 1 duplicate timestamp(s): 2024-02-01 (rows 1, 2); keep one row per timestamp, or name the series id column(s)",
    );
  });

  test("missing periods: the raw CO2 record's first rows (vega-datasets)", () => {
    const raw = loadFixture().co2_raw_start;
    const t = Table.fromColumns({ Date: raw.dates, CO2: raw.values });
    const e = failure(() => prepareSeries(t, { time: "Date", target: "CO2", frequency: "MS" }));
    expect(e.issues).toEqual([
      expect.objectContaining({
        code: "missing_periods",
        series: "",
        timestamps: ["1958-06-01", "1958-10-01"],
        count: 2,
      }),
    ]);
    expect(e.message).toContain(
      "the series is missing 2 period(s) of its 1 month frequency: 1958-06-01, 1958-10-01",
    );
    // inferred without the frequency option too
    expect(failure(() => prepareSeries(t, { time: "Date", target: "CO2" })).issues[0]!.code).toBe(
      "missing_periods",
    );
  });

  test("timestamps off the grid", () => {
    const t = Table.fromColumns({
      date: ["2024-01-01", "2024-02-01", "2024-02-15", "2024-03-01", "2024-04-01"],
      y: [1, 2, 3, 4, 5],
    });
    const e = failure(() => prepareSeries(t, { time: "date", target: "y", frequency: "M" }));
    expect(e.issues[0]).toMatchObject({ code: "off_grid", timestamps: ["2024-02-15"] });
  });

  test("a series shorter than the season", () => {
    const fx = loadFixture().unemployment.series;
    const short = { ...fx[1]!, dates: fx[1]!.dates.slice(0, 8), values: fx[1]!.values.slice(0, 8) };
    const t = longTable([fx[0]!, short]);
    const e = failure(() =>
      prepareSeries(t, { time: "date", target: "value", ids: "series", seasonLength: 12 }),
    );
    expect(e.issues).toEqual([
      expect.objectContaining({
        code: "too_short",
        series: "Mining and Extraction",
        timestamps: ["2000-01-01T08:00:00.000Z", "2000-08-01T07:00:00.000Z"],
        count: 8,
      }),
    ]);
    expect(e.message).toContain(
      'series "Mining and Extraction" has 8 point(s) (2000-01-01T08:00:00.000Z to 2000-08-01T07:00:00.000Z), fewer than 12 (one season of 12)',
    );
  });

  test("a non-numeric target", () => {
    const t = Table.fromColumns({
      date: ["2024-01-01", "2024-02-01", "2024-03-01"],
      sales: ["10", "n/a", "12"],
    });
    const e = failure(() => prepareSeries(t, { time: "date", target: "sales" }));
    expect(e.issues[0]).toMatchObject({ code: "target_not_numeric", rows: [1] });
    expect(e.message).toContain('target column "sales" is not numeric (e.g. "n/a" in rows 1)');
  });

  test("missing target values, with their timestamps", () => {
    const t = Table.fromColumns({
      id: ["x", "x", "x", "y", "y", "y"],
      date: ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-01", "2024-01-02", "2024-01-03"],
      sales: numericColumn([1, Number.NaN, 3, 4, 5, Number.NaN]),
    });
    const e = failure(() => prepareSeries(t, { time: "date", target: "sales", ids: ["id"] }));
    expect(e.issues.map((i) => [i.code, i.series, i.timestamps])).toEqual([
      ["target_missing", "x", ["2024-01-02"]],
      ["target_missing", "y", ["2024-01-03"]],
    ]);
  });

  test("unreadable and missing timestamps, missing columns, several id columns", () => {
    const t = Table.fromColumns({
      date: ["2024-01-01", "01/02/2024", null, "2024-01-04"],
      y: [1, 2, 3, 4],
    });
    const e = failure(() => prepareSeries(t, { time: "date", target: "y" }));
    expect(e.issues.map((i) => i.code)).toEqual(["time_missing", "time_unparseable"]);
    expect(e.message).toContain(
      'time column "date" has 1 value(s) that are not ISO 8601 dates (rows 1: "01/02/2024")',
    );
    expect(failure(() => prepareSeries(t, { time: "when", target: "y" })).message).toContain(
      'column "when" is not in the data; its columns are "date", "y"',
    );
    const multi = Table.fromColumns({
      store: ["1", "1", "2", "2"],
      item: ["a", "a", "a", "a"],
      date: ["2024-01-01", "2024-01-01", "2024-01-01", "2024-01-02"],
      y: [1, 2, 3, 4],
    });
    const m = failure(() => prepareSeries(multi, { time: "date", target: "y", ids: ["store", "item"] }));
    expect(m.issues[0]).toMatchObject({ code: "duplicate_time", series: "store=1, item=a" });
  });

  test("every problem is reported in one error", () => {
    const t = Table.fromColumns({
      store: ["a", "a", "a", "b", "b", "b", "b"],
      date: [
        "2024-02-01",
        "2024-01-01",
        "2024-03-01",
        "2024-01-01",
        "2024-01-01",
        "2024-02-01",
        "2024-05-01",
      ],
      sales: numericColumn([1, 2, 3, 4, 5, Number.NaN, 7]),
    });
    const e = failure(() =>
      prepareSeries(t, { time: "date", target: "sales", ids: "store", frequency: "M" }),
    );
    expect(e.issues.map((i) => `${i.code}:${i.series}`)).toEqual([
      "unsorted:a",
      "duplicate_time:b",
      "target_missing:b",
      "missing_periods:b",
    ]);
    expect(e.message).toMatch(/^time-series data has 4 problem\(s\):\n {2}- series "a" is not sorted/);
    expect(e.code).toBe("forecast_data_invalid");
  });

  test("ids with control characters are quoted, not printed raw", () => {
    const t = Table.fromColumns({
      id: ["\u001b[31mred", "\u001b[31mred"],
      date: ["2024-01-01", "2024-01-01"],
      y: [1, 2],
    });
    const e = failure(() => prepareSeries(t, { time: "date", target: "y", ids: "id" }));
    expect(e.message).not.toContain("\u001b");
    expect(e.message).toContain('series "\\u001b[31mred"');
  });
});

test("integer time index: frequency 'index', datetimes refused for calendar frequencies", () => {
  const t = Table.fromColumns({ period: [1, 2, 3, 4, 6], y: [1, 2, 3, 4, 5] });
  const e = failure(() => prepareSeries(t, { time: "period", target: "y" }));
  expect(e.issues[0]).toMatchObject({ code: "missing_periods", timestamps: ["5"] });
  const ok = prepareSeries(Table.fromColumns({ period: [10, 11, 12], y: [1, 2, 3] }), {
    time: "period",
    target: "y",
  });
  expect(ok.frequency).toEqual({ unit: "index", step: 1 });
  expect(ok.timeKind).toBe("index");
  expect(
    failure(() =>
      prepareSeries(Table.fromColumns({ period: [10, 11, 12], y: [1, 2, 3] }), {
        time: "period",
        target: "y",
        frequency: "M",
      }),
    ).issues[0]!.code,
  ).toBe("frequency_mismatch");
});
