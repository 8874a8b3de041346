/**
 * The local store's step cache: {@link StepCache} on the file system.
 *
 * Layout: `<store>/cache/steps/<key>/<sortable id>.json`, one file per completed step call (format,
 * key, step, run id, created_at, outputs as blob refs), written atomically (temp file, fsync,
 * rename). Callers record an entry only after every output is in the blob store, so a process
 * killed while writing outputs leaves no entry, and an entry whose blob was deleted or corrupted
 * afterwards fails verification and is skipped by {@link StepCache.lookup}. Two runs computing the
 * same step both record an entry (ids differ); the latest that verifies wins.
 */
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import {
  type BlobStore,
  isSha256Digest,
  STEP_CACHE_FORMAT,
  type StepCache,
  type StepCacheEntry,
  writeJsonAtomic,
} from "@lolpop/core";
import { localBlobStore } from "./local-blob-store.js";
import { expectObject, isNotFound, newSortableId, readJson } from "./local-store.js";

/** The step cache of the local store rooted at `storeDir`, its outputs in `blobs` (default: the store's blobs). */
export function localStepCache(storeDir: string, blobs: BlobStore = localBlobStore(storeDir)): StepCache {
  const root = join(storeDir, "cache", "steps");

  async function readEntries(dir: string): Promise<StepCacheEntry[]> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (e) {
      if (isNotFound(e)) return [];
      throw e;
    }
    const out: StepCacheEntry[] = [];
    for (const name of names.filter((n) => n.endsWith(".json") && !n.startsWith(".")).sort()) {
      const path = join(dir, name);
      const entry = expectObject(
        await readJson(path),
        path,
        "a step cache entry",
      ) as unknown as StepCacheEntry;
      // Entries of another cache format are not ours to use.
      if (entry.format === STEP_CACHE_FORMAT) out.push(entry);
    }
    return out;
  }

  return {
    async lookup(key) {
      if (!isSha256Digest(key)) return undefined;
      const entries = await readEntries(join(root, key));
      for (const entry of entries.reverse()) {
        let ok = true;
        for (const ref of Object.values(entry.outputs ?? {}))
          if ((await blobs.verify(ref.digest)) !== "ok") {
            ok = false;
            break;
          }
        if (ok) return entry;
      }
      return undefined;
    },

    async record(partial) {
      if (!isSha256Digest(partial.key))
        throw new Error(`step cache key must be a SHA-256 hex digest, got "${partial.key}"`);
      const entry: StepCacheEntry = {
        format: STEP_CACHE_FORMAT,
        key: partial.key,
        step: partial.step,
        run_id: partial.run_id,
        created_at: new Date().toISOString(),
        outputs: partial.outputs,
      };
      await writeJsonAtomic(join(root, partial.key, `${newSortableId()}.json`), entry);
      return entry;
    },

    async entries() {
      let keys: string[];
      try {
        keys = await readdir(root);
      } catch (e) {
        if (isNotFound(e)) return [];
        throw e;
      }
      const out: StepCacheEntry[] = [];
      for (const key of keys.filter(isSha256Digest).sort()) out.push(...(await readEntries(join(root, key))));
      return out;
    },
  };
}
