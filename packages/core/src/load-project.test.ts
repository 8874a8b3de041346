// loadProject: read → resolve → import what the config uses → plan once → build.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixturePlugin } from "../test/fixtures/plugin.js";
import {
  ConfigError,
  type ConfigSource,
  type DataConnector,
  defineComponent,
  definePlugin,
  loadProject,
  type Notifier,
  type PluginFailure,
  registerPlugin,
  resetRegistry,
  silentLogger,
  Table,
  typesUsed,
} from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "lolpop-load-project-"));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  resetRegistry();
});
afterEach(() => resetRegistry());

const notifierPlugin = (name: string, type: string) =>
  definePlugin({
    name,
    version: "1.0.0",
    components: [
      defineComponent({
        kind: "notifier",
        type,
        create: (): Notifier => ({ notify: async () => undefined }),
      }),
    ],
  });

// A connector that creates a notifier type the config does not name (like a tuner's trainers).
const onDemandPlugin = definePlugin({
  name: "@acme/on-demand",
  version: "1.0.0",
  components: [
    defineComponent({
      kind: "data_connector",
      type: "OnDemandConnector",
      configSchema: { type: "object", properties: { path: { type: "string" } } },
      create: (ctx): DataConnector => ({
        get_data: async () => {
          const n = await ctx.createComponent("notifier", "EmailNotifier");
          await n.notify("made on demand");
          return Table.fromColumns({ x: [1, 2] });
        },
        save_data: async () => ({ uri: "mem://", rows: 0, format: "mem" }),
      }),
    }),
  ],
});

const config = (notifier: string) => `runner: FixtureRunner
config:
  target: \${env:TARGET:-species}
components:
  notifier: ${notifier}
pipelines:
  process: FixtureProcess
process:
  components:
    data_connector: FixtureConnector
  data_connector:
    config:
      path: data.csv
`;

/** A host's plugins: the fixture plugin and two notifier plugins, imported when asked for. */
function host(failures: PluginFailure[] = []) {
  const calls: Array<string[] | "all"> = [];
  const sources: ConfigSource[] = [];
  const installed: Record<string, ReturnType<typeof notifierPlugin> | typeof fixturePlugin> = {
    FixtureRunner: fixturePlugin,
    FixtureProcess: fixturePlugin,
    FixtureConnector: fixturePlugin,
    FixtureNotifier: fixturePlugin,
    SlackNotifier: notifierPlugin("@acme/slack", "SlackNotifier"),
    EmailNotifier: notifierPlugin("@acme/email", "EmailNotifier"),
    OnDemandConnector: onDemandPlugin,
  };
  const discover = (source: ConfigSource) => {
    sources.push(source);
    return {
      loadTypes: async (types: ReadonlySet<string> | "all") => {
        calls.push(types === "all" ? "all" : [...types].sort());
        for (const [type, plugin] of Object.entries(installed))
          if (types === "all" || types.has(type)) registerPlugin(plugin);
        return failures;
      },
      loadType: async (type: string) => {
        calls.push([`on demand ${type}`]);
        const plugin = installed[type];
        if (plugin) registerPlugin(plugin);
      },
    };
  };
  return { calls, sources, discover };
}

describe("loadProject", () => {
  it("imports only the plugins of the types the config uses, validates once, builds with the project's folders", async () => {
    const file = join(dir, "ok.yaml");
    writeFileSync(file, config("SlackNotifier"));
    const h = host();
    const loaded = await loadProject({ configPath: file, discover: h.discover, env: { TARGET: "kind" } });
    expect(h.calls).toEqual([["FixtureConnector", "FixtureProcess", "FixtureRunner", "SlackNotifier"]]);
    expect(h.sources.map((s) => s.file)).toEqual([file]);
    expect(loaded.plan.source).toBe(h.sources[0]);
    expect(loaded.plan.runner.config.target).toBe("kind");
    expect(loaded.plan.plugins.map((p) => p.name).sort()).toEqual(["@acme/slack", "@fixtures/core-test"]);
    expect(loaded.pluginFailures).toEqual([]);
    const wf = await loaded.createWorkflow({ logger: silentLogger });
    expect(((await wf.run()) as { out: { target: string } }).out.target).toBe("kind");
  });

  it("applies --set overrides to the file's text before reading it, and names a missing file", async () => {
    const file = join(dir, "set.yaml");
    writeFileSync(file, config("SlackNotifier"));
    const h = host();
    const loaded = await loadProject({
      configPath: file,
      discover: h.discover,
      overrides: ["components.notifier=EmailNotifier"],
    });
    expect(h.calls).toEqual([["EmailNotifier", "FixtureConnector", "FixtureProcess", "FixtureRunner"]]);
    expect(h.sources.map((s) => s.file)).toEqual([file]);
    expect((loaded.plan.source.data as { components: { notifier: string } }).components.notifier).toBe(
      "EmailNotifier",
    );
    const missing = join(dir, "none.yaml");
    await expect(
      loadProject({ configPath: missing, discover: h.discover, overrides: ["components.notifier=X"] }),
    ).rejects.toMatchObject({
      issues: [expect.objectContaining({ code: "config_not_found", file: missing })],
    });
  });

  it("an unknown type: imports every plugin once, so the one error lists every installed type", async () => {
    const h = host([{ plugin: "lolpop-plugin-broken", error: "it throws at import" }]);
    let error: unknown;
    try {
      await loadProject({
        configPath: join(dir, "typo.yaml"),
        text: config("SlakNotifier"),
        discover: h.discover,
      });
    } catch (e) {
      error = e;
    }
    expect(h.calls).toEqual([["FixtureConnector", "FixtureProcess", "FixtureRunner", "SlakNotifier"], "all"]);
    expect(ConfigError.isInstance(error)).toBe(true);
    const issues = (error as ConfigError).issues;
    expect(issues.map((i) => i.code)).toEqual(["unknown_type", "plugin_load_failed"]);
    expect(issues[0]!.message).toBe(
      'unknown notifier type "SlakNotifier". Did you mean SlackNotifier, EmailNotifier? Installed notifier types: EmailNotifier, FixtureNotifier, SlackNotifier.',
    );
    expect(issues[0]).toMatchObject({ path: "components.notifier", line: 5, file: join(dir, "typo.yaml") });
    expect(issues[1]).toMatchObject({
      path: "plugins",
      message: "lolpop-plugin-broken: it throws at import",
    });
  });

  it("passes the host's loadType to the workflow for types created on demand", async () => {
    const h = host();
    const text = config("FixtureNotifier").replace(
      "data_connector: FixtureConnector",
      "data_connector: OnDemandConnector",
    );
    const loaded = await loadProject({ configPath: join(dir, "x.yaml"), text, discover: h.discover });
    expect(h.calls).toEqual([["FixtureNotifier", "FixtureProcess", "FixtureRunner", "OnDemandConnector"]]);
    const wf = await loaded.createWorkflow({ logger: silentLogger });
    await wf.run();
    expect(h.calls.slice(1)).toEqual([["on demand EmailNotifier"]]);
    expect(wf.lineage().plugins.map((p) => p.name)).toContain("@acme/email");
  });

  it("without a host, knows the registered types only", async () => {
    registerPlugin(fixturePlugin);
    const loaded = await loadProject({ configPath: join(dir, "y.yaml"), text: config("FixtureNotifier") });
    expect(loaded.plan.runner.type).toBe("FixtureRunner");
    await expect(
      loadProject({ configPath: join(dir, "z.yaml"), text: config("SlackNotifier") }),
    ).rejects.toThrow(/unknown notifier type "SlackNotifier"/);
  });

  it("typesUsed lists runner, pipeline and component types at both levels, without plugin qualifiers", () => {
    expect(
      [
        ...typesUsed({
          runner: "R",
          components: { notifier: "@acme/slack/SlackNotifier" },
          pipelines: { train: "T" },
          train: { components: { model_trainer: "M" } },
        }),
      ].sort(),
    ).toEqual(["M", "R", "SlackNotifier", "T"]);
  });
});
