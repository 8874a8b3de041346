import { type CallInfo, createLogger } from "@lolpop/core";
import { createProgress, progressEnabled } from "./progress.js";

function tty(columns = 120) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY: true, columns, write: (c: string) => chunks.push(c) } };
}

function call(path: string, method: string, scope: CallInfo["scope"] = "component"): CallInfo {
  return { path, method, scope, kind: scope, type: "T", args: [], signal: new AbortController().signal };
}

/** A call that stays running until `finish()` is called. */
function pending() {
  let finish!: () => void;
  const done = new Promise<string>((r) => {
    finish = () => r("result");
  });
  return { next: () => done, finish };
}

describe("progress display", () => {
  it("says which steps came from the step cache", async () => {
    const { chunks, stream } = tty();
    let t = 0;
    const cached: string[] = [];
    const p = createProgress({ stream, delayMs: 500, now: () => t, cached: () => cached });
    const step = pending();
    const s = p.middleware(call("train", "train_model", "pipeline"), step.next);
    t = 1000;
    p.render();
    expect(chunks[chunks.length - 1]).toMatch(/train\.train_model 1\.0s$/);
    cached.push("process", "split");
    p.render();
    expect(chunks[chunks.length - 1]).toMatch(/train\.train_model 1\.0s {2}\(cached: process, split\)$/);
    step.finish();
    await s;
    p.stop();
  });

  it("shows the step and the innermost running call with elapsed times, then clears the line", async () => {
    const { chunks, stream } = tty();
    let t = 0;
    const p = createProgress({ stream, delayMs: 500, now: () => t });
    const runner = pending();
    const step = pending();
    const fit = pending();
    const r = p.middleware(call("runner", "run_step", "runner"), runner.next);
    const s = p.middleware(call("train", "train_model", "pipeline"), step.next);
    t = 200;
    const f = p.middleware(call("train.model_trainer", "fit"), fit.next);
    t = 300;
    p.render();
    expect(chunks).toEqual([]); // shorter than the delay: nothing drawn
    t = 2500;
    p.render();
    const last = chunks[chunks.length - 1]!;
    expect(last.startsWith("\r\x1b[2K")).toBe(true);
    expect(last).toContain("train.train_model 2.5s");
    expect(last).toContain("› train.model_trainer.fit 2.3s");
    expect(last).not.toContain("runner");
    fit.finish();
    await expect(f).resolves.toBe("result");
    t = 3000;
    p.render();
    expect(chunks[chunks.length - 1]).toMatch(/train\.train_model 3\.0s$/);
    step.finish();
    await s;
    // Only the runner is left: the line is cleared at once, not at the next tick.
    expect(chunks[chunks.length - 1]).toBe("\r\x1b[2K");
    runner.finish();
    await r;
    // The last call ended: nothing is drawn afterwards.
    const n = chunks.length;
    p.render();
    expect(chunks.length).toBe(n);
  });

  it("clears the line when a call fails and passes the error on", async () => {
    const { chunks, stream } = tty();
    let t = 0;
    const p = createProgress({ stream, delayMs: 0, now: () => t });
    const failing = p.middleware(call("process", "process_data", "pipeline"), async () => {
      t = 1000;
      p.render();
      throw new Error("boom");
    });
    await expect(failing).rejects.toThrow("boom");
    expect(chunks.some((c) => c.includes("process.process_data 1.0s"))).toBe(true);
    expect(chunks[chunks.length - 1]).toBe("\r\x1b[2K");
  });

  it("log records clear the progress line first and redraw it after", async () => {
    const { chunks, stream } = tty();
    let t = 0;
    const p = createProgress({ stream, delayMs: 0, now: () => t });
    const step = pending();
    const s = p.middleware(call("train", "train_model", "pipeline"), step.next);
    t = 1500;
    p.render();
    const logger = createLogger({ stream: p.logStream, format: "json", level: "info" });
    logger.info("hello");
    const i = chunks.findIndex((c) => c.includes('"hello"'));
    expect(chunks[i - 1]).toBe("\r\x1b[2K");
    expect(chunks[i + 1]).toContain("train.train_model 1.5s");
    step.finish();
    await s;
  });

  it("truncates to the terminal width", async () => {
    const { chunks, stream } = tty(30);
    const p = createProgress({ stream, delayMs: 0, now: () => 5000 });
    const step = pending();
    const s = p.middleware(call("train.a_very_long_component_name", "a_long_method"), step.next);
    p.render();
    const text = chunks[chunks.length - 1]!.replace("\r\x1b[2K", "");
    expect(text.length).toBe(29);
    expect(text.endsWith("…")).toBe(true);
    step.finish();
    await s;
  });

  it("is on for a TTY only, off in CI and with LOLPOP_PROGRESS=0", () => {
    expect(progressEnabled({ isTTY: true, write: () => true }, {})).toBe(true);
    expect(progressEnabled({ isTTY: false, write: () => true }, {})).toBe(false);
    expect(progressEnabled({ write: () => true }, {})).toBe(false);
    expect(progressEnabled({ isTTY: true, write: () => true }, { CI: "true" })).toBe(false);
    expect(progressEnabled({ isTTY: true, write: () => true }, { TERM: "dumb" })).toBe(false);
    expect(progressEnabled({ isTTY: true, write: () => true }, { LOLPOP_PROGRESS: "0" })).toBe(false);
    expect(progressEnabled({ isTTY: false, write: () => true }, { LOLPOP_PROGRESS: "1" })).toBe(true);
  });
});
