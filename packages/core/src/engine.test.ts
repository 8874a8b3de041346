import { calls, fixturePlugin } from "../test/fixtures/plugin.js";
import {
  CancelledError,
  ComponentCallError,
  createWorkflow,
  DataError,
  type Middleware,
  registerPlugin,
  resetRegistry,
  rootCause,
  silentLogger,
  thrownError,
  validateConfigText,
} from "./index.js";

beforeAll(() => registerPlugin(fixturePlugin));
afterAll(() => resetRegistry());
beforeEach(() => {
  calls.length = 0;
});

const yaml = (extra = "", connector = "") => `runner: FixtureRunner
config:
  target: species
components:
  notifier: FixtureNotifier
pipelines:
  process: FixtureProcess
  other: FixtureOther
process:
  components:
    data_connector: FixtureConnector
  data_connector:
    config:
      path: data.csv
      password: \${env:DB_PASSWORD}
${connector}${extra}`;

const build = (text: string, opts: Parameters<typeof createWorkflow>[1] = {}) =>
  createWorkflow(
    validateConfigText(text, "/tmp/lolpop-engine-test/lolpop.yaml", { DB_PASSWORD: "pa55word-very-secret" })
      .plan,
    { logger: silentLogger, ...opts },
  );

describe("engine", () => {
  it("keeps pipeline-local components out of other pipelines", async () => {
    const wf = await build(yaml());
    const out = (await wf.run()) as { out: { rows: number; target: string }; other: string };
    expect(out.out).toEqual({ rows: 3, target: "species" });
    expect(out.other).toBe("no connector");
    expect(calls).toEqual([
      "runner.build_all",
      "process.process_data",
      "process.data_connector.get_data",
      "other.other",
    ]);
  });

  it("runs middlewares outermost first around every call, and hooks before/after", async () => {
    const order: string[] = [];
    const mw =
      (name: string): Middleware =>
      async (call, next) => {
        order.push(`${name}>${call.path}.${call.method}`);
        const out = await next();
        order.push(`${name}<${call.path}.${call.method}`);
        return out;
      };
    const wf = await build(yaml(), {
      middlewares: [mw("A"), mw("B")],
      hooks: [
        {
          match: "process.data_connector.*",
          before: (c) => void order.push(`before ${c.method}`),
          after: (_c, r) => void order.push(`after rows=${(r as { numRows: number }).numRows}`),
        },
      ],
    });
    await wf.run();
    expect(order).toEqual([
      "A>runner.build_all",
      "B>runner.build_all",
      "A>process.process_data",
      "B>process.process_data",
      "before get_data",
      "A>process.data_connector.get_data",
      "B>process.data_connector.get_data",
      "B<process.data_connector.get_data",
      "A<process.data_connector.get_data",
      "after rows=3",
      "B<process.process_data",
      "A<process.process_data",
      "A>other.other",
      "B>other.other",
      "B<other.other",
      "A<other.other",
      "B<runner.build_all",
      "A<runner.build_all",
    ]);
  });

  it("a failing hook fails the call", async () => {
    const wf = await build(yaml(), {
      hooks: [{ match: "*.get_data", after: () => Promise.reject(new Error("post-hook: too few rows")) }],
    });
    await expect(wf.run()).rejects.toThrow(/process.data_connector.get_data failed: post-hook: too few rows/);
  });

  it("wraps errors with the component path and keeps the original as the root cause", async () => {
    const wf = await build(yaml("", "      fail: true\n"));
    let err: unknown;
    try {
      await wf.run();
    } catch (e) {
      err = e;
    }
    expect(ComponentCallError.isInstance(err)).toBe(true);
    const e = err as ComponentCallError;
    expect(e.frames).toEqual(["runner.build_all", "process.process_data", "process.data_connector.get_data"]);
    expect(e.message).toBe("process.data_connector.get_data failed: cannot read data.csv");
    const root = rootCause(e);
    expect(root).toBeInstanceOf(TypeError);
    // The chain: runner -> pipeline -> component -> TypeError.
    expect(ComponentCallError.isInstance(e.cause)).toBe(true);
    expect(((e.cause as ComponentCallError).cause as ComponentCallError).cause).toBe(root);
    expect(wf.lineage().status).toBe("failed");
  });

  it("a component's own error keeps its message even when it wraps a system error", () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, stat 'x.csv'"), {
      code: "ENOENT",
    });
    const thrown = new DataError({
      message: "data file not found: x.csv",
      code: "file_not_found",
      cause: enoent,
    });
    const inner = new ComponentCallError({ frame: "process.data_connector.get_data", cause: thrown });
    const outer = new ComponentCallError({ frame: "process.process_data", cause: inner });
    expect(outer.message).toBe("process.data_connector.get_data failed: data file not found: x.csv");
    expect(outer.code).toBe("file_not_found");
    expect(thrownError(outer)).toBe(thrown);
    expect(rootCause(outer)).toBe(enoent);
  });

  it("cancels through the AbortSignal, before and during a call", async () => {
    const ac = new AbortController();
    const wf = await build(yaml("", "      slow_ms: 5000\n"), { signal: ac.signal });
    const started = Date.now();
    setTimeout(() => ac.abort(new Error("user pressed ctrl-c")), 50);
    let err: unknown;
    try {
      await wf.run();
    } catch (e) {
      err = e;
    }
    expect(CancelledError.isInstance(err)).toBe(true);
    expect((err as Error).message).toMatch(/user pressed ctrl-c/);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(wf.lineage().status).toBe("cancelled");
    // Calls after cancellation fail at once without running.
    calls.length = 0;
    await expect((wf.pipeline("other") as { other(): Promise<string> }).other()).rejects.toThrow(
      CancelledError,
    );
    expect(calls).toEqual([]);
  });

  it("records lineage with timings and seeds, and never a secret", async () => {
    const wf = await build(yaml());
    await wf.run();
    const l = wf.lineage();
    expect(l.status).toBe("succeeded");
    expect(l.config_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(l.plugins).toEqual([{ name: "@fixtures/core-test", version: "1.0.0" }]);
    expect(l.seeds).toEqual({ runner: 7 });
    expect(l.timings.map((t) => t.path)).toEqual([
      "process.data_connector.get_data",
      "process.process_data",
      "other.other",
      "runner.build_all",
    ]);
    const text = JSON.stringify(l);
    expect(text).not.toContain("pa55word-very-secret");
    expect(
      (l.config as { process: { data_connector: { config: { password: string } } } }).process.data_connector
        .config.password,
    ).toBe("***");
  });

  it("a component's notify goes to the configured notifier", async () => {
    const wf = await build(yaml());
    const c = wf.component<{ get_data(): Promise<unknown> }>("process.data_connector");
    expect(typeof c.get_data).toBe("function");
    expect(() => wf.component("train.model_trainer")).toThrow(/no component at "train.model_trainer"/);
  });
});
