/**
 * The local store's content-addressed blobs: {@link BlobStore} on the file system.
 *
 * Layout: `<store>/blobs/sha256/<first 2 hex>/<other 62 hex>`. A blob is written to a temp file
 * (`.tmp-<pid>-<random>`) in its final folder, flushed, renamed to its digest and the folder
 * flushed, so a crash leaves either no blob or a whole one (a left-over temp file is never listed
 * and is removed by the next `put` once its owner process is dead). Blobs are immutable: a `put`
 * of existing, verifying bytes writes nothing; a `put` over a blob that no longer verifies replaces
 * it. Concurrent writers of the same bytes both succeed (the last rename wins, both wrote the same
 * content). Reads re-hash the bytes and fail with `blob_corrupted` when they do not match.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { dirname, join } from "node:path";
import {
  type BlobRef,
  type BlobState,
  type BlobStore,
  isSha256Digest,
  StoreError,
  sha256File,
} from "@lolpop/core";
import { crashPoint, fsyncDir, isNotFound, isProcessAlive, tempName, tempOwnerPid } from "./local-store.js";

const ALGORITHM = "sha256";

function sha256(data: string | Uint8Array): string {
  return createHash(ALGORITHM).update(data).digest("hex");
}

/** The blob store of the local store rooted at `storeDir` (the `.lolpop` folder). */
export function localBlobStore(
  storeDir: string,
): Required<BlobStore> & { readonly root: string; pathOf(digest: string): string } {
  const root = join(storeDir, "blobs", ALGORITHM);

  function pathOf(digest: string): string {
    if (!isSha256Digest(digest)) {
      throw new StoreError({
        message: `"${digest}" is not a blob digest: expected 64 lowercase hex characters (a SHA-256)`,
        code: "store_invalid_name",
      });
    }
    return join(root, digest.slice(0, 2), digest.slice(2));
  }

  function notFound(digest: string, path: string, cause?: unknown): StoreError {
    return new StoreError({
      message: `Blob ${digest} is not in the store (${path}); run the step again without the cache to recreate it.`,
      path,
      cause,
      code: "blob_not_found",
    });
  }

  function corrupted(digest: string, path: string, actual: string): StoreError {
    return new StoreError({
      message: `Blob ${path} is corrupted: its content hashes to ${actual}, not ${digest}. Delete it (or run \`lolpop gc\`) and run the step again.`,
      path,
      code: "blob_corrupted",
    });
  }

  /** Removes temp files of dead processes in `dir` (best effort). */
  async function sweepTemps(dir: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names) {
      const pid = tempOwnerPid(name);
      if (pid !== undefined && pid !== process.pid && !isProcessAlive(pid))
        await rm(join(dir, name), { force: true });
    }
  }

  /** Commits a flushed temp file as blob `digest`. */
  async function commit(tmp: string, digest: string): Promise<void> {
    const final = pathOf(digest);
    crashPoint("blob-before-rename");
    await rename(tmp, final);
    await fsyncDir(dirname(final));
  }

  async function verify(digest: string): Promise<BlobState> {
    const path = pathOf(digest);
    try {
      return (await sha256File(path)) === digest ? "ok" : "corrupted";
    } catch (e) {
      if (isNotFound(e)) return "missing";
      throw e;
    }
  }

  const store = {
    root,
    pathOf,

    put(data: string | Uint8Array): Promise<BlobRef> {
      return store.putChunks([typeof data === "string" ? Buffer.from(data, "utf8") : data]);
    },

    async putChunks(chunks: readonly Uint8Array[]): Promise<BlobRef> {
      // Hash the pieces, then write each as it is (views on a table's columns are never joined).
      const h = createHash(ALGORITHM);
      let size = 0;
      for (const c of chunks) {
        h.update(c);
        size += c.byteLength;
      }
      const digest = h.digest("hex");
      const ref: BlobRef = { algorithm: ALGORITHM, digest, size };
      if ((await verify(digest)) === "ok") return ref;
      const dir = dirname(pathOf(digest));
      await mkdir(dir, { recursive: true });
      await sweepTemps(dir);
      const tmp = join(dir, tempName());
      const fh = await open(tmp, "wx");
      try {
        for (const c of chunks) await fh.writeFile(c);
        await fh.sync();
        await fh.close();
        await commit(tmp, digest);
      } catch (e) {
        await fh.close().catch(() => {});
        await rm(tmp, { force: true });
        throw e;
      }
      return ref;
    },

    async putFile(path: string): Promise<BlobRef> {
      // Copy into a temp file under the blob root while hashing, then rename to the digest.
      await mkdir(root, { recursive: true });
      await sweepTemps(root);
      const tmp = join(root, tempName());
      const h = createHash(ALGORITHM);
      let size = 0;
      const out = await open(tmp, "wx");
      try {
        for await (const chunk of createReadStream(path)) {
          const buf = chunk as Buffer;
          h.update(buf);
          size += buf.byteLength;
          await out.write(buf);
        }
        await out.sync();
        await out.close();
      } catch (e) {
        await out.close().catch(() => {});
        await rm(tmp, { force: true });
        throw e;
      }
      const digest = h.digest("hex");
      try {
        if ((await verify(digest)) === "ok") {
          await rm(tmp, { force: true });
        } else {
          await mkdir(dirname(pathOf(digest)), { recursive: true });
          await commit(tmp, digest);
        }
      } catch (e) {
        await rm(tmp, { force: true });
        throw e;
      }
      return { algorithm: ALGORITHM, digest, size };
    },

    async get(digest: string): Promise<Uint8Array> {
      const path = pathOf(digest);
      let bytes: Buffer;
      try {
        bytes = await readFile(path);
      } catch (e) {
        if (isNotFound(e)) throw notFound(digest, path, e);
        throw e;
      }
      const actual = sha256(bytes);
      if (actual !== digest) throw corrupted(digest, path, actual);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },

    async restoreTo(digest: string, dest: string): Promise<void> {
      const path = pathOf(digest);
      const dir = dirname(dest);
      await mkdir(dir, { recursive: true });
      const tmp = join(dir, tempName());
      const h = createHash(ALGORITHM);
      const out = await open(tmp, "wx");
      try {
        try {
          for await (const chunk of createReadStream(path)) {
            h.update(chunk as Buffer);
            await out.write(chunk as Buffer);
          }
        } catch (e) {
          if (isNotFound(e)) throw notFound(digest, path, e);
          throw e;
        }
        const actual = h.digest("hex");
        if (actual !== digest) throw corrupted(digest, path, actual);
        await out.sync();
        await out.close();
        await rename(tmp, dest);
        await fsyncDir(dir);
      } catch (e) {
        await out.close().catch(() => {});
        await rm(tmp, { force: true });
        throw e;
      }
    },

    async has(digest: string): Promise<boolean> {
      try {
        return (await stat(pathOf(digest))).isFile();
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
    },

    verify,

    async list(): Promise<string[]> {
      const out: string[] = [];
      let prefixes: string[];
      try {
        prefixes = await readdir(root);
      } catch (e) {
        if (isNotFound(e)) return out;
        throw e;
      }
      for (const p of prefixes) {
        if (!/^[0-9a-f]{2}$/.test(p)) continue;
        for (const rest of await readdir(join(root, p))) {
          const digest = p + rest;
          if (isSha256Digest(digest)) out.push(digest);
        }
      }
      return out.sort();
    },

    async remove(digest: string): Promise<boolean> {
      const path = pathOf(digest);
      try {
        await rm(path);
      } catch (e) {
        if (isNotFound(e)) return false;
        throw e;
      }
      await fsyncDir(dirname(path));
      return true;
    },
  };
  return store;
}
