import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StoreError } from "@lolpop/core";
import { bundleWorker, runWorker } from "../test/fixtures/bundle.mjs";
import { localBlobStore } from "./local-blob-store.js";

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "lolpop-blobs-"));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const sha = (b: string | Uint8Array) => createHash("sha256").update(b).digest("hex");

async function expectStoreError(p: Promise<unknown>, code: string, text: string): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.isInstance(err)).toBe(true);
  expect((err as StoreError).code).toBe(code);
  expect((err as Error).message).toContain(text);
}

describe("localBlobStore", () => {
  it("stores bytes under blobs/sha256/<2>/<62> and reads them back", async () => {
    const blobs = localBlobStore(tmp);
    const data = "hello, blobs\n";
    const ref = await blobs.put(data);
    expect(ref).toEqual({ algorithm: "sha256", digest: sha(data), size: Buffer.byteLength(data) });
    const file = join(tmp, "blobs", "sha256", ref.digest.slice(0, 2), ref.digest.slice(2));
    expect(await readFile(file, "utf8")).toBe(data);
    expect(Buffer.from(await blobs.get(ref.digest)).toString("utf8")).toBe(data);
    expect(await blobs.has(ref.digest)).toBe(true);
    expect(await blobs.verify(ref.digest)).toBe("ok");
    expect(await blobs.list()).toEqual([ref.digest]);
    // Same bytes again: one blob, nothing left behind.
    expect(await blobs.put(Buffer.from(data))).toEqual(ref);
    expect(await readdir(join(tmp, "blobs", "sha256", ref.digest.slice(0, 2)))).toEqual([
      ref.digest.slice(2),
    ]);
  });

  it("putChunks stores the pieces' concatenation: the same blob as put of the joined bytes", async () => {
    const blobs = localBlobStore(tmp);
    const pieces = [
      Buffer.from("LOLPOPT1"),
      new Uint8Array(new Float64Array([1.5, -0, Number.NaN]).buffer),
      Buffer.from(""),
    ];
    const joined = Buffer.concat(pieces);
    const ref = await blobs.putChunks(pieces);
    expect(ref).toEqual({ algorithm: "sha256", digest: sha(joined), size: joined.byteLength });
    expect((await readFile(blobs.pathOf(ref.digest))).equals(joined)).toBe(true);
    expect(await blobs.put(joined)).toEqual(ref);
    // A corrupted blob is replaced by the next putChunks, as by put.
    await writeFile(blobs.pathOf(ref.digest), "garbage");
    expect(await blobs.putChunks(pieces)).toEqual(ref);
    expect(await blobs.verify(ref.digest)).toBe("ok");
    expect(await readdir(join(blobs.root, ref.digest.slice(0, 2)))).toEqual([ref.digest.slice(2)]);
  });

  it("putFile streams a file in and restoreTo writes it out verified", async () => {
    const blobs = localBlobStore(tmp);
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const src = join(tmp, "model.bin");
    await writeFile(src, big);
    const ref = await blobs.putFile(src);
    expect(ref).toEqual({ algorithm: "sha256", digest: sha(big), size: big.length });
    const dest = join(tmp, "out", "restored.bin");
    await blobs.restoreTo(ref.digest, dest);
    expect((await readFile(dest)).equals(big)).toBe(true);
    // Only the blob and its prefix folder under the root: no temp file remains.
    expect(await readdir(blobs.root)).toEqual([ref.digest.slice(0, 2)]);
    expect(await readdir(join(tmp, "out"))).toEqual(["restored.bin"]);
  });

  it("detects a corrupted blob on get, verify and restore, and a put repairs it", async () => {
    const blobs = localBlobStore(tmp);
    const ref = await blobs.put("original content");
    await writeFile(blobs.pathOf(ref.digest), "tampered content");
    expect(await blobs.verify(ref.digest)).toBe("corrupted");
    await expectStoreError(blobs.get(ref.digest), "blob_corrupted", ref.digest);
    const dest = join(tmp, "restored.txt");
    await expectStoreError(blobs.restoreTo(ref.digest, dest), "blob_corrupted", "is corrupted");
    expect(await readdir(tmp)).toEqual(["blobs"]); // nothing half-written at dest
    await blobs.put("original content");
    expect(await blobs.verify(ref.digest)).toBe("ok");
  });

  it("reports a deleted blob as missing and remove is idempotent", async () => {
    const blobs = localBlobStore(tmp);
    const ref = await blobs.put("gone soon");
    expect(await blobs.remove(ref.digest)).toBe(true);
    expect(await blobs.remove(ref.digest)).toBe(false);
    expect(await blobs.has(ref.digest)).toBe(false);
    expect(await blobs.verify(ref.digest)).toBe("missing");
    await expectStoreError(blobs.get(ref.digest), "blob_not_found", ref.digest);
    await expectStoreError(blobs.restoreTo(ref.digest, join(tmp, "x")), "blob_not_found", ref.digest);
    expect(await blobs.list()).toEqual([]);
  });

  it("rejects a name that is not a digest", async () => {
    const blobs = localBlobStore(tmp);
    await expectStoreError(blobs.get("../../etc/passwd"), "store_invalid_name", "not a blob digest");
    await expectStoreError(blobs.get("A".repeat(64)), "store_invalid_name", "64 lowercase hex");
  });

  describe("across processes", () => {
    let bundle: string;
    beforeAll(async () => {
      bundle = await bundleWorker();
    }, 60_000);

    it("a SIGKILL before the rename leaves no blob, and the next put cleans up and stores it", async () => {
      const src = join(tmp, "data.bin");
      await writeFile(src, "content written by a process that dies");
      const r = await runWorker(bundle, ["blob-put", join(tmp, "store"), src, "1"], {
        LOLPOP_TEST_CRASH_AT: "blob-before-rename",
      });
      expect(r.signal).toBe("SIGKILL");
      const blobs = localBlobStore(join(tmp, "store"));
      const digest = sha(await readFile(src));
      expect(await blobs.list()).toEqual([]);
      expect(await blobs.verify(digest)).toBe("missing");
      expect((await readdir(blobs.root)).some((n) => n.startsWith(".tmp-"))).toBe(true);
      expect((await blobs.putFile(src)).digest).toBe(digest);
      expect(await blobs.verify(digest)).toBe("ok");
      expect(await readdir(blobs.root)).toEqual([digest.slice(0, 2)]);
    }, 60_000);

    it("concurrent writers of the same bytes all succeed and the blob verifies", async () => {
      const src = join(tmp, "shared.bin");
      await writeFile(src, Buffer.alloc(256 * 1024, 7));
      const store = join(tmp, "store");
      const results = await Promise.all(
        [0, 1, 2].map(() => runWorker(bundle, ["blob-put", store, src, "20"])),
      );
      const digest = sha(await readFile(src));
      for (const r of results) {
        expect(r.stderr).toBe("");
        expect(r.code).toBe(0);
        expect(r.json.digest).toBe(digest);
      }
      const blobs = localBlobStore(store);
      // A worker may have removed it last; put it once more and check there is exactly one, verifying.
      await blobs.putFile(src);
      expect(await blobs.list()).toEqual([digest]);
      expect(await blobs.verify(digest)).toBe("ok");
      expect(await readdir(blobs.root)).toEqual([digest.slice(0, 2)]);
    }, 60_000);
  });
});
