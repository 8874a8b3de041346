// `lolpop validate` plans from the validation data plugins ship (dist/validation.json, schemas.json
// and the small checks module) without importing their code: the quickstart's three plugins are
// installed as published, except that each entry throws (and leaves a marker) when imported. Every
// problem the real plugins find is still found, at the same file, line and path; stale data or a
// type whose checks need the plugin's code makes validate import the plugin as before.
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { json, linkPackages, tempDir, throwingEntry, writePackage } from "./cli-helpers.js";
import { lolpop, repoRoot } from "./helpers.js";

const PLUGINS: Record<string, string> = {
  "@lolpop/workflows": "packages/workflows",
  "@lolpop/local": "packages/local",
  "@lolpop/random-forest": "integrations/random-forest",
};
const quickstart = readFileSync(join(repoRoot, "examples", "quickstart", "penguins", "lolpop.yaml"), "utf8");

const root = tempDir("lolpop-validate-data-");
const described = join(root, "described"); // entries throw when imported
const real = join(root, "real"); // the workspace plugins, linked
const marks = join(root, "markers");

/** The marker file name a plugin's replaced module leaves (`what`: which module, e.g. `imported`). */
const marker = (name: string, what: string) => `${name.replace("/", "+")}-${what}`;
/** The markers of all three plugins, sorted. */
const everyPlugin = (what: string) =>
  Object.keys(PLUGINS)
    .map((n) => marker(n, what))
    .sort();

/** Installs the three plugins as published into `project`, with entries that throw when imported. */
function installDescribed(
  project: string,
  edit: (name: string, pkg: Record<string, any>) => void = () => {},
) {
  linkPackages(project, ["@lolpop/core"]);
  for (const [name, rel] of Object.entries(PLUGINS)) {
    const src = join(repoRoot, rel);
    const dest = join(project, "node_modules", name);
    const pkg = JSON.parse(readFileSync(join(src, "package.json"), "utf8"));
    edit(name, pkg);
    cpSync(join(src, "dist"), join(dest, "dist"), { recursive: true });
    writePackage(dest, pkg, {
      [pkg.exports["."].import]: throwingEntry(join(marks, marker(name, "imported"))),
    });
  }
  writePackage(project, {
    name: "validate-data-project",
    private: true,
    dependencies: Object.fromEntries(Object.keys(PLUGINS).map((n) => [n, "*"])),
  });
}

beforeAll(() => {
  mkdirSync(marks, { recursive: true });
  installDescribed(described);
  linkPackages(real, ["@lolpop/core", ...Object.keys(PLUGINS)]);
  writePackage(real, {
    name: "validate-real-project",
    private: true,
    dependencies: Object.fromEntries(Object.keys(PLUGINS).map((n) => [n, "*"])),
  });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  for (const f of readdirSync(marks)) rmSync(join(marks, f));
});

/** `lolpop validate --json` of `text` in `project` (config written as lolpop.yaml). */
function validate(project: string, text: string, env: Record<string, string> = {}) {
  writeFileSync(join(project, "lolpop.yaml"), text);
  return lolpop(["validate", "--json"], project, { LOLPOP_SCHEMA_CACHE: "0", ...env });
}

/** Replaces each plugin's checks module (`configChecks`, or its CommonJS build) with one that throws. */
function breakChecks(project: string, which: "configChecks" | "configChecksCommonJs") {
  for (const name of Object.keys(PLUGINS)) {
    const dir = join(project, "node_modules", name);
    const rel = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).lolpop[which];
    const file = join(marks, marker(name, `${which}-loaded`));
    writeFileSync(
      join(dir, rel),
      which === "configChecks"
        ? throwingEntry(file)
        : `require("node:fs").writeFileSync(${JSON.stringify(file)}, "loaded");\nthrow new Error("broken checks build");\n`,
    );
  }
}

/** Issues without the absolute file (the two projects live in different folders). */
function issuesOf(r: {
  stdout: string;
  stderr: string;
  code: number | null;
}): Array<Record<string, unknown>> {
  return (json(r).issues as Array<Record<string, unknown>>).map(({ file, ...rest }) => ({
    ...rest,
    file: String(file).split("/").pop(),
  }));
}

const BAD: Array<[string, string]> = [
  // The splitter's checks module rule (ratios sum to 1).
  ["split ratios", quickstart.replace("split_ratio: [0.7, 0.15, 0.15]", "split_ratio: [0.7, 0.2, 0.2]")],
  // The random forest's training_params rule (code in its checks module).
  ["forest params", quickstart.replace("max_depth: 8", "max_depth: -3")],
  // OfflineTrain's metric rule (needs the runner's problem type).
  ["metric", quickstart.replace("perf_metric: f1_macro", "perf_metric: rmse")],
  // A schema rule (from schemas.json) and an unknown type (did you mean).
  [
    "schema + type",
    quickstart.replace("seed: 42", "seed: forty").replace("LocalDataSplitter", "LocalDataSpliter"),
  ],
  // OfflinePredict's plan check: predict types a column differently from the process connector.
  [
    "predict plan",
    quickstart
      .replace("path: data/train.csv", "path: data/train.csv\n      columns:\n        island: categorical")
      .replace("path: data/new.csv", "path: data/new.csv\n      columns:\n        island: numeric"),
  ],
];

describe("lolpop validate from shipped validation data", () => {
  it("validates the quickstart without importing any plugin", () => {
    const r = validate(described, quickstart);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    const out = json(r);
    expect(out.ok).toBe(true);
    expect(out.plugins.map((p: { name: string }) => p.name).sort()).toEqual(Object.keys(PLUGINS).sort());
    expect(readdirSync(marks)).toEqual([]);
  }, 60_000);

  it.each(BAD)(
    "finds what the real plugins find (%s), at the same file, line and path",
    (_name, text) => {
      const mine = validate(described, text);
      const theirs = validate(real, text);
      // The ES module CLI imports the checks modules instead of loading their CommonJS builds.
      const esm = validate(described, text, { LOLPOP_VALIDATE_BUILD: "0" });
      expect(theirs.code).toBe(2);
      expect([mine.code, mine.stderr]).toEqual([2, ""]);
      expect(issuesOf(mine)).toEqual(issuesOf(theirs));
      expect(issuesOf(esm)).toEqual(issuesOf(mine));
      expect(readdirSync(marks)).toEqual([]);
      expect(issuesOf(mine).every((i) => typeof i.line === "number")).toBe(true);
    },
    60_000,
  );

  it("a data transformer's check needs @lolpop/local's code: validate imports it (and reports it broken)", () => {
    const text = quickstart.replace(
      "process:\n  components:\n    data_connector: LocalDataConnector",
      "process:\n  components:\n    data_connector: LocalDataConnector\n    data_transformer: LocalDataTransformer",
    );
    const r = validate(described, text);
    expect(r.code).toBe(2);
    expect(readdirSync(marks)).toEqual(["@lolpop+local-imported"]);
    expect(
      issuesOf(r).some(
        (i) => i.code === "plugin_load_failed" && /must not be imported/.test(String(i.message)),
      ),
    ).toBe(true);
  }, 60_000);

  it("the code-cached validate loads the checks modules' CommonJS builds, not their ES modules", () => {
    const project = join(root, "commonjs-checks");
    installDescribed(project);
    breakChecks(project, "configChecks");
    const r = validate(project, quickstart);
    expect([r.code, r.stderr, json(r).ok]).toEqual([0, "", true]);
    expect(readdirSync(marks)).toEqual([]);
    // The ES module CLI imports the (now throwing) ES modules, then the plugins instead.
    const esm = validate(project, quickstart, { LOLPOP_VALIDATE_BUILD: "0" });
    expect(esm.code).toBe(2);
    expect(
      readdirSync(marks)
        .filter((f) => f.endsWith("-configChecks-loaded"))
        .sort(),
    ).toEqual(everyPlugin("configChecks-loaded"));
  }, 60_000);

  it("a CommonJS checks build that fails to load: its ES module is imported instead", () => {
    const project = join(root, "broken-commonjs-checks");
    installDescribed(project);
    breakChecks(project, "configChecksCommonJs");
    const bad = BAD.find(([name]) => name === "forest params")![1];
    const r = validate(project, bad);
    expect(issuesOf(r)).toEqual(issuesOf(validate(described, bad)));
    expect(readdirSync(marks).sort()).toEqual(everyPlugin("configChecksCommonJs-loaded"));
  }, 60_000);

  it("stale data (generated for another version) is not used: the plugin is imported", () => {
    const stale = join(root, "stale");
    installDescribed(stale, (name, pkg) => {
      if (name === "@lolpop/random-forest") pkg.version = `${pkg.version}-next.1`;
    });
    const r = validate(stale, quickstart);
    expect(r.code).toBe(2);
    expect(readdirSync(marks)).toEqual(["@lolpop+random-forest-imported"]);
  }, 60_000);
});
