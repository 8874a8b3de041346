// The kit catches real defects: each fixture below breaks one rule and the matching check fails
// with a message naming the problem (a conformance suite that cannot fail proves nothing).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type AnyDefinition,
  defineComponent,
  definePlugin,
  type ModelRepository,
  type ModelTrainer,
  type Notifier,
  type TrainedModel,
} from "@lolpop/core";
import { localModelRepository } from "@lolpop/local";
import {
  checkComponent,
  conformanceChecks,
  createTempProject,
  pluginPackageChecks,
  sampleFitInput,
  sampleTable,
  wrongValue,
} from "./index.js";

async function failures(def: AnyDefinition, options = {}) {
  const results = await checkComponent(def, options);
  return Object.fromEntries(results.filter((r) => !r.passed).map((r) => [r.name, r.message ?? ""]));
}

const goodSchema = {
  type: "object",
  additionalProperties: false,
  properties: { level: { enum: ["info", "warn"], default: "info", description: "Lowest level." } },
};

describe("conformance checks fail on broken components", () => {
  it("a component that passes everything", async () => {
    const quiet = defineComponent({
      kind: "notifier",
      type: "QuietNotifier",
      description: "drops notifications",
      configSchema: goodSchema,
      create: (): Notifier => ({ notify: async () => undefined }),
    });
    expect(await failures(quiet)).toEqual({});
  });

  it("an open, undocumented schema and a missing contract method", async () => {
    const sloppy = defineComponent({
      kind: "data_connector",
      type: "SloppyConnector",
      description: "reads only",
      configSchema: { type: "object", properties: { path: { type: "string" } } },
      create: () => ({ get_data: async () => sampleTable("classification") }) as never,
    });
    const f = await failures(sloppy);
    expect(f["config schema: valid JSON Schema of an object that rejects unknown keys"]).toMatch(
      /additionalProperties: false/,
    );
    expect(f["config schema: every key has a description, and a default unless it is required"]).toMatch(
      /path has no description; path has no default/,
    );
    expect(f["bad config: an unknown key is rejected, naming its path"]).toMatch(/ConfigError/);
    expect(f["contract: implements every data_connector method"]).toMatch(
      /missing data_connector methods: save_data/,
    );
  });

  it("a definition that is not branded and has a bad type name", async () => {
    const fake = { kind: "notifier", type: "lower_case", configSchema: goodSchema, create: () => ({}) };
    const [first] = conformanceChecks(fake as unknown as AnyDefinition);
    await expect(first!.run()).rejects.toThrow(/not a lolpop definition/);
  });

  it("a schema whose default is not applied (a default that fails its own type)", async () => {
    const def = defineComponent({
      kind: "notifier",
      type: "OddNotifier",
      description: "odd",
      configSchema: {
        type: "object",
        additionalProperties: false,
        properties: { retries: { type: "integer", description: "Retries.", default: 2 } },
      },
      create: (ctx): Notifier => {
        (ctx.config as Record<string, unknown>).retries = 5;
        return { notify: async () => undefined };
      },
    });
    const f = await failures(def);
    expect(f["config: defaults are applied to keys left out"]).toMatch(
      /retries: create\(\) saw 5, expected the default 2/,
    );
  });

  it("a trainer whose saved model loads as something else", async () => {
    const model = (shift: number): TrainedModel => ({
      trainer: "ForgetfulModelTrainer",
      problem_type: "regression",
      params: {},
      feature_names: ["x1", "x2"],
      predict: async (X) => ({ problem_type: "regression", values: new Float64Array(X.numRows).fill(shift) }),
      save: async (dir) => writeFileSync(join(dir, "m.json"), "{}"),
    });
    const def = defineComponent({
      kind: "model_trainer",
      type: "ForgetfulModelTrainer",
      description: "forgets on load",
      configSchema: { type: "object", additionalProperties: false, properties: {} },
      create: (): ModelTrainer => ({ fit: async () => model(1), load: async () => model(2) }),
    });
    const f = await failures(def, { problemTypes: ["regression"] });
    expect(f["behaviour: save/load round trip (regression): the loaded model predicts the same"]).toMatch(
      /row 0 predicted 1 before and 2 after/,
    );
    expect(f["behaviour: fit and predict (regression)"]).toBeUndefined();
  });

  it("a model repository whose promote_model ignores expected_champion (no compare-and-set)", async () => {
    const def = defineComponent({
      kind: "model_repository",
      type: "BlindModelRepository",
      description: "moves the alias whatever the champion is",
      configSchema: { type: "object", additionalProperties: false, properties: {} },
      create: async (ctx): Promise<ModelRepository> => {
        const inner = await localModelRepository.create(ctx);
        return { ...inner, promote_model: (name, version) => inner.promote_model(name, version) };
      },
    });
    const f = await failures(def);
    expect(
      f["behaviour: promote_model is a compare-and-set with expected_champion, and says what it did"],
    ).toMatch(/expected_champion: null\) while v1 is champion must move nothing/);
    expect(
      f["behaviour: registers versions, moves the champion alias, records approval, downloads files"],
    ).toBeUndefined();
  });

  it("a classifier with probabilities that do not sum to 1", async () => {
    const def = defineComponent({
      kind: "model_trainer",
      type: "SloppyModelTrainer",
      description: "bad probabilities",
      configSchema: { type: "object", additionalProperties: false, properties: {} },
      create: (): ModelTrainer => {
        const m: TrainedModel = {
          trainer: "SloppyModelTrainer",
          problem_type: "classification",
          params: {},
          feature_names: sampleFitInput("classification").X.columnNames,
          classes: ["alpha", "beta", "gamma"],
          predict: async (X) => ({
            problem_type: "classification",
            classes: ["alpha", "beta", "gamma"],
            labels: new Int32Array(X.numRows),
            proba: new Float64Array(X.numRows * 3).fill(0.5),
          }),
          save: async () => undefined,
        };
        return { fit: async () => m, load: async () => m };
      },
    });
    const f = await failures(def, { problemTypes: ["classification"] });
    expect(f["behaviour: fit and predict (classification)"]).toMatch(/sum to 1.5, not 1/);
  });

  it("a component that puts its token in error messages", async () => {
    const def = defineComponent({
      kind: "notifier",
      type: "LeakyNotifier",
      description: "leaks",
      configSchema: {
        type: "object",
        additionalProperties: false,
        properties: { api_token: { type: "string", default: "", description: "Token." } },
      },
      create: (ctx): Notifier => ({
        notify: async () => {
          throw new Error(`401 from server with token ${String(ctx.config.api_token)}`);
        },
      }),
    });
    const f = await failures(def);
    expect(f["errors and logs never contain secret values"]).toMatch(/an error shows a secret value/);
  });

  it("wrongValue picks a value outside the schema's types", () => {
    expect(wrongValue({ type: "integer" })).toEqual({ lolpop_conformance: true });
    expect(wrongValue({ type: "object" })).toEqual([{ lolpop_conformance: true }]);
    expect(wrongValue({ enum: ["a", "b"] })).toBe(true);
    expect(wrongValue({ type: ["string", "null"] })).toEqual({ lolpop_conformance: true });
    expect(wrongValue({ description: "anything" })).toBeUndefined();
  });
});

describe("plugin package checks", () => {
  const dir = mkdtempSync(join(tmpdir(), "lolpop-pkg-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("report a manifest out of step, core as a dependency and sideEffects: false", async () => {
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        name: "lolpop-plugin-bad",
        version: "1.0.0",
        type: "module",
        exports: { ".": "./dist/index.js" },
        sideEffects: false,
        dependencies: { "@lolpop/core": "^0.1.0" },
        lolpop: { apiVersion: 1, components: [{ kind: "notifier", type: "OldNotifier" }] },
      }),
    );
    const plugin = definePlugin({
      name: "lolpop-plugin-bad",
      version: "1.0.0",
      components: [
        defineComponent({
          kind: "notifier",
          type: "NewNotifier",
          create: () => ({ notify: async () => undefined }),
        }),
      ],
    });
    const results: Record<string, string> = {};
    for (const c of pluginPackageChecks({ dir, plugin }))
      await c.run().catch((e: Error) => {
        results[c.name] = e.message;
      });
    expect(results["the manifest lists exactly the plugin's components (kind and type)"]).toBe(
      "missing from the manifest: notifier:NewNotifier. listed but not defined: notifier:OldNotifier.",
    );
    expect(results["ESM package exporting ./package.json, with @lolpop/core as a peer dependency"]).toMatch(
      /exports must include "\.\/package\.json"/,
    );
    expect(results["the self-registering entry is listed in sideEffects"]).toMatch(/sideEffects: false/);
    expect(
      results["the default export is a lolpop plugin named and versioned like the package"],
    ).toBeUndefined();
  });
});

describe("temp projects", () => {
  it("are created under the OS temp dir and removed by cleanup", () => {
    const p = createTempProject({ files: { "a/b.txt": "x" } });
    expect(p.dir.startsWith(tmpdir())).toBe(true);
    expect(existsSync(p.path("a", "b.txt"))).toBe(true);
    p.cleanup();
    expect(existsSync(p.dir)).toBe(false);
  });
});
