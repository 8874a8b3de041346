/**
 * Garbage collection of the local store's blobs and step cache entries (what `lolpop gc` is to
 * call once it collects blobs; see docs/architecture.md "Step caching").
 *
 * Rule: a step cache entry goes when the run that recorded it is deleted (`deletedRuns`); a blob
 * goes when no remaining entry references it and it is not in `keep` (blobs other records need,
 * e.g. a data snapshot of a kept run). One plan serves the dry run and the deletion, so `--dry-run`
 * lists exactly what is removed. Entries are removed before blobs, so a crash in between leaves
 * unreferenced blobs (collected next time), never an entry pointing at a deleted blob that verifies.
 */
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { isSha256Digest, type StepCacheEntry } from "@lolpop/core";
import { localBlobStore } from "./local-blob-store.js";
import { expectObject, isNotFound, readJson } from "./local-store.js";

/** What {@link collectBlobGarbage} removes (or would remove, in a dry run). */
export interface BlobGcPlan {
  /** Step cache entries of deleted runs: key, run and file. */
  entries: Array<{ key: string; run_id: string; file: string }>;
  /** Unreferenced blob digests, sorted. */
  blobs: string[];
  /** Bytes the removed blobs take. */
  bytes: number;
}

/** Plans, and unless `dryRun` performs, the removal of unreferenced blobs and dead cache entries. */
export async function collectBlobGarbage(
  storeDir: string,
  options: { deletedRuns?: ReadonlySet<string>; keep?: ReadonlySet<string>; dryRun?: boolean } = {},
): Promise<BlobGcPlan> {
  const deleted = options.deletedRuns ?? new Set<string>();
  const blobs = localBlobStore(storeDir);
  const cacheRoot = join(storeDir, "cache", "steps");
  const referenced = new Set<string>(options.keep ?? []);
  const entries: BlobGcPlan["entries"] = [];
  let keys: string[] = [];
  try {
    keys = (await readdir(cacheRoot)).filter(isSha256Digest).sort();
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  for (const key of keys) {
    for (const name of (await readdir(join(cacheRoot, key))).filter(
      (n) => n.endsWith(".json") && !n.startsWith("."),
    )) {
      const file = join(cacheRoot, key, name);
      const entry = expectObject(
        await readJson(file),
        file,
        "a step cache entry",
      ) as unknown as StepCacheEntry;
      if (deleted.has(entry.run_id)) entries.push({ key, run_id: entry.run_id, file });
      else for (const ref of Object.values(entry.outputs ?? {})) referenced.add(ref.digest);
    }
  }
  const garbage: string[] = [];
  let bytes = 0;
  for (const digest of await blobs.list()) {
    if (referenced.has(digest)) continue;
    garbage.push(digest);
    bytes += (await stat(blobs.pathOf(digest))).size;
  }
  const plan: BlobGcPlan = { entries, blobs: garbage, bytes };
  if (!options.dryRun) {
    for (const e of entries) await rm(e.file, { force: true });
    for (const d of garbage) await blobs.remove(d);
  }
  return plan;
}
