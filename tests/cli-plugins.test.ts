// `lolpop plugins list|info`, `lolpop schema` and plugin commands, in a project with the workspace
// plugins linked and 50 fixture plugins whose entry throws (and leaves a marker) when imported.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { json, linkPackages, tempDir, throwingEntry, writePackage } from "./cli-helpers.js";
import { lolpop, repoRoot, testsDir } from "./helpers.js";

// ajv and yaml come with @lolpop/core; the editor-schema test uses them as an editor would.
const coreRequire = createRequire(join(repoRoot, "packages", "core", "package.json"));
const Ajv = coreRequire("ajv") as {
  default: new (
    o: object,
  ) => {
    compile(
      s: object,
    ): ((d: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string }> };
  };
};
const YAML = coreRequire("yaml") as { parse(text: string): unknown };

const dir = tempDir("lolpop-plugins-");
const markers = join(dir, "markers");
const FIXTURES = 50;
const fixtureName = (i: number) => `lolpop-fixture-${String(i).padStart(2, "0")}`;

beforeAll(() => {
  const deps: Record<string, string> = {
    "@lolpop/core": "*",
    "@lolpop/local": "*",
    "@lolpop/workflows": "*",
    "@lolpop/random-forest": "*",
    "vega-datasets": "*",
  };
  linkPackages(dir, ["@lolpop/core", "@lolpop/local", "@lolpop/workflows", "@lolpop/random-forest"]);
  // vega-datasets for the penguins data script.
  symlinkSync(
    realpathSync(join(testsDir, "node_modules", "vega-datasets")),
    join(dir, "node_modules", "vega-datasets"),
  );
  for (let i = 1; i <= FIXTURES; i++) {
    const name = fixtureName(i);
    const t = `Fixture${String(i).padStart(2, "0")}`;
    writePackage(
      join(dir, "node_modules", name),
      {
        name,
        version: `1.0.${i}`,
        type: "module",
        exports: { ".": "./index.js", "./package.json": "./package.json" },
        peerDependencies: { "@lolpop/core": ">=0.1.0 <1.0.0" },
        lolpop: {
          apiVersion: 1,
          components: [
            { kind: "notifier", type: `${t}Notifier` },
            { kind: "data_checker", type: `${t}DataChecker` },
          ],
          ...(i === 1 ? { configSchemas: "./schemas.json" } : {}),
        },
      },
      {
        "index.js": throwingEntry(join(markers, `${name}-imported`)),
        ...(i === 1
          ? {
              "schemas.json": JSON.stringify({
                Fixture01Notifier: {
                  type: "object",
                  description: "A fixture notifier",
                  additionalProperties: false,
                  properties: { channel: { type: "string", default: "#ml", description: "Where to post." } },
                },
                Fixture01DataChecker: { type: "object", additionalProperties: false, properties: {} },
              }),
            }
          : {}),
      },
    );
    deps[name] = "*";
  }
  writePackage(
    join(dir, "node_modules", "lolpop-fixture-commands"),
    {
      name: "lolpop-fixture-commands",
      version: "2.0.0",
      type: "module",
      exports: { ".": "./index.js", "./package.json": "./package.json" },
      lolpop: {
        apiVersion: 1,
        components: [],
        commands: [
          { name: "greet", description: "Greet someone (fixture)", module: "./commands/greet.js" },
          { name: "explode", description: "Fails (fixture)", module: "./commands/explode.js" },
          { name: "which", description: "Finds a type's plugin (fixture)", module: "./commands/which.js" },
          { name: "run", description: "Tries to replace a built-in", module: "./commands/greet.js" },
          { name: "escape", description: "Module outside the package", module: "../evil.js" },
        ],
      },
    },
    {
      "index.js": throwingEntry(join(markers, "commands-entry-imported")),
      "commands/greet.js": `import { writeFileSync } from "node:fs";
writeFileSync(${JSON.stringify(join(markers, "greet-imported"))}, "x");
export default function greet(args, ctx) {
  ctx.stdout(\`hello \${args.join(" ")} (\${ctx.plugin.name}, \${ctx.command})\\n\`);
  return args.includes("--code=4") ? 4 : 0;
}
`,
      "commands/explode.js": `throw new Error("explode.js is broken");\n`,
      // Uses the host's discovery: finds the plugin of a type from the manifests, imports only it.
      "commands/which.js": `import { resolveType } from "@lolpop/core";
export default async function which([type], ctx) {
  const found = await ctx.discoverPlugins();
  const owner = found.plugins.find((p) => p.components.some((c) => c.type === type));
  const failures = await found.loadTypes(new Set([type]));
  ctx.stdout(JSON.stringify({ root: found.root, count: found.plugins.length, owner: owner?.name ?? null, registered: resolveType(type)?.plugin ?? null, failures }) + "\\n");
  return owner ? 0 : 3;
}
`,
    },
  );
  deps["lolpop-fixture-commands"] = "*";
  writePackage(dir, { name: "plugins-project", private: true, type: "module", dependencies: deps });
  for (const f of ["lolpop.yaml", "prepare-data.mjs"])
    copyFileSync(join(repoRoot, "examples", "quickstart", "penguins", f), join(dir, f));
  execFileSync(process.execPath, ["prepare-data.mjs"], { cwd: dir });
  mkdirSync(markers, { recursive: true });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const imported = () => (existsSync(markers) ? readdirSync(markers).sort().join("\n") : "");

describe("plugins list", () => {
  it("lists the 50 fixture plugins and the workspace ones from their manifests, importing none", () => {
    const r = lolpop(["plugins", "list", "--json"], dir);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const doc = json(r);
    const names = doc.plugins.map((p: { name: string }) => p.name);
    expect(names).toHaveLength(FIXTURES + 4);
    for (let i = 1; i <= FIXTURES; i++) {
      const p = doc.plugins.find((x: { name: string }) => x.name === fixtureName(i));
      expect(p).toMatchObject({ status: "ok", version: `1.0.${i}`, kinds: ["notifier", "data_checker"] });
    }
    expect(doc.duplicate_core).toBe(false);
    // Every fixture entry throws when imported and leaves a marker first: none did.
    expect(imported()).toBe("");
  });

  it("prints a table for people, with the plugin commands and their problems", () => {
    const r = lolpop(["plugins", "list"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /lolpop-fixture-07\s+1\.0\.7\s+ok\s+Fixture07Notifier \(notifier\), Fixture07DataChecker \(data_checker\)/,
    );
    expect(r.stdout).toMatch(/lolpop greet {2}Greet someone \(fixture\) {2}\(lolpop-fixture-commands\)/);
    expect(r.stdout).toMatch(/warning: command run is built into lolpop: the plugin's command is ignored/);
    expect(r.stdout).toMatch(
      /warning: command escape: module \.\.\/evil\.js is outside the package: ignored/,
    );
    expect(imported()).toBe("");
  });

  it("validate imports only the plugins whose types the config uses", () => {
    const r = lolpop(["validate", "--json"], dir);
    expect(r.code).toBe(0);
    expect(
      json(r)
        .plugins.map((p: { name: string }) => p.name)
        .sort(),
    ).toEqual(["@lolpop/local", "@lolpop/random-forest", "@lolpop/workflows"]);
    expect(imported()).toBe("");
  });
});

describe("plugins info", () => {
  it("renders each component's config as a table (key, type, default, description)", () => {
    const r = lolpop(["plugins", "info", "random-forest"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/RandomForestModelTrainer {2}\(model_trainer\)/);
    expect(r.stdout).toMatch(/KEY\s+TYPE\s+DEFAULT\s+DESCRIPTION/);
    expect(r.stdout).toMatch(/training_params\.n_estimators\s+integer\s+\d+\s+Number of trees/);
    const info = json(lolpop(["plugins", "info", "@lolpop/local", "--json"], dir));
    const splitter = info.components.find((c: { type: string }) => c.type === "LocalDataSplitter");
    expect(splitter.config.find((row: { key: string }) => row.key === "target")).toMatchObject({
      type: "string",
      default: "(required)",
    });
    // First-party plugins ship their schemas (dist/schemas.json): no plugin code runs for this.
    expect(splitter.schema_source).toBe("manifest");
  });

  it("reads a plugin's shipped schema file without importing it", () => {
    const r = lolpop(["plugins", "info", "lolpop-fixture-01", "--json"], dir);
    expect(r.code).toBe(0);
    const info = json(r);
    expect(info.components[0]).toMatchObject({
      type: "Fixture01Notifier",
      description: "A fixture notifier",
      schema_source: "manifest",
      config: [{ key: "channel", type: "string", default: '"#ml"', description: "Where to post." }],
    });
    expect(imported()).toBe("");
  });

  it("a plugin whose schemas need its code and whose import throws: exit 1 with the reason, nothing else breaks", () => {
    const r = lolpop(["plugins", "info", "lolpop-fixture-02"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/plugin lolpop-fixture-02 failed to load: this plugin must not be imported/);
    rmSync(join(markers, "lolpop-fixture-02-imported"));
    const missing = lolpop(["plugins", "info", "nope"], dir);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/no plugin "nope" in this project \(installed: .*@lolpop\/local/);
  });
});

describe("plugins info of the first-party plugins", () => {
  const FIRST_PARTY: Record<string, string> = {
    "@lolpop/workflows": "packages/workflows",
    "@lolpop/local": "packages/local",
    "@lolpop/random-forest": "integrations/random-forest",
    "@lolpop/catboost-bridge": "integrations/catboost-bridge",
    "@lolpop/tfjs": "integrations/tfjs",
    "@lolpop/mlflow": "integrations/mlflow",
    "@lolpop/evidently": "integrations/evidently",
  };

  it("reads every first-party plugin's shipped schemas: an entry that throws when imported never runs", () => {
    // Each package as published (its package.json and dist/schemas.json), but its entry throws.
    const project = tempDir("lolpop-first-party-info-");
    const marks = join(project, "markers");
    mkdirSync(marks);
    linkPackages(project, ["@lolpop/core"]);
    const shipped: Record<string, Record<string, unknown>> = {};
    for (const [name, rel] of Object.entries(FIRST_PARTY)) {
      const src = join(repoRoot, rel);
      const pkg = JSON.parse(readFileSync(join(src, "package.json"), "utf8"));
      shipped[name] = JSON.parse(readFileSync(join(src, pkg.lolpop.configSchemas), "utf8"));
      writePackage(join(project, "node_modules", name), pkg, {
        [pkg.exports["."].import]: throwingEntry(join(marks, `${name.replace("/", "+")}-imported`)),
        [pkg.lolpop.configSchemas]: JSON.stringify(shipped[name]),
      });
    }
    writePackage(project, {
      name: "first-party-project",
      private: true,
      dependencies: Object.fromEntries(Object.keys(FIRST_PARTY).map((n) => [n, "*"])),
    });
    try {
      for (const name of Object.keys(FIRST_PARTY)) {
        const r = lolpop(["plugins", "info", name, "--json"], project);
        expect([name, r.code, r.stderr]).toEqual([name, 0, ""]);
        const info = json(r);
        expect(info.components.map((c: { type: string }) => c.type).sort()).toEqual(
          Object.keys(shipped[name]!).sort(),
        );
        for (const c of info.components) {
          expect([c.type, c.schema_source]).toEqual([c.type, "manifest"]);
          expect(c.config_schema).toEqual(shipped[name]![c.type]);
          expect(c.description).toBe((shipped[name]![c.type] as { description?: string }).description);
        }
      }
      expect(readdirSync(marks)).toEqual([]);
      // The same text table as before, from the manifest.
      const text = lolpop(["plugins", "info", "tfjs"], project);
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(/training_params\.epochs\s+integer\s+100\s+Maximum number of passes/);
      expect(readdirSync(marks)).toEqual([]);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });
});

describe("schema", () => {
  it("writes one JSON Schema for lolpop.yaml that accepts the quickstart and points at mistakes", () => {
    const sub = tempDir("lolpop-schema-");
    // A project with only the workspace plugins (the 50 fixtures' schemas would need their code).
    linkPackages(sub, ["@lolpop/core", "@lolpop/local", "@lolpop/workflows", "@lolpop/random-forest"]);
    writePackage(sub, {
      name: "schema-project",
      private: true,
      dependencies: { "@lolpop/local": "*", "@lolpop/workflows": "*", "@lolpop/random-forest": "*" },
    });
    const r = lolpop(["schema", "--out", "lolpop.schema.json"], sub);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/# yaml-language-server: \$schema=\.\/lolpop\.schema\.json/);
    const schema = JSON.parse(readFileSync(join(sub, "lolpop.schema.json"), "utf8"));
    const validate = new Ajv.default({ allErrors: true, strict: false }).compile(schema);
    const good = YAML.parse(readFileSync(join(dir, "lolpop.yaml"), "utf8")) as Record<string, any>;
    expect(validate(good)).toBe(true);
    const bad = structuredClone(good);
    bad.runner = "ClassifcationRunner";
    bad.train.model_trainer.config.training_params.n_estimators = "many";
    bad.process.data_connector.config.pth = "data/train.csv";
    expect(validate(bad)).toBe(false);
    const paths = (validate.errors ?? [])
      .filter((e) => !e.message?.includes('"then"'))
      .map((e) => e.instancePath);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/runner",
        "/train/model_trainer/config/training_params/n_estimators",
        "/process/data_connector/config",
      ]),
    );
    expect(schema.properties.runner.enum).toEqual(
      expect.arrayContaining(["ClassificationRunner", "RegressionRunner"]),
    );
    rmSync(sub, { recursive: true, force: true });
  });
});

describe("commands from plugins", () => {
  it("--help lists them from the manifest without importing their modules", () => {
    const r = lolpop(["--help"], dir);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /Plugin commands:\n\s+greet \[args\.\.\.\]\s+Greet someone \(fixture\) \[lolpop-fixture-commands\]/,
    );
    expect(r.stdout).toMatch(/explode \[args\.\.\.\]/);
    expect(r.stdout).not.toMatch(/Tries to replace a built-in/);
    expect(imported()).toBe("");
  });

  it("runs a command with its arguments and exit code, importing only its module", () => {
    const r = lolpop(["greet", "world", "--loud", "--code=4"], dir);
    expect(r.stdout).toBe("hello world --loud --code=4 (lolpop-fixture-commands, greet)\n");
    expect(r.code).toBe(4);
    expect(imported()).toBe("greet-imported");
    rmSync(join(markers, "greet-imported"));
  });

  it("a command whose module fails to load exits 1 with the reason", () => {
    const r = lolpop(["explode"], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /command explode \(from lolpop-fixture-commands\) failed to load \.\/commands\/explode\.js: explode\.js is broken/,
    );
  });

  it("a command gets the CLI's discovery: it finds a type's plugin and imports only that one", () => {
    const r = lolpop(["which", "StdoutNotifier"], dir);
    expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(JSON.parse(r.stdout)).toEqual({
      root: dir,
      // The 50 fixtures, local, workflows, random-forest and the command plugin.
      count: FIXTURES + 4,
      owner: "@lolpop/local",
      registered: "@lolpop/local",
      failures: [],
    });
    // None of the fixture plugins (whose entries throw) was imported, nor the command plugin's entry.
    expect(imported()).toBe("");
  });

  it("an unknown command is a usage error", () => {
    const r = lolpop(["nosuchcommand"], dir);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown command 'nosuchcommand'/);
  });
});
