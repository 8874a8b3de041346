import { resolveWorkerScript, WorkerPool, type WorkerTask, withWorkerPool } from "../index.js";

const script = new URL("../../test/fixtures/pool-worker.mjs", import.meta.url);

interface Req {
  value?: number;
  delayMs?: number;
  fail?: string;
  crash?: boolean;
  setup?: string;
}
interface Res {
  type: "ok";
  value: number;
  thread: number;
  setup?: string;
}

function* tasks(values: number[], delay: (i: number) => number = () => 0): Iterable<WorkerTask<Req>> {
  for (let i = 0; i < values.length; i++) yield { message: { value: values[i]!, delayMs: delay(i) } };
}

describe("WorkerPool", () => {
  it("returns responses in task order whatever order the workers finish in", async () => {
    const pool = new WorkerPool<Req, Res>(script, 3);
    try {
      const values = Array.from({ length: 12 }, (_, i) => i);
      // early tasks are the slowest, so later ones finish first
      const out = await pool.run(tasks(values, (i) => (12 - i) * 5));
      expect(out.map((r) => r.value)).toEqual(values.map((v) => v * 2));
      expect(new Set(out.map((r) => r.thread)).size).toBeGreaterThan(1);
      expect(await pool.run([])).toEqual([]);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it("delivers to onResult in order and stops handing out tasks when it returns false", async () => {
    const pool = new WorkerPool<Req, Res>(script, 2);
    try {
      let made = 0;
      function* counted(): Iterable<WorkerTask<Req>> {
        for (let i = 0; i < 100; i++) {
          made++;
          yield { message: { value: i } };
        }
      }
      const seen: number[] = [];
      const out = await pool.run(counted(), {
        onResult: (r, index) => {
          expect(r.value).toBe(index * 2);
          seen.push(index);
          return index < 4;
        },
      });
      expect(out).toEqual([]);
      expect(seen).toEqual([0, 1, 2, 3, 4]);
      expect(made).toBeLessThanOrEqual(5 + pool.size * 4); // workers run ahead at most a window
    } finally {
      await pool.close();
    }
  }, 30_000);

  it("with onResult, a slow task holds back the others: responses waiting for it stay bounded", async () => {
    const pool = new WorkerPool<Req, Res>(script, 2);
    try {
      let made = 0;
      let most = 0;
      function* slowFirst(): Iterable<WorkerTask<Req>> {
        for (let i = 0; i < 60; i++) {
          made++;
          // at most `made - delivered` responses are held (in flight or waiting for an earlier one)
          most = Math.max(most, made - seen.length);
          yield { message: { value: i, delayMs: i === 0 ? 400 : 0 } };
        }
      }
      const seen: number[] = [];
      await pool.run(slowFirst(), { onResult: (_r, index) => void seen.push(index) });
      expect(seen).toEqual(Array.from({ length: 60 }, (_, i) => i));
      expect(most).toBeLessThanOrEqual(pool.size * 4);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it("rejects with a worker's error response or an error from the tasks, then refuses runs while tasks may be in flight", async () => {
    const pool = new WorkerPool<Req, Res>(script, 2);
    try {
      await expect(pool.run([{ message: { fail: "bad row 7" } }])).rejects.toThrow("bad row 7");
      expect(pool.healthy).toBe(true);
      function* throwing(): Iterable<WorkerTask<Req>> {
        yield { message: { value: 1 } };
        throw new Error("cannot make task 2");
      }
      await expect(pool.run(throwing())).rejects.toThrow("cannot make task 2");
      // tasks were in flight when it failed: their late responses must not reach a later run
      expect(pool.healthy).toBe(false);
      await expect(pool.run(tasks([1]))).rejects.toThrow(/a failed run/);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it("stays usable after a run that failed with nothing in flight, and reports a crashed worker", async () => {
    const pool = new WorkerPool<Req, Res>(script, 2);
    try {
      const controller = new AbortController();
      controller.abort();
      await expect(
        pool.run(tasks([1]), { signal: controller.signal, onAbort: () => new Error("stopped by user") }),
      ).rejects.toThrow("stopped by user");
      expect(pool.healthy).toBe(true);
      await expect(pool.run([{ message: { crash: true } }])).rejects.toThrow(/exited early \(exit code 3\)/);
      expect(pool.healthy).toBe(false);
    } finally {
      await pool.close();
    }
  }, 30_000);

  it("broadcast reaches every worker before later tasks", async () => {
    const pool = new WorkerPool<Req, Res>(script, 2);
    try {
      pool.broadcast({ setup: "ready" });
      const out = await pool.run(tasks([1, 2, 3, 4], () => 5));
      expect(out.every((r) => r.setup === "ready")).toBe(true);
    } finally {
      await pool.close();
    }
  }, 30_000);
});

describe("withWorkerPool", () => {
  it("hands the idle pool of the same script and size to the next caller, a new one for another size", async () => {
    const threadsOf = (size: number) =>
      withWorkerPool<Req, Res, number[]>(script, size, async (pool) =>
        (await pool.run(tasks([1, 2, 3, 4, 5, 6], () => 5))).map((r) => r.thread),
      );
    const first = new Set(await threadsOf(2));
    const second = new Set(await threadsOf(2));
    expect([...second].every((t) => first.has(t))).toBe(true);
    const other = new Set(await threadsOf(1));
    expect([...other].some((t) => first.has(t))).toBe(false);
  }, 30_000);

  it("closes the pool when the callback fails", async () => {
    let used: WorkerPool<Req, Res> | undefined;
    await expect(
      withWorkerPool<Req, Res, void>(script, 1, async (pool) => {
        used = pool;
        throw new Error("caller failed");
      }),
    ).rejects.toThrow("caller failed");
    expect(used?.healthy).toBe(false);
  }, 30_000);
});

describe("resolveWorkerScript", () => {
  it("names the paths it tried and the hint when the script is missing", () => {
    expect(() => resolveWorkerScript("nope-worker.js", import.meta.url, "run `pnpm build`")).toThrow(
      /nope-worker\.js was not found \(looked at .*nope-worker\.js, .*dist.*nope-worker\.js\); run `pnpm build`/,
    );
    const from = new URL("../../test/fixtures/module.js", import.meta.url);
    expect(resolveWorkerScript("pool-worker.mjs", from, "x").href).toBe(script.href);
  });
});
