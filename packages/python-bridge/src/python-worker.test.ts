import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { CancelledError, registerSecret, Table } from "@lolpop/core";
import {
  removeTempDirs as cleanTemp,
  commandLine,
  processState,
  tempDir,
  testHandlers,
  venvPythonForTests,
  waitNotRunning,
} from "../test/helpers.js";
import {
  encodeTable,
  PythonCallError,
  PythonModuleMissingError,
  PythonNotFoundError,
  PythonTimeoutError,
  PythonWorker,
  PythonWorkerError,
} from "./index.js";

afterAll(() => cleanTemp());

/** Per-test timeout: jest's testTimeout is not applied per project when the root config runs every package. */
const TIMEOUT = 120_000;

const python = venvPythonForTests();
const workers: PythonWorker[] = [];
function worker(extra: ConstructorParameters<typeof PythonWorker>[0] = {}): PythonWorker {
  const w = new PythonWorker({ python, modules: [{ name: "t", path: testHandlers }], ...extra });
  workers.push(w);
  return w;
}
/** The rejection of `p` (fails the test when it resolves). */
async function failure(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected the call to fail");
}
afterAll(async () => {
  await Promise.all(workers.map((w) => w.close()));
});

describe("PythonWorker", () => {
  it(
    "starts once, reports the interpreter and loaded methods, and answers calls in order",
    async () => {
      const w = worker({ requirements: [{ name: "numpy", version: ">=1.16" }] });
      const info = await w.start();
      expect(info.python).toBe(python);
      expect(info.pythonVersion).toMatch(/^3\.\d+/);
      expect(info.versions.numpy).toMatch(/^\d/);
      expect(info.methods).toEqual(expect.arrayContaining(["t.echo", "t.table_summary", "t.hang"]));
      expect(commandLine(info.pid)).toContain("lolpop_worker.py");
      const results = await Promise.all([1, 2, 3].map((i) => w.call("t.echo", { i, s: "é\u0000x" })));
      expect(results).toEqual([1, 2, 3].map((i) => ({ i, s: "é\u0000x" })));
      expect(w.pid).toBe(info.pid);
      expect(w.generation).toBe(1);
    },
    TIMEOUT,
  );

  it(
    "moves tables as binary columns: numeric (with NaN), categorical (with missing), roles kept",
    async () => {
      const w = worker();
      const n = 200_000;
      const x = new Float64Array(n).map((_, i) => (i % 1000 === 0 ? Number.NaN : i * 0.5));
      const c = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? null : ["a", "b", "ç"][i % 3]!));
      const t = Table.fromColumns(
        { x, c, id: Array.from({ length: n }, (_, i) => i) },
        { roles: { id: "index" } },
      );
      const r = await w.call<{
        num_rows: number;
        names: string[];
        columns: Record<
          string,
          { kind: string; dtype: string; sum?: number; missing: number; strings?: string[]; role: string }
        >;
      }>("t.table_summary", { table: encodeTable(t) });
      expect(r.num_rows).toBe(n);
      expect(r.names).toEqual(["x", "c", "id"]);
      let sum = 0;
      for (const v of x) if (!Number.isNaN(v)) sum += v;
      expect(r.columns.x).toMatchObject({
        kind: "numeric",
        dtype: "float64",
        sum,
        missing: n / 1000,
        role: "feature",
      });
      expect(r.columns.c).toMatchObject({ kind: "categorical", dtype: "int32", missing: Math.ceil(n / 7) });
      expect(r.columns.c!.strings!.slice(0, 4)).toEqual(["<NA>", "b", "ç", "a"]);
      expect(r.columns.id!.role).toBe("index");
    },
    TIMEOUT,
  );

  it(
    "returns numpy arrays and bytes as typed arrays, NaN as null",
    async () => {
      const w = worker();
      const r = await w.call<Record<string, unknown>>("t.double", { x: Float64Array.from([1, 2.5, -3]) });
      expect(r.doubled).toEqual(Float64Array.from([2, 5, -6]));
      expect(r.matrix).toEqual(Float64Array.from([0, 1, 2, 3, 4, 5]));
      expect(r.ints).toEqual(Int32Array.from([1, -2, 3]));
      expect(r.blob).toEqual(Uint8Array.from([0, 1, 2]));
      expect(r.nan).toBeNull();
    },
    TIMEOUT,
  );

  it(
    "puts the Python exception, traceback and stderr in the error, redacted, and keeps the worker",
    async () => {
      const w = worker();
      const pid = (await w.start()).pid;
      registerSecret("hunter2-secret");
      const err = await failure(w.call("t.fail", { why: "hunter2-secret is bad" }));
      expect(PythonCallError.isInstance(err)).toBe(true);
      expect(err.code).toBe("python_call_failed");
      expect(err.pythonType).toBe("ValueError");
      expect(err.message).toMatch(/Python call "t\.fail" failed: ValueError: bad value: \*\*\* is bad/);
      expect(err.message).toMatch(/Traceback \(most recent call last\)/);
      expect(err.message).toMatch(/test_handlers\.py", line \d+, in fail/);
      expect(err.message).toMatch(/worker stderr \(last lines\):\n {2}about to fail: \*\*\* is bad/);
      expect(err.message).not.toContain("hunter2");
      expect(w.pid).toBe(pid);
      const unknown = await failure(w.call("t.nope"));
      expect(unknown.message).toMatch(/unknown method 't\.nope'/);
    },
    TIMEOUT,
  );

  it(
    "keeps stray prints off the protocol and passes handler notifications",
    async () => {
      const w = worker();
      const lines: string[] = [];
      const w2 = worker({ onStderr: (l) => lines.push(l) });
      expect(await w2.call("t.noisy")).toBe("still fine");
      // stderr is a separate pipe: its lines may arrive just after the answer.
      const until = Date.now() + 5000;
      while (!lines.includes("raw bytes on fd 1") && Date.now() < until)
        await new Promise((r) => setTimeout(r, 20));
      expect(lines).toEqual(
        expect.arrayContaining(["printed to stdout must not break the protocol", "raw bytes on fd 1"]),
      );
      const notes: unknown[] = [];
      expect(await w.call("t.progress", { n: 3 }, { onNotification: (m, d) => notes.push([m, d]) })).toBe(
        "done",
      );
      expect(notes).toEqual([0, 1, 2].map((step) => ["progress", { step }]));
    },
    TIMEOUT,
  );

  it(
    "cancels a running call in Python (the worker survives) and drops queued calls",
    async () => {
      const w = worker();
      const pid = (await w.start()).pid;
      const ac = new AbortController();
      const running = w.call("t.busy", { seconds: 30 }, { signal: ac.signal });
      const queued = w.call("t.echo", { q: 1 }, { signal: ac.signal });
      const after = w.call("t.echo", { q: 2 });
      // If an assertion below fails, none of these may end as an unhandled rejection.
      for (const p of [running, queued, after]) p.catch(() => undefined);
      setTimeout(() => ac.abort(new Error("user stop")), 300);
      const started = Date.now();
      const e1 = await failure(running);
      expect(CancelledError.isInstance(e1)).toBe(true);
      expect(e1.message).toMatch(/user stop/);
      expect(CancelledError.isInstance(await failure(queued))).toBe(true);
      expect(await after).toEqual({ q: 2 });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(w.pid).toBe(pid);
      expect(processState(pid)).toBe("running");
      const pre = new AbortController();
      pre.abort();
      expect(CancelledError.isInstance(await failure(w.call("t.echo", {}, { signal: pre.signal })))).toBe(
        true,
      );
    },
    TIMEOUT,
  );

  it(
    "stops a worker hanging past its timeout (SIGTERM ignored, so SIGKILL) and starts a new one",
    async () => {
      const w = worker({ killGraceMs: 500 });
      const pid = (await w.start()).pid;
      const err = await failure(w.call("t.hang", {}, { timeoutMs: 800 }));
      expect(PythonTimeoutError.isInstance(err)).toBe(true);
      expect(err.code).toBe("python_timeout");
      expect(err.message).toMatch(
        /"t\.hang" did not finish within 800 ms; the python worker \(pid \d+\) was stopped/,
      );
      expect(err.message).toMatch(/hanging now/);
      expect(await waitNotRunning(pid)).toBe(true);
      const next = await w.call<number>("t.pid");
      expect(next).not.toBe(pid);
      expect(w.generation).toBe(2);
    },
    TIMEOUT,
  );

  it(
    "reports a worker killed mid-call with its signal and stderr, then recovers",
    async () => {
      const w = worker();
      const pid = (await w.start()).pid;
      const running = w.call("t.sleep", { seconds: 60 });
      running.catch(() => undefined); // handled below; never unhandled if a step fails first
      await new Promise((r) => setTimeout(r, 300));
      process.kill(pid, "SIGKILL");
      const err = await failure(running);
      expect(PythonWorkerError.isInstance(err)).toBe(true);
      expect(err.message).toMatch(
        new RegExp(`worker \\(pid ${pid}\\) was killed by SIGKILL while running "t\\.sleep"`),
      );
      expect(err.signal).toBe("SIGKILL");
      expect(await waitNotRunning(pid)).toBe(true);
      const crash = await failure(w.call("t.crash", { code: 7 }));
      expect(crash.message).toMatch(/exited with code 7 while running "t\.crash"/);
      expect(crash.message).toMatch(/crashing on purpose/);
      expect(crash.exitCode).toBe(7);
      expect(await w.call("t.echo", { ok: true })).toEqual({ ok: true });
    },
    TIMEOUT,
  );

  it(
    "fails clearly when the interpreter is missing, without starting anything",
    async () => {
      const w = worker({
        python: "/nonexistent/bin/python3",
        pythonOptionName: "train.model_trainer.config.python",
      });
      const err = await failure(w.call("t.echo"));
      expect(PythonNotFoundError.isInstance(err)).toBe(true);
      expect(err.message).toMatch(
        /"\/nonexistent\/bin\/python3" from train\.model_trainer\.config\.python does not exist/,
      );
      expect(w.pid).toBeUndefined();
      const none = new PythonWorker({
        projectRoot: tempDir("lolpop-nopy-"),
        env: { PATH: "" },
      });
      workers.push(none);
      expect((await failure(none.call("lolpop.ping"))).message).toMatch(/No Python interpreter found/);
    },
    TIMEOUT,
  );

  it(
    "names missing distributions with the exact pip line, and stops the worker",
    async () => {
      const w = worker({
        requirements: [
          { name: "numpy", version: ">=1.16" },
          { name: "lolpop-no-such-dist", version: "==1.0", install: "lolpop-no-such-dist==1.0" },
          { name: "numpy-too-new", version: ">=99" },
        ],
        installHint: "Or run `npx some-setup`.",
      });
      const err = await failure(w.call("t.echo"));
      expect(PythonModuleMissingError.isInstance(err)).toBe(true);
      expect(err.installCommand).toBe(
        `${python} -m pip install lolpop-no-such-dist==1.0 'numpy-too-new>=99'`,
      );
      expect(err.message).toContain("lolpop-no-such-dist is not installed");
      expect(err.message).toContain(`Install with:\n  ${python} -m pip install`);
      expect(err.message).toContain("npx some-setup");
      expect(w.pid).toBeUndefined();
      // A handler module importing a missing module is reported the same way.
      const dir = tempDir("lolpop-handler-");
      const bad = join(dir, "bad_handler.py");
      writeFileSync(bad, "import lolpop_missing_module_xyz\n\ndef f(params, call):\n    return 1\n");
      const w2 = worker({ modules: [{ name: "bad", path: bad }] });
      const err2 = await failure(w2.call("bad.f"));
      expect(PythonModuleMissingError.isInstance(err2)).toBe(true);
      expect(err2.message).toMatch(/No module named 'lolpop_missing_module_xyz'/);
      expect(err2.installCommand).toContain("-m pip install lolpop_missing_module_xyz");
      // With requirements that are met, the missing module is still the one named...
      const w3 = worker({ modules: [{ name: "bad", path: bad }], requirements: [{ name: "numpy" }] });
      const err3 = await failure(w3.call("bad.f"));
      expect(err3.installCommand).toBe(`${python} -m pip install lolpop_missing_module_xyz`);
      expect(err3.message).not.toMatch(/numpy/);
      // ...and an ImportError inside an installed requirement suggests reinstalling it.
      const broken = join(dir, "broken_handler.py");
      writeFileSync(broken, "from numpy import lolpop_no_such_name\n\ndef f(params, call):\n    return 1\n");
      const w4 = worker({
        modules: [{ name: "broken", path: broken }],
        requirements: [{ name: "numpy", install: "numpy==2.4.6" }],
      });
      const err4 = await failure(w4.call("broken.f"));
      expect(PythonModuleMissingError.isInstance(err4)).toBe(true);
      expect(err4.message).toMatch(/cannot import name 'lolpop_no_such_name'/);
      expect(err4.message).toMatch(/the installed numpy \d[^ ]* may be broken/);
      expect(err4.installCommand).toBe(`${python} -m pip install --force-reinstall numpy==2.4.6`);
    },
    TIMEOUT,
  );

  it(
    "close() ends the worker and later calls fail",
    async () => {
      const w = worker();
      const pid = (await w.start()).pid;
      await w.close();
      expect(await waitNotRunning(pid)).toBe(true);
      expect(PythonWorkerError.isInstance(await failure(w.call("t.echo")))).toBe(true);
    },
    TIMEOUT,
  );

  it(
    "a Python 2 style failure at start shows the interpreter's stderr",
    async () => {
      const dir = tempDir("lolpop-fakepy-");
      const fake = join(dir, "python");
      writeFileSync(fake, "#!/bin/sh\necho 'SyntaxError: this is not python 3' >&2\nexit 1\n", {
        mode: 0o755,
      });
      const w = worker({ python: fake });
      const err = await failure(w.call("t.echo"));
      expect(PythonWorkerError.isInstance(err)).toBe(true);
      expect(err.message).toMatch(/exited with code 1/);
      expect(err.message).toMatch(/SyntaxError: this is not python 3/);
    },
    TIMEOUT,
  );
});
