// Unit tests of the CLI's pure parts; the commands themselves are tested end to end in tests/cli-*.test.ts.
import {
  CORE_VERSION,
  checkManifest,
  IncompatiblePluginError,
  PLUGIN_API_VERSION,
  parseConfigText,
} from "@lolpop/core";
import { fastPluginsList } from "./cli.js";
import { kebabCase, pascalCase } from "./create.js";
import { checkManifestData, SUPPORTED_PLUGIN_API_VERSION } from "./discovery.js";
import { parseRequirement, safeUrl, serverUrls } from "./doctor.js";
import { renderTable } from "./format.js";
import { packageName } from "./init.js";
import { buildConfigSchema, configRows, typeText } from "./schemas.js";
import { parseTests } from "./workflow-test.js";

describe("manifest checks without importing core", () => {
  it("this CLI supports the plugin API of the core it is released with", () => {
    expect(SUPPORTED_PLUGIN_API_VERSION).toBe(PLUGIN_API_VERSION);
  });

  it("give core's verdict and message for every kind of manifest", () => {
    const core = { version: CORE_VERSION, apiVersion: PLUGIN_API_VERSION };
    const cases: unknown[] = [
      undefined,
      "x",
      { apiVersion: 1, components: [{ kind: "notifier", type: "X" }] },
      { apiVersion: 2, components: [] },
      { apiVersion: 0, components: [] },
      { apiVersion: 1, components: [{ kind: "notifier" }] },
      { apiVersion: 1 },
    ];
    for (const raw of cases) {
      const mine = checkManifestData("p", raw, core);
      let theirs: { status: string; error?: string };
      try {
        checkManifest("p", raw);
        theirs = { status: "ok" };
      } catch (e) {
        theirs = {
          status: IncompatiblePluginError.isInstance(e) ? "incompatible" : "broken",
          error: (e as Error).message,
        };
      }
      expect(mine.status).toBe(theirs.status);
      if (mine.status !== "ok") expect(mine.error).toBe(theirs.error);
    }
  });
});

describe("config tables and the editor schema", () => {
  it("typeText describes schemas briefly", () => {
    expect(typeText({ type: "integer" })).toBe("integer");
    expect(typeText({ type: ["string", "null"] })).toBe("string | null");
    expect(typeText({ enum: ["a", "b"] })).toBe('"a" | "b"');
    expect(typeText({ type: "array", items: { type: "number" } })).toBe("number[]");
    expect(typeText({ anyOf: [{ type: "number" }, { enum: ["auto"] }] })).toBe('number | "auto"');
    expect(typeText({ type: "object" })).toBe("mapping");
  });

  it("configRows flattens nested mappings and marks required keys", () => {
    const rows = configRows({
      type: "object",
      required: ["target"],
      properties: {
        target: { type: "string", description: "Target column." },
        params: { type: "object", default: {}, properties: { depth: { type: "integer", default: 3 } } },
      },
    });
    expect(rows).toEqual([
      { key: "target", type: "string", default: "(required)", description: "Target column." },
      { key: "params", type: "mapping", default: "{}", description: "" },
      { key: "params.depth", type: "integer", default: "3", description: "" },
    ]);
  });

  it("the file schema offers qualified names only for a type two plugins provide", () => {
    const schema = buildConfigSchema([
      { plugin: "a", kind: "notifier", type: "N", configSchema: { type: "object" }, source: "code" },
      { plugin: "b", kind: "notifier", type: "N", configSchema: { type: "object" }, source: "code" },
      { plugin: "a", kind: "runner", type: "R", configSchema: { type: "object" }, source: "code" },
    ]) as { properties: Record<string, any>; definitions: Record<string, any> };
    expect(schema.properties.runner.enum).toEqual(["R", "a/R"]);
    expect(schema.definitions.components.properties.notifier.enum).toEqual(["a/N", "b/N"]);
    expect(Object.keys(schema.definitions)).toEqual(
      expect.arrayContaining(["type_a_N", "type_b_N", "type_R"]),
    );
  });
});

describe("tests: section", () => {
  it("reads dotted keys and nested mappings, with both spellings of the hook lists", () => {
    const source = parseConfigText(
      `tests:
  process.data_connector.get_data:
    post_hooks:
      - { hook_file: h.mjs, hook_method: a }
  train:
    model_trainer:
      fit:
        pre-hooks:
          - { hook_file: h.mjs, hook_method: b, hook_on_error: stop, name: "before fit" }
`,
      "/p/lolpop.yaml",
    );
    const issues: unknown[] = [];
    const specs = parseTests(source, "/p", issues as never);
    expect(issues).toEqual([]);
    expect(specs.map((s) => [s.key, s.phase, s.fn, s.onError, s.name, s.file])).toEqual([
      ["process.data_connector.get_data", "post", "a", "fail", "a", "/p/h.mjs"],
      ["train.model_trainer.fit", "pre", "b", "stop", "before fit", "/p/h.mjs"],
    ]);
  });

  it("reports mistakes with their line", () => {
    const source = parseConfigText(
      `tests:
  fit:
    post_hooks: []
  train.train_model:
    post_hooks:
      - { hook_file: h.mjs }
      - { hook_file: h.mjs, hook_method: x, hook_on_error: explode }
    during_hooks: []
`,
      "/p/t.yaml",
    );
    const issues: Array<{ path: string; message: string; line?: number }> = [];
    parseTests(source, "/p", issues as never);
    expect(issues.map((i) => [i.path, i.line])).toEqual([
      ["tests.fit", 2],
      ["tests.train.train_model.post_hooks.0.hook_method", 6],
      ["tests.train.train_model.post_hooks.1.hook_on_error", 7],
      ["tests.train.train_model.during_hooks", 8],
    ]);
  });
});

describe("doctor helpers", () => {
  it("parse requirement lines", () => {
    expect(parseRequirement("catboost==1.2.10")).toEqual({ name: "catboost", pinned: "1.2.10" });
    expect(parseRequirement("numpy>=2")).toEqual({ name: "numpy" });
    expect(parseRequirement("evidently[llm]==0.7.23")).toEqual({ name: "evidently", pinned: "0.7.23" });
  });

  it("find server URLs in a config and hide their credentials", () => {
    expect(serverUrls({ a: { uri: "http://x:1/" }, b: ["https://y/z", "file:///no"], c: 3 })).toEqual([
      { path: "a.uri", url: "http://x:1/" },
      { path: "b.0", url: "https://y/z" },
    ]);
    expect(safeUrl("http://me:hunter22@host:5000/api?token=abcdef&x=1")).toBe(
      "http://***:***@host:5000/api?token=***&x=1",
    );
  });
});

describe("names and tables", () => {
  it("convert names", () => {
    expect(pascalCase("knn-tools")).toBe("KnnTools");
    expect(kebabCase("KnnModelTrainer")).toBe("knn-model-trainer");
    expect(packageName("My Project!")).toBe("my-project");
  });

  it("render aligned tables", () => {
    expect(renderTable(["A", "BB"], [["xxx", "y"]])).toBe("A    BB\n---  --\nxxx  y");
  });

  it("cut tables to a width: the widest column shrinks, cells end in ...", () => {
    const rows = [["v1", "a".repeat(50), "short"]];
    const out = renderTable(["VERSION", "RUN", "X"], rows, "", 30);
    for (const line of out.split("\n")) expect(line.length).toBeLessThanOrEqual(30);
    expect(out).toContain("aaa...");
    expect(out).toContain("v1");
    expect(out).toContain("short");
    // Wide enough: unchanged.
    expect(renderTable(["VERSION", "RUN", "X"], rows, "", 200)).toBe(
      renderTable(["VERSION", "RUN", "X"], rows),
    );
  });
});

describe("plugins list fast path", () => {
  it("takes exactly `plugins list` with its own options, everything else goes to the full parser", () => {
    expect(fastPluginsList(["plugins", "list"])).toEqual({});
    expect(fastPluginsList(["plugins", "list", "--json", "-c", "a.yaml"])).toEqual({
      json: true,
      config: "a.yaml",
    });
    expect(fastPluginsList(["plugins", "list", "--config=b.yaml"])).toEqual({ config: "b.yaml" });
    for (const args of [
      ["plugins", "list", "--help"],
      ["plugins", "list", "-c"],
      ["plugins", "list", "--config", "--json"],
      ["plugins", "info", "x"],
      ["plugins"],
      ["list"],
    ])
      expect(fastPluginsList(args)).toBeUndefined();
  });
});

describe("workflow summary", () => {
  const train = (metrics: Record<string, number>, notes?: Record<string, Record<string, string>>) => ({
    train: {
      trainer: "RandomForestModelTrainer",
      params: { n_estimators: 10 },
      metrics: { train: metrics, test: metrics },
      ...(notes ? { metric_notes: notes } : {}),
      baseline: { test: metrics },
      perf_metric: "rmse",
      comparison: { split: "test", challenger: 1, baseline: 2 },
      model_name: "m",
      version: 1,
    },
  });

  it("keeps the metric table aligned for huge values and says why a value is not meaningful", async () => {
    const { renderSummary } = await import("./summary.js");
    const why = "3 of 40 actual values are 0 and MAPE divides by |actual|, so it is not meaningful here";
    const text = renderSummary(
      train({ rmse: 1.25, mape: 5.5e12, roc: Number.NaN }, { test: { mape: why, roc: "a class is absent" } }),
    );
    const rows = text.split("\n").filter((l) => /^ {2}(metric|rmse|mape|roc)\b/.test(l));
    expect(rows).toHaveLength(4);
    expect(new Set(rows.map((r) => r.length)).size).toBe(1);
    expect(text).toMatch(/mape.*5\.50e\+12/);
    expect(text).toContain(`mape (test): ${why}`);
    expect(text).toContain("roc (test): a class is absent");
  });

  it("strips control characters from data-derived text", async () => {
    const { renderSummary } = await import("./summary.js");
    const s = train({ rmse: 1 });
    s.train.params = { column: "x\u001b[2J\u001b]0;title\u0007y" } as never;
    const text = renderSummary({ ...s, predict: { rows: 1, version: 1, path: "out\u009b2J.csv" } });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain("out.csv");
  });
});

describe("run outcome (one rendering for run, orchestrated run and runs attach)", () => {
  const summary = { process: { rows: 3, columns: 2, fingerprint: "abcdef0123456789" } };

  it("prints the summary so far and where the run stopped, or the JSON document", async () => {
    const { PartialRunError } = await import("@lolpop/core");
    const { renderRunFailed, renderRunSucceeded } = await import("./summary.js");
    const error = new Error("wrapped", {
      cause: new PartialRunError({ summary, step: "train", cause: new Error("no rows left") }),
    });
    const text = renderRunFailed(error, "no rows left\nmore detail");
    expect(text).toContain("data        3 rows x 2 columns");
    expect(text.trimEnd().split("\n").at(-1)).toBe("FAILED at train: no rows left");
    const doc = JSON.parse(renderRunFailed(error, "no rows left", { json: true, lineage: { nodes: [] } }));
    expect(doc).toEqual({
      ok: false,
      summary,
      error: { step: "train", code: "run_failed", message: "no rows left" },
      lineage: { nodes: [] },
    });
    expect(JSON.parse(renderRunSucceeded(summary, { json: true }))).toEqual({ ok: true, ...summary });
    expect(renderRunSucceeded(summary)).toContain("3 rows x 2 columns");
  });

  it("gives no text for an error without a partial run, and the error alone as JSON", async () => {
    const { renderRunFailed } = await import("./summary.js");
    expect(renderRunFailed(new Error("refused"), "refused")).toBe("");
    expect(JSON.parse(renderRunFailed(new Error("refused"), "refused", { json: true }))).toEqual({
      ok: false,
      error: { message: "refused" },
    });
  });
});

describe("plugins list and info do not cut names and types", () => {
  const long = "AVeryLongComponentTypeNameThatGoesOnAndOnForecasterWithExogenousRegressors";
  const plugin = {
    name: "@acme/lolpop-a-plugin-with-a-rather-long-package-name",
    version: "1.0.0",
    status: "ok",
    dir: "/x",
    warnings: [],
    manifest: {
      apiVersion: 1,
      components: Array.from({ length: 6 }, (_, i) => ({ kind: "model_trainer", type: `${long}${i}` })),
    },
  };
  it("lists every type in full", async () => {
    const { renderList } = await import("./plugins-command.js");
    const text = renderList(
      { plugins: [plugin], cores: [], problems: [], conflicts: [], commands: [] } as never,
      { version: "0.1.0", path: "/cli" } as never,
    );
    for (let i = 0; i < 6; i++) expect(text).toContain(`${long}${i} (model_trainer)`);
    expect(text).toContain(plugin.name);
  });
  it("shows enum types in full", async () => {
    const { renderInfo } = await import("./plugins-command.js");
    const values = [
      "additive_damped_trend",
      "multiplicative_seasonality",
      "holt_winters_exponential",
      "none",
    ];
    const text = renderInfo(plugin as never, [
      {
        plugin: plugin.name,
        kind: "model_trainer",
        type: long,
        source: "code",
        configSchema: {
          type: "object",
          properties: { method: { enum: values, default: "none", description: "How." } },
        },
      },
    ]);
    for (const v of values) expect(text).toContain(v);
  });
});
