// The inference bundle: a model version carries what predict needs to turn raw input into a
// prediction (input schema and column typing as read at training, the process data transformer,
// the fitted feature transformer, the model, plugin versions), and predict replays exactly that,
// whatever the predict pipeline's own config says.
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  ConfigError,
  type ConfigIssue,
  createWorkflow,
  silentLogger,
  validateConfigText,
} from "@lolpop/core";
import "@lolpop/local";
import "@lolpop/random-forest";
import "@lolpop/workflows";
import type { WorkflowSummary } from "@lolpop/workflows";
import { lolpop, testsDir } from "./helpers.js";
import {
  bundleMeta,
  dropColumn,
  editCsv,
  type PenguinsConfig,
  penguinsProject,
  penguinsYaml,
  versions,
} from "./penguins.js";

/** Runs `step` of the config in process; returns the summary (or throws the run's error). */
async function run(dir: string, config: PenguinsConfig | string, step = "all") {
  const text = typeof config === "string" ? config : penguinsYaml(config);
  const file = join(dir, "lolpop.yaml");
  writeFileSync(file, text);
  const { plan } = validateConfigText(text, file, {});
  const wf = await createWorkflow(plan, { logger: silentLogger });
  return (await wf.run("run_step", step)) as WorkflowSummary;
}

/** The issues of the ConfigError that `fn` throws. */
function configIssues(fn: () => unknown): ConfigIssue[] {
  try {
    fn();
  } catch (e) {
    if (ConfigError.isInstance(e)) return e.issues;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

const csvRows = (dir: string, file = "predictions/penguins.csv") =>
  readFileSync(join(dir, file), "utf8").trimEnd().split("\n");

/** A user module deriving `month` (1-12) from the datetime column `date`. */
const MONTH_MODULE = `export function transform(table) {
  const date = table.numeric("date");
  const month = Float64Array.from(date, (v) => (Number.isNaN(v) ? Number.NaN : new Date(v).getUTCMonth() + 1));
  return table.withColumn("month", month);
}
`;

describe("column typing", () => {
  it("typing declared on the process connector (columns: {date: datetime}) is replayed at predict", async () => {
    const dir = penguinsProject("lolpop-bundle-typing-", { dates: true });
    const summary = await run(dir, { processColumns: "{date: datetime}" });
    expect(summary.predict).toMatchObject({ version: 1, rows: 68 });
    expect(csvRows(dir)[0]).toBe("id,prediction,proba_Adelie,proba_Chinstrap,proba_Gentoo");
    const meta = bundleMeta(dir, 1);
    expect(meta.format).toBe(2);
    expect(meta.input.columns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "date", type: "numeric", logical: "datetime", role: "feature" }),
        expect.objectContaining({ name: "id", role: "index" }),
        expect.objectContaining({ name: "species", role: "target" }),
        expect.objectContaining({
          name: "island",
          type: "categorical",
          categories: ["Biscoe", "Dream", "Torgersen"],
        }),
      ]),
    );
    expect(meta.input.typing).toMatchObject({
      connector: "LocalDataConnector",
      columns: { date: "datetime" },
    });
  }, 180_000);

  it("a predict value that does not fit the bundle's typing names the line and the column", async () => {
    const dir = penguinsProject("lolpop-bundle-badvalue-", { dates: true });
    await run(dir, { processColumns: "{date: datetime}" }, "deploy");
    editCsv(dir, "new.csv", (lines) => {
      lines[4] = lines[4]!.replace(/^(\d+),[^,]*,/, "$1,someday,");
      return lines;
    });
    await expect(run(dir, { processColumns: "{date: datetime}" }, "predict")).rejects.toThrow(
      /line 5.*"date"|"date".*line 5/,
    );
    expect(existsSync(join(dir, "predictions"))).toBe(false);
  }, 180_000);

  it("a predict connector whose columns: contradict the process connector's is a validate error with file:line", () => {
    const dir = penguinsProject("lolpop-bundle-contradict-", { dates: true });
    const text = penguinsYaml({ processColumns: "{date: datetime}", predictColumns: "{date: categorical}" });
    const issues = configIssues(() => validateConfigText(text, join(dir, "lolpop.yaml"), {}));
    const issue = issues.find((i) => i.path === "predict.data_connector.config.columns.date");
    expect(issue).toMatchObject({ file: join(dir, "lolpop.yaml"), line: expect.any(Number) });
    expect(issue!.message).toMatch(/datetime/);
  }, 180_000);

  it("run checks the predict connector's columns: against the bundle of the version it loads", async () => {
    const dir = penguinsProject("lolpop-bundle-contradict-run-", { dates: true });
    await run(dir, { processColumns: "{date: datetime}" }, "deploy");
    // The config changed since v1 was trained: statically valid, but it contradicts v1's bundle.
    const text = penguinsYaml({ predictColumns: "{date: categorical}" });
    const err = await run(dir, text, "predict").catch((e) => e);
    const issues = findConfigIssues(err);
    const issue = issues.find((i) => i.path === "predict.data_connector.config.columns.date");
    expect(issue).toMatchObject({ line: expect.any(Number) });
    expect(issue!.message).toMatch(/v1.*datetime/);
  }, 180_000);
});

/** The issues of a ConfigError anywhere in an error's cause chain. */
function findConfigIssues(e: unknown): ConfigIssue[] {
  for (let cur = e as { cause?: unknown } | undefined; cur; cur = cur.cause as typeof cur)
    if (ConfigError.isInstance(cur)) return cur.issues;
  throw e;
}

describe("the process data transformer", () => {
  const transformer = "      module: features.mjs";

  it("an engineered feature made by the process data_transformer is replayed at predict", async () => {
    const dir = penguinsProject("lolpop-bundle-engineered-", { dates: true });
    writeFileSync(join(dir, "features.mjs"), MONTH_MODULE);
    const summary = await run(dir, { processColumns: "{date: datetime}", processTransformer: transformer });
    expect(summary.predict).toMatchObject({ version: 1, rows: 68 });
    const meta = bundleMeta(dir, 1);
    expect(meta.feature_columns).toContain("month");
    expect(meta.data_transformer).toMatchObject({
      type: "LocalDataTransformer",
      config: { module: "features.mjs" },
      code: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
    });
    // The raw input schema is the data as read, before the transformer.
    expect(meta.input.columns.map((c: { name: string }) => c.name)).not.toContain("month");
  }, 180_000);

  it("predict refuses a transformer module that changed since the version was trained", async () => {
    const dir = penguinsProject("lolpop-bundle-module-changed-", { dates: true });
    writeFileSync(join(dir, "features.mjs"), MONTH_MODULE);
    const config = { processColumns: "{date: datetime}", processTransformer: transformer };
    await run(dir, config, "deploy");
    writeFileSync(join(dir, "features.mjs"), MONTH_MODULE.replace("getUTCMonth() + 1", "getUTCMonth()"));
    await expect(run(dir, config, "predict")).rejects.toThrow(/features\.mjs.*changed since.*v1/s);
  }, 180_000);

  it("a predict data_transformer is a validate error with file:line (predict replays the process one)", () => {
    const dir = penguinsProject("lolpop-bundle-predict-transformer-");
    const text = penguinsYaml({ predictTransformer: true });
    const issues = configIssues(() => validateConfigText(text, join(dir, "lolpop.yaml"), {}));
    const issue = issues.find((i) => i.path === "predict.components.data_transformer");
    expect(issue).toMatchObject({ line: expect.any(Number) });
    expect(issue!.message).toMatch(/process/);
    writeFileSync(join(dir, "lolpop.yaml"), text);
    const r = lolpop(["validate"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/lolpop\.yaml:\d+:\d+ predict\.components\.data_transformer/);
  }, 180_000);
});

describe("output columns", () => {
  it("carries the id column and the pass-through columns the user asks for", async () => {
    const dir = penguinsProject("lolpop-bundle-passthrough-");
    await run(dir, { predictConfig: ["    passthrough: [island, sex]"] });
    expect(csvRows(dir)[0]).toBe("id,island,sex,prediction,proba_Adelie,proba_Chinstrap,proba_Gentoo");
  }, 180_000);

  it("input without the index column is an error naming it, not predictions without ids", async () => {
    const dir = penguinsProject("lolpop-bundle-noid-");
    await run(dir, {}, "deploy");
    dropColumn(dir, "new.csv", "id");
    await expect(run(dir, {}, "predict")).rejects.toThrow(/index column "id"/);
    expect(existsSync(join(dir, "predictions"))).toBe(false);
  }, 180_000);
});

describe("a version written in format 1 (before the inference bundle)", () => {
  it("is still read: it predicts what the format-1 code predicted, and says what it lacks", () => {
    const fixture = join(testsDir, "fixtures", "format-1-store");
    const dir = penguinsProject("lolpop-bundle-format1-");
    cpSync(join(fixture, "models"), join(dir, ".lolpop", "models"), { recursive: true });
    writeFileSync(join(dir, "lolpop.yaml"), readFileSync(join(fixture, "lolpop.yaml.txt"), "utf8"));
    const r = lolpop(["run", "--step", "predict"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    expect(versions(dir)).toEqual([1]);
    expect(readFileSync(join(dir, "predictions", "penguins.csv"), "utf8")).toBe(
      readFileSync(join(fixture, "predictions-by-format-1-code.csv"), "utf8"),
    );
    expect(r.stderr).toMatch(/format 1/);
    expect(r.stderr).toMatch(/no input schema/);
  }, 180_000);
});
