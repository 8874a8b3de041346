// `lolpop init` and `lolpop create`: the generated projects and packages work as generated.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { json, linkPackages, sh, tempDir, WORKSPACE } from "./cli-helpers.js";
import { lolpop, testsDir } from "./helpers.js";

const made: string[] = [];
afterAll(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A temp folder whose node_modules is the tests package's (the workspace plugins). */
function linkedDir(prefix: string): string {
  const dir = tempDir(prefix);
  made.push(dir);
  symlinkSync(join(testsDir, "node_modules"), join(dir, "node_modules"));
  return dir;
}

const versionOf = (name: string) =>
  JSON.parse(readFileSync(join(WORKSPACE[name]!, "package.json"), "utf8")).version as string;

describe("lolpop init", () => {
  for (const template of ["classification", "regression"] as const) {
    it(`${template}: a project that validates, runs and passes its own workflow tests`, () => {
      const dir = linkedDir(`lolpop-init-${template}-`);
      const r = lolpop(["init", ".", "--template", template, "--name", `my-${template}`], dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/npm install\n\s+npm run prepare-data\n\s+npx lolpop run/);
      const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
      expect(pkg.name).toBe(`my-${template}`);
      // Ranges on the versions released together with this CLI.
      expect(pkg.dependencies).toEqual({
        "@lolpop/core": `^${versionOf("@lolpop/core")}`,
        "@lolpop/local": `^${versionOf("@lolpop/local")}`,
        "@lolpop/random-forest": `^${versionOf("@lolpop/random-forest")}`,
        "@lolpop/workflows": `^${versionOf("@lolpop/workflows")}`,
      });
      expect(pkg.devDependencies).toEqual({ "@lolpop/cli": `^${versionOf("@lolpop/cli")}` });
      expect(readFileSync(join(dir, ".gitignore"), "utf8")).toMatch(/^\.lolpop\/$/m);
      // The user's data is part of the project: not ignored.
      expect(readFileSync(join(dir, ".gitignore"), "utf8")).not.toMatch(/^data\/?$/m);
      const yaml = readFileSync(join(dir, "lolpop.yaml"), "utf8");
      expect(yaml).toMatch(/model_trainer: RandomForestModelTrainer/);
      expect(yaml).toMatch(/^# yaml-language-server: \$schema=\.\/lolpop\.schema\.json/);
      expect(existsSync(join(dir, "README.md"))).toBe(true);
      execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
      expect(lolpop(["validate"], dir).code).toBe(0);
      const run = lolpop(["run", "--json"], dir);
      if (run.code !== 0) throw new Error(run.stderr);
      const s = JSON.parse(run.stdout);
      expect(s.train.trainer).toBe("RandomForestModelTrainer");
      expect(s.deploy.promoted).toBe(true);
      if (template === "classification") expect(s.train.metrics.test.f1_macro).toBeGreaterThan(0.8);
      else expect(s.train.metrics.test.r2).toBeGreaterThan(0.8);
      // The ground truth prepare-data.mjs writes is the one the config evaluates against.
      const evaluated = lolpop(["run", "--step", "evaluate", "--json"], dir);
      if (evaluated.code !== 0) throw new Error(evaluated.stderr);
      expect(JSON.parse(evaluated.stdout).evaluate.rows).toBe(100);
      const test = lolpop(["test", "--json"], dir);
      if (test.code !== 0) throw new Error(`${test.stdout}\n${test.stderr}`);
      expect(json(test).hooks.map((h: { status: string }) => h.status)).toEqual(["passed", "passed"]);
      // npm install writes the schema file lolpop.yaml points at (the postinstall script).
      expect(pkg.scripts.postinstall).toBe("lolpop schema --out lolpop.schema.json || exit 0");
      expect(existsSync(join(dir, "lolpop.schema.json"))).toBe(false);
      execFileSync("npm", ["run", "postinstall", "--silent"], { cwd: dir });
      expect(existsSync(join(dir, "lolpop.schema.json"))).toBe(true);
      expect(lolpop(["schema", "--out", "lolpop.schema.json"], dir).code).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, "lolpop.schema.json"), "utf8")).title).toBe(
        "lolpop workflow config",
      );
    });
  }

  it("refuses to overwrite a project and rejects an unknown template", () => {
    const dir = linkedDir("lolpop-init-again-");
    expect(lolpop(["init", "."], dir).code).toBe(0);
    const again = lolpop(["init", "."], dir);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already has package\.json, lolpop\.yaml.*pass --force to overwrite/);
    const bad = lolpop(["init", "other", "--template", "clustering"], dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--template must be one of classification, regression \(got "clustering"\)/);
  });
});

describe("lolpop create plugin", () => {
  const root = tempDir("lolpop-create-plugin-");
  made.push(root);
  const pluginDir = join(root, "lolpop-plugin-knn");

  it("generates a package that builds and passes its own tests untouched", () => {
    const r = lolpop(["create", "plugin", "lolpop-plugin-knn"], root);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/created plugin lolpop-plugin-knn \(KnnModelTrainer\)/);
    const pkg = JSON.parse(readFileSync(join(pluginDir, "package.json"), "utf8"));
    expect(pkg.lolpop).toEqual({
      apiVersion: 1,
      components: [{ kind: "model_trainer", type: "KnnModelTrainer" }],
      configSchemas: "./dist/schemas.json",
      validation: "./dist/validation.json",
    });
    expect(pkg.devDependencies["@lolpop/testing"]).toBe(`^${versionOf("@lolpop/testing")}`);
    expect(readFileSync(join(pluginDir, "src", "knn-model-trainer.test.ts"), "utf8")).toMatch(
      /import \{ describeConformance \} from "@lolpop\/testing"/,
    );
    // Stand-in for `npm install` without a registry: link the workspace packages and the pinned tools.
    linkPackages(pluginDir, Object.keys(pkg.devDependencies));
    sh("npm", ["run", "build"], { cwd: pluginDir });
    expect(Object.keys(JSON.parse(readFileSync(join(pluginDir, "dist", "schemas.json"), "utf8")))).toEqual([
      "KnnModelTrainer",
    ]);
    // The validation data \`lolpop validate\` plans with instead of importing the plugin.
    expect(JSON.parse(readFileSync(join(pluginDir, "dist", "validation.json"), "utf8"))).toEqual({
      format: 1,
      plugin: "lolpop-plugin-knn",
      version: pkg.version,
      apiVersion: 1,
      types: [{ kind: "model_trainer", type: "KnnModelTrainer", checks: "none" }],
    });
    sh("npm", ["run", "typecheck"], { cwd: pluginDir });
    const t = spawnSync("npm", ["test", "--", "--verbose"], {
      cwd: pluginDir,
      encoding: "utf8",
      timeout: 120_000,
    });
    if (t.status !== 0) throw new Error(`npm test failed:\n${t.stdout}\n${t.stderr}`);
    const passed = Number(/Tests:\s+(\d+) passed, \1 total/.exec(t.stderr)?.[1]);
    expect(passed).toBeGreaterThanOrEqual(15);
    expect(t.stderr).toMatch(/Test Suites: 2 passed, 2 total/);
    expect(t.stderr).toMatch(
      /✓ behaviour: save\/load round trip \(classification\): the loaded model predicts the same/,
    );
    expect(t.stderr).toMatch(/✓ errors and logs never contain secret values/);
    expect(t.stderr).toMatch(/✓ the manifest lists exactly the plugin's components \(kind and type\)/);
  }, 240_000);

  it("is discovered by a project and trains the workflow's model", () => {
    const dir = tempDir("lolpop-uses-knn-");
    made.push(dir);
    linkPackages(dir, ["@lolpop/core", "@lolpop/local", "@lolpop/workflows"]);
    symlinkSync(pluginDir, join(dir, "node_modules", "lolpop-plugin-knn"));
    expect(lolpop(["init", ".", "--force"], dir).code).toBe(0);
    writeFileSync(
      join(dir, "package.json"),
      JSON.stringify({
        name: "uses-knn",
        private: true,
        type: "module",
        dependencies: {
          "@lolpop/core": "*",
          "@lolpop/local": "*",
          "@lolpop/workflows": "*",
          "lolpop-plugin-knn": "*",
        },
      }),
    );
    const yaml = readFileSync(join(dir, "lolpop.yaml"), "utf8")
      .replace("model_trainer: RandomForestModelTrainer", "model_trainer: KnnModelTrainer")
      .replace(/training_params:\n\s+n_estimators: \d+\n\s+max_depth: \d+/, "k: 7\n      weights: distance");
    writeFileSync(join(dir, "lolpop.yaml"), yaml);
    execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
    const list = json(lolpop(["plugins", "list", "--json"], dir));
    expect(list.plugins.find((p: { name: string }) => p.name === "lolpop-plugin-knn")).toMatchObject({
      status: "ok",
      types: [{ kind: "model_trainer", type: "KnnModelTrainer" }],
    });
    const info = json(lolpop(["plugins", "info", "knn", "--json"], dir));
    expect(info.components[0]).toMatchObject({ type: "KnnModelTrainer", schema_source: "manifest" });
    const r = lolpop(["run", "--json"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    const s = JSON.parse(r.stdout);
    expect(s.train.trainer).toBe("KnnModelTrainer");
    expect(s.train.params).toEqual({ k: 7, weights: "distance" });
    expect(s.train.metrics.test.f1_macro).toBeGreaterThan(0.8);
    expect(s.lineage.plugins.map((p: { name: string }) => p.name)).toContain("lolpop-plugin-knn");
    expect(lolpop(["test"], dir).code).toBe(0);
  }, 120_000);

  it("rejects a name that is not a package name", () => {
    const r = lolpop(["create", "plugin", "Not A Name"], root);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/is not a valid npm package name/);
  });
});

describe("lolpop create component|pipeline|runner", () => {
  it("adds them to the project's own plugin package, discovered without an install", () => {
    const dir = linkedDir("lolpop-create-in-project-");
    expect(lolpop(["init", ".", "--name", "shop"], dir).code).toBe(0);
    execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
    const c = lolpop(["create", "component", "PassThroughTransformer", "--kind", "data_transformer"], dir);
    expect(c.code).toBe(0);
    expect(existsSync(join(dir, "extensions", "components", "pass-through-transformer.js"))).toBe(true);
    expect(lolpop(["create", "pipeline", "ReportOnly"], dir).code).toBe(0);
    expect(lolpop(["create", "runner", "ReportRunner"], dir).code).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    expect(pkg.dependencies["shop-extensions"]).toBe("file:./extensions");
    const list = json(lolpop(["plugins", "list", "--json"], dir));
    expect(list.plugins.find((p: { name: string }) => p.name === "shop-extensions")).toMatchObject({
      status: "ok",
      types: [
        { kind: "data_transformer", type: "PassThroughTransformer" },
        { kind: "pipeline", type: "ReportOnly" },
        { kind: "runner", type: "ReportRunner" },
      ],
    });
    // Use the new component in the workflow.
    const yaml = readFileSync(join(dir, "lolpop.yaml"), "utf8").replace(
      "    data_connector: LocalDataConnector\n  data_connector:\n    config:\n      path: data/train.csv",
      "    data_connector: LocalDataConnector\n    data_transformer: PassThroughTransformer\n  data_connector:\n    config:\n      path: data/train.csv",
    );
    writeFileSync(join(dir, "lolpop.yaml"), yaml);
    const r = lolpop(["run", "--step", "train", "--json"], dir);
    if (r.code !== 0) throw new Error(r.stderr);
    expect(JSON.parse(r.stdout).lineage.plugins.map((p: { name: string }) => p.name)).toContain(
      "shop-extensions",
    );
    // The custom runner and pipeline run too.
    writeFileSync(
      join(dir, "report.yaml"),
      "runner: ReportRunner\npipelines:\n  process: ReportOnly\nprocess:\n  components:\n    data_connector: LocalDataConnector\n  data_connector:\n    config:\n      path: data/train.csv\n",
    );
    const report = lolpop(["run", "report.yaml", "--json"], dir);
    if (report.code !== 0) throw new Error(report.stderr);
    expect(JSON.parse(report.stdout).process).toEqual({ rows: 500, columns: 6 });
    const dup = lolpop(["create", "component", "PassThroughTransformer", "--kind", "data_transformer"], dir);
    expect(dup.code).toBe(2);
    expect(dup.stderr).toMatch(/PassThroughTransformer already exists in extensions/);
    const badName = lolpop(["create", "component", "lower_case", "--kind", "notifier"], dir);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/must be PascalCase/);
    const noKind = lolpop(["create", "component", "Thing"], dir);
    expect(noKind.code).toBe(2);
    expect(noKind.stderr).toMatch(/required option '--kind <kind>' not specified/);
    const typo = lolpop(["create", "component", "Thing", "--kind", "model_traner"], dir);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/unknown kind "model_traner": did you mean model_trainer\?.*pass --new-kind/);
    expect(existsSync(join(dir, "extensions", "components", "thing.js"))).toBe(false);
    const help = lolpop(["run", "--help"], dir);
    expect(help.stdout).toMatch(/^ {2}train +process, then train and register a model$/m);
    expect(help.stdout).toMatch(/^ {2}predict +only: score predict's data with the current champion$/m);
  }, 120_000);
});
