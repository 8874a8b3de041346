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
import {
  type BlobCollection,
  isSha256Digest,
  type MetadataTracker,
  REPRODUCE_ARTIFACT,
  type ReproduceRecord,
  type StepCacheEntry,
  StoreError,
  snapshotDigestsOf,
} from "@lolpop/core";
import { localBlobStore } from "./local-blob-store.js";
import { localStepCache } from "./local-step-cache.js";
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

/** Blobs written this long before the oldest RUNNING run started are not protected by it. */
const RUNNING_SLACK_MS = 60_000;

/**
 * `lolpop gc`'s blob collection on the local store (the tracker's `collect_blobs`): the runs gc
 * deletes (`deleted_runs`, with their descendants) and runs that no longer exist lose their step
 * cache entries; the data snapshots of every remaining run (its {@link REPRODUCE_ARTIFACT}) are
 * kept, and so is every blob written since the oldest RUNNING run started (a running run records
 * its snapshots only when it ends). Everything else unreferenced goes, through
 * {@link collectBlobGarbage}.
 */
export async function collectStoreBlobs(
  storeDir: string,
  tracker: Pick<MetadataTracker, "search_runs"> & {
    read_artifact(run_id: string, name: string): Promise<Uint8Array>;
  },
  options: { deleted_runs: readonly string[]; dry_run?: boolean },
): Promise<BlobCollection> {
  const runs = await tracker.search_runs({});
  const children = new Map<string, string[]>();
  for (const r of runs)
    if (r.parent_id) children.set(r.parent_id, [...(children.get(r.parent_id) ?? []), r.id]);
  const deleted = new Set<string>();
  const drop = (id: string): void => {
    if (deleted.has(id)) return;
    deleted.add(id);
    for (const c of children.get(id) ?? []) drop(c);
  };
  for (const id of options.deleted_runs) drop(id);
  const existing = new Set(runs.map((r) => r.id));
  for (const e of await localStepCache(storeDir).entries())
    if (!existing.has(e.run_id)) deleted.add(e.run_id);

  const keep = new Set<string>();
  for (const r of runs) {
    if (deleted.has(r.id)) continue;
    let bytes: Uint8Array;
    try {
      bytes = await tracker.read_artifact(r.id, REPRODUCE_ARTIFACT);
    } catch (e) {
      if (StoreError.isInstance(e) && e.code === "store_not_found") continue;
      throw e;
    }
    let record: Partial<ReproduceRecord>;
    try {
      record = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<ReproduceRecord>;
    } catch (e) {
      throw new StoreError({
        message: `${REPRODUCE_ARTIFACT} of run "${r.id}" is not valid JSON (${(e as Error).message}): gc cannot tell which data snapshots it needs; restore or delete that run`,
        code: "store_corrupted",
        cause: e,
      });
    }
    for (const d of snapshotDigestsOf(record)) keep.add(d);
  }
  const running = runs.filter((r) => r.status === "RUNNING" && !deleted.has(r.id));
  if (running.length) {
    const since = Math.min(...running.map((r) => Date.parse(r.started_at))) - RUNNING_SLACK_MS;
    const blobs = localBlobStore(storeDir);
    for (const d of await blobs.list()) {
      const s = await stat(blobs.pathOf(d)).catch(() => undefined);
      if (s && s.mtimeMs >= since) keep.add(d);
    }
  }
  const plan = await collectBlobGarbage(storeDir, {
    deletedRuns: deleted,
    keep,
    ...(options.dry_run ? { dryRun: true } : {}),
  });
  return {
    entries: plan.entries.map((e) => ({ key: e.key, run_id: e.run_id })),
    blobs: plan.blobs,
    bytes: plan.bytes,
  };
}
