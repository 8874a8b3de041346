// `lolpop doctor`: Python and the modules plugins need, servers named in the config (a real HTTP
// server on 127.0.0.1 and a closed port), each problem with a fix, and no credentials in the output.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { findPython, type PythonLocation } from "@lolpop/python-bridge";
import { json, linkPackages, lolpopAsync, tempDir, writePackage } from "./cli-helpers.js";
import { repoRoot } from "./helpers.js";

const python = join(process.env.LOLPOP_VENV ?? join(repoRoot, ".venv"), "bin", "python");
const dir = tempDir("lolpop-doctor-");
let server: Server;
let port = 0;
let closedPort = 0;

/** A plugin that declares Python requirements in its manifest, written into `root`'s node_modules. */
function writePythonFixture(root: string): void {
  writePackage(
    join(root, "node_modules", "lolpop-fixture-python"),
    {
      name: "lolpop-fixture-python",
      version: "1.0.0",
      type: "module",
      exports: { ".": "./index.js", "./package.json": "./package.json" },
      lolpop: {
        apiVersion: 1,
        components: [],
        python: { packages: ["scikit-learn", "lolpop-surely-missing-dist==1.0.0"] },
      },
    },
    {
      "index.js":
        'import { definePlugin, registerPlugin } from "@lolpop/core";\nexport default registerPlugin(definePlugin({ name: "lolpop-fixture-python", version: "1.0.0", components: [] }));\n',
    },
  );
}

beforeAll(async () => {
  // The project has @lolpop/python-bridge (doctor finds Python with the project's copy).
  linkPackages(dir, ["@lolpop/core", "@lolpop/local", "@lolpop/workflows", "@lolpop/python-bridge"]);
  writePythonFixture(dir);
  writePackage(dir, {
    name: "doctor-project",
    private: true,
    type: "module",
    dependencies: {
      "@lolpop/core": "*",
      "@lolpop/local": "*",
      "@lolpop/workflows": "*",
      "lolpop-fixture-python": "*",
    },
    devDependencies: { "@lolpop/python-bridge": "*" },
  });
  server = createServer((_req, res) => res.end("ok")).listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  port = (server.address() as AddressInfo).port;
  const probe = createServer().listen(0, "127.0.0.1");
  await new Promise((r) => probe.once("listening", r));
  closedPort = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  writeFileSync(
    join(dir, "servers.yaml"),
    `runner: ClassificationRunner
config:
  tracking_uri: http://127.0.0.1:${port}/api
  registry_uri: http://ci-user:s3cretpass@127.0.0.1:${closedPort}/
pipelines: {}
`,
  );
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe("lolpop doctor", () => {
  it("checks Python modules the plugins need and the config's servers, with a fix per problem", async () => {
    if (!existsSync(python)) throw new Error(`no Python venv at ${python}: run \`pnpm python:setup\` first`);
    const r = await lolpopAsync(["doctor", "servers.yaml", "--json"], dir, { LOLPOP_PYTHON: python });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).not.toContain("s3cretpass");
    const doc = json<{
      ok: boolean;
      checks: Array<{ area: string; name: string; status: string; detail: string; fix?: string }>;
    }>(r);
    const find = (area: string, name: string) => doc.checks.find((c) => c.area === area && c.name === name)!;
    expect(find("node", "node")).toMatchObject({ status: "ok" });
    expect(find("core", "@lolpop/core")).toMatchObject({ status: "ok" });
    expect(find("python", "python").detail).toMatch(
      new RegExp(`Python 3\\.\\d+\\.\\d+ at ${python} \\(from LOLPOP_PYTHON\\)`),
    );
    expect(find("python", "scikit-learn")).toMatchObject({ status: "ok" });
    expect(find("python", "scikit-learn").detail).toMatch(
      /lolpop-fixture-python needs scikit-learn; installed \d+\.\d+/,
    );
    const missing = find("python", "lolpop-surely-missing-dist");
    expect(missing).toMatchObject({ status: "fail" });
    expect(missing.detail).toMatch(/needs lolpop-surely-missing-dist==1\.0\.0; not installed/);
    expect(missing.fix).toBe(`${python} -m pip install 'lolpop-surely-missing-dist==1.0.0'`);
    expect(find("server", "config.tracking_uri")).toMatchObject({ status: "ok" });
    expect(find("server", "config.tracking_uri").detail).toMatch(/reachable \(HTTP 200\)/);
    const down = find("server", "config.registry_uri");
    expect(down).toMatchObject({ status: "fail" });
    expect(down.detail).toMatch(
      new RegExp(`http://\\*\\*\\*:\\*\\*\\*@127\\.0\\.0\\.1:${closedPort}/: unreachable \\(ECONNREFUSED\\)`),
    );
    expect(down.fix).toMatch(/start the server or fix config\.registry_uri/);
  });

  it("prints the same for people, ending with the count of problems", async () => {
    const r = await lolpopAsync(["doctor", "servers.yaml"], dir, { LOLPOP_PYTHON: python });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL {2}python lolpop-surely-missing-dist: .*\n {6}fix: .* -m pip install/m);
    // The Python module, the closed server, and the config's own problems (servers.yaml is not a workflow).
    expect(r.stdout).toMatch(/^FAIL {2}config .*servers\.yaml:\d+:\d+ /m);
    const problems = Number(/(\d+) problem\(s\), 0 warning\(s\)$/m.exec(r.stdout)?.[1]);
    expect(problems).toBe((r.stdout.match(/^FAIL /gm) ?? []).length);
    expect(problems).toBeGreaterThan(2);
  });
});

describe("lolpop doctor runs validate and checks what the config needs here", () => {
  const proj = tempDir("lolpop-doctor-config-");
  const workflow = (trainer: string) => `runner: ClassificationRunner
config:
  target: species
  model_name: penguins
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
pipelines:
  process: OfflineProcess
  train: OfflineTrain
  deploy: OfflineDeploy
process:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config:
      path: data/penguins.csv
train:
  components:
    data_splitter: LocalDataSplitter
    feature_transformer: LocalFeatureTransformer
    model_trainer: ${trainer}
`;
  beforeAll(() => {
    linkPackages(proj, ["@lolpop/core", "@lolpop/local", "@lolpop/workflows", "@lolpop/random-forest"]);
    writePackage(proj, {
      name: "doctor-config-project",
      private: true,
      type: "module",
      dependencies: {
        "@lolpop/core": "*",
        "@lolpop/local": "*",
        "@lolpop/workflows": "*",
        "@lolpop/random-forest": "*",
      },
    });
    writeFileSync(join(proj, "unknown-trainer.yaml"), workflow("RandomForestTrainer"));
    writeFileSync(join(proj, "missing-data.yaml"), workflow("RandomForestModelTrainer"));
  });
  afterAll(() => rmSync(proj, { recursive: true, force: true }));

  type Doc = {
    ok: boolean;
    checks: Array<{ area: string; name: string; status: string; detail: string; fix?: string }>;
  };

  it("fails an unknown trainer type at its line, as validate does", async () => {
    const r = await lolpopAsync(["doctor", "unknown-trainer.yaml", "--json"], proj);
    expect(r.code).toBe(1);
    const bad = json<Doc>(r).checks.find(
      (c) => c.area === "config" && c.name === "train.components.model_trainer",
    );
    expect(bad).toMatchObject({ status: "fail" });
    expect(bad!.detail).toMatch(
      /unknown-trainer\.yaml:22:20 .*"RandomForestTrainer"\. Did you mean RandomForestModelTrainer\?/,
    );
  }, 120_000);

  it("fails a data file that does not exist, and passes once it does", async () => {
    const r = await lolpopAsync(["doctor", "missing-data.yaml", "--json"], proj);
    expect(r.code).toBe(1);
    const doc = json<Doc>(r);
    expect(doc.checks.find((c) => c.area === "config")).toMatchObject({ status: "ok" });
    const file = doc.checks.find((c) => c.area === "files")!;
    expect(file).toMatchObject({ status: "fail", name: "process.data_connector.config.path" });
    expect(file.detail).toMatch(/data\/penguins\.csv does not exist/);
    mkdirSync(join(proj, "data"), { recursive: true });
    writeFileSync(join(proj, "data", "penguins.csv"), "bill,species\n1,a\n");
    const again = json<Doc>(await lolpopAsync(["doctor", "missing-data.yaml", "--json"], proj));
    expect(again.checks.find((c) => c.area === "files")).toMatchObject({ status: "ok" });
  }, 120_000);
});

// Doctor and the integrations find Python the same way: @lolpop/python-bridge's findPython, from the
// config's folder, with a component's `python` option first. A project with CatBoost (which needs
// Python) whose config sits in a sub-folder; the shared venv is linked as the project's .venv above it.
describe("lolpop doctor reports the interpreter the integrations use", () => {
  const venv = process.env.LOLPOP_VENV ?? join(repoRoot, ".venv");
  const proj = tempDir("lolpop-doctor-python-");
  const nested = join(proj, "workflows");
  const noPython = { LOLPOP_PYTHON: "", LOLPOP_VENV: "" };
  const pythonCheck = (
    doc: { checks: Array<{ area: string; name: string; detail: string }> },
    name: string,
  ) => doc.checks.find((c) => c.area === "python" && c.name === name);
  const expectAgreement = (detail: string | undefined, found: PythonLocation) =>
    expect(detail).toMatch(
      new RegExp(
        `^Python 3\\.\\d+\\.\\d+ at ${escapeRegExp(found.path)} \\(from ${escapeRegExp(found.source)}\\)`,
      ),
    );

  beforeAll(() => {
    linkPackages(proj, ["@lolpop/core", "@lolpop/local", "@lolpop/workflows"]);
    symlinkSync(
      join(repoRoot, "integrations", "catboost-bridge"),
      join(proj, "node_modules", "@lolpop", "catboost-bridge"),
    );
    writePackage(proj, {
      name: "doctor-python-project",
      private: true,
      type: "module",
      dependencies: {
        "@lolpop/core": "*",
        "@lolpop/local": "*",
        "@lolpop/workflows": "*",
        "@lolpop/catboost-bridge": "*",
      },
    });
    symlinkSync(venv, join(proj, ".venv"));
    mkdirSync(nested, { recursive: true });
    const config = (python?: string) => `runner: ClassificationRunner
config:
  target: species
components:
  metadata_tracker: LocalMetadataTracker
  model_repository: LocalModelRepository
pipelines:
  process: OfflineProcess
  train: OfflineTrain
  deploy: OfflineDeploy
process:
  components:
    data_connector: LocalDataConnector
  data_connector:
    config: { path: data/train.csv }
train:
  components:
    data_splitter: LocalDataSplitter
    feature_transformer: LocalFeatureTransformer
    model_trainer: CatBoostModelTrainer
${python ? `  model_trainer:\n    config:\n      python: ${python}\n` : ""}`;
    // The data file the config reads (doctor checks it exists).
    mkdirSync(join(nested, "data"), { recursive: true });
    writeFileSync(join(nested, "data", "train.csv"), "bill,species\n1,a\n");
    writeFileSync(join(nested, "lolpop.yaml"), config());
    writeFileSync(join(nested, "own-python.yaml"), config(join(venv, "bin", "python")));
  }, 60_000);

  afterAll(() => rmSync(proj, { recursive: true, force: true }));

  it("LOLPOP_VENV, then the nearest .venv from the config's folder up", async () => {
    const viaEnv = await lolpopAsync(["doctor", "workflows/lolpop.yaml", "--json"], proj, {
      ...noPython,
      LOLPOP_VENV: venv,
    });
    const envDoc = json<{ checks: Array<{ area: string; name: string; status: string; detail: string }> }>(
      viaEnv,
    );
    const fromEnv = findPython({
      projectRoot: nested,
      env: { ...process.env, ...noPython, LOLPOP_VENV: venv },
    });
    expect(fromEnv.source).toMatch(/^LOLPOP_VENV/);
    expectAgreement(pythonCheck(envDoc, "python")?.detail, fromEnv);
    expect(pythonCheck(envDoc, "catboost")).toMatchObject({ status: "ok" });

    const viaVenv = await lolpopAsync(["doctor", "workflows/lolpop.yaml", "--json"], proj, noPython);
    const venvDoc = json<{ checks: Array<{ area: string; name: string; detail: string }> }>(viaVenv);
    const fromVenv = findPython({ projectRoot: nested, env: { ...process.env, ...noPython } });
    expect(fromVenv.path).toBe(join(proj, ".venv", "bin", "python"));
    expectAgreement(pythonCheck(venvDoc, "python")?.detail, fromVenv);
  }, 120_000);

  it("a component's python option: that interpreter, named by its YAML path", async () => {
    const r = await lolpopAsync(["doctor", "workflows/own-python.yaml", "--json"], proj, noPython);
    const doc = json<{ checks: Array<{ area: string; name: string; status: string; detail: string }> }>(r);
    const optionName = "train.model_trainer.config.python";
    const own = findPython({ projectRoot: nested, python: join(venv, "bin", "python"), optionName });
    expect(own.source).toBe(optionName);
    expectAgreement(pythonCheck(doc, optionName)?.detail, own);
    expect(pythonCheck(doc, optionName)?.detail).toMatch(/used by train\.model_trainer$/);
    expect(pythonCheck(doc, `catboost (${optionName})`)).toMatchObject({ status: "ok" });
    // The default interpreter (for components without the option) is still reported.
    expectAgreement(
      pythonCheck(doc, "python")?.detail,
      findPython({ projectRoot: nested, env: { ...process.env, ...noPython } }),
    );
  }, 120_000);

  it("when every Python-backed component names its interpreter, the default one's gaps are warnings", async () => {
    // A bare venv (no catboost) as the default interpreter.
    const bare = join(proj, "bare-venv");
    execFileSync(findPython({ projectRoot: nested }).path, ["-m", "venv", "--without-pip", bare]);
    const r = await lolpopAsync(["doctor", "workflows/own-python.yaml", "--json"], proj, {
      ...noPython,
      LOLPOP_PYTHON: join(bare, "bin", "python"),
    });
    const doc = json<{
      ok: boolean;
      checks: Array<{ area: string; name: string; status: string; detail: string }>;
    }>(r);
    expect(pythonCheck(doc, "python")?.detail).toContain(
      `at ${join(bare, "bin", "python")} (from LOLPOP_PYTHON)`,
    );
    expect(doc.checks.find((c) => c.name === "catboost")).toMatchObject({ status: "warn" });
    expect(doc.checks.find((c) => c.name === "catboost")!.detail).toMatch(
      /not installed \(no component of the config uses this interpreter; types created on demand would\)/,
    );
    expect(doc.checks.find((c) => c.name === "catboost (train.model_trainer.config.python)")).toMatchObject({
      status: "ok",
    });
    expect(r.code).toBe(0);
    expect(doc.ok).toBe(true);
  }, 120_000);

  it("a python option that points nowhere fails with findPython's reason and a fix naming the option", async () => {
    writeFileSync(
      join(nested, "bad-python.yaml"),
      readFileSync(join(nested, "own-python.yaml"), "utf8").replace(
        join(venv, "bin", "python"),
        "./no/such/python",
      ),
    );
    const r = await lolpopAsync(["doctor", "workflows/bad-python.yaml", "--json"], proj, noPython);
    expect(r.code).toBe(1);
    const doc = json<{
      checks: Array<{ area: string; name: string; status: string; detail: string; fix?: string }>;
    }>(r);
    const check = doc.checks.find((c) => c.name === "train.model_trainer.config.python")!;
    expect(check.status).toBe("fail");
    expect(check.detail).toContain(`${join(nested, "no", "such", "python")}`);
    expect(check.detail).toMatch(/from train\.model_trainer\.config\.python does not exist/);
    expect(check.fix).toMatch(/fix train\.model_trainer\.config\.python in .*bad-python\.yaml/);
  }, 120_000);
});

describe("lolpop doctor without @lolpop/python-bridge in the project", () => {
  it("says it cannot check the Python requirements and how to fix that, instead of guessing an interpreter", async () => {
    const bare = tempDir("lolpop-doctor-nobridge-");
    try {
      linkPackages(bare, ["@lolpop/core"]);
      writePythonFixture(bare);
      writePackage(bare, {
        name: "doctor-nobridge",
        private: true,
        type: "module",
        dependencies: { "@lolpop/core": "*", "lolpop-fixture-python": "*" },
      });
      const r = await lolpopAsync(["doctor", "--json"], bare);
      const doc = json<{
        checks: Array<{ area: string; name: string; status: string; detail: string; fix?: string }>;
      }>(r);
      const py = doc.checks.filter((c) => c.area === "python");
      expect(py).toHaveLength(1);
      expect(py[0]).toMatchObject({ name: "python", status: "warn" });
      expect(py[0]!.detail).toMatch(
        /lolpop-fixture-python declares Python requirements, but @lolpop\/python-bridge .* is not installed/,
      );
      expect(py[0]!.fix).toMatch(/npm install --save-dev @lolpop\/python-bridge/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  }, 60_000);
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
