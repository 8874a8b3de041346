// Every publishable package is ready for npm (metadata, entry points, self-registration, peer
// dependency on core), private packages stay out of releases, and the changesets configuration bumps
// integrations the way CONTRIBUTING.md says. Fast: reads files and plans releases in a temp folder.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { publicPackages, repoRoot, tempDir, type WorkspacePackage, workspacePackages } from "./workspace.js";

const REPO_URL = "git+https://github.com/lolpop-ts/lolpop.git";
const changesetConfig = JSON.parse(readFileSync(join(repoRoot, ".changeset", "config.json"), "utf8"));
/** Matches a changesets `ignore` entry (package name or `@scope/*` glob). */
const ignored = (name: string) =>
  (changesetConfig.ignore as string[]).some((pattern) =>
    new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`).test(name),
  );
const isPlugin = (p: WorkspacePackage) => p.pkg.lolpop !== undefined;

const pub = publicPackages();

test("the workspace publishes core, the CLI, the plugins and the integrations", () => {
  expect(pub.map((p) => p.name)).toEqual(
    expect.arrayContaining([
      "@lolpop/core",
      "@lolpop/cli",
      "@lolpop/workflows",
      "@lolpop/local",
      "@lolpop/testing",
      "@lolpop/python-bridge",
      "@lolpop/random-forest",
      "@lolpop/evidently",
    ]),
  );
  expect(pub.filter((p) => p.rel.startsWith("integrations/")).length).toBeGreaterThanOrEqual(5);
});

describe.each(pub.map((p) => [p.name, p] as const))("%s", (_name, p) => {
  const pkg = p.pkg;

  it("names itself, its version, license and source folder", () => {
    expect(pkg.name).toMatch(/^@lolpop\/[a-z0-9-]+$/);
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/);
    expect(typeof pkg.description).toBe("string");
    expect(pkg.description.length).toBeGreaterThan(30);
    expect(pkg.license).toBe("Apache-2.0");
    expect(pkg.repository).toEqual({ type: "git", url: REPO_URL, directory: p.rel });
    expect(pkg.type).toBe("module");
    expect(pkg.engines).toEqual({ node: ">=20" });
  });

  it("has keywords, with lolpop-plugin exactly when it carries a plugin manifest", () => {
    expect(pkg.keywords).toContain("lolpop");
    expect(pkg.keywords.includes("lolpop-plugin")).toBe(isPlugin(p));
  });

  it("exports its entry with types first, and ./package.json", () => {
    const root = pkg.exports["."];
    expect(Object.keys(root)[0]).toBe("types");
    expect(root).toEqual({ types: "./dist/index.d.ts", import: "./dist/index.js" });
    expect(pkg.exports["./package.json"]).toBe("./package.json");
    expect(pkg.main).toBe(root.import);
    expect(pkg.types).toBe(root.types);
  });

  it("publishes dist, a README and the LICENSE, publicly", () => {
    expect(pkg.files).toEqual(expect.arrayContaining(["dist", "README.md"]));
    const readme = readFileSync(join(p.dir, "README.md"), "utf8");
    expect(readme.startsWith(`# ${pkg.name}`)).toBe(true);
    expect(readme.length).toBeGreaterThan(400);
    expect(pkg.publishConfig).toEqual({ access: "public" });
    // npm packs a LICENSE file whatever `files` says; it must be the license package.json names.
    expect(pkg.license).toBe("Apache-2.0");
    expect(readFileSync(join(p.dir, "LICENSE"), "utf8")).toContain(
      "Apache License\n                           Version 2.0",
    );
    for (const bin of Object.values<string>(pkg.bin ?? {})) {
      expect(existsSync(join(p.dir, bin))).toBe(true);
      expect(pkg.files.some((f: string) => bin.replace(/^\.\//, "").startsWith(f))).toBe(true);
    }
  });

  it("lists its self-registering entry in sideEffects (plugins), or declares none", () => {
    if (isPlugin(p)) expect(pkg.sideEffects).toEqual([pkg.exports["."].import]);
    else expect(pkg.sideEffects === false || Array.isArray(pkg.sideEffects)).toBe(true);
  });

  it("depends on @lolpop/core the way its role needs", () => {
    const core = "@lolpop/core";
    if (p.name === core) return;
    if (p.name === "@lolpop/cli") {
      // The CLI is an application: it brings its core.
      expect(pkg.dependencies[core]).toMatch(/^workspace:/);
      return;
    }
    // Plugins and libraries use the project's core: a peer (wide range), and a dev dependency to build.
    expect(pkg.dependencies?.[core]).toBeUndefined();
    expect(pkg.peerDependencies[core]).toMatch(/^>=\d+\.\d+\.\d+ <\d+\.\d+\.\d+$/);
    expect(pkg.devDependencies[core]).toBe("workspace:^");
  });

  it("depends on no private workspace package, and on workspace packages only through workspace:", () => {
    const byName = new Map(workspacePackages().map((w) => [w.name, w]));
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"]) {
      for (const [dep, range] of Object.entries<string>(pkg[field] ?? {})) {
        const w = byName.get(dep);
        if (!w) continue;
        expect([dep, w.private]).toEqual([dep, false]);
        if (field === "dependencies")
          expect([dep, range]).toEqual([dep, expect.stringMatching(/^workspace:/)]);
      }
    }
  });

  it("is released by changesets", () => {
    expect(ignored(p.name)).toBe(false);
  });
});

describe("self-registration", () => {
  const plugins = pub.filter(isPlugin);

  it.each(plugins.map((p) => [p.name, p] as const))(
    "importing %s's sideEffects entry registers it",
    (_n, p) => {
      const entry = join(p.dir, p.pkg.sideEffects[0]);
      if (!existsSync(entry)) throw new Error(`${entry} is missing: run pnpm build first`);
      // A fresh process: the registry lives on globalThis, under the symbol core documents.
      const script = `await import(${JSON.stringify(pathToFileURL(entry).href)});
const state = globalThis[Symbol.for("lolpop.registry@1")];
console.log(JSON.stringify(state ? [...state.plugins.keys()] : []));`;
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
      expect(JSON.parse(r.stdout)).toContain(p.name);
    },
  );

  it.each(plugins.map((p) => [p.name, p] as const))(
    "%s ships its config schemas (lolpop.configSchemas), built from its definitions",
    (_n, p) => {
      // `lolpop plugins info` and `lolpop schema` read this file instead of importing the plugin.
      expect(p.pkg.lolpop.configSchemas).toBe("./dist/schemas.json");
      const file = join(p.dir, p.pkg.lolpop.configSchemas);
      if (!existsSync(file)) throw new Error(`${file} is missing: run pnpm build first`);
      const shipped = JSON.parse(readFileSync(file, "utf8"));
      const entry = pathToFileURL(join(p.dir, p.pkg.exports["."].import)).href;
      const script = `const { default: plugin } = await import(${JSON.stringify(entry)});
console.log(JSON.stringify(Object.fromEntries(plugin.components.map((c) =>
  [c.type, { ...c.configSchema, ...(c.description ? { description: c.description } : {}) }]))));`;
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
      expect(shipped).toEqual(JSON.parse(r.stdout));
      expect(Object.keys(shipped).sort()).toEqual(
        p.pkg.lolpop.components.map((c: { type: string }) => c.type).sort(),
      );
    },
  );

  const withData = plugins.filter((p) => p.pkg.lolpop.validation !== undefined);
  it.each(withData.map((p) => [p.name, p] as const))(
    "%s ships validation data for its version, its checks module exports the definitions' own checks",
    async (_n, p) => {
      // `lolpop validate` plans from these instead of importing the plugin (stale = another version).
      expect(p.pkg.lolpop.validation).toBe("./dist/validation.json");
      const data = JSON.parse(readFileSync(join(p.dir, p.pkg.lolpop.validation), "utf8"));
      expect([data.format, data.plugin, data.version]).toEqual([1, p.name, p.pkg.version]);
      expect(data.types.map((t: { type: string }) => t.type).sort()).toEqual(
        p.pkg.lolpop.components.map((c: { type: string }) => c.type).sort(),
      );
      const { configChecks } = await import(pathToFileURL(join(p.dir, p.pkg.lolpop.configChecks)).href);
      for (const t of data.types)
        expect([t.type, t.checks === "module"]).toEqual([t.type, configChecks[t.type] !== undefined]);
    },
  );
});

test("core's catalog of first-party types lists every type a first-party plugin declares", async () => {
  // `lolpop validate` says which package to install for an unknown type from this catalog.
  const { FIRST_PARTY_TYPES } = (await import(
    pathToFileURL(join(repoRoot, "packages", "core", "dist", "index.js")).href
  )) as { FIRST_PARTY_TYPES: Record<string, { package: string; kind: string }> };
  const declared = Object.fromEntries(
    pub
      .filter(isPlugin)
      .flatMap((p) =>
        ((p.pkg.lolpop.components ?? []) as { type: string; kind: string }[]).map((c) => [
          c.type,
          { package: p.name, kind: c.kind },
        ]),
      ),
  );
  expect(FIRST_PARTY_TYPES).toEqual(declared);
});

describe("public surfaces", () => {
  // What each plugin's entry exports at run time: the plugin, its component definitions, config
  // schemas and constants, model classes, errors, and the tools its README documents. Internals
  // (request limits and filters, tree building, native scorers, statistics, params merges) stay in
  // their modules. A new export is a decision: add it here.
  const SURFACES: Record<string, string[]> = {
    "@lolpop/workflows": [
      "classificationRunner",
      "default",
      "offlineDeploy",
      "offlinePredict",
      "offlineProcess",
      "offlineTrain",
      "forecastTable",
      "loadForecastBundle",
      "regressionRunner",
      "stagesOf",
      "timeSeriesPredict",
      "timeSeriesRunner",
      "timeSeriesTrain",
      "workflowsPlugin",
    ],
    "@lolpop/forecast": [
      "FORECASTER_FILE",
      "FORECASTER_FORMAT",
      "FORECASTER_FORMAT_VERSION",
      "FORECAST_HANDLER_FILE",
      "FORECAST_REQUIREMENTS_FILE",
      "FORECAST_SETUP_COMMAND",
      "FREQUENCY_HELP",
      "ForecastDataError",
      "ForecastModelError",
      "addSteps",
      "applyEts",
      "backtest",
      "calendarValue",
      "closeProphetWorkers",
      "default",
      "defaultCalendar",
      "defaultSeasonLength",
      "etsForecaster",
      "etsForecasterComponent",
      "etsMethodName",
      "featureNames",
      "fitEts",
      "fitSeasonalNaive",
      "foldExogenous",
      "forecastEts",
      "forecastPlugin",
      "forecastSeasonalNaive",
      "formatFrequency",
      "formatTime",
      "futureTimes",
      "inferFrequency",
      "levelMultiplier",
      "loadForecaster",
      "loadMlForecaster",
      "loadProphetForecaster",
      "mlForecaster",
      "mlForecasterComponent",
      "nelderMead",
      "normalCdf",
      "normalPdf",
      "normalQuantile",
      "parseFrequency",
      "prepareSeries",
      "prophetForecaster",
      "prophetForecasterComponent",
      "prophetRequirements",
      "prophetWorker",
      "rollingOriginFolds",
      "runSetupCli",
      "seasonalNaiveForecaster",
      "seasonalNaiveForecasterComponent",
      "seriesScale",
      "setupForecastPython",
      "simulatePaths",
      "splitAtFold",
      "stepIndex",
    ],
    "@lolpop/local": [
      "codeTreeFingerprint",
      "collectBlobGarbage",
      "default",
      "localBlobStore",
      "localDataConnector",
      "localDataSplitter",
      "localDataTransformer",
      "localFeatureTransformer",
      "localHyperparameterTuner",
      "localMetadataTracker",
      "localModelRepository",
      "localPlugin",
      "localStepCache",
      "stdoutNotifier",
    ],
    "@lolpop/serve": [
      "DEFAULT_BODY_LIMIT",
      "DEFAULT_POLL_INTERVAL_MS",
      "DEFAULT_REQUEST_TIMEOUT_MS",
      "MODEL_VERSION_HEADER",
      "ServeError",
      "createServeApp",
      "default",
      "loadPredictor",
      "servePlugin",
    ],
    "@lolpop/ui": ["CSRF_HEADER", "MAX_RUNS", "REPORT_CSP", "UiError", "createUiApp", "default", "uiPlugin"],
    "@lolpop/random-forest": [
      "DEFAULT_ENGINE",
      "DEFAULT_SEED",
      "DEFAULT_TRAINING_PARAMS",
      "ENGINES",
      "FOREST_FILE",
      "HISTOGRAM_MODEL_FORMAT_VERSION",
      "HistogramForestModel",
      "ML_MODEL_FORMAT_VERSION",
      "MODEL_FILE",
      "MODEL_FORMAT",
      "MODEL_FORMAT_VERSION",
      "RANDOM_FOREST_TRAINER_TYPE",
      "RandomForestModel",
      "default",
      "randomForestConfigSchema",
      "randomForestModelTrainer",
      "randomForestPlugin",
    ],
    "@lolpop/tfjs": [
      "ACTIVATIONS",
      "DEFAULT_EARLY_STOPPING",
      "DEFAULT_SEED",
      "DEFAULT_TRAINING_PARAMS",
      "META_FILE",
      "MODEL_FORMAT",
      "MODEL_FORMAT_VERSION",
      "MODEL_JSON_FILE",
      "OPTIMIZERS",
      "TFJS_TRAINER_TYPE",
      "TFJS_VERSION",
      "TfjsModel",
      "WEIGHTS_FILE",
      "default",
      "loadTf",
      "probeBackend",
      "tfjsConfigSchema",
      "tfjsModelTrainer",
      "tfjsPlugin",
    ],
    "@lolpop/catboost-bridge": [
      "CATBOOST_REQUIREMENTS_FILE",
      "CATBOOST_TRAINER_TYPE",
      "CBM_FILE",
      "CatBoostModel",
      "DEFAULT_SEED",
      "DEFAULT_TRAINING_PARAMS",
      "JSON_FILE",
      "META_FILE",
      "MISSING_CATEGORY",
      "MODEL_FORMAT",
      "MODEL_FORMAT_VERSION",
      "RESERVED_PARAMS",
      "SETUP_COMMAND",
      "SUPPORTED_LOSSES",
      "catboostConfigSchema",
      "catboostModelTrainer",
      "catboostPlugin",
      "catboostRequirements",
      "catboostWorker",
      "closeCatBoostWorkers",
      "default",
      "setupCatBoostPython",
    ],
    "@lolpop/mlflow": [
      "BUNDLE_FORMAT",
      "LOLPOP_FLAVOR",
      "MLFLOW_TAGS",
      "MLMODEL_FILE",
      "MODEL_ARTIFACT_PATH",
      "MlflowClient",
      "collectPages",
      "createMlflowMetadataTracker",
      "createMlflowModelRepository",
      "default",
      "isMlflowError",
      "mlflowMetadataTracker",
      "mlflowMetadataTrackerConfigSchema",
      "mlflowModelRepository",
      "mlflowModelRepositoryConfigSchema",
      "mlflowPlugin",
    ],
    "@lolpop/duckdb": [
      "DUCKDB_TRANSFORM_FORMAT",
      "DuckDBQueryError",
      "default",
      "describeDuckDBTransform",
      "duckdbDataConnector",
      "duckdbDataConnectorConfigSchema",
      "duckdbDataTransformer",
      "duckdbDataTransformerConfigSchema",
      "duckdbPlugin",
    ],
    "@lolpop/evidently": [
      "DEFAULT_GATES",
      "EVIDENTLY_DATA_CHECKER_TYPE",
      "EVIDENTLY_DATA_PROFILER_TYPE",
      "STAT_TEST_NAMES",
      "computeDrift",
      "default",
      "evidentlyDataChecker",
      "evidentlyDataCheckerConfigSchema",
      "evidentlyDataProfiler",
      "evidentlyDataProfilerConfigSchema",
      "evidentlyPlugin",
    ],
    // The orchestrator, the worker and the activities as a library; the commands are their own entries.
    "@lolpop/temporal": [
      "PROGRESS_QUERY",
      "TEMPORAL_STAGES",
      "TRIALS_WORKFLOW_TYPE",
      "TemporalConfigError",
      "TemporalOrchestrator",
      "WORKFLOW_TYPE",
      "connectTemporal",
      "connectionSecurity",
      "createActivities",
      "default",
      "followRun",
      "isNonRetryable",
      "loadStepData",
      "runErrorFrom",
      "saveStepData",
      "startWorker",
      "stepErrorFrom",
      "stepFailure",
      "temporalPlanIssues",
      "temporalPlugin",
      "temporalSettings",
      "temporalTrialsOrchestrator",
      "workerConnectionOptions",
      "workerSettings",
    ],
    // The command's steps as a library (providers, facts, prompts, writers, checks, the command).
    "@lolpop/genai": [
      "DEFAULT_API_KEY_ENV",
      "DEFAULT_DOCS_LIMITS",
      "DEFAULT_LOCAL_MODEL",
      "DEFAULT_MAX_SOURCE_CHARS",
      "DEFAULT_WORKFLOW_DOCS_LIMITS",
      "FETCH_MODEL_COMMAND",
      "GENAI_SETTINGS_FILE",
      "GENERATE_HELP",
      "GenaiOutputError",
      "GenaiSetupError",
      "LOCAL_PROVIDER",
      "NODE_LLAMA_CPP_VERSION",
      "OPENAI_COMPATIBLE_PROVIDER",
      "REQUEST_DEFAULTS",
      "SECRET_PLACEHOLDER",
      "WORKFLOW_CHECKS",
      "WORKFLOW_HOOKS_FILE",
      "WORKFLOW_HOOKS_MODULE",
      "answerTokenBudget",
      "applyDocComment",
      "applyReadmeSection",
      "checkAnswer",
      "cleanProse",
      "collectComponentFacts",
      "collectWorkflowFacts",
      "componentFactsFromRegistry",
      "configOptions",
      "contractFacts",
      "createLanguageModel",
      "createLocalModel",
      "createOpenAICompatibleModel",
      "createScrubber",
      "default",
      "defaultModelPath",
      "defaultModelStatus",
      "definitionRange",
      "docsMessages",
      "docsRequest",
      "docsSchema",
      "fetchDefaultModel",
      "findDefinitionSource",
      "formatDryRun",
      "genaiPlugin",
      "genaiSettingsSchema",
      "generateCommand",
      "generateComponentDocs",
      "generateComponentTests",
      "generateSettings",
      "generateWorkflowDocs",
      "generateWorkflowTests",
      "interfaceDeclaration",
      "modelCacheDir",
      "parseCases",
      "parseGenerateArgs",
      "parseHooks",
      "portableSchema",
      "readmeMarkers",
      "redactForPrompt",
      "renderConfigTable",
      "renderDocComment",
      "renderOutcome",
      "renderReadmeSection",
      "renderTestFile",
      "renderWorkflowSection",
      "renderWorkflowTests",
      "repairMessage",
      "runGenerate",
      "runWorkflowHooks",
      "scrubForPrompt",
      "sha256File",
      "testCasesSchema",
      "testsMessages",
      "testsRequest",
      "unifiedDiff",
      "verifyTestFile",
      "workflowDocsMessages",
      "workflowDocsRequest",
      "workflowDocsSchema",
      "workflowHookPoints",
      "workflowSectionKey",
      "workflowTestsFile",
      "workflowTestsMessages",
      "workflowTestsRequest",
      "workflowTestsSchema",
      "yamlForPrompt",
    ],
  };

  it("covers every plugin package", () => {
    expect(Object.keys(SURFACES).sort()).toEqual(
      pub
        .filter(isPlugin)
        .map((p) => p.name)
        .sort(),
    );
  });

  it.each(pub.filter(isPlugin).map((p) => [p.name, p] as const))(
    "%s's entry exports its public surface, no internals",
    (name, p) => {
      const entry = pathToFileURL(join(p.dir, p.pkg.exports["."].import)).href;
      const script = `console.log(JSON.stringify(Object.keys(await import(${JSON.stringify(entry)})).sort()));`;
      const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(r.stderr);
      expect(JSON.parse(r.stdout)).toEqual([...(SURFACES[name] ?? [])].sort());
    },
  );
});

describe("private packages", () => {
  const priv = workspacePackages().filter((p) => p.private);

  it("examples, tests and benchmarks are private and ignored by changesets", () => {
    expect(priv.map((p) => p.rel)).toEqual(
      expect.arrayContaining(["examples/quickstart/penguins", "tests", "tests/publish", "bench"]),
    );
    for (const p of priv) {
      expect([p.name, ignored(p.name)]).toEqual([p.name, true]);
      expect(p.name.startsWith("@lolpop/")).toBe(false);
    }
    // Only packages, integrations and apps publish.
    for (const p of workspacePackages().filter((w) => !w.private))
      expect(p.rel).toMatch(/^(packages|integrations|apps)\//);
  });
});

describe("changesets: how a core release bumps the other packages", () => {
  let dir = "";

  beforeAll(() => {
    // The workspace's manifests and changesets config, without the pending changesets.
    dir = tempDir("lolpop-release-plan-");
    for (const f of ["package.json", "pnpm-workspace.yaml", ".changeset/config.json"]) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      cpSync(join(repoRoot, f), join(dir, f));
    }
    for (const p of workspacePackages()) {
      mkdirSync(join(dir, p.rel), { recursive: true });
      cpSync(join(p.dir, "package.json"), join(dir, p.rel, "package.json"));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function plan(bump: "minor" | "major"): Promise<Record<string, string>> {
    writeFileSync(
      join(dir, ".changeset", "core-change.md"),
      `---\n"@lolpop/core": ${bump}\n---\n\nA change.\n`,
    );
    const mod: any = await import("@changesets/get-release-plan");
    const getReleasePlan = typeof mod.default === "function" ? mod.default : mod.default.default;
    const result = await getReleasePlan(dir);
    return Object.fromEntries(
      result.releases
        .filter((r: { type: string }) => r.type !== "none")
        .map((r: { name: string; type: string }) => [r.name, r.type]),
    );
  }

  it("a core minor releases core and the CLI that bundles it, and no integration", async () => {
    // Integrations accept any 0.x core (peer >=0.1.0 <1.0.0): still in range, so no forced bump.
    expect(await plan("minor")).toEqual({ "@lolpop/core": "minor", "@lolpop/cli": "patch" });
  });

  it("a core major leaves the peer range, and every package that peers on core is released major", async () => {
    const releases = await plan("major");
    const peers = pub.filter((p) => p.pkg.peerDependencies?.["@lolpop/core"]).map((p) => p.name);
    expect(peers.length).toBeGreaterThanOrEqual(8);
    for (const name of peers) expect([name, releases[name]]).toEqual([name, "major"]);
    expect(releases["@lolpop/cli"]).toBe("patch");
  });
});
