// One context for both hosts: a component sees the same lookup, peers, componentInfo, on-demand
// types and notifications whether the engine builds it from YAML or instantiateComponent makes it.
import { fixturePlugin } from "../test/fixtures/plugin.js";
import {
  type ComponentContext,
  createWorkflow,
  type DataConnector,
  defineComponent,
  definePlugin,
  instantiateComponent,
  type Notifier,
  registerPlugin,
  resetRegistry,
  silentLogger,
  standaloneHost,
  Table,
  unregisterPlugin,
  validateConfigText,
} from "./index.js";

const notes: string[] = [];
const seen: Array<Record<string, unknown>> = [];

const tagNotifier = defineComponent({
  kind: "notifier",
  type: "TagNotifier",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { tag: { type: "string", default: "none" } },
  },
  create: (ctx): Notifier => ({
    async notify(message) {
      notes.push(`${(ctx.config as { tag: string }).tag}:${message}`);
    },
  }),
});

// A connector that reports what its context tells it.
const probe = defineComponent({
  kind: "data_connector",
  type: "ProbeConnector",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: { own: { type: "string" }, target: { type: "string" } },
  },
  create: async (ctx: ComponentContext) => {
    seen.push({
      own: ctx.lookup("own"),
      target: ctx.lookup("target"),
      inheritedOnly: ctx.lookup("seed"),
      problemType: ctx.lookup("problem_type"),
      notifier: ctx.componentInfo("notifier"),
      hasLate: await ctx.hasType("notifier", "LateNotifier"),
      hasNone: await ctx.hasType("notifier", "NoSuchNotifier"),
      late: Object.keys(await ctx.createComponent("notifier", "LateNotifier")),
    });
    await ctx.notify("hello", "info");
    const connector: DataConnector = {
      get_data: async () => Table.fromColumns({ x: [1] }),
      save_data: async () => ({ uri: "mem://", rows: 0, format: "mem" }),
    };
    return connector;
  },
});

const probePlugin = definePlugin({
  name: "@fixtures/context-test",
  version: "1.0.0",
  components: [tagNotifier, probe],
});

// Registered only when a host asks for it (on demand), like a plugin the CLI imports late.
const latePlugin = definePlugin({
  name: "@fixtures/late",
  version: "1.0.0",
  components: [
    defineComponent({
      kind: "notifier",
      type: "LateNotifier",
      create: (): Notifier => ({ notify: async () => undefined }),
    }),
  ],
});
const asked: string[] = [];
const loadType = async (type: string, kind: string) => {
  asked.push(`${kind}:${type}`);
  if (type === "LateNotifier") registerPlugin(latePlugin);
};

beforeAll(() => {
  registerPlugin(fixturePlugin);
  registerPlugin(probePlugin);
});
afterAll(() => resetRegistry());
beforeEach(() => {
  notes.length = 0;
  seen.length = 0;
  asked.length = 0;
  unregisterPlugin(latePlugin.name);
});

const expected = {
  own: "mine",
  target: "species",
  inheritedOnly: 7,
  problemType: "classification",
  hasLate: true,
  hasNone: false,
  late: ["notify"],
};

describe("one context for workflows and standalone components", () => {
  it("a workflow component: nearest-first lookup, peer info, types loaded on demand, notifier", async () => {
    const { plan } = validateConfigText(
      `runner: FixtureRunner
config:
  target: species
  seed: 7
components:
  notifier: TagNotifier
notifier:
  config: { tag: global }
pipelines:
  process: FixtureProcess
process:
  components:
    data_connector: ProbeConnector
  data_connector:
    config: { own: mine }
`,
      "/tmp/lolpop-context-test/lolpop.yaml",
      {},
    );
    await createWorkflow(plan, { logger: silentLogger, loadType });
    // `seed` is not declared by the probe, so it comes from the runner's config through lookup.
    expect(seen).toEqual([
      {
        ...expected,
        notifier: {
          type: "TagNotifier",
          path: "notifier",
          config: { tag: "global" },
          // A workflow's component: the engine records the plugin that provided it.
          plugin: { name: "@fixtures/context-test", version: "1.0.0" },
        },
      },
    ]);
    expect(asked).toEqual(["notifier:LateNotifier", "notifier:NoSuchNotifier"]);
    expect(notes).toEqual(["global:hello"]);
  });

  it("a standalone component gets the same context: inherited lookup, peer info, loadType, notifier", async () => {
    const notifier = (await instantiateComponent(tagNotifier, { config: { tag: "peer" } })) as Notifier;
    await instantiateComponent(probe, {
      config: { own: "mine" },
      inherited: { target: "species", seed: 7 },
      problemType: "classification",
      peers: { notifier },
      loadType,
    });
    expect(seen).toEqual([
      { ...expected, notifier: { type: "TagNotifier", path: "TagNotifier", config: { tag: "peer" } } },
    ]);
    expect(asked).toEqual(["notifier:LateNotifier", "notifier:NoSuchNotifier"]);
    expect(notes).toEqual(["peer:hello"]);
  });

  it("componentInfo hands out a copy: changing it changes neither the peer nor the next answer", async () => {
    const notifier = (await instantiateComponent(tagNotifier, { config: { tag: "peer" } })) as Notifier;
    const infos: Array<Record<string, unknown> | undefined> = [];
    const reader = defineComponent({
      kind: "data_connector",
      type: "InfoReader",
      create: (ctx) => {
        const first = ctx.componentInfo("notifier")!;
        first.config.tag = "changed";
        infos.push(first.config, ctx.componentInfo("notifier")!.config);
        return {} as DataConnector;
      },
    });
    await instantiateComponent(reader, { peers: { notifier } });
    expect(infos).toEqual([{ tag: "changed" }, { tag: "peer" }]);
  });
});

describe("standaloneHost (a bundle's components outside a workflow)", () => {
  it("imports the plugin of a type that is not registered yet, then creates the component", async () => {
    const host = standaloneHost({ logger: silentLogger, loadType });
    const late = await host.createComponent("notifier", "LateNotifier");
    expect(Object.keys(late)).toEqual(["notify"]);
    expect(asked).toEqual(["notifier:LateNotifier"]);
    const tagged = (await host.createComponent("notifier", "TagNotifier", { tag: "x" })) as Notifier;
    await tagged.notify("hi", "info");
    expect(notes).toEqual(["x:hi"]);
    expect(asked).toEqual(["notifier:LateNotifier"]); // a registered type is not loaded again
  });

  it("refuses a type no plugin provides and one of another kind, with the host's error", async () => {
    const host = standaloneHost({
      logger: silentLogger,
      loadType,
      missingType: (kind, type) => new Error(`missing ${kind}/${type}`),
    });
    await expect(host.createComponent("notifier", "NoSuchNotifier")).rejects.toThrow(
      "missing notifier/NoSuchNotifier",
    );
    await expect(host.createComponent("data_connector", "TagNotifier")).rejects.toThrow(
      "missing data_connector/TagNotifier",
    );
    await expect(
      standaloneHost({ logger: silentLogger }).createComponent("notifier", "LateNotifier"),
    ).rejects.toThrow('no notifier type "LateNotifier" is installed');
  });

  it("validates the config against the type's schema and names the path", async () => {
    const host = standaloneHost({ logger: silentLogger, path: "export" });
    await expect(host.createComponent("notifier", "TagNotifier", { tag: 3 })).rejects.toThrow(
      "export.notifier.config.tag",
    );
  });
});
