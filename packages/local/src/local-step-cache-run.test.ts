// core's runCachedStep over the local store: miss records blobs then the entry, hit restores
// without running, a blob gone between lookup and restore runs the step, bypass, no store.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CachedStep, runCachedStep, type StepCacheUse } from "@lolpop/core";
import { localBlobStore } from "./local-blob-store.js";
import { localStepCache } from "./local-step-cache.js";

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "lolpop-cachedstep-"));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A step that counts its runs; its value is `{text, file}` stored as bytes and as a file. */
function counting(text: string) {
  const calls = { run: 0 };
  const step: CachedStep<{ text: string; file: string }> = {
    parts: { step: "encode", component: { type: "T" }, config: { a: 1 }, inputs: { x: "d".repeat(64) } },
    run: async () => {
      calls.run++;
      return { text, file: `file of ${text}` };
    },
    save: async (v, dir) => {
      await mkdir(join(dir, "state", "sub"), { recursive: true });
      await writeFile(join(dir, "state", "sub", "f.txt"), v.file);
      return { text: Buffer.from(v.text) };
    },
    restore: async (o) => ({
      text: Buffer.from(await o.bytes("text")).toString(),
      file: await readFile(join(await o.dir("state"), "sub", "f.txt"), "utf8"),
    }),
  };
  return { step, calls };
}

describe("runCachedStep on the local store", () => {
  const use = (over: Partial<StepCacheUse> = {}): StepCacheUse => {
    const blobs = localBlobStore(tmp);
    return { store: { blobs, cache: localStepCache(tmp, blobs) }, lookup: true, runId: "run-1", ...over };
  };

  it("runs and records on a miss, restores without running on a hit", async () => {
    const a = counting("hello");
    const first = await runCachedStep(use(), a.step);
    expect(first.cached_from).toBeUndefined();
    expect(Object.keys(first.outputs!).sort()).toEqual(["state/sub/f.txt", "text"]);
    const b = counting("other");
    const second = await runCachedStep(use({ runId: "run-2" }), b.step);
    expect(b.calls.run).toBe(0);
    expect(second.value).toEqual({ text: "hello", file: "file of hello" });
    expect(second.cached_from).toBe("run-1");
    expect(second.outputs).toEqual(first.outputs);
  });

  it("runs again when a blob is corrupted, and the fresh run repairs it", async () => {
    await runCachedStep(use(), counting("hello").step);
    const blobs = localBlobStore(tmp);
    const [entry] = await localStepCache(tmp).entries();
    await writeFile(blobs.pathOf(entry!.outputs.text!.digest), "garbage");
    const b = counting("hello");
    const r = await runCachedStep(use({ runId: "run-2" }), b.step);
    expect(b.calls.run).toBe(1);
    expect(r.cached_from).toBeUndefined();
    expect(await blobs.verify(entry!.outputs.text!.digest)).toBe("ok");
  });

  it("with lookup false runs the step and still records a fresh entry; without a store just runs", async () => {
    await runCachedStep(use(), counting("hello").step);
    const b = counting("hello");
    await runCachedStep(use({ lookup: false, runId: "run-2" }), b.step);
    expect(b.calls.run).toBe(1);
    expect((await localStepCache(tmp).entries()).map((e) => e.run_id).sort()).toEqual(["run-1", "run-2"]);
    const c = counting("x");
    const r = await runCachedStep({ store: undefined, lookup: true }, c.step);
    expect(c.calls.run).toBe(1);
    expect(r.key).toBeUndefined();
  });

  it("stores an output given in pieces as one blob, joined only for a store without putChunks", async () => {
    const pieces = [Buffer.from("head"), Buffer.from("column bytes")];
    const chunked: CachedStep<string> = {
      ...counting("x").step,
      run: async () => "v",
      save: async () => ({ table: pieces }),
      restore: async (o) => Buffer.from(await o.bytes("table")).toString(),
    };
    const u = use();
    const blobs = localBlobStore(tmp);
    const calls = { put: 0, putChunks: 0 };
    const spied = {
      ...blobs,
      put: (d: string | Uint8Array) => {
        calls.put++;
        return blobs.put(d);
      },
      putChunks: (c: readonly Uint8Array[]) => {
        calls.putChunks++;
        return blobs.putChunks(c);
      },
    };
    const withChunks = await runCachedStep(
      { ...u, store: { ...u.store!, blobs: spied }, lookup: false },
      chunked,
    );
    expect(calls).toEqual({ put: 0, putChunks: 1 });
    const { putChunks: _, ...plain } = spied;
    const without = await runCachedStep(
      { ...u, store: { ...u.store!, blobs: plain }, lookup: false },
      chunked,
    );
    expect(calls).toEqual({ put: 1, putChunks: 1 });
    expect(without.outputs!.table).toEqual(withChunks.outputs!.table);
    expect(Buffer.from(await blobs.get(withChunks.outputs!.table!.digest)).toString()).toBe(
      "headcolumn bytes",
    );
    expect((await runCachedStep(u, chunked)).value).toBe("headcolumn bytes");
  });

  it("refuses a step with side effects", async () => {
    const { step } = counting("x");
    await expect(
      runCachedStep(use(), { ...step, parts: { ...step.parts, step: "register" } }),
    ).rejects.toThrow(/never cached/);
  });
});
