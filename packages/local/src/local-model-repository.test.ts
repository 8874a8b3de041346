import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { instantiateComponent, StoreError } from "@lolpop/core";
import { bundleWorker, runWorker } from "../test/fixtures/bundle.mjs";
import {
  createLocalModelRepository,
  type LocalModelRepository,
  localModelRepository,
} from "./local-model-repository.js";

let tmp: string;
let store: string;
let repo: LocalModelRepository;
let bundle: string;

beforeAll(async () => {
  bundle = await bundleWorker();
}, 60_000);
afterAll(async () => {
  await rm(dirname(bundle), { recursive: true, force: true });
});
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), "lolpop-repo-"));
  store = join(tmp, "store");
  repo = createLocalModelRepository(store);
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A model folder with a few files (one nested), tagged with `marker`. */
async function modelDir(marker: string): Promise<string> {
  const dir = join(tmp, `model-${marker}-${Math.random().toString(16).slice(2)}`);
  await mkdir(join(dir, "transformer"), { recursive: true });
  await writeFile(join(dir, "model.json"), JSON.stringify({ marker }));
  await writeFile(join(dir, "weights.bin"), new Uint8Array(4096).fill(7));
  await writeFile(join(dir, "transformer", "state.json"), JSON.stringify({ marker }));
  return dir;
}

const modelRoot = (name: string) => join(store, "models", name);

/** Every entry of versions/ and the model folder: no temp folders or locks left behind. */
async function leftovers(name: string): Promise<string[]> {
  const v = await readdir(join(modelRoot(name), "versions"));
  const m = await readdir(modelRoot(name));
  return [...v.filter((e) => e.startsWith(".")), ...m.filter((e) => e.startsWith("."))];
}

describe("LocalModelRepository", () => {
  it("is created from config with the store under the project's state dir by default", async () => {
    const r = (await instantiateComponent(localModelRepository, {
      project: { root: tmp, stateDir: join(tmp, ".lolpop") },
    })) as LocalModelRepository;
    expect(r.dir).toBe(join(tmp, ".lolpop"));
    const r2 = (await instantiateComponent(localModelRepository, {
      config: { dir: "custom" },
      project: { root: tmp },
    })) as LocalModelRepository;
    expect(r2.dir).toBe(join(tmp, "custom"));
    await expect(instantiateComponent(localModelRepository, { config: { nope: 1 } })).rejects.toThrow(
      /nope|additional/i,
    );
  });

  it("registers numbered versions with files, metrics and tags", async () => {
    const v1 = await repo.register_model({
      name: "penguins",
      dir: await modelDir("a"),
      run_id: "run-1",
      metrics: { "test.f1_macro": 0.9, odd: Number.NaN },
      tags: { owner: "me" },
    });
    expect(v1).toMatchObject({
      name: "penguins",
      version: 1,
      run_id: "run-1",
      aliases: [],
      tags: { owner: "me" },
    });
    expect(v1.metrics["test.f1_macro"]).toBe(0.9);
    expect(v1.metrics.odd).toBeNaN();
    expect(v1.uri).toMatch(/^file:\/\//);
    const v2 = await repo.register_model({ name: "penguins", dir: await modelDir("b") });
    expect(v2.version).toBe(2);
    const dir = await repo.download_model("penguins", 2);
    expect(dir).toBe(join(modelRoot("penguins"), "versions", "2"));
    expect(JSON.parse(await readFile(join(dir, "model.json"), "utf8"))).toEqual({ marker: "b" });
    expect(JSON.parse(await readFile(join(dir, "transformer", "state.json"), "utf8"))).toEqual({
      marker: "b",
    });
    const vf = JSON.parse(await readFile(join(dir, "version.json"), "utf8"));
    expect(vf.files).toEqual(["model.json", "transformer/state.json", "weights.bin"]);
    expect((await repo.list_versions("penguins")).map((v) => v.version)).toEqual([1, 2]);
    expect(await repo.get_model_version("penguins", 1)).toEqual(v1);
    expect(await repo.list_models()).toEqual(["penguins"]);
    expect(await leftovers("penguins")).toEqual([]);
  });

  it("rejects a source folder that holds reserved names, a missing folder and bad names", async () => {
    const dir = await modelDir("r");
    await writeFile(join(dir, "version.json"), "{}");
    await expect(repo.register_model({ name: "m", dir })).rejects.toThrow(/version\.json.*reserves/);
    await expect(repo.register_model({ name: "m", dir: join(tmp, "missing") })).rejects.toThrow(
      /does not exist/,
    );
    await expect(repo.register_model({ name: "../evil", dir: await modelDir("x") })).rejects.toThrow(
      /Invalid model name/,
    );
  });

  it("names the model and the existing versions when a version is unknown", async () => {
    await expect(repo.get_model_version("ghost", 1)).rejects.toThrow(/No model named "ghost".*models: none/);
    await repo.register_model({ name: "m", dir: await modelDir("a") });
    await repo.register_model({ name: "m", dir: await modelDir("b") });
    const err = await repo.get_model_version("m", 7).catch((e) => e);
    expect(StoreError.isInstance(err)).toBe(true);
    expect(err.message).toBe('Model "m" has no version 7 (versions: 1, 2)');
    await expect(repo.download_model("m", 3)).rejects.toThrow(/versions: 1, 2/);
    await expect(repo.promote_model("m", 3)).rejects.toThrow(/versions: 1, 2/);
    await expect(repo.check_approval("m", 3)).rejects.toThrow(/versions: 1, 2/);
    await expect(repo.get_model_version("ghost", 1)).rejects.toThrow(/models: m/);
    expect(await repo.list_versions("ghost")).toEqual([]);
    expect(await repo.get_alias("ghost", "champion")).toBeUndefined();
  });

  it("moves the champion alias, keeps and tags the previous champion, records history", async () => {
    for (const m of ["a", "b", "c"]) await repo.register_model({ name: "m", dir: await modelDir(m) });
    expect(await repo.get_alias("m", "champion")).toBeUndefined();
    await repo.promote_model("m", 1);
    expect((await repo.get_alias("m", "champion"))?.version).toBe(1);
    await repo.promote_model("m", 2);
    const champ = await repo.get_alias("m", "champion");
    expect(champ?.version).toBe(2);
    expect(champ?.aliases).toEqual(["champion"]);
    expect(champ?.tags["lolpop.previous_champion"]).toBeUndefined();
    const v1 = await repo.get_model_version("m", 1);
    expect(v1.tags["lolpop.previous_champion"]).toBe("true");
    expect(v1.aliases).toEqual([]);
    expect(await readdir(await repo.download_model("m", 1))).toContain("model.json"); // files kept
    // Rolling back to 1 clears its previous_champion tag and tags 2.
    await repo.promote_model("m", 1);
    expect((await repo.get_model_version("m", 1)).tags["lolpop.previous_champion"]).toBeUndefined();
    expect((await repo.get_model_version("m", 2)).tags["lolpop.previous_champion"]).toBe("true");
    await repo.promote_model("m", 1); // no-op
    const aliases = await repo.get_aliases("m");
    expect(aliases.aliases).toEqual({ champion: 1 });
    expect(aliases.history.map((h) => [h.version, h.previous])).toEqual([
      [1, null],
      [2, 1],
      [1, 2],
    ]);
    expect(aliases.history.every((h) => !Number.isNaN(Date.parse(h.at)))).toBe(true);
  });

  it("records approval as tags", async () => {
    await repo.register_model({ name: "m", dir: await modelDir("a") });
    expect(await repo.check_approval("m", 1)).toBe(false);
    await repo.approve_model("m", 1, { approved_by: "alice", comment: "looks good" });
    expect(await repo.check_approval("m", 1)).toBe(true);
    const tags = (await repo.get_model_version("m", 1)).tags;
    expect(tags).toMatchObject({
      "lolpop.approved": "true",
      "lolpop.approved_by": "alice",
      "lolpop.approval_comment": "looks good",
    });
    expect(Number.isNaN(Date.parse(tags["lolpop.approved_at"]!))).toBe(false);
  });

  it("gives distinct versions under concurrent registration in one process", async () => {
    const dirs = await Promise.all(Array.from({ length: 5 }, (_, i) => modelDir(`p${i}`)));
    const infos = await Promise.all(dirs.map((dir) => repo.register_model({ name: "m", dir })));
    expect(infos.map((i) => i.version).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it("gives distinct complete versions 1..6 to 6 concurrent processes", async () => {
    const dirs = await Promise.all(Array.from({ length: 6 }, (_, i) => modelDir(`proc${i}`)));
    const results = await Promise.all(
      dirs.map((dir, i) => runWorker(bundle, ["register", store, "shared", dir, JSON.stringify({ i })])),
    );
    for (const r of results) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
    const versions = results.map((r) => r.json.version as number);
    expect([...versions].sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const listed = await repo.list_versions("shared");
    expect(listed.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6]);
    // Each version holds the files of the process that registered it, complete.
    for (const [i, r] of results.entries()) {
      const dir = await repo.download_model("shared", r.json.version);
      expect(JSON.parse(await readFile(join(dir, "model.json"), "utf8"))).toEqual({ marker: `proc${i}` });
      expect((await readFile(join(dir, "weights.bin"))).length).toBe(4096);
      expect((await repo.get_model_version("shared", r.json.version)).metrics).toEqual({ i });
    }
    expect(await leftovers("shared")).toEqual([]);
  }, 60_000);

  describe("crash safety (SIGKILL)", () => {
    const cases: Array<[string, number[]]> = [
      ["register:mid-copy", [1]],
      ["register:after-lock", [1]],
      ["register:before-rename", [1]],
      ["register:after-rename", [1, 2]],
    ];
    it.each(cases)(
      "killed at %s leaves no half-registered version",
      async (point, expected) => {
        await repo.register_model({ name: "m", dir: await modelDir("first") });
        await repo.promote_model("m", 1);
        const r = await runWorker(bundle, ["register", store, "m", await modelDir("crash")], {
          LOLPOP_TEST_CRASH_AT: point,
        });
        expect(r.signal).toBe("SIGKILL");
        // The killed process left its debris: a temp folder (before the rename) and its lock (once taken).
        const debris = [
          ...(await readdir(join(modelRoot("m"), "versions"))),
          ...(await readdir(modelRoot("m"))),
        ];
        expect(debris.some((e) => e.startsWith(".tmp-"))).toBe(point !== "register:after-rename");
        expect(debris.includes(".lock")).toBe(point !== "register:mid-copy");
        const versions = await repo.list_versions("m");
        expect(versions.map((v) => v.version)).toEqual(expected);
        expect((await repo.get_alias("m", "champion"))?.version).toBe(1);
        for (const v of versions)
          expect(await readdir(await repo.download_model("m", v.version))).toEqual(
            expect.arrayContaining(["model.json", "version.json", "tags.json", "weights.bin", "transformer"]),
          );
        // The next registration (another process) works, gets the right number and cleans up.
        const next = await runWorker(bundle, ["register", store, "m", await modelDir("next")]);
        expect(next.stderr).toBe("");
        expect(next.json.version).toBe(expected.length + 1);
        expect((await repo.list_versions("m")).map((v) => v.version)).toEqual([
          ...expected,
          expected.length + 1,
        ]);
        expect(await leftovers("m")).toEqual([]);
      },
      60_000,
    );

    it("killed at promote:before-write leaves the champion unchanged and the next promotion works", async () => {
      await repo.register_model({ name: "m", dir: await modelDir("a") });
      await repo.register_model({ name: "m", dir: await modelDir("b") });
      await repo.promote_model("m", 1);
      const r = await runWorker(bundle, ["promote", store, "m", "2"], {
        LOLPOP_TEST_CRASH_AT: "promote:before-write",
      });
      expect(r.signal).toBe("SIGKILL");
      expect((await repo.get_alias("m", "champion"))?.version).toBe(1);
      expect((await repo.get_model_version("m", 1)).tags["lolpop.previous_champion"]).toBeUndefined();
      expect(await readdir(modelRoot("m"))).toContain(".lock"); // the dead process's lock
      await repo.promote_model("m", 2); // takes the stale lock over
      expect((await repo.get_alias("m", "champion"))?.version).toBe(2);
      expect((await repo.get_model_version("m", 1)).tags["lolpop.previous_champion"]).toBe("true");
      expect(await leftovers("m")).toEqual([]);
    }, 60_000);
  });

  describe("corrupted files", () => {
    beforeEach(async () => {
      await repo.register_model({ name: "m", dir: await modelDir("a") });
      await repo.promote_model("m", 1);
    });

    it("aliases.json", async () => {
      const path = join(modelRoot("m"), "aliases.json");
      await writeFile(path, "{ not json");
      for (const call of [
        () => repo.get_alias("m", "champion"),
        () => repo.get_model_version("m", 1),
        () => repo.promote_model("m", 1),
      ]) {
        const err = await call().catch((e) => e);
        expect(StoreError.isInstance(err)).toBe(true);
        expect(err.message).toContain(path);
        expect(err.message).toContain("restore it or delete it");
      }
      await writeFile(path, JSON.stringify({ aliases: { champion: "one" }, history: [] }));
      await expect(repo.get_alias("m", "champion")).rejects.toThrow(path);
    });

    it("version.json", async () => {
      const path = join(modelRoot("m"), "versions", "1", "version.json");
      await writeFile(path, "");
      for (const call of [
        () => repo.get_model_version("m", 1),
        () => repo.list_versions("m"),
        () => repo.get_alias("m", "champion"),
      ]) {
        const err = await call().catch((e) => e);
        expect(StoreError.isInstance(err)).toBe(true);
        expect(err.message).toContain(path);
      }
      await writeFile(path, JSON.stringify({ version: 5 }));
      await expect(repo.get_model_version("m", 1)).rejects.toThrow(path);
    });

    it("tags.json", async () => {
      const path = join(modelRoot("m"), "versions", "1", "tags.json");
      await writeFile(path, "[1,");
      await expect(repo.check_approval("m", 1)).rejects.toThrow(path);
    });
  });
});
