// `lolpop run` and the step cache (issue 24): a second run with nothing changed takes process,
// split, encode and train from the cache with identical results; changing one thing re-runs exactly
// what depends on it; damaged blobs are detected; concurrent runs; --no-cache and `cache: false`.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { localBlobStore, localStepCache } from "@lolpop/local";
import { lolpopAsync } from "./cli-helpers.js";
import { lolpop } from "./helpers.js";
import { editCsv, type PenguinsConfig, penguinsProject, penguinsYaml, runs, storeDir } from "./penguins.js";

type Summary = Record<string, any>;

function project(prefix: string, config: PenguinsConfig = {}, edit: (yaml: string) => string = (y) => y) {
  const dir = penguinsProject(prefix);
  writeFileSync(join(dir, "lolpop.yaml"), edit(penguinsYaml({ noPredict: true, ...config })));
  return dir;
}

function run(dir: string, ...args: string[]): Summary {
  const r = lolpop(["run", "--json", ...args], dir);
  if (r.code !== 0) throw new Error(`lolpop run failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  const s = JSON.parse(r.stdout) as Summary;
  expect(s.ok).toBe(true);
  return s;
}

/** The steps of a summary taken from the cache, sorted. */
const cached = (s: Summary) => Object.keys(s.cached ?? {}).sort();

/** The cache entries of `step` (newest last). */
async function entries(dir: string, step: string) {
  return (await localStepCache(storeDir(dir)).entries()).filter((e) => e.step === step);
}

const sha = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");

/** SHA-256 of every file of a version's model folder. */
function modelFiles(dir: string, version: number): Record<string, string> {
  const m = join(storeDir(dir), "models", "penguins", "versions", String(version), "model");
  return Object.fromEntries(readdirSync(m).map((f) => [f, sha(join(m, f))]));
}

const ALL = ["encode", "process", "split", "train"];

describe("a second run with nothing changed", () => {
  it("takes process, split, encode and train from the cache: same metrics, same model bytes, same predictions", () => {
    const dir = project("lolpop-cache-same-", { noPredict: false });
    const first = run(dir);
    expect(first.cached).toBeUndefined();
    const predictions = readFileSync(join(dir, "predictions", "penguins.csv"), "utf8");

    // --force: an identical challenger is trained (from the cache) and registered again.
    const second = run(dir, "--force");
    expect(cached(second)).toEqual(ALL);
    for (const step of ALL) expect(second.cached[step]).toBe(first.run_id);
    expect(second.train.version).toBe(2);
    expect(second.train.metrics).toEqual(first.train.metrics);
    expect(second.train.baseline).toEqual(first.train.baseline);
    expect(second.process.fingerprint).toBe(first.process.fingerprint);
    expect(modelFiles(dir, 2)).toEqual(modelFiles(dir, 1));
    expect(readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")).toBe(predictions);

    // "cached from run X" on the run (tags) and in its lineage.
    const tracked = runs(dir).find((r) => r.id === second.run_id)!;
    expect(tracked.tags["lolpop.cache.train"]).toBe(first.run_id);
    expect(tracked.tags["lolpop.cache.process"]).toBe(first.run_id);
    expect(second.lineage.extra.step_cache.encode).toEqual({
      key: expect.stringMatching(/^[0-9a-f]{64}$/),
      cached_from: first.run_id,
    });

    // Without --force the identical version is found after the cached split: not trained again.
    const third = lolpop(["run"], dir);
    expect(third.code).toBe(0);
    expect(third.stdout).toMatch(/cached\s+process, split from run /);
    expect(third.stdout).toMatch(/not registered, identical to v1/);
  }, 180_000);
});

describe("changing one thing re-runs exactly what depends on it", () => {
  it("the data file: every step runs again", () => {
    const dir = project("lolpop-cache-data-");
    run(dir);
    editCsv(dir, "train.csv", (lines) => lines.slice(0, -3));
    const s = run(dir, "--force");
    expect(s.cached).toBeUndefined();
    expect(s.lineage.extra.step_cache.process.cached_from).toBeUndefined();
  }, 180_000);

  it("a transform module's imported helper: process runs again; what follows only when its output changed", () => {
    const dir = project("lolpop-cache-helper-", {
      processTransformer: "      module: transforms/prep.mjs",
    });
    mkdirSync(join(dir, "transforms"));
    writeFileSync(
      join(dir, "transforms", "prep.mjs"),
      [
        'import { factor } from "./helper.mjs";',
        "export function transform(table) {",
        "  return table.withColumn('beak_ratio', table.values('beak_length_mm').map((v, i) => (v / table.values('beak_depth_mm')[i]) * factor));",
        "}",
        "",
      ].join("\n"),
    );
    const helper = (factor: number, comment = "") =>
      writeFileSync(join(dir, "transforms", "helper.mjs"), `${comment}export const factor = ${factor};\n`);
    helper(2);
    const first = run(dir);
    expect(first.cached).toBeUndefined();

    // The helper's bytes changed, not what it computes: process runs, the same table follows.
    helper(2, "// the same factor\n");
    const comment = run(dir, "--force");
    expect(cached(comment)).toEqual(["encode", "split", "train"]);
    expect(comment.process.fingerprint).toBe(first.process.fingerprint);

    // What it computes changed: every step runs.
    helper(3);
    const changed = run(dir, "--force");
    expect(changed.cached).toBeUndefined();
    expect(changed.process.fingerprint).not.toBe(first.process.fingerprint);
  }, 240_000);

  it("a trainer param: only train runs again", () => {
    const dir = project("lolpop-cache-param-", { trees: 10 });
    const first = run(dir);
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ noPredict: true, trees: 12 }));
    const s = run(dir);
    expect(cached(s)).toEqual(["encode", "process", "split"]);
    expect(s.train.params.n_estimators).toBe(12);
    expect(s.train.version).toBe(first.train.version + 1);
  }, 180_000);

  it("the seed: only train runs again", () => {
    const dir = project("lolpop-cache-seed-", { seed: 42 });
    run(dir);
    writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ noPredict: true, seed: 7 }));
    const s = run(dir);
    expect(cached(s)).toEqual(["encode", "process", "split"]);
    expect(s.lineage.extra.step_cache.train.cached_from).toBeUndefined();
  }, 180_000);
});

/** A project-local plugin with a `data_splitter` (rows by position: 0-1 train, 2 valid, 3 test of every 4). */
function writeSplitterPlugin(dir: string, version: string): void {
  const pkg = join(dir, "quarters");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, "package.json"),
    JSON.stringify({
      name: "lolpop-plugin-quarters",
      version,
      type: "module",
      exports: { ".": "./index.js", "./package.json": "./package.json" },
      peerDependencies: { "@lolpop/core": ">=0.1.0 <1.0.0" },
      lolpop: { apiVersion: 1, components: [{ kind: "data_splitter", type: "QuartersSplitter" }] },
    }),
  );
  writeFileSync(
    join(pkg, "index.js"),
    `import { defineComponent, definePlugin, registerPlugin } from "@lolpop/core";
const at = (n, keep) => Array.from({ length: n }, (_, i) => i).filter((i) => keep(i % 4));
const splitter = defineComponent({
  kind: "data_splitter",
  type: "QuartersSplitter",
  description: "fixture",
  create: () => ({
    split_data: async (t) => ({
      train: t.take(at(t.numRows, (r) => r < 2)),
      valid: t.take(at(t.numRows, (r) => r === 2)),
      test: t.take(at(t.numRows, (r) => r === 3)),
    }),
  }),
});
export default registerPlugin(definePlugin({ name: "lolpop-plugin-quarters", version: ${JSON.stringify(version)}, components: [splitter] }));
`,
  );
}

describe("a plugin version", () => {
  it("changes the key of the steps its components run: they run again, the rest comes from the cache", () => {
    const quarters = (yaml: string) =>
      `plugins: ["@lolpop/workflows", "@lolpop/local", "@lolpop/random-forest", "./quarters"]\n${yaml
        .replace("    data_splitter: LocalDataSplitter", "    data_splitter: QuartersSplitter")
        .replace(
          "  data_splitter:\n    config:\n      split_ratio: [0.7, 0.15, 0.15]\n      seed: 42\n",
          "",
        )}`;
    const dir = project("lolpop-cache-plugin-", {}, quarters);
    writeSplitterPlugin(dir, "1.0.0");
    const first = run(dir);
    expect(first.lineage.plugins).toContainEqual({ name: "lolpop-plugin-quarters", version: "1.0.0" });
    expect(cached(run(dir, "--force"))).toEqual(ALL);

    writeSplitterPlugin(dir, "1.0.1");
    const s = run(dir, "--force");
    expect(s.lineage.plugins).toContainEqual({ name: "lolpop-plugin-quarters", version: "1.0.1" });
    // The split runs again; it makes the same tables, so encode and train (keyed by content) follow from the cache.
    expect(cached(s)).toEqual(["encode", "process", "train"]);
    expect(s.lineage.extra.step_cache.split.cached_from).toBeUndefined();
  }, 180_000);
});

describe("damaged blobs", () => {
  it("a corrupted model blob and a deleted table blob are detected, the step runs again, the cache is repaired", async () => {
    const dir = project("lolpop-cache-damage-");
    const first = run(dir);
    const blobs = localBlobStore(storeDir(dir));
    const [train] = await entries(dir, "train");
    const modelBlob = Object.values(train!.outputs)[0]!.digest;
    writeFileSync(blobs.pathOf(modelBlob), "not the model");
    const [processEntry] = await entries(dir, "process");
    const tableBlob = processEntry!.outputs.table!.digest;
    await blobs.remove(tableBlob);

    const s = run(dir, "--force");
    // process runs again and makes the same table, so split and encode still come from the cache.
    expect(cached(s)).toEqual(["encode", "split"]);
    expect(s.train.metrics).toEqual(first.train.metrics);
    expect(await blobs.verify(modelBlob)).toBe("ok");
    expect(await blobs.verify(tableBlob)).toBe("ok");
    expect(cached(run(dir, "--force"))).toEqual(ALL);
  }, 180_000);
});

describe("two concurrent runs", () => {
  it("both succeed and every cache entry verifies after", async () => {
    const dir = project("lolpop-cache-concurrent-");
    const [a, b] = await Promise.all([lolpopAsync(["run"], dir), lolpopAsync(["run"], dir)]);
    expect({ a: a.code, b: b.code, err: a.code || b.code ? a.stderr + b.stderr : "" }).toEqual({
      a: 0,
      b: 0,
      err: "",
    });
    const cache = localStepCache(storeDir(dir));
    const all = await cache.entries();
    expect(all.length).toBeGreaterThanOrEqual(4);
    for (const e of all) expect((await cache.lookup(e.key))?.key).toBe(e.key);
    expect(cached(run(dir, "--force"))).toEqual(ALL);
  }, 180_000);
});

describe("bypassing the cache", () => {
  it("--no-cache runs every step and still records fresh entries", async () => {
    const dir = project("lolpop-cache-nocache-");
    run(dir);
    const s = run(dir, "--no-cache", "--force");
    expect(s.cached).toBeUndefined();
    expect(await entries(dir, "train")).toHaveLength(2);
    expect(existsSync(join(storeDir(dir), "cache", "steps"))).toBe(true);
  }, 180_000);

  it("cache: false on a pipeline bypasses its steps only; validate rejects a non-boolean with its location", () => {
    const noTrainCache = (yaml: string) =>
      yaml.replace("    perf_metric: f1_macro\n", "    perf_metric: f1_macro\n    cache: false\n");
    const dir = project("lolpop-cache-false-", {}, noTrainCache);
    run(dir);
    const s = run(dir, "--force");
    expect(cached(s)).toEqual(["process"]);

    // Per step: only train is bypassed.
    writeFileSync(
      join(dir, "lolpop.yaml"),
      penguinsYaml({ noPredict: true }).replace(
        "    perf_metric: f1_macro\n",
        "    perf_metric: f1_macro\n    cache: {train: false}\n",
      ),
    );
    expect(cached(run(dir, "--force"))).toEqual(["encode", "process", "split"]);

    writeFileSync(
      join(dir, "lolpop.yaml"),
      penguinsYaml({ noPredict: true }).replace(
        "    perf_metric: f1_macro\n",
        "    perf_metric: f1_macro\n    cache: nope\n",
      ),
    );
    const v = lolpop(["validate"], dir);
    expect(v.code).toBe(2);
    expect(v.stdout + v.stderr).toMatch(/lolpop\.yaml:\d+/);
    expect(v.stdout + v.stderr).toMatch(/train\.config\.cache/);
  }, 180_000);
});
