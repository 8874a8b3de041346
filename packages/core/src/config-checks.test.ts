// Config checks beyond JSON Schema (`checkConfig`), pipelines that say what they use (`uses`),
// enum typos, and config errors found while building or running: all reported like validation
// errors, at their YAML path with file and line.
import {
  ConfigError,
  createWorkflow,
  type DataConnector,
  defineComponent,
  definePipeline,
  definePlugin,
  defineRunner,
  instantiateComponent,
  registerPlugin,
  resetRegistry,
  silentLogger,
  Table,
  validateConfigText,
} from "./index.js";

const splitter = defineComponent({
  kind: "data_splitter",
  type: "SumSplitter",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      split_ratio: { type: "array", items: { type: "number" }, default: [0.7, 0.3] },
      method: { enum: ["random", "stratified"], default: "random" },
      metric: { type: "string", default: "rmse" },
    },
  },
  checkConfig: (config: { split_ratio: number[]; metric: string }, info) => {
    const out = [];
    const sum = config.split_ratio.reduce((a, b) => a + b, 0);
    if (Math.abs(sum - 1) > 1e-9) out.push({ path: ["split_ratio"], message: `sums to ${sum}, not 1` });
    if (info.problemType === "regression" && config.metric === "f1")
      out.push({
        path: ["metric"],
        code: "metric_not_applicable",
        message: `f1 is not a ${info.problemType} metric`,
      });
    return out;
  },
  create: () => ({
    async split_data(t: Table) {
      return { train: t, valid: t };
    },
  }),
});

const connector = defineComponent({
  kind: "data_connector",
  type: "CheckConnector",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { mode: { type: "string", default: "ok" } },
  },
  create: (ctx): DataConnector => {
    if (ctx.config.mode === "create")
      throw new ConfigError({
        issues: [{ code: "invalid_value", path: `${ctx.path}.config.mode`, message: "bad mode at create" }],
      });
    return {
      async get_data() {
        if (ctx.config.mode === "run")
          throw new ConfigError({
            issues: [{ code: "missing_key", path: `${ctx.path}.config.source`, message: "no source at run" }],
          });
        return Table.fromColumns({ x: [1] });
      },
      async save_data(t) {
        return { uri: "mem://", rows: t.numRows, format: "mem" };
      },
    };
  },
});

const trainerLike = defineComponent({
  kind: "model_trainer",
  type: "IdleTrainer",
  create: () => ({}) as never,
});

const pipe = definePipeline({
  type: "UsesPipe",
  requires: ["data_connector"],
  uses: ["data_splitter"],
  create: (ctx) => ({
    async go() {
      return ctx.component("data_connector").get_data();
    },
  }),
});

const runner = defineRunner({
  type: "RegRunner",
  problemType: "regression",
  create: (ctx) => ({ build_all: () => ctx.pipeline<{ go(): Promise<unknown> }>("p").go() }),
});

beforeAll(() =>
  registerPlugin(
    definePlugin({
      name: "checks-fixture",
      version: "1.0.0",
      components: [splitter, connector, trainerLike, pipe, runner],
    }),
  ),
);
afterAll(() => resetRegistry());

const config = (extra = "", mode = "ok") => `runner: RegRunner
pipelines:
  p: UsesPipe
p:
  components:
    data_connector: CheckConnector
    data_splitter: SumSplitter
${extra}  data_connector:
    config:
      mode: ${mode}
  data_splitter:
    config:
      split_ratio: [0.7, 0.2]
      method: stratifed
`;

function issues(text: string) {
  try {
    validateConfigText(text, "/proj/lolpop.yaml", {});
  } catch (e) {
    if (ConfigError.isInstance(e)) return e.issues;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("config checks", () => {
  it("reports checkConfig issues, unused local components and enum typos at their lines", () => {
    const found = issues(config("    model_trainer: IdleTrainer\n"));
    const at = (path: string) => found.find((i) => i.path === path);
    expect(at("p.data_splitter.config.split_ratio")).toMatchObject({
      code: "invalid_value",
      line: 14,
      file: "/proj/lolpop.yaml",
      message: expect.stringMatching(/sums to 0\.8999.*not 1.*SumSplitter/),
    });
    expect(at("p.data_splitter.config.method")).toMatchObject({
      line: 15,
      message: expect.stringMatching(/did you mean "stratified"\?/),
    });
    expect(at("p.components.model_trainer")).toMatchObject({
      code: "unused_component",
      line: 8,
      message: expect.stringMatching(/UsesPipe does not use a model_trainer.*remove it from p\.components/),
    });
  });

  it("passes the runner's problem type to checkConfig, and checks instantiateComponent's config too", async () => {
    const found = issues(
      config().replace("method: stratifed", "metric: f1").replace("[0.7, 0.2]", "[0.5, 0.5]"),
    );
    expect(found).toEqual([
      expect.objectContaining({ path: "p.data_splitter.config.metric", code: "metric_not_applicable" }),
    ]);
    const e = await instantiateComponent(splitter, { config: { split_ratio: [2] } }).catch((x) => x);
    expect(ConfigError.isInstance(e)).toBe(true);
    expect(e.issues[0]).toMatchObject({
      path: "SumSplitter.config.split_ratio",
      message: expect.stringMatching(/sums to 2/),
    });
  });

  const clean = (mode: string) =>
    config("", mode).replace("[0.7, 0.2]", "[0.5, 0.5]").replace("method: stratifed", "method: random");

  it("a config error thrown by create is a located ConfigError, not a failed call", async () => {
    const { plan } = validateConfigText(clean("create"), "/proj/lolpop.yaml", {});
    const e = (await createWorkflow(plan, { logger: silentLogger }).catch((x: unknown) => x)) as ConfigError;
    expect(ConfigError.isInstance(e)).toBe(true);
    expect(e.issues[0]).toMatchObject({
      path: "p.data_connector.config.mode",
      file: "/proj/lolpop.yaml",
      line: 10,
    });
  });

  it("a config error thrown while running is a located ConfigError (the nearest line for a missing key)", async () => {
    const { plan } = validateConfigText(clean("run"), "/proj/lolpop.yaml", {});
    const wf = await createWorkflow(plan, { logger: silentLogger });
    const e = (await wf.run().catch((x: unknown) => x)) as ConfigError;
    expect(ConfigError.isInstance(e)).toBe(true);
    expect(e.issues[0]).toMatchObject({ path: "p.data_connector.config.source", line: 9 });
  });
});

describe("configIssuesOf", () => {
  it("turns a validator's ConfigError into issues relative to the config", async () => {
    const { configIssuesOf } = await import("./index.js");
    const issues = configIssuesOf("train.model_trainer", () => {
      throw new ConfigError({
        issues: [
          {
            code: "unknown_key",
            path: "train.model_trainer.config.training_params.depth",
            message: "unknown",
          },
          { code: "invalid_value", path: "train.model_trainer.config.gates.2", message: "bad gate" },
        ],
      });
    });
    expect(issues).toEqual([
      { path: ["training_params", "depth"], code: "unknown_key", message: "unknown" },
      { path: ["gates", 2], code: "invalid_value", message: "bad gate" },
    ]);
    expect(configIssuesOf("x", () => 1)).toEqual([]);
    expect(() =>
      configIssuesOf("x", () => {
        throw new TypeError("boom");
      }),
    ).toThrow("boom");
  });
});
