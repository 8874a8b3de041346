// A plugin adds a kind of its own (module augmentation of ComponentKinds) and the engine handles it.
import {
  createWorkflow,
  defineComponent,
  definePipeline,
  definePlugin,
  defineRunner,
  registerPlugin,
  resetRegistry,
  silentLogger,
  validateConfigText,
} from "./index.js";

interface FeatureStore {
  get_features(entity: string): Promise<Record<string, number>>;
}

declare module "./contracts.js" {
  interface ComponentKinds {
    feature_store: FeatureStore;
  }
}

const store = defineComponent({
  kind: "feature_store",
  type: "InMemoryFeatureStore",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { scale: { type: "number", default: 1 } },
  },
  create: (ctx): FeatureStore => ({
    async get_features(entity) {
      return { [entity]: entity.length * (ctx.config.scale as number) };
    },
  }),
});
const enrich = definePipeline({
  type: "EnrichPipeline",
  requires: ["feature_store"],
  create: (ctx) => ({
    enrich: (entity: string) => ctx.component("feature_store").get_features(entity),
  }),
});
const runner = defineRunner({
  type: "EnrichRunner",
  create: (ctx) => ({
    build_all: () => ctx.pipeline<{ enrich(e: string): Promise<unknown> }>("enrich").enrich("abc"),
  }),
});

beforeAll(() =>
  registerPlugin(
    definePlugin({ name: "@acme/feature-store", version: "1.0.0", components: [store, enrich, runner] }),
  ),
);
afterAll(() => resetRegistry());

describe("custom kinds", () => {
  it("are validated and wired like built-in ones", async () => {
    const text =
      "runner: EnrichRunner\npipelines:\n  enrich: EnrichPipeline\nenrich:\n  components:\n    feature_store: InMemoryFeatureStore\n  feature_store:\n    config:\n      scale: 2\n";
    const { plan } = validateConfigText(text, "/p/lolpop.yaml", {});
    const wf = await createWorkflow(plan, { logger: silentLogger });
    expect(await wf.run()).toEqual({ abc: 6 });
  });

  it("a type of another kind under a custom kind's key is refused", () => {
    const text =
      "runner: EnrichRunner\npipelines:\n  enrich: EnrichPipeline\nenrich:\n  components:\n    feature_store: EnrichRunner\n";
    expect(() => validateConfigText(text, "/p/lolpop.yaml", {})).toThrow(
      /EnrichRunner is a runner, not a feature_store/,
    );
  });
});
