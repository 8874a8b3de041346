import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { instantiateComponent, registerSecret, StoreError, Table } from "@lolpop/core";
import { bundleWorker, runWorker } from "../test/fixtures/bundle.mjs";
import {
  createLocalMetadataTracker,
  type LocalMetadataTracker,
  localMetadataTracker,
} from "./local-metadata-tracker.js";

let tmp: string;
let store: string;
let tracker: LocalMetadataTracker;

beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "lolpop-tracker-"));
  store = join(tmp, "store");
  tracker = createLocalMetadataTracker(store);
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const runDir = (id: string) => join(store, "runs", id);

describe("LocalMetadataTracker", () => {
  it("is created from config; dir defaults to the project's state dir", async () => {
    const t = (await instantiateComponent(localMetadataTracker, {
      project: { root: tmp },
    })) as LocalMetadataTracker;
    expect(t.dir).toBe(join(tmp, ".lolpop"));
    const t2 = (await instantiateComponent(localMetadataTracker, {
      config: { dir: "runs-here" },
      project: { root: tmp },
    })) as LocalMetadataTracker;
    expect(t2.dir).toBe(join(tmp, "runs-here"));
  });

  it("starts, updates, ends and reads back a run as readable files", async () => {
    const run = await tracker.start_run({ name: "train", tags: { stage: "train" } });
    expect(run).toMatchObject({ name: "train", status: "RUNNING", tags: { stage: "train" } });
    expect(run.id).toMatch(/^\d{8}T\d{9}Z-[0-9a-f]{10}$/);
    await tracker.log_params(run.id, {
      max_depth: 8,
      criterion: "gini",
      nested: { a: [1, 2] },
      flag: true,
      none: null,
    });
    await tracker.log_params(run.id, { max_depth: 10 });
    await tracker.log_tags(run.id, { winner: "rf" });
    await tracker.log_metrics(run.id, { "valid.f1_macro": 0.8, loss: 0.5 }, { step: 1 });
    await tracker.log_metrics(run.id, { "valid.f1_macro": 0.9, odd: Number.NaN });
    await tracker.end_run(run.id, "FINISHED");

    const rec = await tracker.get_run(run.id);
    expect(rec).toMatchObject({
      id: run.id,
      name: "train",
      status: "FINISHED",
      tags: { stage: "train", winner: "rf" },
      params: { max_depth: "10", criterion: "gini", nested: '{"a":[1,2]}', flag: "true", none: "null" },
      artifacts: [],
      datasets: [],
    });
    expect(rec.metrics["valid.f1_macro"]).toBe(0.9);
    expect(rec.metrics.loss).toBe(0.5);
    expect(rec.metrics.odd).toBeNaN();
    expect(Date.parse(rec.ended_at!)).toBeGreaterThanOrEqual(Date.parse(rec.started_at));

    // The files are plain JSON / JSON lines.
    const lines = (await readFile(join(runDir(run.id), "metrics.jsonl"), "utf8"))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.key, l.value, l.step])).toEqual([
      ["valid.f1_macro", 0.8, 1],
      ["loss", 0.5, 1],
      ["valid.f1_macro", 0.9, 0],
      ["odd", "NaN", 0],
    ]);
    expect(typeof lines[0].timestamp).toBe("number");
    expect(JSON.parse(await readFile(join(runDir(run.id), "run.json"), "utf8")).status).toBe("FINISHED");
    expect(JSON.parse(await readFile(join(runDir(run.id), "params.json"), "utf8")).max_depth).toBe("10");
  });

  it("reads a metric's history in logging order and an artifact's bytes back", async () => {
    const run = await tracker.start_run({ name: "curves" });
    for (let epoch = 0; epoch < 3; epoch++)
      await tracker.log_metrics(run.id, { loss: 1 / (epoch + 1), acc: epoch / 10 }, { step: epoch });
    await tracker.log_metrics(run.id, { "test.acc": 0.9 });
    const loss = await tracker.get_metric_history(run.id, "loss");
    expect(loss.map((p) => [p.step, p.value])).toEqual([
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
    ]);
    expect(typeof loss[0]!.timestamp).toBe("number");
    expect(await tracker.get_metric_history(run.id, "nope")).toEqual([]);
    await tracker.log_artifact(run.id, "checks/drift.html", "<p>drift</p>");
    expect(new TextDecoder().decode(await tracker.read_artifact(run.id, "checks/drift.html"))).toBe(
      "<p>drift</p>",
    );
    await expect(tracker.read_artifact(run.id, "checks/none.html")).rejects.toThrow(/no artifact/);
    await expect(tracker.read_artifact(run.id, "../run.json")).rejects.toThrow();
  });

  it("scrubs registered secrets from params and tags", async () => {
    registerSecret("hunter2-very-secret");
    const run = await tracker.start_run({ name: "r", tags: { url: "postgres://u:hunter2-very-secret@h" } });
    await tracker.log_params(run.id, { dsn: "x hunter2-very-secret y" });
    const rec = await tracker.get_run(run.id);
    expect(rec.tags.url).toBe("postgres://u:***@h");
    expect(rec.params.dsn).toBe("x *** y");
  });

  it("stores text, bytes, files and folders as artifacts and returns file URIs", async () => {
    const run = await tracker.start_run({ name: "r" });
    const u1 = await tracker.log_artifact(run.id, "report.html", "<html></html>");
    await tracker.log_artifact(run.id, "bin/data.bin", new Uint8Array([1, 2, 3]));
    const src = join(tmp, "src");
    await mkdir(join(src, "sub"), { recursive: true });
    await writeFile(join(src, "a.txt"), "A");
    await writeFile(join(src, "sub", "b.txt"), "B");
    const u3 = await tracker.log_artifact(run.id, "model", { path: src });
    await writeFile(join(tmp, "single.json"), "{}");
    await tracker.log_artifact(run.id, "single.json", { path: join(tmp, "single.json") });
    // Replacing a folder artifact swaps it whole.
    await rm(join(src, "sub"), { recursive: true });
    await tracker.log_artifact(run.id, "model", { path: src });

    expect(await readFile(fileURLToPath(u1), "utf8")).toBe("<html></html>");
    expect(u3).toBe(`file://${join(runDir(run.id), "artifacts", "model")}`);
    expect(await readFile(join(runDir(run.id), "artifacts", "bin", "data.bin"))).toEqual(
      Buffer.from([1, 2, 3]),
    );
    expect((await tracker.get_run(run.id)).artifacts).toEqual([
      "bin/data.bin",
      "model/a.txt",
      "report.html",
      "single.json",
    ]);
    expect((await readdir(join(runDir(run.id), "artifacts"))).filter((e) => e.startsWith("."))).toEqual([]);

    await expect(tracker.log_artifact(run.id, "../escape.txt", "x")).rejects.toThrow(/relative path/);
    await expect(tracker.log_artifact(run.id, "x", { path: join(tmp, "missing") })).rejects.toThrow(
      /does not exist/,
    );
  });

  it("versions datasets by fingerprint across runs", async () => {
    const table = Table.fromColumns({ a: [1, 2, 3], y: ["x", "y", "x"] }, { roles: { y: "target" } });
    const info = {
      name: "penguins",
      fingerprint: table.fingerprint(),
      rows: 3,
      columns: 2,
      source: "data.csv",
      context: "raw" as const,
      schema: table.schema.map((s) => ({ name: s.name, type: s.type, role: s.role })),
    };
    const r1 = await tracker.start_run({ name: "r1" });
    expect(await tracker.log_dataset(r1.id, info)).toBeUndefined();
    await tracker.log_dataset(r1.id, { ...info, name: "train", context: "training" });
    const r2 = await tracker.start_run({ name: "r2" });
    await tracker.log_dataset(r2.id, info); // same content: same version
    const r3 = await tracker.start_run({ name: "r3" });
    await tracker.log_dataset(r3.id, { ...info, fingerprint: "other" }); // new content: version 2
    await tracker.log_dataset(r3.id, { ...info, fingerprint: "third" }); // same name+context in a run: replaced

    expect((await tracker.get_run(r1.id)).datasets.map((d: any) => [d.name, d.version])).toEqual([
      ["penguins", 1],
      ["train", 1],
    ]);
    expect((await tracker.get_run(r2.id)).datasets.map((d: any) => d.version)).toEqual([1]);
    expect((await tracker.get_run(r3.id)).datasets.map((d: any) => [d.fingerprint, d.version])).toEqual([
      ["third", 3],
    ]);
    const index = JSON.parse(await readFile(join(store, "datasets", "penguins.json"), "utf8"));
    expect(index.versions.map((v: any) => [v.version, v.fingerprint, v.runs])).toEqual([
      [1, table.fingerprint(), [r1.id, r2.id]],
      [2, "other", [r3.id]],
      [3, "third", [r3.id]],
    ]);
    expect((await tracker.get_dataset_versions("penguins"))?.versions).toHaveLength(3);
    expect(await tracker.get_dataset_versions("nope")).toBeUndefined();
  });

  it("searches runs by tags and parent, newest first, ignoring half-created folders", async () => {
    const parent = await tracker.start_run({ name: "workflow", tags: { kind: "workflow" } });
    const a = await tracker.start_run({
      name: "trial",
      parent_id: parent.id,
      tags: { kind: "trial", trainer: "rf" },
    });
    const b = await tracker.start_run({
      name: "trial",
      parent_id: parent.id,
      tags: { kind: "trial", trainer: "knn" },
    });
    const c = await tracker.start_run({
      name: "trial",
      parent_id: parent.id,
      tags: { kind: "trial", trainer: "rf" },
    });
    // Debris: a crashed start_run's temp folder, a folder without run.json, a stray file.
    await mkdir(join(store, "runs", ".tmp-999999-abcdef"));
    await writeFile(join(store, "runs", ".tmp-999999-abcdef", "run.json"), "{half");
    await mkdir(join(store, "runs", "20990101T000000000Z-deadbeef00"));
    await writeFile(join(store, "runs", "notes.txt"), "hi");

    expect((await tracker.search_runs({ parent_id: parent.id })).map((r) => r.id)).toEqual([
      c.id,
      b.id,
      a.id,
    ]);
    expect((await tracker.search_runs({ tags: { trainer: "rf" } })).map((r) => r.id)).toEqual([c.id, a.id]);
    expect((await tracker.search_runs({ tags: { kind: "trial" }, limit: 1 })).map((r) => r.id)).toEqual([
      c.id,
    ]);
    expect((await tracker.search_runs({})).map((r) => r.id)).toEqual([c.id, b.id, a.id, parent.id]);
    expect(await tracker.search_runs({ tags: { kind: "nope" } })).toEqual([]);
    expect(await createLocalMetadataTracker(join(tmp, "empty")).search_runs({})).toEqual([]);
    expect(a.parent_id).toBe(parent.id);
    await expect(
      tracker.start_run({ name: "x", parent_id: "20000101T000000000Z-0000000000" }),
    ).rejects.toThrow(/does not exist/);
  });

  it("reports unknown runs, bad ids and bad values", async () => {
    const err = await tracker.get_run("20000101T000000000Z-0000000000").catch((e) => e);
    expect(StoreError.isInstance(err)).toBe(true);
    expect(err.message).toMatch(/Run "20000101T000000000Z-0000000000" does not exist in /);
    await expect(tracker.log_metrics("../../etc", { a: 1 })).rejects.toThrow(/Invalid run id/);
    const run = await tracker.start_run({ name: "r" });
    await expect(tracker.log_metrics(run.id, { a: "x" as unknown as number })).rejects.toThrow(
      /must be a number/,
    );
    await expect(tracker.end_run(run.id, "DONE" as never)).rejects.toThrow(/Unknown run status/);
    await expect(tracker.start_run({ name: "" })).rejects.toThrow(/non-empty/);
  });

  it("loses no update when one process logs to one run concurrently", async () => {
    const run = await tracker.start_run({ name: "r" });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Promise.all([
          tracker.log_params(run.id, { [`p${i}`]: i }),
          tracker.log_tags(run.id, { [`t${i}`]: String(i) }),
          tracker.log_metrics(run.id, { [`m${i}`]: i }),
        ]),
      ),
    );
    const rec = await tracker.get_run(run.id);
    expect(Object.keys(rec.params)).toHaveLength(20);
    expect(Object.keys(rec.tags)).toHaveLength(20);
    expect(Object.keys(rec.metrics)).toHaveLength(20);
  });

  it("keeps every run intact when several processes log at once", async () => {
    const bundle = await bundleWorker();
    try {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) => runWorker(bundle, ["track", store, `w${i}`, "15"])),
      );
      for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
      const runs = await tracker.search_runs({});
      expect(runs).toHaveLength(5);
      for (const info of runs) {
        const rec = await tracker.get_run(info.id);
        expect(rec.status).toBe("FINISHED");
        expect(Object.keys(rec.params)).toHaveLength(15);
        expect(Object.keys(rec.metrics)).toHaveLength(16);
        expect(rec.metrics.loss).toBeCloseTo(1 / 15);
        expect(Object.keys(rec.tags)).toHaveLength(16);
        expect(rec.artifacts).toEqual(["notes.txt"]);
        expect(rec.datasets.map((d: any) => d.version)).toEqual([1]);
      }
      const index = JSON.parse(await readFile(join(store, "datasets", "shared.json"), "utf8"));
      expect(index.versions).toHaveLength(1);
      expect(index.versions[0].runs).toHaveLength(5);
    } finally {
      await rm(dirname(bundle), { recursive: true, force: true });
    }
  }, 60_000);

  it("repairs a metrics line cut by a crash and reports a corrupted one with its path and line", async () => {
    const run = await tracker.start_run({ name: "r" });
    await tracker.log_metrics(run.id, { a: 1 });
    const path = join(runDir(run.id), "metrics.jsonl");
    await appendFile(path, '{"key":"b","val'); // a killed writer's partial line
    expect((await tracker.get_run(run.id)).metrics).toEqual({ a: 1 });
    await tracker.log_metrics(run.id, { c: 3 });
    expect((await tracker.get_run(run.id)).metrics).toEqual({ a: 1, c: 3 });
    await appendFile(path, "garbage\n");
    const err = await tracker.get_run(run.id).catch((e) => e);
    expect(StoreError.isInstance(err)).toBe(true);
    expect(err.message).toContain(path);
    expect(err.message).toContain("line 3");
  });

  it("reports corrupted run.json, params.json and datasets.json with their path", async () => {
    const run = await tracker.start_run({ name: "r" });
    const runJson = join(runDir(run.id), "run.json");
    await writeFile(runJson, '{"id": ');
    for (const call of [
      () => tracker.get_run(run.id),
      () => tracker.search_runs({}),
      () => tracker.log_tags(run.id, { a: "b" }),
    ]) {
      const err = await call().catch((e) => e);
      expect(StoreError.isInstance(err)).toBe(true);
      expect(err.message).toContain(runJson);
      expect(err.message).toContain("restore it or delete it");
    }
    await writeFile(runJson, JSON.stringify({ hello: "world" }));
    await expect(tracker.get_run(run.id)).rejects.toThrow(runJson);

    const other = await tracker.start_run({ name: "o" });
    const params = join(runDir(other.id), "params.json");
    await writeFile(params, "nope");
    await expect(tracker.get_run(other.id)).rejects.toThrow(params);
    await writeFile(params, "{}");
    const datasets = join(runDir(other.id), "datasets.json");
    await writeFile(datasets, '{"not": "a list"}');
    await expect(tracker.get_run(other.id)).rejects.toThrow(datasets);
  });
});
