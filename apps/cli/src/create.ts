/**
 * `lolpop create plugin <name>`: a third-party plugin package ready to build, test and publish.
 * `lolpop create component|pipeline|runner <Type>`: a component, pipeline or runner inside a project,
 * kept in a local plugin package (`extensions/`) that the project depends on with `file:`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import { BUILTIN_KINDS, CONTRACT_METHODS, didYouMean, PLUGIN_API_VERSION } from "@lolpop/core";
import { findPackageRoot } from "./discovery.js";
import { trainerSource } from "./templates/plugin-trainer.js";
import { lolpopRange, TOOL_VERSIONS } from "./versions.js";

const NPM_NAME = /^(@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;
const TYPE_NAME = /^[A-Z][A-Za-z0-9]*$/;

/** `knn-tools` -> `KnnTools`. */
export function pascalCase(s: string): string {
  return s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join("");
}

/** `KnnModelTrainer` -> `knn-model-trainer`. */
export function kebabCase(s: string): string {
  return s
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1-$2")
    .replace(/[^A-Za-z0-9]+/g, "-")
    .toLowerCase()
    .replace(/^-|-$/g, "");
}

function camelCase(s: string): string {
  const p = pascalCase(s);
  return p[0]!.toLowerCase() + p.slice(1);
}

function writeFiles(dir: string, files: Record<string, string>, force: boolean): string[] {
  const clash = Object.keys(files).filter((f) => existsSync(join(dir, f)));
  if (clash.length && !force)
    throw new Error(`${dir} already has ${clash.join(", ")}: pick another name or pass --force to overwrite`);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return Object.keys(files);
}

/** Options of {@link createPlugin}. */
export interface CreatePluginOptions {
  /** npm package name, e.g. `lolpop-plugin-knn` or `@acme/lolpop-knn`. */
  name: string;
  /** Target folder (default: `./<name without scope>`). */
  dir?: string;
  /** Type name of the example trainer (default: from the name, e.g. `KnnModelTrainer`). */
  type?: string;
  force?: boolean;
}

/** The files of a new plugin package, by relative path. */
export function pluginFiles(name: string, type: string): Record<string, string> {
  const fileBase = kebabCase(type);
  const exportName = camelCase(type);
  const pkg = {
    name,
    version: "0.1.0",
    description: `lolpop plugin: ${type} (k-nearest neighbours)`,
    license: "Apache-2.0",
    type: "module",
    keywords: ["lolpop", "lolpop-plugin"],
    engines: { node: ">=20" },
    exports: {
      ".": { types: "./dist/index.d.ts", import: "./dist/index.js" },
      "./package.json": "./package.json",
    },
    main: "./dist/index.js",
    types: "./dist/index.d.ts",
    files: ["dist", "README.md"],
    sideEffects: ["./dist/index.js"],
    publishConfig: { access: "public" },
    scripts: {
      build: "tsup && node scripts/write-schemas.mjs",
      test: "node --experimental-vm-modules node_modules/jest/bin/jest.js",
      typecheck: "tsc --noEmit",
      changeset: "changeset",
      "version-packages": "changeset version",
      release: "npm run build && changeset publish",
    },
    lolpop: {
      apiVersion: PLUGIN_API_VERSION,
      components: [{ kind: "model_trainer", type }],
      configSchemas: "./dist/schemas.json",
      validation: "./dist/validation.json",
    },
    peerDependencies: { "@lolpop/core": `>=${lolpopRange("@lolpop/core").slice(1)} <1.0.0` },
    devDependencies: {
      "@lolpop/core": lolpopRange("@lolpop/core"),
      "@lolpop/testing": lolpopRange("@lolpop/testing"),
      ...TOOL_VERSIONS,
    },
  };
  const index = `/**
 * ${name}: importing this module registers the plugin (and its components) with lolpop.
 */
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
import { ${exportName} } from "./${fileBase}.js";

const pkg = createRequire(import.meta.url)("../package.json") as { name: string; version: string };

/** The plugin (registered on import). */
export const plugin = registerPlugin(
  definePlugin({
    name: pkg.name,
    version: pkg.version,
    components: [${exportName}],
  }),
);

export default plugin;
export { ${exportName}, ${exportName}ConfigSchema, type ${type}Config } from "./${fileBase}.js";
`;
  const test = `import { categoricalColumn, instantiateComponent, type ModelTrainer, Table } from "@lolpop/core";
import { describeConformance } from "@lolpop/testing";
import { ${exportName} } from "./${fileBase}.js";

// lolpop's conformance suite: contract methods, config schema and defaults, bad config rejected with
// its path, fit/predict on sample data, save/load round trip, no secret in errors.
describeConformance(${exportName}, { problemTypes: ["classification", "regression"] });

describe("${type}", () => {
  it("predicts the class of the nearest training rows", async () => {
    const trainer = (await instantiateComponent(${exportName}, { config: { k: 1 } })) as ModelTrainer;
    const model = await trainer.fit({
      problem_type: "classification",
      X: Table.fromColumns({ x: [0, 0.1, 5, 5.1] }),
      y: categoricalColumn(["a", "a", "b", "b"]),
      classes: ["a", "b"],
    });
    const p = await model.predict(Table.fromColumns({ x: [0.05, 4.9] }));
    if (p.problem_type !== "classification") throw new Error("expected class predictions");
    expect([...p.labels].map((i) => p.classes[i])).toEqual(["a", "b"]);
  });

  it("averages the neighbours' targets for regression", async () => {
    const trainer = (await instantiateComponent(${exportName}, { config: { k: 2 } })) as ModelTrainer;
    const model = await trainer.fit({
      problem_type: "regression",
      X: Table.fromColumns({ x: [0, 1, 10, 11] }),
      y: { type: "numeric", values: Float64Array.from([1, 3, 100, 102]), logical: "float" },
    });
    const p = await model.predict(Table.fromColumns({ x: [0.5] }));
    if (p.problem_type !== "regression") throw new Error("expected values");
    expect(p.values[0]).toBeCloseTo(2);
  });
});
`;
  const pluginTest = `import { describePluginPackage } from "@lolpop/testing";
import plugin from "./index.js";

// The package.json manifest matches the plugin (what \`lolpop plugins list\` reads without importing it).
describePluginPackage({ dir: new URL("..", import.meta.url), plugin });
`;
  const readme = `# ${name}

A [lolpop](https://github.com/lolpop-ts/lolpop) plugin: \`${type}\`, a \`model_trainer\` with
k-nearest-neighbours models for classification and regression.

## Install

\`\`\`sh
npm install ${name}
\`\`\`

lolpop finds it in your project's dependencies; nothing else to register.

## Config

| key | type | default | description |
| --- | --- | --- | --- |
| \`k\` | integer >= 1 | \`5\` | Number of neighbours that vote (classification) or are averaged (regression). |
| \`weights\` | \`uniform\` or \`distance\` | \`uniform\` | uniform: every neighbour counts the same; distance: a neighbour counts 1 / distance. |

## Example

\`\`\`yaml
train:
  components:
    model_trainer: ${type}
  model_trainer:
    config:
      k: 7
      weights: distance
\`\`\`

## Development

\`\`\`sh
npm install
npm run build      # dist/, dist/schemas.json and dist/validation.json (what the manifest points at)
npm test           # unit tests and lolpop's conformance suite (@lolpop/testing)
npm run changeset  # describe a change for the changelog; \`npm run release\` publishes
\`\`\`

The \`lolpop\` field of package.json is the plugin's manifest: \`lolpop plugins list\` and discovery read
it without importing the code, so keep its \`components\` in step with \`src/index.ts\` (a test checks it).
`;
  return {
    "package.json": `${JSON.stringify(pkg, null, 2)}\n`,
    "tsconfig.json": `${JSON.stringify(
      {
        compilerOptions: {
          target: "ES2022",
          lib: ["ES2023"],
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          verbatimModuleSyntax: true,
          isolatedModules: true,
          esModuleInterop: true,
          skipLibCheck: true,
          declaration: true,
          sourceMap: true,
          resolveJsonModule: true,
          types: ["node", "jest"],
          outDir: "dist",
          rootDir: "src",
        },
        include: ["src"],
      },
      null,
      2,
    )}\n`,
    "tsup.config.ts": `import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/index.ts"],
  format: ["esm"],
  dts: true,
  sourcemap: true,
  clean: true,
  target: "node20",
});
`,
    "jest.config.mjs": `// Jest runs the TypeScript tests through @swc/jest as native ESM (npm test passes --experimental-vm-modules).
export default {
  testEnvironment: "node",
  extensionsToTreatAsEsm: [".ts"],
  transform: {
    "^.+\\\\.ts$": [
      "@swc/jest",
      { jsc: { parser: { syntax: "typescript" }, target: "es2022" }, module: { type: "es6" } },
    ],
  },
  moduleNameMapper: { "^(\\\\.{1,2}/.*)\\\\.js$": "$1" },
  testMatch: ["<rootDir>/src/**/*.test.ts"],
  testTimeout: 60000,
};
`,
    "scripts/write-schemas.mjs": `// Writes dist/schemas.json (the config JSON Schema of each component type) and dist/validation.json
// (what \`lolpop validate\` needs besides the schemas to check a config without importing this
// plugin). The package.json manifest points at both, so \`lolpop plugins info\`, \`lolpop schema\` and
// \`lolpop validate\` read them instead of importing the plugin. A type with checkConfig/checkPlan is
// marked "plugin" (validate then imports the plugin); the version marks the data stale for any other
// installed version. @lolpop/core writes both, in the format it reads.
import { readFileSync, writeFileSync } from "node:fs";
import { configSchemasOf, validationDataOf } from "@lolpop/core";

const { default: plugin } = await import("../dist/index.js");
const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
const write = (file, data) => writeFileSync(new URL(file, import.meta.url), \`\${JSON.stringify(data, null, 2)}\\n\`);
write("../dist/schemas.json", configSchemasOf(plugin));
write("../dist/validation.json", validationDataOf(plugin, pkg));
`,
    "src/index.ts": index,
    [`src/${fileBase}.ts`]: trainerSource({ type, exportName, packageName: name }),
    [`src/${fileBase}.test.ts`]: test,
    "src/plugin.test.ts": pluginTest,
    "README.md": readme,
    ".gitignore": "node_modules/\ndist/\n",
    ".changeset/config.json": `${JSON.stringify(
      {
        $schema: "https://unpkg.com/@changesets/config@3.1.1/schema.json",
        changelog: "@changesets/cli/changelog",
        commit: false,
        fixed: [],
        linked: [],
        access: "public",
        baseBranch: "main",
        updateInternalDependencies: "patch",
        ignore: [],
      },
      null,
      2,
    )}\n`,
    ".changeset/README.md": `# Changesets

Describe every user-visible change with \`npm run changeset\` (pick the bump, write what changed for
users). \`npm run version-packages\` applies them to package.json and CHANGELOG.md; \`npm run release\`
builds and publishes.
`,
  };
}

/** Creates a plugin package. */
export function createPlugin(options: CreatePluginOptions): { dir: string; files: string[]; type: string } {
  const name = options.name;
  if (!NPM_NAME.test(name))
    throw new Error(
      `"${name}" is not a valid npm package name: use lower case letters, digits and dashes, e.g. lolpop-plugin-knn or @acme/lolpop-knn`,
    );
  const short = name.slice(name.lastIndexOf("/") + 1);
  const base = short.replace(/^lolpop-plugin-|^lolpop-/, "") || short;
  const type = options.type ?? `${pascalCase(base)}ModelTrainer`;
  if (!TYPE_NAME.test(type))
    throw new Error(`--type must be a PascalCase type name such as KnnModelTrainer (got "${type}")`);
  const dir = resolve(options.dir ?? short);
  const files = writeFiles(dir, pluginFiles(name, type), options.force ?? false);
  return { dir, files, type };
}

// ------------------------------------------------------------------ components inside a project

/** Contract methods of each built-in kind (what `create component` stubs), from @lolpop/core. */
export const KIND_METHODS: Readonly<Record<string, readonly string[]>> = CONTRACT_METHODS;

const WORKING_STUBS: Record<string, string> = {
  data_transformer: `    /** Returns the transformed table (never mutate the input). */
    async transform(table) {
      ctx.logger.debug(\`transform: \${table.numRows} rows\`);
      return table;
    },`,
  notifier: `    async notify(message, level = "info") {
      ctx.logger.log(level, message);
    },`,
  logger: `    async log(message, level) {
      process.stderr.write(\`\${level} \${message}\\n\`);
    },`,
  data_checker: `    async check_data(table) {
      const status = table.numRows > 0 ? "PASS" : "ERROR";
      return { status, checks: [{ name: "not_empty", status, message: \`\${table.numRows} rows\` }] };
    },`,
};

function componentStub(type: string, kind: string): string {
  const methods = KIND_METHODS[kind] ?? [];
  const body =
    WORKING_STUBS[kind] ??
    methods
      .map(
        (m) => `    async ${m}(...args) {
      throw new Error(\`${type}.${m} is not implemented yet (\${args.length} arguments)\`);
    },`,
      )
      .join("\n");
  return `// ${type}: a ${kind} component. Fill in the methods of the ${kind} contract
// (see the ComponentKinds interface in @lolpop/core); config keys are declared in configSchema.
import { defineComponent } from "@lolpop/core";

export default defineComponent({
  kind: "${kind}",
  type: "${type}",
  description: "${type} (${kind})",
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      verbose: { type: "boolean", default: false, description: "Log more details." },
    },
  },
  /** @param {import("@lolpop/core").ComponentContext<{ verbose: boolean }>} ctx */
  create: (ctx) => ({
${body}
  }),
});
`;
}

function pipelineStub(type: string): string {
  return `// ${type}: a pipeline. Its methods use the components configured for it (ctx.component(kind)).
import { definePipeline } from "@lolpop/core";

export default definePipeline({
  type: "${type}",
  description: "${type} pipeline",
  requires: ["data_connector"],
  configSchema: {
    type: "object",
    additionalProperties: false,
    properties: {
      source: { type: "string", default: "", description: "What to read (default: the connector's own path)." },
    },
  },
  /** @param {import("@lolpop/core").PipelineContext<{ source: string }>} ctx */
  create: (ctx) => ({
    /** Reads the data and reports its size. */
    async process_data() {
      const table = await ctx.component("data_connector").get_data(ctx.config.source || undefined);
      ctx.logger.info(\`\${table.numRows} rows, \${table.numColumns} columns\`);
      return { rows: table.numRows, columns: table.numColumns };
    },
  }),
});
`;
}

function runnerStub(type: string): string {
  return `// ${type}: a runner. It coordinates the configured pipelines (ctx.pipeline(name)).
import { defineRunner } from "@lolpop/core";

export default defineRunner({
  type: "${type}",
  description: "${type} runner",
  requiresPipelines: ["process"],
  configSchema: { type: "object", additionalProperties: false, properties: {} },
  /** @param {import("@lolpop/core").RunnerContext} ctx */
  create: (ctx) => {
    const runner = {
      /** Runs every stage. */
      async build_all() {
        const processed = await ctx.pipeline("process").process_data();
        return { process: processed };
      },
      /** \`lolpop run --step\`: one stage or all. */
      async run_step(step = "all") {
        if (step === "all") return runner.build_all();
        if (step === "process") return { process: await ctx.pipeline("process").process_data() };
        throw new Error(\`${type} has no step "\${step}" (steps: process, all)\`);
      },
    };
    return runner;
  },
});
`;
}

/** Options of {@link createInProject}. */
export interface CreateInProjectOptions {
  what: "component" | "pipeline" | "runner";
  /** Type name (PascalCase). */
  type: string;
  /** Component kind (components only): one core defines, unless `newKind`. */
  kind?: string;
  /** `kind` is a new kind (one the project's own pipelines look up), not one core defines. */
  newKind?: boolean;
  /** Folder inside the project (default: the project root found from cwd). */
  cwd?: string;
  /** Folder of the local plugin package, relative to the project (default `extensions`). */
  folder?: string;
  force?: boolean;
}

interface LocalManifest {
  name: string;
  lolpop: { apiVersion: number; components: Array<{ kind: string; type: string; module: string }> };
}

/**
 * Adds a component, pipeline or runner to the project's local plugin package (created on first
 * use) and declares that package in the project's package.json (`file:`), so discovery finds it.
 */
export function createInProject(options: CreateInProjectOptions): {
  root: string;
  pluginDir: string;
  file: string;
  packageName: string;
} {
  const root = findPackageRoot(options.cwd ?? process.cwd());
  if (!root)
    throw new Error(
      "no package.json here or above: run this inside a lolpop project (lolpop init creates one)",
    );
  if (!TYPE_NAME.test(options.type))
    throw new Error(`the type name must be PascalCase, e.g. MyDataTransformer (got "${options.type}")`);
  let kind: string = options.what;
  if (options.what === "component") {
    if (!options.kind)
      throw new Error(`--kind is required for a component: one of ${BUILTIN_KINDS.join(", ")}`);
    if (!/^[a-z][a-z0-9_]*$/.test(options.kind))
      throw new Error(`--kind must be a snake_case kind such as data_transformer (got "${options.kind}")`);
    if (!options.newKind && !(BUILTIN_KINDS as readonly string[]).includes(options.kind)) {
      const near = didYouMean(options.kind, BUILTIN_KINDS);
      throw new Error(
        `unknown kind "${options.kind}"${near.length ? `: did you mean ${near.join(" or ")}?` : "."} The kinds core defines: ${BUILTIN_KINDS.join(", ")}. To define a new kind that your own pipelines look up, pass --new-kind.`,
      );
    }
    kind = options.kind;
  }
  const projectPkgFile = join(root, "package.json");
  const projectPkg = JSON.parse(readFileSync(projectPkgFile, "utf8")) as Record<string, unknown>;
  const folder = options.folder ?? "extensions";
  const pluginDir = join(root, folder);
  const manifestFile = join(pluginDir, "package.json");
  const packageName = existsSync(manifestFile)
    ? (JSON.parse(readFileSync(manifestFile, "utf8")) as LocalManifest).name
    : `${String(projectPkg.name ?? basename(root)).replace(/^@[^/]+\//, "")}-extensions`;
  const manifest: LocalManifest & Record<string, unknown> = existsSync(manifestFile)
    ? JSON.parse(readFileSync(manifestFile, "utf8"))
    : {
        name: packageName,
        version: "0.0.0",
        private: true,
        description: "This project's own lolpop components, pipelines and runners",
        type: "module",
        exports: { ".": "./index.js", "./package.json": "./package.json" },
        sideEffects: ["./index.js"],
        lolpop: { apiVersion: PLUGIN_API_VERSION, components: [] },
        peerDependencies: { "@lolpop/core": "*" },
      };
  const components = manifest.lolpop.components;
  const existing = components.find((c) => c.type === options.type);
  if (existing && !options.force)
    throw new Error(
      `${options.type} already exists in ${relative(root, pluginDir)} (${existing.module}): pick another name or pass --force`,
    );
  const sub = options.what === "component" ? "components" : `${options.what}s`;
  const rel = `./${sub}/${kebabCase(options.type)}.js`;
  const source =
    options.what === "component"
      ? componentStub(options.type, kind)
      : options.what === "pipeline"
        ? pipelineStub(options.type)
        : runnerStub(options.type);
  mkdirSync(join(pluginDir, sub), { recursive: true });
  const file = join(pluginDir, rel);
  writeFileSync(file, source);
  const entry = { kind: options.what === "component" ? kind : options.what, type: options.type, module: rel };
  manifest.lolpop.components = [...components.filter((c) => c.type !== options.type), entry];
  writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
  const list = manifest.lolpop.components;
  writeFileSync(
    join(pluginDir, "index.js"),
    `// Generated by \`lolpop create\`: registers this project's own components, pipelines and runners.
// Add more with \`lolpop create component|pipeline|runner <Type>\`; edit the files they point at.
import { createRequire } from "node:module";
import { definePlugin, registerPlugin } from "@lolpop/core";
${list.map((c, i) => `import c${i} from ${JSON.stringify(c.module)};`).join("\n")}

const pkg = createRequire(import.meta.url)("./package.json");

export default registerPlugin(
  definePlugin({ name: pkg.name, version: pkg.version, components: [${list.map((_, i) => `c${i}`).join(", ")}] }),
);
`,
  );
  const deps = (projectPkg.dependencies ?? {}) as Record<string, string>;
  if (!deps[packageName]) {
    projectPkg.dependencies = { ...deps, [packageName]: `file:./${folder}` };
    writeFileSync(projectPkgFile, `${JSON.stringify(projectPkg, null, 2)}\n`);
  }
  if (!readdirSync(pluginDir).includes("README.md"))
    writeFileSync(
      join(pluginDir, "README.md"),
      `# ${packageName}\n\nThis project's own lolpop components, pipelines and runners. \`lolpop create component|pipeline|runner\`\nadds to it; the project depends on it with \`file:./${folder}\`, so lolpop discovers it like any plugin.\n`,
    );
  return { root, pluginDir, file, packageName };
}
