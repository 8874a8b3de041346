import { createLogger, registerSecret } from "./index.js";

function sink(isTTY: boolean) {
  const lines: string[] = [];
  return { stream: { isTTY, write: (s: string) => lines.push(s) }, lines };
}

describe("logger", () => {
  const env = { ...process.env };
  beforeEach(() => {
    for (const k of ["NO_COLOR", "FORCE_COLOR", "LOLPOP_LOG_FORMAT", "LOLPOP_LOG_LEVEL"])
      delete process.env[k];
  });
  afterEach(() => {
    process.env = { ...env };
  });

  it("writes JSON lines when not a TTY, with fields, and filters by level", () => {
    const s = sink(false);
    const log = createLogger({ stream: s.stream, level: "info" });
    log.debug("hidden");
    log.child({ path: "train" }).info("fitted", { rows: 3 });
    expect(s.lines).toHaveLength(1);
    const rec = JSON.parse(s.lines[0]!);
    expect(rec).toMatchObject({ level: "info", msg: "fitted", path: "train", rows: 3 });
    expect(Number.isNaN(Date.parse(rec.time))).toBe(false);
  });

  it("strips control characters of data-derived text from pretty lines, and keeps JSON lines exact", () => {
    const hostile = "column \u001b[2J\u001b]0;title\u0007city\u009b2J";
    const s = sink(true);
    createLogger({ stream: s.stream, level: "info", color: false }).warn(hostile, { column: hostile });
    expect(s.lines[0]).toContain("column city");
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    expect(s.lines[0]).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    const j = sink(false);
    createLogger({ stream: j.stream, level: "info" }).warn(hostile);
    expect(JSON.parse(j.lines[0]!).msg).toBe(hostile);
  });

  it("writes pretty colored lines on a TTY, and no color with NO_COLOR", () => {
    const s = sink(true);
    createLogger({ stream: s.stream }).warn("careful", { n: 1 });
    expect(s.lines[0]).toContain("\u001b[33mWARN");
    expect(s.lines[0]).toContain("careful");
    process.env.NO_COLOR = "1";
    const p = sink(true);
    createLogger({ stream: p.stream }).warn("careful");
    expect(p.lines[0]).not.toContain("\x1b[");
    expect(p.lines[0]).toMatch(/WARN +careful/);
  });

  it("json can be forced on a TTY (LOLPOP_LOG_FORMAT) and pretty off one", () => {
    process.env.LOLPOP_LOG_FORMAT = "json";
    const s = sink(true);
    createLogger({ stream: s.stream }).info("x");
    expect(JSON.parse(s.lines[0]!).msg).toBe("x");
    const p = sink(false);
    createLogger({ stream: p.stream, format: "pretty" }).info("y");
    expect(p.lines[0]).toMatch(/INFO +y/);
  });

  it("scrubs registered secrets from messages and fields", () => {
    registerSecret("tok-9f8e7d6c5b4a");
    const s = sink(false);
    createLogger({ stream: s.stream }).error("auth failed with tok-9f8e7d6c5b4a", {
      header: "Bearer tok-9f8e7d6c5b4a",
      nested: { t: "tok-9f8e7d6c5b4a" },
    });
    expect(s.lines[0]).not.toContain("tok-9f8e7d6c5b4a");
    expect(JSON.parse(s.lines[0]!)).toMatchObject({
      msg: "auth failed with ***",
      header: "Bearer ***",
      nested: { t: "***" },
    });
  });
});
