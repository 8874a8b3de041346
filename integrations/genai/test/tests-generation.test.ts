// `generate tests` library on a plugin made by `lolpop create plugin`: the generated file is
// type-checked with the plugin's TypeScript and run with its jest before it is offered; cases that
// fail are dropped and reported, never written as passing. The model here is the fake
// OpenAI-compatible server (the real local model is in local.test.ts).
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AnyDefinition } from "@lolpop/core";
import {
  type ComponentFacts,
  collectComponentFacts,
  createOpenAICompatibleModel,
  generateComponentTests,
  parseCases,
  renderTestFile,
  testCasesSchema,
  verifyTestFile,
} from "../src/index.js";
import { completion, FakeOpenAIServer } from "./fake-openai-server.js";
import { type ScaffoldedPlugin, scaffoldPlugin } from "./scaffold-helpers.js";

const SLOW = 600_000;
let plugin: ScaffoldedPlugin;
let facts: ComponentFacts;
const server = new FakeOpenAIServer();

beforeAll(async () => {
  plugin = scaffoldPlugin();
  const mod = (await import(join(plugin.dir, plugin.source))) as Record<string, AnyDefinition>;
  facts = collectComponentFacts({ definition: mod[plugin.exportName]!, packageDir: plugin.dir });
  await server.start();
}, SLOW);
afterAll(async () => {
  await server.stop();
  if (plugin) rmSync(plugin.root, { recursive: true, force: true });
});

test("facts: the definition is found where its type name is a constant; the answer schema offers only its options", () => {
  expect(facts.source).toMatchObject({ file: "src/knn-model-trainer.ts", truncated: false });
  expect(facts.source!.text).toMatch(
    /^\/\*\* The KnnModelTrainer component\. \*\/\nexport const knnModelTrainer = defineComponent/,
  );
  expect(facts.source!.text).toContain("type: KNNMODELTRAINER_TYPE,");
  expect(facts.options.map((o) => o.name)).toEqual(["k", "weights"]);
  expect(testCasesSchema(facts, 4)).toMatchObject({
    properties: { cases: { maxItems: 4, items: { properties: { option: { enum: ["k", "weights"] } } } } },
  });
});

test("values that are not JSON, unknown options and repeats are dropped before anything runs", () => {
  const { cases, dropped } = parseCases(
    {
      cases: [
        { name: "k three", option: "k", value: "3", valid: true },
        { name: "k three again", option: "k", value: "3", valid: true },
        { name: "bad json", option: "weights", value: "distance", valid: true },
        { name: "other", option: "depth", value: "2", valid: false },
      ],
    },
    facts,
  );
  expect(cases).toEqual([{ name: "k three", option: "k", value: 3, valid: true }]);
  expect(dropped.map((d) => d.reason)).toEqual([
    "the same value as an earlier case",
    "the value is not JSON",
    "depth is not a config option",
  ]);
});

test(
  "a test file is type-checked and run with the plugin's own tools; each case's outcome is reported",
  async () => {
    const text = renderTestFile({
      facts,
      importFrom: "./knn-model-trainer.js",
      exportName: plugin.exportName,
      cases: [
        { name: "three neighbours", option: "k", value: 3, valid: true },
        { name: "zero neighbours", option: "k", value: 0, valid: false },
        { name: "a word for k (wrong expectation)", option: "k", value: "five", valid: true },
      ],
    });
    const v = await verifyTestFile({
      packageDir: plugin.dir,
      file: "src/knn-model-trainer.genai.test.ts",
      text,
    });
    expect(v.typeErrors).toEqual([]);
    const cases = v.tests.filter((t) => t.caseIndex !== undefined).map((t) => [t.caseIndex, t.status]);
    expect(cases).toEqual([
      [1, "passed"],
      [2, "passed"],
      [3, "failed"],
    ]);
    // The conformance suite ran too, and passed.
    const conformance = v.tests.filter((t) => t.caseIndex === undefined);
    expect(conformance.length).toBeGreaterThanOrEqual(10);
    expect(conformance.every((t) => t.status === "passed")).toBe(true);
  },
  SLOW,
);

test(
  "a file with a type error is reported as such and not run",
  async () => {
    const text = `${renderTestFile({ facts, importFrom: "./knn-model-trainer.js", exportName: plugin.exportName, cases: [] })}\nconst n: number = "not a number";\n`;
    const v = await verifyTestFile({
      packageDir: plugin.dir,
      file: "src/knn-model-trainer.genai.test.ts",
      text,
    });
    expect(v.typeErrors).toEqual([
      expect.stringMatching(
        /^src\/knn-model-trainer\.genai\.test\.ts\(\d+,\d+\): error TS2322: Type 'string' is not assignable to type 'number'\./,
      ),
    ]);
    expect(v.tests).toEqual([]);
  },
  SLOW,
);

test(
  "generateComponentTests: failing cases are dropped and reported, the file offered is green",
  async () => {
    server.reply({
      json: completion(
        JSON.stringify({
          cases: [
            { name: "seven neighbours", option: "k", value: "7", valid: true },
            { name: "negative k", option: "k", value: "-2", valid: false },
            { name: "distance weights", option: "weights", value: '"distance"', valid: true },
            { name: "cosine weights accepted (wrong)", option: "weights", value: '"cosine"', valid: true },
            { name: "not json", option: "k", value: "seven", valid: false },
          ],
        }),
      ),
    });
    const model = createOpenAICompatibleModel({ baseUrl: server.baseUrl, model: "m", env: {} });
    const out = await generateComponentTests(model, facts, {
      packageDir: plugin.dir,
      file: "src/knn-model-trainer.genai.test.ts",
      importFrom: "./knn-model-trainer.js",
      exportName: plugin.exportName,
      maxCases: 5,
    });
    expect(out.offer).toBe(true);
    expect(out.typeErrors).toEqual([]);
    expect(out.failures).toEqual([]);
    expect(out.cases.map((c) => c.name)).toEqual(["seven neighbours", "negative k", "distance weights"]);
    expect(out.dropped).toEqual([
      { name: "not json", option: "k", value: "seven", reason: "the value is not JSON" },
      expect.objectContaining({
        name: "cosine weights accepted (wrong)",
        reason: expect.stringMatching(/^failed when run: the component rejects it/),
      }),
    ]);
    expect(out.text).not.toContain("cosine");
    expect(out.verification.tests.every((t) => t.status === "passed")).toBe(true);
    expect(out.verification.tests.filter((t) => t.caseIndex !== undefined)).toHaveLength(3);
    // What is offered runs green in the plugin as an ordinary test file too.
    writeFileSync(join(plugin.dir, "src", "knn-model-trainer.genai.test.ts"), out.text);
    const again = await verifyTestFile({
      packageDir: plugin.dir,
      file: "src/knn-model-trainer.genai.test.ts",
      text: out.text,
    });
    expect(again.tests.every((t) => t.status === "passed")).toBe(true);
    rmSync(join(plugin.dir, "src", "knn-model-trainer.genai.test.ts"));
  },
  SLOW,
);
