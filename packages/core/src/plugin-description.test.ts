import {
  configSchemasOf,
  defineComponent,
  definePipeline,
  definePlugin,
  defineRunner,
  describePlugin,
  getPlugin,
  isDescribedPlugin,
  PluginLoadError,
  registerPlugin,
  resetRegistry,
  resolveType,
  usableValidationData,
  type ValidationData,
  validationDataOf,
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

describe("validationDataOf and configSchemasOf (what a plugin's build writes)", () => {
  const checkConfig = () => [];
  const checkPlan = () => [];
  const plugin = definePlugin({
    name: "lolpop-plugin-x",
    version: "1.2.3",
    components: [
      defineComponent({
        kind: "notifier",
        type: "XNotifier",
        description: "x notifier",
        configSchema: schema,
        checkConfig,
        create: () => ({ notify: async () => {} }),
      }),
      definePipeline({
        type: "XPipeline",
        configSchema: schema,
        requires: ["notifier"],
        uses: ["metadata_tracker"],
        create: () => ({}) as never,
      }),
      defineRunner({
        type: "XRunner",
        configSchema: schema,
        requiresPipelines: ["p"],
        problemType: "regression",
        checkPlan,
        create: () => ({}) as never,
      }),
    ],
  });
  const pkg = { name: "lolpop-plugin-x", version: "1.2.3" };

  it("describes each type; checks are module only when the checks module has the definition's own functions", () => {
    expect(validationDataOf(plugin, pkg, { XNotifier: { checkConfig } })).toEqual(data);
    // Without a checks module, every type with code checks needs the plugin.
    const bare = validationDataOf(plugin, pkg);
    expect(bare.types.map((t) => t.checks)).toEqual(["plugin", "none", "plugin"]);
    expect(configSchemasOf(plugin)).toEqual(schemas);
  });

  it("round trip: the written files describe a plugin that plans like the code", () => {
    const written = JSON.parse(JSON.stringify(validationDataOf(plugin, pkg, { XNotifier: { checkConfig } })));
    const files = JSON.parse(JSON.stringify(configSchemasOf(plugin)));
    const usable = usableValidationData(written, pkg, files)!;
    expect(usable).toBeDefined();
    registerPlugin(describePlugin(usable, files, { XNotifier: { checkConfig } }));
    expect(resolveType("XNotifier")!.definition.checkConfig).toBe(checkConfig);
    expect(resolveType("XRunner")!.definition.problemType).toBe("regression");
  });

  it("a checks module exporting a function that is not the definition's check is refused", () => {
    expect(() => validationDataOf(plugin, pkg, { XNotifier: { checkConfig: () => [] } })).toThrow(
      "configChecks.XNotifier.checkConfig is not the checkConfig of XNotifier's definition",
    );
    expect(() => validationDataOf(plugin, pkg, { Nope: { checkConfig } })).toThrow(
      "configChecks.Nope.checkConfig is not a type of lolpop-plugin-x",
    );
  });
});
