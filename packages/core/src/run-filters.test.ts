import { LolpopError, RUN_STATUSES, runStatusFilter, runTimeFilter } from "./index.js";

describe("search_runs filters", () => {
  test("runTimeFilter: started_after inclusive, started_before exclusive, open ends", () => {
    const f = runTimeFilter({ started_after: "2026-12-01", started_before: "2026-12-02T00:00:00Z" });
    expect(f.after).toBe(Date.parse("2026-12-01T00:00:00Z"));
    expect(f.accepts("2026-12-01T00:00:00.000Z")).toBe(true);
    expect(f.accepts("2026-12-01T23:59:59.999Z")).toBe(true);
    expect(f.accepts("2026-12-02T00:00:00.000Z")).toBe(false);
    expect(f.accepts("2026-11-30T23:59:59.999Z")).toBe(false);
    const open = runTimeFilter({});
    expect(open.after).toBeUndefined();
    expect(open.accepts("1970-01-01T00:00:00.000Z")).toBe(true);
    expect(runTimeFilter({ started_before: "2026-12-01" }).accepts("2026-12-05T00:00:00Z")).toBe(false);
  });

  test("a bound that is not a time is a LolpopError naming it", () => {
    let e: unknown;
    try {
      runTimeFilter({ started_after: "last tuesday" });
    } catch (x) {
      e = x;
    }
    expect(LolpopError.isInstance(e)).toBe(true);
    expect((e as LolpopError).code).toBe("bad_time_filter");
    expect((e as Error).message).toMatch(/started_after must be an ISO 8601 time .*"last tuesday"/);
  });

  test("runStatusFilter checks each status", () => {
    expect(runStatusFilter(undefined)).toBeUndefined();
    expect(runStatusFilter("FINISHED")).toEqual(["FINISHED"]);
    expect(() => runStatusFilter(["DONE" as never])).toThrow(RUN_STATUSES.join(", "));
  });
});
