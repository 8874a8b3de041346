// The pieces of `lolpop generate tests workflow` that need no model and no workflow run: the hook
// points of a config, the answer's schema, repeats dropped, the tests file, and the checks of the
// hooks module on real values (the end-to-end run with lolpop test is in cli.test.ts).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parse } from "yaml";
import {
  parseHooks,
  renderWorkflowTests,
  WORKFLOW_CHECKS,
  WORKFLOW_HOOKS_MODULE,
  type WorkflowFacts,
  workflowHookPoints,
  workflowTestsFile,
  workflowTestsRequest,
} from "../src/index.js";

const facts: WorkflowFacts = {
  file: "/p/lolpop.yaml",
  yaml: "runner: ClassificationRunner\n",
  runner: "ClassificationRunner",
  pipelines: { process: "OfflineProcess" },
  components: {
    "components.notifier": "StdoutNotifier",
    "process.components.data_connector": "LocalDataConnector",
    "process.components.custom": "SomethingElse",
  },
};
const types = {
  StdoutNotifier: { kind: "notifier" },
  LocalDataConnector: { kind: "data_connector" },
  SomethingElse: { kind: "not_a_core_kind" },
};

type Check = (ctx: { args?: unknown[]; output?: unknown }) => [boolean, string];
let hooks: Record<string, Check>;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "lolpop-genai-hooks-"));
  writeFileSync(join(dir, "hooks.mjs"), WORKFLOW_HOOKS_MODULE);
  hooks = (await import(pathToFileURL(join(dir, "hooks.mjs")).href)) as Record<string, Check>;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test("hook points: each contract method of the components (pipelines' first), named as lolpop test names calls", () => {
  expect(workflowHookPoints(facts, types).map((p) => p.point)).toEqual([
    "process.data_connector.get_data",
    "process.data_connector.save_data",
    "notifier.notify",
  ]);
  const req = workflowTestsRequest(facts, types, { maxCases: 3 });
  const items = (req.schema.properties as any).hooks.items;
  expect((req.schema.properties as any).hooks.maxItems).toBe(3);
  expect(items.properties.point.enum).toEqual([
    "process.data_connector.get_data",
    "process.data_connector.save_data",
    "notifier.notify",
  ]);
  expect(items.properties.check.enum).toEqual(Object.keys(WORKFLOW_CHECKS));
  expect(req).toMatchObject({ temperature: 0, seed: 0, schemaName: "workflow_hooks" });
});

test("a workflow without components of core's kinds: a clear error, nothing asked", () => {
  expect(() => workflowTestsRequest({ ...facts, components: {} }, types)).toThrow(
    /lolpop\.yaml: none of its components is of a kind core defines/,
  );
});

test("repeats are dropped; names lose control characters; the tests file holds one hook per case", () => {
  const { hooks: cases, dropped } = parseHooks({
    hooks: [
      { point: "process.data_connector.get_data", check: "has_rows", name: "rows\u001b[2J\nloaded" },
      { point: "process.data_connector.get_data", check: "has_rows", name: "again" },
      { point: "process.data_connector.get_data", check: "input_has_rows", name: 'a "quoted" name' },
    ],
  });
  expect(dropped.map((d) => d.reason)).toEqual(["the same check as an earlier hook"]);
  expect(cases.map((c) => c.name)).toEqual(["rows [2J loaded", "a 'quoted' name"]);
  const text = renderWorkflowTests("/p/lolpop.yaml", cases);
  expect(workflowTestsFile("/p/lolpop.yaml")).toBe("/p/lolpop.genai-tests.yaml");
  expect(text.split("\n")[1]).toBe("# Run: npx lolpop test lolpop.yaml --tests lolpop.genai-tests.yaml");
  expect(parse(text)).toEqual({
    tests: {
      "process.data_connector.get_data": {
        post_hooks: [
          { hook_file: "tests/genai-hooks.mjs", hook_method: "has_rows", name: "1: rows [2J loaded" },
        ],
        pre_hooks: [
          { hook_file: "tests/genai-hooks.mjs", hook_method: "input_has_rows", name: "2: a 'quoted' name" },
        ],
      },
    },
  });
});

test("the checks of the hooks module", () => {
  const table = (n: number) => ({ numRows: n, columns: [] });
  expect(hooks.has_rows!({ output: table(3) })).toEqual([true, "0 of the 1 tables or lists are empty"]);
  expect(hooks.has_rows!({ output: { train: { X: table(5) }, test: { X: table(0) } } })).toEqual([
    false,
    "1 of the 2 tables or lists are empty",
  ]);
  expect(hooks.has_rows!({ output: undefined })[0]).toBe(false);
  expect(hooks.input_has_rows!({ args: [{ X: table(2), y: [1, 2] }] })[0]).toBe(true);
  expect(hooks.input_has_rows!({ args: [{ accuracy: 1 }] })).toEqual([
    false,
    "the arguments hold no table or list",
  ]);
  expect(hooks.returns_value!({ output: 0 })[0]).toBe(true);
  expect(hooks.returns_value!({ output: null })).toEqual([false, "the call returned null"]);
  expect(hooks.finite_numbers!({ output: { accuracy: 0.9, f1: { macro: 0.8 } } })[0]).toBe(true);
  expect(hooks.finite_numbers!({ output: { accuracy: Number.NaN, n: 3 } })).toEqual([
    false,
    "1 of 2 numbers are not finite (NaN)",
  ]);
  expect(hooks.finite_numbers!({ output: { X: table(2) } })).toEqual([false, "the output holds no number"]);
});
