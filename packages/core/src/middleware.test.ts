import { getEventListeners } from "node:events";
import { CancelledError } from "./errors.js";
import { type CallInfo, cancellationMiddleware } from "./middleware.js";

const call = (signal: AbortSignal, i: number): CallInfo => ({
  path: `tracker${i}`,
  method: "get_run",
  scope: "component",
  kind: "metadata_tracker",
  type: "T",
  args: [],
  signal,
});

describe("cancellationMiddleware", () => {
  it("many calls in flight at once share one abort listener, removed when none is left", async () => {
    const controller = new AbortController();
    const mw = cancellationMiddleware(controller.signal);
    const release: Array<() => void> = [];
    const calls = Array.from({ length: 40 }, (_, i) =>
      mw(call(controller.signal, i), () => new Promise<number>((r) => release.push(() => r(i)))),
    );
    // (Node warns of a leak from 11 listeners on one signal.)
    expect(getEventListeners(controller.signal, "abort").length).toBe(1);
    for (const r of release) r();
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 40 }, (_, i) => i));
    expect(getEventListeners(controller.signal, "abort").length).toBe(0);
  });

  it("aborting fails every call in flight with a CancelledError naming it, and later calls at once", async () => {
    const controller = new AbortController();
    const mw = cancellationMiddleware(controller.signal);
    const never = () => new Promise<never>(() => undefined);
    const inFlight = [0, 1, 2].map((i) => mw(call(controller.signal, i), never).catch((e) => e));
    controller.abort("stop");
    const errors = await Promise.all(inFlight);
    expect(errors.map((e) => CancelledError.isInstance(e))).toEqual([true, true, true]);
    expect(errors.map((e) => (e as Error).message).join("\n")).toMatch(/tracker2\.get_run/);
    let ran = false;
    const late = await mw(call(controller.signal, 9), async () => {
      ran = true;
    }).catch((e) => e);
    expect([CancelledError.isInstance(late), ran]).toEqual([true, false]);
    expect(getEventListeners(controller.signal, "abort").length).toBe(0);
  });
});
