import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { localBlobStore } from "./local-blob-store.js";
import { codeTreeFingerprint } from "./local-code-fingerprint.js";
import { localStepCache } from "./local-step-cache.js";

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "lolpop-stepcache-"));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const KEY = "c".repeat(64);

describe("localStepCache", () => {
  it("misses, then hits the latest entry whose outputs verify", async () => {
    const blobs = localBlobStore(tmp);
    const cache = localStepCache(tmp, blobs);
    expect(await cache.lookup(KEY)).toBeUndefined();
    const a = await blobs.put("model from run A");
    const m = await blobs.put("metrics");
    await cache.record({ key: KEY, step: "train", run_id: "run-A", outputs: { model: a, metrics: m } });
    const b = await blobs.put("model from run B");
    await cache.record({ key: KEY, step: "train", run_id: "run-B", outputs: { model: b, metrics: m } });
    const hit = await cache.lookup(KEY);
    expect(hit?.run_id).toBe("run-B");
    expect(hit?.outputs.model).toEqual(b);
    expect((await cache.entries()).map((e) => e.run_id)).toEqual(["run-A", "run-B"]);
    // Corrupt run B's output: the lookup falls back to run A; delete A's: a miss.
    await writeFile(blobs.pathOf(b.digest), "garbage");
    expect((await cache.lookup(KEY))?.run_id).toBe("run-A");
    await blobs.remove(a.digest);
    expect(await cache.lookup(KEY)).toBeUndefined();
    // Entries are plain files under cache/steps/<key>/, no temp file left.
    const names = await readdir(join(tmp, "cache", "steps", KEY));
    expect(names).toHaveLength(2);
    expect(names.every((n) => /^\d{8}T\d{9}Z-[0-9a-f]{10}\.json$/.test(n))).toBe(true);
  });

  it("ignores keys that are not digests", async () => {
    expect(await localStepCache(tmp).lookup("../../etc")).toBeUndefined();
  });
});

describe("codeTreeFingerprint", () => {
  async function project(files: Record<string, string>): Promise<void> {
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(join(tmp, rel, ".."), { recursive: true });
      await writeFile(join(tmp, rel), text);
    }
  }

  it("covers the module and its local imports recursively, not packages", async () => {
    await project({
      "transform.ts":
        'import { clean } from "./lib/clean.js";\nimport { z } from "zod";\nexport const t = clean;\n',
      "lib/clean.ts": 'import "../lib/util";\nexport const clean = 1;\n',
      "lib/util.mjs": "export default 2;\n",
      "unrelated.ts": "export const u = 3;\n",
    });
    const first = await codeTreeFingerprint("transform.ts", tmp);
    expect(first.files).toEqual(["lib/clean.ts", "lib/util.mjs", "transform.ts"]);
    expect((await codeTreeFingerprint("transform.ts", tmp)).sha256).toBe(first.sha256);
    await writeFile(join(tmp, "unrelated.ts"), "export const u = 4;\n");
    expect((await codeTreeFingerprint("transform.ts", tmp)).sha256).toBe(first.sha256);
    // Editing a helper two imports deep changes it.
    await writeFile(join(tmp, "lib/util.mjs"), "export default 3;\n");
    expect((await codeTreeFingerprint("transform.ts", tmp)).sha256).not.toBe(first.sha256);
  });

  it("names the file and import that cannot be found", async () => {
    await project({ "transform.js": 'import { x } from "./missing.js";\n' });
    await expect(codeTreeFingerprint("transform.js", tmp)).rejects.toThrow(
      /import "\.\/missing\.js" resolves to no file/,
    );
    await expect(codeTreeFingerprint("nope.js", tmp)).rejects.toThrow(/nope\.js: the file cannot be read/);
  });
});

describe("collectBlobGarbage", () => {
  it("removes unreferenced blobs and entries of deleted runs, never a blob a kept entry or keep needs; dry run lists the same", async () => {
    const { collectBlobGarbage } = await import("./local-blob-gc.js");
    const blobs = localBlobStore(tmp);
    const cache = localStepCache(tmp, blobs);
    const keptOut = await blobs.put("output of the kept run");
    const shared = await blobs.put("output both runs share");
    const goneOut = await blobs.put("output of the deleted run");
    const orphan = await blobs.put("nobody references this");
    const pinned = await blobs.put("a snapshot another record keeps");
    await cache.record({ key: KEY, step: "train", run_id: "kept", outputs: { a: keptOut, b: shared } });
    await cache.record({
      key: "d".repeat(64),
      step: "encode",
      run_id: "gone",
      outputs: { a: goneOut, b: shared },
    });
    const opts = { deletedRuns: new Set(["gone"]), keep: new Set([pinned.digest]) };
    const dry = await collectBlobGarbage(tmp, { ...opts, dryRun: true });
    expect(dry.blobs).toEqual([goneOut.digest, orphan.digest].sort());
    expect(dry.bytes).toBe(goneOut.size + orphan.size);
    expect(dry.entries.map((e) => e.run_id)).toEqual(["gone"]);
    expect((await blobs.list()).length).toBe(5); // nothing removed by the dry run
    const done = await collectBlobGarbage(tmp, opts);
    expect(done).toEqual(dry);
    expect(await blobs.list()).toEqual([keptOut.digest, shared.digest, pinned.digest].sort());
    expect((await cache.entries()).map((e) => e.run_id)).toEqual(["kept"]);
    expect((await cache.lookup(KEY))?.run_id).toBe("kept");
    // Nothing left to collect.
    expect(await collectBlobGarbage(tmp, opts)).toEqual({ entries: [], blobs: [], bytes: 0 });
  });
});
