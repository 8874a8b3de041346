// A small plugin used by core's tests: a runner, two pipelines and components whose methods record calls.
import {
  type DataConnector,
  defineComponent,
  definePipeline,
  definePlugin,
  defineRunner,
  type Notifier,
} from "../index.js";
import { Table } from "../table.js";

export const calls: string[] = [];

export const fixtureConnector = defineComponent({
  kind: "data_connector",
  type: "FixtureConnector",
  configSchema: {
    type: "object",
    additionalProperties: false,
    required: ["path"],
    properties: {
      path: { type: "string" },
      rows: { type: "integer", minimum: 1, default: 3 },
      password: { type: "string" },
      target: { type: "string" },
      fail: { type: "boolean", default: false },
      slow_ms: { type: "integer", default: 0 },
    },
  },
  create: (ctx): DataConnector => ({
    async get_data() {
      calls.push(`${ctx.path}.get_data`);
      const cfg = ctx.config as { rows: number; fail: boolean; slow_ms: number; path: string };
      if (cfg.slow_ms)
        await new Promise((r, j) => {
          const t = setTimeout(r, cfg.slow_ms);
          ctx.signal.addEventListener("abort", () => {
            clearTimeout(t);
            j(new Error("aborted inside"));
          });
        });
      if (cfg.fail) throw new TypeError(`cannot read ${cfg.path}`);
      return Table.fromColumns({ x: Array.from({ length: cfg.rows }, (_, i) => i) });
    },
    async save_data(table) {
      return { uri: "mem://", rows: table.numRows, format: "mem" };
    },
  }),
});

export const fixtureNotifier = defineComponent({
  kind: "notifier",
  type: "FixtureNotifier",
  create: (): Notifier => ({
    async notify(message) {
      calls.push(`notify:${message}`);
    },
  }),
});

export const fixtureProcess = definePipeline({
  type: "FixtureProcess",
  requires: ["data_connector"],
  configSchema: { type: "object", properties: { target: { type: "string" } } },
  create: (ctx) => ({
    async process_data() {
      calls.push(`${ctx.path}.process_data`);
      const t = await ctx.component("data_connector").get_data();
      return { rows: t.numRows, target: ctx.lookup("target") };
    },
  }),
});

export const fixtureOther = definePipeline({
  type: "FixtureOther",
  create: (ctx) => ({
    async other() {
      calls.push(`${ctx.path}.other`);
      return ctx.optionalComponent("data_connector") ? "sees a connector" : "no connector";
    },
  }),
});

export const fixtureRunner = defineRunner({
  type: "FixtureRunner",
  problemType: "classification",
  requiresPipelines: ["process"],
  configSchema: {
    type: "object",
    properties: { target: { type: "string" }, seed: { type: "integer", default: 7 } },
  },
  create: (ctx) => ({
    async build_all() {
      calls.push("runner.build_all");
      ctx.lineage.recordSeed(ctx.path, ctx.config.seed as number);
      const p = ctx.pipeline<{ process_data(): Promise<unknown> }>("process");
      const out = await p.process_data();
      const other = ctx.optionalPipeline<{ other(): Promise<string> }>("other");
      return { out, other: other ? await other.other() : undefined };
    },
  }),
});

export const fixturePlugin = definePlugin({
  name: "@fixtures/core-test",
  version: "1.0.0",
  components: [fixtureConnector, fixtureNotifier, fixtureProcess, fixtureOther, fixtureRunner],
});
