import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { StoreError } from "@lolpop/core";
import { bundleWorker, runWorker } from "../test/fixtures/bundle.mjs";
import {
  copyTree,
  decodeNumber,
  encodeNumber,
  isProcessAlive,
  newSortableId,
  readJson,
  readJsonIfExists,
  resolveStoreDir,
  safeRelativePath,
  withLock,
} from "./local-store.js";

let tmp: string;
const afterCleanup: string[] = [];
afterAll(async () => {
  for (const d of afterCleanup) await rm(d, { recursive: true, force: true });
});
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "lolpop-store-"));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A pid that surely belongs to no process: a child that has exited and been reaped. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]);
  return Number(r.stdout.toString());
}

describe("resolveStoreDir", () => {
  const project = { root: "/proj", stateDir: "/proj/.state" };
  it("defaults to the project's state dir", () => {
    expect(resolveStoreDir({ config: {}, project })).toBe("/proj/.state");
    expect(resolveStoreDir({ config: { dir: ".lolpop" }, project })).toBe("/proj/.state");
  });
  it("resolves a relative dir from the project root and keeps absolute ones", () => {
    expect(resolveStoreDir({ config: { dir: "store" }, project })).toBe("/proj/store");
    expect(resolveStoreDir({ config: { dir: "/abs/store" }, project })).toBe("/abs/store");
  });
});

describe("readJson", () => {
  it("parses JSON and reports corrupted files with their path and what to do", async () => {
    const good = join(tmp, "good.json");
    await writeFile(good, '{"a":1}');
    expect(await readJson(good)).toEqual({ a: 1 });
    const bad = join(tmp, "bad.json");
    await writeFile(bad, '{"a":');
    const err: any = await readJson(bad).catch((e) => e);
    expect(StoreError.isInstance(err)).toBe(true);
    expect(err.message).toContain(bad);
    expect(err.message).toContain("The file is corrupted: restore it or delete it");
    expect(err.code).toBe("store_corrupted");
  });
  it("readJsonIfExists returns undefined for a missing file", async () => {
    expect(await readJsonIfExists(join(tmp, "nope.json"))).toBeUndefined();
  });
});

describe("ids and names", () => {
  it("makes unique ids that sort by creation time", () => {
    const ids = Array.from({ length: 500 }, () => newSortableId());
    expect(new Set(ids).size).toBe(500);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{10}$/);
  });
  it("rejects artifact paths that escape", () => {
    expect(safeRelativePath("a/b.txt", "x")).toEqual(["a", "b.txt"]);
    for (const bad of ["", "../x", "a/../../x", "/etc/passwd", "a//b", "./a"])
      expect(() => safeRelativePath(bad, "x")).toThrow(/relative path/);
  });
  it("round-trips non-finite numbers through JSON", () => {
    for (const v of [1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      expect(decodeNumber(JSON.parse(JSON.stringify(encodeNumber(v))))).toBe(v);
    }
  });
});

describe("copyTree", () => {
  it("copies nested folders and lists the files", async () => {
    const src = join(tmp, "src");
    await mkdir(join(src, "sub"), { recursive: true });
    await writeFile(join(src, "a.txt"), "A");
    await writeFile(join(src, "sub", "b.bin"), new Uint8Array([1, 2, 3]));
    const files = await copyTree(src, join(tmp, "dest"));
    expect(files).toEqual(["a.txt", "sub/b.bin"]);
    expect(await readFile(join(tmp, "dest", "sub", "b.bin"))).toEqual(Buffer.from([1, 2, 3]));
  });
});

describe("withLock", () => {
  it("serializes concurrent holders in one process", async () => {
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        withLock(tmp, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 3));
          order.push(i);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order).toHaveLength(8);
    expect(await readdir(tmp)).toEqual([]);
  });

  it("releases the lock when fn throws", async () => {
    await expect(withLock(tmp, async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await withLock(tmp, async () => 42)).toBe(42);
  });

  it("takes over a lock whose owner process is dead", async () => {
    const lock = join(tmp, ".lock");
    await mkdir(lock);
    await writeFile(
      join(lock, "owner.json"),
      JSON.stringify({
        pid: deadPid(),
        hostname: (await import("node:os")).hostname(),
        acquired_at: "2020-01-01T00:00:00.000Z",
        token: "dead",
      }),
    );
    expect(await withLock(tmp, async () => "got it", { timeoutMs: 2000 })).toBe("got it");
  });

  it("takes over an old lock folder that never got an owner", async () => {
    const lock = join(tmp, ".lock");
    await mkdir(lock);
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    expect(await withLock(tmp, async () => "ok", { timeoutMs: 2000 })).toBe("ok");
  });

  it("times out on a lock held by a live process, naming the lock folder", async () => {
    const lock = join(tmp, ".lock");
    await mkdir(lock);
    await writeFile(
      join(lock, "owner.json"),
      JSON.stringify({
        pid: process.pid,
        hostname: (await import("node:os")).hostname(),
        acquired_at: new Date().toISOString(),
        token: "live",
      }),
    );
    const err = await withLock(tmp, async () => "never", { timeoutMs: 150 }).catch((e) => e);
    expect(StoreError.isInstance(err)).toBe(true);
    expect(err.code).toBe("store_lock_timeout");
    expect(err.message).toContain(lock);
    expect(err.message).toContain(`pid ${process.pid}`);
  });

  it("is exclusive across processes", async () => {
    const bundle = await bundleWorker();
    afterCleanup.push(dirname(bundle));
    const counter = join(tmp, "counter.txt");
    const results = await Promise.all(
      Array.from({ length: 5 }, () => runWorker(bundle, ["lock-increment", tmp, counter, "20"])),
    );
    for (const r of results) expect(r.stderr).toBe("");
    expect(Number(await readFile(counter, "utf8"))).toBe(100);
  }, 60_000);

  it("isProcessAlive tells live and dead pids apart", () => {
    expect(isProcessAlive(process.pid)).toBe(true);
    expect(isProcessAlive(deadPid())).toBe(false);
    expect(isProcessAlive(-1)).toBe(false);
  });
});

describe("withLock in-process queue", () => {
  it("times out a nested (non-reentrant) lock instead of hanging, and keeps working afterwards", async () => {
    const err = await withLock(tmp, () => withLock(tmp, async () => "inner", { timeoutMs: 100 })).catch(
      (e) => e,
    );
    expect(StoreError.isInstance(err)).toBe(true);
    expect(err.message).toContain("100ms");
    expect(await withLock(tmp, async () => "after")).toBe("after");
  });

  it("keeps the order of waiters behind one that gave up", async () => {
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = withLock(
      tmp,
      () =>
        new Promise<void>((r) => {
          releaseFirst = () => {
            order.push("first");
            r();
          };
        }),
    );
    await new Promise((r) => setTimeout(r, 10));
    const quitter = withLock(tmp, async () => order.push("quitter"), { timeoutMs: 20 }).catch(() =>
      order.push("quitter gave up"),
    );
    const third = withLock(tmp, async () => order.push("third"));
    for (let i = 0; i < 200 && order.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(["quitter gave up"]);
    releaseFirst();
    await Promise.all([first, quitter, third]);
    expect(order).toEqual(["quitter gave up", "first", "third"]);
  });
});
