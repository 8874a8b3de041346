// `lolpop run --reproduce <run-id>` on real quickstart runs: the recorded config, data (snapshotted
// or as it is when unchanged), code and plugins; what drifted refuses the run unless --allow-drift;
// and `lolpop gc` keeps the data snapshots of kept runs and removes those of deleted runs.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { lolpop } from "./helpers.js";
import { editCsv, penguinsProject, penguinsYaml, runs, storeDir, versionMetrics } from "./penguins.js";

/** `lolpop run --json ...`, parsed; throws with stderr when it fails. */
function runJson(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const r = lolpop(["run", "--json", ...args], dir, env);
  if (r.code !== 0) throw new Error(`lolpop run ${args.join(" ")} exited ${r.code}:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

const record = (dir: string, runId: string) =>
  JSON.parse(readFileSync(join(storeDir(dir), "runs", runId, "artifacts", "reproduce.json"), "utf8"));

const blobPath = (dir: string, digest: string) =>
  join(storeDir(dir), "blobs", "sha256", digest.slice(0, 2), digest.slice(2));

/** The step cache entries the run recorded (`<store>/cache/steps/<key>/<id>.json`). */
const cacheEntriesOf = (dir: string, runId: string) => {
  const root = join(storeDir(dir), "cache", "steps");
  const all = existsSync(root)
    ? readdirSync(root).flatMap((key) =>
        readdirSync(join(root, key)).map((f) => JSON.parse(readFileSync(join(root, key, f), "utf8"))),
      )
    : [];
  return all.filter((e) => e.run_id === runId) as Array<{
    key: string;
    run_id: string;
    outputs: Record<string, { digest: string }>;
  }>;
};

/** Adds a penguin to data/train.csv: the data the recorded run read is gone from the disk. */
const changeTrainData = (dir: string) =>
  editCsv(dir, "train.csv", (lines) => [...lines, "9001,Adelie,Torgersen,40.2,19.1,190,3900,male"]);

describe("lolpop run --reproduce", () => {
  it("reproduces a quickstart run's metrics exactly, also from its data snapshot after the file changed", () => {
    const dir = penguinsProject("lolpop-reproduce-snap-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ snapshotData: true, noPredict: true }));
    const first = runJson(dir);
    const rec = record(dir, first.run_id);
    // What the run recorded: its config (from the file, not redacted away), plugins, seeds, data.
    expect(rec.config.data.process.data_connector.config).toMatchObject({
      path: "data/train.csv",
      snapshot_data: true,
    });
    expect(rec.plugins).toMatchObject({
      "@lolpop/local": expect.any(String),
      "@lolpop/core": expect.any(String),
    });
    expect(rec.seeds["train.data_splitter"]).toBe(42);
    const train = rec.data.find((d: { connector: string }) => d.connector === "process.data_connector");
    expect(train).toMatchObject({ file: "data/train.csv", via: "path", snapshot: true });
    expect(existsSync(blobPath(dir, train.sha256))).toBe(true);

    // The current file changes in a way that would change every metric; the recorded config must win too.
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ snapshotData: true, noPredict: true, trees: 3 }));
    const same = runJson(dir, ["--reproduce", first.run_id]);
    expect(same.reproduced_from).toBe(first.run_id);
    expect(same.drift).toEqual([]);
    expect(same.train.metrics).toEqual(first.train.metrics);
    expect(same.train.params).toEqual(first.train.params);
    // Same data, config and seeds: the version of the first run is the one reproduced.
    expect(same.train).toMatchObject({ registered: false, identical_to: first.train.version });

    changeTrainData(dir);
    const fromSnapshot = runJson(dir, ["--reproduce", first.run_id]);
    expect(fromSnapshot.drift).toEqual([]);
    expect(fromSnapshot.process.fingerprint).toBe(first.process.fingerprint);
    expect(fromSnapshot.train.metrics).toEqual(first.train.metrics);
    // The new version's own metrics are the recorded version's (it adds the comparison with that champion).
    const own = (m: Record<string, number>) =>
      Object.fromEntries(Object.entries(m).filter(([k]) => !k.startsWith("champion.")));
    expect(own(versionMetrics(dir, fromSnapshot.train.version))).toEqual(
      versionMetrics(dir, first.train.version),
    );
    const tagged = runs(dir).find((r) => r.id === fromSnapshot.run_id)!;
    expect(tagged.tags["lolpop.reproduced_from"]).toBe(first.run_id);
    expect(tagged.tags["lolpop.reproduce_drift"]).toBeUndefined();
  }, 300_000);

  it("refuses when the data changed without a snapshot, and runs with --allow-drift saying what drifted", () => {
    const dir = penguinsProject("lolpop-reproduce-nosnap-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ noPredict: true }));
    const first = runJson(dir);
    expect(record(dir, first.run_id).data[0]).toMatchObject({ file: "data/train.csv", snapshot: false });
    changeTrainData(dir);
    const before = runs(dir).length;
    const refused = lolpop(["run", "--reproduce", first.run_id], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`--reproduce ${first.run_id}: the run cannot be reproduced as recorded`);
    expect(refused.stderr).toMatch(
      /data data\/train\.csv \(process\.data_connector\): recorded sha256 [0-9a-f]{12}; now sha256 [0-9a-f]{12} \(changed\), and the run kept no snapshot \(set snapshot_data: true/,
    );
    expect(refused.stderr).toContain("--allow-drift");
    expect(runs(dir).length).toBe(before); // nothing ran

    const drifted = runJson(dir, ["--reproduce", first.run_id, "--allow-drift"]);
    expect(drifted.drift).toEqual([
      expect.objectContaining({ kind: "data", what: "data/train.csv (process.data_connector)" }),
    ]);
    expect(drifted.process.fingerprint).not.toBe(first.process.fingerprint);
    const tags = runs(dir).find((r) => r.id === drifted.run_id)!.tags;
    expect(tags["lolpop.reproduced_from"]).toBe(first.run_id);
    expect(tags["lolpop.reproduce_drift"]).toMatch(/^data data\/train\.csv/);
  }, 300_000);

  it("checks user code with its local imports, environment variables by hash and plugin versions", () => {
    const dir = penguinsProject("lolpop-reproduce-code-");
    writeFileSync(join(dir, "helper.mjs"), "export const factor = 1;\n");
    writeFileSync(
      join(dir, "features.mjs"),
      [
        'import { factor } from "./helper.mjs";',
        "export function transform(table) {",
        '  const depth = table.numeric("beak_depth_mm");',
        '  return table.withColumn("beak_ratio", Float64Array.from(table.numeric("beak_length_mm"), (v, i) => (factor * v) / depth[i]));',
        "}",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "lolpop.yaml"),
      penguinsYaml({
        noPredict: true,
        seed: `\${env:PENGUIN_SEED}`,
        processTransformer: "      module: features.mjs",
      }),
    );
    const first = runJson(dir, [], { PENGUIN_SEED: "7" });
    const rec = record(dir, first.run_id);
    expect(rec.code["process.data_transformer"]).toMatchObject({
      source: "features.mjs",
      files: ["features.mjs", "helper.mjs"],
    });
    // The variable is recorded by name and hash, never its value.
    expect(rec.config.data.train.config.seed).toBe(`\${env:PENGUIN_SEED}`);
    expect(Object.keys(rec.env)).toEqual(["PENGUIN_SEED"]);
    expect(rec.env.PENGUIN_SEED).toMatch(/^[0-9a-f]{64}$/);

    const ok = runJson(dir, ["--reproduce", first.run_id], { PENGUIN_SEED: "7" });
    expect(ok.train.metrics).toEqual(first.train.metrics);

    writeFileSync(join(dir, "helper.mjs"), "export const factor = 2;\n");
    const r = lolpop(["run", "--reproduce", first.run_id], dir, { PENGUIN_SEED: "8" });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /code process\.data_transformer features\.mjs: recorded sha256 [0-9a-f]{12} over features\.mjs, helper\.mjs; now sha256 [0-9a-f]{12} \(a file's content changed\)/,
    );
    expect(r.stderr).toMatch(
      /env environment variable PENGUIN_SEED: recorded set \(sha256 [0-9a-f]{12}\); now set \(sha256 [0-9a-f]{12}\)/,
    );
    expect(r.stderr).not.toMatch(/PENGUIN_SEED[^\n]*\b8\b/);

    // A plugin at another version than recorded (the record is edited: one plugin version installed here).
    writeFileSync(join(dir, "helper.mjs"), "export const factor = 1;\n");
    const file = join(storeDir(dir), "runs", first.run_id, "artifacts", "reproduce.json");
    writeFileSync(file, JSON.stringify({ ...rec, plugins: { ...rec.plugins, "@lolpop/local": "0.0.1" } }));
    const p = lolpop(["run", "--reproduce", first.run_id], dir, { PENGUIN_SEED: "7" });
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/plugin @lolpop\/local: recorded 0\.0\.1; now \d+\.\d+\.\d+/);
    expect(p.stderr).not.toMatch(/^\s+- (code|env)/m);
  }, 300_000);

  it("names the run and the store when the run id is unknown, and refuses --set or --step with it", () => {
    const dir = penguinsProject("lolpop-reproduce-missing-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ noPredict: true }));
    const r = lolpop(["run", "--reproduce", "20990101T000000000Z-0000000000"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `--reproduce 20990101T000000000Z-0000000000: no run with that id in the store of ${join(dir, "lolpop.yaml")}`,
    );
    expect(r.stderr).toContain("lolpop runs list");
    expect(lolpop(["run", "--reproduce", "x", "--set", "train.config.seed=1"], dir).stderr).toMatch(
      /cannot be combined with --set/,
    );
    expect(lolpop(["run", "--allow-drift"], dir).stderr).toMatch(/--allow-drift goes with --reproduce/);
  }, 120_000);
});

describe("lolpop gc and data snapshots", () => {
  it("keeps the snapshots of kept runs, removes those of deleted runs; --dry-run lists exactly that", () => {
    const dir = penguinsProject("lolpop-reproduce-gc-");
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ snapshotData: true, noPredict: true }));
    // The run of the champion (kept by its alias), then a process-only run of other data (kept by nothing).
    const champion = runJson(dir);
    expect(champion.deploy).toMatchObject({ promoted: true });
    changeTrainData(dir);
    const other = runJson(dir, ["--step", "process"]);
    const keptBlob = record(dir, champion.run_id).data[0].sha256 as string;
    const doomedBlob = record(dir, other.run_id).data[0].sha256 as string;
    expect(doomedBlob).not.toBe(keptBlob);

    const dry = lolpop(["gc", "--keep", "0", "--dry-run", "--json"], dir);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout);
    expect(plan.runs.map((r: { id: string }) => r.id)).toEqual([other.run_id]);
    // The deleted run's step cache entry (its process step) goes too, with the blob of its output.
    const doomedEntries = cacheEntriesOf(dir, other.run_id);
    expect(doomedEntries.map((e) => Object.keys(e.outputs).length > 0)).toEqual([true]);
    const doomedBlobs = [
      ...new Set([
        doomedBlob,
        ...doomedEntries.flatMap((e) => Object.values(e.outputs).map((o) => o.digest)),
      ]),
    ].sort();
    const keptEntryBlobs = cacheEntriesOf(dir, champion.run_id).flatMap((e) =>
      Object.values(e.outputs).map((o) => o.digest),
    );
    expect(keptEntryBlobs.length).toBeGreaterThan(0);
    expect(doomedBlobs.filter((d) => keptEntryBlobs.includes(d))).toEqual([]);
    expect(plan.blobs).toEqual({
      entries: doomedEntries.map(({ key, run_id }) => ({ key, run_id })),
      blobs: doomedBlobs,
      bytes: doomedBlobs.reduce((n, d) => n + readFileSync(blobPath(dir, d)).length, 0),
    });
    expect(existsSync(blobPath(dir, doomedBlob))).toBe(true);
    const text = lolpop(["gc", "--keep", "0", "--dry-run"], dir);
    expect(text.stdout).toMatch(
      new RegExp(
        `would remove ${doomedBlobs.length} unreferenced blob\\(s\\) \\(\\d+(\\.\\d)? kB\\) and 1 step cache entry\\b`,
      ),
    );

    const done = JSON.parse(lolpop(["gc", "--keep", "0", "--json"], dir).stdout);
    expect(done.deleted.runs).toBe(1);
    expect(done.blobs.blobs).toEqual(doomedBlobs);
    // The kept run's cache entries keep their blobs.
    for (const d of keptEntryBlobs) expect(existsSync(blobPath(dir, d))).toBe(true);
    expect(existsSync(blobPath(dir, doomedBlob))).toBe(false);
    expect(existsSync(blobPath(dir, keptBlob))).toBe(true);
    // Nothing left to collect, and the kept run is still reproducible from its snapshot.
    expect(JSON.parse(lolpop(["gc", "--keep", "0", "--json"], dir).stdout).blobs.blobs).toEqual([]);
    editCsv(dir, "train.csv", (lines) => lines.slice(0, 50));
    const again = runJson(dir, ["--reproduce", champion.run_id]);
    expect(again.drift).toEqual([]);
    expect(again.train.metrics).toEqual(champion.train.metrics);
  }, 300_000);
});
