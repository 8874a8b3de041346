import {
  defineComponent,
  definePlugin,
  describePlugin,
  getPlugin,
  isDescribedPlugin,
  PluginLoadError,
  registerPlugin,
  resetRegistry,
  resolveType,
  usableValidationData,
  type ValidationData,
} from "./index.js";

const schema = { type: "object", properties: { k: { type: "integer" } }, additionalProperties: false };
const data: ValidationData = {
  format: 1,
  plugin: "lolpop-plugin-x",
  version: "1.2.3",
  apiVersion: 1,
  types: [
    { kind: "notifier", type: "XNotifier", checks: "module" },
    {
      kind: "pipeline",
      type: "XPipeline",
      requires: ["notifier"],
      uses: ["metadata_tracker"],
      checks: "none",
    },
    {
      kind: "runner",
      type: "XRunner",
      requiresPipelines: ["p"],
      problemType: "regression",
      checks: "plugin",
    },
  ],
};
const schemas = {
  XNotifier: { ...schema, description: "x notifier" },
  XPipeline: schema,
  XRunner: schema,
};

afterEach(() => resetRegistry());

describe("describePlugin", () => {
  it("makes definitions from the data, schemas and checks module; create throws", () => {
    const checkConfig = () => [{ path: ["k"], message: "bad k" }];
    const p = registerPlugin(describePlugin(data, schemas, { XNotifier: { checkConfig } }));
    expect(isDescribedPlugin(p)).toBe(true);
    const n = resolveType("XNotifier")!;
    expect([n.kind, n.pluginVersion, n.definition.description]).toEqual(["notifier", "1.2.3", "x notifier"]);
    expect(n.definition.configSchema).toEqual(schema);
    expect(n.definition.checkConfig).toBe(checkConfig);
    const pipe = resolveType("XPipeline")!.definition;
    expect([pipe.kind, pipe.requires, pipe.uses]).toEqual(["pipeline", ["notifier"], ["metadata_tracker"]]);
    const runner = resolveType("XRunner")!.definition;
    expect([runner.requiresPipelines, runner.problemType]).toEqual([["p"], "regression"]);
    // Checks only the plugin's code has: a described definition reports it instead of passing.
    expect(runner.checkConfig!({}, { path: "runner" })?.[0]?.code).toBe("config_checks_unavailable");
    expect(() => n.definition.create({} as never)).toThrow(PluginLoadError);
  });

  it("registering the plugin's code replaces its description", () => {
    registerPlugin(describePlugin(data, schemas));
    const real = definePlugin({
      name: "lolpop-plugin-x",
      version: "1.2.3",
      components: [
        defineComponent({ kind: "notifier", type: "XNotifier", create: () => ({ notify: async () => {} }) }),
      ],
    });
    expect(registerPlugin(real)).toBe(real);
    expect(getPlugin("lolpop-plugin-x")).toBe(real);
    expect(resolveType("XPipeline")).toBeUndefined();
    // A description never replaces code.
    expect(registerPlugin(describePlugin(data, schemas))).toBe(real);
  });

  it("usableValidationData: only for the installed name and version, known format, every schema", () => {
    const pkg = { name: "lolpop-plugin-x", version: "1.2.3" };
    expect(usableValidationData(data, pkg, schemas)).toBe(data);
    expect(usableValidationData(data, { ...pkg, version: "1.2.4" }, schemas)).toBeUndefined();
    expect(usableValidationData({ ...data, format: 2 }, pkg, schemas)).toBeUndefined();
    expect(usableValidationData(data, pkg, { XNotifier: schema })).toBeUndefined();
    expect(usableValidationData(undefined, pkg, schemas)).toBeUndefined();
  });
});
