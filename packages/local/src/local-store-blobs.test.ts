// The local tracker's blob side for `lolpop gc` and `--reproduce`: collect_blobs (cache entries and
// data snapshots of kept runs stay, those of deleted or vanished runs go; running runs are protected),
// read_artifact, blob_store.
import { mkdtemp, rm, utimes } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPRODUCE_ARTIFACT, StoreError } from "@lolpop/core";
import { localBlobStore } from "./local-blob-store.js";
import { createLocalMetadataTracker } from "./local-metadata-tracker.js";
import { localStepCache } from "./local-step-cache.js";

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "lolpop-storeblobs-"));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const KEY = "d".repeat(64);

/** A finished run whose reproduce record references `snapshot` as a data snapshot. */
async function runWithSnapshot(tracker: ReturnType<typeof createLocalMetadataTracker>, snapshot: string) {
  const run = await tracker.start_run({ name: "workflow-all" });
  await tracker.log_artifact(
    run.id,
    REPRODUCE_ARTIFACT,
    JSON.stringify({
      format: 1,
      data: [
        {
          connector: "process.data_connector",
          via: "path",
          file: "d.csv",
          sha256: snapshot,
          bytes: 1,
          snapshot: true,
        },
      ],
    }),
  );
  await tracker.end_run(run.id, "FINISHED");
  return run.id;
}

/** Makes a blob look written an hour ago (before any run of the test started). */
async function age(digest: string): Promise<void> {
  const old = new Date(Date.now() - 3_600_000);
  await utimes(localBlobStore(tmp).pathOf(digest), old, old);
}

describe("LocalMetadataTracker.collect_blobs", () => {
  it("keeps what kept runs need (cache outputs, data snapshots) and removes the rest; the dry run plans the same", async () => {
    const tracker = createLocalMetadataTracker(tmp);
    const blobs = await tracker.blob_store();
    const cache = localStepCache(tmp, blobs);
    const keptSnap = await blobs.put("kept,data\n1,2\n");
    const goneSnap = await blobs.put("gone,data\n3,4\n");
    const keptOut = await blobs.put("model of the kept run");
    const goneOut = await blobs.put("model of the deleted run");
    const childOut = await blobs.put("model of the deleted run's child");
    const orphan = await blobs.put("referenced by nothing");
    const kept = await runWithSnapshot(tracker, keptSnap.digest);
    const gone = await runWithSnapshot(tracker, goneSnap.digest);
    const child = await tracker.start_run({ name: "train", parent_id: gone });
    await tracker.end_run(child.id, "FINISHED");
    await cache.record({ key: KEY, step: "train", run_id: kept, outputs: { model: keptOut } });
    await cache.record({ key: KEY, step: "train", run_id: gone, outputs: { model: goneOut } });
    await cache.record({ key: KEY, step: "train", run_id: child.id, outputs: { model: childOut } });
    await cache.record({ key: KEY, step: "train", run_id: "20200101T000000000Z-0000000000", outputs: {} });

    const expected = [goneSnap, goneOut, childOut, orphan].map((b) => b.digest).sort();
    const dry = await tracker.collect_blobs({ deleted_runs: [gone], dry_run: true });
    expect(dry.blobs).toEqual(expected);
    expect(dry.bytes).toBe([goneSnap, goneOut, childOut, orphan].reduce((n, b) => n + b.size, 0));
    expect(dry.entries.map((e) => e.run_id).sort()).toEqual(
      [gone, child.id, "20200101T000000000Z-0000000000"].sort(),
    );
    expect((await blobs.list()).length).toBe(6); // nothing removed by the dry run

    await tracker.delete_run(gone);
    const done = await tracker.collect_blobs({ deleted_runs: [gone] });
    expect(done).toEqual(dry);
    expect(await blobs.list()).toEqual([keptSnap.digest, keptOut.digest].sort());
    expect((await cache.entries()).map((e) => e.run_id)).toEqual([kept]);
    expect(await cache.lookup(KEY)).toMatchObject({ run_id: kept });
  });

  it("does not remove blobs a RUNNING run may have written (its record comes when it ends)", async () => {
    const tracker = createLocalMetadataTracker(tmp);
    const blobs = await tracker.blob_store();
    const old = await blobs.put("written before any run");
    await age(old.digest);
    await tracker.start_run({ name: "workflow-all" });
    const fresh = await blobs.put("snapshot of the running run");
    const plan = await tracker.collect_blobs({ deleted_runs: [] });
    expect(plan.blobs).toEqual([old.digest]);
    expect(await blobs.list()).toEqual([fresh.digest]);
  });

  it("read_artifact returns the bytes logged, and store_not_found for a missing artifact or run", async () => {
    const tracker = createLocalMetadataTracker(tmp);
    const run = await tracker.start_run({ name: "r" });
    await tracker.log_artifact(run.id, "sub/a.json", '{"a":1}');
    expect(Buffer.from(await tracker.read_artifact(run.id, "sub/a.json")).toString()).toBe('{"a":1}');
    await expect(tracker.read_artifact(run.id, "nope.json")).rejects.toMatchObject({
      code: "store_not_found",
      message: expect.stringContaining('has no artifact "nope.json"'),
    });
    const missing = await tracker.read_artifact("20990101T000000000Z-0000000000", "a").catch((e) => e);
    expect(StoreError.isInstance(missing) && missing.code).toBe("store_not_found");
    await expect(tracker.read_artifact(run.id, "../run.json")).rejects.toMatchObject({
      code: "store_invalid_name",
    });
  });
});
