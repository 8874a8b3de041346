// loadPredictor as a library: from a project's store or a given repository, references and their
// errors, and `watch` following a moved alias with an atomic swap.
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  instantiateComponent,
  type ModelRepository,
  parseModelRef,
  registerPlugin,
  unregisterPlugin,
} from "@lolpop/core";
import { localModelRepository } from "@lolpop/local";
import { randomForestPlugin } from "@lolpop/random-forest";
import { loadPredictor, ServeError } from "../src/index.js";
import { csvRows, penguinsYaml, servedProject, trainVersion } from "./helpers.js";

let dir: string;
let repo: ModelRepository;

beforeAll(async () => {
  dir = servedProject(penguinsYaml({ trees: 10, seed: 7 }));
  trainVersion(dir);
  writeFileSync(join(dir, "lolpop.yaml"), penguinsYaml({ trees: 3, depth: 2, seed: 11 }));
  trainVersion(dir);
  repo = (await instantiateComponent(localModelRepository as never, {
    project: { root: dir },
  })) as ModelRepository;
}, 240_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sample = () => csvRows(join(dir, "data", "new.csv")).slice(0, 10);

describe("loadPredictor", () => {
  it("loads from a given repository as from the project, and pins a version with name/version", async () => {
    const fromStore = await loadPredictor("penguins/1", { store: repo, projectInfo: { root: dir } });
    const fromProject = await loadPredictor("penguins/1", { project: join(dir, "lolpop.yaml") });
    const a = await fromStore.predict(sample());
    const b = await fromProject.predict(sample());
    expect(a.version).toBe(1);
    expect(a.predictions).toEqual(b.predictions);
    expect(a.output.toRows()).toEqual(b.output.toRows());
    const champion = await loadPredictor("penguins", { store: repo });
    expect(champion.current().version).toBe(2);
  });

  it("refuses malformed references, a missing alias and a missing version with ServeErrors that say what to do", async () => {
    for (const ref of ["", "penguins@", "penguins/0", "penguins/x", "@champion"])
      expect(() => parseModelRef(ref)).toThrow(/name@alias .*name\/version/);
    // Names may hold "/" (MLflow allows it): the last "@" starts the alias.
    expect(parseModelRef("team/penguins@b")).toEqual({ name: "team/penguins", alias: "b" });
    expect(parseModelRef("penguins")).toEqual({ name: "penguins", alias: "champion" });
    expect(parseModelRef("penguins/12")).toEqual({ name: "penguins", version: 12 });
    const malformed = await loadPredictor("penguins/0", { store: repo }).catch((e) => e);
    expect([ServeError.isInstance(malformed), malformed.status, malformed.code]).toEqual([
      true,
      400,
      "bad_model_ref",
    ]);
    const noAlias = await loadPredictor("penguins@staging", { store: repo }).catch((e) => e);
    expect(ServeError.isInstance(noAlias)).toBe(true);
    expect(noAlias.status).toBe(404);
    expect(noAlias.message).toMatch(/has no alias "staging"/);
    const noVersion = await loadPredictor("penguins/7", { store: repo }).catch((e) => e);
    expect(noVersion.message).toMatch(/has no version 7 \(versions: 1, 2\)/);
    expect(noVersion.status).toBe(404);
    await expect(loadPredictor("penguins/1", { store: repo, watch: true })).rejects.toThrow(
      /watch needs an alias/,
    );
    const p = await loadPredictor("penguins/1", { store: repo });
    await expect(p.predict([{ island: "Biscoe", body_mass_g: { kg: 5 } }])).rejects.toThrow(
      /the input, row 1, column "body_mass_g": an object is not a value/,
    );
    await expect(p.predict([])).rejects.toThrow(/has no rows/);
  });

  it("names the type a version needs when no imported plugin provides it (missing_type)", async () => {
    unregisterPlugin(randomForestPlugin.name);
    try {
      const e = await loadPredictor("penguins/1", { store: repo }).catch((err) => err);
      expect([ServeError.isInstance(e), e.status, e.code, e.details]).toEqual([
        true,
        500,
        "missing_type",
        { kind: "model_trainer", type: "RandomForestModelTrainer" },
      ]);
      expect(e.message).toMatch(/install and import its plugin/);
    } finally {
      registerPlugin(randomForestPlugin);
    }
    // With loadType, the host imports it on demand instead.
    unregisterPlugin(randomForestPlugin.name);
    const asked: string[] = [];
    const p = await loadPredictor("penguins/1", {
      store: repo,
      loadType: async (type, kind) => {
        asked.push(`${kind}:${type}`);
        registerPlugin(randomForestPlugin);
      },
    });
    expect(asked).toEqual(["model_trainer:RandomForestModelTrainer"]);
    expect((await p.predict(sample())).predictions).toHaveLength(10);
  });

  it("with watch, swaps in the version a moved alias points at, once it is loaded", async () => {
    const switches: Array<[number, number]> = [];
    const p = await loadPredictor("penguins@champion", {
      store: repo,
      watch: true,
      pollIntervalMs: 50,
      onSwitch: (from, to) => switches.push([from, to]),
    });
    try {
      expect(p.current().version).toBe(2);
      const before = await p.predictProba(sample());
      await repo.promote_model("penguins", 1, { reason: "watch test" });
      const t0 = Date.now();
      while (p.current().version !== 1 && Date.now() - t0 < 30_000)
        await new Promise((r) => setTimeout(r, 25));
      expect(p.current().version).toBe(1);
      expect(switches).toEqual([[2, 1]]);
      const after = await p.predictProba(sample());
      expect(after.version).toBe(1);
      expect(after.proba).not.toEqual(before.proba);
      const pinned = await loadPredictor("penguins/1", { store: repo });
      expect(after.proba).toEqual((await pinned.predictProba(sample())).proba);
      expect(await p.reload()).toBe(false);
    } finally {
      p.close();
      await repo.promote_model("penguins", 2, { reason: "restore" });
    }
  });
});
